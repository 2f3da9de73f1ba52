/* SPDX-License-Identifier: MIT */
/*
 * test_modern_fault.c - allocation failures, the one failure that cannot be
 * provoked for real (SQLite's *fault.test idea): this program replaces
 * malloc/calloc/realloc with versions that fail the Nth call after being
 * armed, then runs each modern operation with N = 1, 2, 3, ... until it
 * completes without hitting the failure. Every run must end in a status
 * (OK or an error), never a crash; under ASan (make SAN=address) also
 * without leaks. SQLite and libpq allocate through the same functions, so
 * their out-of-memory paths are exercised as well.
 */
#define _GNU_SOURCE   /* dladdr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "mdm_connmgr.h"
#include "mdm_modern_internal.h"
#include "mdm_pool.h"
#include "mdm_registry.h"
#include "test_fault_alloc.h"
#include "test_support.h"

/* ---- the failing allocator: test_fault_alloc.h ---- */

/* ---- scenarios ---- */

typedef struct world {
    char dir[256], path[320];
    char dsn[768], db[128];
    mdm_conn_config cfg;
    mdm_conn *c;
    mdm_table data;
} world;

/* One operation under test: returns its status. */
typedef mdm_status (*op_fn)(world *w, mdm_error *err);

static void make_data(mdm_table *t)
{
    mdm_error err;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "i", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "f", MDM_FLOAT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "b", MDM_BOOL, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "s", MDM_TEXT, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "ts", MDM_TIMESTAMP, &err), MDM_OK);
    for (int r = 0; r < 3; r++) {
        assert_int_equal(mdm_table_push_int64(t, 0, r, &err), MDM_OK);
        assert_int_equal(mdm_table_push_float64(t, 1, r + 0.5, &err), MDM_OK);
        assert_int_equal(mdm_table_push_bool(t, 2, r % 2, &err), MDM_OK);
        assert_int_equal(mdm_table_push_text(t, 3, "a\tb", 3, &err), MDM_OK);
        if (r == 1)
            assert_int_equal(mdm_table_push_null(t, 4, &err), MDM_OK);
        else
            assert_int_equal(mdm_table_push_timestamp(t, 4, r * 1000000LL, &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &err), MDM_OK);
    }
}

/* A database for one sweep: a SQLite file in a folder, or a PostgreSQL
 * database (made once per sweep: CREATE DATABASE is slow). */
static void world_init(world *w, const char *backend)
{
    mdm_conn_config init = MDM_CONN_CONFIG_INIT;
    memset(w, 0, sizeof *w);
    w->cfg = init;
    w->cfg.backend = backend;
    if (strcmp(backend, "postgresql") == 0) {
        assert_int_equal(mdm_test_pg_create_db("mdm_fault", w->dsn, sizeof w->dsn, w->db,
                                               sizeof w->db), 0);
        w->cfg.dsn = w->dsn;
    } else {
        assert_int_equal(mdm_test_tmpdir(w->dir, sizeof w->dir), 0);
        snprintf(w->path, sizeof w->path, "%s/f.sqlite", w->dir);
        w->cfg.path = w->path;
    }
    make_data(&w->data);
}

/* Opens w->c with a fresh table "t" holding w->data (nothing armed). */
static void world_open(world *w)
{
    mdm_error err;
    const mdm_backend_ops *ops = w->db[0] ? mdm_pg_backend() : mdm_sqlite_backend();
    if (mdm_conn_open(ops, &w->cfg, &w->c, &err) != MDM_OK)
        fail_msg("open: %s", err.message);
    if (mdm_conn_create_table(w->c, "t", &w->data, MDM_IF_EXISTS_REPLACE, &err) != MDM_OK)
        fail_msg("setup: %s", err.message);
}

static void world_free(world *w)
{
    mdm_table_reset(&w->data);
    if (w->db[0])
        mdm_test_pg_drop_db(w->db);
    if (w->dir[0])
        mdm_test_rmrf(w->dir);
}

/* Runs op with the Nth allocation failing, for N = 1.. until it succeeds
 * untouched; returns how many failures were injected. */
