/* SPDX-License-Identifier: MIT */
/*
 * test_pg_libpq_faults.c - the PostgreSQL backend when libpq fails or the
 * COPY data is not what a server sends: what no real server can be made to
 * do on cue. As test_modern_fault.c does with malloc, this program puts its
 * own PQgetCopyData, PQputCopyData, PQputCopyEnd, PQconnectdbParams and
 * PQsendQueryParams (a streamed query) in
 * front of libpq's (the executable's definitions win; each calls libpq's
 * through dlsym(RTLD_NEXT)). Armed, they fail once the way libpq does when
 * an allocation fails (-1, -2, NULL), or rewrite one COPY message
 * (truncated, split, a byte more, a wrong signature). Everything else runs
 * against the real throwaway server.
 *
 * What must hold: a malformed message makes the read fall back to a plain
 * SELECT (the statement cache shows a second statement) and return the
 * table as it is; a failure is reported, never waited on forever (an alarm
 * ends a hang), the write is rolled back, and the connection keeps working.
 */
#define _GNU_SOURCE   /* RTLD_NEXT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "mdm_table_ops.h"
#include "test_pg_conn.h"
#include "test_support.h"

/* ---- libpq with failures on demand (test-only state) ---- */

typedef enum fault {
    F_NONE,
    F_GET_SIGNATURE,      /* flip a bit of the binary COPY signature */
    F_GET_HEADER_ALONE,   /* hand the binary header over as a message of its own */
    F_GET_CUT,            /* shorten the message to `cut` bytes (< 0: by -cut) */
    F_GET_EXTRA_BYTE,     /* one byte more at the end */
    F_GET_FAIL,           /* PQgetCopyData returns -2 */
    F_PUT_FAIL,           /* PQputCopyData returns -1 */
    F_END_FAIL,           /* PQputCopyEnd (the normal end) returns -1 */
    F_CONNECT_NULL,       /* PQconnectdbParams returns NULL */
    F_SEND_FAIL           /* PQsendQueryParams returns 0 */
} fault;

static fault armed;
static int skip;          /* F_GET_*: messages to let through first */
static int cut;
static int fired;
static char *pending;     /* F_GET_HEADER_ALONE: the rest, for the next call */
static int pending_len;

static void *libpq_fn(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (f == NULL)
        abort();
    return f;
}

static void arm(fault f, int after, int cut_to)
{
    armed = f;
    skip = after;
    cut = cut_to;
    fired = 0;
}

static char *dup_bytes(const char *p, int n)
{
    char *b = malloc((size_t)n + 1);
    if (b == NULL)
        abort();
    memcpy(b, p, (size_t)n);
    b[n] = '\0';
    return b;
}

int PQgetCopyData(PGconn *conn, char **buffer, int async)
{
    int (*real)(PGconn *, char **, int) = (int (*)(PGconn *, char **, int))libpq_fn("PQgetCopyData");
    if (pending != NULL) {
        *buffer = pending;
        pending = NULL;
        return pending_len;
    }
    int n = real(conn, buffer, async);
    if (armed < F_GET_SIGNATURE || armed > F_GET_FAIL || n <= 0 || skip-- > 0)
        return n;
    fault f = armed;
    char *b = *buffer;
    armed = F_NONE;
    fired = 1;
    switch (f) {
    case F_GET_SIGNATURE:
        b[0] ^= 1;
        return n;
    case F_GET_HEADER_ALONE:
        pending = dup_bytes(b + 19, n - 19);
        pending_len = n - 19;
        *buffer = dup_bytes(b, 19);
        PQfreemem(b);
        return 19;
    case F_GET_CUT:
        return cut > 0 ? cut : n + cut;
    case F_GET_EXTRA_BYTE:
        *buffer = dup_bytes(b, n + 1);
        PQfreemem(b);
        return n + 1;
    default:   /* F_GET_FAIL */
        PQfreemem(b);
        *buffer = NULL;
        return -2;
    }
}

int PQputCopyData(PGconn *conn, const char *buffer, int nbytes)
{
    int (*real)(PGconn *, const char *, int) =
        (int (*)(PGconn *, const char *, int))libpq_fn("PQputCopyData");
    if (armed == F_PUT_FAIL) {
        armed = F_NONE;
        fired = 1;
        return -1;
    }
    return real(conn, buffer, nbytes);
}

