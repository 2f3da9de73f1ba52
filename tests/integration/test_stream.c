/* SPDX-License-Identifier: MIT */
/*
 * test_stream.c - streamed reads (mdm_row_sink) on the real backends: the
 * CSV and JSON bytes of a read handed over in chunks equal those of the
 * whole-table read for every column type (NULLs, -0.0, 17-digit floats,
 * timestamps, UTF-8 text with quotes and line breaks), no chunk holds more
 * rows than asked, an error of the sink stops the read, and values that do
 * not fit their column's type (SQLite's mixed columns, PostgreSQL's
 * timestamps outside years 1 to 9999) get chunks of their own instead of
 * changing rows already sent.
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

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "mdm_output.h"
#include "test_pg_conn.h"
#include "test_support.h"

#define OK(call) MDM_TEST_OK(call)

typedef struct fx {
    char dir[256], path[300];
    mdm_conn_config cfg;
    mdm_conn *sq;      /* SQLite */
    mdm_test_pg pg;    /* pg.c NULL: no server, the PostgreSQL tests skip */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    mdm_conn_config init = MDM_CONN_CONFIG_INIT;
    mdm_error err;
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    snprintf(f->path, sizeof f->path, "%s/s.sqlite", f->dir);
    f->cfg = init;
    f->cfg.backend = "sqlite";
    f->cfg.path = f->path;
    if (mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &f->sq, &err) != MDM_OK)
        return -1;
    return mdm_test_pg_open(&f->pg, "mdm_stream") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    mdm_conn_close(f->sq);
    mdm_test_pg_close(&f->pg);
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* A sink that writes through the program's streamed output and counts. */
typedef struct counting {
    mdm_output_stream os;
    size_t chunks, most;   /* chunks handed over; most rows in one */
    int fail_at;           /* > 0: this chunk fails (IO) */
} counting;

static mdm_status count_rows(void *ctx, const mdm_table *t, mdm_error *err)
{
    counting *k = ctx;
    k->chunks++;
    if (t->nrows > k->most)
        k->most = t->nrows;
    if (k->fail_at > 0 && (int)k->chunks == k->fail_at)
        return mdm_error_set(err, MDM_ERR_IO, "cannot write output: broken pipe");
    return mdm_output_stream_rows(&k->os, t, err);
}

/* Reads table whole and writes it in fmt: today's bytes (caller frees). */
static char *whole(mdm_conn *c, const char *table, mdm_out_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    mdm_table t;
    mdm_error err;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    mdm_table_init(&t);
    OK(mdm_conn_read_table(c, table, NULL, &t, &err));
    OK(mdm_output_write(&t, fmt, out, &err));
    fclose(out);
    mdm_table_reset(&t);
    return buf;
}

/* Reads table with ro (a sink is added) streamed in chunks of `chunk`
 * rows (caller frees). */
static char *streamed_opts(mdm_conn *c, const char *table, const mdm_read_opts *opts,
                           mdm_out_format fmt, size_t chunk, counting *k)
{
    char *buf = NULL;
    size_t len = 0;
    mdm_row_sink sink;
    mdm_read_opts ro = *opts;
    mdm_table t;
    mdm_error err;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    memset(k, 0, sizeof *k);
    mdm_output_stream_init(&k->os, fmt, out, &sink);
    assert_int_equal(sink.chunk_rows, MDM_OUTPUT_CHUNK_ROWS);
    sink.chunk_rows = chunk;
    sink.rows = count_rows;
    sink.ctx = k;
    ro.sink = &sink;
    mdm_table_init(&t);
    OK(mdm_conn_read_table(c, table, &ro, &t, &err));
    assert_true(t.nrows <= chunk);   /* the rest, never more than a chunk */
    OK(mdm_output_stream_end(&k->os, &t, &err));
    fclose(out);
    mdm_table_reset(&t);
    return buf;
}

/* Reads the whole table streamed in chunks of `chunk` rows (caller frees). */
static char *streamed(mdm_conn *c, const char *table, mdm_out_format fmt, size_t chunk,
                      counting *k)
{
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    return streamed_opts(c, table, &ro, fmt, chunk, k);
}

