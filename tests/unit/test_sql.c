/* SPDX-License-Identifier: MIT */
/*
 * test_sql.c - SQL identifier checks and quoting (core/mdm_sql.c) with
 * hostile names, proven on a real SQLite database and, when the test
 * server is up, a real PostgreSQL one; plus the pieces quoting rests on:
 * the UTF-8 validator, the byte buffer (mdm_buf.c) and errors (mdm_error.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mdm_buf.h"
#include "mdm_sql.h"
#include "mdm_status.h"
#include "test_support.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names that break naive SQL building: quotes, separators, comments,
 * reserved words, spaces, line breaks, non-ASCII. */
static const char *const HOSTILE[] = {
    "a\"b",       "\"",           "\"\"",          "x; DROP TABLE t; --", "-- comment", "/* c */",
    "select",     "table",        "order by",      "with space",          " lead",      "trail ",
    "semi;colon", "new\nline",    "é漢",           "a.b",                 "[x]",        "`tick`",
    "%s%n",       "'single'",     "back\\slash",   "NULL",
};
#define NHOSTILE (sizeof HOSTILE / sizeof HOSTILE[0])

/* The expected quoting: wrap in quotes, double inner quotes. */
static void quoted_by_hand(const char *name, char *out, size_t n)
{
    size_t k = 0;
    out[k++] = '"';
    for (const char *p = name; *p && k + 3 < n; p++) {
        if (*p == '"')
            out[k++] = '"';
        out[k++] = *p;
    }
    out[k++] = '"';
    out[k] = '\0';
}

/* ---- quoting ------------------------------------------------------------ */

static void sql__quote_doubles_inner_quotes(void **state)
{
    (void)state;
    mdm_buf b;
    mdm_error e;
    mdm_buf_init(&b);
    assert_int_equal(mdm_sql_quote_ident(&b, MDM_SQL_SQLITE, "a\"b", &e), MDM_OK);
    assert_string_equal(mdm_buf_str(&b), "\"a\"\"b\"");
    mdm_buf_clear(&b);
    assert_int_equal(mdm_sql_quote_ident(&b, MDM_SQL_POSTGRESQL, "\"\"", &e), MDM_OK);
    assert_string_equal(mdm_buf_str(&b), "\"\"\"\"\"\"");
    mdm_buf_reset(&b);
}

static void sql__hostile_names_are_quoted_verbatim(void **state)
{
    (void)state;
    mdm_error e;
    for (size_t i = 0; i < NHOSTILE; i++) {
        char want[256];
        quoted_by_hand(HOSTILE[i], want, sizeof want);
        for (int d = MDM_SQL_SQLITE; d <= MDM_SQL_POSTGRESQL; d++) {
            char *q = mdm_sql_quote_ident_dup((mdm_sql_dialect)d, HOSTILE[i], &e);
            if (q == NULL)
                fail_msg("'%s' refused: %s", HOSTILE[i], e.message);
            assert_string_equal(q, want);
            free(q);
        }
    }
}

static void sql__quote_appends_to_what_the_buffer_holds(void **state)
{
    (void)state;
    mdm_buf b;
    mdm_error e;
    mdm_buf_init(&b);
    assert_int_equal(mdm_buf_puts(&b, "SELECT * FROM "), MDM_OK);
    assert_int_equal(mdm_sql_quote_ident(&b, MDM_SQL_SQLITE, "my table", &e), MDM_OK);
    assert_int_equal(mdm_buf_puts(&b, " WHERE "), MDM_OK);
    assert_int_equal(mdm_sql_quote_ident(&b, MDM_SQL_SQLITE, "x\"", &e), MDM_OK);
    assert_string_equal(mdm_buf_str(&b), "SELECT * FROM \"my table\" WHERE \"x\"\"\"");
    assert_int_equal(b.len, strlen(b.data));
    /* A refused name leaves the buffer as it was. */
    assert_int_equal(mdm_sql_quote_ident(&b, MDM_SQL_SQLITE, "", &e), MDM_ERR_INVALID_ARG);
    assert_string_equal(mdm_buf_str(&b), "SELECT * FROM \"my table\" WHERE \"x\"\"\"");
    mdm_buf_reset(&b);
}

