/* SPDX-License-Identifier: MIT */
/*
 * test_flag.c - the storage feature flag (adapter/mdm_flag.c): MurmurHash3
 * against published vectors, Unleash's bucket rule, resolution order
 * (command line > environment > config > defaults) with sources, the kill
 * switch, and the rollout over 1,000 dataset names at 0, 25, 50 and 100 %:
 * exactly the datasets whose bucket is within the percentage move, and
 * raising the percentage never moves one back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_flag.h"

/* ---- helpers ---------------------------------------------------------------- */

/* A fake environment: NULL-terminated name/value pairs. */
static const char *fake_env(void *ctx, const char *name)
{
    const char *const *kv = ctx;
    for (size_t i = 0; kv[i] != NULL; i += 2)
        if (strcmp(kv[i], name) == 0)
            return kv[i + 1];
    return NULL;
}

/* An independent MurmurHash3 x86_32 (seed 0), written from the reference
 * algorithm with memcpy block reads, to check the library's buckets. */
static uint32_t ref_murmur3(const char *s)
{
    size_t len = strlen(s), i = 0;
    uint32_t h = 0, k;
    for (; i + 4 <= len; i += 4) {
        unsigned char b[4];
        memcpy(b, s + i, 4);
        k = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        k *= 0xcc9e2d51u;
        k = (k << 15) | (k >> 17);
        k *= 0x1b873593u;
        h ^= k;
        h = (h << 13) | (h >> 19);
        h = h * 5 + 0xe6546b64u;
    }
    k = 0;
    for (size_t j = len - i; j > 0; j--)
        k = (k << 8) | (unsigned char)s[i + j - 1];
    if (len - i > 0) {
        k *= 0xcc9e2d51u;
        k = (k << 15) | (k >> 17);
        k *= 0x1b873593u;
        h ^= k;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static int ref_bucket(const char *flag, const char *dataset)
{
    char key[256];
    snprintf(key, sizeof key, "%s:%s", flag, dataset);
    return (int)(ref_murmur3(key) % 100u) + 1;
}

static void dataset_name(int i, char *buf, size_t n)
{
    snprintf(buf, n, "dataset_%04d", i);
}

/* ---- MurmurHash3 and buckets ---------------------------------------------------- */

static void flag__murmur3_matches_known_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *data;
        size_t len;
        uint32_t seed, want;
    } v[] = {
        {"", 0, 0, 0x00000000u},
        {"", 0, 1, 0x514E28B7u},
        {"", 0, 0xffffffffu, 0x81F16F39u},
        {"\0\0\0\0", 4, 0, 0x2362F9DEu},
        {"a", 1, 0x9747b28cu, 0x7FA09EA6u},
        {"abc", 3, 0, 0xB3DD93FAu},
        {"aaaa", 4, 0x9747b28cu, 0x5A97808Au},
        {"abcd", 4, 0x9747b28cu, 0xF0478627u},
        {"hello", 5, 0, 0x248BFA47u},
        {"Hello, world!", 13, 0x9747b28cu, 0x24884CBAu},
        {"The quick brown fox jumps over the lazy dog", 43, 0x9747b28cu, 0x2FA826CDu},
        {"The quick brown fox jumps over the lazy dog", 43, 0, 0x2E4FF723u},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (mdm_murmur3_32(v[i].data, v[i].len, v[i].seed) != v[i].want)
            fail_msg("vector %zu ('%s', seed %08x): %08x, expected %08x", i, v[i].data,
                     v[i].seed, mdm_murmur3_32(v[i].data, v[i].len, v[i].seed), v[i].want);
}

/* Unleash's own tests: normalizedValue('123', 'gr1') == 73 and
 * normalizedValue('999', 'groupX') == 25. */
static void flag__bucket_is_unleash_normalized_value(void **state)
{
    (void)state;
    assert_int_equal(mdm_flag_bucket("gr1", "123"), 73);
    assert_int_equal(mdm_flag_bucket("groupX", "999"), 25);
    for (int i = 0; i < 1000; i++) {
        char name[32];
        dataset_name(i, name, sizeof name);
        int b = mdm_flag_bucket(MDM_FLAG_READS, name);
        assert_in_range(b, 1, 100);
        assert_int_equal(b, ref_bucket(MDM_FLAG_READS, name));
    }
}

/* ---- Resolution --------------------------------------------------------------------- */

static void flag__defaults_are_legacy_at_100_percent(void **state)
{
    (void)state;
    mdm_flag_settings s;
    mdm_flag_settings_init(&s);
    mdm_impl want = MDM_WITH_LEGACY ? MDM_IMPL_LEGACY : MDM_IMPL_MODERN;
    assert_int_equal(s.reads.mode, want);
    assert_int_equal(s.writes.mode, want);
    assert_int_equal(s.reads.percent, 100);
    assert_false(s.kill_switch);
    assert_int_equal(s.reads.mode_from.source, MDM_FLAG_SRC_DEFAULT);
    assert_string_equal(s.shadow_log, "");
}

/* Applies the config, env and command-line layers in the given order. */
static void apply_layers(mdm_flag_settings *s, const char *order, const mdm_env *env,
                         const char *cli)
{
    mdm_error err;
    for (const char *p = order; *p; p++) {
        mdm_status rc = MDM_OK;
        if (*p == 'c')
            rc = mdm_flag_set(s, MDM_FLAG_READS, "modern", MDM_FLAG_SRC_CONFIG, "f.yaml:3", &err);
        if (rc == MDM_OK && *p == 'c')
            rc = mdm_flag_set(s, MDM_FLAG_READS ".percent", "25", MDM_FLAG_SRC_CONFIG,
                              "f.yaml:4", &err);
        if (*p == 'e')
            rc = mdm_flag_apply_env(s, env, &err);
        if (*p == 'l')
            rc = mdm_flag_apply_cli(s, cli, &err);
        if (rc != MDM_OK)
            fail_msg("layer %c: %s", *p, err.message);
    }
}

static void flag__resolution_order_command_line_env_config_default(void **state)
{
    (void)state;
    const char *kv[] = {"MDM_STORAGE_READS_PERCENT", "50", "MDM_STORAGE_WRITES", "modern", NULL};
    mdm_env env = {fake_env, kv};
    const char *orders[] = {"cel", "lec", "elc", "cle"};
    for (size_t i = 0; i < 4; i++) {
        mdm_flag_settings s;
        mdm_flag_settings_init(&s);
        apply_layers(&s, orders[i], &env, NULL);
        /* config sets reads=modern; env beats config on the percentage */
        assert_int_equal(s.reads.mode, MDM_IMPL_MODERN);
        assert_int_equal(s.reads.mode_from.source, MDM_FLAG_SRC_CONFIG);
        assert_string_equal(s.reads.mode_from.where, "f.yaml:3");
        assert_int_equal(s.reads.percent, 50);
        assert_int_equal(s.reads.percent_from.source, MDM_FLAG_SRC_ENV);
        assert_string_equal(s.reads.percent_from.where, "MDM_STORAGE_READS_PERCENT");
        assert_int_equal(s.writes.mode, MDM_IMPL_MODERN);
        assert_int_equal(s.writes.percent_from.source, MDM_FLAG_SRC_DEFAULT);
    }
    /* the command line beats both, whatever the order */
    for (size_t i = 0; i < 4; i++) {
        mdm_flag_settings s;
        mdm_flag_settings_init(&s);
        apply_layers(&s, orders[i], &env, MDM_WITH_LEGACY ? "legacy" : "modern");
        assert_int_equal(s.reads.mode, MDM_WITH_LEGACY ? MDM_IMPL_LEGACY : MDM_IMPL_MODERN);
        assert_int_equal(s.reads.mode_from.source, MDM_FLAG_SRC_CLI);
        assert_int_equal(s.reads.percent, 100);
        assert_int_equal(s.reads.percent_from.source, MDM_FLAG_SRC_CLI);
        assert_string_equal(s.writes.mode_from.where, "--impl");
    }
}

static void flag__environment_comes_from_the_injected_lookup(void **state)
{
    (void)state;
    const char *kv[] = {"MDM_STORAGE_IMPL", "modern", "MDM_STORAGE_WRITES_PERCENT", "10",
                        "MDM_STORAGE_SHADOW_LOG", "/tmp/x.jsonl", "MDM_STORAGE_READS", "", NULL};
    mdm_env env = {fake_env, kv};
    mdm_flag_settings s;
    mdm_error err;
    mdm_flag_settings_init(&s);
    assert_int_equal(mdm_flag_apply_env(&s, &env, &err), MDM_OK);
    assert_int_equal(s.reads.mode, MDM_IMPL_MODERN);          /* IMPL; empty READS ignored */
    assert_string_equal(s.reads.mode_from.where, "MDM_STORAGE_IMPL");
    assert_int_equal(s.writes.percent, 10);                    /* refines IMPL's 100 */
    assert_string_equal(s.shadow_log, "/tmp/x.jsonl");
    assert_int_equal(s.shadow_log_from.source, MDM_FLAG_SRC_ENV);
    /* no lookup: nothing set */
    mdm_flag_settings_init(&s);
    assert_int_equal(mdm_flag_apply_env(&s, NULL, &err), MDM_OK);
    assert_int_equal(s.reads.mode_from.source, MDM_FLAG_SRC_DEFAULT);
}

static void flag__bad_values_name_their_source(void **state)
{
    (void)state;
    const char *kv[] = {"MDM_STORAGE_READS_PERCENT", "101", NULL};
    mdm_env env = {fake_env, kv};
    mdm_flag_settings s;
    mdm_error err;
    mdm_flag_settings_init(&s);
    assert_int_equal(mdm_flag_apply_env(&s, &env, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message,
                        "MDM_STORAGE_READS_PERCENT: expected a whole percentage 0..100, got '101'");
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_READS, "fast", MDM_FLAG_SRC_CONFIG,
                                  "m.yaml:7: key 'rollout.reads.mode'", &err),
                     MDM_ERR_CONFIG);
    assert_string_equal(err.message, "m.yaml:7: key 'rollout.reads.mode': expected legacy, "
                                     "modern or shadow, got 'fast'");
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_WRITES ".rest", "modern", MDM_FLAG_SRC_ENV,
                                  "W", &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "W: expected legacy or shadow, got 'modern'");