static int sweep(const char *backend, op_fn op, const char *what, bool whole_message)
{
    int injected = 0;
    world w;
    world_init(&w, backend);
    for (long n = 1; n < 100000; n++) {
        mdm_error err;
        world_open(&w);
        fault_arm(n);
        mdm_status rc = op(&w, &err);
        int was_hit = fault_disarm();
        /* any status is fine; the connection must still close cleanly */
        mdm_conn_close(w.c);
        w.c = NULL;
        if (!was_hit) {
            if (rc != MDM_OK)
                fail_msg("%s on %s failed without an injected fault: %s", what, backend,
                         err.message);
            world_free(&w);
            print_message("%s on %s: %d allocation failures survived\n", what, backend, injected);
            return injected;
        }
        /* a failure says what it is: its status and a whole message */
        size_t len = strlen(err.message);
        if (whole_message && rc != MDM_OK &&
            (err.code != rc || len == 0 || err.message[len - 1] == ' '))
            fail_msg("%s on %s, allocation %ld failing: status %s with error %s '%s'", what,
                     backend, n, mdm_status_name(rc), mdm_status_name(err.code), err.message);
        injected++;
    }
    fail_msg("%s on %s: never completed", what, backend);
    return injected;
}

static mdm_status op_create_replace(world *w, mdm_error *err)
{
    return mdm_conn_create_table(w->c, "t", &w->data, MDM_IF_EXISTS_REPLACE, err);
}

static mdm_status op_create_append(world *w, mdm_error *err)
{
    return mdm_conn_create_table(w->c, "t", &w->data, MDM_IF_EXISTS_APPEND, err);
}

static mdm_status op_read(world *w, mdm_error *err)
{
    mdm_table out;
    mdm_read_opts o = MDM_READ_OPTS_INIT;
    const char *cols[] = {"s", "i", "ts"};
    o.columns = cols;
    o.ncolumns = 3;
    o.has_limit = true;
    o.limit = 2;
    mdm_table_init(&out);
    mdm_status rc = mdm_conn_read_table(w->c, "t", &o, &out, err);
    mdm_table_reset(&out);
    return rc;
}

/* Every row: on PostgreSQL the rows come through COPY. */
static mdm_status op_read_all(world *w, mdm_error *err)
{
    mdm_table out;
    mdm_table_init(&out);
    mdm_status rc = mdm_conn_read_table(w->c, "t", NULL, &out, err);
    mdm_table_reset(&out);
    return rc;
}

static mdm_status count_rows(void *ctx, const mdm_table *t, mdm_error *err)
{
    (void)err;
    *(size_t *)ctx += t->nrows;
    return MDM_OK;
}

/* A query's rows handed over as they come (PostgreSQL: single-row mode),
 * the 'infinity' row alone. */
static mdm_status query_streamed(world *w, const mdm_row_sink *sink, mdm_error *err)
{
    mdm_param lo = mdm_param_int64("lo", 0);
    mdm_query_result r;
    mdm_query_result_init(&r);
    r.sink = sink;
    mdm_status rc = mdm_conn_execute_query(w->c, "SELECT i, ts FROM t WHERE i >= :lo", &lo, 1,
                                           &r, err);
    mdm_query_result_reset(&r);
    return rc;
}

/* Every row handed over one at a time (a streamed read), with a timestamp
 * that does not fit its column ('infinity': SQLite keeps the text,
 * PostgreSQL's is outside years 1 to 9999), which comes alone. */
static mdm_status op_read_streamed(world *w, mdm_error *err)
{
    size_t rows = 0;
    mdm_row_sink sink = {1, count_rows, &rows};
    mdm_read_opts o = MDM_READ_OPTS_INIT;
    mdm_query_result r;
    mdm_table out;
    o.sink = &sink;
    mdm_query_result_init(&r);
    mdm_status rc = mdm_conn_execute_query(w->c, "INSERT INTO t (i, ts) VALUES (9, 'infinity')",
                                           NULL, 0, &r, err);
    mdm_query_result_reset(&r);
    /* PostgreSQL: also through COPY text (a NUMERIC column has no binary reader here) */
    if (rc == MDM_OK && w->db[0])
        rc = mdm_conn_execute_query(w->c, "CREATE TABLE IF NOT EXISTS tn AS SELECT i, ts, "
                                    "i::numeric AS n FROM t", NULL, 0, &r, err);
    mdm_query_result_reset(&r);
    mdm_table_init(&out);
    if (rc == MDM_OK)
        rc = mdm_conn_read_table(w->c, "t", &o, &out, err);
    mdm_table_reset(&out);
    mdm_table_init(&out);
    if (rc == MDM_OK && w->db[0])
        rc = mdm_conn_read_table(w->c, "tn", &o, &out, err);
    mdm_table_reset(&out);
    /* with a limit (PostgreSQL: COPY with the limit as a literal) */
    o.has_limit = true;
    o.limit = 1000;
    mdm_table_init(&out);
    if (rc == MDM_OK)
        rc = mdm_conn_read_table(w->c, "t", &o, &out, err);
    mdm_table_reset(&out);
    return rc == MDM_OK ? query_streamed(w, &sink, err) : rc;
}

