/* SPDX-License-Identifier: MIT */
/*
 * test_adapter.c - the old interface (LEGACY.md section 10) through the
 * BackendAdapter. Every test body is written once against the adapter's
 * API and runs twice: over modern/ (the adaptation) and, in builds with
 * legacy/, over the adapter's legacy path (legacy itself), so the two
 * behave the same wherever nothing says otherwise. Where modern differs
 * from legacy on purpose, the test asserts each side and says why in a
 * comment marked "INTENDED DIFFERENCE". SQLite always; PostgreSQL when
 * MDM_PG_DSN is set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdm_adapter.h"
#include "mdm_dsn.h"
#include "test_support.h"

#if MDM_WITH_LEGACY
#include "legacy_db.h"
#endif

/* ---- fixture ------------------------------------------------------------------ */

typedef struct fx {
    mdm_impl impl;
    char dir[256];
    char a[320], b[320];      /* two database files */
    FILE *warn;               /* captured warnings */
    mdm_adapter *ad;
} fx;

static bool is_legacy(const fx *f)
{
    return f->impl == MDM_IMPL_LEGACY;
}

static int setup_impl(void **state, mdm_impl impl)
{
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_error err;
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    f->impl = impl;
    snprintf(f->a, sizeof f->a, "%s/a.sqlite", f->dir);
    snprintf(f->b, sizeof f->b, "%s/b.sqlite", f->dir);
    f->warn = tmpfile();
#if MDM_WITH_LEGACY
    legacy_reset_all();
#endif
    o.impl = impl;
    o.warn = f->warn;
    if (mdm_adapter_new(&f->ad, &o, &err) != MDM_OK) {
        print_error("mdm_adapter_new: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int setup_modern(void **state) { return setup_impl(state, MDM_IMPL_MODERN); }
#if MDM_WITH_LEGACY
static int setup_legacy(void **state) { return setup_impl(state, MDM_IMPL_LEGACY); }
#endif

static int teardown(void **state)
{
    fx *f = *state;
    if (f == NULL)
        return 0;
    mdm_adapter_free(f->ad);
#if MDM_WITH_LEGACY
    legacy_reset_all();
#endif
    if (f->warn != NULL)
        fclose(f->warn);
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* id INT64, name TEXT, score FLOAT64 (a NULL in row 2): `rows` rows,
 * values offset by `base`. */
static void make_frame(mdm_table *t, int rows, int base)
{
    mdm_error e;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &e), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "name", MDM_TEXT, &e), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "score", MDM_FLOAT64, &e), MDM_OK);
    for (int r = 0; r < rows; r++) {
        char name[32];
        snprintf(name, sizeof name, "n%d", base + r);
        assert_int_equal(mdm_table_push_int64(t, 0, base + r, &e), MDM_OK);
        assert_int_equal(mdm_table_push_text(t, 1, name, strlen(name), &e), MDM_OK);
        if (r == 1)
            assert_int_equal(mdm_table_push_null(t, 2, &e), MDM_OK);
        else
            assert_int_equal(mdm_table_push_float64(t, 2, (base + r) * 0.5, &e), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &e), MDM_OK);
    }
}

static mdm_adapter_engine *engine(fx *f, const char *path)
{
    mdm_adapter_engine *e = NULL;
    mdm_error err;
    if (mdm_adapter_get_engine(f->ad, path, &e, &err) != MDM_OK)
        fail_msg("get_engine(%s): %s", path, err.message);
    return e;
}

static void create(fx *f, mdm_adapter_engine *e, const char *table, int rows, int base,
                   const char *if_exists)
{
    mdm_table t;
    mdm_error err;
    make_frame(&t, rows, base);
    if (mdm_adapter_create_table_from_dataframe(f->ad, &t, table, e, if_exists, &err) != MDM_OK)
        fail_msg("create %s: %s", table, err.message);
    mdm_table_reset(&t);
}

/* Reads table and checks it holds `rows` rows starting at id `base`. */
static void expect_rows(fx *f, mdm_adapter_engine *e, const char *table, const int64_t *limit,
                        int rows, int base)
{
    mdm_table t, want;
    mdm_table_diff d;
    mdm_error err;
    mdm_table_init(&t);
    if (mdm_adapter_read_table_to_dataframe(f->ad, table, e, limit, &t, &err) != MDM_OK)
        fail_msg("read %s: %s", table, err.message);
    make_frame(&want, rows, base);
    if (!mdm_table_equal(&want, &t, NULL, &d))
        fail_msg("read %s: %s", table, d.message);
    mdm_table_reset(&t);
    mdm_table_reset(&want);
}

static int64_t count_rows(fx *f, mdm_adapter_engine *e, const char *table)
{
    char sql[200];
    mdm_table t;
    mdm_error err;
    mdm_table_init(&t);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) AS n FROM %s", table);
    if (mdm_adapter_execute_query(f->ad, sql, e, &t, &err) != MDM_OK)
        fail_msg("count %s: %s", table, err.message);
    assert_int_equal(t.nrows, 1);
    int64_t n = mdm_table_int64(&t, 0, 0);
    mdm_table_reset(&t);
    return n;
}

/* ---- get_engine ------------------------------------------------------------------ */