/* Every type, with the values whose text is easiest to get wrong. */
static void every_type(mdm_conn *c)
{
    static const char *const text[] = {"plain", "a \"quoted\", comma", "line\nbreak",
                                       "ünïcødé 漢字 \"q\"", "", "NA", " edge "};
    static const double f[] = {-0.0, 0.1, 1.0000000000000002, 123456789.12345679,
                               -2.2250738585072014e-308, 1e300, 5e-324};
    mdm_table t;
    mdm_error err;
    mdm_table_init(&t);
    OK(mdm_table_add_column(&t, "i", MDM_INT64, &err));
    OK(mdm_table_add_column(&t, "x", MDM_FLOAT64, &err));
    OK(mdm_table_add_column(&t, "b", MDM_BOOL, &err));
    OK(mdm_table_add_column(&t, "s", MDM_TEXT, &err));
    OK(mdm_table_add_column(&t, "ts", MDM_TIMESTAMP, &err));
    for (size_t r = 0; r < 7; r++) {
        bool null = r == 3;
        OK(null ? mdm_table_push_null(&t, 0, &err)
                : mdm_table_push_int64(&t, 0, r == 0 ? INT64_MIN : (int64_t)r * 1000003, &err));
        OK(r == 5 ? mdm_table_push_null(&t, 1, &err) : mdm_table_push_float64(&t, 1, f[r], &err));
        OK(null ? mdm_table_push_null(&t, 2, &err) : mdm_table_push_bool(&t, 2, r % 2, &err));
        OK(r == 6 ? mdm_table_push_null(&t, 3, &err)
                  : mdm_table_push_text(&t, 3, text[r], strlen(text[r]), &err));
        OK(null ? mdm_table_push_null(&t, 4, &err)
                : mdm_table_push_timestamp(&t, 4, (int64_t)r * 86400123457 - 1, &err));
        OK(mdm_table_end_row(&t, &err));
    }
    OK(mdm_conn_create_table(c, "all_types", &t, MDM_IF_EXISTS_REPLACE, &err));
    mdm_table_reset(&t);
}

/* Both formats, chunk sizes from one row to more than the table. */
static void same_bytes(mdm_conn *c)
{
    static const size_t chunks[] = {1, 2, 3, 100};
    every_type(c);
    for (int fmt = MDM_OUT_CSV; fmt <= MDM_OUT_JSON; fmt++) {
        char *want = whole(c, "all_types", (mdm_out_format)fmt);
        for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
            counting cnt;
            char *got = streamed(c, "all_types", (mdm_out_format)fmt, chunks[k], &cnt);
            assert_string_equal(got, want);
            assert_true(cnt.most <= chunks[k]);
            assert_int_equal(cnt.os.rows, 7);
            if (chunks[k] < 7)
                assert_true(cnt.chunks >= 7 / chunks[k]);
            free(got);
        }
        free(want);
    }
}

static void stream__sqlite_bytes_equal_the_whole_read(void **state)
{
    same_bytes(((fx *)*state)->sq);
}

static void stream__pg_bytes_equal_the_whole_read(void **state)
{
    fx *f = *state;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
    same_bytes(f->pg.c);
}

/* Runs sql whole and writes its rows in fmt: today's bytes (caller frees). */
static char *query_whole(mdm_conn *c, const char *sql, const mdm_param *p, size_t np,
                         mdm_out_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    mdm_query_result r;
    mdm_error err;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    mdm_query_result_init(&r);
    OK(mdm_conn_execute_query(c, sql, p, np, &r, &err));
    OK(mdm_output_write(&r.table, fmt, out, &err));
    fclose(out);
    mdm_query_result_reset(&r);
    return buf;
}

/* Runs sql with its rows streamed in chunks of `chunk` rows, written in
 * fmt (caller frees); *rc: the query's status (err filled), the output
 * then holds what was handed over before the failure. */