int PQputCopyEnd(PGconn *conn, const char *errormsg)
{
    int (*real)(PGconn *, const char *) = (int (*)(PGconn *, const char *))libpq_fn("PQputCopyEnd");
    if (armed == F_END_FAIL && errormsg == NULL) {
        armed = F_NONE;
        fired = 1;
        return -1;
    }
    return real(conn, errormsg);
}

PGconn *PQconnectdbParams(const char *const *keywords, const char *const *values,
                          int expand_dbname)
{
    PGconn *(*real)(const char *const *, const char *const *, int) =
        (PGconn * (*)(const char *const *, const char *const *, int))libpq_fn("PQconnectdbParams");
    if (armed == F_CONNECT_NULL) {
        armed = F_NONE;
        fired = 1;
        return NULL;
    }
    return real(keywords, values, expand_dbname);
}

int PQsendQueryParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                      const char *const *paramValues, const int *paramLengths,
                      const int *paramFormats, int resultFormat)
{
    int (*real)(PGconn *, const char *, int, const Oid *, const char *const *, const int *,
                const int *, int) =
        (int (*)(PGconn *, const char *, int, const Oid *, const char *const *, const int *,
                 const int *, int))libpq_fn("PQsendQueryParams");
    if (armed == F_SEND_FAIL) {
        armed = F_NONE;
        fired = 1;
        return 0;
    }
    return real(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,
                resultFormat);
}

/* ---- fixture ---- */

typedef mdm_test_pg fx;

#define OK(call) MDM_TEST_OK(call)



static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    if (mdm_test_pg_open(f, "mdm_libpq") != 0)
        return -1;
    if (f->c == NULL)
        return 0;   /* no server: each test skips */
    /* b: binary-readable columns only (rows come as binary COPY);
     * tx: a NUMERIC column, so rows come as COPY text */
    mdm_test_sql(f->c, "CREATE TABLE b (a BIGINT, s TEXT)");
    mdm_test_sql(f->c, "INSERT INTO b VALUES (1, 'one'), (2, 'two'), (3, NULL)");
    mdm_test_sql(f->c, "CREATE TABLE tx (n NUMERIC, s TEXT)");
    mdm_test_sql(f->c, "INSERT INTO tx VALUES (1.5, 'one'), (NULL, 'two')");
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    alarm(0);
    arm(F_NONE, 0, 0);
    free(pending);
    pending = NULL;
    mdm_test_pg_close(f);
    free(f);
    return 0;
}

static fx *begin(void **state)
{
    MDM_TEST_REQUIRE_PG();
    alarm(60);   /* a hang ends the program instead of the CI job */
    return *state;
}

static uint64_t cached_runs(mdm_conn *c)
{
    mdm_stmt_cache_stats st;
    mdm_error err;
    OK(mdm_conn_stmt_cache_stats(c, &st, &err));
    return st.hits + st.misses;
}

/* Reads table with the fault armed; checks the fault fired, the result is
 * what a plain SELECT gives, and returns the statements the read ran
 * (1: rows through COPY; 2: read again after a mismatch). */
static uint64_t read_with(fx *f, const char *table, fault what, int after, int cut_to)
{
    mdm_table out;
    mdm_query_result ref;
    mdm_compare_opts o = MDM_COMPARE_OPTS_INIT;
    mdm_table_diff d;
    mdm_error err;
    char sql[64];
    uint64_t before = cached_runs(f->c);
    mdm_table_init(&out);
    arm(what, after, cut_to);
    OK(mdm_conn_read_table(f->c, table, NULL, &out, &err));
    assert_true(fired);
    uint64_t runs = cached_runs(f->c) - before;
    snprintf(sql, sizeof sql, "SELECT * FROM %s", table);
    mdm_query_result_init(&ref);
    OK(mdm_conn_execute_query(f->c, sql, NULL, 0, &ref, &err));
    if (!mdm_table_equal(&ref.table, &out, &o, &d))
        fail_msg("%s", d.message);
    assert_true(out.nrows > 0);
    mdm_query_result_reset(&ref);
    mdm_table_reset(&out);
    return runs;
}

/* ---- malformed COPY messages ---- */

/* The first message of table b is the 19-byte header, then row 1: a field
 * count (2 bytes), a (4-byte length + 8), s (4-byte length + 3). */