static void sql__empty_and_missing_names_are_refused(void **state)
{
    (void)state;
    mdm_error e;
    mdm_error_clear(&e);
    assert_int_equal(mdm_sql_check_ident(MDM_SQL_SQLITE, "", &e), MDM_ERR_INVALID_ARG);
    assert_string_equal(e.message, "identifier is empty");
    assert_int_equal(mdm_sql_check_ident(MDM_SQL_POSTGRESQL, NULL, &e), MDM_ERR_INVALID_ARG);
    assert_string_equal(e.message, "identifier is missing");
    assert_null(mdm_sql_quote_ident_dup(MDM_SQL_SQLITE, "", &e));
    assert_int_equal(e.code, MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_sql_check_ident(MDM_SQL_SQLITE, "ok", NULL), MDM_OK);
}

static void sql__invalid_utf8_names_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"caf\xC3", "\xFF", "a\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80"};
    mdm_error e;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mdm_sql_check_ident(MDM_SQL_SQLITE, bad[i], &e), MDM_ERR_INVALID_ARG);
        assert_string_equal(e.message, "identifier is not valid UTF-8");
        assert_null(mdm_sql_quote_ident_dup(MDM_SQL_POSTGRESQL, bad[i], &e));
    }
}

static void sql__postgresql_allows_63_bytes_sqlite_more(void **state)
{
    (void)state;
    char name[200];
    mdm_error e;
    memset(name, 'n', sizeof name);
    name[63] = '\0';
    assert_int_equal(mdm_sql_check_ident(MDM_SQL_POSTGRESQL, name, &e), MDM_OK);
    name[63] = 'n';
    name[64] = '\0';
    assert_int_equal(mdm_sql_check_ident(MDM_SQL_POSTGRESQL, name, &e), MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(e.message, "64 bytes"));
    assert_non_null(strstr(e.message, "at most 63"));
    assert_int_equal(mdm_sql_check_ident(MDM_SQL_SQLITE, name, &e), MDM_OK);
    name[199] = '\0';
    assert_int_equal(mdm_sql_check_ident(MDM_SQL_SQLITE, name, &e), MDM_OK);
    /* Bytes, not characters: 31 two-byte letters and one more byte. */
    char wide[80] = "";
    for (int i = 0; i < 31; i++)
        strcat(wide, "é");
    strcat(wide, "x");
    assert_int_equal(strlen(wide), 63);
    assert_int_equal(mdm_sql_check_ident(MDM_SQL_POSTGRESQL, wide, &e), MDM_OK);
    strcat(wide, "y");
    assert_int_equal(mdm_sql_check_ident(MDM_SQL_POSTGRESQL, wide, &e), MDM_ERR_INVALID_ARG);
}

static void sql__utf8_validator(void **state)
{
    (void)state;
    assert_true(mdm_utf8_valid("", 0));
    assert_true(mdm_utf8_valid("plain", 5));
    assert_true(mdm_utf8_valid("\xC3\xA9\xE6\xBC\xA2\xF0\x9F\x98\x80", 9));
    assert_true(mdm_utf8_valid("\xF4\x8F\xBF\xBF", 4));   /* U+10FFFF */
    assert_true(mdm_utf8_valid("a\0b", 3));               /* NUL is valid UTF-8 */
    assert_false(mdm_utf8_valid("\xC3", 1));              /* truncated */
    assert_false(mdm_utf8_valid("\xE6\xBC", 2));
    assert_false(mdm_utf8_valid("\x80", 1));              /* stray continuation */
    assert_false(mdm_utf8_valid("\xC1\xBF", 2));          /* overlong */
    assert_false(mdm_utf8_valid("\xE0\x80\xAF", 3));      /* overlong */
    assert_false(mdm_utf8_valid("\xED\xBF\xBF", 3));      /* surrogate */
    assert_false(mdm_utf8_valid("\xF4\x90\x80\x80", 4));  /* past U+10FFFF */
    assert_false(mdm_utf8_valid("\xC3\x28", 2));
    /* Only s[0..len) counts. */
    assert_true(mdm_utf8_valid("ok\xFF", 2));
}

