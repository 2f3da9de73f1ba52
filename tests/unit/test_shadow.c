/* SPDX-License-Identifier: MIT */
/*
 * test_shadow.c - the shadow runner (adapter/mdm_shadow.c) on its own, with
 * sides that hand back prepared tables or errors: arguments, every kind of
 * first difference as the log names it, the multiset comparison (text,
 * NULL, duplicates), the JSON escaping of what callers pass in (a log line
 * is one line that decodes back to the text), a missing candidate, and a
 * log on a full disk (/dev/full). Needs no legacy/: the migration tests
 * (test_shadow_legacy.c, test_adapter_shadow.c) run it against the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "mdm_shadow.h"
#include "test_support.h"

typedef struct fx {
    char dir[256], log[320];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->log, sizeof f->log, "%s/shadow.jsonl", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f != NULL)
        mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* ---- tables and sides ------------------------------------------------------------ */

/* A column spec: name, type, declared type (may be NULL). */
typedef struct colspec {
    const char *name;
    mdm_type type;
    const char *decl;
} colspec;

/* A cell as text: NULL pointer for SQL NULL; parsed by the column's type. */
static void push(mdm_table *t, size_t c, const char *v)
{
    mdm_error e;
    mdm_status rc;
    if (v == NULL)
        rc = mdm_table_push_null(t, c, &e);
    else if (t->cols[c].type == MDM_INT64)
        rc = mdm_table_push_int64(t, c, strtoll(v, NULL, 10), &e);
    else if (t->cols[c].type == MDM_FLOAT64)
        rc = mdm_table_push_float64(t, c, strtod(v, NULL), &e);
    else
        rc = mdm_table_push_text(t, c, v, strlen(v), &e);
    assert_int_equal(rc, MDM_OK);
}

/* A table of ncols columns and nrows rows of cells (row-major). */
static void build(mdm_table *t, const colspec *cols, size_t ncols, const char *const *cells,
                  size_t nrows)
{
    mdm_error e;
    mdm_table_init(t);
    for (size_t c = 0; c < ncols; c++) {
        assert_int_equal(mdm_table_add_column(t, cols[c].name, cols[c].type, &e), MDM_OK);
        assert_int_equal(mdm_table_set_decl_type(t, c, cols[c].decl, &e), MDM_OK);
    }
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++)
            push(t, c, cells[r * ncols + c]);
        assert_int_equal(mdm_table_end_row(t, &e), MDM_OK);
    }
}

/* One side of an experiment: a copy of `table`, or `fail` with a message. */
typedef struct side_arg {
    const mdm_table *table;
    mdm_status fail;
    int calls;
} side_arg;

static mdm_status side(void *arg, mdm_table *out, mdm_error *err)
{
    side_arg *s = arg;
    mdm_table t;
    s->calls++;
    if (s->fail != MDM_OK)
        return mdm_error_set(err, s->fail, "side failed on purpose");
    mdm_table_init(&t);
    for (size_t c = 0; c < s->table->ncols; c++) {
        assert_int_equal(mdm_table_add_column(&t, s->table->cols[c].name, s->table->cols[c].type,
                                              err), MDM_OK);
        assert_int_equal(mdm_table_set_decl_type(&t, c, s->table->cols[c].decl_type, err), MDM_OK);
    }
    assert_int_equal(mdm_table_append_table(&t, s->table, err), MDM_OK);
    mdm_table_move(out, &t);
    return MDM_OK;
}

/* ---- the log ---------------------------------------------------------------------- */

/* The log's last line (caller frees), or NULL when the log is empty;
 * *count gets the number of lines. */
static char *last_line(const char *path, size_t *count)
{
    char buf[16384], *last = NULL;
    FILE *fp = fopen(path, "r");
    *count = 0;
    while (fp != NULL && fgets(buf, sizeof buf, fp) != NULL) {
        free(last);
        last = strdup(buf);
        (*count)++;
    }
    if (fp != NULL)
        fclose(fp);
    return last;
}

