/* SPDX-License-Identifier: MIT */
/*
 * test_fuzz_regressions.c - replays every input the fuzzers ever failed on
 * (fixtures/fuzz/regressions/<target>/) and every seed (fixtures/fuzz/<target>/)
 * through the same checks the libFuzzer targets make, with gcc and without
 * libFuzzer, so a fixed crash stays fixed in every build (and under
 * `make SAN=address,undefined test`). The fuzz/ sources are included here
 * with MDM_FUZZ_NO_MAIN; the harness's parsers join in once their headers
 * exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MDM_FUZZ_NO_MAIN
#include "../../fuzz/fuzz_csv.c"
#include "../../fuzz/fuzz_conf.c"
#include "../../fuzz/fuzz_ident.c"
#if defined(__has_include)
#if __has_include("../../fuzz/fuzz_scenario.c") && __has_include("cmp_script.h")
#include "../../fuzz/fuzz_scenario.c"
#define HAVE_FUZZ_SCENARIO 1
#endif
#if __has_include("../../fuzz/fuzz_sqllogictest.c") && __has_include("cmp_slt.h")
#include "../../fuzz/fuzz_sqllogictest.c"
#define HAVE_FUZZ_SLT 1
#endif
#endif

#include "test_support.h"

typedef int (*fuzz_one_fn)(const uint8_t *data, size_t size, char *why, size_t whyn);

/* The fixtures folder: $MDM_SOURCE_DIR/fixtures, ./fixtures (make test runs
 * from the top of the tree), or the first fixtures/fuzz folder above this
 * binary. */
static void fixtures_path(char *out, size_t n, const char *sub)
{
    char self[PATH_MAX - 64], probe[PATH_MAX - 32];
    const char *root = getenv("MDM_SOURCE_DIR");
    if (root != NULL && root[0] != '\0') {
        snprintf(out, n, "%s/fixtures/fuzz/%s", root, sub);
        return;
    }
    snprintf(out, n, "./fixtures/fuzz/%s", sub);
    if (access("fixtures/fuzz", R_OK) == 0)
        return;
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    for (int up = 0; up < 5; up++) {
        char *slash = strrchr(self, '/');
        if (slash == NULL)
            return;
        *slash = '\0';
        snprintf(probe, sizeof probe, "%s/fixtures/fuzz", self);
        if (access(probe, R_OK) == 0) {
            snprintf(out, n, "%s/%s", probe, sub);
            return;
        }
    }
}

/* An input placed so that its last byte is the last byte before a page
 * that cannot be read: a parser that reads past the end of its input
 * crashes here even without AddressSanitizer (libFuzzer's buffers are
 * exactly sized too, so the fuzzers and this replay see the same bug). */
typedef struct guarded {
    uint8_t *map;
    size_t maplen;
    uint8_t *data;
} guarded;

static int guarded_load(const char *path, guarded *g, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long page = sysconf(_SC_PAGESIZE);
    struct stat st;
    memset(g, 0, sizeof *g);
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        if (f)
            fclose(f);
        return -1;
    }
    *len = (size_t)st.st_size;
    size_t body = (*len + (size_t)page - 1) / (size_t)page * (size_t)page;
    g->maplen = body + (size_t)page;
    g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) {
        fclose(f);
        g->map = NULL;
        return -1;
    }
    g->data = g->map + body - *len;
    size_t got = fread(g->data, 1, *len, f);
    fclose(f);
    if (got != *len || mprotect(g->map + body, (size_t)page, PROT_NONE) != 0)
        return -1;
    return 0;
}

static void guarded_free(guarded *g)
{
    if (g->map != NULL)
        munmap(g->map, g->maplen);
}

/* Runs fn on every regular file in fixtures/fuzz/<sub>; fails on the first
 * input whose checks fail, naming it. Returns how many files ran. */
static size_t replay_dir(const char *sub, fuzz_one_fn fn)
{
    char dir[4096], path[8192], why[2048];
    size_t count = 0;
    fixtures_path(dir, sizeof dir, sub);
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s (run from the top of the tree or set MDM_SOURCE_DIR)", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        guarded g;
        if (guarded_load(path, &g, &len) != 0) {
            guarded_free(&g);
            fail_msg("cannot read %s", path);
        }
        why[0] = '\0';
        int rc = fn(g.data, len, why, sizeof why);
        guarded_free(&g);
        if (rc != 0) {
            closedir(d);
            fail_msg("%s: %s", path, why);
        }
        count++;
    }
    closedir(d);
    return count;
}

/* ---- CSV reader ---------------------------------------------------------- */

static void fuzz_regressions__csv_kept_inputs_pass(void **state)
{
    (void)state;
    /* Two inputs were kept when this test was written; a folder that lost
     * them would silently test nothing. */
    assert_true(replay_dir("regressions/csv", mdm_fuzz_csv_one) >= 2);
}

