/* SPDX-License-Identifier: MIT */
/*
 * mdm_flag.c - the storage feature flag: settings with their sources, the
 * layers (config, environment, command line), MurmurHash3 x86_32 and
 * Unleash's bucket rule, and the per-dataset decision. No state lives here
 * between calls; the settings struct is the caller's.
 */
#include "mdm_flag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if MDM_WITH_LEGACY
#define DEFAULT_IMPL MDM_IMPL_LEGACY
#else
#define DEFAULT_IMPL MDM_IMPL_MODERN
#endif

static const char *const impl_names[] = {"legacy", "modern", "shadow"};

const char *mdm_impl_name(mdm_impl impl)
{
    return (unsigned)impl < 3 ? impl_names[impl] : "?";
}

mdm_status mdm_impl_parse(const char *s, mdm_impl *out, mdm_error *err)
{
    for (int i = 0; s != NULL && i < 3; i++) {
        if (strcmp(s, impl_names[i]) == 0) {
            *out = (mdm_impl)i;
            return MDM_OK;
        }
    }
    return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                         "unknown implementation '%s'; expected legacy, modern or shadow",
                         s != NULL ? s : "");
}

bool mdm_impl_available(mdm_impl impl)
{
    return MDM_WITH_LEGACY || impl == MDM_IMPL_MODERN;
}

const char *mdm_flag_source_name(mdm_flag_source src)
{
    switch (src) {
    case MDM_FLAG_SRC_CONFIG: return "config";
    case MDM_FLAG_SRC_ROLLOUT: return "rollout";
    case MDM_FLAG_SRC_ENV: return "env";
    case MDM_FLAG_SRC_CLI: return "command line";
    default: return "default";
    }
}

/* ---- Settings ----------------------------------------------------------- */

static void origin_set(mdm_flag_origin *o, mdm_flag_source src, const char *where)
{
    o->source = src;
    snprintf(o->where, sizeof o->where, "%s", where != NULL ? where : "");
}

static void rollout_init(mdm_flag_rollout *r)
{
    r->mode = DEFAULT_IMPL;
    r->percent = 100;
    r->rest = MDM_IMPL_LEGACY;
    origin_set(&r->mode_from, MDM_FLAG_SRC_DEFAULT, NULL);
    origin_set(&r->rest_from, MDM_FLAG_SRC_DEFAULT, NULL);
    origin_set(&r->percent_from, MDM_FLAG_SRC_DEFAULT, NULL);
}

void mdm_flag_settings_init(mdm_flag_settings *s)
{
    memset(s, 0, sizeof *s);
    rollout_init(&s->reads);
    rollout_init(&s->writes);
    s->kill_switch = false;
    origin_set(&s->kill_switch_from, MDM_FLAG_SRC_DEFAULT, NULL);
    s->shadow_log[0] = '\0';
    origin_set(&s->shadow_log_from, MDM_FLAG_SRC_DEFAULT, NULL);
    origin_set(&s->expected_from, MDM_FLAG_SRC_DEFAULT, NULL);
}

/* "<where>: expected ..., got 'v'" (where defaults to the key). */
static mdm_status bad_value(mdm_error *err, const char *key, const char *value,
                            const char *where, const char *expected)
{
    return mdm_error_set(err, MDM_ERR_CONFIG, "%s: expected %s, got '%s'",
                         where != NULL && where[0] ? where : key, expected,
                         value != NULL ? value : "");
}

#if !MDM_WITH_LEGACY
/* Builds without legacy/ only: legacy, shadow and the kill switch are
 * refused. This and its callers below are compiled into that build alone
 * and tested there (tests/unit/test_flag.c, the !MDM_WITH_LEGACY cases). */
static mdm_status not_built(mdm_error *err, const char *key, const char *value,
                            const char *where)
{
    return mdm_error_set(err, MDM_ERR_UNSUPPORTED,
                         "%s: '%s' is not available: this mdm was built without legacy/ "
                         "(LEGACY=0)",
                         where != NULL && where[0] ? where : key, value);
}
#endif

