/* SPDX-License-Identifier: MIT */
/*
 * test_conformance.c - one suite, written once, run against every backend in
 * the registry: the built-ins (SQLite on a temporary file, PostgreSQL on a
 * throwaway database per test) and the example backend, registered with one
 * line. Capabilities (mdm_backend_ops.caps) decide which cases apply, as
 * ADBC's validation suite reads DriverQuirks. Hostile identifiers included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "example_backend.h"
#include "mdm_backend.h"
#include "mdm_conn.h"
#include "mdm_registry.h"
#include "mdm_sql.h"
#include "test_support.h"

/* ---- fixtures ---------------------------------------------------------- */

typedef struct backend_fx {
    const char *name;
    const mdm_backend_ops *ops;
} backend_fx;

typedef struct ctx {
    const backend_fx *b;
    char dir[256], path[320];
    char dsn[768], db[128];
    mdm_conn_config cfg;
    mdm_conn *c;
    bool skip;
    int serial;
} ctx;

static bool is_pg(const ctx *x)
{
    return strcmp(x->b->name, "postgresql") == 0;
}

static unsigned caps(const ctx *x)
{
    return x->b->ops->caps;
}

static int setup(void **state)
{
    const backend_fx *b = *state;
    mdm_conn_config init = MDM_CONN_CONFIG_INIT;
    mdm_error err;
    ctx *x = calloc(1, sizeof *x);
    if (x == NULL)
        return -1;
    x->b = b;
    x->cfg = init;
    x->cfg.backend = b->name;
    *state = x;
    if (strcmp(b->name, "postgresql") == 0) {
        if (mdm_test_pg_dsn() == NULL ||
            mdm_test_pg_create_db("mdm_conf", x->dsn, sizeof x->dsn, x->db, sizeof x->db) != 0) {
            x->skip = true;
            return 0;
        }
        x->cfg.dsn = x->dsn;
    } else {
        if (mdm_test_tmpdir(x->dir, sizeof x->dir) != 0)
            return -1;
        snprintf(x->path, sizeof x->path, "%s/conf.sqlite", x->dir);
        x->cfg.path = x->path;
    }
    if (mdm_conn_open(b->ops, &x->cfg, &x->c, &err) != MDM_OK) {
        print_error("cannot open %s: %s\n", b->name, err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    ctx *x = *state;
    mdm_conn_close(x->c);
    if (x->db[0])
        mdm_test_pg_drop_db(x->db);
    if (x->dir[0])
        mdm_test_rmrf(x->dir);
    free(x);
    return 0;
}

/* Each case starts here: skips PostgreSQL when no server is reachable. */
static ctx *begin(void **state)
{
    ctx *x = *state;
    if (x->skip) {
        print_message("MDM_PG_DSN not set: skipping\n");
        skip();
    }
    return x;
}

#define OK(call)                                                             \
    do {                                                                     \
        mdm_error e_;                                                        \
        mdm_status rc_ = (call);                                             \
        (void)e_;                                                            \
        if (rc_ != MDM_OK)                                                   \
            fail_msg("%s: %s: %s", #call, mdm_status_name(rc_), err.message); \
    } while (0)

/* ---- sample data ------------------------------------------------------- */

static const int64_t I64[] = {INT64_MIN, INT64_MAX, 0, -1, 42, 7};
static const char *const TXT[] = {"", "tab\there", "line\nbreak\r\nand \\ backslash",
                                  "ünïcødé 日本語 😀", "NULL", "'quoted' \"double\""};

/* A frame of every type with extremes, NULLs and '' (no NaN, no -0.0). */
static void make_sample(mdm_table *t, size_t rows)
{
    mdm_error err;
    const double F64[] = {1e308, -1e-300, INFINITY, -INFINITY, 0.1, 2.5};
    const int64_t TS[] = {0, -2208988800000000LL /* 1900-01-01 */, 253402300799999999LL,
                          1700000000123456LL, 86400000001LL, 1};
    mdm_table_init(t);
    OK(mdm_table_add_column(t, "i", MDM_INT64, &err));
    OK(mdm_table_add_column(t, "f", MDM_FLOAT64, &err));
    OK(mdm_table_add_column(t, "b", MDM_BOOL, &err));
    OK(mdm_table_add_column(t, "s", MDM_TEXT, &err));
    OK(mdm_table_add_column(t, "ts", MDM_TIMESTAMP, &err));
    for (size_t r = 0; r < rows; r++) {
        size_t k = r % 6;
        bool null_row = r % 7 == 5;
        if (null_row) {
            for (size_t c = 0; c < 5; c++)
                OK(mdm_table_push_null(t, c, &err));
        } else {
            OK(mdm_table_push_int64(t, 0, I64[k] - (k >= 2 ? (int64_t)r : 0), &err));
            OK(mdm_table_push_float64(t, 1, F64[k], &err));
            OK(mdm_table_push_bool(t, 2, r % 2 == 0, &err));
            OK(mdm_table_push_text(t, 3, TXT[k], strlen(TXT[k]), &err));
            OK(mdm_table_push_timestamp(t, 4, TS[k], &err));
        }
        OK(mdm_table_end_row(t, &err));
    }
}

static void assert_tables_equal(const mdm_table *a, const mdm_table *b)
{
    mdm_compare_opts o = MDM_COMPARE_OPTS_INIT;
    mdm_table_diff d;
    if (!mdm_table_equal(a, b, &o, &d))
        fail_msg("tables differ: %s", d.message);
}

static void read_all(ctx *x, const char *table, mdm_table *out)
{
    mdm_error err;
    mdm_table_init(out);
    OK(mdm_conn_read_table(x->c, table, NULL, out, &err));
}

static void one_col(mdm_table *t, const char *name, int64_t v)
{
    mdm_error err;
    mdm_table_init(t);
    OK(mdm_table_add_column(t, name, MDM_INT64, &err));
    OK(mdm_table_push_int64(t, 0, v, &err));
    OK(mdm_table_end_row(t, &err));
}

/* ---- cases ------------------------------------------------------------- */

static void round_trip_keeps_types_values_and_nulls(void **state)
{
    ctx *x = begin(state);
    mdm_table in, out;
    mdm_error err;
    make_sample(&in, 14);
    OK(mdm_conn_create_table(x->c, "sample", &in, MDM_IF_EXISTS_FAIL, &err));
    read_all(x, "sample", &out);
    assert_tables_equal(&in, &out);
    for (size_t c = 0; c < out.ncols; c++) {
        assert_non_null(out.cols[c].decl_type);   /* declared types are reported */
        assert_true(out.cols[c].decl_type[0] != '\0');
    }
    /* NULL and '' stay apart */
    assert_false(mdm_table_is_null(&out, 3, 0));
    assert_string_equal(mdm_table_text(&out, 3, 0, NULL), "");
    assert_true(mdm_table_is_null(&out, 3, 5));
    mdm_table_reset(&in);
    mdm_table_reset(&out);
}

static void bulk_round_trip(void **state)
{
    ctx *x = begin(state);
    mdm_table in, out;
    mdm_error err;
    make_sample(&in, 5000);
    OK(mdm_conn_create_table(x->c, "bulk", &in, MDM_IF_EXISTS_FAIL, &err));
    read_all(x, "bulk", &out);
    assert_int_equal(out.nrows, 5000);
    assert_tables_equal(&in, &out);
    mdm_table_reset(&in);
    mdm_table_reset(&out);
}

static void empty_table_keeps_its_column_types(void **state)
{
    ctx *x = begin(state);
    mdm_table in, out;
    mdm_error err;
    make_sample(&in, 0);
    OK(mdm_conn_create_table(x->c, "empty", &in, MDM_IF_EXISTS_FAIL, &err));
    read_all(x, "empty", &out);
    assert_int_equal(out.nrows, 0);
    assert_tables_equal(&in, &out);
    mdm_table_reset(&in);
    mdm_table_reset(&out);
}

static void read_selects_columns_in_the_order_asked(void **state)
{
    ctx *x = begin(state);
    mdm_table in, out;
    mdm_read_opts o = MDM_READ_OPTS_INIT;
    const char *cols[] = {"ts", "i"};
    const char *missing[] = {"i", "nope"};
    mdm_error err;
    make_sample(&in, 6);
    OK(mdm_conn_create_table(x->c, "t", &in, MDM_IF_EXISTS_FAIL, &err));
    o.columns = cols;
    o.ncolumns = 2;
    mdm_table_init(&out);
    OK(mdm_conn_read_table(x->c, "t", &o, &out, &err));
    assert_int_equal(out.ncols, 2);
    assert_string_equal(out.cols[0].name, "ts");
    assert_int_equal(out.cols[0].type, MDM_TIMESTAMP);
    assert_string_equal(out.cols[1].name, "i");
    assert_int_equal(mdm_table_int64(&out, 1, 1), INT64_MAX);
    assert_int_equal(out.nrows, 6);
    o.columns = missing;
    assert_int_equal(mdm_conn_read_table(x->c, "t", &o, &out, &err), MDM_ERR_NOT_FOUND);
    assert_int_equal(out.ncols, 2);   /* untouched on error */
    mdm_table_reset(&in);
    mdm_table_reset(&out);
}

static void read_limit_zero_gives_schema_only(void **state)
{
    ctx *x = begin(state);
    mdm_table in, out;
    mdm_read_opts o = MDM_READ_OPTS_INIT;
    mdm_error err;
    make_sample(&in, 10);
    OK(mdm_conn_create_table(x->c, "t", &in, MDM_IF_EXISTS_FAIL, &err));
    mdm_table_init(&out);
    o.has_limit = true;
    o.limit = 0;
    OK(mdm_conn_read_table(x->c, "t", &o, &out, &err));
    assert_int_equal(out.nrows, 0);
    assert_int_equal(out.ncols, 5);
    assert_int_equal(out.cols[2].type, MDM_BOOL);
    assert_int_equal(out.cols[4].type, MDM_TIMESTAMP);
    o.limit = 3;
    OK(mdm_conn_read_table(x->c, "t", &o, &out, &err));
    assert_int_equal(out.nrows, 3);
    o.limit = 1000;
    OK(mdm_conn_read_table(x->c, "t", &o, &out, &err));
    assert_int_equal(out.nrows, 10);
    o.limit = -1;
    assert_int_equal(mdm_conn_read_table(x->c, "t", &o, &out, &err), MDM_ERR_INVALID_ARG);
    o.has_limit = false;
    OK(mdm_conn_read_table(x->c, "t", &o, &out, &err));
    assert_int_equal(out.nrows, 10);
    mdm_table_reset(&in);
    mdm_table_reset(&out);
}

static void missing_table_is_not_found(void **state)
{
    ctx *x = begin(state);
    mdm_table out;
    mdm_table_info ti;
    mdm_error err;
    bool exists = true;
    mdm_table_init(&out);
    mdm_table_info_init(&ti);
    assert_int_equal(mdm_conn_read_table(x->c, "nowhere", NULL, &out, &err), MDM_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "nowhere"));
    assert_int_equal(mdm_conn_table_info(x->c, "nowhere", &ti, &err), MDM_ERR_NOT_FOUND);
    assert_int_equal(mdm_conn_drop_table(x->c, "nowhere", false, &err), MDM_ERR_NOT_FOUND);
    OK(mdm_conn_drop_table(x->c, "nowhere", true, &err));
    OK(mdm_conn_table_exists(x->c, "nowhere", &exists, &err));
    assert_false(exists);
}

static void fail_mode_refuses_an_existing_table(void **state)
{
    ctx *x = begin(state);
    mdm_table a, b, out;
    mdm_error err;
    one_col(&a, "v", 1);
    one_col(&b, "v", 2);
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_FAIL, &err));
    assert_int_equal(mdm_conn_create_table(x->c, "t", &b, MDM_IF_EXISTS_FAIL, &err), MDM_ERR_EXISTS);
    assert_non_null(strstr(err.message, "Table 't' already exists."));
    read_all(x, "t", &out);
    assert_tables_equal(&a, &out);
    mdm_table_reset(&a);
    mdm_table_reset(&b);
    mdm_table_reset(&out);
}

