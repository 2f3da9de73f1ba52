/* SPDX-License-Identifier: MIT */
/*
 * test_dataset_register.c - the DatasetManager's register in chunks: the
 * modern store converts and writes a chunk of the CSV at a time inside one
 * transaction and reports each to the progress callback (what `mdm
 * register` shows when stderr is a terminal). Checked: the reports, every
 * row in order after fail, append and replace, a failed append changing
 * nothing, and the heap staying about one chunk while a CSV many times
 * bigger is written, on SQLite with the modern implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdm_appconfig.h"
#include "mdm_dataset.h"
#include "test_support.h"

/* CHUNK bytes of a CSV of ROWS rows (about 600 KB) make about 9 chunks. */
enum { ROWS = 45000, MAX_CALLS = 64, CHUNK = 64 << 10 };

typedef struct fx {
    char dir[256], home[320], csv[320], wide[320];
    mdm_app_config cfg;
    mdm_flag_settings flags;
    mdm_dsm *dsm;
} fx;

typedef struct calls {
    size_t n;
    uint64_t done[MAX_CALLS], total[MAX_CALLS];
    size_t heap_peak;   /* the most heap in use at a report */
} calls;

static size_t heap_now(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void record(void *ctx, uint64_t done, uint64_t total)
{
    calls *c = ctx;
    size_t heap = heap_now();
    if (c->n < MAX_CALLS) {
        c->done[c->n] = done;
        c->total[c->n] = total;
    }
    if (heap > c->heap_peak)
        c->heap_peak = heap;
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
    o.chunk_bytes = CHUNK;
    o.progress = record;
    o.progress_ctx = c;
    memset(c, 0, sizeof *c);
    mdm_status rc = mdm_dsm_register(f->dsm, "chunks", csv, &o, &res, err);
    if (rc == MDM_OK)
        assert_int_equal(res.rows, ROWS);
    return rc;
}

/* The progress of one register of ROWS rows in chunks of CHUNK bytes:
 * several reports, rising, the last at ROWS, each out of ROWS. */
static void assert_chunk_reports(const calls *c)
{
    assert_true(c->n >= 5 && c->n < MAX_CALLS);
    for (size_t i = 0; i < c->n; i++) {
        assert_int_equal(c->total[i], ROWS);
        if (i > 0)
            assert_true(c->done[i] > c->done[i - 1]);
    }
    assert_int_equal(c->done[c->n - 1], ROWS);
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

/* A new SQLite dataset is built beside its file and renamed into place:
 * nothing is left beside it; and `remove` takes away what a register
 * killed while building would leave, and what a killed shadow write
 * would (its scratch file and that file's -wal): the folder goes too. */
static void register__a_new_dataset_leaves_no_build_file_and_remove_takes_one(void **state)
{
    fx *f = *state;
    calls c;
    mdm_error err;
    mdm_buf db;
    char build[600], folder[600], scratch[600], scratch_wal[600];
    if (reg(f, f->csv, MDM_IF_EXISTS_FAIL, &c, &err) != MDM_OK)
        fail_msg("register: %s", err.message);
    mdm_buf_init(&db);
    assert_int_equal(mdm_dsm_location(f->dsm, "chunks", &db, &err), MDM_OK);
    snprintf(build, sizeof build, "%s.build", mdm_buf_str(&db));
    snprintf(folder, sizeof folder, "%s", mdm_buf_str(&db));
    *strrchr(folder, '/') = '\0';
    snprintf(scratch, sizeof scratch, "%s.shadow", mdm_buf_str(&db));
    snprintf(scratch_wal, sizeof scratch_wal, "%s.shadow-wal", mdm_buf_str(&db));
    assert_int_not_equal(access(build, F_OK), 0);
    const char *junk_files[] = {build, scratch, scratch_wal};
    for (size_t i = 0; i < 3; i++) {
        FILE *junk = fopen(junk_files[i], "w");
        assert_non_null(junk);
        fclose(junk);
    }
    assert_int_equal(mdm_dsm_remove(f->dsm, "chunks", NULL, &err), MDM_OK);
    for (size_t i = 0; i < 3; i++)
        assert_int_not_equal(access(junk_files[i], F_OK), 0);
    assert_int_not_equal(access(folder, F_OK), 0);
    mdm_buf_reset(&db);
}

/* A CSV of BIG_ROWS rows of about 200 bytes (about 40 MB, more as a
 * table) written in chunks of CHUNK bytes: the heap in use at every
 * report stays far below the table's size. */
enum { BIG_ROWS = 200000 };

static int write_big_csv(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs("id,x,label,note\n", f);
    for (int i = 0; i < BIG_ROWS; i++)
        fprintf(f, "%d,%.17g,\"label %d, quoted\",%0160d\n", i, i / 7.0, i % 97, i);
    return fclose(f);
}

static void register__big_csv_is_written_in_bounded_memory(void **state)
{
    fx *f = *state;
    char big[400];
    calls c;
    mdm_register_opts o = MDM_REGISTER_OPTS_INIT;
    mdm_dsm_result res;
    mdm_error err;
#if defined(__SANITIZE_ADDRESS__)
    skip();   /* AddressSanitizer owns malloc: mallinfo2() sees none of the heap */
#endif
    snprintf(big, sizeof big, "%s/big.csv", f->dir);
    assert_int_equal(write_big_csv(big), 0);
    memset(&c, 0, sizeof c);
    o.progress = record;
    o.progress_ctx = &c;
    o.chunk_bytes = 1 << 20;
    size_t before = heap_now();
    mdm_status rc = mdm_dsm_register(f->dsm, "big", big, &o, &res, &err);
    if (rc != MDM_OK)
        fail_msg("register: %s", err.message);
    assert_int_equal(res.rows, BIG_ROWS);
    assert_true(c.n >= 20);
    /* the whole table would hold more than 40 MB; a chunk about 1 MB */
    size_t grew = c.heap_peak > before ? c.heap_peak - before : 0;
    if (grew > (size_t)12 << 20)
        fail_msg("the heap grew by %zu bytes during the write", grew);
    mdm_table t;
    mdm_table_init(&t);
    if (mdm_dsm_load(f->dsm, "big", NULL, &t, NULL, &err) != MDM_OK)
        fail_msg("load: %s", err.message);
    assert_int_equal(t.nrows, BIG_ROWS);
    assert_int_equal(mdm_table_int64(&t, 0, BIG_ROWS - 1), BIG_ROWS - 1);
    mdm_table_reset(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(register__progress_writes_in_chunks_and_keeps_every_row,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(register__failed_chunked_append_changes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(register__big_csv_is_written_in_bounded_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            register__a_new_dataset_leaves_no_build_file_and_remove_takes_one, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
