/* SPDX-License-Identifier: MIT */
/*
 * test_random.c - mdm-compare --random (harness/cmp_random.c): the cases
 * are the same for the same seed, ddmin leaves a 1-minimal case, and a
 * planted behaviour change in the modern store's write path
 * (MDM_STORE_FAULT_TRAILING_SPACES: trailing spaces trimmed from text) is
 * found with a fixed seed, shrunk to at most 3 rows, 2 columns and 3
 * operations, and the written scenario replays it (and passes without the
 * planted change).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmp_main.h"
#include "cmp_rcase.h"
#include "cmp_shrink.h"
#include "test_support.h"

/* The seed and cases of the planted-change run: case 7 of seed 1 is the
 * first to write a text with a trailing space (SQLite: about 10 s). */
#define PLANTED_SEED "1"
#define PLANTED_CASES "12"

static char *render(const mdm_rc_case *c)
{
    mdm_buf b;
    mdm_error err;
    mdm_buf_init(&b);
    assert_int_equal(mdm_rc_render(c, "x", NULL, &b, &err), MDM_OK);
    char *s = strdup(mdm_buf_str(&b));
    mdm_buf_reset(&b);
    return s;
}

static void generate__same_seed_same_case(void **state)
{
    (void)state;
    for (uint64_t i = 0; i < 20; i++) {
        mdm_rc_case a, b, other;
        mdm_error err;
        mdm_rc_case_init(&a);
        mdm_rc_case_init(&b);
        mdm_rc_case_init(&other);
        assert_int_equal(mdm_rc_generate(42, i, 5000, &a, &err), MDM_OK);
        assert_int_equal(mdm_rc_generate(42, i, 5000, &b, &err), MDM_OK);
        assert_int_equal(mdm_rc_generate(43, i, 5000, &other, &err), MDM_OK);
        char *ta = render(&a), *tb = render(&b), *to = render(&other);
        assert_string_equal(ta, tb);
        assert_true(a.nops >= 2 && a.ncsv >= 1);
        assert_true(a.csv[0].ncols >= 1 && a.csv[0].ncols <= MDM_RC_MAX_COLS);
        assert_true(a.csv[0].nrows <= 5000);
        for (size_t r = 0; r < a.csv[0].nrows * a.csv[0].ncols; r++) {
            const char *va = a.csv[0].field[r], *vb = b.csv[0].field[r];
            assert_string_equal(va, vb);
        }
        if (i == 0)
            assert_string_not_equal(ta, to);   /* another seed, another case */
        free(ta);
        free(tb);
        free(to);
        mdm_rc_case_reset(&a);
        mdm_rc_case_reset(&b);
        mdm_rc_case_reset(&other);
    }
}

/* A stand-in difference: some switched-on cell of a used file holds a
 * value with a trailing space. */
static bool has_trailing_space(void *ctx, const mdm_rc_case *c)
{
    int *runs = ctx;
    (*runs)++;
    bool used = false;
    for (size_t i = 0; i < c->nops; i++)
        used |= c->ops[i].on && c->ops[i].kind == MDM_RC_REGISTER && c->ops[i].csv == 0;
    const mdm_rc_csv *f = &c->csv[0];
    for (size_t r = 0; used && r < f->nrows; r++) {
        for (size_t k = 0; f->row_on[r] && k < f->ncols; k++) {
            const char *v = f->value[r * f->ncols + k];
            size_t n = v ? strlen(v) : 0;
            if (f->col_on[k] && n > 0 && v[n - 1] == ' ')
                return true;
        }
    }
    return false;
}