#if MDM_WITH_LEGACY   /* without legacy/, shadow is refused (the !MDM_WITH_LEGACY cases) */
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_WRITES, "shadow", MDM_FLAG_SRC_ENV, NULL, &err),
                     MDM_OK);   /* shadow writes: legacy writes, modern into a scratch copy */
    assert_int_equal(s.writes.mode, MDM_IMPL_SHADOW);
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_WRITES ".rest", "shadow", MDM_FLAG_SRC_ENV,
                                  "W", &err), MDM_OK);
    assert_int_equal(s.writes.rest, MDM_IMPL_SHADOW);
#endif
    assert_int_equal(mdm_flag_set(&s, "storage.colour", "x", MDM_FLAG_SRC_ENV, "X", &err),
                     MDM_ERR_CONFIG);
    assert_string_equal(err.message, "X: unknown setting 'storage.colour'");
    const char *bad[] = {"", "-1", "+5", "1.5", "abc", "100%%", " 5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mdm_flag_set(&s, MDM_FLAG_READS ".percent", bad[i], MDM_FLAG_SRC_ENV, NULL, &err) !=
            MDM_ERR_CONFIG)
            fail_msg("percent '%s' was accepted", bad[i]);
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_READS ".percent", "25%", MDM_FLAG_SRC_ENV, NULL,
                                  &err), MDM_OK);
    assert_int_equal(s.reads.percent, 25);
    assert_int_equal(s.reads.mode_from.source, MDM_FLAG_SRC_DEFAULT);   /* untouched */
}