static void libpq__malformed_binary_copy_messages_make_the_read_fall_back(void **state)
{
    fx *f = begin(state);
    assert_int_equal(read_with(f, "b", F_GET_SIGNATURE, 0, 0), 2);
    assert_int_equal(read_with(f, "b", F_GET_CUT, 0, 19 + 1), 2);          /* no field count */
    assert_int_equal(read_with(f, "b", F_GET_CUT, 0, 19 + 2 + 2), 2);      /* half a length */
    assert_int_equal(read_with(f, "b", F_GET_CUT, 0, 19 + 2 + 4 + 3), 2);  /* half a value */
    assert_int_equal(read_with(f, "b", F_GET_CUT, 1, -1), 2);              /* row 2 short */
    assert_int_equal(read_with(f, "b", F_GET_EXTRA_BYTE, 1, 0), 2);        /* row 2 long */
}

static void libpq__a_binary_header_in_a_message_of_its_own_is_read(void **state)
{
    fx *f = begin(state);
    assert_int_equal(read_with(f, "b", F_GET_HEADER_ALONE, 0, 0), 1);
}

static void libpq__a_text_row_without_its_newline_makes_the_read_fall_back(void **state)
{
    fx *f = begin(state);
    assert_int_equal(read_with(f, "tx", F_GET_CUT, 0, -1), 2);
}

static mdm_status keep_rows(void *ctx, const mdm_table *t, mdm_error *err)
{
    return mdm_table_append_table(ctx, t, err);
}

/* A streamed read with a limit comes through COPY too, and falls back
 * the same way (no row was handed over yet). */
static void libpq__a_streamed_read_with_a_limit_falls_back_too(void **state)
{
    fx *f = begin(state);
    mdm_table got, rest, want;
    mdm_row_sink sink = {1, keep_rows, &got};
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    mdm_compare_opts o = MDM_COMPARE_OPTS_INIT;
    mdm_table_diff d;
    mdm_error err;
    ro.has_limit = true;
    ro.limit = 2;
    mdm_table_init(&want);
    OK(mdm_conn_read_table(f->c, "b", &ro, &want, &err));   /* no sink: one SELECT */
    assert_int_equal(want.nrows, 2);
    ro.sink = &sink;
    mdm_table_init(&rest);
    mdm_table_init(&got);
    OK(mdm_table_copy_schema(&got, &want, &err));
    uint64_t before = cached_runs(f->c);
    arm(F_GET_SIGNATURE, 0, 0);
    OK(mdm_conn_read_table(f->c, "b", &ro, &rest, &err));
    assert_true(fired);
    assert_int_equal(cached_runs(f->c) - before, 2);   /* LIMIT 0, then the SELECT again */
    OK(mdm_table_append_table(&got, &rest, &err));
    if (!mdm_table_equal(&want, &got, &o, &d))
        fail_msg("%s", d.message);
    mdm_table_reset(&got);
    mdm_table_reset(&rest);
    mdm_table_reset(&want);
}

/* ---- libpq failing ---- */

static void libpq__a_failed_copy_read_is_reported_and_the_connection_recovers(void **state)
{
    fx *f = begin(state);
    const char *tables[] = {"b", "tx"};
    for (size_t i = 0; i < 2; i++) {
        mdm_table out;
        mdm_error err;
        mdm_table_init(&out);
        arm(F_GET_FAIL, 1, 0);   /* row 1 arrives, row 2 does not */
        assert_int_equal(mdm_conn_read_table(f->c, tables[i], NULL, &out, &err), MDM_ERR_SQL);
        assert_true(fired);
        assert_non_null(strstr(err.message, "COPY data"));
        assert_int_equal(out.nrows, 0);
        /* libpq skips the rest of the COPY at the next command */
        assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM b"), 3);
        assert_false(mdm_conn_in_transaction(f->c));
        OK(mdm_conn_read_table(f->c, tables[i], NULL, &out, &err));
        assert_int_equal(out.nrows, i == 0 ? 3 : 2);
        mdm_table_reset(&out);
    }
}

