/* SPDX-License-Identifier: MIT */
/*
 * test_injection.c - hostile table names, column names, parameter values and
 * SQL shapes through modern's mdm_conn_* API, on SQLite and on PostgreSQL.
 * Every database holds a canary table; after every case its rows must be
 * exactly as written and no table may have appeared or vanished, so "no
 * statement but the intended one ran" is checked, not assumed. Refusals
 * must be INVALID_ARG (or the kind named) with a message that says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_backend.h"
#include "mdm_buf.h"
#include "mdm_conn.h"
#include "mdm_sql.h"
#include "test_support.h"

/* ---- the corpus ---------------------------------------------------------- */

/* Which dialects must accept a name. SAME_SQLITE: SQLite folds ASCII case
 * even in quoted identifiers, so there the name is the canary itself. */
enum { OK_BOTH, BAD_BOTH, BAD_PG, SAME_SQLITE };

typedef struct hostile_name {
    const char *label;
    const char *name;
    int validity;
} hostile_name;

#define LONG63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const hostile_name NAMES[] = {
    {"double quote breakout", "x\"; DROP TABLE canary; --", OK_BOTH},
    {"single quote breakout", "x'); DROP TABLE canary; --", OK_BOTH},
    {"quote then comment", "canary\"--", OK_BOTH},
    {"lone double quote", "\"", OK_BOTH},
    {"two double quotes", "\"\"", OK_BOTH},
    {"three double quotes", "\"\"\"", OK_BOTH},
    {"quoted canary", "\"canary\"", OK_BOTH},
    {"semicolon statement", "x; DELETE FROM canary", OK_BOTH},
    {"where clause", "canary\" WHERE 1=1; --", OK_BOTH},
    {"bobby tables", "Robert'); DROP TABLE canary;--", OK_BOTH},
    {"block comment open", "x/*", OK_BOTH},
    {"block comment close", "*/x", OK_BOTH},
    {"line comment", "--x", OK_BOTH},
    {"brackets and backticks", "a]b`c[d", OK_BOTH},
    {"backslashes", "a\\\"b\\", OK_BOTH},
    {"printf formats", "%s%n%x%p", OK_BOTH},
    {"dollar quote", "$$x$$", OK_BOTH},
    {"param marker", ":v", OK_BOTH},
    {"question mark", "?1", OK_BOTH},
    {"dotted schema", "main.canary", OK_BOTH},
    {"dotted public", "public.canary", OK_BOTH},
    {"upper case canary", "CANARY", SAME_SQLITE},
    {"mixed case canary", "Canary", SAME_SQLITE},
    {"leading space", " canary", OK_BOTH},
    {"trailing space", "canary ", OK_BOTH},
    {"newline and tab", "a\nb\tc\r", OK_BOTH},
    {"reserved word", "select", OK_BOTH},
    {"cyrillic look-alike canary", "c\xD0\xB0n\xD0\xB0ry", OK_BOTH},
    {"fullwidth quote", "x\xEF\xBC\x82; DROP TABLE canary; --", OK_BOTH},
    {"curly quotes", "\xE2\x80\x9C" "canary" "\xE2\x80\x9D", OK_BOTH},
    {"modifier apostrophe", "x\xCA\xBC; DROP TABLE canary", OK_BOTH},
    {"zero-width space", "can\xE2\x80\x8B" "ary", OK_BOTH},
    {"right-to-left override", "\xE2\x80\xAE" "yranac", OK_BOTH},
    {"emoji", "\xF0\x9F\x92\xA3", OK_BOTH},
    {"63 bytes", LONG63, OK_BOTH},
    {"64 bytes", LONG63 "a", BAD_PG},
    {"64 bytes of quotes", "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\""
                           "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"", BAD_PG},
    {"empty", "", BAD_BOTH},
    {"invalid UTF-8", "x\xFF\xFE", BAD_BOTH},
    {"overlong quote", "x\xC0\xA2", BAD_BOTH},
    {"UTF-16 surrogate", "x\xED\xA0\x80", BAD_BOTH},
    {"truncated sequence", "x\xE6\x97", BAD_BOTH},
};
#define NNAMES (sizeof NAMES / sizeof NAMES[0])

/* Parameter values: bound, so each must come back byte for byte. */
typedef struct hostile_value {
    const char *label;
    const char *s;
} hostile_value;