static void adapter__get_engine_warns_once_per_adapter(void **state)
{
    fx *f = *state;
    char line[400];
    int lines = 0;
    (void)engine(f, f->a);
    (void)engine(f, f->a);
    (void)engine(f, f->b);
    assert_int_equal(mdm_adapter_deprecation_warnings(f->ad), 1);
    rewind(f->warn);
    while (fgets(line, sizeof line, f->warn) != NULL) {
        lines++;
        assert_non_null(strstr(line, "get_engine() is deprecated"));
    }
    assert_int_equal(lines, 1);
    /* no global state: a second adapter warns again, once */
    mdm_adapter *other = NULL;
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter_engine *e = NULL;
    mdm_error err;
    o.impl = f->impl;
    o.warn = f->warn;
    assert_int_equal(mdm_adapter_new(&other, &o, &err), MDM_OK);
    assert_int_equal(mdm_adapter_deprecation_warnings(other), 0);
    assert_int_equal(mdm_adapter_get_engine(other, f->a, &e, &err), MDM_OK);
    assert_int_equal(mdm_adapter_deprecation_warnings(other), 1);
    mdm_adapter_free(other);
}

static void adapter__get_engine_without_a_path_fails(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = NULL;
    mdm_error err;
    assert_int_not_equal(mdm_adapter_get_engine(f->ad, NULL, &e, &err), MDM_OK);
    assert_null(e);
}

/* INTENDED DIFFERENCE (LEGACY.md 1): legacy caches one engine and hands it
 * out for any later path, so writes meant for B land in A. An engine is the
 * database it names, on both implementations (the legacy store closes
 * legacy's engine after every call): B is B. */
static void adapter__a_second_path_gets_its_own_engine(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *ea = engine(f, f->a), *eb = engine(f, f->b);
    bool exists = false;
    mdm_error err;
    create(f, eb, "train", 2, 10, NULL);
    assert_ptr_not_equal(ea, eb);
    assert_string_equal(mdm_adapter_engine_path(eb), f->b);
    assert_ptr_equal(engine(f, f->b), eb);   /* the same path, the same engine */
    assert_int_equal(mdm_adapter_table_exists(f->ad, ea, "train", &exists, &err), MDM_OK);
    assert_false(exists);   /* A untouched */
    assert_int_equal(mdm_adapter_table_exists(f->ad, eb, "train", &exists, &err), MDM_OK);
    assert_true(exists);
}

/* ---- create_table_from_dataframe -------------------------------------------------- */

static void adapter__create_and_read_round_trip(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    create(f, e, "train", 3, 1, NULL);
    expect_rows(f, e, "train", NULL, 3, 1);
}

static void adapter__create_fails_when_the_table_exists(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    mdm_table t;
    mdm_error err;
    create(f, e, "train", 3, 1, NULL);
    make_frame(&t, 1, 100);
    assert_int_equal(mdm_adapter_create_table_from_dataframe(f->ad, &t, "train", e, NULL, &err),
                     MDM_ERR_EXISTS);
    assert_string_equal(err.message, "Failed to create table train: Table 'train' already exists.");
    assert_int_equal(mdm_adapter_create_table_from_dataframe(f->ad, &t, "train", e, "fail", &err),
                     MDM_ERR_EXISTS);
    assert_int_equal(mdm_adapter_create_table_from_dataframe(f->ad, &t, "train", e, "upsert", &err),
                     MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "Failed to create table train: 'upsert' is not valid for if_exists");
    mdm_table_reset(&t);
    expect_rows(f, e, "train", NULL, 3, 1);   /* untouched */
}

