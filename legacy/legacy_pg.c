/* SPDX-License-Identifier: MIT */
/*
 * legacy_pg.c - the old PostgreSQL backend through libpq, doing what
 * SQLAlchemy and psycopg2 did: a URL pasted together from the
 * `postgresql` settings (no user, no URL), multi-row INSERT statements of
 * up to 1,000 rows inside one transaction, reads inside a transaction that
 * is rolled back, and one database per dataset created by a pasted,
 * unquoted name.
 */
#include "legacy_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQLAlchemy's insertmanyvalues page size for psycopg2. */
#define LEGACY_PG_ROWS_PER_INSERT 1000
/* libpq's limit on parameters in one statement. */
#define LEGACY_PG_MAX_PARAMS 65535

/* Type OIDs (pg_type.h). */
enum {
    OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25,
    OID_OID = 26, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_BPCHAR = 1042,
    OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIME = 1083, OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184, OID_NUMERIC = 1700
};

static const char no_rows_msg[] =
    "This result object does not return rows. It has been closed automatically.";

/* libpq's messages end with a newline; messages here do not. */
static void set_trimmed(mdm_error *err, mdm_status code, const char *msg)
{
    size_t n = msg != NULL ? strlen(msg) : 0;
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    mdm_error_set(err, code, "%.*s", (int)n, msg != NULL ? msg : "");
}

/* Copies a failed result's SQLSTATE and primary message into err. */
static mdm_status fail(PGconn *conn, const PGresult *res, mdm_error *err)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    mdm_status code = state != NULL ? mdm_status_from_sqlstate(state) : MDM_ERR_CONNECTION;
    if (code == MDM_OK)
        code = MDM_ERR_SQL;
    set_trimmed(err, code, primary != NULL ? primary : PQerrorMessage(conn));
    if (err != NULL && state != NULL)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
    return code;
}

/* Runs sql and expects `want`; the result is cleared. */
static mdm_status run(PGconn *conn, const char *sql, ExecStatusType want, mdm_error *err)
{
    PGresult *res = PQexec(conn, sql);
    mdm_status rc = PQresultStatus(res) == want ? MDM_OK : fail(conn, res, err);
    PQclear(res);
    return rc;
}

/* ---- URLs (LEGACY.md §2) ---- */

static bool is_url(const char *path)
{
    return path != NULL && strncmp(path, "postgresql://", 13) == 0;
}

/* A host that is a socket directory must be percent-encoded in a URL. */
static mdm_status put_host(mdm_buf *b, const char *host)
{
    mdm_status rc = MDM_OK;
    for (const char *p = host; rc == MDM_OK && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            rc = mdm_buf_putc(b, (char)c);
        else
            rc = mdm_buf_printf(b, "%%%02X", c);
    }
    return rc;
}

/* _build_connection_string(): user and password pasted, unescaped. */
static mdm_status build_url(const legacy_config *c, const char *database, mdm_buf *b,
                            mdm_error *err)
{
    if (c->user == NULL)
        return mdm_error_set(err, MDM_ERR_CONFIG, "PostgreSQL user not configured");
    mdm_status rc = mdm_buf_printf(b, "postgresql://%s", c->user);
    if (rc == MDM_OK && c->password != NULL)
        rc = mdm_buf_printf(b, ":%s", c->password);
    if (rc == MDM_OK)
        rc = mdm_buf_putc(b, '@');
    if (rc == MDM_OK)
        rc = put_host(b, c->host);
    if (rc == MDM_OK)
        rc = mdm_buf_printf(b, ":%s/%s?sslmode=%s", c->port, database, c->sslmode);
    return rc == MDM_OK ? MDM_OK : mdm_error_set(err, rc, "out of memory");
}

static mdm_status target(legacy_backend *b, const char *path, char **out, mdm_error *err)
{
    mdm_buf url;
    mdm_buf_init(&url);
    mdm_status rc = MDM_OK;
    if (is_url(path))
        rc = mdm_buf_puts(&url, path) == MDM_OK ? MDM_OK
                                                : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    else
        rc = build_url(&b->cfg, path != NULL ? path : "postgres", &url, err);
    if (rc == MDM_OK && (*out = mdm_buf_steal(&url)) == NULL)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    mdm_buf_reset(&url);
    return rc;
}