static void replace_mode_swaps_schema_and_rows(void **state)
{
    ctx *x = begin(state);
    mdm_table a, b, out;
    mdm_error err;
    make_sample(&a, 8);
    one_col(&b, "other", 99);
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_FAIL, &err));
    read_all(x, "t", &out);       /* a read before the replace must not go stale */
    assert_int_equal(out.nrows, 8);
    mdm_table_reset(&out);
    OK(mdm_conn_create_table(x->c, "t", &b, MDM_IF_EXISTS_REPLACE, &err));
    read_all(x, "t", &out);
    assert_tables_equal(&b, &out);
    mdm_table_reset(&out);
    OK(mdm_conn_create_table(x->c, "new", &a, MDM_IF_EXISTS_REPLACE, &err));   /* missing: created */
    read_all(x, "new", &out);
    assert_tables_equal(&a, &out);
    mdm_table_reset(&a);
    mdm_table_reset(&b);
    mdm_table_reset(&out);
}

static void append_mode_adds_rows_by_column_name(void **state)
{
    ctx *x = begin(state);
    mdm_table a, part, bad, out;
    mdm_error err;
    make_sample(&a, 4);
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_APPEND, &err));   /* missing: created */
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_APPEND, &err));
    read_all(x, "t", &out);
    assert_int_equal(out.nrows, 8);
    assert_int_equal(mdm_table_int64(&out, 0, 4), INT64_MIN);
    mdm_table_reset(&out);
    /* a subset of the columns: the others are NULL */
    one_col(&part, "i", 5);
    OK(mdm_conn_create_table(x->c, "t", &part, MDM_IF_EXISTS_APPEND, &err));
    read_all(x, "t", &out);
    assert_int_equal(out.nrows, 9);
    assert_int_equal(mdm_table_int64(&out, 0, 8), 5);
    assert_true(mdm_table_is_null(&out, 3, 8));
    mdm_table_reset(&out);
    /* a column the table lacks */
    one_col(&bad, "zzz", 5);
    assert_int_not_equal(mdm_conn_create_table(x->c, "t", &bad, MDM_IF_EXISTS_APPEND, &err), MDM_OK);
    assert_non_null(strstr(err.message, "has no column named zzz"));
    read_all(x, "t", &out);
    assert_int_equal(out.nrows, 9);
    mdm_table_reset(&a);
    mdm_table_reset(&part);
    mdm_table_reset(&bad);
    mdm_table_reset(&out);
}