static void adapter__replace_and_append(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    mdm_table t;
    mdm_error err;
    create(f, e, "train", 3, 1, NULL);
    create(f, e, "train", 2, 50, "replace");
    assert_int_equal(count_rows(f, e, "train"), 2);
    create(f, e, "train", 4, 60, "append");
    assert_int_equal(count_rows(f, e, "train"), 6);
    create(f, e, "fresh", 2, 1, "append");   /* append to a missing table creates it */
    assert_int_equal(count_rows(f, e, "fresh"), 2);
    /* appending a frame with a column the table lacks */
    mdm_table_init(&t);
    assert_int_equal(mdm_table_add_column(&t, "extra", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_push_int64(&t, 0, 1, &err), MDM_OK);
    assert_int_equal(mdm_table_end_row(&t, &err), MDM_OK);
    assert_int_not_equal(mdm_adapter_create_table_from_dataframe(f->ad, &t, "train", e, "append", &err),
                         MDM_OK);
    assert_non_null(strstr(err.message, "Failed to create table train: "));
    assert_non_null(strstr(err.message, "has no column named extra"));
    mdm_table_reset(&t);
    assert_int_equal(count_rows(f, e, "train"), 6);
}

/* ---- query, read_table_to_dataframe ----------------------------------------------- */

static void adapter__query_needs_an_engine(void **state)
{
    fx *f = *state;
    mdm_table t;
    mdm_error err;
    mdm_table_init(&t);
    assert_int_equal(mdm_adapter_query(f->ad, "SELECT 1 AS x", &t, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "No engine available. Call get_engine() first.");
    mdm_adapter_engine *e = engine(f, f->a);
    create(f, e, "train", 3, 1, NULL);
    assert_int_equal(mdm_adapter_query(f->ad, "SELECT id FROM train WHERE id >= 2", &t, &err), MDM_OK);
    assert_int_equal(t.nrows, 2);
    assert_int_equal(t.ncols, 1);
    assert_int_equal(mdm_table_int64(&t, 0, 0), 2);
    /* close_connections forgets the engine: query fails again */
    mdm_adapter_close_connections(f->ad);
    mdm_adapter_close_connections(f->ad);   /* idempotent */
    assert_int_equal(mdm_adapter_query(f->ad, "SELECT 1 AS x", &t, &err), MDM_ERR_INVALID_ARG);
    /* the engine object stays valid and reconnects */
    expect_rows(f, e, "train", NULL, 3, 1);
    assert_int_equal(mdm_adapter_query(f->ad, "SELEKT 1", &t, &err), MDM_ERR_INVALID_ARG);
    (void)engine(f, f->a);
    assert_int_equal(mdm_adapter_query(f->ad, "SELEKT 1", &t, &err), MDM_ERR_SQL);
    assert_non_null(strstr(err.message, "Failed to execute query: "));
    mdm_table_reset(&t);
}

static void adapter__limit_none_and_zero_mean_every_row(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    int64_t zero = 0, two = 2;
    create(f, e, "train", 5, 1, NULL);
    expect_rows(f, e, "train", NULL, 5, 1);
    /* the old contract (a truthiness test): 0 is no limit, on both sides */
    expect_rows(f, e, "train", &zero, 5, 1);
    expect_rows(f, e, "train", &two, 2, 1);
}

/* INTENDED DIFFERENCE (LEGACY.md 6): legacy pasted " LIMIT -1", all rows
 * on SQLite by accident and an error on PostgreSQL; the adapter refuses a
 * negative limit on every backend and implementation. */
static void adapter__negative_limit(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    int64_t neg = -1;
    mdm_table t;
    mdm_error err;
    create(f, e, "train", 3, 1, NULL);
    mdm_table_init(&t);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(f->ad, "train", e, &neg, &t, &err),
                     MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "Failed to read table train: limit must be >= 0, got -1");
    mdm_table_reset(&t);
}

/* INTENDED DIFFERENCE (LEGACY.md 6): legacy answers a read from its cache
 * (key table:<name>:<limit>, never invalidated), so after a replace it
 * returns the old rows; modern caches no results and returns the new ones. */
static void adapter__read_after_replace(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    create(f, e, "train", 3, 1, NULL);
    expect_rows(f, e, "train", NULL, 3, 1);
    create(f, e, "train", 2, 50, "replace");
    if (is_legacy(f))
        expect_rows(f, e, "train", NULL, 3, 1);     /* stale */
    else
        expect_rows(f, e, "train", NULL, 2, 50);
}

/* INTENDED DIFFERENCE (LEGACY.md 4): legacy's writer quotes a name like
 * "My Table" but its reads paste it, so the table cannot be read back;
 * modern quotes every identifier. */
static void adapter__names_that_need_quotes(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    mdm_table t;
    mdm_error err;
    create(f, e, "My Table", 2, 1, NULL);
    mdm_table_init(&t);
    mdm_status rc = mdm_adapter_read_table_to_dataframe(f->ad, "My Table", e, NULL, &t, &err);
    if (is_legacy(f)) {
        assert_int_equal(rc, MDM_ERR_SQL);
        assert_string_equal(err.message, "Failed to read table My Table: near \"Table\": syntax error");
    } else {
        assert_int_equal(rc, MDM_OK);
        assert_int_equal(t.nrows, 2);
    }
    mdm_table_reset(&t);
}

static void adapter__read_of_a_missing_table(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    mdm_table t;
    mdm_error err;
    mdm_table_init(&t);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(f->ad, "nope", e, NULL, &t, &err),
                     MDM_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "Failed to read table nope: "));
    assert_null(strstr(err.message + 1, "Failed to"));   /* said once */
    mdm_table_reset(&t);
}

/* ---- inspection -------------------------------------------------------------------- */

static void adapter__table_exists_keeps_the_old_argument_order(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    bool exists = true;
    mdm_error err;
    assert_int_equal(mdm_adapter_table_exists(f->ad, e, "train", &exists, &err), MDM_OK);
    assert_false(exists);
    create(f, e, "train", 1, 1, NULL);
    assert_int_equal(mdm_adapter_table_exists(f->ad, e, "train", &exists, &err), MDM_OK);
    assert_true(exists);
    assert_int_equal(mdm_adapter_table_exists(f->ad, e, "TRAIN2", &exists, &err), MDM_OK);
    assert_false(exists);
}

static void adapter__get_table_names_sorted(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    mdm_strlist names;
    mdm_error err;
    mdm_strlist_init(&names);
    create(f, e, "valid", 1, 1, NULL);
    create(f, e, "train", 1, 1, NULL);
    create(f, e, "test", 1, 1, NULL);
    assert_int_equal(mdm_adapter_get_table_names(f->ad, e, &names, &err), MDM_OK);
    assert_int_equal(names.count, 3);
    assert_string_equal(names.items[0], "test");
    assert_string_equal(names.items[1], "train");
    assert_string_equal(names.items[2], "valid");
    mdm_strlist_reset(&names);
}

/* INTENDED DIFFERENCE: the adapter's columns carry name and declared type
 * only (legacy also reported nullable, default and primary key from the
 * inspector; tables mdm writes have none of those). */