static const hostile_value VALUES[] = {
    {"tautology", "' OR '1'='1"},
    {"drop", "'; DROP TABLE canary; --"},
    {"double-quote drop", "\"; DROP TABLE canary; --"},
    {"stacked delete", "1; DELETE FROM canary"},
    {"block comment", "/* */"},
    {"unclosed comment", "/*"},
    {"line comment", "-- x"},
    {"named marker", ":v"},
    {"other marker", ":other"},
    {"positional marker", "$1"},
    {"question marker", "?"},
    {"at marker", "@v"},
    {"backslash", "\\"},
    {"backslash quote", "\\'"},
    {"escape string", "E'\\x00'"},
    {"printf formats", "%s%n%x"},
    {"dollar quote", "$$; DROP TABLE canary; $$"},
    {"secret with comment", "alpha' --"},
    {"fullwidth apostrophes", "\xEF\xBC\x87 OR \xEF\xBC\x87" "1\xEF\xBC\x87=\xEF\xBC\x87" "1"},
    {"modifier apostrophe", "\xCA\xBC OR 1=1 --"},
    {"line separator", "a\xE2\x80\xA8" "b"},
    {"emoji", "\xF0\x9F\x92\xA3"},
    {"CRLF", "\r\n"},
    {"tab", "\t"},
    {"empty", ""},
    {"text NULL", "NULL"},
    {"space", " "},
};
#define NVALUES (sizeof VALUES / sizeof VALUES[0])

/* ---- fixture ------------------------------------------------------------- */

typedef struct fx {
    bool pg;
    const mdm_backend_ops *ops;
    mdm_sql_dialect dialect;
    char dir[256], path[320];
    char dsn[768], db[128];
    mdm_conn_config cfg;
    mdm_conn *c;
    mdm_table canary;
    int cases;             /* hostile inputs tried in this test */
} fx;

/* The canary: three rows that no case may change. */
static void build_canary(mdm_table *t)
{
    static const char *const secrets[] = {"alpha", "beta", "gamma"};
    mdm_error err;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "secret", MDM_TEXT, &err), MDM_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mdm_table_push_int64(t, 0, i + 1, &err), MDM_OK);
        assert_int_equal(mdm_table_push_text(t, 1, secrets[i], strlen(secrets[i]), &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &err), MDM_OK);
    }
}