/* A write PostgreSQL takes in COPY text format (a timestamp in year 10000
 * does not go in binary), with a NULL, a NaN and text to escape. */
static mdm_status op_create_text_copy(world *w, mdm_error *err)
{
    mdm_table t;
    mdm_table_init(&t);
    mdm_status rc = mdm_table_add_column(&t, "ts", MDM_TIMESTAMP, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "i", MDM_INT64, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "f", MDM_FLOAT64, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "b", MDM_BOOL, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "s", MDM_TEXT, err);
    for (int r = 0; rc == MDM_OK && r < 40; r++) {
        rc = mdm_table_push_timestamp(&t, 0, INT64_C(253402300800000000) + r, err);
        if (rc == MDM_OK)
            rc = r % 3 ? mdm_table_push_int64(&t, 1, r, err) : mdm_table_push_null(&t, 1, err);
        if (rc == MDM_OK)
            rc = mdm_table_push_float64(&t, 2, r % 2 ? 0.5 : (double)NAN, err);
        if (rc == MDM_OK)
            rc = mdm_table_push_bool(&t, 3, r % 2, err);
        if (rc == MDM_OK)
            rc = mdm_table_push_text(&t, 4, "tab\there\\", 9, err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(&t, err);
    }
    if (rc == MDM_OK)
        rc = mdm_conn_create_table(w->c, "t2", &t, MDM_IF_EXISTS_REPLACE, err);
    mdm_table_reset(&t);
    return rc;
}

static mdm_status op_query(world *w, mdm_error *err)
{
    mdm_query_result r;
    mdm_param p[] = {mdm_param_int64("lo", 0), mdm_param_text("s", "a\tb"),
                     mdm_param_timestamp("ts", 0), mdm_param_bool("b", true),
                     mdm_param_float64("f", 0.5)};
    mdm_query_result_init(&r);
    mdm_status rc = mdm_conn_execute_query(
        w->c, "SELECT i, s, :ts AS ts, :b AS b, :f AS f, NULL AS n FROM t WHERE i >= :lo AND s = :s",
        p, 5, &r, err);
    mdm_query_result_reset(&r);
    return rc;
}

static mdm_status op_metadata(world *w, mdm_error *err)
{
    mdm_strlist l;
    mdm_table_info ti;
    bool exists;
    mdm_strlist_init(&l);
    mdm_table_info_init(&ti);
    mdm_status rc = mdm_conn_list_tables(w->c, &l, err);
    if (rc == MDM_OK)
        rc = mdm_conn_table_info(w->c, "t", &ti, err);
    if (rc == MDM_OK)
        rc = mdm_conn_table_exists(w->c, "t", &exists, err);
    if (rc == MDM_OK)
        rc = mdm_conn_drop_table(w->c, "t", false, err);
    mdm_strlist_reset(&l);
    mdm_table_info_reset(&ti);
    return rc;
}

static mdm_status op_open(world *w, mdm_error *err)
{
    mdm_conn *c = NULL;
    mdm_status rc = mdm_conn_open(w->c->ops, &w->cfg, &c, err);
    mdm_conn_close(c);
    return rc;
}

static mdm_status op_database(world *w, mdm_error *err)
{
    char name[400];
    bool exists;
    mdm_conn_config server = w->cfg;
    if (w->dir[0]) {
        snprintf(name, sizeof name, "%s/sub/dir/db.sqlite", w->dir);
    } else {
        server.dsn = mdm_test_pg_dsn();
        snprintf(name, sizeof name, "%s_x", w->db);
    }
    mdm_status rc = mdm_database_exists(w->c->ops, &server, name, &exists, err);
    if (rc == MDM_OK && w->dir[0])   /* CREATE DATABASE per run is too slow on PostgreSQL */
        rc = mdm_database_create(w->c->ops, &server, name, err);
    mdm_status drc = mdm_database_drop(w->c->ops, &server, name, true, err);
    return rc != MDM_OK ? rc : drc;
}

static mdm_status op_pool(world *w, mdm_error *err)
{
    mdm_registry *reg = NULL;
    mdm_connmgr *m = NULL;
    mdm_conn *c = NULL;
    mdm_strlist names;
    const mdm_backend_ops *ops;
    mdm_conn_config *copy = NULL;
    mdm_strlist_init(&names);
    mdm_status rc = mdm_registry_new(&reg, err);
    if (rc == MDM_OK)
        rc = mdm_registry_add_builtins(reg, err);
    if (rc == MDM_OK)
        rc = mdm_registry_names(reg, &names, err);
    if (rc == MDM_OK && mdm_registry_create(reg, "nope", &ops, err) != MDM_ERR_CONFIG)
        rc = err->code;
    if (rc == MDM_OK)
        rc = mdm_conn_config_dup(&w->cfg, &copy, err);
    if (rc == MDM_OK)
        rc = mdm_connmgr_new(&m, reg, &w->cfg, NULL, err);
    if (rc == MDM_OK)
        rc = mdm_connmgr_acquire(m, &c, err);
    if (rc == MDM_OK)
        rc = mdm_connmgr_release(m, c);
    mdm_connmgr_free(m);
    mdm_conn_config_free(copy);
    mdm_strlist_reset(&names);
    mdm_registry_free(reg);
    return rc;
}

static mdm_status op_helpers(world *w, mdm_error *err)
{
    mdm_buf b;
    mdm_strlist names;
    mdm__stmt_cache cache;
    mdm_table t;
    (void)w;
    mdm_buf_init(&b);
    mdm_strlist_init(&names);
    mdm_status rc = mdm__pg_rewrite_params("SELECT :a, :b, :a", &b, &names, err);
    mdm__stmt_cache_init(&cache, 4, (mdm__stmt_destroy_fn)(void (*)(void))free, NULL);
    void *s = malloc(8);
    if (rc == MDM_OK && s == NULL)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    else if (rc == MDM_OK && !mdm__stmt_cache_put(&cache, "k", 1, s))
        free(s);
    else if (rc != MDM_OK)
        free(s);
    mdm__stmt_cache_reset(&cache);
    mdm_table_init(&t);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "x", MDM_INT64, err);
    if (rc == MDM_OK)
        rc = mdm_table_push_int64(&t, 0, 5, err);
    if (rc == MDM_OK)
        rc = mdm_table_end_row(&t, err);
    if (rc == MDM_OK)
        rc = mdm__table_convert_column(&t, 0, MDM_TEXT, err);
    mdm_table_reset(&t);
    mdm_strlist_reset(&names);
    mdm_buf_reset(&b);
    return rc;
}

