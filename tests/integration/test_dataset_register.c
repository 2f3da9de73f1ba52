/* SPDX-License-Identifier: MIT */
/*
 * test_dataset_register.c - the DatasetManager's register with a progress
 * callback (what `mdm register` does when stderr is a terminal): the modern
 * store then writes in chunks of 20,000 rows inside one transaction and
 * reports each. Checked: the reports, every row in order after fail,
 * append and replace, on SQLite with the modern implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_appconfig.h"
#include "mdm_dataset.h"
#include "test_support.h"

enum { ROWS = 45000, MAX_CALLS = 16 };

typedef struct fx {
    char dir[256], home[320], csv[320], wide[320];
    mdm_app_config cfg;
    mdm_flag_settings flags;
    mdm_dsm *dsm;
} fx;

typedef struct calls {
    size_t n;
    uint64_t done[MAX_CALLS], total[MAX_CALLS];
} calls;

static void record(void *ctx, uint64_t done, uint64_t total)
{
    calls *c = ctx;
    if (c->n < MAX_CALLS) {
        c->done[c->n] = done;
        c->total[c->n] = total;
    }
    c->n++;
}

/* ROWS rows "id,name" (id 0..ROWS-1), or with a third column when wide. */
static int write_csv(const char *path, bool wide)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(wide ? "id,name,extra\n" : "id,name\n", f);
    for (int i = 0; i < ROWS; i++)
        fprintf(f, wide ? "%d,row %d,%d.5\n" : "%d,row %d\n", i, i, i);
    return fclose(f);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    mdm_error err;
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->csv, sizeof f->csv, "%s/rows.csv", f->dir);
    snprintf(f->wide, sizeof f->wide, "%s/wide.csv", f->dir);
    if (write_csv(f->csv, false) != 0 || write_csv(f->wide, true) != 0)
        return -1;
    mdm_app_config_init(&f->cfg);
    mdm_flag_settings_init(&f->flags);
    if (mdm_flag_apply_cli(&f->flags, "modern", &err) != MDM_OK)
        return -1;
    mdm_dsm_opts o = {f->home, NULL, &f->cfg, &f->flags, NULL};
    return mdm_dsm_new(&f->dsm, &o, &err) == MDM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f != NULL) {
        mdm_dsm_free(f->dsm);
        mdm_app_config_reset(&f->cfg);
        mdm_test_rmrf(f->dir);
    }
    free(f);
    return 0;
}

static mdm_status reg(fx *f, const char *csv, mdm_if_exists mode, calls *c, mdm_error *err)
{
    mdm_register_opts o = MDM_REGISTER_OPTS_INIT;
    mdm_dsm_result res;
    o.if_exists = mode;
    o.progress = record;
    o.progress_ctx = c;
    memset(c, 0, sizeof *c);
    mdm_status rc = mdm_dsm_register(f->dsm, "chunks", csv, &o, &res, err);
    if (rc == MDM_OK)
        assert_int_equal(res.rows, ROWS);
    return rc;
}

/* The progress of one register of ROWS rows: 20000, 40000, ROWS. */
static void assert_chunk_reports(const calls *c)
{
    assert_int_equal(c->n, 3);
    assert_int_equal(c->done[0], 20000);
    assert_int_equal(c->done[1], 40000);
    assert_int_equal(c->done[2], ROWS);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(c->total[i], ROWS);
}

/* Loads the table; checks its shape and that ids run 0..ROWS-1 repeated. */
static void assert_rows(fx *f, size_t want_rows, size_t want_cols)
{
    mdm_table t;
    mdm_error err;
    mdm_table_init(&t);
    if (mdm_dsm_load(f->dsm, "chunks", NULL, &t, NULL, &err) != MDM_OK)
        fail_msg("load: %s", err.message);
    assert_int_equal(t.nrows, want_rows);
    assert_int_equal(t.ncols, want_cols);
    for (size_t r = 0; r < t.nrows; r++) {
        if (mdm_table_int64(&t, 0, r) != (int64_t)(r % ROWS))
            fail_msg("row %zu: id %lld", r, (long long)mdm_table_int64(&t, 0, r));
    }
    mdm_table_reset(&t);
}

static void register__progress_writes_in_chunks_and_keeps_every_row(void **state)
{
    fx *f = *state;
    calls c;
    mdm_error err;
    if (reg(f, f->csv, MDM_IF_EXISTS_FAIL, &c, &err) != MDM_OK)
        fail_msg("register: %s", err.message);
    assert_chunk_reports(&c);
    assert_rows(f, ROWS, 2);

    /* a second register refuses and reports nothing written */
    assert_int_equal(reg(f, f->csv, MDM_IF_EXISTS_FAIL, &c, &err), MDM_ERR_EXISTS);
    assert_rows(f, ROWS, 2);

    if (reg(f, f->csv, MDM_IF_EXISTS_APPEND, &c, &err) != MDM_OK)
        fail_msg("append: %s", err.message);
    assert_chunk_reports(&c);
    assert_rows(f, 2 * ROWS, 2);

    /* replace: the first chunk replaces, the others append to it */
    if (reg(f, f->wide, MDM_IF_EXISTS_REPLACE, &c, &err) != MDM_OK)
        fail_msg("replace: %s", err.message);
    assert_chunk_reports(&c);
    assert_rows(f, ROWS, 3);
}

/* An append whose columns do not match fails in its first chunk and
 * leaves the table as it was. */
static void register__failed_chunked_append_changes_nothing(void **state)
{
    fx *f = *state;
    calls c;
    mdm_error err;
    if (reg(f, f->csv, MDM_IF_EXISTS_FAIL, &c, &err) != MDM_OK)
        fail_msg("register: %s", err.message);
    assert_int_not_equal(reg(f, f->wide, MDM_IF_EXISTS_APPEND, &c, &err), MDM_OK);
    assert_int_equal(c.n, 0);
    assert_rows(f, ROWS, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(register__progress_writes_in_chunks_and_keeps_every_row,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(register__failed_chunked_append_changes_nothing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