static void exists_list_info_and_drop(void **state)
{
    ctx *x = begin(state);
    mdm_table a;
    mdm_strlist names;
    mdm_table_info ti;
    mdm_error err;
    bool exists = false;
    make_sample(&a, 3);
    OK(mdm_conn_create_table(x->c, "zeta", &a, MDM_IF_EXISTS_FAIL, &err));
    OK(mdm_conn_create_table(x->c, "alpha", &a, MDM_IF_EXISTS_FAIL, &err));
    OK(mdm_conn_create_table(x->c, "Mid", &a, MDM_IF_EXISTS_FAIL, &err));
    OK(mdm_conn_table_exists(x->c, "alpha", &exists, &err));
    assert_true(exists);
    mdm_strlist_init(&names);
    OK(mdm_conn_list_tables(x->c, &names, &err));
    assert_int_equal(names.count, 3);
    assert_string_equal(names.items[0], "Mid");   /* byte order */
    assert_string_equal(names.items[1], "alpha");
    assert_string_equal(names.items[2], "zeta");
    mdm_table_info_init(&ti);
    OK(mdm_conn_table_info(x->c, "alpha", &ti, &err));
    assert_string_equal(ti.name, "alpha");
    assert_int_equal(ti.ncolumns, 5);
    assert_int_equal(ti.row_count, 3);
    assert_string_equal(ti.columns[0].name, "i");
    assert_int_equal(ti.columns[0].type, MDM_INT64);
    assert_int_equal(ti.columns[1].type, MDM_FLOAT64);
    assert_int_equal(ti.columns[2].type, MDM_BOOL);
    assert_int_equal(ti.columns[3].type, MDM_TEXT);
    assert_int_equal(ti.columns[4].type, MDM_TIMESTAMP);
    for (size_t i = 0; i < ti.ncolumns; i++)
        assert_true(ti.columns[i].decl_type[0] != '\0');
    OK(mdm_conn_drop_table(x->c, "alpha", false, &err));
    OK(mdm_conn_table_exists(x->c, "alpha", &exists, &err));
    assert_false(exists);
    OK(mdm_conn_list_tables(x->c, &names, &err));
    assert_int_equal(names.count, 2);
    mdm_strlist_reset(&names);
    mdm_table_info_reset(&ti);
    mdm_table_reset(&a);
}