static int setup_common(void **state, bool pg)
{
    mdm_conn_config init = MDM_CONN_CONFIG_INIT;
    mdm_error err;
    fx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    f->pg = pg;
    f->cfg = init;
    build_canary(&f->canary);
    if (pg) {
        f->ops = mdm_pg_backend();
        f->dialect = MDM_SQL_POSTGRESQL;
        f->cfg.backend = "postgresql";
        if (mdm_test_pg_dsn() == NULL)
            return 0;  /* the test skips */
        if (mdm_test_pg_create_db("mdm_inj", f->dsn, sizeof f->dsn, f->db, sizeof f->db) != 0)
            return -1;
        f->cfg.dsn = f->dsn;
    } else {
        f->ops = mdm_sqlite_backend();
        f->dialect = MDM_SQL_SQLITE;
        f->cfg.backend = "sqlite";
        if (mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
            return -1;
        snprintf(f->path, sizeof f->path, "%s/inj.sqlite", f->dir);
        f->cfg.path = f->path;
    }
    if (mdm_conn_open(f->ops, &f->cfg, &f->c, &err) != MDM_OK) {
        fprintf(stderr, "injection: open: %s\n", err.message);
        return -1;
    }
    if (mdm_conn_create_table(f->c, "canary", &f->canary, MDM_IF_EXISTS_FAIL, &err) != MDM_OK) {
        fprintf(stderr, "injection: canary: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int setup_sqlite(void **state) { return setup_common(state, false); }
static int setup_pg(void **state) { return setup_common(state, true); }

static int teardown(void **state)
{
    fx *f = *state;
    if (f == NULL)
        return 0;
    if (f->cases > 0)
        print_message("injection: %d hostile cases on %s\n", f->cases, f->pg ? "postgresql" : "sqlite");
    mdm_conn_close(f->c);
    if (f->db[0] != '\0')
        mdm_test_pg_drop_db(f->db);
    if (f->dir[0] != '\0')
        mdm_test_rmrf(f->dir);
    mdm_table_reset(&f->canary);
    free(f);
    return 0;
}

static void require_backend(fx *f)
{
    if (f->pg)
        MDM_TEST_REQUIRE_PG();
}

/* The canary is intact and the database holds exactly these tables
 * (sorted, canary among them). */
static void check_tables(fx *f, const char *label, const char *const *expect, size_t nexpect)
{
    mdm_table got;
    mdm_table_diff diff;
    mdm_strlist tables;
    mdm_error err;
    mdm_table_init(&got);
    if (mdm_conn_read_table(f->c, "canary", NULL, &got, &err) != MDM_OK)
        fail_msg("[%s] canary unreadable after the case: %s", label, err.message);
    if (!mdm_table_equal(&f->canary, &got, NULL, &diff))
        fail_msg("[%s] canary changed: %s", label, diff.message);
    mdm_table_reset(&got);
    mdm_strlist_init(&tables);
    if (mdm_conn_list_tables(f->c, &tables, &err) != MDM_OK)
        fail_msg("[%s] list_tables: %s", label, err.message);
    if (tables.count != nexpect)
        fail_msg("[%s] %zu tables after the case, expected %zu (first: '%s')", label,
                 tables.count, nexpect, tables.count ? tables.items[0] : "");
    for (size_t i = 0; i < nexpect; i++)
        if (strcmp(tables.items[i], expect[i]) != 0)
            fail_msg("[%s] table %zu is '%s', expected '%s'", label, i, tables.items[i], expect[i]);
    mdm_strlist_reset(&tables);
}

static void check_canary(fx *f, const char *label)
{
    static const char *const only[] = {"canary"};
    check_tables(f, label, only, 1);
}

/* A two-column table (first column named c1, second c2): rows of
 * (i, "v<i>") for i in [from, from + n). */
static void make_data(mdm_table *t, const char *c1, const char *c2, int from, int n)
{
    mdm_error err;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, c1, MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, c2, MDM_TEXT, &err), MDM_OK);
    for (int i = from; i < from + n; i++) {
        char v[32];
        int len = snprintf(v, sizeof v, "v%d", i);
        assert_int_equal(mdm_table_push_int64(t, 0, i, &err), MDM_OK);
        assert_int_equal(mdm_table_push_text(t, 1, v, (size_t)len, &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &err), MDM_OK);
    }
}

static bool name_ok(const fx *f, const hostile_name *h)
{
    switch (h->validity) {
    case OK_BOTH: return true;
    case BAD_PG: return !f->pg;
    case SAME_SQLITE: return true;
    default: return false;
    }
}

/* A refusal: INVALID_ARG and a message about the identifier. */
static void expect_refused(mdm_status st, const mdm_error *err, const char *label, const char *op)
{
    if (st != MDM_ERR_INVALID_ARG)
        fail_msg("[%s] %s: expected INVALID_ARG, got %s (%s)", label, op, mdm_status_name(st),
                 err->message);
    if (strstr(err->message, "identifier") == NULL)
        fail_msg("[%s] %s: refusal does not say what is wrong: '%s'", label, op, err->message);
}

/* Sorted list of canary plus one more name. */
static void two_tables(const char *other, const char **out)
{
    if (strcmp(other, "canary") < 0) {
        out[0] = other;
        out[1] = "canary";
    } else {
        out[0] = "canary";
        out[1] = other;
    }
}

/* Runs a query that must succeed and return one row of one TEXT column or
 * INT64 column; returns the result for the caller to check. */
static void query_ok(fx *f, const char *label, const char *sql, const mdm_param *params,
                     size_t n, mdm_query_result *r)
{
    mdm_error err;
    mdm_query_result_init(r);
    mdm_status st = mdm_conn_execute_query(f->c, sql, params, n, r, &err);
    if (st != MDM_OK)
        fail_msg("[%s] query failed (%s): %s\n  SQL: %s", label, mdm_status_name(st), err.message, sql);
}

/* ---- table names ----------------------------------------------------------- */

static void hostile_table_name(fx *f, const hostile_name *h)
{
    mdm_table data, data2, got;
    mdm_table_diff diff;
    mdm_error err;
    bool exists = false;
    const char *both[2];

    make_data(&data, "id", "val", 0, 2);
    make_data(&data2, "id", "val", 10, 3);
    mdm_table_init(&got);
    f->cases++;

    if (!name_ok(f, h)) {
        expect_refused(mdm_conn_create_table(f->c, h->name, &data, MDM_IF_EXISTS_FAIL, &err), &err,
                       h->label, "create");
        expect_refused(mdm_conn_create_table(f->c, h->name, &data, MDM_IF_EXISTS_REPLACE, &err), &err,
                       h->label, "replace");
        expect_refused(mdm_conn_table_exists(f->c, h->name, &exists, &err), &err, h->label, "exists");
        expect_refused(mdm_conn_read_table(f->c, h->name, NULL, &got, &err), &err, h->label, "read");
        expect_refused(mdm_conn_drop_table(f->c, h->name, true, &err), &err, h->label, "drop");
        check_canary(f, h->label);
        goto done;
    }

    if (h->validity == SAME_SQLITE && !f->pg) {
        /* The canary under another spelling: reported as existing, and
         * reading it reads the canary. */
        mdm_status st = mdm_conn_create_table(f->c, h->name, &data, MDM_IF_EXISTS_FAIL, &err);
        if (st != MDM_ERR_EXISTS)
            fail_msg("[%s] expected EXISTS, got %s (%s)", h->label, mdm_status_name(st), err.message);
        if (mdm_conn_read_table(f->c, h->name, NULL, &got, &err) != MDM_OK ||
            !mdm_table_equal(&f->canary, &got, NULL, &diff))
            fail_msg("[%s] does not read as the canary", h->label);
        check_canary(f, h->label);
        goto done;
    }
    if (mdm_conn_create_table(f->c, h->name, &data, MDM_IF_EXISTS_FAIL, &err) != MDM_OK)
        fail_msg("[%s] create: %s", h->label, err.message);
    two_tables(h->name, both);
    check_tables(f, h->label, both, 2);
    if (mdm_conn_table_exists(f->c, h->name, &exists, &err) != MDM_OK || !exists)
        fail_msg("[%s] table_exists does not find it: %s", h->label, err.message);
    if (mdm_conn_read_table(f->c, h->name, NULL, &got, &err) != MDM_OK)
        fail_msg("[%s] read: %s", h->label, err.message);
    if (!mdm_table_equal(&data, &got, NULL, &diff))
        fail_msg("[%s] read back different: %s", h->label, diff.message);

    mdm_table_info info;
    mdm_table_info_init(&info);
    if (mdm_conn_table_info(f->c, h->name, &info, &err) != MDM_OK)
        fail_msg("[%s] table_info: %s", h->label, err.message);
    assert_string_equal(info.name, h->name);
    assert_int_equal(info.row_count, 2);
    assert_int_equal(info.ncolumns, 2);
    mdm_table_info_reset(&info);

    /* Again with fail: the existing table is reported, nothing else runs. */
    mdm_status st = mdm_conn_create_table(f->c, h->name, &data, MDM_IF_EXISTS_FAIL, &err);
    if (st != MDM_ERR_EXISTS)
        fail_msg("[%s] second create: expected EXISTS, got %s (%s)", h->label, mdm_status_name(st), err.message);
    /* Replace, then append: the same table, never the canary. */
    if (mdm_conn_create_table(f->c, h->name, &data2, MDM_IF_EXISTS_REPLACE, &err) != MDM_OK)
        fail_msg("[%s] replace: %s", h->label, err.message);
    check_tables(f, h->label, both, 2);
    if (mdm_conn_create_table(f->c, h->name, &data2, MDM_IF_EXISTS_APPEND, &err) != MDM_OK)
        fail_msg("[%s] append: %s", h->label, err.message);

    /* The core quoting used by hand in real SQL on this server. */
    char *q = mdm_sql_quote_ident_dup(f->dialect, h->name, &err);
    assert_non_null(q);
    mdm_buf sql;
    mdm_buf_init(&sql);
    assert_int_equal(mdm_buf_printf(&sql, "SELECT count(*) AS n FROM %s", q), MDM_OK);
    mdm_query_result r;
    query_ok(f, h->label, mdm_buf_str(&sql), NULL, 0, &r);
    assert_int_equal(r.table.nrows, 1);
    assert_int_equal(r.table.cols[0].type, MDM_INT64);
    assert_int_equal(mdm_table_int64(&r.table, 0, 0), 6);
    mdm_query_result_reset(&r);
    mdm_buf_reset(&sql);
    free(q);

    if (mdm_conn_drop_table(f->c, h->name, false, &err) != MDM_OK)
        fail_msg("[%s] drop: %s", h->label, err.message);
    if (mdm_conn_table_exists(f->c, h->name, &exists, &err) != MDM_OK || exists)
        fail_msg("[%s] still exists after drop", h->label);
    check_canary(f, h->label);
done:
    mdm_table_reset(&data);
    mdm_table_reset(&data2);
    mdm_table_reset(&got);
}

static void injection__hostile_table_names(void **state)
{
    fx *f = *state;
    require_backend(f);
    for (size_t i = 0; i < NNAMES; i++)
        hostile_table_name(f, &NAMES[i]);
}

/* ---- column names ---------------------------------------------------------- */

static void hostile_column_name(fx *f, const hostile_name *h)
{
    mdm_table data, got;
    mdm_table_diff diff;
    mdm_error err;
    const char *both[2];
    two_tables("t", both);
    f->cases++;

    make_data(&data, "id", h->name, 0, 2);
    mdm_table_init(&got);
    mdm_status st = mdm_conn_create_table(f->c, "t", &data, MDM_IF_EXISTS_FAIL, &err);
    if (!name_ok(f, h)) {
        expect_refused(st, &err, h->label, "create with column");
        check_canary(f, h->label);
        goto done;
    }
    if (st != MDM_OK)
        fail_msg("[%s] create: %s", h->label, err.message);
    check_tables(f, h->label, both, 2);
    if (mdm_conn_read_table(f->c, "t", NULL, &got, &err) != MDM_OK)
        fail_msg("[%s] read: %s", h->label, err.message);
    if (!mdm_table_equal(&data, &got, NULL, &diff))
        fail_msg("[%s] read back different: %s", h->label, diff.message);

    /* The hostile column alone, by name. */
    const char *cols[1] = {h->name};
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    ro.columns = cols;
    ro.ncolumns = 1;
    if (mdm_conn_read_table(f->c, "t", &ro, &got, &err) != MDM_OK)
        fail_msg("[%s] read by column: %s", h->label, err.message);
    assert_int_equal(got.ncols, 1);
    assert_string_equal(got.cols[0].name, h->name);
    assert_int_equal(got.nrows, 2);

    /* Append by column name works with the same hostile name. */
    if (mdm_conn_create_table(f->c, "t", &data, MDM_IF_EXISTS_APPEND, &err) != MDM_OK)
        fail_msg("[%s] append: %s", h->label, err.message);

    /* Through SQL: the quoted name selects exactly that column. */
    char *q = mdm_sql_quote_ident_dup(f->dialect, h->name, &err);
    assert_non_null(q);
    mdm_buf sql;
    mdm_buf_init(&sql);
    assert_int_equal(mdm_buf_printf(&sql, "SELECT %s FROM t ORDER BY id LIMIT 1", q), MDM_OK);
    mdm_query_result r;
    query_ok(f, h->label, mdm_buf_str(&sql), NULL, 0, &r);
    assert_int_equal(r.table.ncols, 1);
    assert_string_equal(r.table.cols[0].name, h->name);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "v0");
    mdm_query_result_reset(&r);
    mdm_buf_reset(&sql);
    free(q);

    if (mdm_conn_drop_table(f->c, "t", false, &err) != MDM_OK)
        fail_msg("[%s] drop: %s", h->label, err.message);
    check_canary(f, h->label);
done:
    mdm_table_reset(&data);
    mdm_table_reset(&got);
}

static void injection__hostile_column_names(void **state)
{
    fx *f = *state;
    require_backend(f);
    for (size_t i = 0; i < NNAMES; i++)
        hostile_column_name(f, &NAMES[i]);
}

/* Names that differ only by case or by a look-alike character are
 * different columns, never merged, never confused. */
static void injection__lookalike_columns_stay_distinct(void **state)
{
    fx *f = *state;
    mdm_table data, got;
    mdm_table_diff diff;
    mdm_error err;
    /* SQLite folds ASCII case in identifiers, so "A" is only distinct on
     * PostgreSQL (it comes last so that SQLite can leave it out). */
    static const char *const names[] = {"a", "\xD0\xB0" /* Cyrillic a */, "a ",
                                        "\xEF\xBD\x81" /* fullwidth a */, "A"};
    size_t n = f->pg ? 5 : 4;
    require_backend(f);
    mdm_table_init(&data);
    for (size_t c = 0; c < n; c++)
        assert_int_equal(mdm_table_add_column(&data, names[c], MDM_INT64, &err), MDM_OK);
    for (size_t c = 0; c < n; c++)
        assert_int_equal(mdm_table_push_int64(&data, c, (int64_t)c * 10, &err), MDM_OK);
    assert_int_equal(mdm_table_end_row(&data, &err), MDM_OK);
    f->cases += 5;
    if (!f->pg) {
        /* "a" and "A" together: a clear duplicate-column error. */
        mdm_table dup;
        mdm_table_init(&dup);
        assert_int_equal(mdm_table_add_column(&dup, "a", MDM_INT64, &err), MDM_OK);
        assert_int_equal(mdm_table_add_column(&dup, "A", MDM_INT64, &err), MDM_OK);
        mdm_status st = mdm_conn_create_table(f->c, "dup", &dup, MDM_IF_EXISTS_FAIL, &err);
        if (st == MDM_OK || strstr(err.message, "duplicate column") == NULL)
            fail_msg("columns a and A: expected a duplicate-column error, got %s (%s)",
                     mdm_status_name(st), err.message);
        mdm_table_reset(&dup);
        check_canary(f, "a and A");
    }
    if (mdm_conn_create_table(f->c, "lookalike", &data, MDM_IF_EXISTS_FAIL, &err) != MDM_OK)
        fail_msg("create: %s", err.message);
    mdm_table_init(&got);
    if (mdm_conn_read_table(f->c, "lookalike", NULL, &got, &err) != MDM_OK)
        fail_msg("read: %s", err.message);
    if (!mdm_table_equal(&data, &got, NULL, &diff))
        fail_msg("read back different: %s", diff.message);
    for (size_t c = 0; c < n; c++) {
        const char *cols[1] = {names[c]};
        mdm_read_opts ro = MDM_READ_OPTS_INIT;
        ro.columns = cols;
        ro.ncolumns = 1;
        if (mdm_conn_read_table(f->c, "lookalike", &ro, &got, &err) != MDM_OK)
            fail_msg("read column %zu: %s", c, err.message);
        assert_int_equal(mdm_table_int64(&got, 0, 0), (int64_t)c * 10);
    }
    assert_int_equal(mdm_conn_drop_table(f->c, "lookalike", false, &err), MDM_OK);
    check_canary(f, "look-alike columns");
    mdm_table_reset(&data);
    mdm_table_reset(&got);
}

/* ---- parameter values ------------------------------------------------------ */

/* Makes the log table (one TEXT column v, no rows). */
static void make_log(fx *f)
{
    mdm_table t;
    mdm_error err;
    mdm_table_init(&t);
    assert_int_equal(mdm_table_add_column(&t, "v", MDM_TEXT, &err), MDM_OK);
    if (mdm_conn_create_table(f->c, "log", &t, MDM_IF_EXISTS_REPLACE, &err) != MDM_OK)
        fail_msg("log: %s", err.message);
    mdm_table_reset(&t);
}

static void hostile_value_case(fx *f, const char *label, const char *s, size_t len)
{
    static const char *const with_log[] = {"canary", "log"};
    mdm_query_result r;
    mdm_error err;
    mdm_param p = mdm_param_textn("v", s, len);
    size_t got_len;
    f->cases++;

    /* Echoed back unchanged. */
    query_ok(f, label, "SELECT :v AS v", &p, 1, &r);
    assert_int_equal(r.table.nrows, 1);
    assert_int_equal(r.table.cols[0].type, MDM_TEXT);
    const char *back = mdm_table_text(&r.table, 0, 0, &got_len);
    if (got_len != len || memcmp(back, s, len) != 0)
        fail_msg("[%s] value came back as '%s' (%zu bytes, sent %zu)", label, back, got_len, len);
    mdm_query_result_reset(&r);

    /* Stored, found by equality, and counted once. */
    mdm_query_result_init(&r);
    if (mdm_conn_execute_query(f->c, "INSERT INTO log (v) VALUES (:v)", &p, 1, &r, &err) != MDM_OK)
        fail_msg("[%s] insert: %s", label, err.message);
    assert_int_equal(r.rows_affected, 1);
    mdm_query_result_reset(&r);
    query_ok(f, label, "SELECT count(*) AS n FROM log WHERE v = :v", &p, 1, &r);
    assert_int_equal(mdm_table_int64(&r.table, 0, 0), 1);
    mdm_query_result_reset(&r);
    /* It matches no secret, so the canary's WHERE finds nothing. */
    query_ok(f, label, "SELECT count(*) AS n FROM canary WHERE secret = :v", &p, 1, &r);
    assert_int_equal(mdm_table_int64(&r.table, 0, 0), 0);
    mdm_query_result_reset(&r);
    mdm_query_result_init(&r);
    if (mdm_conn_execute_query(f->c, "DELETE FROM log WHERE v = :v", &p, 1, &r, &err) != MDM_OK)
        fail_msg("[%s] delete: %s", label, err.message);
    assert_int_equal(r.rows_affected, 1);
    mdm_query_result_reset(&r);
    check_tables(f, label, with_log, 2);
}

static void injection__hostile_param_values(void **state)
{
    fx *f = *state;
    static const char *const with_log[] = {"canary", "log"};
    require_backend(f);
    make_log(f);
    for (size_t i = 0; i < NVALUES; i++)
        hostile_value_case(f, VALUES[i].label, VALUES[i].s, strlen(VALUES[i].s));
    /* Hostile names themselves as values. */
    for (size_t i = 0; i < NNAMES; i++)
        if (NAMES[i].validity != BAD_BOTH)
            hostile_value_case(f, NAMES[i].label, NAMES[i].name, strlen(NAMES[i].name));
    /* Very long: 1 MiB of quotes and semicolons. */
    size_t n = 1u << 20;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = "';\"-"[i % 4];
    hostile_value_case(f, "1 MiB of quotes", big, n);
    free(big);
    check_tables(f, "params", with_log, 2);
}

/* A TEXT value with a NUL inside breaks mdm_value's contract; it must be
 * refused, never cut short silently (the stored value would differ from
 * what the caller holds). */
static void injection__value_with_nul_is_refused(void **state)
{
    fx *f = *state;
    static const char *const with_log[] = {"canary", "log"};
    mdm_query_result r;
    mdm_error err;
    mdm_param p = mdm_param_textn("v", "alpha\0' OR 1=1 --", 17);
    require_backend(f);
    make_log(f);
    f->cases++;
    mdm_query_result_init(&r);
    mdm_status st = mdm_conn_execute_query(f->c, "INSERT INTO log (v) VALUES (:v)", &p, 1, &r, &err);
    mdm_query_result_reset(&r);
    if (st == MDM_OK)
        fail_msg("a value with a NUL byte was stored (silently cut or kept)");
    if (strstr(err.message, "NUL") == NULL)
        fail_msg("refusal does not name the NUL byte: %s (%s)", err.message, mdm_status_name(st));
    check_tables(f, "NUL value", with_log, 2);
    /* The log stayed empty. */
    query_ok(f, "NUL value", "SELECT count(*) AS n FROM log", NULL, 0, &r);
    assert_int_equal(mdm_table_int64(&r.table, 0, 0), 0);
    mdm_query_result_reset(&r);
}

/* A value that is not valid UTF-8 is stored byte for byte or refused with
 * a message; either way nothing else runs. */
static void injection__invalid_utf8_value(void **state)
{
    fx *f = *state;
    static const char *const with_log[] = {"canary", "log"};
    mdm_query_result r;
    mdm_error err;
    mdm_param p = mdm_param_textn("v", "x\xFF'; DROP TABLE canary; --", 26);
    require_backend(f);
    make_log(f);
    f->cases++;
    mdm_query_result_init(&r);
    mdm_status st = mdm_conn_execute_query(f->c, "INSERT INTO log (v) VALUES (:v)", &p, 1, &r, &err);
    mdm_query_result_reset(&r);
    if (st != MDM_OK && err.message[0] == '\0')
        fail_msg("refused without a message (%s)", mdm_status_name(st));
    if (st != MDM_OK && f->pg && strstr(err.message, "UTF8") == NULL && strstr(err.message, "UTF-8") == NULL)
        fail_msg("PostgreSQL refusal does not name the encoding: %s", err.message);
    check_tables(f, "invalid UTF-8 value", with_log, 2);
}

/* Parameter names that are not in the SQL, and values that look like
 * other parameters, never change what the statement is. */
static void injection__hostile_param_names(void **state)
{
    fx *f = *state;
    static const char *const bad_names[] = {"v; DROP TABLE canary", "v--", "v'", "", "1v",
                                            "v w", "\"v\""};
    mdm_query_result r;
    mdm_error err;
    require_backend(f);
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        mdm_param p[2] = {mdm_param_text("v", "x"), mdm_param_text(bad_names[i], "y")};
        f->cases++;
        mdm_query_result_init(&r);
        mdm_status st = mdm_conn_execute_query(f->c, "SELECT :v AS v", p, 2, &r, &err);
        mdm_query_result_reset(&r);
        if (st != MDM_ERR_INVALID_ARG)
            fail_msg("unused parameter '%s': expected INVALID_ARG, got %s", bad_names[i], mdm_status_name(st));
        if (err.message[0] == '\0')
            fail_msg("unused parameter '%s': no message", bad_names[i]);
        check_canary(f, bad_names[i]);
    }
    /* A missing parameter is refused too, never bound as NULL. */
    f->cases++;
    mdm_query_result_init(&r);
    mdm_status st = mdm_conn_execute_query(f->c, "SELECT count(*) AS n FROM canary WHERE secret = :v", NULL, 0, &r, &err);
    mdm_query_result_reset(&r);
    assert_int_equal(st, MDM_ERR_INVALID_ARG);
    assert_true(err.message[0] != '\0');
    check_canary(f, "missing parameter");
}