static void adapter__get_table_info(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    mdm_table_info ti;
    mdm_error err;
    mdm_table_info_init(&ti);
    create(f, e, "train", 4, 1, NULL);
    assert_int_equal(mdm_adapter_get_table_info(f->ad, "train", e, &ti, &err), MDM_OK);
    assert_string_equal(ti.name, "train");
    assert_int_equal(ti.row_count, 4);
    assert_int_equal(ti.ncolumns, 3);
    assert_string_equal(ti.columns[0].name, "id");
    assert_string_equal(ti.columns[0].decl_type, "BIGINT");
    assert_int_equal(ti.columns[0].type, MDM_INT64);
    assert_string_equal(ti.columns[1].decl_type, "TEXT");
    assert_string_equal(ti.columns[2].decl_type, "FLOAT");
    assert_int_equal(ti.columns[2].type, MDM_FLOAT64);
    /* errors are not wrapped */
    assert_int_equal(mdm_adapter_get_table_info(f->ad, "nope", e, &ti, &err), MDM_ERR_NOT_FOUND);
    assert_null(strstr(err.message, "Failed to"));
    mdm_table_info_reset(&ti);
}

static void adapter__execute_query_commits_dml(void **state)
{
    fx *f = *state;
    mdm_adapter_engine *e = engine(f, f->a);
    mdm_table t;
    mdm_error err;
    mdm_table_init(&t);
    create(f, e, "train", 3, 1, NULL);
    assert_int_equal(mdm_adapter_execute_query(f->ad, "DELETE FROM train WHERE id = 1", e, &t, &err),
                     MDM_OK);
    assert_int_equal(t.ncols, 0);   /* no rows come back */
    mdm_adapter_close_connections(f->ad);   /* a new connection sees the commit */
    assert_int_equal(count_rows(f, e, "train"), 2);
    /* A missing column is NOT_FOUND with both: legacy's driver reported
     * every query error but "no such table" as SQL, and the legacy store
     * classifies the message as modern does (issue 17: the kind picks
     * mdm's exit code, app/README.md). */
    assert_int_equal(mdm_adapter_execute_query(f->ad, "SELECT nope FROM train", e, &t, &err),
                     MDM_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "Failed to execute query: "));
    assert_null(strstr(err.message + 1, "Failed to"));   /* said once */
    mdm_table_reset(&t);
}

/* ---- databases ------------------------------------------------------------------------ */

/* INTENDED DIFFERENCE (LEGACY.md 9): legacy's drop deletes the main file
 * only, leaving -wal and -shm behind (and its engine open); the adapter
 * has the store close its connections and removes all three. (The legacy
 * store closes after every call, so it leaves no -wal open to begin with.) */
static void adapter__database_lifecycle(void **state)
{
    fx *f = *state;
    char wal[400];
    bool exists = true;
    mdm_error err;
    snprintf(wal, sizeof wal, "%s-wal", f->a);
    assert_int_equal(mdm_adapter_database_exists(f->ad, f->a, &exists, &err), MDM_OK);
    assert_false(exists);
    assert_int_equal(mdm_adapter_create_database(f->ad, f->a, &err), MDM_OK);
    assert_int_equal(mdm_adapter_database_exists(f->ad, f->a, &exists, &err), MDM_OK);
    assert_true(exists);
    mdm_adapter_engine *e = engine(f, f->a);
    create(f, e, "train", 3, 1, NULL);
    assert_true(is_legacy(f) || mdm_test_file_exists(wal));   /* WAL mode, pool open */
    assert_int_equal(mdm_adapter_drop_database(f->ad, f->a, &err), MDM_OK);
    assert_int_equal(mdm_adapter_database_exists(f->ad, f->a, &exists, &err), MDM_OK);
    assert_false(exists);
    assert_false(mdm_test_file_exists(f->a));
    assert_false(mdm_test_file_exists(wal));
    /* dropping what is not there is fine */
    assert_int_equal(mdm_adapter_drop_database(f->ad, f->b, &err), MDM_OK);
}

/* A non-empty folder where a database file is expected: neither side can
 * remove it, and both say which database they failed on. A database under
 * a regular file cannot be created. INTENDED DIFFERENCE (README): creating
 * a database that exists is EXISTS on modern; legacy opened it again. */
static void adapter__database_errors_name_the_database(void **state)
{
    fx *f = *state;
    char parent[400], under[500], folder[400], inside[500], want[700];
    mdm_error err;
    snprintf(parent, sizeof parent, "%s/plain-file", f->dir);
    snprintf(under, sizeof under, "%s/db.sqlite", parent);
    snprintf(folder, sizeof folder, "%s/folder.sqlite", f->dir);
    snprintf(inside, sizeof inside, "%s/keep", folder);
    assert_int_equal(mdm_test_write_file(parent, "x", 1), 0);
    assert_int_equal(mkdir(folder, 0700), 0);
    assert_int_equal(mdm_test_write_file(inside, "x", 1), 0);

    assert_int_not_equal(mdm_adapter_create_database(f->ad, under, &err), MDM_OK);
    snprintf(want, sizeof want, "Failed to create database %s: ", under);
    assert_memory_equal(err.message, want, strlen(want));
    assert_null(strstr(err.message + 1, "Failed to"));   /* said once */
    assert_false(mdm_test_file_exists(under));

    assert_int_equal(mdm_adapter_drop_database(f->ad, folder, &err), MDM_ERR_IO);
    snprintf(want, sizeof want, "Failed to drop database %s: ", folder);
    assert_memory_equal(err.message, want, strlen(want));
    assert_null(strstr(err.message + 1, "Failed to"));
    assert_true(mdm_test_file_exists(inside));           /* nothing removed */

    assert_int_equal(mdm_adapter_create_database(f->ad, f->a, &err), MDM_OK);
    mdm_status rc = mdm_adapter_create_database(f->ad, f->a, &err);
    if (is_legacy(f)) {
        assert_int_equal(rc, MDM_OK);
    } else {
        assert_int_equal(rc, MDM_ERR_EXISTS);
        snprintf(want, sizeof want, "Failed to create database %s: database '%s' already exists",
                 f->a, f->a);
        assert_string_equal(err.message, want);
    }
}