static char *query_streamed(mdm_conn *c, const char *sql, const mdm_param *p, size_t np,
                            mdm_out_format fmt, size_t chunk, counting *k, mdm_status *rc,
                            mdm_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    mdm_row_sink sink;
    mdm_query_result r;
    FILE *out = open_memstream(&buf, &len);
    int fail_at = k->fail_at;
    assert_non_null(out);
    memset(k, 0, sizeof *k);
    k->fail_at = fail_at;
    mdm_output_stream_init(&k->os, fmt, out, &sink);
    sink.chunk_rows = chunk;
    sink.rows = count_rows;
    sink.ctx = k;
    mdm_query_result_init(&r);
    r.sink = &sink;
    *rc = mdm_conn_execute_query(c, sql, p, np, &r, err);
    if (*rc == MDM_OK) {
        assert_true(r.table.nrows <= chunk);   /* the rest, never more than a chunk */
        *rc = mdm_output_stream_end(&k->os, &r.table, err);
    }
    fclose(out);
    mdm_query_result_reset(&r);
    return buf;
}

/* A query's rows, streamed: the same bytes as its whole result, in
 * chunks (6 rows: two chunks of 2 handed over, the rest at the end). */
static void query_same_bytes(mdm_conn *c)
{
    const char *sql = "SELECT i, x, b, s, ts, i * 2 AS expr FROM all_types "
                      "WHERE s IS NOT NULL AND (i > :lo OR i IS NULL) ORDER BY i";
    mdm_param lo = mdm_param_int64("lo", INT64_MIN);
    every_type(c);
    for (int fmt = MDM_OUT_CSV; fmt <= MDM_OUT_JSON; fmt++) {
        counting cnt = {0};
        mdm_status rc;
        mdm_error err;
        char *want = query_whole(c, sql, &lo, 1, (mdm_out_format)fmt);
        char *got = query_streamed(c, sql, &lo, 1, (mdm_out_format)fmt, 2, &cnt, &rc, &err);
        OK(rc);
        assert_string_equal(got, want);
        assert_int_equal(cnt.chunks, 2);
        assert_int_equal(cnt.most, 2);
        assert_int_equal(cnt.os.rows, 5);
        free(want);
        free(got);
    }
}

static void stream__sqlite_query_bytes_equal_the_whole_result(void **state)
{
    query_same_bytes(((fx *)*state)->sq);
}

/* On PostgreSQL too (single-row mode): rows are handed over before the
 * query ends, with the result's types and declared types. */
static void stream__pg_query_bytes_equal_the_whole_result(void **state)
{
    fx *f = *state;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
    query_same_bytes(f->pg.c);
}

/* An empty table: the head alone (and JSON's tail). */
static void stream__an_empty_table_gives_the_head(void **state)
{
    fx *f = *state;
    counting cnt;
    mdm_test_sql(f->sq, "CREATE TABLE empty (a BIGINT, b TEXT)");
    for (int fmt = MDM_OUT_CSV; fmt <= MDM_OUT_JSON; fmt++) {
        char *want = whole(f->sq, "empty", (mdm_out_format)fmt);
        char *got = streamed(f->sq, "empty", (mdm_out_format)fmt, 2, &cnt);
        assert_string_equal(got, want);
        assert_int_equal(cnt.chunks, 0);
        free(got);
        free(want);
    }
}

/* Many rows in chunks of 1,000: never more held. */
static void stream__memory_stays_bounded(void **state)
{
    fx *f = *state;
    counting cnt;
    mdm_test_sql(f->sq, "CREATE TABLE big AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                        "SELECT i + 1 FROM n WHERE i < 100000) SELECT i, i * 0.5 AS x, "
                        "'row ' || i AS s FROM n");
    char *got = streamed(f->sq, "big", MDM_OUT_CSV, 1000, &cnt);
    assert_int_equal(cnt.os.rows, 100000);
    assert_int_equal(cnt.most, 1000);
    assert_int_equal(cnt.chunks, 100);   /* the last thousand come back to the caller */
    assert_non_null(strstr(got, "\n100000,50000.0,row 100000\n"));
    free(got);
}