static void flag__a_lower_layer_never_overrides_a_higher_one(void **state)
{
    (void)state;
    mdm_flag_settings s;
    mdm_error err;
    mdm_flag_settings_init(&s);
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_READS ".percent", "30", MDM_FLAG_SRC_CLI, "--x",
                                  &err), MDM_OK);
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_READS ".percent", "70", MDM_FLAG_SRC_CONFIG, "f",
                                  &err), MDM_OK);
    assert_int_equal(s.reads.percent, 30);
    /* a bad value is an error even when it would lose */
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_READS ".percent", "x", MDM_FLAG_SRC_CONFIG, "f",
                                  &err), MDM_ERR_CONFIG);
}

/* The shadow log path has to fit its field; a path that does not, or
 * none, is refused and the setting kept. */
static void flag__shadow_log_must_fit(void **state)
{
    (void)state;
    mdm_flag_settings s;
    mdm_error err;
    char path[sizeof s.shadow_log + 1];
    mdm_flag_settings_init(&s);
    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';   /* one byte too many */
    assert_int_equal(mdm_flag_set(&s, "storage.shadow_log", path, MDM_FLAG_SRC_CONFIG, "f:2",
                                  &err), MDM_ERR_CONFIG);
    assert_memory_equal(err.message, "f:2: expected a file path", 25);
    assert_int_equal(mdm_flag_set(&s, "storage.shadow_log", NULL, MDM_FLAG_SRC_ENV, NULL, &err),
                     MDM_ERR_CONFIG);
    assert_string_equal(err.message, "storage.shadow_log: expected a file path, got ''");
    assert_string_equal(s.shadow_log, "");
    assert_int_equal(s.shadow_log_from.source, MDM_FLAG_SRC_DEFAULT);
    path[sizeof path - 2] = '\0';   /* exactly what fits */
    assert_int_equal(mdm_flag_set(&s, "storage.shadow_log", path, MDM_FLAG_SRC_CONFIG, "f:2",
                                  &err), MDM_OK);
    assert_string_equal(s.shadow_log, path);
}