mdm_status legacy_build_connection_string(legacy_backend *b, const char *database,
                                          mdm_buf *out, mdm_error *err)
{
    if (b->kind != LEGACY_POSTGRESQL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "not a PostgreSQL backend");
    return build_url(&b->cfg, database != NULL ? database : "postgres", out, err);
}

/* psycopg2 kept server notices in conn.notices; nothing was printed. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Connects to url, or to database `dbname` on the same server. */
static mdm_status pg_open(const char *url, const char *dbname, PGconn **out, mdm_error *err)
{
    const char *keys[] = {"dbname", dbname != NULL ? "dbname" : NULL, NULL};
    const char *vals[] = {url, dbname, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (conn == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory connecting");
    if (PQstatus(conn) != CONNECTION_OK) {
        set_trimmed(err, MDM_ERR_CONNECTION, PQerrorMessage(conn));
        PQfinish(conn);
        return MDM_ERR_CONNECTION;
    }
    PQsetNoticeProcessor(conn, ignore_notice, NULL);
    *out = conn;
    return MDM_OK;
}

static mdm_status pg_connect(legacy_engine *e, mdm_error *err)
{
    if (e->pg != NULL && PQstatus(e->pg) == CONNECTION_OK)
        return MDM_OK;
    if (e->pg != NULL)
        PQfinish(e->pg);  /* a dead connection is replaced, as the pool did */
    e->pg = NULL;
    return pg_open(e->target, NULL, &e->pg, err);
}

static void pg_disconnect(legacy_engine *e)
{
    if (e->pg != NULL)
        PQfinish(e->pg);
    e->pg = NULL;
}

/* ---- Results as frames ---- */

static const char *decl_name(Oid oid)
{
    switch (oid) {
    case OID_BOOL: return "BOOLEAN";
    case OID_INT8: return "BIGINT";
    case OID_INT2: return "SMALLINT";
    case OID_INT4: return "INTEGER";
    case OID_TEXT: return "TEXT";
    case OID_FLOAT4: return "REAL";
    case OID_FLOAT8: return "DOUBLE PRECISION";
    case OID_BPCHAR: return "CHAR";
    case OID_VARCHAR: return "VARCHAR";
    case OID_DATE: return "DATE";
    case OID_TIME: return "TIME";
    case OID_TIMESTAMP: return "TIMESTAMP";
    case OID_TIMESTAMPTZ: return "TIMESTAMP WITH TIME ZONE";
    case OID_NUMERIC: return "NUMERIC";
    default: return NULL;
    }
}

/* One cell as psycopg2 would have typed it. */
static mdm_status push_value(legacy_frame_builder *fb, const PGresult *res, int r, int c,
                             mdm_error *err)
{
    const char *s = PQgetvalue(res, r, c);
    size_t len = (size_t)PQgetlength(res, r, c);
    int64_t ts;
    if (PQgetisnull(res, r, c)) {
        legacy__fb_null(fb, (size_t)c);
        return MDM_OK;
    }
    switch (PQftype(res, c)) {
    case OID_INT2: case OID_INT4: case OID_INT8: case OID_OID:
        legacy__fb_int(fb, (size_t)c, strtoll(s, NULL, 10));
        return MDM_OK;
    case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
        legacy__fb_float(fb, (size_t)c, strtod(s, NULL));
        return MDM_OK;
    case OID_BOOL:
        legacy__fb_bool(fb, (size_t)c, s[0] == 't');
        return MDM_OK;
    case OID_TIMESTAMP:
        if (mdm_parse_timestamp(s, len, &ts)) {
            legacy__fb_ts(fb, (size_t)c, ts);
            return MDM_OK;
        }
        break;  /* 'infinity' has no datetime: text */
    default:
        break;
    }
    return legacy__fb_text(fb, (size_t)c, s, len, err);
}

static mdm_status result_frame(const PGresult *res, mdm_table *out, mdm_error *err)
{
    legacy_frame_builder fb;
    int ncols = PQnfields(res), nrows = PQntuples(res);
    mdm_status rc = legacy__fb_init(&fb, (size_t)ncols, err);
    for (int c = 0; rc == MDM_OK && c < ncols; c++)
        rc = legacy__fb_set_column(&fb, (size_t)c, PQfname(res, c),
                                   decl_name(PQftype(res, c)), err);
    for (int r = 0; rc == MDM_OK && r < nrows; r++) {
        rc = legacy__fb_begin_row(&fb, err);
        for (int c = 0; rc == MDM_OK && c < ncols; c++)
            rc = push_value(&fb, res, r, c, err);
        if (rc == MDM_OK)
            legacy__fb_end_row(&fb);
    }
    if (rc == MDM_OK)
        rc = legacy__fb_finish(&fb, out, err);
    legacy__fb_free(&fb);
    return rc;
}

/* Runs sql inside a transaction (psycopg2 always opened one), then
 * commits or rolls back. A result without rows is an error when rows
 * were wanted. */
static mdm_status run_in_txn(legacy_engine *e, const char *sql, bool want_rows, bool commit,
                             mdm_table *out, mdm_error *err)
{
    mdm_status rc = run(e->pg, "BEGIN", PGRES_COMMAND_OK, err);
    if (rc != MDM_OK)
        return rc;
    PGresult *res = PQexec(e->pg, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK)
        rc = result_frame(res, out, err);
    else if (st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY)
        rc = want_rows ? mdm_error_set(err, MDM_ERR_SQL, "%s", no_rows_msg) : MDM_OK;
    else
        rc = fail(e->pg, res, err);
    PQclear(res);
    if (rc == MDM_OK && commit)
        return run(e->pg, "COMMIT", PGRES_COMMAND_OK, err);
    PQclear(PQexec(e->pg, "ROLLBACK"));  /* the pool's reset on return */
    return rc;
}

static mdm_status read_sql(legacy_engine *e, const char *sql, mdm_table *out, mdm_error *err)
{
    return run_in_txn(e, sql, true, false, out, err);
}

static mdm_status execute(legacy_engine *e, const char *sql, mdm_table *out, mdm_error *err)
{
    return run_in_txn(e, sql, false, true, out, err);
}

/* Runs a query with text parameters and returns its result (caller
 * clears), or NULL with err set. */
static PGresult *query_params(PGconn *conn, const char *sql, int n, const char *const *vals,
                              mdm_error *err)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        return res;
    fail(conn, res, err);
    PQclear(res);
    return NULL;
}

/* pandas' has_table through SQLAlchemy: an exact, bound name. */
static mdm_status has_table(legacy_engine *e, const char *table, bool *out, mdm_error *err)
{
    static const char sql[] =
        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relname = $1 "
        "AND c.relkind = ANY (ARRAY['r', 'p', 'f', 'v', 'm']) "
        "AND pg_catalog.pg_table_is_visible(c.oid) AND n.nspname <> 'pg_catalog'";
    PGresult *res = query_params(e->pg, sql, 1, &table, err);
    if (res == NULL)
        return err != NULL ? err->code : MDM_ERR_SQL;
    *out = PQntuples(res) > 0;
    PQclear(res);
    return MDM_OK;
}

static mdm_status exec_ddl(legacy_engine *e, const char *sql, mdm_error *err)
{
    return run(e->pg, sql, PGRES_COMMAND_OK, err);
}

/* ---- Inserting ---- */

/* Parameter types as psycopg2's literals typed them; text stays unknown
 * so the server resolves it against the column, as a quoted literal. */
static Oid param_type(mdm_type t)
{
    switch (t) {
    case MDM_INT64: return OID_INT8;
    case MDM_FLOAT64: return OID_FLOAT8;
    case MDM_BOOL: return OID_BOOL;
    case MDM_TIMESTAMP: return OID_TIMESTAMP;
    default: return 0;
    }
}

/* "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ..." for `rows` rows. */
static mdm_status insert_sql(mdm_buf *sql, const mdm_table *df, const char *table,
                             size_t rows, mdm_error *err)
{
    mdm_status rc = legacy__insert_head(sql, MDM_SQL_POSTGRESQL, df, table, err);
    size_t n = 1;
    for (size_t r = 0; rc == MDM_OK && r < rows; r++) {
        rc = mdm_buf_puts(sql, r ? ", (" : "(");
        for (size_t c = 0; rc == MDM_OK && c < df->ncols; c++)
            rc = mdm_buf_printf(sql, c ? ", $%zu" : "$%zu", n++);
        if (rc == MDM_OK)
            rc = mdm_buf_putc(sql, ')');
    }
    return rc;
}

/* Text of one non-NULL, non-TEXT cell, appended to scratch with its NUL.
 * Returns false for a value sent as NULL (NaN, as pandas sent None). */
static bool format_cell(const mdm_table *df, size_t c, size_t r, char *buf, size_t n)
{
    switch (df->cols[c].type) {
    case MDM_INT64:
        snprintf(buf, n, "%lld", (long long)mdm_table_int64(df, c, r));
        return true;
    case MDM_FLOAT64: {
        double v = mdm_table_float64(df, c, r);
        if (v != v)
            return false;
        mdm_format_float64(v, buf, n);
        return true;
    }
    case MDM_BOOL:
        snprintf(buf, n, "%s", mdm_table_bool(df, c, r) ? "true" : "false");
        return true;
    default:
        mdm_format_timestamp_full(mdm_table_timestamp(df, c, r), buf, n);
        return true;
    }
}

typedef struct batch {
    mdm_buf scratch;     /* formatted non-text values, NUL-separated */
    size_t *off;         /* per parameter: offset in scratch, or SIZE_MAX */
    const char **vals;   /* per parameter: value or NULL */
    Oid *types;          /* per parameter */
} batch;

/* Fills the parameters of rows [first, first + rows). */
static mdm_status fill_batch(batch *bt, const mdm_table *df, size_t first, size_t rows)
{
    size_t p = 0;
    char buf[64];
    mdm_buf_clear(&bt->scratch);
    for (size_t r = first; r < first + rows; r++) {
        for (size_t c = 0; c < df->ncols; c++, p++) {
            /* A NULL goes untyped, as the original's driver wrote it (the
             * literal NULL), so the server takes the column's type: a
             * float8 NULL would not go into a TIMESTAMP column. */
            bt->types[p] = 0;
            bt->off[p] = SIZE_MAX;
            bt->vals[p] = NULL;
            if (mdm_table_is_null(df, c, r))
                continue;
            if (df->cols[c].type == MDM_TEXT) {
                bt->vals[p] = mdm_table_text(df, c, r, NULL);
                continue;
            }
            if (!format_cell(df, c, r, buf, sizeof buf))
                continue;
            bt->types[p] = param_type(df->cols[c].type);
            bt->off[p] = bt->scratch.len;
            if (mdm_buf_append(&bt->scratch, buf, strlen(buf) + 1) != MDM_OK)
                return MDM_ERR_NOMEM;
        }
    }
    /* Pointers into scratch only once it stopped moving. */
    for (size_t i = 0; i < p; i++)
        if (bt->off[i] != SIZE_MAX)
            bt->vals[i] = bt->scratch.data + bt->off[i];
    return MDM_OK;
}

static mdm_status send_batch(PGconn *conn, const char *sql, const batch *bt, size_t nparams,
                             mdm_error *err)
{
    PGresult *res = PQexecParams(conn, sql, (int)nparams, bt->types, bt->vals, NULL, NULL, 0);
    mdm_status rc = PQresultStatus(res) == PGRES_COMMAND_OK ? MDM_OK : fail(conn, res, err);
    PQclear(res);
    return rc;
}

static mdm_status insert_batches(PGconn *conn, const mdm_table *df, const char *table,
                                 size_t per, batch *bt, mdm_error *err)
{
    mdm_buf sql;
    size_t sql_rows = 0;
    mdm_status rc = MDM_OK;
    mdm_buf_init(&sql);
    for (size_t first = 0; rc == MDM_OK && first < df->nrows; first += per) {
        size_t rows = df->nrows - first < per ? df->nrows - first : per;
        if (rows != sql_rows) {  /* the full-page text is built once */
            mdm_buf_clear(&sql);
            rc = insert_sql(&sql, df, table, rows, err);
            sql_rows = rows;
        }
        if (rc == MDM_OK && fill_batch(bt, df, first, rows) != MDM_OK)
            rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory inserting rows");
        if (rc == MDM_OK)
            rc = send_batch(conn, mdm_buf_str(&sql), bt, rows * df->ncols, err);
    }
    mdm_buf_reset(&sql);
    return rc;
}

/* Multi-row INSERTs of up to 1,000 rows (fewer when 1,000 rows would pass
 * libpq's 65,535 parameters), all in one transaction. */
static mdm_status insert(legacy_engine *e, const mdm_table *df, const char *table,
                         mdm_error *err)
{
    if (df->ncols == 0)
        return MDM_OK;
    size_t per = LEGACY_PG_MAX_PARAMS / df->ncols;
    if (per > LEGACY_PG_ROWS_PER_INSERT)
        per = LEGACY_PG_ROWS_PER_INSERT;
    if (per == 0)
        return mdm_error_set(err, MDM_ERR_UNSUPPORTED, "too many columns: %zu", df->ncols);
    size_t nparams = per * df->ncols;
    batch bt;
    mdm_buf_init(&bt.scratch);
    bt.off = malloc(nparams * sizeof *bt.off);
    bt.vals = malloc(nparams * sizeof *bt.vals);
    bt.types = malloc(nparams * sizeof *bt.types);
    mdm_status rc = bt.off && bt.vals && bt.types
                        ? run(e->pg, "BEGIN", PGRES_COMMAND_OK, err)
                        : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory inserting rows");
    if (rc == MDM_OK) {
        rc = insert_batches(e->pg, df, table, per, &bt, err);
        if (rc == MDM_OK)
            rc = run(e->pg, "COMMIT", PGRES_COMMAND_OK, err);
        else
            PQclear(PQexec(e->pg, "ROLLBACK"));
    }
    mdm_buf_reset(&bt.scratch);
    free(bt.off);
    free(bt.vals);
    free(bt.types);
    return rc;
}

/* ---- Inspection ---- */

static mdm_status table_names(legacy_engine *e, legacy_names *out, mdm_error *err)
{
    static const char sql[] =
        "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
        "AND c.relkind IN ('r', 'p') ORDER BY c.relname";
    PGresult *res = query_params(e->pg, sql, 0, NULL, err);
    mdm_status rc = res != NULL ? MDM_OK : (err != NULL ? err->code : MDM_ERR_SQL);
    for (int r = 0; rc == MDM_OK && r < PQntuples(res); r++)
        rc = legacy__names_push(out, PQgetvalue(res, r, 0), err);
    PQclear(res);
    return rc;
}

/* SQLAlchemy's names for format_type()'s. */
static void type_name(char *dst, size_t n, const char *format_type)
{
    legacy__upper(dst, n, format_type);
    if (strcmp(dst, "TIMESTAMP WITHOUT TIME ZONE") == 0)
        snprintf(dst, n, "TIMESTAMP");
    else if (strncmp(dst, "CHARACTER VARYING", 17) == 0)
        snprintf(dst, n, "VARCHAR%s", format_type + 17);
}

static mdm_status column_from_row(const PGresult *res, int r, legacy_column_info *col,
                                  mdm_error *err)
{
    char type[128];
    type_name(type, sizeof type, PQgetvalue(res, r, 1));
    col->name = strdup(PQgetvalue(res, r, 0));
    col->type = strdup(type);
    col->nullable = PQgetvalue(res, r, 2)[0] == 't';
    col->default_value = PQgetisnull(res, r, 3) ? NULL : strdup(PQgetvalue(res, r, 3));
    col->primary_key = PQgetvalue(res, r, 4)[0] == 't';
    if (col->name == NULL || col->type == NULL ||
        (!PQgetisnull(res, r, 3) && col->default_value == NULL))
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    return MDM_OK;
}

static mdm_status columns(legacy_engine *e, const char *table, legacy_table_info *out,
                          mdm_error *err)
{
    static const char sql[] =
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
        "NOT a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid), "
        "EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid "
        "AND i.indisprimary AND a.attnum = ANY (i.indkey)) "
        "FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
        "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
        "WHERE c.relname = $1 AND n.nspname = current_schema() "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
    PGresult *res = query_params(e->pg, sql, 1, &table, err);
    if (res == NULL)
        return err != NULL ? err->code : MDM_ERR_SQL;
    int n = PQntuples(res);
    mdm_status rc = MDM_OK;
    if (n == 0)
        rc = mdm_error_set(err, MDM_ERR_NOT_FOUND, "%s", table);  /* NoSuchTableError */
    else if ((out->columns = calloc((size_t)n, sizeof *out->columns)) == NULL)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (int r = 0; rc == MDM_OK && r < n; r++, out->column_count++)
        rc = column_from_row(res, r, &out->columns[r], err);
    PQclear(res);
    return rc;
}

/* ---- Databases ---- */

/* The database a path names: the path itself, or a URL's database. */
static void database_name(const char *path, char *out, size_t n)
{
    const char *p = path;
    if (is_url(path)) {
        const char *slash = strchr(path + 13, '/');
        p = slash != NULL ? slash + 1 : "";
    }
    size_t len = strcspn(p, "?");
    snprintf(out, n, "%.*s", (int)len, p);
}

/* A connection to the server's `postgres` database, with the settings of
 * path's URL. */
static mdm_status admin_open(legacy_backend *b, const char *path, PGconn **out, mdm_error *err)
{
    char *url = NULL;
    mdm_status rc = target(b, path, &url, err);
    if (rc == MDM_OK)
        rc = pg_open(url, "postgres", out, err);
    free(url);
    return rc;
}

static mdm_status db_exists(legacy_backend *b, const char *path, bool *out, mdm_error *err)
{
    char name[256];
    PGconn *conn = NULL;
    const char *vals[1] = {name};
    database_name(path != NULL ? path : "", name, sizeof name);
    mdm_status rc = admin_open(b, path, &conn, err);
    if (rc == MDM_OK) {
        PGresult *res = query_params(conn, "SELECT 1 FROM pg_database WHERE datname = $1",
                                     1, vals, err);
        rc = res != NULL ? MDM_OK : (err != NULL ? err->code : MDM_ERR_SQL);
        *out = res != NULL && PQntuples(res) > 0;
        PQclear(res);
    }
    if (conn != NULL)
        PQfinish(conn);
    if (rc != MDM_OK && rc != MDM_ERR_CONFIG)
        mdm_error_prefix(err, "Failed to check database %s", name);
    return rc;
}

/* CREATE/DROP DATABASE with the name pasted, unquoted (LEGACY.md §9). */
static mdm_status db_command(legacy_backend *b, const char *path, const char *verb,
                             const char *what, mdm_error *err)
{
    char name[256], sql[512];
    PGconn *conn = NULL;
    database_name(path != NULL ? path : "", name, sizeof name);
    snprintf(sql, sizeof sql, "%s %s", verb, name);
    mdm_status rc = admin_open(b, path, &conn, err);
    if (rc == MDM_OK)
        rc = run(conn, sql, PGRES_COMMAND_OK, err);
    if (conn != NULL)
        PQfinish(conn);
    if (rc != MDM_OK && rc != MDM_ERR_CONFIG)
        mdm_error_prefix(err, "Failed to %s database %s", what, name);
    return rc;
}

static mdm_status db_create(legacy_backend *b, const char *path, mdm_error *err)
{
    return db_command(b, path, "CREATE DATABASE", "create", err);
}

static mdm_status db_drop(legacy_backend *b, const char *path, mdm_error *err)
{
    return db_command(b, path, "DROP DATABASE IF EXISTS", "drop", err);
}

static const legacy_ops pg_ops = {
    .name = "postgresql",
    .dialect = MDM_SQL_POSTGRESQL,
    .target = target,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .read_sql = read_sql,
    .execute = execute,
    .has_table = has_table,
    .exec_ddl = exec_ddl,
    .insert = insert,
    .table_names = table_names,
    .columns = columns,
    .db_exists = db_exists,
    .db_create = db_create,
    .db_drop = db_drop,
};

const legacy_ops *legacy__pg_ops(void)
{
    return &pg_ops;
}