static void shrink__leaves_one_minimal_case(void **state)
{
    (void)state;
    bool tried = false;
    for (uint64_t i = 0; i < 200 && !tried; i++) {
        mdm_rc_case c;
        mdm_error err;
        int runs = 0;
        mdm_rc_case_init(&c);
        assert_int_equal(mdm_rc_generate(5, i, 5000, &c, &err), MDM_OK);
        if (c.csv[0].nrows > 20 && has_trailing_space(&runs, &c)) {
            mdm_shrink_stats st;
            mdm_shrink_case(&c, has_trailing_space, &runs, 1e300, &st);
            size_t rows, cols, ops;
            mdm_rc_size(&c, &rows, &cols, &ops);
            assert_true(st.complete);
            assert_true(has_trailing_space(&runs, &c));
            /* one row, one column, the one register */
            assert_int_equal(rows, 1);
            assert_int_equal(cols, 1);
            assert_int_equal(ops, 1);
            assert_true(st.tests > 3);
            tried = true;
        }
        mdm_rc_case_reset(&c);
    }
    assert_true(tried);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static long json_num(const char *from, const char *key)
{
    const char *p = strstr(from, key);
    if (p == NULL)
        fail_msg("%s not in %s", key, from);
    return strtol(p + strlen(key), NULL, 10);
}

static int run_main(const char *const *args)
{
    char *argv[32];
    int argc = 0;
    for (; args[argc] != NULL; argc++)
        argv[argc] = (char *)args[argc];
    argv[argc] = NULL;
    return mdm_cmp_main(argc, argv);
}

static void random__planted_change_is_found_shrunk_and_replayed(void **state)
{
    (void)state;
    char dir[512], reports[700], json_path[800], scn[800], replay[700];
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(reports, sizeof reports, "%s/reports", dir);
    snprintf(replay, sizeof replay, "%s/replay", dir);
    const char *args[] = { "mdm-compare", "--random", "--seed", PLANTED_SEED, "--cases",
                           PLANTED_CASES, "--backend", "sqlite", "-j", "2", "--expected",
                           "fixtures/expected-differences", "--report-dir", reports,
                           "--mutate", "trailing-spaces", NULL };
    assert_int_equal(run_main(args), 1);

    snprintf(json_path, sizeof json_path, "%s/random.json", reports);
    char *json = read_text(json_path);
    /* the first unexpected difference: the mutated modern cell, a value */
    const char *d = strstr(json, "\"differences\": [");
    assert_non_null(d);
    assert_non_null(strstr(d, "\"cell\": \"modern\", \"kind\": \"value\""));
    const char *msg = strstr(d, "\"shrunk_message\": ");
    assert_non_null(msg);
    /* legacy kept the trailing space, the planted change lost it */
    if (strstr(msg, " ' (TEXT) vs '") == NULL)
        fail_msg("not a trailing-space difference: %.300s", msg);
    assert_true(json_num(d, "\"rows\": ") <= 3);
    assert_true(json_num(d, "\"columns\": ") <= 2);
    assert_true(json_num(d, "\"operations\": ") <= 3);
    assert_non_null(strstr(d, "\"replays\": true"));
    const char *path = strstr(d, "\"scenario\": \"");
    assert_non_null(path);
    path += strlen("\"scenario\": \"");
    snprintf(scn, sizeof scn, "%.*s", (int)strcspn(path, "\""), path);
    free(json);

    /* the written file is a scenario: it replays the difference with the
     * planted change, and passes without it */
    char *text = read_text(scn);
    assert_non_null(strstr(text, "# mdm-compare --random --seed " PLANTED_SEED));
    free(text);
    const char *again[] = { "mdm-compare", "--backend", "sqlite", "--expected",
                            "fixtures/expected-differences", "--report-dir", replay,
                            "--mutate", "trailing-spaces", scn, NULL };
    assert_int_equal(run_main(again), 1);
    const char *clean[] = { "mdm-compare", "--backend", "sqlite", "--expected",
                            "fixtures/expected-differences", "--report-dir", replay, scn, NULL };
    assert_int_equal(run_main(clean), 0);
    mdm_test_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generate__same_seed_same_case),
        cmocka_unit_test(shrink__leaves_one_minimal_case),
        cmocka_unit_test(random__planted_change_is_found_shrunk_and_replayed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
