/* SPDX-License-Identifier: MIT */
/*
 * pg_backend.c - the PostgreSQL backend (libpq): connections by DSN with a
 * fixed session setup, a per-connection cache of named prepared statements,
 * bulk loads through COPY FROM STDIN (binary when the column types allow)
 * inside one transaction (replace is atomic), reads typed by column type
 * OIDs (full reads and streamed ones through COPY TO STDOUT, streamed
 * queries in libpq's single-row mode), `:name`
 * parameters rewritten to $n, and database-per-dataset operations. It keeps
 * no state outside its connections; the file exports one function.
 */
#include "mdm_backend.h"
#include "mdm_buf.h"
#include "mdm_dtoa.h"
#include "mdm_modern_internal.h"
#include "mdm_sql.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs (pg_type.h; stable across versions). */
enum {
    OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26,
    OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_BPCHAR = 1042, OID_VARCHAR = 1043,
    OID_DATE = 1082, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184, OID_NUMERIC = 1700
};

typedef struct pg_conn {
    struct mdm_conn base;
    PGconn *pg;
    mdm__stmt_cache cache;
    uint64_t seq;          /* numbers the prepared statements */
    bool closing;          /* disconnecting: free cache entries, no DEALLOCATE */
} pg_conn;

/* A cached statement is its server-side name. */
typedef struct pg_stmt {
    char name[32];
} pg_stmt;

static pg_conn *PG(mdm_conn *c)
{
    return (pg_conn *)c;
}

/* ---- errors ------------------------------------------------------------- */

/* Fills err from a failed result (or the connection), prefixed with ctx. */
MDM_PRINTF(4, 5)
static mdm_status pg_fail(PGconn *pg, const PGresult *res, mdm_error *err, const char *fmt, ...)
{
    char ctx[256], msg[400];
    va_list ap;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    mdm_status code;

    snprintf(msg, sizeof msg, "%s",
             primary ? primary : (pg && PQerrorMessage(pg)[0] ? PQerrorMessage(pg) : "unknown error"));
    for (size_t n = strlen(msg); n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '); n--)
        msg[n - 1] = '\0';
    if (pg == NULL || PQstatus(pg) == CONNECTION_BAD)
        code = MDM_ERR_CONNECTION;
    else if (state != NULL)
        code = mdm_status_from_sqlstate(state);
    else
        code = MDM_ERR_SQL;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    mdm_error_set(err, code, "%s: %s", ctx, msg);
    if (err != NULL && state != NULL)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
    return code;
}

/* ---- statements --------------------------------------------------------- */

static void destroy_stmt(void *ctx, void *stmt)
{
    pg_conn *p = ctx;
    pg_stmt *s = stmt;
    if (!p->closing && PQstatus(p->pg) == CONNECTION_OK &&
        PQtransactionStatus(p->pg) != PQTRANS_INERROR) {
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
        PQclear(PQexec(p->pg, sql));
    }
    free(s);
}

/* Runs SQL without parameters where the result is not needed. */
static mdm_status pg_exec(pg_conn *p, const char *sql, mdm_error *err)
{
    PGresult *res = PQexec(p->pg, sql);
    ExecStatusType st = PQresultStatus(res);
    mdm_status rc = MDM_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = pg_fail(p->pg, res, err, "%s", sql);
    PQclear(res);
    return rc;
}

static bool pg_result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/*
 * Runs sql with text parameters, through the statement cache when it is on
 * (prepare once per connection, then execute by name: one round trip).
 * *out receives the result on success (caller PQclear()s it).
 */
static mdm_status pg_run(pg_conn *p, const char *sql, int n, const Oid *types,
                         const char *const *values, PGresult **out, mdm_error *err)
{
    PGresult *res = NULL;
    size_t sqllen = strlen(sql), keylen = sqllen + 1 + (size_t)n * sizeof(Oid);
    char *key = NULL;

    if (p->cache.capacity == 0) {
        res = PQexecParams(p->pg, sql, n, types, values, NULL, NULL, 0);
        goto check;
    }
    if ((key = malloc(keylen)) == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    memcpy(key, sql, sqllen + 1);
    if (n > 0 && types != NULL)
        memcpy(key + sqllen + 1, types, (size_t)n * sizeof(Oid));
    else if (n > 0)
        memset(key + sqllen + 1, 0, (size_t)n * sizeof(Oid));
    for (int attempt = 0; attempt < 2; attempt++) {
        pg_stmt *s = mdm__stmt_cache_get(&p->cache, key, keylen);
        if (s == NULL) {
            if ((s = malloc(sizeof *s)) == NULL) {
                free(key);
                return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
            }
            snprintf(s->name, sizeof s->name, "mdm_s%llu", (unsigned long long)++p->seq);
            PGresult *pr = PQprepare(p->pg, s->name, sql, n, types);
            if (!pg_result_ok(pr)) {
                mdm_status rc = pg_fail(p->pg, pr, err, "prepare");
                PQclear(pr);
                free(s);
                free(key);
                return rc;
            }
            PQclear(pr);
            if (!mdm__stmt_cache_put(&p->cache, key, keylen, s)) {
                res = PQexecPrepared(p->pg, s->name, n, values, NULL, NULL, 0);
                destroy_stmt(p, s);
                break;
            }
        }
        res = PQexecPrepared(p->pg, s->name, n, values, NULL, NULL, 0);
        /* A cached plan whose result columns changed (the table was
         * replaced): prepare again, once, when no transaction is open. */
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (attempt == 0 && state != NULL && strcmp(state, "0A000") == 0 &&
            PQtransactionStatus(p->pg) == PQTRANS_IDLE) {
            PQclear(res);
            res = NULL;
            mdm__stmt_cache_drop(&p->cache, s);
            continue;
        }
        break;
    }
    free(key);
check:
    if (!pg_result_ok(res)) {
        /* COPY ... TO STDOUT / FROM STDIN through execute_query starts a
         * copy with the client that nothing here would feed or drain
         * (libpq ends it at the next command). */
        ExecStatusType st = PQresultStatus(res);
        mdm_status rc = st == PGRES_COPY_OUT || st == PGRES_COPY_IN
                            ? mdm_error_set(err, MDM_ERR_UNSUPPORTED,
                                            "query: COPY to or from the client is not supported "
                                            "here (create_table and read_table use COPY)")
                            : pg_fail(p->pg, res, err, "query");
        PQclear(res);
        return rc;
    }
    *out = res;
    return MDM_OK;
}

/* ---- typed reads -------------------------------------------------------- */

static mdm_type pg_type_of(Oid oid)
{
    switch (oid) {
    case OID_INT8: case OID_INT4: case OID_INT2: case OID_OID:
        return MDM_INT64;
    case OID_FLOAT8: case OID_FLOAT4: case OID_NUMERIC:
        return MDM_FLOAT64;
    case OID_BOOL:
        return MDM_BOOL;
    case OID_TIMESTAMP: case OID_TIMESTAMPTZ: case OID_DATE:
        return MDM_TIMESTAMP;
    default:
        return MDM_TEXT;
    }
}

/* The declared type, upper case, in the short names SQLAlchemy's inspector
 * gave legacy (TIMESTAMP, VARCHAR), so both implementations report the
 * same schema; NULL if unknown. */
static const char *pg_decl_name(Oid oid)
{
    switch (oid) {
    case OID_INT8: return "BIGINT";
    case OID_INT4: return "INTEGER";
    case OID_INT2: return "SMALLINT";
    case OID_FLOAT8: return "DOUBLE PRECISION";
    case OID_FLOAT4: return "REAL";
    case OID_NUMERIC: return "NUMERIC";
    case OID_BOOL: return "BOOLEAN";
    case OID_TEXT: return "TEXT";
    case OID_VARCHAR: return "VARCHAR";
    case OID_BPCHAR: return "CHARACTER";
    case OID_DATE: return "DATE";
    case OID_TIMESTAMP: return "TIMESTAMP";
    case OID_TIMESTAMPTZ: return "TIMESTAMP WITH TIME ZONE";
    default: return NULL;
    }
}

/* Parses PostgreSQL's ISO timestamp/date text; timestamptz (TimeZone is
 * UTC) ends in "+00", which is dropped. */
/* A float8's text (shortest round-trip digits; NaN, Infinity, -Infinity)
 * as a double: printf-free for digits, strtod for the words. */
static double pg_float(const char *v, size_t len)
{
    double f;
    return mdm_dtoa_parse(v, len, &f) ? f : strtod(v, NULL);
}

/* The same for a COPY field, which must be a number as a whole. */
static bool copy_read_float(const char *v, size_t len, double *out)
{
    char *end = NULL;
    if (!mdm_dtoa_parse(v, len, out))
        *out = strtod(v, &end);
    return end == NULL || (len > 0 && end == v + len);
}

static bool pg_parse_ts(const char *v, size_t len, int64_t *out)
{
    if (len > 19 && (v[len - 3] == '+' || v[len - 3] == '-') && isdigit((unsigned char)v[len - 1]))
        len -= 3;
    return mdm_parse_timestamp(v, len, out);
}

/* Adds res's columns to out (freshly initialised). */
static mdm_status pg_result_columns(const PGresult *res, mdm_table *out, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (int c = 0; c < PQnfields(res) && rc == MDM_OK; c++) {
        Oid oid = PQftype(res, c);
        rc = mdm_table_add_column(out, PQfname(res, c), pg_type_of(oid), err);
        if (rc == MDM_OK && PQftable(res, c) != InvalidOid)
            rc = mdm_table_set_decl_type(out, (size_t)c, pg_decl_name(oid), err);
    }
    return rc;
}

/* Adds row r of res to out, whose columns are res's. A timestamp outside
 * years 1 to 9999 makes its column TEXT; pinned (a streamed read) instead
 * sets *misfit to that column and leaves the row unfinished, unless the
 * column was made TEXT for this row (pg_isolate). */
static mdm_status pg_result_row(const PGresult *res, int r, mdm_table *out, bool pinned,
                                int *misfit, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (int c = 0; c < PQnfields(res) && rc == MDM_OK; c++) {
        const char *v = PQgetvalue(res, r, c);
        size_t len = (size_t)PQgetlength(res, r, c);
        int64_t ts;
        if (PQgetisnull(res, r, c)) {
            rc = mdm_table_push_null(out, (size_t)c, err);
            continue;
        }
        switch (out->cols[c].type) {
        case MDM_INT64:
            rc = mdm_table_push_int64(out, (size_t)c, strtoll(v, NULL, 10), err);
            break;
        case MDM_FLOAT64:
            rc = mdm_table_push_float64(out, (size_t)c, pg_float(v, len), err);
            break;
        case MDM_BOOL:
            rc = mdm_table_push_bool(out, (size_t)c, v[0] == 't', err);
            break;
        case MDM_TIMESTAMP:
            if (pg_parse_ts(v, len, &ts)) {
                rc = mdm_table_push_timestamp(out, (size_t)c, ts, err);
                break;
            }
            if (pinned) {
                *misfit = c;
                return MDM_OK;
            }
            /* 'infinity', BC dates, years past 9999: keep the text */
            rc = mdm__table_convert_column(out, (size_t)c, MDM_TEXT, err);
            if (rc == MDM_OK)
                rc = mdm_table_push_text(out, (size_t)c, v, len, err);
            break;
        default:
            rc = mdm_table_push_text(out, (size_t)c, v, len, err);
            break;
        }
    }
    return rc == MDM_OK ? mdm_table_end_row(out, err) : rc;
}

/* Converts a whole result into out (freshly initialised). */
static mdm_status pg_result_table(const PGresult *res, mdm_table *out, mdm_error *err)
{
    int nt = PQntuples(res), misfit = -1;
    mdm_status rc = pg_result_columns(res, out, err);
    if (rc == MDM_OK && nt > 0)
        rc = mdm_table_reserve(out, (size_t)nt, 0, err);
    for (int r = 0; r < nt && rc == MDM_OK; r++)
        rc = pg_result_row(res, r, out, false, &misfit, err);
    return rc;
}

/*
 * Full reads go through COPY (SELECT ...) TO STDOUT in text format: libpq
 * then hands over one row at a time instead of building a PGresult of every
 * value, which made reads three times slower than psql's \copy. The
 * column names and types come from the same SELECT with LIMIT 0, through
 * the statement cache, just before. The text is the one a PGresult holds
 * (same session settings), so values convert exactly as above; a row that
 * does not match the described columns (the table was replaced between the
 * two statements) makes the caller read again the old way.
 */

/* Unescapes one COPY text field in place (PostgreSQL writes only \b \f
 * \n \r \t \v and \\) and NUL-terminates it over its delimiter;
 * returns the new length. */
static size_t copy_unescape(char *s, size_t n)
{
    const char *bs = memchr(s, '\\', n);
    size_t o = bs ? (size_t)(bs - s) : n;
    for (size_t i = o; i < n; i++) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < n) {
            switch (ch = s[++i]) {
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'n': ch = '\n'; break;
            case 'r': ch = '\r'; break;
            case 't': ch = '\t'; break;
            case 'v': ch = '\v'; break;
            default: break;
            }
        }
        s[o++] = ch;
    }
    s[o] = '\0';
    return o;
}