static void fuzz_regressions__csv_seeds_pass(void **state)
{
    (void)state;
    assert_true(replay_dir("csv", mdm_fuzz_csv_one) >= 20);
}

/* The checks themselves must be able to fail: a harness that accepts a
 * broken promise would replay nothing useful. */
static void fuzz_regressions__csv_checks_catch_a_broken_table(void **state)
{
    char why[256] = "";
    mdm_table t;
    mdm_error err;
    (void)state;
    mdm_table_init(&t);
    assert_int_equal(mdm_table_add_column(&t, "a", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(&t, "a", MDM_INT64, &err), MDM_OK);
    assert_int_equal(fuzz_csv_check_table(&t, why, sizeof why), -1);
    assert_non_null(strstr(why, "duplicate column name"));
    mdm_table_reset(&t);
}

/* ---- YAML config loader -------------------------------------------------- */

static void fuzz_regressions__conf_kept_inputs_pass(void **state)
{
    (void)state;
    assert_true(replay_dir("regressions/conf", mdm_fuzz_conf_one) >= 1);
}

static void fuzz_regressions__conf_seeds_pass(void **state)
{
    (void)state;
    assert_true(replay_dir("conf", mdm_fuzz_conf_one) >= 15);
}

static void fuzz_regressions__conf_checks_catch_a_changed_tree(void **state)
{
    mdm_conf *a = NULL, *b = NULL;
    mdm_error err;
    (void)state;
    assert_int_equal(mdm_conf_load_string("k: v\n", 5, "a", &a, &err), MDM_OK);
    assert_int_equal(mdm_conf_load_string("k: w\n", 5, "b", &b, &err), MDM_OK);
    assert_true(fuzz_conf_same(&a->root, &a->root));
    assert_false(fuzz_conf_same(&a->root, &b->root));
    mdm_conf_free(a);
    mdm_conf_free(b);
}

/* ---- Identifier quoting -------------------------------------------------- */

static void fuzz_regressions__ident_kept_inputs_pass(void **state)
{
    (void)state;
    (void)replay_dir("regressions/ident", mdm_fuzz_ident_one);
}

static void fuzz_regressions__ident_seeds_pass(void **state)
{
    (void)state;
    assert_true(replay_dir("ident", mdm_fuzz_ident_one) >= 20);
}

static void fuzz_regressions__ident_checks_catch_a_bad_quote(void **state)
{
    char why[256] = "";
    (void)state;
    /* An unbalanced quote must be refused by SQLite's parser. */
    assert_int_equal(fuzz_ident_sqlite("\"a\"b\"", "a\"b", why, sizeof why), -1);
    assert_int_equal(fuzz_ident_sqlite("\"a\"\"b\"", "a\"b", why, sizeof why), 0);
    assert_false(fuzz_ident_utf8_ref((const unsigned char *)"\xC0\xA2", 2));
    assert_true(fuzz_ident_utf8_ref((const unsigned char *)"\xC3\xA9", 2));
}

/* ---- Harness parsers (once they exist) ----------------------------------- */

#ifdef HAVE_FUZZ_SCENARIO
static void fuzz_regressions__scenario_inputs_pass(void **state)
{
    (void)state;
    (void)replay_dir("regressions/scenario", mdm_fuzz_scenario_one);
    assert_true(replay_dir("scenario", mdm_fuzz_scenario_one) >= 1);
}
#endif

#ifdef HAVE_FUZZ_SLT
static void fuzz_regressions__sqllogictest_inputs_pass(void **state)
{
    (void)state;
    (void)replay_dir("regressions/sqllogictest", mdm_fuzz_slt_one);
    assert_true(replay_dir("sqllogictest", mdm_fuzz_slt_one) >= 1);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fuzz_regressions__csv_kept_inputs_pass),
        cmocka_unit_test(fuzz_regressions__csv_seeds_pass),
        cmocka_unit_test(fuzz_regressions__csv_checks_catch_a_broken_table),
        cmocka_unit_test(fuzz_regressions__conf_kept_inputs_pass),
        cmocka_unit_test(fuzz_regressions__conf_seeds_pass),
        cmocka_unit_test(fuzz_regressions__conf_checks_catch_a_changed_tree),
        cmocka_unit_test(fuzz_regressions__ident_kept_inputs_pass),
        cmocka_unit_test(fuzz_regressions__ident_seeds_pass),
        cmocka_unit_test(fuzz_regressions__ident_checks_catch_a_bad_quote),
#ifdef HAVE_FUZZ_SCENARIO
        cmocka_unit_test(fuzz_regressions__scenario_inputs_pass),
#endif
#ifdef HAVE_FUZZ_SLT
        cmocka_unit_test(fuzz_regressions__sqllogictest_inputs_pass),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