/* ---- SQL shapes ------------------------------------------------------------ */

static void injection__stacked_statements_are_refused(void **state)
{
    fx *f = *state;
    static const char *const stacked[] = {
        "SELECT 1 AS a; DROP TABLE canary",
        "SELECT 1 AS a;DROP TABLE canary;",
        "SELECT 1 AS a; DELETE FROM canary",
        "SELECT 1 AS a;\n\nDROP TABLE canary",
        "SELECT 1 AS a; /* */ DROP TABLE canary",
        "SELECT :v AS a; DROP TABLE canary",
    };
    mdm_query_result r;
    mdm_error err;
    mdm_param p = mdm_param_text("v", "x");
    require_backend(f);
    for (size_t i = 0; i < sizeof stacked / sizeof stacked[0]; i++) {
        f->cases++;
        mdm_query_result_init(&r);
        mdm_status st = mdm_conn_execute_query(f->c, stacked[i], &p,
                                               strstr(stacked[i], ":v") ? 1 : 0, &r, &err);
        mdm_query_result_reset(&r);
        if (st != MDM_ERR_INVALID_ARG)
            fail_msg("'%s': expected INVALID_ARG, got %s (%s)", stacked[i], mdm_status_name(st), err.message);
        if (strstr(err.message, "statement") == NULL)
            fail_msg("'%s': the message does not say why: %s", stacked[i], err.message);
        check_canary(f, stacked[i]);
    }
}