/* Reads a whole NUL-terminated integer field; false if it is not one. */
static bool copy_int64(const char *v, size_t len, int64_t *out)
{
    size_t i = v[0] == '-';
    uint64_t u = 0;
    if (len == i || len - i > 18) {
        char *end;
        long long x;
        if (len == i)
            return false;
        x = strtoll(v, &end, 10);   /* 19 digits: let strtoll judge overflow */
        *out = x;
        return end == v + len;
    }
    for (size_t k = i; k < len; k++) {
        if (v[k] < '0' || v[k] > '9')
            return false;
        u = u * 10 + (uint64_t)(v[k] - '0');
    }
    *out = i ? -(int64_t)u : (int64_t)u;
    return true;
}

/* Adds one COPY row (n bytes, ending in a newline, writable) to out; sets
 * *mismatch instead when it does not fit out's columns. pinned (a streamed
 * read): a timestamp column is not turned into TEXT by a value outside
 * years 1 to 9999; *misfit is set to that column instead and the row is
 * left unfinished. */
static mdm_status copy_row(mdm_table *out, char *row, size_t n, bool pinned, int *misfit,
                           bool *mismatch, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    size_t pos = 0;
    if (n == 0 || row[n - 1] != '\n') {
        *mismatch = true;
        return MDM_OK;
    }
    n--;
    for (size_t c = 0; c < out->ncols && rc == MDM_OK; c++) {
        bool last = c + 1 == out->ncols;
        char *tab = memchr(row + pos, '\t', n - pos);
        if (last != (tab == NULL)) {
            *mismatch = true;
            return MDM_OK;
        }
        char *v = row + pos;
        size_t len = (last ? row + n : tab) - v;
        pos += len + 1;
        if (len == 2 && v[0] == '\\' && v[1] == 'N') {
            rc = mdm_table_push_null(out, c, err);
            continue;
        }
        len = copy_unescape(v, len);
        int64_t i64;
        double f;
        switch (out->cols[c].type) {
        case MDM_INT64:
            if (!copy_int64(v, len, &i64)) {
                *mismatch = true;
                return MDM_OK;
            }
            rc = mdm_table_push_int64(out, c, i64, err);
            break;
        case MDM_FLOAT64:
            if (!copy_read_float(v, len, &f)) {
                *mismatch = true;
                return MDM_OK;
            }
            rc = mdm_table_push_float64(out, c, f, err);
            break;
        case MDM_BOOL:
            if (len != 1 || (v[0] != 't' && v[0] != 'f')) {
                *mismatch = true;
                return MDM_OK;
            }
            rc = mdm_table_push_bool(out, c, v[0] == 't', err);
            break;
        case MDM_TIMESTAMP:
            if (pg_parse_ts(v, len, &i64)) {
                rc = mdm_table_push_timestamp(out, c, i64, err);
                break;
            }
            if (pinned) {
                *misfit = (int)c;
                return MDM_OK;
            }
            /* 'infinity', BC dates, years past 9999: keep the text */
            rc = mdm__table_convert_column(out, c, MDM_TEXT, err);
            if (rc == MDM_OK)
                rc = mdm_table_push_text(out, c, v, len, err);
            break;
        default:
            rc = mdm_table_push_text(out, c, v, len, err);
            break;
        }
    }
    if (rc == MDM_OK && !*mismatch)
        rc = mdm_table_end_row(out, err);
    return rc;
}

/*
 * The binary form of the same rows, for results whose column types all
 * have one here that converts to exactly what the text gives: integers,
 * float8, bool, timestamps in years 1 to 9999 (the server then formats and
 * the client parses no numbers or dates), text and varchar. Anything else
 * (a timestamp outside that range, 'infinity') is a mismatch and the read
 * is done again from text.
 */
enum {
    RD_TS_MIN_US = INT64_C(-62135596800000000),   /* 0001-01-01 00:00:00 */
    RD_TS_END_US = INT64_C(253402300800000000),   /* 10000-01-01 00:00:00 */
    RD_PG_EPOCH_US = INT64_C(946684800000000)     /* 2000-01-01 */
};