static void assert_has(const char *line, const char *part)
{
    if (line == NULL || strstr(line, part) == NULL)
        fail_msg("no %s in %s", part, line != NULL ? line : "(no line)");
}

/* Decodes the JSON string value of "key" in line (an independent reader:
 * \" \\ \/ \b \f \n \r \t and \u00XX). Returns a malloc'd string. */
static char *json_value(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(line, pat);
    assert_non_null(p);
    p += strlen(pat);
    char *out = calloc(strlen(p) + 1, 1), *o = out;
    assert_non_null(out);
    for (; *p != '"'; p++) {
        assert_true(*p != '\0');
        if (*p != '\\') {
            *o++ = *p;
            continue;
        }
        p++;
        switch (*p) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            char hex[5] = {p[1], p[2], p[3], p[4], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            p += 4;
            break;
        }
        default: *o++ = *p; break;   /* " \ / */
        }
    }
    return out;
}

/* ---- arguments ---------------------------------------------------------------------- */

static void shadow__init_needs_a_log_path_that_fits(void **state)
{
    fx *f = *state;
    mdm_shadow sh;
    mdm_error err;
    char path[sizeof sh.log_path + 1];
    assert_int_equal(mdm_shadow_init(NULL, f->log, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_shadow_init(&sh, NULL, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_shadow_init(&sh, "", NULL, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "shadow: no log path");
    memset(path, 'x', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';   /* one byte more than the field holds */
    assert_int_equal(mdm_shadow_init(&sh, path, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "shadow: log path too long");
    path[sizeof path - 2] = '\0';   /* exactly what fits */
    assert_int_equal(mdm_shadow_init(&sh, path, NULL, &err), MDM_OK);
    assert_string_equal(sh.log_path, path);
    assert_int_equal(sh.stats.runs, 0);
}

static void shadow__run_refuses_null_arguments(void **state)
{
    fx *f = *state;
    static const colspec cols[] = {{"id", MDM_INT64, NULL}};
    static const char *const cells[] = {"1"};
    mdm_shadow sh;
    mdm_table t, out;
    mdm_error err;
    build(&t, cols, 1, cells, 1);
    side_arg ctl = {&t, MDM_OK, 0};
    mdm_shadow_call call = {"load", "d", NULL, true, side, &ctl, side, &ctl, NULL, NULL, NULL, NULL};
    mdm_shadow_call no_control = {"load", "d", NULL, true, NULL, NULL, side, &ctl, NULL, NULL, NULL, NULL};
    assert_int_equal(mdm_shadow_init(&sh, f->log, NULL, &err), MDM_OK);
    mdm_table_init(&out);
    assert_int_equal(mdm_shadow_run(NULL, &call, &out, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "shadow: NULL argument");
    assert_int_equal(mdm_shadow_run(&sh, NULL, &out, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_shadow_run(&sh, &no_control, &out, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_shadow_run(&sh, &call, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(ctl.calls, 0);           /* nothing ran */
    assert_int_equal(sh.stats.runs, 0);
    assert_false(mdm_test_file_exists(f->log));
    mdm_table_reset(&t);
}

/* No candidate at all: the control answers, and the missing candidate is
 * logged as a candidate error (NOT_IMPLEMENTED). */
static void shadow__a_missing_candidate_is_a_candidate_error(void **state)
{
    fx *f = *state;
    static const colspec cols[] = {{"id", MDM_INT64, NULL}};
    static const char *const cells[] = {"4", "5"};
    char want[128];
    size_t n = 0;
    mdm_shadow sh;
    mdm_table t, out;
    mdm_error err;
    build(&t, cols, 1, cells, 2);
    side_arg ctl = {&t, MDM_OK, 0};
    mdm_shadow_call call = {"load", "d", "train", true, side, &ctl, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(mdm_shadow_init(&sh, f->log, NULL, &err), MDM_OK);
    mdm_table_init(&out);
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    assert_true(mdm_table_equal(&t, &out, NULL, NULL));
    assert_int_equal(sh.stats.candidate_errors, 1);
    assert_int_equal(sh.stats.mismatches, 1);
    char *line = last_line(f->log, &n);
    assert_int_equal(n, 1);
    assert_has(line, "\"outcome\":\"candidate_error\"");
    snprintf(want, sizeof want, "\"candidate\":{\"status\":\"%s\"",
             mdm_status_name(MDM_ERR_NOT_IMPLEMENTED));
    assert_has(line, want);
    assert_has(line, "\"control\":{\"status\":\"ok\",\"rows\":2,\"columns\":1}");
    assert_null(strstr(line, "first_difference"));   /* nothing to show */
    free(line);
    mdm_table_reset(&out);
    mdm_table_reset(&t);
}

/* ---- differences --------------------------------------------------------------------- */

/* Each kind of first difference, as mdm_table_equal finds it, is logged
 * under its name, with a row only for values and a column except for
 * counts. */
static void shadow__each_kind_of_difference_is_named_in_the_log(void **state)
{
    fx *f = *state;
    static const colspec base[] = {{"id", MDM_INT64, "BIGINT"}};
    static const colspec two[] = {{"id", MDM_INT64, "BIGINT"}, {"x", MDM_INT64, "BIGINT"}};
    static const colspec renamed[] = {{"key", MDM_INT64, "BIGINT"}};
    static const colspec retyped[] = {{"id", MDM_TEXT, "TEXT"}};
    static const colspec redeclared[] = {{"id", MDM_INT64, "INTEGER"}};
    static const char *const rows2[] = {"1", "2"}, *const rows3[] = {"1", "2", "3"};
    static const char *const other[] = {"1", "5"}, *const pairs[] = {"1", "1", "2", "2"};
    static const struct {
        mdm_diff_kind kind;
        const colspec *cols;
        size_t ncols;
        const char *const *cells;
        size_t nrows;
    } cases[] = {
        {MDM_DIFF_COLUMN_COUNT, two, 2, pairs, 2},
        {MDM_DIFF_COLUMN_NAME, renamed, 1, rows2, 2},
        {MDM_DIFF_COLUMN_TYPE, retyped, 1, rows2, 2},
        {MDM_DIFF_DECL_TYPE, redeclared, 1, rows2, 2},
        {MDM_DIFF_ROW_COUNT, base, 1, rows3, 3},
        {MDM_DIFF_VALUE, base, 1, other, 2},
    };
    mdm_shadow sh;
    mdm_table ctl_t, out;
    mdm_error err;
    build(&ctl_t, base, 1, rows2, 2);
    assert_int_equal(mdm_shadow_init(&sh, f->log, NULL, &err), MDM_OK);
    sh.compare.check_decl_types = true;
    mdm_table_init(&out);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mdm_table cand_t;
        mdm_table_diff d;
        char want[160];
        size_t n = 0;
        build(&cand_t, cases[i].cols, cases[i].ncols, cases[i].cells, cases[i].nrows);
        assert_false(mdm_table_equal(&ctl_t, &cand_t, &sh.compare, &d));
        assert_int_equal(d.kind, cases[i].kind);   /* the case is what it says */
        side_arg ctl = {&ctl_t, MDM_OK, 0}, cand = {&cand_t, MDM_OK, 0};
        mdm_shadow_call call = {"load", "d", "train", true, side, &ctl, side, &cand, NULL, NULL, NULL, NULL};
        assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
        assert_true(mdm_table_equal(&ctl_t, &out, NULL, NULL));   /* the control's */
        char *line = last_line(f->log, &n);
        assert_int_equal(n, i + 1);
        snprintf(want, sizeof want, "\"first_difference\":{\"kind\":\"%s\"",
                 mdm_diff_kind_name(cases[i].kind));
        assert_has(line, want);
        bool counts = cases[i].kind == MDM_DIFF_COLUMN_COUNT || cases[i].kind == MDM_DIFF_ROW_COUNT;
        assert_true((strstr(line, "\"column\":") != NULL) == !counts);
        assert_true((strstr(line, "\"row\":") != NULL) == (cases[i].kind == MDM_DIFF_VALUE));
        free(line);
        mdm_table_reset(&cand_t);
    }
    assert_int_equal(sh.stats.mismatches, 6);
    mdm_table_reset(&out);
    mdm_table_reset(&ctl_t);
}

/* Kind names are distinct, lowercase words; a value outside the enum gets
 * a name of its own (never NULL, never a real kind's). */
static void shadow__diff_kind_names_are_distinct(void **state)
{
    (void)state;
    const char *names[MDM_DIFF_VALUE + 2];
    for (int k = MDM_DIFF_NONE; k <= MDM_DIFF_VALUE + 1; k++) {
        names[k] = mdm_diff_kind_name((mdm_diff_kind)k);
        assert_non_null(names[k]);
        assert_true(names[k][0] != '\0');
        for (const char *p = names[k]; *p; p++)
            assert_true(islower((unsigned char)*p) || *p == '_');
        for (int j = 0; j < k; j++)
            if (strcmp(names[j], names[k]) == 0)
                fail_msg("kinds %d and %d are both named '%s'", j, k, names[k]);
    }
}

/* Unordered operations: rows are compared as a multiset, with text and
 * NULL cells kept apart (NULL is not ''), duplicates counted. */
static void shadow__unordered_rows_compare_as_a_multiset(void **state)
{
    fx *f = *state;
    static const colspec cols[] = {{"s", MDM_TEXT, NULL}, {"v", MDM_FLOAT64, NULL},
                                   {"t", MDM_TEXT, NULL}};
    static const char *const a_cells[] = {"x", "1.5", NULL, "y", NULL, "z", "x", "1.5", NULL};
    static const char *const shuffled[] = {"y", NULL, "z", "x", "1.5", NULL, "x", "1.5", NULL};
    static const char *const empty_not_null[] = {"y", NULL, "z", "x", "1.5", "", "x", "1.5", NULL};
    static const char *const other_text[] = {"y", NULL, "Z", "x", "1.5", NULL, "x", "1.5", NULL};
    static const char *const other_dups[] = {"y", NULL, "z", "y", NULL, "z", "x", "1.5", NULL};
    mdm_table a, b;
    build(&a, cols, 3, a_cells, 3);
    build(&b, cols, 3, shuffled, 3);
    assert_false(mdm_table_equal(&a, &b, NULL, NULL));
    assert_true(mdm_table_equal_unordered(&a, &b, NULL));
    assert_true(mdm_table_equal_unordered(&a, &a, NULL));
    mdm_table_reset(&b);
    build(&b, cols, 3, empty_not_null, 3);
    assert_false(mdm_table_equal_unordered(&a, &b, NULL));
    mdm_table_reset(&b);
    build(&b, cols, 3, other_text, 3);
    assert_false(mdm_table_equal_unordered(&a, &b, NULL));
    mdm_table_reset(&b);
    build(&b, cols, 3, other_dups, 3);
    assert_false(mdm_table_equal_unordered(&a, &b, NULL));
    mdm_table_reset(&b);
    build(&b, cols, 3, shuffled, 2);   /* a row fewer: no reordering helps */
    assert_false(mdm_table_equal_unordered(&a, &b, NULL));
    mdm_table_reset(&b);

    /* through a run: shuffled rows match unless the order is promised */
    mdm_shadow sh;
    mdm_table out;
    mdm_error err;
    build(&b, cols, 3, shuffled, 3);
    side_arg ctl = {&a, MDM_OK, 0}, cand = {&b, MDM_OK, 0};
    mdm_shadow_call call = {"query", "d", "SELECT ...", false, side, &ctl, side, &cand, NULL, NULL, NULL, NULL};
    assert_int_equal(mdm_shadow_init(&sh, f->log, NULL, &err), MDM_OK);
    mdm_table_init(&out);
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    assert_int_equal(sh.stats.matches, 1);
    assert_false(mdm_test_file_exists(f->log));
    call.ordered = true;
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    assert_int_equal(sh.stats.mismatches, 1);
    assert_true(mdm_test_file_exists(f->log));
    mdm_table_reset(&out);
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

/* A write side that wrote (or failed as told); its table stays empty. */
static mdm_status wrote(void *arg, mdm_table *out, mdm_error *err)
{
    side_arg *s = arg;
    (void)out;
    s->calls++;
    return s->fail != MDM_OK ? mdm_error_set(err, s->fail, "write failed on purpose") : MDM_OK;
}

/* Writes: both sides write, then their tables are read back (the side
 * function again, as the check) and reconciled: rows in another order
 * match by checksums; a value moved to another row, or a row more, does
 * not, and the log line carries both sides' checksums and the first rows
 * where they part; a failed control write is the caller's status. */
static void shadow__written_tables_are_reconciled_by_checksums(void **state)
{
    fx *f = *state;
    static const colspec cols[] = {{"s", MDM_TEXT, NULL}, {"v", MDM_INT64, NULL}};
    static const char *const a_cells[] = {"x", "1", "y", "2", "z", NULL};
    static const char *const shuffled[] = {"z", NULL, "x", "1", "y", "2"};
    static const char *const moved[] = {"x", "2", "y", "1", "z", NULL};   /* same columns */
    mdm_table a, b, out;
    mdm_shadow sh;
    mdm_error err;
    size_t n = 0;
    build(&a, cols, 2, a_cells, 3);
    build(&b, cols, 2, shuffled, 3);
    side_arg ctl = {&a, MDM_OK, 0}, cand = {&b, MDM_OK, 0};
    mdm_shadow_call call = {"append", "d", "train", false, wrote, &ctl, wrote, &cand, "writes",
                            "modern", side, side};
    assert_int_equal(mdm_shadow_init(&sh, f->log, NULL, &err), MDM_OK);
    mdm_table_init(&out);
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    assert_int_equal(sh.stats.matches, 1);
    assert_int_equal(ctl.calls, 2);   /* its write, then its read-back */
    mdm_table_reset(&b);
    build(&b, cols, 2, moved, 3);
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    assert_int_equal(sh.stats.mismatches, 1);
    char *line = last_line(f->log, &n);
    assert_non_null(line);
    assert_has(line, "\"checksums\":{\"rows\":\"");
    assert_has(line, "\"first_differing_rows\":{\"control\":\"x, 1\",\"candidate\":\"x, 2\"}");
    free(line);
    mdm_table_reset(&b);
    build(&b, cols, 2, a_cells, 2);   /* a row fewer */
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    assert_int_equal(sh.stats.mismatches, 2);
    line = last_line(f->log, &n);
    assert_has(line, "\"kind\":\"row_count\"");
    free(line);
    ctl.fail = MDM_ERR_EXISTS;   /* the control's write fails: its status, not the read-back's */
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_ERR_EXISTS);
    assert_string_equal(err.message, "write failed on purpose");
    assert_int_equal(sh.stats.runs, 4);
    mdm_table_reset(&out);
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

/* ---- the log line ------------------------------------------------------------------- */

/* Whatever the caller passes (SQL with newlines, tabs, quotes, control
 * characters), a record stays one line, and its strings decode back. */
static void shadow__log_records_escape_what_callers_pass(void **state)
{
    fx *f = *state;
    static const colspec cols[] = {{"id", MDM_INT64, NULL}};
    static const char *const one[] = {"1"}, *const two[] = {"2"};
    static const char detail[] = "SELECT \"a\\b\"\n\tFROM t\r\n WHERE x = '\x01\x1f'";
    static const char dataset[] = "odd \"name\"\\";
    size_t n = 0;
    mdm_shadow sh;
    mdm_table a, b, out;
    mdm_error err;
    build(&a, cols, 1, one, 1);
    build(&b, cols, 1, two, 1);
    side_arg ctl = {&a, MDM_OK, 0}, cand = {&b, MDM_OK, 0};
    mdm_shadow_call call = {"query", dataset, detail, true, side, &ctl, side, &cand, NULL, NULL, NULL, NULL};
    assert_int_equal(mdm_shadow_init(&sh, f->log, NULL, &err), MDM_OK);
    mdm_table_init(&out);
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    char *line = last_line(f->log, &n);
    assert_int_equal(n, 1);
    size_t len = strlen(line);
    assert_true(len > 1 && line[len - 1] == '\n');
    for (size_t i = 0; i + 1 < len; i++)
        if ((unsigned char)line[i] < 0x20)
            fail_msg("raw control character 0x%02x at %zu in %s", line[i], i, line);
    char *got = json_value(line, "detail");
    assert_string_equal(got, detail);
    free(got);
    got = json_value(line, "dataset");
    assert_string_equal(got, dataset);
    free(got);
    free(line);
    mdm_table_reset(&out);
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

/* A log on a full disk: every failed line is counted, the warning comes
 * once with the system's reason, and the caller's answer is unchanged. */
static void shadow__a_full_disk_is_reported_once(void **state)
{
    (void)state;
    static const colspec cols[] = {{"id", MDM_INT64, NULL}};
    static const char *const one[] = {"1"}, *const two[] = {"2"};
    char text[512] = "";
    mdm_shadow sh;
    mdm_table a, b, out;
    mdm_error err;
    if (!mdm_test_file_exists("/dev/full")) {
        print_message("no /dev/full here: skipping\n");
        skip();
    }
    FILE *warn = tmpfile();
    assert_non_null(warn);
    build(&a, cols, 1, one, 1);
    build(&b, cols, 1, two, 1);
    side_arg ctl = {&a, MDM_OK, 0}, cand = {&b, MDM_OK, 0};
    mdm_shadow_call call = {"load", "d", NULL, true, side, &ctl, side, &cand, NULL, NULL, NULL, NULL};
    assert_int_equal(mdm_shadow_init(&sh, "/dev/full", warn, &err), MDM_OK);
    mdm_table_init(&out);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
        assert_true(mdm_table_equal(&a, &out, NULL, NULL));
    }
    assert_int_equal(sh.stats.mismatches, 2);
    assert_int_equal(sh.stats.log_failures, 2);
    rewind(warn);
    size_t got = fread(text, 1, sizeof text - 1, warn);
    text[got] = '\0';
    assert_has(text, "cannot append to shadow log '/dev/full': ");
    assert_has(text, strerror(ENOSPC));
    assert_non_null(strchr(text, '\n'));
    assert_null(strchr(strchr(text, '\n') + 1, '\n'));   /* one line */
    fclose(warn);
    mdm_table_reset(&out);
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}


/* ---- expected differences and evidence ------------------------------------------------ */

static const char EXPECT_LIST[] =
    "[bool-as-int]\n"
    "backend = sqlite\n"
    "cell = legacy>modern\n"
    "kind = column_type\n"
    "detail = column * type: 'INT64' vs 'BOOL'\n"
    "quirk = q\nreason = r\n"
    "[legacy-syntax-error]\n"
    "scenario = identifiers\n"    /* shadow runs no scenario: not checked */
    "op = read\n"
    "kind = error\n"
    "detail = legacy: error sql: * | *: ok, *\n"
    "quirk = q\nreason = r\n"
    "[both-fail-kinds]\n"
    "op = query\n"
    "kind = error_kind\n"
    "detail = legacy: error sql: * | modern: error not_found: *\n"
    "quirk = q\nreason = r\n";

/* A table with an id and a flag column: the flag as INT64 (legacy's
 * SQLite read) or BOOL; `bad` changes the second id. */
static void flag_table(mdm_table *t, bool as_bool, bool bad)
{
    mdm_error e;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &e), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "ok", as_bool ? MDM_BOOL : MDM_INT64, &e), MDM_OK);
    for (int r = 0; r < 2; r++) {
        assert_int_equal(mdm_table_push_int64(t, 0, r == 1 && bad ? 9 : r + 1, &e), MDM_OK);
        if (as_bool)
            assert_int_equal(mdm_table_push_bool(t, 1, r == 0, &e), MDM_OK);
        else
            assert_int_equal(mdm_table_push_int64(t, 1, r == 0, &e), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &e), MDM_OK);
    }
}

/* The expected id recorded for each outcome ("" for none), in one string
 * "outcome:id:n;" sorted. */
static void recorded(const char *path, char *out, size_t n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT outcome, expect_id, sum(n) FROM counts "
                                            "GROUP BY 1, 2 ORDER BY 1, 2", -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s:%s:%d;", sqlite3_column_text(st, 0),
                 sqlite3_column_text(st, 1), sqlite3_column_int(st, 2));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void shadow__expected_differences_are_counted_not_logged(void **state)
{
    fx *f = *state;
    mdm_expect_list l;
    mdm_shadow sh;
    mdm_table ints, bools, bools_bad, out;
    mdm_error err;
    char ev[400], got[600];
    size_t lines = 0;
    snprintf(ev, sizeof ev, "%s/evidence.sqlite", f->dir);
    mdm_expect_list_init(&l);
    assert_int_equal(mdm_expect_parse("list", EXPECT_LIST, strlen(EXPECT_LIST), &l, &err), MDM_OK);
    flag_table(&ints, false, false);
    flag_table(&bools, true, false);
    flag_table(&bools_bad, true, true);
    side_arg legacy = {&ints, MDM_OK, 0}, modern = {&bools, MDM_OK, 0};
    side_arg modern_bad = {&bools_bad, MDM_OK, 0};
    side_arg sql_err = {&ints, MDM_ERR_SQL, 0}, nf_err = {&ints, MDM_ERR_NOT_FOUND, 0};
    assert_int_equal(mdm_shadow_init(&sh, f->log, NULL, &err), MDM_OK);
    assert_int_equal(mdm_shadow_set_evidence(&sh, ev, 7, &l, "sqlite", &err), MDM_OK);
    mdm_table_init(&out);
    struct {
        const char *op, *cell;
        side_arg *ctl, *cand;
    } runs[] = {
        {"load", "legacy>modern", &legacy, &modern},      /* expected: bool-as-int */
        {"load", "legacy>modern", &legacy, &modern_bad},  /* the type is, the id is not */
        {"load", "modern", &legacy, &modern},             /* another cell: mismatch */
        {"read_table", NULL, &sql_err, &modern},          /* expected: legacy-syntax-error */
        {"info", NULL, &sql_err, &modern},                /* op info: control error */
        {"query", NULL, &sql_err, &nf_err},               /* expected: both-fail-kinds */
        {"query", NULL, &legacy, &nf_err},                /* candidate error */
        {"query", NULL, &legacy, &legacy},                /* match */
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        mdm_shadow_call call = {runs[i].op, "d", NULL, true, side, runs[i].ctl, side,
                                runs[i].cand, NULL, runs[i].cell, NULL, NULL};
        mdm_status want = runs[i].ctl->fail;
        assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), want);
        mdm_table_reset(&out);
    }
    assert_int_equal(sh.stats.runs, 8);
    assert_int_equal(sh.stats.matches, 1);
    assert_int_equal(sh.stats.expected, 3);
    assert_int_equal(sh.stats.mismatches, 4);   /* logged: the unexpected ones only */
    free(last_line(f->log, &lines));
    assert_int_equal(lines, 4);
    recorded(ev, got, sizeof got);
    assert_string_equal(got, "candidate_error::1;control_error::1;"
                             "expected:bool-as-int:1;expected:both-fail-kinds:1;"
                             "expected:legacy-syntax-error:1;match::1;mismatch::2;");
    mdm_evidence_summary s;
    assert_int_equal(mdm_evidence_summarize(ev, 7, "reads", NULL, &s, &err), MDM_OK);
    assert_int_equal(s.total, 8);

    /* another backend: the sqlite entry no longer applies */
    assert_int_equal(mdm_shadow_set_evidence(&sh, NULL, 0, &l, "postgresql", &err), MDM_OK);
    mdm_shadow_call call = {"load", "d", NULL, true, side, &legacy, side, &modern, "writes",
                            "legacy>modern", NULL, NULL};
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    assert_int_equal(sh.stats.expected, 3);
    assert_int_equal(sh.stats.mismatches, 5);
    mdm_table_reset(&out);
    mdm_table_reset(&ints);
    mdm_table_reset(&bools);
    mdm_table_reset(&bools_bad);
    mdm_expect_list_reset(&l);
}

static void shadow__evidence_that_cannot_be_recorded_is_reported_once(void **state)
{
    fx *f = *state;
    mdm_shadow sh;
    mdm_table a, out;
    mdm_error err;
    char ev[400], text[512] = "", big[sizeof sh.evidence_path + 1];
    FILE *warn = tmpfile();
    assert_non_null(warn);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(mdm_shadow_init(&sh, f->log, warn, &err), MDM_OK);
    assert_int_equal(mdm_shadow_set_evidence(&sh, big, 1, NULL, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "shadow: evidence path too long");
    snprintf(ev, sizeof ev, "%s/no/such/folder/evidence.sqlite", f->dir);
    assert_int_equal(mdm_shadow_set_evidence(&sh, ev, 1, NULL, NULL, &err), MDM_OK);
    flag_table(&a, false, false);
    side_arg ctl = {&a, MDM_OK, 0};
    mdm_shadow_call call = {"load", "d", NULL, true, side, &ctl, side, &ctl, NULL, NULL, NULL, NULL};
    mdm_table_init(&out);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
        assert_true(mdm_table_equal(&a, &out, NULL, NULL));   /* the caller is unaffected */
        mdm_table_reset(&out);
    }
    assert_int_equal(sh.stats.matches, 2);
    assert_int_equal(sh.stats.log_failures, 2);
    rewind(warn);
    text[fread(text, 1, sizeof text - 1, warn)] = '\0';
    assert_has(text, "evidence file '");
    assert_null(strchr(strchr(text, '\n') + 1, '\n'));   /* one line */
    fclose(warn);
    mdm_table_reset(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(shadow__init_needs_a_log_path_that_fits, setup, teardown),
        cmocka_unit_test_setup_teardown(shadow__run_refuses_null_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(shadow__a_missing_candidate_is_a_candidate_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(shadow__each_kind_of_difference_is_named_in_the_log, setup,
                                        teardown),
        cmocka_unit_test(shadow__diff_kind_names_are_distinct),
        cmocka_unit_test_setup_teardown(shadow__written_tables_are_reconciled_by_checksums,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(shadow__unordered_rows_compare_as_a_multiset, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(shadow__log_records_escape_what_callers_pass, setup,
                                        teardown),
        cmocka_unit_test(shadow__a_full_disk_is_reported_once),
        cmocka_unit_test_setup_teardown(shadow__expected_differences_are_counted_not_logged,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            shadow__evidence_that_cannot_be_recorded_is_reported_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