static void flag__set_needs_settings_and_a_key(void **state)
{
    (void)state;
    mdm_flag_settings s;
    mdm_error err;
    mdm_flag_settings_init(&s);
    assert_int_equal(mdm_flag_set(NULL, MDM_FLAG_READS, "modern", MDM_FLAG_SRC_CLI, "x", &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_flag_set(&s, NULL, "modern", MDM_FLAG_SRC_CLI, "x", &err),
                     MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "mdm_flag_set: NULL argument");
    assert_int_equal(s.reads.mode_from.source, MDM_FLAG_SRC_DEFAULT);   /* untouched */
}

/* Names longer than the bucket's stack buffer are hashed whole (the key is
 * put on the heap), and still agree with the reference. */
static void flag__long_dataset_names_are_hashed_whole(void **state)
{
    (void)state;
    static const size_t lens[] = {240, 242, 243, 300, 1000, 5000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        char *name = malloc(n + 1), *key = malloc(strlen(MDM_FLAG_READS) + n + 2);
        assert_non_null(name);
        assert_non_null(key);
        for (size_t j = 0; j < n; j++)
            name[j] = (char)('a' + (j * 7 + i) % 26);
        name[n] = '\0';
        sprintf(key, "%s:%s", MDM_FLAG_READS, name);
        int want = (int)(ref_murmur3(key) % 100u) + 1;
        assert_int_equal(mdm_flag_bucket(MDM_FLAG_READS, name), want);
        free(key);
        free(name);
    }
}

#if MDM_WITH_LEGACY

static void flag__impl_shadow_sends_writes_to_legacy(void **state)
{
    (void)state;
    mdm_flag_settings s;
    mdm_flag_decision d;
    mdm_error err;
    /* with legacy/ built in, every implementation is available */
    assert_true(mdm_impl_available(MDM_IMPL_LEGACY));
    assert_true(mdm_impl_available(MDM_IMPL_MODERN));
    assert_true(mdm_impl_available(MDM_IMPL_SHADOW));
    mdm_flag_settings_init(&s);
    assert_int_equal(mdm_flag_apply_cli(&s, "shadow", &err), MDM_OK);
    assert_int_equal(s.reads.mode, MDM_IMPL_SHADOW);
    assert_int_equal(s.writes.mode, MDM_IMPL_LEGACY);
    mdm_flag_decide(&s, MDM_FLAG_OP_READ, "iris", &d);
    assert_int_equal(d.impl, MDM_IMPL_SHADOW);
    mdm_flag_decide(&s, MDM_FLAG_OP_WRITE, "iris", &d);
    assert_int_equal(d.impl, MDM_IMPL_LEGACY);
    assert_string_equal(d.reason, "mode legacy");
    assert_int_equal(mdm_flag_apply_cli(&s, "fast", &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "--impl: expected legacy, modern or shadow, got 'fast'");
}

static void flag__kill_switch_sends_everything_to_legacy(void **state)
{
    (void)state;
    const char *kv[] = {"MDM_STORAGE_KILL_SWITCH", "on", NULL};
    mdm_env env = {fake_env, kv};
    mdm_flag_settings s;
    mdm_flag_decision d;
    mdm_error err;
    mdm_flag_settings_init(&s);
    assert_int_equal(mdm_flag_apply_cli(&s, "modern", &err), MDM_OK);
    assert_int_equal(mdm_flag_apply_env(&s, &env, &err), MDM_OK);
    assert_true(s.kill_switch);
    for (int i = 0; i < 100; i++) {
        char name[32];
        dataset_name(i, name, sizeof name);
        mdm_flag_decide(&s, MDM_FLAG_OP_READ, name, &d);
        assert_int_equal(d.impl, MDM_IMPL_LEGACY);
        assert_string_equal(d.reason, "kill switch");
        mdm_flag_decide(&s, MDM_FLAG_OP_WRITE, name, &d);
        assert_int_equal(d.impl, MDM_IMPL_LEGACY);
    }
    /* off again (a higher layer) restores the rollout */
    assert_int_equal(mdm_flag_set(&s, "storage.kill_switch", "off", MDM_FLAG_SRC_CLI, "t", &err),
                     MDM_OK);
    mdm_flag_decide(&s, MDM_FLAG_OP_READ, "iris", &d);
    assert_int_equal(d.impl, MDM_IMPL_MODERN);
    assert_int_equal(mdm_flag_set(&s, "storage.kill_switch", "maybe", MDM_FLAG_SRC_CLI, "t",
                                  &err), MDM_ERR_CONFIG);
}

/* The done criterion: over 1,000 names, at 0, 25, 50 and 100 % exactly the
 * datasets whose bucket is within the percentage read from modern, and a
 * dataset that moved at p has moved at every higher q. */
static void flag__rollout_moves_exactly_the_datasets_within_the_percentage(void **state)
{
    (void)state;
    static const int pcts[] = {0, 25, 50, 100};
    bool moved[4][1000];
    char name[32], value[8];
    mdm_error err;
    for (size_t p = 0; p < 4; p++) {
        mdm_flag_settings s;
        int count = 0;
        mdm_flag_settings_init(&s);
        snprintf(value, sizeof value, "%d", pcts[p]);
        assert_int_equal(mdm_flag_set(&s, MDM_FLAG_READS, "modern", MDM_FLAG_SRC_CONFIG, "t",
                                      &err), MDM_OK);
        assert_int_equal(mdm_flag_set(&s, MDM_FLAG_READS ".percent", value, MDM_FLAG_SRC_CONFIG,
                                      "t", &err), MDM_OK);
        for (int i = 0; i < 1000; i++) {
            mdm_flag_decision d;
            dataset_name(i, name, sizeof name);
            mdm_flag_decide(&s, MDM_FLAG_OP_READ, name, &d);
            bool within = ref_bucket(MDM_FLAG_READS, name) <= pcts[p];
            moved[p][i] = d.impl == MDM_IMPL_MODERN;
            if (moved[p][i] != within)
                fail_msg("%s at %d%%: %s (%s), bucket %d", name, pcts[p],
                         mdm_impl_name(d.impl), d.reason, ref_bucket(MDM_FLAG_READS, name));
            if (!moved[p][i] && d.impl != MDM_IMPL_LEGACY)
                fail_msg("%s at %d%%: %s", name, pcts[p], mdm_impl_name(d.impl));
            /* writes stay where they were: legacy */
            mdm_flag_decide(&s, MDM_FLAG_OP_WRITE, name, &d);
            assert_int_equal(d.impl, MDM_IMPL_LEGACY);
            count += moved[p][i];
        }
        /* the hash spreads names evenly enough: within 5 points */
        assert_in_range(count, pcts[p] * 10 - 50 < 0 ? 0 : pcts[p] * 10 - 50,
                        pcts[p] * 10 + 50 > 1000 ? 1000 : pcts[p] * 10 + 50);
        if (pcts[p] == 0)
            assert_int_equal(count, 0);
        if (pcts[p] == 100)
            assert_int_equal(count, 1000);
    }
    for (size_t p = 1; p < 4; p++)
        for (int i = 0; i < 1000; i++)
            if (moved[p - 1][i] && !moved[p][i])
                fail_msg("dataset_%04d moved back going from %d%% to %d%%", i, pcts[p - 1],
                         pcts[p]);
}

/* The percentage sticks per dataset: deciding twice, or in another order,
 * gives the same answer; reads and writes hash with their own flag name. */
static void flag__buckets_are_sticky_and_per_flag(void **state)
{
    (void)state;
    mdm_flag_settings s;
    mdm_flag_decision a, b;
    mdm_error err;
    int differ = 0;
    mdm_flag_settings_init(&s);
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_WRITES, "modern", MDM_FLAG_SRC_ENV, "e", &err),
                     MDM_OK);
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_WRITES ".percent", "50", MDM_FLAG_SRC_ENV, "e",
                                  &err), MDM_OK);
    for (int i = 999; i >= 0; i--) {
        char name[32];
        dataset_name(i, name, sizeof name);
        mdm_flag_decide(&s, MDM_FLAG_OP_WRITE, name, &a);
        mdm_flag_decide(&s, MDM_FLAG_OP_WRITE, name, &b);
        assert_int_equal(a.impl, b.impl);
        assert_int_equal(a.bucket, ref_bucket(MDM_FLAG_WRITES, name));
        mdm_flag_decide(&s, MDM_FLAG_OP_READ, name, &b);
        differ += a.bucket != b.bucket;
    }
    assert_true(differ > 900);
}