/* Names that break SQL built by pasting. */
static const char *const HOSTILE[] = {
    "a\"b", "with space", "semi;colon", "dash -- comment", "slash /* star */", "select",
    "MixedCase", "Robert'); DROP TABLE students;--", "back\\slash", "données ü 日本",
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk",   /* 63 bytes */
    "$1", ":param", "?", "%s%n",
};

static void hostile_identifiers_round_trip(void **state)
{
    ctx *x = begin(state);
    mdm_error err;
    for (size_t h = 0; h < sizeof HOSTILE / sizeof HOSTILE[0]; h++) {
        const char *name = HOSTILE[h];
        mdm_table in, out;
        mdm_strlist names;
        mdm_table_info ti;
        mdm_read_opts o = MDM_READ_OPTS_INIT;
        bool exists = false, listed = false;
        mdm_table_init(&in);
        OK(mdm_table_add_column(&in, name, MDM_TEXT, &err));
        OK(mdm_table_add_column(&in, "plain", MDM_INT64, &err));
        OK(mdm_table_push_text(&in, 0, name, strlen(name), &err));
        OK(mdm_table_push_int64(&in, 1, (int64_t)h, &err));
        OK(mdm_table_end_row(&in, &err));
        if (mdm_conn_create_table(x->c, name, &in, MDM_IF_EXISTS_FAIL, &err) != MDM_OK)
            fail_msg("create '%s': %s", name, err.message);
        OK(mdm_conn_create_table(x->c, name, &in, MDM_IF_EXISTS_APPEND, &err));
        OK(mdm_conn_table_exists(x->c, name, &exists, &err));
        assert_true(exists);
        mdm_table_init(&out);
        o.columns = &name;
        o.ncolumns = 1;
        o.has_limit = true;
        o.limit = 1;
        if (mdm_conn_read_table(x->c, name, &o, &out, &err) != MDM_OK)
            fail_msg("read '%s': %s", name, err.message);
        assert_int_equal(out.nrows, 1);
        assert_string_equal(out.cols[0].name, name);
        assert_string_equal(mdm_table_text(&out, 0, 0, NULL), name);
        mdm_strlist_init(&names);
        OK(mdm_conn_list_tables(x->c, &names, &err));
        for (size_t i = 0; i < names.count; i++)
            listed = listed || strcmp(names.items[i], name) == 0;
        assert_true(listed);
        mdm_table_info_init(&ti);
        OK(mdm_conn_table_info(x->c, name, &ti, &err));
        assert_int_equal(ti.row_count, 2);
        assert_string_equal(ti.columns[0].name, name);
        OK(mdm_conn_create_table(x->c, name, &in, MDM_IF_EXISTS_REPLACE, &err));
        OK(mdm_conn_drop_table(x->c, name, false, &err));
        OK(mdm_conn_table_exists(x->c, name, &exists, &err));
        assert_false(exists);
        mdm_table_info_reset(&ti);
        mdm_strlist_reset(&names);
        mdm_table_reset(&in);
        mdm_table_reset(&out);
    }
}

static void over_long_identifiers_are_refused_or_kept_whole(void **state)
{
    ctx *x = begin(state);
    char name[80];
    mdm_table in, out;
    mdm_error err;
    memset(name, 'n', 64);
    name[64] = '\0';
    one_col(&in, "v", 1);
    mdm_status rc = mdm_conn_create_table(x->c, name, &in, MDM_IF_EXISTS_FAIL, &err);
    if (is_pg(x)) {
        /* PostgreSQL would truncate to 63 bytes: refused instead */
        assert_int_equal(rc, MDM_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "63"));
    } else {
        assert_int_equal(rc, MDM_OK);
        read_all(x, name, &out);
        assert_tables_equal(&in, &out);
        mdm_table_reset(&out);
        name[63] = '\0';   /* a 63-byte prefix is another table */
        mdm_table_init(&out);
        assert_int_equal(mdm_conn_read_table(x->c, name, NULL, &out, &err), MDM_ERR_NOT_FOUND);
    }
    mdm_table_reset(&in);
}