/* `:name` inside literals, quoted identifiers and comments is text, not a
 * parameter; a semicolon inside a literal is not a second statement. */
static void injection__markers_inside_literals_are_text(void **state)
{
    fx *f = *state;
    mdm_query_result r;
    mdm_param p = mdm_param_text("v", "bound");
    require_backend(f);

    f->cases++;
    query_ok(f, "semicolon literal", "SELECT ';' AS a", NULL, 0, &r);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), ";");
    mdm_query_result_reset(&r);

    f->cases++;
    query_ok(f, "marker in literal", "SELECT ':v' AS a, :v AS b", &p, 1, &r);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), ":v");
    assert_string_equal(mdm_table_text(&r.table, 1, 0, NULL), "bound");
    mdm_query_result_reset(&r);

    f->cases++;
    query_ok(f, "marker in comments", "SELECT :v AS b -- :w\n /* :x */", &p, 1, &r);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "bound");
    mdm_query_result_reset(&r);

    f->cases++;
    query_ok(f, "marker in quoted identifier", "SELECT \":w\" FROM (SELECT 1 AS \":w\") s", NULL, 0, &r);
    assert_string_equal(r.table.cols[0].name, ":w");
    mdm_query_result_reset(&r);

    f->cases++;
    query_ok(f, "doubled quote in literal", "SELECT 'it''s :w' AS a", NULL, 0, &r);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "it's :w");
    mdm_query_result_reset(&r);

    if (f->pg) {
        f->cases++;
        query_ok(f, "cast", "SELECT :v::text AS b", &p, 1, &r);
        assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "bound");
        mdm_query_result_reset(&r);

        f->cases++;
        query_ok(f, "dollar quote", "SELECT $$:w; DROP TABLE canary$$ AS a", NULL, 0, &r);
        assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), ":w; DROP TABLE canary");
        mdm_query_result_reset(&r);

        f->cases++;
        query_ok(f, "tagged dollar quote", "SELECT $t$:w $$ ' $t$ AS a", NULL, 0, &r);
        assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), ":w $$ ' ");
        mdm_query_result_reset(&r);

        f->cases++;
        query_ok(f, "escape string", "SELECT E'\\' :w; DROP TABLE canary' AS a", NULL, 0, &r);
        assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "' :w; DROP TABLE canary");
        mdm_query_result_reset(&r);

        f->cases++;
        query_ok(f, "nested comment", "SELECT 1 AS a /* /* */ :w; DROP TABLE canary */", NULL, 0, &r);
        assert_int_equal(mdm_table_int64(&r.table, 0, 0), 1);
        mdm_query_result_reset(&r);
    }
    check_canary(f, "markers");
}