/* A streamed query libpq cannot send: an error, and the connection goes on. */
static void libpq__a_streamed_query_that_cannot_be_sent_is_an_error(void **state)
{
    fx *f = begin(state);
    mdm_row_sink sink = {2, keep_rows, NULL};
    mdm_query_result r;
    mdm_error err;
    mdm_query_result_init(&r);
    sink.ctx = &r.table;
    r.sink = &sink;
    arm(F_SEND_FAIL, 0, 0);
    assert_int_not_equal(mdm_conn_execute_query(f->c, "SELECT * FROM b", NULL, 0, &r, &err),
                         MDM_OK);
    assert_true(fired);
    assert_non_null(strstr(err.message, "query"));
    mdm_query_result_reset(&r);
    assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM b"), 3);
}

static void make_rows(mdm_table *t, int n)
{
    mdm_error err;
    mdm_table_init(t);
    OK(mdm_table_add_column(t, "a", MDM_INT64, &err));
    OK(mdm_table_add_column(t, "s", MDM_TEXT, &err));
    for (int r = 0; r < n; r++) {
        OK(mdm_table_push_int64(t, 0, 100 + r, &err));
        OK(mdm_table_push_text(t, 1, "new", 3, &err));
        OK(mdm_table_end_row(t, &err));
    }
}

static void libpq__a_failed_copy_write_is_rolled_back(void **state)
{
    fx *f = begin(state);
    const fault faults[] = {F_PUT_FAIL, F_END_FAIL};
    const char *where[] = {"COPY data", "COPY end"};
    mdm_table t;
    make_rows(&t, 10);
    for (size_t i = 0; i < 2; i++) {
        for (int in_tx = 0; in_tx < 2; in_tx++) {
            mdm_error err;
            if (in_tx)
                OK(mdm_conn_begin(f->c, &err));
            arm(faults[i], 0, 0);
            assert_int_equal(mdm_conn_create_table(f->c, "b", &t, MDM_IF_EXISTS_REPLACE, &err),
                             MDM_ERR_SQL);
            assert_true(fired);
            assert_non_null(strstr(err.message, where[i]));
            assert_non_null(strstr(err.message, "Failed to create table b"));
            /* the old table is still there, whole; the caller's
             * transaction is still open and usable */
            assert_int_equal(mdm_conn_in_transaction(f->c), in_tx);
            assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM b"), 3);
            assert_int_equal(mdm_test_sql_int(f->c, "SELECT MIN(a) FROM b"), 1);
            if (in_tx)
                OK(mdm_conn_commit(f->c, &err));
        }
    }
    /* and the same write goes through when libpq does not fail */
    {
        mdm_error err;
        OK(mdm_conn_create_table(f->c, "b", &t, MDM_IF_EXISTS_REPLACE, &err));
        assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM b"), 10);
    }
    mdm_table_reset(&t);
}

static void libpq__a_connection_libpq_cannot_allocate_is_out_of_memory(void **state)
{
    fx *f = begin(state);
    mdm_conn *c = NULL;
    mdm_error err;
    bool exists = false;
    arm(F_CONNECT_NULL, 0, 0);
    assert_int_equal(mdm_conn_open(mdm_pg_backend(), &f->cfg, &c, &err), MDM_ERR_NOMEM);
    assert_true(fired);
    assert_null(c);
    assert_non_null(strstr(err.message, "out of memory"));
    arm(F_CONNECT_NULL, 0, 0);
    assert_int_equal(mdm_database_exists(mdm_pg_backend(), &f->cfg, f->db, &exists, &err),
                     MDM_ERR_NOMEM);
    assert_true(fired);
    OK(mdm_database_exists(mdm_pg_backend(), &f->cfg, f->db, &exists, &err));
    assert_true(exists);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(libpq__malformed_binary_copy_messages_make_the_read_fall_back),
        T(libpq__a_binary_header_in_a_message_of_its_own_is_read),
        T(libpq__a_text_row_without_its_newline_makes_the_read_fall_back),
        T(libpq__a_streamed_read_with_a_limit_falls_back_too),
        T(libpq__a_failed_copy_read_is_reported_and_the_connection_recovers),
        T(libpq__a_streamed_query_that_cannot_be_sent_is_an_error),
        T(libpq__a_failed_copy_write_is_rolled_back),
        T(libpq__a_connection_libpq_cannot_allocate_is_out_of_memory),
    };
    return cmocka_run_group_tests_name("pg_libpq_faults", tests, NULL, NULL);
}