/* No path: create and drop refuse it alike, naming the database "None" as
 * legacy did. DIFFERENCE (not in the README's list): legacy's
 * database_exists(None) looked at its configured path (none here, so
 * false); the adapter has no such fallback and refuses the NULL path,
 * whichever store serves. */
static void adapter__database_calls_without_a_path(void **state)
{
    fx *f = *state;
    bool exists = true;
    mdm_error err;
    assert_int_equal(mdm_adapter_create_database(f->ad, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_memory_equal(err.message, "Failed to create database None: ",
                        strlen("Failed to create database None: "));
    assert_int_equal(mdm_adapter_drop_database(f->ad, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_memory_equal(err.message, "Failed to drop database None: ",
                        strlen("Failed to drop database None: "));
    mdm_status rc = mdm_adapter_database_exists(f->ad, NULL, &exists, &err);
    assert_int_equal(rc, MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "Failed to check database None: database path is NULL");
}

/* The database disappears under an engine whose connections were closed:
 * the next calls reconnect, fail, and keep the old messages. */
static void adapter__errors_after_the_database_vanished(void **state)
{
    fx *f = *state;
    char sub[400], path[500];
    mdm_table t;
    mdm_strlist names;
    mdm_error err;
    snprintf(sub, sizeof sub, "%s/sub", f->dir);
    snprintf(path, sizeof path, "%s/db.sqlite", sub);
    assert_int_equal(mkdir(sub, 0700), 0);
    mdm_adapter_engine *e = engine(f, path);
    create(f, e, "train", 2, 1, NULL);
    mdm_adapter_close_connections(f->ad);
    mdm_test_rmrf(sub);
    mdm_table_init(&t);
    mdm_strlist_init(&names);
    assert_int_not_equal(mdm_adapter_read_table_to_dataframe(f->ad, "train", e, NULL, &t, &err),
                         MDM_OK);
    assert_memory_equal(err.message, "Failed to read table train: ",
                        strlen("Failed to read table train: "));
    assert_null(strstr(err.message + 1, "Failed to"));
    assert_int_not_equal(mdm_adapter_execute_query(f->ad, "SELECT 1 AS x", e, &t, &err), MDM_OK);
    assert_memory_equal(err.message, "Failed to execute query: ",
                        strlen("Failed to execute query: "));
    assert_null(strstr(err.message + 1, "Failed to"));
    assert_int_not_equal(mdm_adapter_get_table_names(f->ad, e, &names, &err), MDM_OK);
    assert_int_equal(names.count, 0);
    assert_false(mdm_test_file_exists(sub));   /* nothing recreated it */
    mdm_strlist_reset(&names);
    mdm_table_reset(&t);
}

/* Table info gives the same value types on both paths, whatever each side
 * declared (legacy's SQLite writer says BOOLEAN and DATETIME). */
static void adapter__get_table_info_types(void **state)
{
    fx *f = *state;
    static const mdm_type types[] = {MDM_BOOL, MDM_TIMESTAMP, MDM_INT64, MDM_FLOAT64, MDM_TEXT};
    static const char *const names[] = {"b", "ts", "i", "x", "s"};
    mdm_adapter_engine *e = engine(f, f->a);
    mdm_table t;
    mdm_table_info ti;
    mdm_error err;
    mdm_table_init(&t);
    for (size_t c = 0; c < 5; c++)
        assert_int_equal(mdm_table_add_column(&t, names[c], types[c], &err), MDM_OK);
    assert_int_equal(mdm_table_push_bool(&t, 0, true, &err), MDM_OK);
    assert_int_equal(mdm_table_push_timestamp(&t, 1, 1700000000000000LL, &err), MDM_OK);
    assert_int_equal(mdm_table_push_int64(&t, 2, 7, &err), MDM_OK);
    assert_int_equal(mdm_table_push_float64(&t, 3, 0.25, &err), MDM_OK);
    assert_int_equal(mdm_table_push_text(&t, 4, "v", 1, &err), MDM_OK);
    assert_int_equal(mdm_table_end_row(&t, &err), MDM_OK);
    assert_int_equal(mdm_adapter_create_table_from_dataframe(f->ad, &t, "typed", e, NULL, &err),
                     MDM_OK);
    mdm_table_reset(&t);
    mdm_table_info_init(&ti);
    assert_int_equal(mdm_adapter_get_table_info(f->ad, "typed", e, &ti, &err), MDM_OK);
    assert_int_equal(ti.ncolumns, 5);
    assert_int_equal(ti.row_count, 1);
    for (size_t c = 0; c < 5; c++) {
        assert_string_equal(ti.columns[c].name, names[c]);
        if (ti.columns[c].type != types[c])
            fail_msg("column %s declared '%s' reads as %s, expected %s", names[c],
                     ti.columns[c].decl_type, mdm_type_name(ti.columns[c].type),
                     mdm_type_name(types[c]));
    }
    mdm_table_info_reset(&ti);
}

/* ---- arguments ------------------------------------------------------------------------------ */

static void adapter__new_checks_its_options(void **state)
{
    fx *f = *state;
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter *a = NULL;
    mdm_error err;
    o.impl = f->impl;
    o.warn = f->warn;
    assert_int_equal(mdm_adapter_new(NULL, &o, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "mdm_adapter_new: bad arguments");
    o.version = MDM_ADAPTER_OPTS_VERSION + 1;
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_ERR_INVALID_ARG);
    assert_null(a);
    o.version = MDM_ADAPTER_OPTS_VERSION;
    o.impl = (mdm_impl)(MDM_IMPL_SHADOW + 1);
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_ERR_INVALID_ARG);
    assert_null(a);
    /* an adapter says what it was made for; no options means modern */
    assert_int_equal(mdm_adapter_impl(f->ad), f->impl);
    assert_int_equal(mdm_adapter_new(&a, NULL, &err), MDM_OK);
    assert_int_equal(mdm_adapter_impl(a), MDM_IMPL_MODERN);
    mdm_adapter_free(a);
    mdm_adapter_free(NULL);   /* a no-op */
}

/* Every method refuses NULL where it needs a value, naming itself. */
static void adapter__methods_refuse_null_arguments(void **state)
{
    fx *f = *state;
    mdm_adapter *ad = f->ad;
    mdm_adapter_engine *e = engine(f, f->a), *none = NULL;
    mdm_table t;
    mdm_table_info ti;
    mdm_strlist names;
    bool b = false;
    mdm_error err;
    make_frame(&t, 1, 1);
    mdm_table_info_init(&ti);
    mdm_strlist_init(&names);
#define REFUSED(call, method)                                                    \
    do {                                                                         \
        mdm_error_clear(&err);                                                   \
        assert_int_equal((call), MDM_ERR_INVALID_ARG);                           \
        if (strncmp(err.message, method ": ", strlen(method ": ")) != 0)         \
            fail_msg("%s: message '%s' does not name " method, #call, err.message); \
    } while (0)
    REFUSED(mdm_adapter_get_engine(NULL, f->a, &none, &err), "get_engine");
    REFUSED(mdm_adapter_get_engine(ad, f->a, NULL, &err), "get_engine");
    REFUSED(mdm_adapter_create_table_from_dataframe(NULL, &t, "x", e, NULL, &err), "create_table_from_dataframe");
    REFUSED(mdm_adapter_create_table_from_dataframe(ad, NULL, "x", e, NULL, &err), "create_table_from_dataframe");
    REFUSED(mdm_adapter_create_table_from_dataframe(ad, &t, NULL, e, NULL, &err), "create_table_from_dataframe");
    REFUSED(mdm_adapter_create_table_from_dataframe(ad, &t, "x", NULL, NULL, &err), "create_table_from_dataframe");
    REFUSED(mdm_adapter_query(NULL, "SELECT 1", &t, &err), "query");
    REFUSED(mdm_adapter_query(ad, NULL, &t, &err), "query");
    REFUSED(mdm_adapter_query(ad, "SELECT 1", NULL, &err), "query");
    REFUSED(mdm_adapter_read_table_to_dataframe(NULL, "x", e, NULL, &t, &err), "read_table_to_dataframe");
    REFUSED(mdm_adapter_read_table_to_dataframe(ad, NULL, e, NULL, &t, &err), "read_table_to_dataframe");
    REFUSED(mdm_adapter_read_table_to_dataframe(ad, "x", NULL, NULL, &t, &err), "read_table_to_dataframe");
    REFUSED(mdm_adapter_read_table_to_dataframe(ad, "x", e, NULL, NULL, &err), "read_table_to_dataframe");
    REFUSED(mdm_adapter_get_table_info(NULL, "x", e, &ti, &err), "get_table_info");
    REFUSED(mdm_adapter_get_table_info(ad, NULL, e, &ti, &err), "get_table_info");
    REFUSED(mdm_adapter_get_table_info(ad, "x", NULL, &ti, &err), "get_table_info");
    REFUSED(mdm_adapter_get_table_info(ad, "x", e, NULL, &err), "get_table_info");
    REFUSED(mdm_adapter_execute_query(NULL, "SELECT 1", e, &t, &err), "execute_query");
    REFUSED(mdm_adapter_execute_query(ad, NULL, e, &t, &err), "execute_query");
    REFUSED(mdm_adapter_execute_query(ad, "SELECT 1", NULL, &t, &err), "execute_query");
    REFUSED(mdm_adapter_execute_query(ad, "SELECT 1", e, NULL, &err), "execute_query");
    REFUSED(mdm_adapter_table_exists(NULL, e, "x", &b, &err), "table_exists");
    REFUSED(mdm_adapter_table_exists(ad, NULL, "x", &b, &err), "table_exists");
    REFUSED(mdm_adapter_table_exists(ad, e, NULL, &b, &err), "table_exists");
    REFUSED(mdm_adapter_table_exists(ad, e, "x", NULL, &err), "table_exists");
    REFUSED(mdm_adapter_get_table_names(NULL, e, &names, &err), "get_table_names");
    REFUSED(mdm_adapter_get_table_names(ad, NULL, &names, &err), "get_table_names");
    REFUSED(mdm_adapter_get_table_names(ad, e, NULL, &err), "get_table_names");
    REFUSED(mdm_adapter_database_exists(NULL, f->a, &b, &err), "database_exists");
    REFUSED(mdm_adapter_database_exists(ad, f->a, NULL, &err), "database_exists");
    REFUSED(mdm_adapter_create_database(NULL, f->a, &err), "create_database");
    REFUSED(mdm_adapter_drop_database(NULL, f->a, &err), "drop_database");
#undef REFUSED
    mdm_adapter_close_connections(NULL);   /* a no-op */
    /* nothing was written, and the adapter still works */
    assert_int_equal(mdm_adapter_get_table_names(ad, e, &names, &err), MDM_OK);
    assert_int_equal(names.count, 0);
    assert_null(none);
    mdm_strlist_reset(&names);
    mdm_table_info_reset(&ti);
    mdm_table_reset(&t);
}

/* ---- the factory -------------------------------------------------------------------------- */

/* INTENDED DIFFERENCE (LEGACY.md 8): the adapter asks modern's registry
 * first, whatever the implementation, so the factory's message is the
 * registry's (legacy said "Unsupported backend type: oracle. Supported
 * backends: ['sqlite', 'postgresql']", as UNSUPPORTED). */
static void adapter__unknown_backend(void **state)
{
    fx *f = *state;
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter *a = NULL;
    mdm_error err;
    o.impl = f->impl;
    o.backend = "oracle";
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_ERR_CONFIG);
    assert_null(a);
    assert_string_equal(err.message, "unknown backend type 'oracle'; known: postgresql, sqlite");
}

#if !MDM_WITH_LEGACY
static void adapter__legacy_path_is_compiled_out(void **state)
{
    (void)state;
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter *a = NULL;
    mdm_error err;
    o.impl = MDM_IMPL_LEGACY;
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "built without legacy/"));
    o.impl = MDM_IMPL_SHADOW;
    o.shadow_log = "/tmp/x.jsonl";
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_ERR_UNSUPPORTED);
    assert_null(a);
}
#endif