static const struct {
    const char *name;
    op_fn fn;
    bool whole_message;   /* public calls: a failure fills err completely */
} OPS[] = {
    {"open", op_open, true},
    {"create_table replace", op_create_replace, true},
    {"create_table append", op_create_append, true},
    {"create_table text COPY", op_create_text_copy, true},
    {"read_table", op_read, true},
    {"read_table all rows", op_read_all, true},
    {"read_table streamed", op_read_streamed, true},
    {"execute_query", op_query, true},
    {"list/info/exists/drop", op_metadata, true},
    {"database ops", op_database, true},
    {"registry, config, pool", op_pool, true},
    /* internal helpers return the status; the public calls above add the
     * words when a helper's failure reaches them */
    {"helpers", op_helpers, false},
};

static void fault__sqlite_survives_every_allocation_failure(void **state)
{
    (void)state;
#ifdef MDM_FAULT_OFF
    skip();
#endif
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
        int n = sweep("sqlite", OPS[i].fn, OPS[i].name, OPS[i].whole_message);
        assert_true(n > 0);   /* each operation allocates, so faults were injected */
    }
}

static void fault__postgresql_survives_every_allocation_failure(void **state)
{
    (void)state;
#ifdef MDM_FAULT_OFF
    skip();
#endif
    MDM_TEST_REQUIRE_PG();
    fault_only_ours = 1;
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
        int n = sweep("postgresql", OPS[i].fn, OPS[i].name, OPS[i].whole_message);
        assert_true(n > 0);
    }
}

int main(void)
{
    if (fault_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fault__sqlite_survives_every_allocation_failure),
        cmocka_unit_test(fault__postgresql_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests_name("modern_fault", tests, NULL, NULL);
}