/* ---- the names really work --------------------------------------------- */

static void exec_sqlite(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* CREATE TABLE "<name>" ("<name>" INTEGER, "k" TEXT), for each hostile name. */
static void sql__hostile_names_work_in_sqlite(void **state)
{
    (void)state;
    sqlite3 *db = NULL;
    mdm_error e;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    for (size_t i = 0; i < NHOSTILE; i++) {
        mdm_buf sql;
        sqlite3_stmt *st = NULL;
        mdm_buf_init(&sql);
        assert_int_equal(mdm_buf_puts(&sql, "CREATE TABLE "), MDM_OK);
        assert_int_equal(mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, HOSTILE[i], &e), MDM_OK);
        assert_int_equal(mdm_buf_puts(&sql, " ("), MDM_OK);
        assert_int_equal(mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, HOSTILE[i], &e), MDM_OK);
        assert_int_equal(mdm_buf_puts(&sql, " INTEGER)"), MDM_OK);
        exec_sqlite(db, mdm_buf_str(&sql));
        mdm_buf_clear(&sql);
        assert_int_equal(mdm_buf_puts(&sql, "INSERT INTO "), MDM_OK);
        assert_int_equal(mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, HOSTILE[i], &e), MDM_OK);
        assert_int_equal(mdm_buf_printf(&sql, " VALUES (%zu)", i), MDM_OK);
        exec_sqlite(db, mdm_buf_str(&sql));
        mdm_buf_clear(&sql);
        assert_int_equal(mdm_buf_puts(&sql, "SELECT "), MDM_OK);
        assert_int_equal(mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, HOSTILE[i], &e), MDM_OK);
        assert_int_equal(mdm_buf_puts(&sql, " FROM "), MDM_OK);
        assert_int_equal(mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, HOSTILE[i], &e), MDM_OK);
        assert_int_equal(sqlite3_prepare_v2(db, mdm_buf_str(&sql), -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal(sqlite3_column_name(st, 0), HOSTILE[i]);
        assert_int_equal(sqlite3_column_int64(st, 0), (sqlite3_int64)i);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        mdm_buf_reset(&sql);
    }
    /* Every table exists under exactly its name. */
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (size_t i = 0; i < NHOSTILE; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, HOSTILE[i], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void exec_pg(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        PQclear(r);
        fail_msg("%s: %s", sql, msg);
    }
    PQclear(r);
}

static void sql__hostile_names_work_in_postgresql(void **state)
{
    (void)state;
    MDM_TEST_REQUIRE_PG();
    char dsn[1024], db[128];
    mdm_error e;
    assert_int_equal(mdm_test_pg_create_db("mdm_sql", dsn, sizeof dsn, db, sizeof db), 0);
    PGconn *c = PQconnectdb(dsn);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    /* One table whose columns carry every hostile name, plus a 63-byte one. */
    char longest[64];
    memset(longest, 'L', 63);
    longest[63] = '\0';
    mdm_buf sql;
    mdm_buf_init(&sql);
    assert_int_equal(mdm_buf_puts(&sql, "CREATE TABLE "), MDM_OK);
    assert_int_equal(mdm_sql_quote_ident(&sql, MDM_SQL_POSTGRESQL, "x; DROP TABLE t; --", &e), MDM_OK);
    assert_int_equal(mdm_buf_puts(&sql, " ("), MDM_OK);
    for (size_t i = 0; i <= NHOSTILE; i++) {
        assert_int_equal(mdm_sql_quote_ident(&sql, MDM_SQL_POSTGRESQL, i < NHOSTILE ? HOSTILE[i] : longest, &e),
                         MDM_OK);
        assert_int_equal(mdm_buf_puts(&sql, i < NHOSTILE ? " int, " : " int)"), MDM_OK);
    }
    exec_pg(c, mdm_buf_str(&sql));
    const char *params[1] = {"x; DROP TABLE t; --"};
    PGresult *r = PQexecParams(c,
                               "SELECT column_name FROM information_schema.columns "
                               "WHERE table_name = $1 ORDER BY ordinal_position",
                               1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), (int)NHOSTILE + 1);
    for (size_t i = 0; i < NHOSTILE; i++)
        assert_string_equal(PQgetvalue(r, (int)i, 0), HOSTILE[i]);
    assert_string_equal(PQgetvalue(r, (int)NHOSTILE, 0), longest);
    PQclear(r);
    mdm_buf_reset(&sql);
    PQfinish(c);
    mdm_test_pg_drop_db(db);
}