/* Parses a mode for key. */
static mdm_status parse_mode(const char *key, const char *value, const char *where,
                             mdm_impl *out, mdm_error *err)
{
    mdm_impl impl = MDM_IMPL_LEGACY;
    if (mdm_impl_parse(value, &impl, NULL) != MDM_OK)
        return bad_value(err, key, value, where, "legacy, modern or shadow");
#if !MDM_WITH_LEGACY
    if (!mdm_impl_available(impl))
        return not_built(err, key, value, where);
#endif
    *out = impl;
    return MDM_OK;
}

static mdm_status parse_percent(const char *key, const char *value, const char *where,
                                int *out, mdm_error *err)
{
    char *end = NULL;
    const char *s = value != NULL ? value : "";
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '%')
        n--;
    long v = strtol(s, &end, 10);
    if (n == 0 || s[0] == '-' || s[0] == '+' || s[0] == ' ' || end != s + n || v < 0 || v > 100)
        return bad_value(err, key, value, where, "a whole percentage 0..100");
    *out = (int)v;
    return MDM_OK;
}

static mdm_status parse_switch(const char *key, const char *value, const char *where,
                               bool *out, mdm_error *err)
{
    static const char *const on[] = {"1", "true", "yes", "on"};
    static const char *const off[] = {"0", "false", "no", "off"};
    for (size_t i = 0; value != NULL && i < 4; i++) {
        if (strcasecmp(value, on[i]) == 0) {
            *out = true;
            return MDM_OK;
        }
        if (strcasecmp(value, off[i]) == 0) {
            *out = false;
            return MDM_OK;
        }
    }
    return bad_value(err, key, value, where, "on or off (true/false, yes/no, 1/0)");
}

/* Applies a mode (and, for storage.impl, 100 %) to one rollout. */
static void rollout_put(mdm_flag_rollout *r, mdm_impl mode, bool full, mdm_flag_source src,
                        const char *where)
{
    if (src >= r->mode_from.source) {
        r->mode = mode;
        origin_set(&r->mode_from, src, where);
    }
    if (full && src >= r->percent_from.source) {
        r->percent = 100;
        origin_set(&r->percent_from, src, where);
    }
}

static mdm_status set_impl(mdm_flag_settings *s, const char *value, mdm_flag_source src,
                           const char *where, mdm_error *err)
{
    mdm_impl impl = MDM_IMPL_LEGACY;
    mdm_status rc = parse_mode("storage.impl", value, where, &impl, err);
    if (rc != MDM_OK)
        return rc;
    rollout_put(&s->reads, impl, true, src, where);
    rollout_put(&s->writes, impl == MDM_IMPL_SHADOW ? MDM_IMPL_LEGACY : impl, true, src, where);
    return MDM_OK;
}

static mdm_status set_mode(mdm_flag_rollout *r, const char *key, const char *value,
                           mdm_flag_source src, const char *where, mdm_error *err)
{
    mdm_impl impl = MDM_IMPL_LEGACY;
    mdm_status rc = parse_mode(key, value, where, &impl, err);
    if (rc == MDM_OK)
        rollout_put(r, impl, false, src, where);
    return rc;
}

static mdm_status set_percent(mdm_flag_rollout *r, const char *key, const char *value,
                              mdm_flag_source src, const char *where, mdm_error *err)
{
    int pct = 0;
    mdm_status rc = parse_percent(key, value, where, &pct, err);
    if (rc == MDM_OK && src >= r->percent_from.source) {
        r->percent = pct;
        origin_set(&r->percent_from, src, where);
    }
    return rc;
}

/* storage.reads.rest, storage.writes.rest: what the datasets outside the
 * rollout get. */
static mdm_status set_rest(mdm_flag_rollout *r, const char *key, const char *value,
                           mdm_flag_source src, const char *where, mdm_error *err)
{
    mdm_impl impl = MDM_IMPL_LEGACY;
    mdm_status rc = parse_mode(key, value, where, &impl, err);
    if (rc == MDM_OK && impl == MDM_IMPL_MODERN)
        rc = bad_value(err, key, value, where, "legacy or shadow");
    if (rc == MDM_OK && src >= r->rest_from.source) {
        r->rest = impl;
        origin_set(&r->rest_from, src, where);
    }
    return rc;
}