static void bad_arguments_are_invalid(void **state)
{
    ctx *x = begin(state);
    mdm_table in, empty, out;
    mdm_error err;
    mdm_read_opts o = MDM_READ_OPTS_INIT;
    bool exists;
    mdm_strlist l;
    mdm_table_info ti;
    one_col(&in, "v", 1);
    mdm_table_init(&empty);
    mdm_table_init(&out);
    mdm_strlist_init(&l);
    mdm_table_info_init(&ti);
    assert_int_equal(mdm_conn_create_table(x->c, "t", &empty, MDM_IF_EXISTS_FAIL, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_create_table(x->c, "", &in, MDM_IF_EXISTS_FAIL, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_create_table(x->c, "bad\xff", &in, MDM_IF_EXISTS_FAIL, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_create_table(x->c, "t", &in, (mdm_if_exists)9, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_create_table(NULL, "t", &in, MDM_IF_EXISTS_FAIL, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_create_table(x->c, NULL, &in, MDM_IF_EXISTS_FAIL, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_read_table(x->c, "", NULL, &out, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_read_table(NULL, "t", NULL, &out, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_read_table(x->c, NULL, NULL, &out, &err), MDM_ERR_INVALID_ARG);
    o.version = 0;
    assert_int_equal(mdm_conn_read_table(x->c, "t", &o, &out, &err), MDM_ERR_INVALID_ARG);
    o = (mdm_read_opts)MDM_READ_OPTS_INIT;
    o.ncolumns = 1;
    assert_int_equal(mdm_conn_read_table(x->c, "t", &o, &out, &err), MDM_ERR_INVALID_ARG);
    const char *nullcol[] = {NULL};
    o.columns = nullcol;
    assert_int_equal(mdm_conn_read_table(x->c, "t", &o, &out, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_table_exists(x->c, "", &exists, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_table_exists(NULL, "t", &exists, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_table_exists(x->c, "t", NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_list_tables(NULL, &l, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_list_tables(x->c, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_table_info(NULL, "t", &ti, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_table_info(x->c, NULL, &ti, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_table_info(x->c, "", &ti, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_drop_table(x->c, "\xc3", true, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_drop_table(NULL, "t", true, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_drop_table(x->c, NULL, true, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_ping(NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_begin(NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_commit(NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_rollback(NULL, &err), MDM_ERR_INVALID_ARG);
    assert_false(mdm_conn_in_transaction(NULL));
    mdm_table_reset(&in);
}

static void ping_answers(void **state)
{
    ctx *x = begin(state);
    mdm_error err;
    OK(mdm_conn_ping(x->c, &err));
    assert_string_equal(mdm_conn_backend_name(x->c), x->b->ops->name);
}

static void data_outlives_the_connection(void **state)
{
    ctx *x = begin(state);
    mdm_table in, out;
    mdm_conn *other = NULL;
    mdm_error err;
    make_sample(&in, 7);
    OK(mdm_conn_create_table(x->c, "kept", &in, MDM_IF_EXISTS_FAIL, &err));
    OK(mdm_conn_open(x->b->ops, &x->cfg, &other, &err));
    if (!(caps(x) & MDM_CAP_PERSISTENT)) {
        bool exists = true;   /* each connection is its own database */
        OK(mdm_conn_table_exists(other, "kept", &exists, &err));
        assert_false(exists);
        mdm_conn_close(other);
        mdm_table_reset(&in);
        return;
    }
    mdm_table_init(&out);
    OK(mdm_conn_read_table(other, "kept", NULL, &out, &err));
    assert_tables_equal(&in, &out);
    mdm_conn_close(other);
    mdm_table_reset(&in);
    mdm_table_reset(&out);
}

/* ---- SQL ---- */

/* Backends without SQL must say so (UNSUPPORTED); the SQL cases then pass
 * on that check alone. */
static bool has_sql(ctx *x)
{
    mdm_query_result r;
    mdm_error err;
    if (caps(x) & MDM_CAP_SQL)
        return true;
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(x->c, "SELECT 1", NULL, 0, &r, &err),
                     MDM_ERR_UNSUPPORTED);
    return false;
}

static void query_params_are_bound_by_value(void **state)
{
    ctx *x = begin(state);
    mdm_table in, out;
    mdm_query_result r;
    mdm_error err;
    if (!has_sql(x))
        return;
    make_sample(&in, 0);
    OK(mdm_conn_create_table(x->c, "t", &in, MDM_IF_EXISTS_FAIL, &err));
    const char *evil = "x'); DROP TABLE t; --";
    mdm_param p[] = {
        mdm_param_int64("i", INT64_MIN), mdm_param_float64("f", 1e308), mdm_param_bool("b", true),
        mdm_param_text("s", evil), mdm_param_timestamp("ts", 1700000000123456LL),
    };
    mdm_query_result_init(&r);
    OK(mdm_conn_execute_query(x->c, "INSERT INTO t (i, f, b, s, ts) VALUES (:i, :f, :b, :s, :ts)",
                              p, 5, &r, &err));
    assert_int_equal(r.rows_affected, 1);
    assert_int_equal(r.table.ncols, 0);
    mdm_param nulls[] = {
        mdm_param_null("i", MDM_INT64), mdm_param_null("f", MDM_FLOAT64),
        mdm_param_null("b", MDM_BOOL), mdm_param_null("s", MDM_TEXT),
        mdm_param_null("ts", MDM_TIMESTAMP),
    };
    OK(mdm_conn_execute_query(x->c, "INSERT INTO t (i, f, b, s, ts) VALUES (:i, :f, :b, :s, :ts)",
                              nulls, 5, &r, &err));
    read_all(x, "t", &out);
    assert_int_equal(out.nrows, 2);
    assert_int_equal(mdm_table_int64(&out, 0, 0), INT64_MIN);
    assert_true(mdm_table_float64(&out, 1, 0) == 1e308);
    assert_true(mdm_table_bool(&out, 2, 0));
    assert_string_equal(mdm_table_text(&out, 3, 0, NULL), evil);
    assert_int_equal(mdm_table_timestamp(&out, 4, 0), 1700000000123456LL);
    for (size_t c = 0; c < 5; c++)
        assert_true(mdm_table_is_null(&out, c, 1));
    /* the same name twice, and a text param compared with a column */
    mdm_param same[] = {mdm_param_text("s", evil)};
    OK(mdm_conn_execute_query(x->c, "SELECT s, :s = s AS eq FROM t WHERE s = :s", same, 1, &r,
                              &err));
    assert_int_equal(r.table.nrows, 1);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), evil);
    mdm_query_result_reset(&r);
    mdm_table_reset(&out);
    mdm_table_reset(&in);
}

static void query_results_and_rows_affected(void **state)
{
    ctx *x = begin(state);
    mdm_table in;
    mdm_query_result r;
    mdm_error err;
    if (!has_sql(x))
        return;
    make_sample(&in, 12);
    OK(mdm_conn_create_table(x->c, "t", &in, MDM_IF_EXISTS_FAIL, &err));
    mdm_query_result_init(&r);
    mdm_param lo = mdm_param_int64("lo", 0);
    OK(mdm_conn_execute_query(x->c, "UPDATE t SET b = NOT b WHERE i > :lo", &lo, 1, &r, &err));
    assert_true(r.rows_affected > 0);
    int64_t updated = r.rows_affected;
    OK(mdm_conn_execute_query(x->c, "SELECT COUNT(*) AS n FROM t WHERE i > :lo", &lo, 1, &r, &err));
    assert_int_equal(r.rows_affected, 0);
    assert_int_equal(r.table.ncols, 1);
    assert_string_equal(r.table.cols[0].name, "n");
    assert_int_equal(r.table.cols[0].type, MDM_INT64);
    assert_int_equal(mdm_table_int64(&r.table, 0, 0), updated);
    OK(mdm_conn_execute_query(x->c, "DELETE FROM t WHERE i IS NULL", NULL, 0, &r, &err));
    assert_int_equal(r.rows_affected, 1);
    OK(mdm_conn_execute_query(x->c, "CREATE TABLE other (x BIGINT)", NULL, 0, &r, &err));
    assert_int_equal(r.rows_affected, 0);
    assert_int_equal(r.table.ncols, 0);
    OK(mdm_conn_execute_query(x->c, "SELECT i, s, ts FROM t WHERE i = 38", NULL, 0, &r, &err));
    assert_int_equal(r.table.nrows, 1);
    assert_int_equal(r.table.cols[2].type, MDM_TIMESTAMP);   /* typed by declared type */
    assert_string_equal(mdm_table_text(&r.table, 1, 0, NULL), TXT[4]);
    OK(mdm_conn_execute_query(x->c, "SELECT 1 + 1 AS two, 'x' AS s, 2.5 AS f", NULL, 0, &r, &err));
    assert_int_equal(r.table.cols[0].type, MDM_INT64);
    assert_int_equal(mdm_table_int64(&r.table, 0, 0), 2);
    assert_int_equal(r.table.cols[1].type, MDM_TEXT);
    assert_int_equal(r.table.cols[2].type, MDM_FLOAT64);
    mdm_query_result_reset(&r);
    mdm_table_reset(&in);
}

static void query_parameter_mistakes_are_invalid(void **state)
{
    ctx *x = begin(state);
    mdm_query_result r;
    mdm_error err;
    if (!has_sql(x))
        return;
    mdm_query_result_init(&r);
    mdm_param a = mdm_param_int64("a", 1), b = mdm_param_int64("b", 2);
    mdm_param twice[] = {mdm_param_int64("a", 1), mdm_param_int64(":a", 2)};
    mdm_param unnamed = mdm_param_int64(NULL, 1);
    assert_int_equal(mdm_conn_execute_query(x->c, "SELECT :a AS a", NULL, 0, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "no value for parameter :a"));
    assert_int_equal(mdm_conn_execute_query(x->c, "SELECT :a AS a", &b, 1, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_execute_query(x->c, "SELECT 1 AS a", &a, 1, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "parameter :a is not used by the query"));
    assert_int_equal(mdm_conn_execute_query(x->c, "SELECT :a AS a", twice, 2, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_execute_query(x->c, "SELECT :a AS a", &unnamed, 1, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_execute_query(x->c, "SELECT :a AS a", NULL, 1, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_execute_query(x->c, "SELECT 1; SELECT 2", NULL, 0, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "only one statement"));
    assert_int_equal(mdm_conn_execute_query(x->c, "SELEC 1", NULL, 0, &r, &err), MDM_ERR_SQL);
    assert_int_equal(mdm_conn_execute_query(x->c, NULL, NULL, 0, &r, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_execute_query(NULL, "SELECT 1", NULL, 0, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_execute_query(x->c, "SELECT 1", NULL, 0, NULL, &err),
                     MDM_ERR_INVALID_ARG);
    /* a leading ':' in the param name is accepted too */
    mdm_param colon = mdm_param_int64(":a", 7);
    OK(mdm_conn_execute_query(x->c, "SELECT :a AS a;  ", &colon, 1, &r, &err));
    assert_int_equal(mdm_table_int64(&r.table, 0, 0), 7);
    mdm_query_result_reset(&r);
}

static void colons_in_literals_and_comments_are_not_params(void **state)
{
    ctx *x = begin(state);
    mdm_query_result r;
    mdm_error err;
    if (!has_sql(x))
        return;
    mdm_query_result_init(&r);
    mdm_param v = mdm_param_text("v", "value");
    OK(mdm_conn_execute_query(x->c,
                              "SELECT ':no' AS \":nor\", 'it''s :x' AS q, :v AS v -- :c\n"
                              "/* :d */",
                              &v, 1, &r, &err));
    assert_int_equal(r.table.ncols, 3);
    assert_string_equal(r.table.cols[0].name, ":nor");
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), ":no");
    assert_string_equal(mdm_table_text(&r.table, 1, 0, NULL), "it's :x");
    assert_string_equal(mdm_table_text(&r.table, 2, 0, NULL), "value");
    mdm_query_result_reset(&r);
}

/* ---- transactions ---- */

static void transactions_wrap_writes(void **state)
{
    ctx *x = begin(state);
    mdm_table a, out;
    mdm_error err;
    bool exists = true;
    one_col(&a, "v", 1);
    if (!(caps(x) & MDM_CAP_TRANSACTIONS)) {
        assert_int_equal(mdm_conn_begin(x->c, &err), MDM_ERR_NOT_IMPLEMENTED);
        assert_int_equal(mdm_conn_commit(x->c, &err), MDM_ERR_NOT_IMPLEMENTED);
        assert_int_equal(mdm_conn_rollback(x->c, &err), MDM_ERR_NOT_IMPLEMENTED);
        assert_false(mdm_conn_in_transaction(x->c));
        mdm_table_reset(&a);
        return;
    }
    assert_false(mdm_conn_in_transaction(x->c));
    assert_int_equal(mdm_conn_commit(x->c, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_rollback(x->c, &err), MDM_ERR_INVALID_ARG);
    OK(mdm_conn_begin(x->c, &err));
    assert_true(mdm_conn_in_transaction(x->c));
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_FAIL, &err));   /* savepoint */
    assert_true(mdm_conn_in_transaction(x->c));
    /* a failing write inside the caller's transaction leaves it usable */
    assert_int_equal(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_FAIL, &err), MDM_ERR_EXISTS);
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_APPEND, &err));
    OK(mdm_conn_rollback(x->c, &err));
    assert_false(mdm_conn_in_transaction(x->c));
    OK(mdm_conn_table_exists(x->c, "t", &exists, &err));
    assert_false(exists);
    OK(mdm_conn_begin(x->c, &err));
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_FAIL, &err));
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_APPEND, &err));
    OK(mdm_conn_commit(x->c, &err));
    read_all(x, "t", &out);
    assert_int_equal(out.nrows, 2);
    mdm_table_reset(&a);
    mdm_table_reset(&out);
}

/* ---- optional features ---- */

static void statement_cache_reuses_prepared_statements(void **state)
{
    ctx *x = begin(state);
    mdm_stmt_cache_stats s0, s1;
    mdm_table a, out;
    mdm_error err;
    if (!(caps(x) & MDM_CAP_STMT_CACHE)) {
        assert_int_equal(mdm_conn_stmt_cache_stats(x->c, &s0, &err), MDM_ERR_NOT_IMPLEMENTED);
        return;
    }
    assert_int_equal(mdm_conn_stmt_cache_stats(x->c, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_stmt_cache_stats(NULL, &s0, &err), MDM_ERR_INVALID_ARG);
    one_col(&a, "v", 3);
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_FAIL, &err));
    read_all(x, "t", &out);
    mdm_table_reset(&out);
    OK(mdm_conn_stmt_cache_stats(x->c, &s0, &err));
    for (int i = 0; i < 5; i++) {
        read_all(x, "t", &out);
        assert_int_equal(mdm_table_int64(&out, 0, 0), 3);
        mdm_table_reset(&out);
    }
    OK(mdm_conn_stmt_cache_stats(x->c, &s1, &err));
    assert_int_equal(s1.hits - s0.hits, 5);
    assert_int_equal(s1.misses, s0.misses);
    assert_int_equal(s1.capacity, 64);
    assert_true(s1.size > 0);
    /* results are never cached: a change shows at once */
    mdm_table_reset(&a);
    one_col(&a, "v", 4);
    OK(mdm_conn_create_table(x->c, "t", &a, MDM_IF_EXISTS_REPLACE, &err));
    read_all(x, "t", &out);
    assert_int_equal(mdm_table_int64(&out, 0, 0), 4);
    mdm_table_reset(&out);
    mdm_table_reset(&a);
}

static void database_level_operations(void **state)
{
    ctx *x = begin(state);
    mdm_conn_config server = x->cfg;
    mdm_error err;
    bool exists = true;
    char name[400];
    if (!(caps(x) & MDM_CAP_DATABASES)) {
        assert_int_equal(mdm_database_exists(x->b->ops, &x->cfg, "d", &exists, &err),
                         MDM_ERR_NOT_IMPLEMENTED);
        assert_int_equal(mdm_database_create(x->b->ops, &x->cfg, "d", &err), MDM_ERR_NOT_IMPLEMENTED);
        assert_int_equal(mdm_database_drop(x->b->ops, &x->cfg, "d", true, &err),
                         MDM_ERR_NOT_IMPLEMENTED);
        return;
    }
    if (is_pg(x)) {
        server.dsn = mdm_test_pg_dsn();
        snprintf(name, sizeof name, "mdm_conf_db_%ld", (long)getpid());
        mdm_test_pg_drop_db(name);
    } else {
        snprintf(name, sizeof name, "%s/datasets/x/dataset.sqlite", x->dir);
    }
    OK(mdm_database_exists(x->b->ops, &server, name, &exists, &err));
    assert_false(exists);
    OK(mdm_database_create(x->b->ops, &server, name, &err));
    OK(mdm_database_exists(x->b->ops, &server, name, &exists, &err));
    assert_true(exists);
    assert_int_equal(mdm_database_create(x->b->ops, &server, name, &err), MDM_ERR_EXISTS);
    OK(mdm_database_drop(x->b->ops, &server, name, false, &err));
    OK(mdm_database_exists(x->b->ops, &server, name, &exists, &err));
    assert_false(exists);
    assert_int_equal(mdm_database_drop(x->b->ops, &server, name, false, &err), MDM_ERR_NOT_FOUND);
    OK(mdm_database_drop(x->b->ops, &server, name, true, &err));
    assert_int_equal(mdm_database_exists(x->b->ops, &server, "", &exists, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_database_exists(x->b->ops, &server, name, NULL, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_database_create(NULL, &server, name, &err), MDM_ERR_INVALID_ARG);
    server.version = 0;
    assert_int_equal(mdm_database_drop(x->b->ops, &server, name, true, &err), MDM_ERR_INVALID_ARG);
}

/* ---- runner ------------------------------------------------------------ */

static const struct {
    const char *name;
    CMUnitTestFunction fn;
} CASES[] = {
    {"round_trip_keeps_types_values_and_nulls", round_trip_keeps_types_values_and_nulls},
    {"bulk_round_trip", bulk_round_trip},
    {"empty_table_keeps_its_column_types", empty_table_keeps_its_column_types},
    {"read_selects_columns_in_the_order_asked", read_selects_columns_in_the_order_asked},
    {"read_limit_zero_gives_schema_only", read_limit_zero_gives_schema_only},
    {"missing_table_is_not_found", missing_table_is_not_found},
    {"fail_mode_refuses_an_existing_table", fail_mode_refuses_an_existing_table},
    {"replace_mode_swaps_schema_and_rows", replace_mode_swaps_schema_and_rows},
    {"append_mode_adds_rows_by_column_name", append_mode_adds_rows_by_column_name},
    {"exists_list_info_and_drop", exists_list_info_and_drop},
    {"hostile_identifiers_round_trip", hostile_identifiers_round_trip},
    {"over_long_identifiers_are_refused_or_kept_whole", over_long_identifiers_are_refused_or_kept_whole},
    {"bad_arguments_are_invalid", bad_arguments_are_invalid},
    {"ping_answers", ping_answers},
    {"data_outlives_the_connection", data_outlives_the_connection},
    {"query_params_are_bound_by_value", query_params_are_bound_by_value},
    {"query_results_and_rows_affected", query_results_and_rows_affected},
    {"query_parameter_mistakes_are_invalid", query_parameter_mistakes_are_invalid},
    {"colons_in_literals_and_comments_are_not_params", colons_in_literals_and_comments_are_not_params},
    {"transactions_wrap_writes", transactions_wrap_writes},
    {"statement_cache_reuses_prepared_statements", statement_cache_reuses_prepared_statements},
    {"database_level_operations", database_level_operations},
};

int main(void)
{
    enum { NCASES = sizeof CASES / sizeof CASES[0] };
    mdm_registry *reg = NULL;
    mdm_error err;
    int failures = 0;

    if (mdm_registry_new(&reg, &err) != MDM_OK || mdm_registry_add_builtins(reg, &err) != MDM_OK)
        return 1;
    /* Adding a backend: one line. */
    if (mdm_registry_add(reg, "example", mdm_example_backend(), &err) != MDM_OK)
        return 1;

    size_t nb = mdm_registry_count(reg);
    backend_fx *fx = calloc(nb, sizeof *fx);
    struct CMUnitTest *tests = calloc(NCASES, sizeof *tests);
    char (*names)[160] = calloc(NCASES, sizeof *names);
    for (size_t b = 0; b < nb; b++) {
        char group[64];
        fx[b].name = mdm_registry_name_at(reg, b);
        fx[b].ops = mdm_registry_ops_at(reg, b);
        for (size_t i = 0; i < NCASES; i++) {
            snprintf(names[i], sizeof names[i], "conformance__%s__%s", fx[b].name, CASES[i].name);
            tests[i].name = names[i];
            tests[i].test_func = CASES[i].fn;
            tests[i].setup_func = setup;
            tests[i].teardown_func = teardown;
            tests[i].initial_state = &fx[b];
        }
        snprintf(group, sizeof group, "conformance_%s", fx[b].name);
        failures += _cmocka_run_group_tests(group, tests, NCASES, NULL, NULL);
    }
    free(names);
    free(tests);
    free(fx);
    mdm_registry_free(reg);
    return failures;
}