static bool binary_readable(const PGresult *desc)
{
    for (int c = 0; c < PQnfields(desc); c++) {
        switch (PQftype(desc, c)) {
        case OID_INT8: case OID_INT4: case OID_INT2: case OID_FLOAT8: case OID_BOOL:
        case OID_TIMESTAMP: case OID_TIMESTAMPTZ: case OID_TEXT: case OID_VARCHAR:
            break;
        default:
            return false;
        }
    }
    return true;
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* The server's text (DateStyle ISO, TimeZone UTC) of a binary timestamp
 * (microseconds since 2000) outside years 1 to 9999: 'infinity', a year
 * past 9999, or a BC date ("0044-03-15 01:02:03.5 BC"); tz: timestamptz
 * ("+00" before the era). The calendar repeats every 400 years, so core's
 * formatter does the date after a shift by whole eras. */
static size_t pg_ts_text(int64_t v, bool tz, char *buf, size_t n)
{
    const int64_t per_day = INT64_C(86400000000), era_days = 146097;
    char mid[48];
    if (v == INT64_MAX || v == INT64_MIN)
        return (size_t)snprintf(buf, n, "%s", v == INT64_MAX ? "infinity" : "-infinity");
    int64_t days = v / per_day, tod = v % per_day;
    if (tod < 0) {
        tod += per_day;
        days--;
    }
    days += 10957;   /* 2000-01-01 in days since 1970 */
    int64_t eras = (days >= 0 ? days : days - era_days + 1) / era_days;
    size_t len = mdm_format_timestamp((days - eras * era_days) * per_day + tod, mid, sizeof mid);
    while (len > 20 && mid[len - 1] == '0')   /* the server shows no trailing zeros */
        mid[--len] = '\0';
    int64_t year = (mid[0] - '0') * 1000 + (mid[1] - '0') * 100 + (mid[2] - '0') * 10 +
                   (mid[3] - '0') + eras * 400;
    return (size_t)snprintf(buf, n, "%04lld%s%s%s", (long long)(year > 0 ? year : 1 - year),
                            mid + 4, tz ? "+00" : "", year > 0 ? "" : " BC");
}

/* Adds one binary COPY message (the first starts with the header, the last
 * is the trailer) to out; *mismatch as for copy_row. pinned: a timestamp
 * outside years 1 to 9999 sets *misfit to its column (row unfinished);
 * in a column made TEXT for it, it is the server's text. */
static mdm_status copy_binary_read_row(mdm_table *out, const PGresult *desc,
                                       const unsigned char *p, size_t n, bool *header,
                                       bool pinned, int *misfit, bool *mismatch, mdm_error *err)
{
    const unsigned char *e = p + n;
    mdm_status rc = MDM_OK;
    if (!*header) {
        if (n < 19 || memcmp(p, "PGCOPY\n\377\r\n\0", 11) != 0 ||
            get_be(p + 15, 4) > n - 19) {
            *mismatch = true;
            return MDM_OK;
        }
        p += 19 + get_be(p + 15, 4);
        *header = true;
        if (p == e)
            return MDM_OK;
    }
    if (e - p < 2) {
        *mismatch = true;
        return MDM_OK;
    }
    int16_t nf = (int16_t)get_be(p, 2);
    p += 2;
    if (nf == -1 && p == e)
        return MDM_OK;   /* the trailer */
    if (nf < 0 || (size_t)nf != out->ncols) {
        *mismatch = true;
        return MDM_OK;
    }
    for (size_t c = 0; c < out->ncols && rc == MDM_OK; c++) {
        if (e - p < 4) {
            *mismatch = true;
            return MDM_OK;
        }
        int32_t len = (int32_t)get_be(p, 4);
        p += 4;
        if (len == -1) {
            rc = mdm_table_push_null(out, c, err);
            continue;
        }
        if (len < 0 || e - p < len) {
            *mismatch = true;
            return MDM_OK;
        }
        Oid oid = PQftype(desc, (int)c);
        uint64_t u = len <= 8 ? get_be(p, len) : 0;
        bool ok = true;
        double f;
        switch (oid) {
        case OID_INT8:
            ok = len == 8;
            rc = ok ? mdm_table_push_int64(out, c, (int64_t)u, err) : MDM_OK;
            break;
        case OID_INT4:
            ok = len == 4;
            rc = ok ? mdm_table_push_int64(out, c, (int32_t)(uint32_t)u, err) : MDM_OK;
            break;
        case OID_INT2:
            ok = len == 2;
            rc = ok ? mdm_table_push_int64(out, c, (int16_t)(uint16_t)u, err) : MDM_OK;
            break;
        case OID_FLOAT8:
            ok = len == 8;
            memcpy(&f, &u, sizeof f);
            rc = ok ? mdm_table_push_float64(out, c, f, err) : MDM_OK;
            break;
        case OID_BOOL:
            ok = len == 1;
            rc = ok ? mdm_table_push_bool(out, c, u != 0, err) : MDM_OK;
            break;
        case OID_TIMESTAMP: case OID_TIMESTAMPTZ: {
            int64_t v = (int64_t)u;
            bool in_range = v >= RD_TS_MIN_US - RD_PG_EPOCH_US && v < RD_TS_END_US - RD_PG_EPOCH_US;
            ok = len == 8 && (in_range || pinned);
            if (ok && out->cols[c].type == MDM_TEXT) {
                char text[48];
                size_t tlen = pg_ts_text(v, oid == OID_TIMESTAMPTZ, text, sizeof text);
                rc = mdm_table_push_text(out, c, text, tlen, err);
            } else if (ok && !in_range) {
                *misfit = (int)c;
                return MDM_OK;
            } else if (ok) {
                rc = mdm_table_push_timestamp(out, c, v + RD_PG_EPOCH_US, err);
            }
            break;
        }
        default:   /* text, varchar */
            rc = mdm_table_push_text(out, c, (const char *)p, (size_t)len, err);
            break;
        }
        if (!ok) {
            *mismatch = true;
            return MDM_OK;
        }
        p += len;
    }
    if (rc == MDM_OK && p != e)
        *mismatch = true;
    if (rc == MDM_OK && !*mismatch)
        rc = mdm_table_end_row(out, err);
    return rc;
}

/* A streamed read (a sink). Rows already handed over cannot be rewritten,
 * so a column keeps the type it was described with: a timestamp outside
 * years 1 to 9999 ('infinity', BC, past 9999) is the server's text in a
 * chunk of its own, its row alone with that column TEXT; the column is a
 * timestamp again for the rows after it. */
typedef struct pg_stream {
    const mdm_row_sink *sink;
    mdm_buf raw;      /* text COPY: the current row as it came (unescaped in place) */
    bool handed;      /* some rows are handed over: the read cannot start again */
} pg_stream;

static mdm_status pg_hand_over(pg_stream *ps, mdm_table *out, mdm_error *err)
{
    ps->handed = true;
    return mdm_row_sink_flush(ps->sink, out, err);
}

/* One COPY row, binary or text; see copy_binary_read_row and copy_row. */
static mdm_status copy_any_row(const PGresult *desc, bool binary, bool *header, mdm_table *out,
                               char *row, size_t n, bool pinned, int *misfit, bool *mismatch,
                               mdm_error *err)
{
    if (binary)
        return copy_binary_read_row(out, desc, (const unsigned char *)row, n, header, pinned,
                                    misfit, mismatch, err);
    return copy_row(out, row, n, pinned, misfit, mismatch, err);
}

/* Pushes the row that did not fit again, pinned, once a column is TEXT for
 * it (pg_isolate): COPY reads it from what it was, a query from its
 * PGresult. */
typedef mdm_status (*pg_row_again_fn)(void *ctx, mdm_table *out, int *misfit, mdm_error *err);

/* The row did not fit column misfit: the rows before it go, then the row
 * alone (pushed again by again(ctx)); nothing more goes when that shows
 * the row does not fit the columns at all (*mismatch). */
static mdm_status pg_isolate(pg_stream *ps, mdm_table *out, int misfit, pg_row_again_fn again,
                             void *ctx, const bool *mismatch, mdm_error *err)
{
    bool *text = calloc(out->ncols, sizeof *text);
    if (text == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    mdm_table_drop_partial_row(out);
    mdm_status rc = pg_hand_over(ps, out, err);
    while (rc == MDM_OK && misfit >= 0) {
        text[misfit] = true;
        rc = mdm__table_convert_column(out, (size_t)misfit, MDM_TEXT, err);
        misfit = -1;
        if (rc == MDM_OK)
            rc = again(ctx, out, &misfit, err);
        if (rc == MDM_OK && misfit >= 0)
            mdm_table_drop_partial_row(out);
    }
    if (rc == MDM_OK && !*mismatch)
        rc = pg_hand_over(ps, out, err);
    for (size_t c = 0; c < out->ncols && rc == MDM_OK; c++)
        if (text[c])
            rc = mdm__table_convert_column(out, c, MDM_TIMESTAMP, err);
    free(text);
    return rc;
}

/* A COPY row to push again: its bytes as they came (text: ps->raw, as the
 * first try unescaped them in place; binary: untouched) and the header
 * state before it. */
typedef struct copy_again {
    const PGresult *desc;
    bool binary, header0, *header, *mismatch;
    char *row;
    size_t n;
    const mdm_buf *raw;
} copy_again;

static mdm_status copy_row_again(void *ctx, mdm_table *out, int *misfit, mdm_error *err)
{
    copy_again *a = ctx;
    if (!a->binary)
        memcpy(a->row, a->raw->data, a->n);
    *a->header = a->header0;
    return copy_any_row(a->desc, a->binary, a->header, out, a->row, a->n, true, misfit,
                        a->mismatch, err);
}

/* One COPY row of a read; streamed when ps is not NULL. */
static mdm_status copy_read_row(pg_stream *ps, const PGresult *desc, bool binary, bool *header,
                                mdm_table *out, char *row, size_t n, bool *mismatch,
                                mdm_error *err)
{
    int misfit = -1;
    copy_again again = {desc, binary, *header, header, mismatch, row, n, NULL};
    mdm_status rc = MDM_OK;
    if (ps != NULL && !binary) {
        ps->raw.len = 0;
        rc = mdm_buf_append(&ps->raw, row, n);
        if (rc != MDM_OK)
            return mdm_error_set(err, rc, "out of memory");
    }
    rc = copy_any_row(desc, binary, header, out, row, n, ps != NULL, &misfit, mismatch, err);
    if (rc == MDM_OK && misfit >= 0) {
        again.raw = &ps->raw;
        rc = pg_isolate(ps, out, misfit, copy_row_again, &again, mismatch, err);
    }
    return rc;
}

/* Reads the rows of select_sql through COPY into out, whose columns are
 * already there (described by desc; binary when binary_readable(desc));
 * *mismatch as for copy_row. With ps, rows are handed over to its sink in
 * chunks. */
static mdm_status copy_read(pg_conn *p, const char *select_sql, const PGresult *desc,
                            pg_stream *ps, mdm_table *out, bool *mismatch, mdm_error *err)
{
    bool binary = binary_readable(desc), header = false;
    mdm_buf sql;
    char *row = NULL;
    int n;
    mdm_status rc;

    mdm_buf_init(&sql);
    rc = mdm_buf_printf(&sql, "COPY (%s) TO STDOUT%s", select_sql,
                        binary ? " WITH (FORMAT binary)" : "");
    if (rc != MDM_OK) {
        mdm_buf_reset(&sql);
        return mdm_error_set(err, rc, "out of memory");
    }
    PGresult *res = PQexec(p->pg, mdm_buf_str(&sql));
    mdm_buf_reset(&sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = pg_fail(p->pg, res, err, "COPY");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    /* Every row is taken even after a failure, so the connection stays in
     * step with the server. */
    while ((n = PQgetCopyData(p->pg, &row, 0)) > 0) {
        if (rc == MDM_OK && !*mismatch)
            rc = copy_read_row(ps, desc, binary, &header, out, row, (size_t)n, mismatch, err);
        if (rc == MDM_OK && !*mismatch && ps != NULL && mdm_row_sink_full(ps->sink, out))
            rc = pg_hand_over(ps, out, err);
        PQfreemem(row);
    }
    if (n == -2 && rc == MDM_OK)
        rc = pg_fail(p->pg, NULL, err, "COPY data");
    while ((res = PQgetResult(p->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (rc == MDM_OK && st != PGRES_COMMAND_OK)
            rc = pg_fail(p->pg, res, err, "COPY");
        PQclear(res);
        /* Still copying: PQgetCopyData failed with the connection up (out
         * of memory). PQgetResult would return this result forever; the
         * next command on the connection skips the rest of the rows. */
        if (st == PGRES_COPY_OUT)
            break;
    }
    return rc;
}

/* ---- connections -------------------------------------------------------- */

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Opens a bare libpq connection (no session setup). */
static mdm_status pg_open(const mdm_conn_config *cfg, PGconn **out, mdm_error *err)
{
    char timeout[16];
    const char *kw[5], *val[5];
    int n = 0;
    snprintf(timeout, sizeof timeout, "%d", cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 0);
    kw[n] = "connect_timeout", val[n++] = timeout;
    kw[n] = "application_name", val[n++] = "mdm";
    if (cfg->dsn != NULL && cfg->dsn[0] != '\0')
        kw[n] = "dbname", val[n++] = cfg->dsn;
    kw[n] = "client_encoding", val[n++] = "UTF8";
    kw[n] = NULL, val[n] = NULL;
    PGconn *pg = PQconnectdbParams(kw, val, 1);
    if (pg == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "postgresql: out of memory connecting");
    if (PQstatus(pg) != CONNECTION_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(pg));
        for (size_t l = strlen(msg); l > 0 && (msg[l - 1] == '\n' || msg[l - 1] == ' '); l--)
            msg[l - 1] = '\0';
        PQfinish(pg);
        return mdm_error_set(err, MDM_ERR_CONNECTION, "postgresql: cannot connect: %s", msg);
    }
    PQsetNoticeProcessor(pg, quiet_notices, NULL);
    *out = pg;
    return MDM_OK;
}

static void pg_disconnect(mdm_conn *c)
{
    pg_conn *p = PG(c);
    p->closing = true;
    mdm__stmt_cache_reset(&p->cache);
    PQfinish(p->pg);
    free(p);
}

/* Fixed session settings: ISO dates in UTC, floats that read back exactly
 * (PostgreSQL 12+ prints the shortest exact form by default). Only those
 * the server does not have already are SET: behind a pgbouncer in
 * transaction mode a SET stays on the server connection, for whichever
 * client gets it next. */
static mdm_status pg_session_settings(pg_conn *p, mdm_error *err)
{
    static const struct { const char *name, *want, *set; } S[] = {
        { "DateStyle", "ISO, MDY", "SET DateStyle = 'ISO, MDY'; " },
        { "TimeZone", "UTC", "SET TimeZone = 'UTC'; " },
        { "IntervalStyle", "postgres", "SET IntervalStyle = 'postgres'; " },
    };
    char sql[160] = "";
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
        const char *have = PQparameterStatus(p->pg, S[i].name);
        if (have == NULL || strcmp(have, S[i].want) != 0) strcat(sql, S[i].set);
    }
    if (PQserverVersion(p->pg) < 120000) strcat(sql, "SET extra_float_digits = 3; ");
    return sql[0] != '\0' ? pg_exec(p, sql, err) : MDM_OK;
}

static mdm_status pg_connect(const mdm_conn_config *cfg, mdm_conn **out, mdm_error *err)
{
    pg_conn *p = calloc(1, sizeof *p);
    mdm_status rc;
    if (p == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    p->base.ops = mdm_pg_backend();
    mdm__stmt_cache_init(&p->cache, cfg->stmt_cache_size > 0 ? (size_t)cfg->stmt_cache_size : 0,
                         destroy_stmt, p);
    rc = pg_open(cfg, &p->pg, err);
    if (rc != MDM_OK) {
        free(p);
        return rc;
    }
    rc = pg_session_settings(p, err);
    if (rc == MDM_OK && cfg->pg_schema != NULL && cfg->pg_schema[0] != '\0') {
        char *q = mdm_sql_quote_ident_dup(MDM_SQL_POSTGRESQL, cfg->pg_schema, err);
        const char *vals[1] = {q};
        PGresult *res = NULL;
        rc = q ? pg_run(p, "SELECT pg_catalog.set_config('search_path', $1, false)", 1, NULL,
                        vals, &res, err)
               : MDM_ERR_INVALID_ARG;
        PQclear(res);
        free(q);
    }
    if (rc != MDM_OK) {
        pg_disconnect(&p->base);
        return rc;
    }
    *out = &p->base;
    return MDM_OK;
}

static mdm_status pg_ping(mdm_conn *c, mdm_error *err)
{
    pg_conn *p = PG(c);
    PGresult *res = PQexec(p->pg, "SELECT 1");
    mdm_status rc = MDM_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_fail(p->pg, res, err, "postgresql: ping");
        rc = MDM_ERR_CONNECTION;
        if (err != NULL)
            err->code = rc;
    }
    PQclear(res);
    return rc;
}

static bool pg_in_transaction(mdm_conn *c)
{
    PGTransactionStatusType t = PQtransactionStatus(PG(c)->pg);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

static mdm_status pg_begin(mdm_conn *c, mdm_error *err)
{
    return pg_exec(PG(c), "BEGIN", err);
}

static mdm_status pg_commit(mdm_conn *c, mdm_error *err)
{
    pg_conn *p = PG(c);
    PGresult *res = PQexec(p->pg, "COMMIT");
    mdm_status rc = MDM_OK;
    if (!pg_result_ok(res))
        rc = pg_fail(p->pg, res, err, "COMMIT");
    else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
        rc = mdm_error_set(err, MDM_ERR_SQL,
                           "COMMIT: the transaction had failed and was rolled back");
    PQclear(res);
    return rc;
}

static mdm_status pg_rollback(mdm_conn *c, mdm_error *err)
{
    return pg_exec(PG(c), "ROLLBACK", err);
}

static mdm_status pg_cache_stats(mdm_conn *c, mdm_stmt_cache_stats *out, mdm_error *err)
{
    (void)err;
    mdm__stmt_cache_stats(&PG(c)->cache, out);
    return MDM_OK;
}

/* ---- write transactions ------------------------------------------------- */

static mdm_status tx_open(mdm_conn *c, bool *savepoint, mdm_error *err)
{
    pg_conn *p = PG(c);
    PGTransactionStatusType t = PQtransactionStatus(p->pg);
    if (t == PQTRANS_INERROR)
        return mdm_error_set(err, MDM_ERR_SQL,
                             "the current transaction is aborted; roll it back first");
    *savepoint = t == PQTRANS_INTRANS;
    return pg_exec(p, *savepoint ? "SAVEPOINT mdm_write" : "BEGIN", err);
}

static mdm_status tx_close(mdm_conn *c, bool savepoint, mdm_status rc, mdm_error *err)
{
    pg_conn *p = PG(c);
    if (rc == MDM_OK) {
        rc = savepoint ? pg_exec(p, "RELEASE SAVEPOINT mdm_write", err) : pg_commit(&p->base, err);
        if (rc == MDM_OK)
            return MDM_OK;
    }
    if (savepoint)
        PQclear(PQexec(p->pg, "ROLLBACK TO SAVEPOINT mdm_write; RELEASE SAVEPOINT mdm_write"));
    else if (PQtransactionStatus(p->pg) != PQTRANS_IDLE)
        PQclear(PQexec(p->pg, "ROLLBACK"));
    return rc;
}

/* ---- the operations ----------------------------------------------------- */

/* Does a relation of this (quoted, search_path-resolved) name exist? */
static mdm_status pg_exists_q(pg_conn *p, const char *quoted, bool *out, mdm_error *err)
{
    PGresult *res = NULL;
    const char *vals[1] = {quoted};
    mdm_status rc = pg_run(p, "SELECT c.relkind FROM pg_catalog.pg_class c "
                              "WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p')",
                           1, NULL, vals, &res, err);
    if (rc == MDM_OK)
        *out = PQntuples(res) > 0;
    PQclear(res);
    return rc;
}

static mdm_status pg_table_exists(mdm_conn *c, const char *table, bool *out, mdm_error *err)
{
    char *q = mdm_sql_quote_ident_dup(MDM_SQL_POSTGRESQL, table, err);
    if (q == NULL)
        return err ? err->code : MDM_ERR_INVALID_ARG;
    mdm_status rc = pg_exists_q(PG(c), q, out, err);
    free(q);
    return rc;
}

static const char *pg_decl(mdm_type t)
{
    switch (t) {
    case MDM_INT64: return "BIGINT";
    case MDM_FLOAT64: return "DOUBLE PRECISION";
    case MDM_BOOL: return "BOOLEAN";
    case MDM_TIMESTAMP: return "TIMESTAMP";
    default: return "TEXT";
    }
}

/* A timestamp as PostgreSQL writes one ("2024-01-01 00:00:00", the
 * fraction without trailing zeros): TIMESTAMP reads any form, and a TEXT
 * column (an append of timestamps) keeps what legacy's INSERT gave it. */
static size_t copy_timestamp(int64_t micros, char *buf, size_t n)
{
    size_t len = mdm_format_timestamp_fast(micros, false, buf, n);
    if (memchr(buf, '.', len) != NULL) {
        while (len > 0 && buf[len - 1] == '0')
            len--;
        len -= buf[len - 1] == '.';
        buf[len] = '\0';
    }
    return len;
}

/* Appends text in COPY text format: backslash, tab, newline and CR escaped. */
static mdm_status copy_text(mdm_buf *b, const char *s, size_t n)
{
    mdm_status rc = mdm_buf_reserve(b, n + 8);
    size_t start = 0;
    for (size_t i = 0; rc == MDM_OK && i < n; i++) {
        const char *esc = NULL;
        switch (s[i]) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: continue;
        }
        rc = mdm_buf_append(b, s + start, i - start);
        if (rc == MDM_OK)
            rc = mdm_buf_append(b, esc, 2);
        start = i + 1;
    }
    if (rc == MDM_OK)
        rc = mdm_buf_append(b, s + start, n - start);
    return rc;
}

/* Renders a double the way PostgreSQL reads it back exactly. */
static size_t pg_format_float(double v, char *buf, size_t n)
{
    if (isnan(v))
        return (size_t)snprintf(buf, n, "NaN");
    if (isinf(v))
        return (size_t)snprintf(buf, n, v < 0 ? "-Infinity" : "Infinity");
    return mdm_format_float64_fast(v, buf, n);
}

/*
 * COPY in binary format: the server then converts no text (parsing floats
 * and timestamps was half of its time in a register), and the client
 * formats nothing. It is used only where it stores exactly what the text
 * form would: columns of the types mdm declares (binary input is not
 * coerced like text is) and timestamps in years 1 to 9999 (text outside
 * that range is refused or read differently by the server).
 */
enum {
    TS_MIN_US = INT64_C(-62135596800000000),   /* 0001-01-01 00:00:00 */
    TS_END_US = INT64_C(253402300800000000),   /* 10000-01-01 00:00:00 */
    PG_EPOCH_US = INT64_C(946684800000000)     /* 2000-01-01, PostgreSQL's zero */
};

static Oid pg_type_oid(mdm_type t)
{
    switch (t) {
    case MDM_INT64: return OID_INT8;
    case MDM_FLOAT64: return OID_FLOAT8;
    case MDM_BOOL: return OID_BOOL;
    case MDM_TIMESTAMP: return OID_TIMESTAMP;
    default: return OID_TEXT;
    }
}

/* Are data's values all ones binary COPY stores as text COPY would? */
static bool binary_values_ok(const mdm_table *data)
{
    for (size_t c = 0; c < data->ncols; c++) {
        const mdm_column *col = &data->cols[c];
        if (col->type != MDM_TIMESTAMP)
            continue;
        for (size_t r = 0; r < data->nrows; r++)
            if (!col->nulls[r] && (col->v.i64[r] < TS_MIN_US || col->v.i64[r] >= TS_END_US))
                return false;
    }
    return true;
}

static void put_be(unsigned char *out, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        out[i] = (unsigned char)(v & 0xff);
}

/* Appends one row of data in COPY binary format. */
static mdm_status copy_binary_row(mdm_buf *b, const mdm_table *data, size_t r)
{
    unsigned char f[12];
    put_be(f, (uint64_t)data->ncols, 2);
    mdm_status rc = mdm_buf_append(b, (const char *)f, 2);
    for (size_t c = 0; rc == MDM_OK && c < data->ncols; c++) {
        const mdm_column *col = &data->cols[c];
        uint64_t bits;
        size_t n;
        /* NaN is stored as NULL, as in the text form. */
        if (col->nulls[r] || (col->type == MDM_FLOAT64 && isnan(col->v.f64[r]))) {
            put_be(f, UINT32_MAX, 4);
            rc = mdm_buf_append(b, (const char *)f, 4);
            continue;
        }
        switch (col->type) {
        case MDM_INT64:
            put_be(f, 8, 4);
            put_be(f + 4, (uint64_t)col->v.i64[r], 8);
            rc = mdm_buf_append(b, (const char *)f, 12);
            break;
        case MDM_FLOAT64:
            memcpy(&bits, &col->v.f64[r], sizeof bits);
            put_be(f, 8, 4);
            put_be(f + 4, bits, 8);
            rc = mdm_buf_append(b, (const char *)f, 12);
            break;
        case MDM_BOOL:
            put_be(f, 1, 4);
            f[4] = col->v.b[r] ? 1 : 0;
            rc = mdm_buf_append(b, (const char *)f, 5);
            break;
        case MDM_TIMESTAMP:
            put_be(f, 8, 4);
            put_be(f + 4, (uint64_t)(col->v.i64[r] - PG_EPOCH_US), 8);
            rc = mdm_buf_append(b, (const char *)f, 12);
            break;
        default: {
            const char *s = mdm_table_text(data, c, r, &n);
            if (n > INT32_MAX)
                return MDM_ERR_INVALID_ARG;
            put_be(f, (uint64_t)n, 4);
            rc = mdm_buf_append(b, (const char *)f, 4);
            if (rc == MDM_OK)
                rc = mdm_buf_append(b, s, n);
            break;
        }
        }
    }
    return rc;
}

/* A float going into an integer column, as the server's float8-to-int8
 * assignment cast makes it (rint: halves to even), which legacy's INSERT
 * of float8 parameters relied on (pandas makes integers with a missing
 * value floats); anything that does not fit is sent as a float for the
 * server to refuse. A float going into a TEXT column gets the server's own
 * float8 text, as legacy's INSERT of a float8 parameter stored it. */
static size_t copy_float(double v, char target, char *buf, size_t n)
{
    double r = rint(v);   /* the server's range test, on the rounded value */
    if (target == 'i' && r >= -0x1p63 && r < 0x1p63)
        return mdm__format_int64((int64_t)r, buf);
    if (target == 't' && isfinite(v))
        return mdm_format_float64_shortest(v, buf, n);
    return pg_format_float(v, buf, n);
}

/* Appends one row of data in COPY text format; target[c] (or NULL) says
 * what column c goes into: 'i' an integer column, 't' a text one, else 0. */
static mdm_status copy_text_row(mdm_buf *b, const mdm_table *data, size_t r,
                                const char *target)
{
    char num[64];
    mdm_status rc = MDM_OK;
    for (size_t c = 0; rc == MDM_OK && c < data->ncols; c++) {
        const mdm_column *col = &data->cols[c];
        size_t n;
        /* NaN is a missing value (pandas to_sql, and SQLite binds it
         * as NULL): store NULL on both backends. */
        if (col->nulls[r] || (col->type == MDM_FLOAT64 && isnan(col->v.f64[r]))) {
            rc = mdm_buf_append(b, "\\N", 2);
        } else {
            switch (col->type) {
            case MDM_INT64:
                n = mdm__format_int64(col->v.i64[r], num);
                rc = mdm_buf_append(b, num, n);
                break;
            case MDM_FLOAT64:
                n = copy_float(col->v.f64[r], target != NULL ? target[c] : 0, num, sizeof num);
                rc = mdm_buf_append(b, num, n);
                break;
            case MDM_BOOL:
                /* the words, not t/f: BOOLEAN reads either, and a TEXT
                 * column (an append of booleans) keeps what legacy's
                 * INSERT gave it: 'true', 'false' */
                rc = mdm_buf_puts(b, col->v.b[r] ? "true" : "false");
                break;
            case MDM_TIMESTAMP:
                n = copy_timestamp(col->v.i64[r], num, sizeof num);
                rc = mdm_buf_append(b, num, n);
                break;
            default: {
                const char *s = mdm_table_text(data, c, r, &n);
                rc = copy_text(b, s, n);
                break;
            }
            }
        }
        if (rc == MDM_OK)
            rc = mdm_buf_putc(b, c + 1 < data->ncols ? '\t' : '\n');
    }
    return rc;
}

/* Sends every row of data through COPY ... FROM STDIN (text format, or
 * binary when `binary`). */
static mdm_status pg_copy_rows(pg_conn *p, const char *copy_sql, const mdm_table *data,
                               bool binary, const char *target, mdm_error *err)
{
    mdm_buf b;
    mdm_status rc = MDM_OK;
    PGresult *res = PQexec(p->pg, copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = pg_fail(p->pg, res, err, "COPY");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    mdm_buf_init(&b);
    if (binary) {
        /* signature, flags, header extension length */
        static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
        rc = mdm_buf_append(&b, header, sizeof header);
    }
    for (size_t r = 0; rc == MDM_OK && r < data->nrows; r++) {
        rc = binary ? copy_binary_row(&b, data, r) : copy_text_row(&b, data, r, target);
        if (rc == MDM_OK && binary && r + 1 == data->nrows)
            rc = mdm_buf_append(&b, "\377\377", 2);   /* trailer: -1 */
        if (rc != MDM_OK) {
            rc = rc == MDM_ERR_INVALID_ARG
                     ? mdm_error_set(err, rc, "COPY: a text value is too long")
                     : mdm_error_set(err, rc, "out of memory");
            break;
        }
        if (b.len >= (1u << 20) || r + 1 == data->nrows) {
            if (PQputCopyData(p->pg, b.data, (int)b.len) != 1)
                rc = pg_fail(p->pg, NULL, err, "COPY data");
            mdm_buf_clear(&b);
        }
    }
    mdm_buf_reset(&b);
    if (PQputCopyEnd(p->pg, rc == MDM_OK ? NULL : "aborted by mdm") != 1 && rc == MDM_OK)
        rc = pg_fail(p->pg, NULL, err, "COPY end");
    while ((res = PQgetResult(p->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (rc == MDM_OK && st != PGRES_COMMAND_OK)
            rc = pg_fail(p->pg, res, err, "COPY");
        PQclear(res);
        /* Still copying: PQputCopyEnd failed with the connection up (out
         * of memory). PQgetResult would return this result forever; the
         * next command on the connection ends the COPY (the caller's
         * ROLLBACK). */
        if (st == PGRES_COPY_IN)
            break;
    }
    return rc;
}

/* Column names of an existing table, in order. */
static mdm_status pg_columns(pg_conn *p, const char *quoted, PGresult **out, mdm_error *err)
{
    const char *vals[1] = {quoted};
    return pg_run(p, "SELECT a.attname, a.atttypid, "
                     "upper(pg_catalog.format_type(a.atttypid, a.atttypmod)) "
                     "FROM pg_catalog.pg_attribute a "
                     "WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 "
                     "AND NOT a.attisdropped ORDER BY a.attnum",
                  1, NULL, vals, out, err);
}

/* ---- create_table: the steps mdm__write_table drives -------------------- */

static mdm_status pg_step_exec(mdm_conn *c, const char *sql, mdm_error *err)
{
    return pg_exec(PG(c), sql, err);
}

/* cols is a PGresult ** (pg_columns' rows: name, type oid, type name). */
static mdm_status pg_step_columns(mdm_conn *c, const char *table, const char *quoted,
                                  void *cols, mdm_error *err)
{
    (void)table;
    return pg_columns(PG(c), quoted, cols, err);
}

/* The row of `have` naming this column (case-sensitive), or -1. */
static int pg_column_row(const PGresult *have, const char *name)
{
    int n = PQntuples(have);
    for (int j = 0; j < n; j++) {
        if (strcmp(PQgetvalue(have, j, 0), name) == 0)
            return j;
    }
    return -1;
}

static bool pg_has_column(const void *cols, const char *name)
{
    return pg_column_row(*(PGresult *const *)cols, name) >= 0;
}

/* COPY: binary when every column has the declared type of its data (always
 * so for a table made here) and the values allow it, else text. */
static mdm_status pg_step_insert(mdm_conn *c, mdm_buf *sql, const char *quoted,
                                 const char *quoted_cols, const mdm_table *data, const void *cols,
                                 mdm_error *err)
{
    const PGresult *have = *(PGresult *const *)cols;
    bool binary = binary_values_ok(data);
    for (size_t i = 0; binary && have != NULL && i < data->ncols; i++) {
        int j = pg_column_row(have, data->cols[i].name);
        binary = j >= 0 &&
                 strtoul(PQgetvalue(have, j, 1), NULL, 10) == pg_type_oid(data->cols[i].type);
    }
    char *target = calloc(data->ncols + 1, 1);
    if (target == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !binary && have != NULL && i < data->ncols; i++) {
        int j = pg_column_row(have, data->cols[i].name);
        unsigned long oid = j >= 0 ? strtoul(PQgetvalue(have, j, 1), NULL, 10) : 0;
        /* int8, int2, int4; text, varchar */
        target[i] = (oid == 20 || oid == 21 || oid == 23) ? 'i' : (oid == 25 || oid == 1043) ? 't' : 0;
    }
    mdm_status rc = mdm_buf_printf(sql, "COPY %s (%s) FROM STDIN%s", quoted, quoted_cols,
                                   binary ? " WITH (FORMAT binary)" : "");
    if (rc == MDM_OK)
        rc = pg_copy_rows(PG(c), mdm_buf_str(sql), data, binary, target, err);
    free(target);
    return rc;
}

static const mdm__write_steps pg_write_steps = {
    .dialect = MDM_SQL_POSTGRESQL,
    .decl = pg_decl,
    .tx_open = tx_open,
    .tx_close = tx_close,
    .exec = pg_step_exec,
    .columns = pg_step_columns,
    .has_column = pg_has_column,
    .insert = pg_step_insert,
};

static mdm_status pg_create_table(mdm_conn *c, const char *table, const mdm_table *data,
                                  mdm_if_exists mode, mdm_error *err)
{
    PGresult *have = NULL;
    mdm_status rc = mdm__write_table(c, &pg_write_steps, &have, table, data, mode, err);
    PQclear(have);
    return rc;
}

/* "SELECT <columns> FROM <table>" for a read. */
static mdm_status pg_select_sql(mdm_buf *sql, const char *table, const mdm_read_opts *opts,
                                mdm_error *err)
{
    mdm_status rc = mdm_buf_puts(sql, "SELECT ");
    if (rc == MDM_OK && opts->ncolumns == 0)
        rc = mdm_buf_puts(sql, "*");
    for (size_t i = 0; rc == MDM_OK && i < opts->ncolumns; i++) {
        if (i > 0)
            rc = mdm_buf_puts(sql, ", ");
        if (rc == MDM_OK)
            rc = mdm_sql_quote_ident(sql, MDM_SQL_POSTGRESQL, opts->columns[i], err);
    }
    if (rc == MDM_OK)
        rc = mdm_buf_puts(sql, " FROM ");
    return rc == MDM_OK ? mdm_sql_quote_ident(sql, MDM_SQL_POSTGRESQL, table, err) : rc;
}

/*
 * A read through COPY: the columns from the SELECT with LIMIT 0, the rows
 * from COPY (SELECT ...) as they arrive, handed over to opts->sink when
 * there is one. COPY takes no parameters, so a limit goes in as a literal
 * (an integer: nothing to quote). sql is the SELECT and is left so.
 * *again: the rows did not fit the described columns and none were handed
 * over, out is empty again: the caller reads the old way.
 */
static mdm_status pg_read_copy(pg_conn *p, mdm_buf *sql, const mdm_read_opts *opts,
                               mdm_table *out, bool *again, mdm_error *err)
{
    size_t len = sql->len;
    bool mismatch = false;
    char limit[24];
    PGresult *desc = NULL;
    pg_stream ps = {opts->sink, {NULL, 0, 0}, false};
    mdm_status rc = mdm_buf_puts(sql, " LIMIT 0");
    if (rc == MDM_OK)
        rc = pg_run(p, mdm_buf_str(sql), 0, NULL, NULL, &desc, err);
    if (rc == MDM_OK)
        rc = pg_result_table(desc, out, err);
    sql->data[sql->len = len] = '\0';
    if (rc == MDM_OK && opts->has_limit) {
        mdm__format_int64(opts->limit, limit);
        rc = mdm_buf_puts(sql, " LIMIT ");
        rc = rc == MDM_OK ? mdm_buf_puts(sql, limit) : rc;
    }
    if (rc == MDM_OK)
        rc = copy_read(p, mdm_buf_str(sql), desc, opts->sink != NULL ? &ps : NULL, out,
                       &mismatch, err);
    sql->data[sql->len = len] = '\0';
    mdm_buf_reset(&ps.raw);
    PQclear(desc);
    if (rc == MDM_OK && mismatch && ps.handed)
        rc = mdm_error_set(err, MDM_ERR_SQL, "the table changed while it was read (rows were already handed over)");
    *again = rc == MDM_OK && mismatch;
    if (*again) {
        mdm_table_reset(out);
        mdm_table_init(out);
    }
    return rc;
}

/* Full reads and streamed ones go through COPY (pg_read_copy); a read
 * with a limit and no sink is one SELECT with the limit bound: its rows
 * are held anyway, and it saves the round trip of the description. */
static mdm_status pg_read_table(mdm_conn *c, const char *table, const mdm_read_opts *opts,
                                mdm_table *out, mdm_error *err)
{
    pg_conn *p = PG(c);
    mdm_buf sql;
    PGresult *res = NULL;
    char limit[24];
    const char *vals[1] = {limit};
    const Oid types[1] = {OID_INT8};
    bool again = opts->has_limit && opts->sink == NULL;
    mdm_status rc;

    mdm_buf_init(&sql);
    rc = pg_select_sql(&sql, table, opts, err);
    if (rc == MDM_OK && !again)
        rc = pg_read_copy(p, &sql, opts, out, &again, err);
    if (rc == MDM_OK && again && opts->has_limit) {
        rc = mdm_buf_puts(&sql, " LIMIT $1");
        mdm__format_int64(opts->limit, limit);
    }
    if (rc == MDM_OK && again)
        rc = pg_run(p, mdm_buf_str(&sql), opts->has_limit ? 1 : 0, types, vals, &res, err);
    if (rc == MDM_OK && again)
        rc = pg_result_table(res, out, err);
    if (rc != MDM_OK)
        mdm_error_prefix(err, "Failed to read table %s", table);
    PQclear(res);
    mdm_buf_reset(&sql);
    return rc;
}

/* Appends s and a NUL. */
static mdm_status text_param(mdm_buf *b, const char *s, size_t n)
{
    mdm_status rc = mdm_buf_append(b, s, n);
    return rc == MDM_OK ? mdm_buf_putc(b, '\0') : rc;
}

/* Renders one parameter as text for libpq; NULL for SQL NULL. The text is
 * appended to b; *off receives its offset (or SIZE_MAX for NULL). */
static mdm_status pg_param_text(mdm_buf *b, const mdm_value *v, size_t *off, Oid *type)
{
    char num[64];
    size_t n;
    switch (v->type) {
    case MDM_INT64: *type = OID_INT8; break;
    case MDM_FLOAT64: *type = OID_FLOAT8; break;
    case MDM_BOOL: *type = OID_BOOL; break;
    case MDM_TIMESTAMP: *type = OID_TIMESTAMP; break;
    default: *type = 0; break;   /* unknown: inferred like a literal */
    }
    if (v->is_null) {
        /* A NULL gives the server nothing to infer from (`:x IS NULL`
         * fails with "could not determine data type"), so it is sent with
         * the type the caller named, as mdm_param_null() promises. */
        if (*type == 0)
            *type = OID_TEXT;
        *off = SIZE_MAX;
        return MDM_OK;
    }
    *off = b->len;
    switch (v->type) {
    case MDM_INT64:
        n = mdm__format_int64(v->v.i64, num);
        break;
    case MDM_FLOAT64:
        n = pg_format_float(v->v.f64, num, sizeof num);
        break;
    case MDM_BOOL:
        n = (size_t)snprintf(num, sizeof num, "%s", v->v.b ? "t" : "f");
        break;
    case MDM_TIMESTAMP:
        n = mdm_format_timestamp_full(v->v.i64, num, sizeof num);
        break;
    default:   /* mdm_conn_execute_query has refused text with a NUL byte */
        return text_param(b, v->v.text.s ? v->v.text.s : "", v->v.text.len);
    }
    return text_param(b, num, n);
}

static bool dml_status(const char *status)
{
    return strncmp(status, "INSERT", 6) == 0 || strncmp(status, "UPDATE", 6) == 0 ||
           strncmp(status, "DELETE", 6) == 0 || strncmp(status, "MERGE", 5) == 0;
}

/* A row of a streamed query's result to push again (pg_isolate). */
typedef struct result_again {
    const PGresult *res;
    int row;
} result_again;

static mdm_status result_row_again(void *ctx, mdm_table *out, int *misfit, mdm_error *err)
{
    const result_again *a = ctx;
    return pg_result_row(a->res, a->row, out, true, misfit, err);
}

/* The rows of one result of a streamed query (in single-row mode one row,
 * then an empty one at the end, which alone describes the columns when no
 * row came), handed over in chunks; a timestamp outside years 1 to 9999
 * comes alone, as in a streamed COPY read. */
static mdm_status stream_rows(pg_stream *ps, const PGresult *res, mdm_table *out,
                              mdm_error *err)
{
    static const bool no_mismatch = false;   /* a PGresult row always has its columns */
    mdm_status rc = out->ncols == 0 ? pg_result_columns(res, out, err) : MDM_OK;
    for (int r = 0; r < PQntuples(res) && rc == MDM_OK; r++) {
        result_again again = {res, r};
        int misfit = -1;
        rc = pg_result_row(res, r, out, true, &misfit, err);
        if (rc == MDM_OK && misfit >= 0)
            rc = pg_isolate(ps, out, misfit, result_row_again, &again, &no_mismatch, err);
        if (rc == MDM_OK && mdm_row_sink_full(ps->sink, out))
            rc = pg_hand_over(ps, out, err);
    }
    return rc;
}

/* One result of a streamed query into out: rows, the count of a DML
 * statement, or the error. */
static mdm_status stream_result(pg_conn *p, pg_stream *ps, PGresult *res,
                                mdm_query_result *out, mdm_error *err)
{
    switch (PQresultStatus(res)) {
    case PGRES_SINGLE_TUPLE:
        return stream_rows(ps, res, &out->table, err);
    case PGRES_TUPLES_OK: case PGRES_COMMAND_OK:
        if (dml_status(PQcmdStatus(res)))
            out->rows_affected = strtoll(PQcmdTuples(res), NULL, 10);
        return PQresultStatus(res) == PGRES_TUPLES_OK ? stream_rows(ps, res, &out->table, err)
                                                      : MDM_OK;
    case PGRES_COPY_OUT: case PGRES_COPY_IN:
        return mdm_error_set(err, MDM_ERR_UNSUPPORTED,
                             "query: COPY to or from the client is not supported here "
                             "(create_table and read_table use COPY)");
    default:
        return pg_fail(p->pg, res, err, "query");
    }
}

/* Ends a COPY that a query started with the client, so the connection is
 * in step again: refused (COPY FROM STDIN), or its rows dropped. */
static void pg_leave_copy(pg_conn *p, ExecStatusType st)
{
    char *row;
    if (st == PGRES_COPY_IN) {
        (void)PQputCopyEnd(p->pg, "COPY from the client is not supported here");
        return;
    }
    while (PQgetCopyData(p->pg, &row, 0) > 0)
        PQfreemem(row);
}

/* The query failed here (the sink, memory) while the server still sends
 * rows: asks the server to stop, so the rest need not be read. libpq's
 * PQcancel waits until the server has the request; the rows already on
 * their way and the error ending them are then read off as usual. A
 * cancel that cannot be sent only means reading every row. */
static void pg_stop_query(pg_conn *p)
{
    char msg[256];
    PGcancel *cancel = PQgetCancel(p->pg);
    if (cancel != NULL) {
        (void)PQcancel(cancel, msg, sizeof msg);
        PQfreeCancel(cancel);
    }
}

/*
 * A query whose rows go to out->sink as they come. libpq's single-row mode
 * (one PGresult per row, taken off the socket as the server sends it) was
 * measured against the whole result and against a cursor (DECLARE, then
 * FETCH FORWARD 65536) on a 1M-row query: it is the fastest of the three,
 * needs no transaction and takes any statement, where a cursor takes only
 * SELECT and VALUES. The statement is unnamed rather than from the cache:
 * the cache's second try on a changed result type would have to happen
 * before any row is handed over, and one parse is nothing next to a result
 * worth streaming. Every result is read to the end, so the connection is
 * in step with the server whatever happened.
 */
static mdm_status pg_query_stream(pg_conn *p, const char *sql, int n, const Oid *types,
                                  const char *const *values, mdm_query_result *out,
                                  mdm_error *err)
{
    pg_stream ps = {out->sink, {NULL, 0, 0}, false};
    bool stopped = false;
    mdm_status rc = MDM_OK;
    PGresult *res;
    if (!PQsendQueryParams(p->pg, sql, n, types, values, NULL, NULL, 0))
        return pg_fail(p->pg, NULL, err, "query");
    (void)PQsetSingleRowMode(p->pg);   /* refused: one result with every row, taken the same way */
    while ((res = PQgetResult(p->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (rc == MDM_OK)
            rc = stream_result(p, &ps, res, out, err);
        if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN)
            pg_leave_copy(p, st);
        if (rc != MDM_OK && st == PGRES_SINGLE_TUPLE && !stopped) {
            pg_stop_query(p);
            stopped = true;
        }
        PQclear(res);
    }
    return rc;
}

static mdm_status pg_execute_query(mdm_conn *c, const char *sql, const mdm_param *params,
                                   size_t nparams, mdm_query_result *out, mdm_error *err)
{
    pg_conn *p = PG(c);
    mdm_buf text, vals;
    mdm_strlist names;
    size_t *idx = NULL, *off = NULL;
    Oid *types = NULL;
    const char **values = NULL;
    PGresult *res = NULL;
    mdm_status rc;

    mdm_buf_init(&text);
    mdm_buf_init(&vals);
    mdm_strlist_init(&names);
    rc = mdm__pg_rewrite_params(sql, &text, &names, err);
    if (rc == MDM_OK && names.count > 0) {
        idx = calloc(names.count, sizeof *idx);
        off = calloc(names.count, sizeof *off);
        types = calloc(names.count, sizeof *types);
        values = calloc(names.count, sizeof *values);
        if (idx == NULL || off == NULL || types == NULL || values == NULL)
            rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    if (rc == MDM_OK)
        rc = mdm__match_params((const char *const *)names.items, names.count, params, nparams,
                               idx, err);
    for (size_t i = 0; rc == MDM_OK && i < names.count; i++) {
        rc = pg_param_text(&vals, &params[idx[i]].value, &off[i], &types[i]);
        if (rc != MDM_OK)
            rc = mdm_error_set(err, rc, "out of memory");
    }
    for (size_t i = 0; rc == MDM_OK && i < names.count; i++)
        values[i] = off[i] == SIZE_MAX ? NULL : vals.data + off[i];
    if (rc == MDM_OK && out->sink != NULL)
        rc = pg_query_stream(p, mdm_buf_str(&text), (int)names.count, types, values, out, err);
    else if (rc == MDM_OK)
        rc = pg_run(p, mdm_buf_str(&text), (int)names.count, types, values, &res, err);
    if (rc == MDM_OK && res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
        rc = pg_result_table(res, &out->table, err);
    if (rc == MDM_OK && res != NULL && dml_status(PQcmdStatus(res)))
        out->rows_affected = strtoll(PQcmdTuples(res), NULL, 10);
    if (rc != MDM_OK)
        mdm_error_prefix(err, "Failed to execute query");
    PQclear(res);
    free(idx);
    free(off);
    free(types);
    free(values);
    mdm_strlist_reset(&names);
    mdm_buf_reset(&vals);
    mdm_buf_reset(&text);
    return rc;
}

static mdm_status pg_list_tables(mdm_conn *c, mdm_strlist *out, mdm_error *err)
{
    PGresult *res = NULL;
    mdm_status rc = pg_run(PG(c), "SELECT c.relname FROM pg_catalog.pg_class c "
                                  "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                  "WHERE c.relkind IN ('r', 'p') "
                                  "AND n.nspname = pg_catalog.current_schema()",
                           0, NULL, NULL, &res, err);
    for (int r = 0; rc == MDM_OK && r < PQntuples(res); r++)
        rc = mdm_strlist_push(out, PQgetvalue(res, r, 0), err);
    PQclear(res);
    return rc;
}

static mdm_status pg_table_info(mdm_conn *c, const char *table, mdm_table_info *out,
                                mdm_error *err)
{
    pg_conn *p = PG(c);
    mdm_buf qt, sql;
    PGresult *cols = NULL, *cnt = NULL;
    mdm_status rc;

    mdm_buf_init(&qt);
    mdm_buf_init(&sql);
    rc = mdm_sql_quote_ident(&qt, MDM_SQL_POSTGRESQL, table, err);
    if (rc == MDM_OK)
        rc = mdm_buf_printf(&sql, "SELECT COUNT(*) FROM %s", mdm_buf_str(&qt));
    if (rc == MDM_OK)
        rc = pg_run(p, mdm_buf_str(&sql), 0, NULL, NULL, &cnt, err);
    if (rc == MDM_OK)
        rc = pg_columns(p, mdm_buf_str(&qt), &cols, err);
    int n = rc == MDM_OK ? PQntuples(cols) : 0;
    if (rc == MDM_OK && ((out->name = strdup(table)) == NULL ||
                         (n > 0 && (out->columns = calloc((size_t)n, sizeof *out->columns)) == NULL)))
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (int i = 0; rc == MDM_OK && i < n; i++) {
        mdm_column_info *ci = &out->columns[i];
        Oid oid = (Oid)strtoul(PQgetvalue(cols, i, 1), NULL, 10);
        const char *decl = pg_decl_name(oid);
        ci->name = strdup(PQgetvalue(cols, i, 0));
        ci->decl_type = strdup(decl ? decl : PQgetvalue(cols, i, 2));
        ci->type = pg_type_of(oid);
        out->ncolumns++;
        if (ci->name == NULL || ci->decl_type == NULL)
            rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    if (rc == MDM_OK)
        out->row_count = strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);
    PQclear(cols);
    PQclear(cnt);
    mdm_buf_reset(&sql);
    mdm_buf_reset(&qt);
    return rc;
}

static mdm_status pg_drop_table(mdm_conn *c, const char *table, bool missing_ok, mdm_error *err)
{
    mdm_buf sql;
    mdm_buf_init(&sql);
    mdm_status rc = mdm_buf_puts(&sql, missing_ok ? "DROP TABLE IF EXISTS " : "DROP TABLE ");
    if (rc == MDM_OK)
        rc = mdm_sql_quote_ident(&sql, MDM_SQL_POSTGRESQL, table, err);
    if (rc == MDM_OK)
        rc = pg_exec(PG(c), mdm_buf_str(&sql), err);
    mdm_buf_reset(&sql);
    return rc;
}

/* ---- database-level: one database per dataset on cfg->dsn's server ----- */

static mdm_status pg_database_exists(const mdm_conn_config *cfg, const char *name, bool *out,
                                     mdm_error *err)
{
    PGconn *pg = NULL;
    const char *vals[1] = {name};
    mdm_status rc = pg_open(cfg, &pg, err);
    if (rc != MDM_OK)
        return rc;
    /* compared as text: as a `name`, $1 would be cut to 63 bytes and a
     * longer name (which create_database refuses) match another database */
    PGresult *res = PQexecParams(pg, "SELECT 1 FROM pg_catalog.pg_database "
                                     "WHERE datname::text = $1::text",
                                 1, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        *out = PQntuples(res) > 0;
    else
        rc = pg_fail(pg, res, err, "database_exists '%s'", name);
    PQclear(res);
    PQfinish(pg);
    return rc;
}

/* Runs one database-level statement (CREATE/DROP DATABASE) on the server. */
static mdm_status pg_server_exec(const mdm_conn_config *cfg, const char *prefix,
                                 const char *name, const char *suffix, mdm_error *err)
{
    PGconn *pg = NULL;
    mdm_buf sql;
    mdm_buf_init(&sql);
    mdm_status rc = mdm_buf_puts(&sql, prefix);
    if (rc == MDM_OK)
        rc = mdm_sql_quote_ident(&sql, MDM_SQL_POSTGRESQL, name, err);
    if (rc == MDM_OK)
        rc = mdm_buf_puts(&sql, suffix);
    if (rc == MDM_OK)
        rc = pg_open(cfg, &pg, err);
    if (rc == MDM_OK) {
        PGresult *res = PQexec(pg, mdm_buf_str(&sql));
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_fail(pg, res, err, "%s'%s'", prefix, name);
        PQclear(res);
        PQfinish(pg);
    }
    mdm_buf_reset(&sql);
    return rc;
}

/* Two CREATE DATABASE of one name at once: the one that loses either sees
 * the other's database (42P04 duplicate_database) or, when both were past
 * that check, collides on pg_database's unique index (23505
 * unique_violation). Both mean the database exists. */
static mdm_status pg_create_database(const mdm_conn_config *cfg, const char *name,
                                     mdm_error *err)
{
    mdm_error e;
    mdm_error_clear(&e);
    mdm_status rc = pg_server_exec(cfg, "CREATE DATABASE ", name, "", &e);
    if (rc == MDM_ERR_CONSTRAINT && strcmp(e.sqlstate, "23505") == 0)
        return mdm_error_set(err, MDM_ERR_EXISTS,
                             "CREATE DATABASE '%s': database already exists (created by "
                             "another process at the same time)", name);
    if (err != NULL && rc != MDM_OK)
        *err = e;
    return rc;
}

static mdm_status pg_drop_database(const mdm_conn_config *cfg, const char *name,
                                   bool missing_ok, mdm_error *err)
{
    return pg_server_exec(cfg, missing_ok ? "DROP DATABASE IF EXISTS " : "DROP DATABASE ", name,
                          " WITH (FORCE)", err);
}

static const mdm_backend_ops pg_ops = {
    .version = MDM_BACKEND_OPS_VERSION,
    .name = "postgresql",
    .caps = MDM_CAP_SQL | MDM_CAP_TRANSACTIONS | MDM_CAP_DATABASES | MDM_CAP_STMT_CACHE |
            MDM_CAP_PERSISTENT,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .create_table = pg_create_table,
    .read_table = pg_read_table,
    .execute_query = pg_execute_query,
    .table_exists = pg_table_exists,
    .list_tables = pg_list_tables,
    .table_info = pg_table_info,
    .drop_table = pg_drop_table,
    .ping = pg_ping,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_transaction = pg_in_transaction,
    .stmt_cache_stats = pg_cache_stats,
    .database_exists = pg_database_exists,
    .create_database = pg_create_database,
    .drop_database = pg_drop_database,
};

const mdm_backend_ops *mdm_pg_backend(void)
{
    return &pg_ops;
}