static void flag__origin_text_says_where(void **state)
{
    (void)state;
    mdm_flag_settings s;
    mdm_error err;
    char buf[300];
    mdm_flag_settings_init(&s);
    assert_string_equal(mdm_flag_origin_text(&s.reads.mode_from, buf, sizeof buf), "default");
    assert_int_equal(mdm_flag_apply_cli(&s, "modern", &err), MDM_OK);
    assert_string_equal(mdm_flag_origin_text(&s.reads.mode_from, buf, sizeof buf),
                        "command line --impl");
    assert_int_equal(mdm_flag_set(&s, "storage.kill_switch", "yes", MDM_FLAG_SRC_ENV,
                                  "MDM_STORAGE_KILL_SWITCH", &err), MDM_OK);
    assert_string_equal(mdm_flag_origin_text(&s.kill_switch_from, buf, sizeof buf),
                        "env MDM_STORAGE_KILL_SWITCH");
}


static void flag__rest_shadows_the_datasets_not_yet_moved(void **state)
{
    (void)state;
    const char *kv[] = {"MDM_STORAGE_EXPECTED_DIFFERENCES", "/x/list", NULL};
    mdm_env env = {fake_env, kv};
    mdm_flag_settings s;
    mdm_flag_decision d;
    mdm_error err;
    char buf[300];
    int moved = 0, shadowed = 0;
    mdm_flag_settings_init(&s);
    assert_int_equal(s.reads.rest, MDM_IMPL_LEGACY);
    assert_int_equal(mdm_flag_set(&s, "storage.reads", "modern", MDM_FLAG_SRC_ROLLOUT, "state:2",
                                  &err), MDM_OK);
    assert_int_equal(mdm_flag_set(&s, "storage.reads.percent", "30", MDM_FLAG_SRC_ROLLOUT,
                                  "state:3", &err), MDM_OK);
    assert_int_equal(mdm_flag_set(&s, "storage.reads.rest", "shadow", MDM_FLAG_SRC_ROLLOUT,
                                  "state:4", &err), MDM_OK);
    assert_string_equal(mdm_flag_origin_text(&s.reads.rest_from, buf, sizeof buf),
                        "rollout state:4");
    for (int i = 0; i < 200; i++) {
        char name[32];
        dataset_name(i, name, sizeof name);
        mdm_flag_decide(&s, MDM_FLAG_OP_READ, name, &d);
        moved += d.impl == MDM_IMPL_MODERN;
        shadowed += d.impl == MDM_IMPL_SHADOW;
        assert_int_equal(d.impl, d.bucket <= 30 ? MDM_IMPL_MODERN : MDM_IMPL_SHADOW);
        if (d.impl == MDM_IMPL_SHADOW)
            assert_non_null(strstr(d.reason, "(shadow)"));
    }
    assert_int_equal(moved + shadowed, 200);
    assert_true(moved > 0 && shadowed > 0);
    /* a config value is below the rollout layer; the environment above it */
    assert_int_equal(mdm_flag_set(&s, "storage.reads.percent", "90", MDM_FLAG_SRC_CONFIG, "c:1",
                                  &err), MDM_OK);
    assert_int_equal(s.reads.percent, 30);
    assert_int_equal(mdm_flag_set(&s, "storage.reads.rest", "legacy", MDM_FLAG_SRC_ENV, "E",
                                  &err), MDM_OK);
    assert_int_equal(s.reads.rest, MDM_IMPL_LEGACY);
    /* modern is no rest, nor is anything else */
    assert_int_equal(mdm_flag_set(&s, "storage.reads.rest", "modern", MDM_FLAG_SRC_CLI, "t",
                                  &err), MDM_ERR_CONFIG);
    assert_non_null(strstr(err.message, "expected legacy or shadow, got 'modern'"));
    assert_int_equal(mdm_flag_set(&s, "storage.reads.rest", "maybe", MDM_FLAG_SRC_CLI, "t",
                                  &err), MDM_ERR_CONFIG);
    assert_string_equal(mdm_flag_source_name(MDM_FLAG_SRC_ROLLOUT), "rollout");
    /* the expected-differences list is a path setting like the shadow log */
    assert_string_equal(s.expected, "");
    assert_int_equal(mdm_flag_apply_env(&s, &env, &err), MDM_OK);
    assert_string_equal(s.expected, "/x/list");
    assert_string_equal(mdm_flag_origin_text(&s.expected_from, buf, sizeof buf),
                        "env MDM_STORAGE_EXPECTED_DIFFERENCES");
}