/* PostgreSQL resolves unqualified names through pg_catalog first: a dataset
 * table called like a system catalog must still be the user's table, or be
 * refused with a clear error; the catalog is never read or changed. */
static void injection__pg_system_catalog_names(void **state)
{
    fx *f = *state;
    static const char *const names[] = {"pg_class", "pg_tables", "pg_user", "information_schema"};
    mdm_table data, got;
    mdm_table_diff diff;
    mdm_error err;
    MDM_TEST_REQUIRE_PG();
    make_data(&data, "id", "val", 0, 2);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *both[2];
        f->cases++;
        mdm_status st = mdm_conn_create_table(f->c, names[i], &data, MDM_IF_EXISTS_REPLACE, &err);
        if (st != MDM_OK) {
            if (err.message[0] == '\0')
                fail_msg("'%s': refused without a message", names[i]);
            check_canary(f, names[i]);
            continue;
        }
        mdm_table_init(&got);
        if (mdm_conn_read_table(f->c, names[i], NULL, &got, &err) != MDM_OK)
            fail_msg("'%s': created but unreadable: %s", names[i], err.message);
        if (!mdm_table_equal(&data, &got, NULL, &diff))
            fail_msg("'%s': reads something else than the table written (a catalog?): %s",
                     names[i], diff.message);
        mdm_table_reset(&got);
        two_tables(names[i], both);
        check_tables(f, names[i], both, 2);
        if (mdm_conn_drop_table(f->c, names[i], false, &err) != MDM_OK)
            fail_msg("'%s': drop: %s", names[i], err.message);
        check_canary(f, names[i]);
    }
    /* The catalog is still there. */
    mdm_query_result r;
    query_ok(f, "catalog", "SELECT count(*) AS n FROM pg_catalog.pg_class WHERE relname = 'pg_class'", NULL, 0, &r);
    assert_int_equal(mdm_table_int64(&r.table, 0, 0), 1);
    mdm_query_result_reset(&r);
    mdm_table_reset(&data);
}