/* The same on PostgreSQL, where a table without timestamps comes through
 * binary COPY. */
static void stream__pg_memory_stays_bounded(void **state)
{
    fx *f = *state;
    counting cnt;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
    mdm_test_sql(f->pg.c, "CREATE TABLE big AS SELECT i::bigint AS i, i * 0.5::float8 AS x, "
                          "'row ' || i AS s, i % 2 = 0 AS b FROM generate_series(1, 100000) i");
    char *got = streamed(f->pg.c, "big", MDM_OUT_CSV, 1000, &cnt);
    char *want = whole(f->pg.c, "big", MDM_OUT_CSV);
    assert_string_equal(got, want);
    assert_int_equal(cnt.os.rows, 100000);
    assert_int_equal(cnt.most, 1000);
    assert_int_equal(cnt.chunks, 100);
    assert_non_null(strstr(got, "\n100000,50000.0,row 100000,True\n"));
    free(got);
    free(want);
}

/* A read with a limit streams too (COPY with the limit as a literal):
 * chunks before the end, the bytes of the whole read with that limit. */
static void stream__pg_limit_read_streams(void **state)
{
    fx *f = *state;
    counting cnt;
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    mdm_table t;
    mdm_error err;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
    mdm_test_sql(f->pg.c, "CREATE TABLE lim AS SELECT i::bigint AS i, i * 0.25::float8 AS x, "
                          "'row ' || i AS s, timestamp '2020-01-01' + i * interval '1 second' AS ts "
                          "FROM generate_series(1, 20000) i");
    ro.has_limit = true;
    ro.limit = 12345;
    for (int fmt = MDM_OUT_CSV; fmt <= MDM_OUT_JSON; fmt++) {
        char *want = NULL, *got;
        size_t len = 0;
        FILE *w = open_memstream(&want, &len);
        assert_non_null(w);
        mdm_table_init(&t);
        OK(mdm_conn_read_table(f->pg.c, "lim", &ro, &t, &err));   /* no sink: held whole */
        OK(mdm_output_write(&t, (mdm_out_format)fmt, w, &err));
        fclose(w);
        mdm_table_reset(&t);
        got = streamed_opts(f->pg.c, "lim", &ro, (mdm_out_format)fmt, 1000, &cnt);
        assert_string_equal(got, want);
        assert_int_equal(cnt.os.rows, 12345);
        assert_int_equal(cnt.chunks, 12);   /* the last 345 come back to the caller */
        assert_int_equal(cnt.most, 1000);
        free(got);
        free(want);
    }
}