#else /* !MDM_WITH_LEGACY */

static void flag__legacy_and_shadow_are_refused_without_legacy(void **state)
{
    (void)state;
    const char *kv[] = {"MDM_STORAGE_READS", "legacy", NULL};
    mdm_env env = {fake_env, kv};
    mdm_flag_settings s;
    mdm_flag_decision d;
    mdm_error err;
    mdm_flag_settings_init(&s);
    assert_int_equal(mdm_flag_apply_cli(&s, "legacy", &err), MDM_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "built without legacy/"));
    assert_int_equal(mdm_flag_apply_cli(&s, "shadow", &err), MDM_ERR_UNSUPPORTED);
    assert_int_equal(mdm_flag_apply_env(&s, &env, &err), MDM_ERR_UNSUPPORTED);
    assert_int_equal(mdm_flag_set(&s, "storage.kill_switch", "on", MDM_FLAG_SRC_ENV, "K", &err),
                     MDM_ERR_UNSUPPORTED);
    assert_int_equal(mdm_flag_apply_cli(&s, "modern", &err), MDM_OK);
    /* everything is modern, whatever the percentage */
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_READS ".percent", "0", MDM_FLAG_SRC_CLI, "t",
                                  &err), MDM_OK);
    mdm_flag_decide(&s, MDM_FLAG_OP_READ, "iris", &d);
    assert_int_equal(d.impl, MDM_IMPL_MODERN);
    assert_string_equal(d.reason, "built without legacy/");
    assert_false(mdm_impl_available(MDM_IMPL_LEGACY));
    assert_false(mdm_impl_available(MDM_IMPL_SHADOW));
    assert_true(mdm_impl_available(MDM_IMPL_MODERN));
    /* the refusals name where the value came from */
    assert_int_equal(mdm_flag_set(&s, MDM_FLAG_WRITES, "legacy", MDM_FLAG_SRC_CONFIG, "", &err),
                     MDM_ERR_UNSUPPORTED);
    assert_string_equal(err.message, "storage.writes: 'legacy' is not available: this mdm was "
                                     "built without legacy/ (LEGACY=0)");
    assert_int_equal(mdm_flag_apply_env(&s, &env, &err), MDM_ERR_UNSUPPORTED);
    assert_memory_equal(err.message, "MDM_STORAGE_READS: ", 19);
    /* switching the kill switch off is fine: there is nothing to switch */
    assert_int_equal(mdm_flag_set(&s, "storage.kill_switch", "off", MDM_FLAG_SRC_ENV, "K", &err),
                     MDM_OK);
    assert_false(s.kill_switch);
}