/* On SQLite, names in SQLite's reserved sqlite_ space are refused with a
 * clear error and the schema table is never touched. */
static void injection__sqlite_reserved_names(void **state)
{
    fx *f = *state;
    static const char *const names[] = {"sqlite_master", "sqlite_schema", "sqlite_sequence", "sqlite_x"};
    mdm_table data;
    mdm_error err;
    make_data(&data, "id", "val", 0, 2);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        f->cases++;
        mdm_status st = mdm_conn_create_table(f->c, names[i], &data, MDM_IF_EXISTS_REPLACE, &err);
        if (st == MDM_OK)
            fail_msg("'%s': a table in SQLite's reserved name space was created", names[i]);
        if (strstr(err.message, names[i]) == NULL && strstr(err.message, "reserved") == NULL)
            fail_msg("'%s': the error does not say why: %s", names[i], err.message);
        check_canary(f, names[i]);
    }
    mdm_table_reset(&data);
}

int main(void)
{
/* Each case twice, named injection__sqlite_<case> and injection__pg_<case>. */
#define BOTH(fn) \
    {"injection__sqlite_" #fn, injection__##fn, setup_sqlite, teardown, NULL}, \
    {"injection__pg_" #fn, injection__##fn, setup_pg, teardown, NULL}
    const struct CMUnitTest tests[] = {
        BOTH(hostile_table_names),
        BOTH(hostile_column_names),
        BOTH(lookalike_columns_stay_distinct),
        BOTH(hostile_param_values),
        BOTH(value_with_nul_is_refused),
        BOTH(invalid_utf8_value),
        BOTH(hostile_param_names),
        BOTH(stacked_statements_are_refused),
        BOTH(markers_inside_literals_are_text),
        {"injection__pg_system_catalog_names", injection__pg_system_catalog_names, setup_pg, teardown, NULL},
        {"injection__sqlite_reserved_names", injection__sqlite_reserved_names, setup_sqlite, teardown, NULL},
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