/* ---- buffer ------------------------------------------------------------ */

static void buf__grows_and_stays_terminated(void **state)
{
    (void)state;
    mdm_buf b;
    mdm_buf_init(&b);
    assert_null(b.data);
    assert_string_equal(mdm_buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(mdm_buf_putc(&b, (char)('a' + i % 26)), MDM_OK);
    assert_int_equal(b.len, 1000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[1000], '\0');
    assert_int_equal(b.data[999], 'a' + 999 % 26);
    assert_int_equal(mdm_buf_append(&b, "xy\0z", 4), MDM_OK);  /* bytes, NUL included */
    assert_int_equal(b.len, 1004);
    assert_memory_equal(b.data + 1000, "xy\0z", 5);
    mdm_buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(mdm_buf_str(&b), "");
    assert_int_equal(mdm_buf_printf(&b, "%d-%s-%.2f", 42, "x", 1.5), MDM_OK);
    assert_string_equal(mdm_buf_str(&b), "42-x-1.50");
    assert_int_equal(mdm_buf_printf(&b, "%0300d", 7), MDM_OK);
    assert_int_equal(b.len, 9 + 300);
    assert_int_equal(b.data[b.len - 1], '7');
    mdm_buf_reset(&b);
    assert_null(b.data);
    mdm_buf_reset(NULL);
}

static void buf__steal_hands_over_the_string(void **state)
{
    (void)state;
    mdm_buf b;
    mdm_buf_init(&b);
    char *empty = mdm_buf_steal(&b);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    free(empty);
    assert_int_equal(mdm_buf_puts(&b, "hello"), MDM_OK);
    assert_int_equal(mdm_buf_reserve(&b, 1000), MDM_OK);
    assert_true(b.cap >= b.len + 1001);
    char *s = mdm_buf_steal(&b);
    assert_string_equal(s, "hello");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
}

/* ---- errors ------------------------------------------------------------ */

static void error__set_clear_and_prefix(void **state)
{
    (void)state;
    mdm_error e;
    mdm_error_clear(&e);
    assert_int_equal(e.code, MDM_OK);
    assert_string_equal(e.message, "");
    assert_string_equal(e.sqlstate, "");
    assert_int_equal(mdm_error_set(&e, MDM_ERR_IO, "cannot open '%s': %d", "f.csv", 2), MDM_ERR_IO);
    assert_int_equal(e.code, MDM_ERR_IO);
    assert_string_equal(e.message, "cannot open 'f.csv': 2");
    assert_int_equal(mdm_error_prefix(&e, "dataset %s", "iris"), MDM_ERR_IO);
    assert_string_equal(e.message, "dataset iris: cannot open 'f.csv': 2");
    assert_int_equal(mdm_error_set(NULL, MDM_ERR_PARSE, "x"), MDM_ERR_PARSE);
    assert_int_equal(mdm_error_prefix(NULL, "x"), MDM_OK);
    mdm_error_clear(NULL);
    /* Long messages are cut to fit, still terminated. */
    char big[2000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    mdm_error_set(&e, MDM_ERR_SQL, "%s", big);
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
    mdm_error_prefix(&e, "ctx");
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
    assert_memory_equal(e.message, "ctx: mmm", 8);
}

static void error__status_names_are_stable_and_distinct(void **state)
{
    (void)state;
    assert_string_equal(mdm_status_name(MDM_OK), "ok");
    assert_string_equal(mdm_status_name(MDM_ERR_NOT_FOUND), "not_found");
    assert_string_equal(mdm_status_name(MDM_ERR_POOL_EXHAUSTED), "pool_exhausted");
    assert_string_equal(mdm_status_name(MDM_ERR_INTERNAL), "internal");
    assert_string_equal(mdm_status_name((mdm_status)MDM_STATUS_COUNT), "unknown");
    for (int a = 0; a < MDM_STATUS_COUNT; a++) {
        assert_non_null(mdm_status_name((mdm_status)a));
        for (int b = a + 1; b < MDM_STATUS_COUNT; b++)
            assert_string_not_equal(mdm_status_name((mdm_status)a), mdm_status_name((mdm_status)b));
    }
}

static void error__sqlstate_and_sqlite_codes_map_to_kinds(void **state)
{
    (void)state;
    assert_int_equal(mdm_status_from_sqlstate("42P01"), MDM_ERR_NOT_FOUND);
    assert_int_equal(mdm_status_from_sqlstate("42P07"), MDM_ERR_EXISTS);
    assert_int_equal(mdm_status_from_sqlstate("23505"), MDM_ERR_CONSTRAINT);
    assert_int_equal(mdm_status_from_sqlstate("23502"), MDM_ERR_CONSTRAINT);
    assert_int_equal(mdm_status_from_sqlstate("08006"), MDM_ERR_CONNECTION);
    assert_int_equal(mdm_status_from_sqlstate("42601"), MDM_ERR_SQL);
    assert_int_equal(mdm_status_from_sqlstate("57014"), MDM_ERR_TIMEOUT);
    assert_int_equal(mdm_status_from_sqlstate("XX000"), MDM_ERR_SQL);
    assert_int_equal(mdm_status_from_sqlstate("235"), MDM_ERR_SQL);
    assert_int_equal(mdm_status_from_sqlstate(NULL), MDM_ERR_SQL);
    assert_int_equal(mdm_status_from_sqlite(SQLITE_OK), MDM_OK);
    assert_int_equal(mdm_status_from_sqlite(SQLITE_DONE), MDM_OK);
    assert_int_equal(mdm_status_from_sqlite(SQLITE_BUSY), MDM_ERR_BUSY);
    assert_int_equal(mdm_status_from_sqlite(SQLITE_CONSTRAINT_UNIQUE), MDM_ERR_CONSTRAINT);
    assert_int_equal(mdm_status_from_sqlite(SQLITE_IOERR_WRITE), MDM_ERR_IO);
    assert_int_equal(mdm_status_from_sqlite(SQLITE_NOTADB), MDM_ERR_CORRUPT);
    assert_int_equal(mdm_status_from_sqlite(SQLITE_READONLY), MDM_ERR_READONLY);
    assert_int_equal(mdm_status_from_sqlite(SQLITE_ERROR), MDM_ERR_SQL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sql__quote_doubles_inner_quotes),
        cmocka_unit_test(sql__hostile_names_are_quoted_verbatim),
        cmocka_unit_test(sql__quote_appends_to_what_the_buffer_holds),
        cmocka_unit_test(sql__empty_and_missing_names_are_refused),
        cmocka_unit_test(sql__invalid_utf8_names_are_refused),
        cmocka_unit_test(sql__postgresql_allows_63_bytes_sqlite_more),
        cmocka_unit_test(sql__utf8_validator),
        cmocka_unit_test(sql__hostile_names_work_in_sqlite),
        cmocka_unit_test(sql__hostile_names_work_in_postgresql),
        cmocka_unit_test(buf__grows_and_stays_terminated),
        cmocka_unit_test(buf__steal_hands_over_the_string),
        cmocka_unit_test(error__set_clear_and_prefix),
        cmocka_unit_test(error__status_names_are_stable_and_distinct),
        cmocka_unit_test(error__sqlstate_and_sqlite_codes_map_to_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