static mdm_status set_kill(mdm_flag_settings *s, const char *value, mdm_flag_source src,
                           const char *where, mdm_error *err)
{
    bool on = false;
    mdm_status rc = parse_switch("storage.kill_switch", value, where, &on, err);
    if (rc != MDM_OK)
        return rc;
#if !MDM_WITH_LEGACY
    if (on)
        return not_built(err, "storage.kill_switch", value, where);
#endif
    if (src >= s->kill_switch_from.source) {
        s->kill_switch = on;
        origin_set(&s->kill_switch_from, src, where);
    }
    return MDM_OK;
}

/* A file path setting (the shadow log, the expected-differences list). */
static mdm_status set_path(char *buf, size_t n, mdm_flag_origin *from, const char *key,
                           const char *value, mdm_flag_source src, const char *where,
                           mdm_error *err)
{
    if (value == NULL || strlen(value) >= n)
        return bad_value(err, key, value, where, "a file path");
    if (src >= from->source) {
        snprintf(buf, n, "%s", value);
        origin_set(from, src, where);
    }
    return MDM_OK;
}

mdm_status mdm_flag_set(mdm_flag_settings *s, const char *key, const char *value,
                        mdm_flag_source src, const char *where, mdm_error *err)
{
    if (s == NULL || key == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_flag_set: NULL argument");
    if (strcmp(key, "storage.impl") == 0)
        return set_impl(s, value, src, where, err);
    if (strcmp(key, MDM_FLAG_READS) == 0)
        return set_mode(&s->reads, key, value, src, where, err);
    if (strcmp(key, MDM_FLAG_WRITES) == 0)
        return set_mode(&s->writes, key, value, src, where, err);
    if (strcmp(key, MDM_FLAG_READS ".percent") == 0)
        return set_percent(&s->reads, key, value, src, where, err);
    if (strcmp(key, MDM_FLAG_WRITES ".percent") == 0)
        return set_percent(&s->writes, key, value, src, where, err);
    if (strcmp(key, MDM_FLAG_READS ".rest") == 0)
        return set_rest(&s->reads, key, value, src, where, err);
    if (strcmp(key, MDM_FLAG_WRITES ".rest") == 0)
        return set_rest(&s->writes, key, value, src, where, err);
    if (strcmp(key, "storage.kill_switch") == 0)
        return set_kill(s, value, src, where, err);
    if (strcmp(key, "storage.shadow_log") == 0)
        return set_path(s->shadow_log, sizeof s->shadow_log, &s->shadow_log_from, key, value,
                        src, where, err);
    if (strcmp(key, "storage.expected_differences") == 0)
        return set_path(s->expected, sizeof s->expected, &s->expected_from, key, value, src,
                        where, err);
    return mdm_error_set(err, MDM_ERR_CONFIG, "%s%sunknown setting '%s'",
                         where != NULL && where[0] ? where : "",
                         where != NULL && where[0] ? ": " : "", key);
}

mdm_status mdm_flag_apply_env(mdm_flag_settings *s, const mdm_env *env, mdm_error *err)
{
    static const struct {
        const char *var, *key;
    } vars[] = {
        {"MDM_STORAGE_IMPL", "storage.impl"},
        {"MDM_STORAGE_READS", MDM_FLAG_READS},
        {"MDM_STORAGE_WRITES", MDM_FLAG_WRITES},
        {"MDM_STORAGE_READS_PERCENT", MDM_FLAG_READS ".percent"},
        {"MDM_STORAGE_WRITES_PERCENT", MDM_FLAG_WRITES ".percent"},
        {"MDM_STORAGE_KILL_SWITCH", "storage.kill_switch"},
        {"MDM_STORAGE_SHADOW_LOG", "storage.shadow_log"},
        {"MDM_STORAGE_EXPECTED_DIFFERENCES", "storage.expected_differences"},
    };
    mdm_status rc = MDM_OK;
    for (size_t i = 0; rc == MDM_OK && i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = mdm_env_get(env, vars[i].var);
        if (v != NULL && v[0] != '\0')
            rc = mdm_flag_set(s, vars[i].key, v, MDM_FLAG_SRC_ENV, vars[i].var, err);
    }
    return rc;
}

mdm_status mdm_flag_apply_cli(mdm_flag_settings *s, const char *impl, mdm_error *err)
{
    if (impl == NULL)
        return MDM_OK;
    return mdm_flag_set(s, "storage.impl", impl, MDM_FLAG_SRC_CLI, "--impl", err);
}

/* ---- MurmurHash3 x86_32 (Austin Appleby, public domain) ------------------- */

static uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static uint32_t mix_k(uint32_t k)
{
    k *= 0xcc9e2d51u;
    k = rotl32(k, 15);
    return k * 0x1b873593u;
}

uint32_t mdm_murmur3_32(const void *data, size_t len, uint32_t seed)
{
    const unsigned char *p = data;
    size_t nblocks = len / 4;
    uint32_t h = seed, k;
    for (size_t i = 0; i < nblocks; i++, p += 4) {
        /* Little-endian block read, whatever the host's byte order. */
        k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        h ^= mix_k(k);
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64u;
    }
    k = 0;
    switch (len & 3) {
    case 3: k ^= (uint32_t)p[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)p[1] << 8;  /* fall through */
    case 1: k ^= p[0]; h ^= mix_k(k); break;
    default: break;
    }
    h ^= (uint32_t)len;
    return fmix32(h);
}

int mdm_flag_bucket(const char *flag, const char *dataset)
{
    char stack[256];
    size_t fl = strlen(flag), dl = strlen(dataset), n = fl + 1 + dl;
    char *key = n <= sizeof stack ? stack : malloc(n);
    uint32_t h;
    if (key == NULL)   /* no memory (names this long are not valid anyway): */
        return 100;    /* the dataset is the last to move */
    memcpy(key, flag, fl);
    key[fl] = ':';
    memcpy(key + fl + 1, dataset, dl);
    h = mdm_murmur3_32(key, n, 0);
    if (key != stack)
        free(key);
    return (int)(h % 100u) + 1;
}

void mdm_flag_decide(const mdm_flag_settings *s, mdm_flag_op op, const char *dataset,
                     mdm_flag_decision *out)
{
    const mdm_flag_rollout *r = op == MDM_FLAG_OP_WRITE ? &s->writes : &s->reads;
    const char *flag = op == MDM_FLAG_OP_WRITE ? MDM_FLAG_WRITES : MDM_FLAG_READS;
    out->bucket = mdm_flag_bucket(flag, dataset != NULL ? dataset : "");
    out->impl = MDM_IMPL_LEGACY;
    if (s->kill_switch && MDM_WITH_LEGACY) {
        snprintf(out->reason, sizeof out->reason, "kill switch");
    } else if (r->mode == MDM_IMPL_LEGACY) {
        snprintf(out->reason, sizeof out->reason, "mode legacy");
    } else if (out->bucket <= r->percent) {
        out->impl = r->mode;
        snprintf(out->reason, sizeof out->reason, "bucket %d <= %d%%", out->bucket, r->percent);
    } else {
        out->impl = r->rest;
        snprintf(out->reason, sizeof out->reason, "bucket %d > %d%%%s", out->bucket, r->percent,
                 r->rest == MDM_IMPL_SHADOW ? " (shadow)" : "");
    }
#if !MDM_WITH_LEGACY
    if (!mdm_impl_available(out->impl)) {   /* LEGACY=0: modern serves everything */
        out->impl = MDM_IMPL_MODERN;
        snprintf(out->reason, sizeof out->reason, "built without legacy/");
    }
#endif
}

const char *mdm_flag_origin_text(const mdm_flag_origin *o, char *buf, size_t n)
{
    if (o->source == MDM_FLAG_SRC_DEFAULT || o->where[0] == '\0')
        snprintf(buf, n, "%s", mdm_flag_source_name(o->source));
    else
        snprintf(buf, n, "%s %s", mdm_flag_source_name(o->source), o->where);
    return buf;
}