/* Heap in use (malloc's, libpq's included): the sink samples it. */
static size_t heap_now(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static mdm_status sample_heap(void *ctx, const mdm_table *t, mdm_error *err)
{
    size_t *peak = ctx, now = heap_now();
    (void)t;
    (void)err;
    if (now > *peak)
        *peak = now;
    return MDM_OK;
}

/* A query whose whole result is about 80 MB in a PGresult: streamed, the
 * heap never holds more than a few chunks of it. */
static void stream__pg_query_memory_stays_bounded(void **state)
{
    fx *f = *state;
    size_t base = heap_now(), peak = base;
    mdm_row_sink sink = {1000, sample_heap, &peak};
    mdm_param n = mdm_param_int64("n", 200000);
    mdm_query_result r;
    mdm_error err;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
#if defined(__SANITIZE_ADDRESS__)
    skip();   /* AddressSanitizer owns malloc: mallinfo2() sees none of the heap */
#endif
    mdm_query_result_init(&r);
    r.sink = &sink;
    OK(mdm_conn_execute_query(f->pg.c, "SELECT i, repeat('x', 300) || i AS s "
                                       "FROM generate_series(1, :n) i", &n, 1, &r, &err));
    size_t kept = r.table.nrows;
    mdm_query_result_reset(&r);   /* before any assertion can leave the test */
    assert_true(kept <= 1000);
    assert_true(peak > base);
    if (peak - base > (size_t)16 << 20)
        fail_msg("the heap grew by %zu bytes while streaming", peak - base);
}

/* A query that fails after rows were handed over: the server's error,
 * and the connection goes on (in a transaction: once rolled back). */
static void stream__pg_query_error_after_rows(void **state)
{
    fx *f = *state;
    const char *sql = "SELECT i, 1 / (i - 150000) AS q FROM generate_series(1, 200000) i";
    counting cnt = {0};
    mdm_status rc;
    mdm_error err;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
    for (int in_tx = 0; in_tx < 2; in_tx++) {
        if (in_tx)
            OK(mdm_conn_begin(f->pg.c, &err));
        free(query_streamed(f->pg.c, sql, NULL, 0, MDM_OUT_CSV, 1000, &cnt, &rc, &err));
        assert_int_not_equal(rc, MDM_OK);
        assert_string_equal(err.sqlstate, "22012");
        assert_non_null(strstr(err.message, "division by zero"));
        assert_true(cnt.chunks >= 2);   /* rows went out before the error */
        if (in_tx)
            OK(mdm_conn_rollback(f->pg.c, &err));
        assert_int_equal(mdm_test_sql_int(f->pg.c, "SELECT 41 + 1"), 42);
    }
}

/* The sink fails (a broken pipe) while the server still sends rows: the
 * query is cancelled, its error is the sink's, the connection goes on. */
static void stream__pg_query_a_failing_sink_stops_it(void **state)
{
    fx *f = *state;
    const char *sql = "SELECT i, repeat('y', 100) AS s FROM generate_series(1, 3000000) i";
    counting cnt = {.fail_at = 2};
    mdm_status rc;
    mdm_error err;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
    for (int in_tx = 0; in_tx < 2; in_tx++) {
        if (in_tx)
            OK(mdm_conn_begin(f->pg.c, &err));
        cnt.fail_at = 2;
        free(query_streamed(f->pg.c, sql, NULL, 0, MDM_OUT_CSV, 1000, &cnt, &rc, &err));
        assert_int_equal(rc, MDM_ERR_IO);
        assert_non_null(strstr(err.message, "broken pipe"));
        assert_int_equal(cnt.chunks, 2);
        if (in_tx)
            OK(mdm_conn_rollback(f->pg.c, &err));
        assert_int_equal(mdm_test_sql_int(f->pg.c, "SELECT 41 + 1"), 42);
    }
}

/* What a streamed query may also meet: COPY with the client (refused,
 * the connection in step after), DML (its count; RETURNING rows streamed)
 * and DDL (no columns). */
static void stream__pg_query_other_statements(void **state)
{
    fx *f = *state;
    counting cnt = {0};
    mdm_row_sink sink;
    mdm_query_result r;
    mdm_error err;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
    static const char *const copies[] = {"COPY other TO STDOUT", "COPY other FROM STDIN"};
    FILE *out = fopen("/dev/null", "w");
    assert_non_null(out);
    mdm_output_stream_init(&cnt.os, MDM_OUT_CSV, out, &sink);
    sink.chunk_rows = 2;
    sink.rows = count_rows;
    sink.ctx = &cnt;
    mdm_test_sql(f->pg.c, "CREATE TABLE other (i BIGINT)");
    mdm_test_sql(f->pg.c, "INSERT INTO other VALUES (1), (2)");   /* rows COPY TO drops */
    for (size_t i = 0; i < 2; i++) {
        mdm_query_result_init(&r);
        r.sink = &sink;
        assert_int_equal(mdm_conn_execute_query(f->pg.c, copies[i], NULL, 0, &r, &err),
                         MDM_ERR_UNSUPPORTED);
        mdm_query_result_reset(&r);
        assert_int_equal(mdm_test_sql_int(f->pg.c, "SELECT 41 + 1"), 42);
    }
    mdm_query_result_init(&r);
    r.sink = &sink;
    OK(mdm_conn_execute_query(f->pg.c, "INSERT INTO other SELECT generate_series(1, 5) "
                                       "RETURNING i", NULL, 0, &r, &err));
    assert_int_equal(r.rows_affected, 5);
    assert_int_equal(cnt.chunks, 2);
    mdm_query_result_reset(&r);
    mdm_query_result_init(&r);
    r.sink = &sink;
    OK(mdm_conn_execute_query(f->pg.c, "DELETE FROM other WHERE i > 3", NULL, 0, &r, &err));
    assert_int_equal(r.rows_affected, 2);
    assert_int_equal(r.table.ncols, 0);
    mdm_query_result_reset(&r);
    fclose(out);
}

/* A failing sink stops the read with its error. */
static void sink_fails(mdm_conn *c)
{
    mdm_row_sink sink;
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    counting cnt;
    mdm_table t;
    mdm_error err;
    FILE *out = fopen("/dev/null", "w");
    assert_non_null(out);
    every_type(c);
    memset(&cnt, 0, sizeof cnt);
    mdm_output_stream_init(&cnt.os, MDM_OUT_CSV, out, &sink);
    sink.chunk_rows = 2;
    sink.rows = count_rows;
    sink.ctx = &cnt;
    cnt.fail_at = 2;
    ro.sink = &sink;
    mdm_table_init(&t);
    assert_int_equal(mdm_conn_read_table(c, "all_types", &ro, &t, &err), MDM_ERR_IO);
    assert_non_null(strstr(err.message, "broken pipe"));
    assert_int_equal(cnt.chunks, 2);
    mdm_table_reset(&t);
    fclose(out);
    /* the connection still works */
    mdm_table_init(&t);
    OK(mdm_conn_read_table(c, "all_types", NULL, &t, &err));
    assert_int_equal(t.nrows, 7);
    mdm_table_reset(&t);
}

static void stream__a_failing_sink_stops_the_read(void **state)
{
    fx *f = *state;
    sink_fails(f->sq);
    if (f->pg.c != NULL)
        sink_fails(f->pg.c);
}

/*
 * SQLite keeps each value in its own type: after appends a BIGINT column
 * holds integers, reals and text. A whole read widens the column (integers
 * then read 1.0); streamed, the column keeps its declared type and each
 * value that does not fit it comes alone, as its own text.
 */
static void stream__sqlite_mixed_values_come_alone(void **state)
{
    fx *f = *state;
    counting cnt;
    mdm_test_sql(f->sq, "CREATE TABLE mixed (id BIGINT, n BIGINT, b BOOLEAN, ts DATETIME)");
    mdm_test_sql(f->sq, "INSERT INTO mixed VALUES (1, 1, 1, '2020-01-01 00:00:00.000000'), "
                        "(2, 2.5, 0, '2020-01-02 00:00:00.000000'), (3, 'x', 2, 'soon'), "
                        "(4, 4, 1, 7), (5, NULL, NULL, NULL), (6, 6, 0, '2020-01-03 12:00:00.5')");
    char *csv = streamed(f->sq, "mixed", MDM_OUT_CSV, 2, &cnt);
    assert_string_equal(csv, "id,n,b,ts\n"
                             "1,1,True,2020-01-01 00:00:00\n"
                             "2,2.5,False,2020-01-02 00:00:00\n"
                             "3,x,2,soon\n"
                             "4,4,True,7\n"
                             "5,,,\n"
                             "6,6,False,2020-01-03 12:00:00.500000\n");
    assert_true(cnt.most <= 2);
    free(csv);
    char *json = streamed(f->sq, "mixed", MDM_OUT_JSON, 100, &cnt);
    assert_non_null(strstr(json, "{\"name\":\"n\",\"type\":\"INT64\"}"));
    assert_non_null(strstr(json, "[1,1,true,\"2020-01-01 00:00:00\"]"));
    assert_non_null(strstr(json, "[2,\"2.5\",false,\"2020-01-02 00:00:00\"]"));
    assert_non_null(strstr(json, "[4,4,true,\"7\"]"));
    free(json);
    /* the whole read, as before: n widened to floats, then text */
    char *old = whole(f->sq, "mixed", MDM_OUT_CSV);
    assert_non_null(strstr(old, "\n1,1.0,"));
    free(old);
}

/* Columns with no declared type take their first value's type; one that
 * holds only NULLs in the first chunk is TEXT from then on. */
static void stream__sqlite_untyped_columns(void **state)
{
    fx *f = *state;
    counting cnt;
    mdm_test_sql(f->sq, "CREATE TABLE untyped (id BIGINT, u, v)");
    mdm_test_sql(f->sq, "INSERT INTO untyped VALUES (1, NULL, 1), (2, NULL, 2), (3, 5, 'x'), "
                        "(4, 6, 4)");
    char *json = streamed(f->sq, "untyped", MDM_OUT_JSON, 2, &cnt);
    assert_string_equal(json, "{\"columns\":[{\"name\":\"id\",\"type\":\"INT64\"},"
                              "{\"name\":\"u\",\"type\":\"TEXT\"},"
                              "{\"name\":\"v\",\"type\":\"INT64\"}],\n\"rows\":[\n"
                              "[1,null,1],\n[2,null,2],\n[3,\"5\",\"x\"],\n[4,\"6\",4]]}\n");
    free(json);
}

/*
 * PostgreSQL timestamps outside years 1 to 9999 ('infinity', BC, past
 * 9999): a whole read turns the column into TEXT; streamed, the column is
 * a TIMESTAMP throughout and such a value is the server's text, alone.
 */
static void stream__pg_timestamps_out_of_range_come_alone(void **state)
{
    fx *f = *state;
    counting cnt;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
    mdm_test_sql(f->pg.c, "CREATE TABLE tso (id BIGINT, ts TIMESTAMP, tz TIMESTAMPTZ)");
    mdm_test_sql(f->pg.c, "INSERT INTO tso VALUES (1, '2020-01-01', '2020-01-01 01:00:00+00'), "
                          "(2, 'infinity', '10000-01-01 00:00:00+00'), "
                          "(3, '0044-03-15 01:02:03.5 BC', '-infinity'), "
                          "(4, '2020-01-02 00:00:00.25', NULL)");
    char *csv = streamed(f->pg.c, "tso", MDM_OUT_CSV, 3, &cnt);
    assert_string_equal(csv, "id,ts,tz\n"
                             "1,2020-01-01 00:00:00,2020-01-01 01:00:00\n"
                             "2,infinity,10000-01-01 00:00:00+00\n"
                             "3,0044-03-15 01:02:03.5 BC,-infinity\n"
                             "4,2020-01-02 00:00:00.250000,\n");
    assert_true(cnt.most <= 3);
    free(csv);
    char *json = streamed(f->pg.c, "tso", MDM_OUT_JSON, 3, &cnt);
    assert_non_null(strstr(json, "{\"name\":\"ts\",\"type\":\"TIMESTAMP\"}"));
    assert_non_null(strstr(json, "[2,\"infinity\",\"10000-01-01 00:00:00+00\"]"));
    free(json);
    char *old = whole(f->pg.c, "tso", MDM_OUT_JSON);
    assert_non_null(strstr(old, "{\"name\":\"ts\",\"type\":\"TEXT\"}"));
    free(old);
    /* a query streams by the same rule */
    mdm_status rc;
    mdm_error err;
    csv = query_streamed(f->pg.c, "SELECT * FROM tso ORDER BY id", NULL, 0, MDM_OUT_CSV, 3, &cnt,
                         &rc, &err);
    OK(rc);
    assert_string_equal(csv, "id,ts,tz\n"
                             "1,2020-01-01 00:00:00,2020-01-01 01:00:00\n"
                             "2,infinity,10000-01-01 00:00:00+00\n"
                             "3,0044-03-15 01:02:03.5 BC,-infinity\n"
                             "4,2020-01-02 00:00:00.250000,\n");
    assert_int_equal(cnt.most, 1);   /* 1, then 2 and 3 alone, 4 back to the caller */
    free(csv);
    /* the same through COPY text (NUMERIC has no binary reader here) */
    mdm_test_sql(f->pg.c, "CREATE TABLE tsn AS SELECT id::numeric AS n, ts, tz FROM tso");
    csv = streamed(f->pg.c, "tsn", MDM_OUT_CSV, 3, &cnt);
    assert_string_equal(csv, "n,ts,tz\n"
                             "1.0,2020-01-01 00:00:00,2020-01-01 01:00:00\n"
                             "2.0,infinity,10000-01-01 00:00:00+00\n"
                             "3.0,0044-03-15 01:02:03.5 BC,-infinity\n"
                             "4.0,2020-01-02 00:00:00.250000,\n");
    free(csv);
}

/* The text of binary timestamps outside years 1 to 9999 is the server's
 * own: checked against ::text over eras, BC dates and fractions. */
static void stream__pg_timestamp_text_is_the_servers(void **state)
{
    fx *f = *state;
    counting cnt;
    mdm_query_result r;
    mdm_error err;
    MDM_TEST_REQUIRE_PG();
    if (f->pg.c == NULL)
        skip();
    mdm_test_sql(f->pg.c, "CREATE TABLE tsx AS SELECT ts, ts::timestamptz AS tz FROM "
                          "(SELECT '4713-01-01 BC'::timestamp + (i * interval '1 day' * 7919) "
                          "+ (i * interval '1 microsecond' * 104729) AS ts "
                          "FROM generate_series(0, 4000) i) s "
                          "WHERE ts < '0001-01-01' OR ts >= '10000-01-01' "
                          "UNION ALL SELECT '294276-12-31 23:59:59.999999', "
                          "'294276-12-31 23:59:59.999999+00' "
                          "UNION ALL SELECT '0001-01-01 BC', '0001-12-31 23:59:59.5 BC'");
    char *csv = streamed(f->pg.c, "tsx", MDM_OUT_CSV, 1000, &cnt);
    mdm_query_result_init(&r);
    OK(mdm_conn_execute_query(f->pg.c, "SELECT ts::text || ',' || tz::text AS line FROM tsx",
                              NULL, 0, &r, &err));
    assert_true(r.table.nrows > 1000);
    const char *p = strchr(csv, '\n') + 1;
    for (size_t i = 0; i < r.table.nrows; i++) {
        const char *want = mdm_table_text(&r.table, 0, i, NULL);
        size_t len = strlen(want);
        if (strncmp(p, want, len) != 0 || p[len] != '\n')
            fail_msg("row %zu: '%.*s' vs the server's '%s'", i, (int)len, p, want);
        p += len + 1;
    }
    assert_int_equal(*p, '\0');
    assert_int_equal(cnt.most, 1);   /* every row was alone */
    mdm_query_result_reset(&r);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stream__sqlite_bytes_equal_the_whole_read),
        cmocka_unit_test(stream__pg_bytes_equal_the_whole_read),
        cmocka_unit_test(stream__sqlite_query_bytes_equal_the_whole_result),
        cmocka_unit_test(stream__pg_query_bytes_equal_the_whole_result),
        cmocka_unit_test(stream__an_empty_table_gives_the_head),
        cmocka_unit_test(stream__memory_stays_bounded),
        cmocka_unit_test(stream__pg_memory_stays_bounded),
        cmocka_unit_test(stream__pg_limit_read_streams),
        cmocka_unit_test(stream__pg_query_memory_stays_bounded),
        cmocka_unit_test(stream__pg_query_error_after_rows),
        cmocka_unit_test(stream__pg_query_a_failing_sink_stops_it),
        cmocka_unit_test(stream__pg_query_other_statements),
        cmocka_unit_test(stream__a_failing_sink_stops_the_read),
        cmocka_unit_test(stream__sqlite_mixed_values_come_alone),
        cmocka_unit_test(stream__sqlite_untyped_columns),
        cmocka_unit_test(stream__pg_timestamps_out_of_range_come_alone),
        cmocka_unit_test(stream__pg_timestamp_text_is_the_servers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