#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flag__murmur3_matches_known_vectors),
        cmocka_unit_test(flag__bucket_is_unleash_normalized_value),
        cmocka_unit_test(flag__defaults_are_legacy_at_100_percent),
        cmocka_unit_test(flag__resolution_order_command_line_env_config_default),
        cmocka_unit_test(flag__environment_comes_from_the_injected_lookup),
        cmocka_unit_test(flag__bad_values_name_their_source),
        cmocka_unit_test(flag__a_lower_layer_never_overrides_a_higher_one),
        cmocka_unit_test(flag__shadow_log_must_fit),
        cmocka_unit_test(flag__set_needs_settings_and_a_key),
        cmocka_unit_test(flag__long_dataset_names_are_hashed_whole),
#if MDM_WITH_LEGACY
        cmocka_unit_test(flag__impl_shadow_sends_writes_to_legacy),
        cmocka_unit_test(flag__kill_switch_sends_everything_to_legacy),
        cmocka_unit_test(flag__rollout_moves_exactly_the_datasets_within_the_percentage),
        cmocka_unit_test(flag__buckets_are_sticky_and_per_flag),
        cmocka_unit_test(flag__origin_text_says_where),
        cmocka_unit_test(flag__rest_shadows_the_datasets_not_yet_moved),
#else
        cmocka_unit_test(flag__legacy_and_shadow_are_refused_without_legacy),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