/* ---- PostgreSQL ------------------------------------------------------------------------------ */

typedef struct pgfx {
    fx base;
    char db[128];
} pgfx;

static int pg_setup_impl(void **state, mdm_impl impl)
{
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_error err;
    pgfx *p = calloc(1, sizeof *p);
    if (p == NULL)
        return -1;
    *state = p;
    p->base.impl = impl;
    p->base.warn = tmpfile();
    if (mdm_test_pg_dsn() == NULL)
        return 0;   /* the test skips itself */
    snprintf(p->db, sizeof p->db, "mdm_adapter_%ld_%d", (long)getpid(), (int)impl);
    mdm_test_pg_drop_db(p->db);
#if MDM_WITH_LEGACY
    legacy_reset_all();
#endif
    o.backend = "postgresql";
    o.impl = impl;
    o.warn = p->base.warn;
    o.conn.dsn = mdm_test_pg_dsn();   /* legacy's mapping is derived from it */
    if (mdm_adapter_new(&p->base.ad, &o, &err) != MDM_OK) {
        print_error("mdm_adapter_new: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int pg_setup_modern(void **state) { return pg_setup_impl(state, MDM_IMPL_MODERN); }
#if MDM_WITH_LEGACY
static int pg_setup_legacy(void **state) { return pg_setup_impl(state, MDM_IMPL_LEGACY); }
#endif

static int pg_teardown(void **state)
{
    pgfx *p = *state;
    if (p == NULL)
        return 0;
    mdm_adapter_free(p->base.ad);
#if MDM_WITH_LEGACY
    legacy_reset_all();
#endif
    if (p->db[0] != '\0')
        mdm_test_pg_drop_db(p->db);
    fclose(p->base.warn);
    free(p);
    return 0;
}

static void adapter__pg_round_trip(void **state)
{
    MDM_TEST_REQUIRE_PG();
    pgfx *p = *state;
    fx *f = &p->base;
    bool exists = true;
    mdm_strlist names;
    mdm_error err;
    mdm_adapter_engine *none = NULL;
    assert_int_equal(mdm_adapter_database_exists(f->ad, p->db, &exists, &err), MDM_OK);
    assert_false(exists);
    /* a missing PostgreSQL database is not made by get_engine */
    assert_int_equal(mdm_adapter_get_engine(f->ad, p->db, &none, &err), MDM_ERR_NOT_FOUND);
    assert_null(none);
    assert_non_null(strstr(err.message, "does not exist"));
    assert_int_equal(mdm_adapter_create_database(f->ad, p->db, &err), MDM_OK);
    assert_int_equal(mdm_adapter_database_exists(f->ad, p->db, &exists, &err), MDM_OK);
    assert_true(exists);
    mdm_adapter_engine *e = engine(f, p->db);
    create(f, e, "train", 3, 1, NULL);
    expect_rows(f, e, "train", NULL, 3, 1);
    assert_int_equal(count_rows(f, e, "train"), 3);
    mdm_strlist_init(&names);
    assert_int_equal(mdm_adapter_get_table_names(f->ad, e, &names, &err), MDM_OK);
    assert_int_equal(names.count, 1);
    assert_string_equal(names.items[0], "train");
    mdm_strlist_reset(&names);
    mdm_adapter_close_connections(f->ad);
    assert_int_equal(mdm_adapter_drop_database(f->ad, p->db, &err), MDM_OK);
    assert_int_equal(mdm_adapter_database_exists(f->ad, p->db, &exists, &err), MDM_OK);
    assert_false(exists);
}

/* INTENDED DIFFERENCE (LEGACY.md 4): legacy pastes names, so a table
 * created as "Train" is read as train and not found; modern quotes. */
static void adapter__pg_mixed_case_table(void **state)
{
    MDM_TEST_REQUIRE_PG();
    pgfx *p = *state;
    fx *f = &p->base;
    mdm_table t;
    mdm_error err;
    assert_int_equal(mdm_adapter_create_database(f->ad, p->db, &err), MDM_OK);
    mdm_adapter_engine *e = engine(f, p->db);
    create(f, e, "Train", 2, 1, NULL);
    mdm_table_init(&t);
    mdm_status rc = mdm_adapter_read_table_to_dataframe(f->ad, "Train", e, NULL, &t, &err);
    if (is_legacy(f)) {
        assert_int_equal(rc, MDM_ERR_NOT_FOUND);
        assert_non_null(strstr(err.message, "Failed to read table Train: "));
    } else {
        assert_int_equal(rc, MDM_OK);
        assert_int_equal(t.nrows, 2);
    }
    mdm_table_reset(&t);
    mdm_adapter_close_connections(f->ad);
}

/* A postgresql:// URL for database db on the test server (its socket
 * folder percent-encoded as the host parameter). */
static void pg_url(const char *db, char *out, size_t n)
{
    char host[256] = "", port[32] = "5432", user[128] = "postgres", enc[768];
    size_t k = 0;
    (void)mdm_dsn_get(mdm_test_pg_dsn(), "host", host, sizeof host);
    (void)mdm_dsn_get(mdm_test_pg_dsn(), "port", port, sizeof port);
    (void)mdm_dsn_get(mdm_test_pg_dsn(), "user", user, sizeof user);
    for (const char *p = host; *p && k + 4 < sizeof enc; p++)
        k += (size_t)snprintf(enc + k, sizeof enc - k, (*p == '/' ? "%%2F" : "%c"), *p);
    snprintf(out, n, "postgresql://%s@/%s?host=%s&port=%s", user, db, enc, port);
}

/* Databases and engines named by URL instead of a database name. */
static void adapter__pg_url_paths(void **state)
{
    MDM_TEST_REQUIRE_PG();
    pgfx *p = *state;
    fx *f = &p->base;
    char url[1024], nodb[1024];
    bool exists = true;
    mdm_error err;
    pg_url(p->db, url, sizeof url);
    assert_int_equal(mdm_adapter_database_exists(f->ad, url, &exists, &err), MDM_OK);
    assert_false(exists);
    assert_int_equal(mdm_adapter_create_database(f->ad, url, &err), MDM_OK);
    assert_int_equal(mdm_adapter_database_exists(f->ad, p->db, &exists, &err), MDM_OK);
    assert_true(exists);   /* the URL's database, by name */
    mdm_adapter_engine *e = engine(f, url);
    assert_string_equal(mdm_adapter_engine_path(e), url);
    create(f, e, "train", 2, 5, NULL);
    expect_rows(f, e, "train", NULL, 2, 5);
    mdm_adapter_close_connections(f->ad);
    assert_int_equal(mdm_adapter_drop_database(f->ad, url, &err), MDM_OK);
    assert_int_equal(mdm_adapter_database_exists(f->ad, p->db, &exists, &err), MDM_OK);
    assert_false(exists);
    /* A URL that names no database: the adapter refuses it rather than
     * guess, whichever store serves (it hands stores database names; the
     * old legacy path took the empty name: not found, nothing created). */
    pg_url("", nodb, sizeof nodb);
    mdm_status rc = mdm_adapter_database_exists(f->ad, nodb, &exists, &err);
    assert_int_equal(rc, MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "URL names no database"));
    assert_memory_equal(err.message, "Failed to check database ",
                        strlen("Failed to check database "));
}

int main(void)
{
#if MDM_WITH_LEGACY
#define BOTH(fn)                                                                  \
    {"adapter__modern_" #fn, adapter__##fn, setup_modern, teardown, NULL},        \
    {"adapter__legacy_" #fn, adapter__##fn, setup_legacy, teardown, NULL}
#define PG_BOTH(fn)                                                               \
    {"adapter__modern_" #fn, adapter__##fn, pg_setup_modern, pg_teardown, NULL},  \
    {"adapter__legacy_" #fn, adapter__##fn, pg_setup_legacy, pg_teardown, NULL}
#else
#define BOTH(fn) {"adapter__modern_" #fn, adapter__##fn, setup_modern, teardown, NULL}
#define PG_BOTH(fn) {"adapter__modern_" #fn, adapter__##fn, pg_setup_modern, pg_teardown, NULL}
#endif
    const struct CMUnitTest tests[] = {
        BOTH(get_engine_warns_once_per_adapter),
        BOTH(get_engine_without_a_path_fails),
        BOTH(a_second_path_gets_its_own_engine),
        BOTH(create_and_read_round_trip),
        BOTH(create_fails_when_the_table_exists),
        BOTH(replace_and_append),
        BOTH(query_needs_an_engine),
        BOTH(limit_none_and_zero_mean_every_row),
        BOTH(negative_limit),
        BOTH(read_after_replace),
        BOTH(names_that_need_quotes),
        BOTH(read_of_a_missing_table),
        BOTH(table_exists_keeps_the_old_argument_order),
        BOTH(get_table_names_sorted),
        BOTH(get_table_info),
        BOTH(execute_query_commits_dml),
        BOTH(database_lifecycle),
        BOTH(unknown_backend),
        BOTH(database_errors_name_the_database),
        BOTH(database_calls_without_a_path),
        BOTH(errors_after_the_database_vanished),
        BOTH(get_table_info_types),
        BOTH(new_checks_its_options),
        BOTH(methods_refuse_null_arguments),
#if !MDM_WITH_LEGACY
        cmocka_unit_test(adapter__legacy_path_is_compiled_out),
#endif
        PG_BOTH(pg_round_trip),
        PG_BOTH(pg_mixed_case_table),
        PG_BOTH(pg_url_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
