/* SPDX-License-Identifier: MIT */
/*
 * cmp_rcase.c - generating, rendering and writing the cases of
 * `mdm-compare --random` (cmp_rcase.h). Values, names and CSV fields come
 * from the project's one data generator (mdm_gencsv.h); this file decides
 * the shape: how many columns and rows, which operations, which SELECTs.
 * Everything is drawn from one splitmix64 seeded by (seed, case), so a
 * case is the same on every machine whatever else ran before it.
 */
#include "cmp_rcase.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mdm_csv.h"
#include "mdm_sql.h"
#include "mdm_values.h"

/* Generation state: the case being filled and its one random stream. */
typedef struct gen {
    mdm_gencsv_rng rng;
    mdm_rc_case *c;
    size_t max_rows;
    size_t nparams;              /* parameter names of the case: p1, p2, ... */
    mdm_buf tmp;
    mdm_error *err;
    mdm_status rc;               /* the first failure; generation stops there */
} gen;

/* A table's columns as the generator means them. */
typedef struct schema {
    size_t n;
    char name[MDM_RC_MAX_COLS][80];
    mdm_gencsv_kind kind[MDM_RC_MAX_COLS];
} schema;

static uint64_t below(gen *g, uint64_t n)
{
    return mdm_gencsv_rng_below(&g->rng, n);
}

static bool failed(gen *g, mdm_status rc)
{
    if (rc != MDM_OK && g->rc == MDM_OK)
        g->rc = rc == MDM_ERR_NOMEM ? mdm_error_set(g->err, rc, "out of memory") : rc;
    return g->rc != MDM_OK;
}

static char *dup_or_fail(gen *g, const char *s)
{
    char *p = s ? strdup(s) : NULL;
    if (s != NULL && p == NULL)
        (void)failed(g, MDM_ERR_NOMEM);
    return p;
}

/* Grows an array of `size`-byte items by one zeroed item; NULL on failure. */
static void *grow(gen *g, void **items, size_t *n, size_t size)
{
    char *p = realloc(*items, (*n + 1) * size);
    if (p == NULL) {
        (void)failed(g, MDM_ERR_NOMEM);
        return NULL;
    }
    memset(p + *n * size, 0, size);
    *items = p;
    return p + (*n)++ * size;
}

void mdm_rc_case_init(mdm_rc_case *c)
{
    memset(c, 0, sizeof *c);
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

static void csv_free(mdm_rc_csv *f)
{
    strv_free(f->head, f->ncols);
    strv_free(f->name, f->ncols);
    strv_free(f->value, f->nrows * f->ncols);
    strv_free(f->field, f->nrows * f->ncols);
    free(f->col_on);
    free(f->row_on);
}

static void op_free(mdm_rc_op *op)
{
    free(op->table);
    strv_free(op->cols, op->ncols);
    free(op->col_on);
    for (size_t i = 0; i < op->nparts; i++) {
        free(op->parts[i].sql);
        free(op->parts[i].params);
    }
    free(op->parts);
}

void mdm_rc_case_reset(mdm_rc_case *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->ncsv; i++)
        csv_free(&c->csv[i]);
    free(c->csv);
    for (size_t i = 0; i < c->nops; i++)
        op_free(&c->ops[i]);
    free(c->ops);
    mdm_rc_case_init(c);
}

/* ---- data ------------------------------------------------------------------ */

/* 1 to 12 columns (mostly 1 to 4), names unique ignoring case (both
 * backends fold or compare them so). */
static void gen_schema(gen *g, schema *s)
{
    s->n = below(g, 3) == 0 ? 1 + (size_t)below(g, MDM_RC_MAX_COLS) : 1 + (size_t)below(g, 4);
    for (size_t i = 0; i < s->n && g->rc == MDM_OK; i++) {
        bool unique = false;
        for (int tries = 0; tries < 20 && !unique; tries++) {
            if (failed(g, mdm_gencsv_column_name(&g->rng, &g->tmp)))
                return;
            unique = true;
            for (size_t j = 0; j < i && unique; j++)
                unique = strcasecmp(s->name[j], mdm_buf_str(&g->tmp)) != 0;
        }
        if (unique)
            snprintf(s->name[i], sizeof s->name[i], "%s", mdm_buf_str(&g->tmp));
        else
            snprintf(s->name[i], sizeof s->name[i], "c%zu", i);
        s->kind[i] = (mdm_gencsv_kind)below(g, MDM_GENCSV_NKINDS);
    }
}

/* A variant of s for a later write: same, a column fewer or more, one
 * column's kind changed, or the columns in another order. */
static void vary_schema(gen *g, schema *s)
{
    switch (below(g, 5)) {
    case 1:
        if (s->n > 1)
            memmove(&s->name[0], &s->name[1], (--s->n) * sizeof s->name[0]),
            memmove(&s->kind[0], &s->kind[1], s->n * sizeof s->kind[0]);
        break;
    case 2:
        if (s->n < MDM_RC_MAX_COLS) {
            snprintf(s->name[s->n], sizeof s->name[0], "extra%zu", s->n);
            s->kind[s->n++] = (mdm_gencsv_kind)below(g, MDM_GENCSV_NKINDS);
        }
        break;
    case 3:
        s->kind[below(g, s->n)] = (mdm_gencsv_kind)below(g, MDM_GENCSV_NKINDS);
        break;
    case 4: {
        size_t a = below(g, s->n), b = below(g, s->n);
        char tmp[80];
        mdm_gencsv_kind k = s->kind[a];
        memcpy(tmp, s->name[a], sizeof tmp);
        memcpy(s->name[a], s->name[b], sizeof tmp);
        memcpy(s->name[b], tmp, sizeof tmp);
        s->kind[a] = s->kind[b];
        s->kind[b] = k;
        break;
    }
    default:
        break;
    }
}

/* 0 to max_rows rows, most cases a handful (speed), some hundreds, a few
 * thousands. */
static size_t gen_nrows(gen *g)
{
    uint64_t r = below(g, 100);
    size_t n = r < 60 ? below(g, 6) : r < 85 ? below(g, 30) : r < 97 ? below(g, 300)
                                                                     : below(g, g->max_rows + 1);
    return n > g->max_rows ? g->max_rows : n;
}

static void gen_cells(gen *g, mdm_rc_csv *f, mdm_gencsv_quoting q)
{
    for (size_t i = 0; i < f->nrows * f->ncols && g->rc == MDM_OK; i++) {
        bool missing = false;
        if (failed(g, mdm_gencsv_value(&g->rng, f->kind[i % f->ncols], &g->tmp, &missing)))
            return;
        f->value[i] = missing ? NULL : dup_or_fail(g, mdm_buf_str(&g->tmp));
        mdm_buf_clear(&g->tmp);
        if (failed(g, mdm_gencsv_field(&g->rng, &g->tmp, f->value[i], q)))
            return;
        f->field[i] = dup_or_fail(g, mdm_buf_str(&g->tmp));
    }
}

/* A new CSV file of schema s; returns its index. */
static size_t gen_csv(gen *g, const schema *s)
{
    mdm_rc_csv *f = grow(g, (void **)&g->c->csv, &g->c->ncsv, sizeof *f);
    if (f == NULL)
        return 0;
    mdm_gencsv_quoting q = (mdm_gencsv_quoting)below(g, 3);
    f->ncols = s->n;
    f->nrows = gen_nrows(g);
    f->crlf = below(g, 4) == 0;
    f->final_eol = below(g, 8) != 0;
    f->head = calloc(s->n, sizeof *f->head);
    f->name = calloc(s->n, sizeof *f->name);
    f->value = calloc(f->nrows * s->n + 1, sizeof *f->value);
    f->field = calloc(f->nrows * s->n + 1, sizeof *f->field);
    f->col_on = calloc(s->n, sizeof *f->col_on);
    f->row_on = calloc(f->nrows + 1, sizeof *f->row_on);
    if (!f->head || !f->name || !f->value || !f->field || !f->col_on || !f->row_on) {
        (void)failed(g, MDM_ERR_NOMEM);
        return 0;
    }
    for (size_t i = 0; i < s->n && g->rc == MDM_OK; i++) {
        f->kind[i] = s->kind[i];
        f->col_on[i] = true;
        f->name[i] = dup_or_fail(g, s->name[i]);
        mdm_buf_clear(&g->tmp);
        if (!failed(g, mdm_gencsv_field(&g->rng, &g->tmp, s->name[i], q)))
            f->head[i] = dup_or_fail(g, mdm_buf_str(&g->tmp));
    }
    for (size_t r = 0; r < f->nrows; r++)
        f->row_on[r] = true;
    gen_cells(g, f, q);
    return g->c->ncsv - 1;
}

/* ---- rendering CSV (needed by generation: the reader's types) --------------- */

static mdm_status render_csv(const mdm_rc_csv *f, mdm_buf *out)
{
    const char *eol = f->crlf ? "\r\n" : "\n";
    mdm_status rc = MDM_OK;
    bool first = true;
    for (size_t c = 0; c < f->ncols && rc == MDM_OK; c++) {
        if (f->col_on[c]) {
            rc = first ? MDM_OK : mdm_buf_putc(out, ',');
            rc = rc == MDM_OK ? mdm_buf_puts(out, f->head[c]) : rc;
            first = false;
        }
    }
    for (size_t r = 0; r < f->nrows && rc == MDM_OK; r++) {
        if (!f->row_on[r])
            continue;
        rc = mdm_buf_puts(out, eol);
        first = true;
        for (size_t c = 0; c < f->ncols && rc == MDM_OK; c++) {
            if (f->col_on[c]) {
                rc = first ? MDM_OK : mdm_buf_putc(out, ',');
                rc = rc == MDM_OK ? mdm_buf_puts(out, f->field[r * f->ncols + c]) : rc;
                first = false;
            }
        }
    }
    return (rc == MDM_OK && f->final_eol) ? mdm_buf_puts(out, eol) : rc;
}

/* The kinds core's reader gives the file's columns (what the stores see):
 * a "text" column of numbers is an integer column to SQL. */
static void infer_kinds(gen *g, mdm_rc_csv *f)
{
    static const mdm_gencsv_kind BY_TYPE[] = { MDM_GENCSV_INT, MDM_GENCSV_FLOAT, MDM_GENCSV_BOOL,
                                               MDM_GENCSV_TEXT, MDM_GENCSV_TS };
    mdm_table t;
    mdm_error err;
    mdm_buf_clear(&g->tmp);
    mdm_table_init(&t);
    if (!failed(g, render_csv(f, &g->tmp)) &&
        mdm_csv_read_buffer(g->tmp.data, g->tmp.len, "case", NULL, &t, &err) == MDM_OK &&
        t.ncols == f->ncols) {
        for (size_t c = 0; c < t.ncols; c++)
            f->kind[c] = BY_TYPE[t.cols[c].type];
    }
    mdm_table_reset(&t);
}

/* ---- operations ------------------------------------------------------------ */

static const char *const TABLES[] = { "t", "data", "sales" };

typedef struct table_state {
    bool live;                   /* registered and not dropped (as generated) */
    schema s;
    size_t csv;                  /* a file with the table's columns */
    int64_t reads[16];           /* limits read so far: legacy caches reads
                                    under table:<name>:<limit> and nothing
                                    clears it (not a replace, not a drop), so
                                    a second read would only show that known
                                    quirk (stale-read-cache) */
    size_t nreads;
} table_state;

static mdm_rc_op *new_op(gen *g, mdm_rc_op_kind kind, const char *table)
{
    mdm_rc_op *op = grow(g, (void **)&g->c->ops, &g->c->nops, sizeof *op);
    if (op == NULL)
        return NULL;
    op->kind = kind;
    op->on = true;
    op->table = dup_or_fail(g, table);
    return op;
}

static void gen_register(gen *g, table_state *ts, size_t t, bool first)
{
    int mode = first ? 0 : (int)below(g, 3);
    if (!ts[t].live || first)
        gen_schema(g, &ts[t].s);
    else
        vary_schema(g, &ts[t].s);
    size_t f = gen_csv(g, &ts[t].s);
    mdm_rc_op *op = new_op(g, MDM_RC_REGISTER, TABLES[t]);
    if (op == NULL || g->rc != MDM_OK)
        return;
    infer_kinds(g, &g->c->csv[f]);
    op->csv = f;
    op->if_exists = mode;
    if (!ts[t].live || mode == 1) {   /* a failing or appending write keeps the old columns */
        ts[t].csv = f;
        ts[t].live = true;
    }
}

static bool read_before(table_state *ts, int64_t limit)
{
    for (size_t i = 0; i < ts->nreads; i++)
        if (ts->reads[i] == limit)
            return true;
    if (ts->nreads < sizeof ts->reads / sizeof ts->reads[0])
        ts->reads[ts->nreads++] = limit;
    return false;
}

static void gen_load(gen *g, table_state *ts, size_t t)
{
    const mdm_rc_csv *f = &g->c->csv[ts[t].csv];
    int64_t limit = below(g, 2) ? 0 : 1 + (int64_t)below(g, 10);
    if (read_before(&ts[t], limit))
        return;
    mdm_rc_op *op = new_op(g, MDM_RC_LOAD, TABLES[t]);
    if (op == NULL)
        return;
    op->limit = limit;
    size_t n = below(g, 2) ? 0 : 1 + below(g, f->ncols < 3 ? f->ncols : 3);
    op->cols = calloc(n + 1, sizeof *op->cols);
    op->col_on = calloc(n + 1, sizeof *op->col_on);
    if (op->cols == NULL || op->col_on == NULL) {
        (void)failed(g, MDM_ERR_NOMEM);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        op->cols[op->ncols] = dup_or_fail(g, f->name[below(g, f->ncols)]);
        op->col_on[op->ncols++] = true;
    }
}

/* ---- generated SELECTs ------------------------------------------------------ */

static mdm_rc_part *new_part(gen *g, mdm_rc_op *op, mdm_rc_role role, const char *sql)
{
    mdm_rc_part *p = grow(g, (void **)&op->parts, &op->nparts, sizeof *p);
    if (p == NULL)
        return NULL;
    p->role = role;
    p->on = true;
    p->sql = dup_or_fail(g, sql);
    return p;
}

static bool quote_ident(gen *g, mdm_buf *b, const char *name)
{
    mdm_error err;
    return !failed(g, mdm_sql_quote_ident(b, MDM_SQL_SQLITE, name, &err));
}

/* A value of column c of file f to compare with (NULL when it has none). */
static const char *some_value(gen *g, const mdm_rc_csv *f, size_t c)
{
    size_t start = f->nrows ? below(g, f->nrows) : 0;
    for (size_t i = 0; i < f->nrows; i++) {
        const char *v = f->value[((start + i) % f->nrows) * f->ncols + c];
        if (v != NULL && strpbrk(v, "\r\n") == NULL)   /* SQL and params are one line */
            return v;
    }
    return NULL;
}

static bool plain_int(const char *v)
{
    char *end;
    errno = 0;
    (void)strtoll(v, &end, 10);
    return *v && *end == '\0' && errno == 0;
}

static bool finite_float(const char *v)
{
    char *end;
    double d = strtod(v, &end);
    return *v && *end == '\0' && isfinite(d) && strpbrk(v, "iInN") == NULL;
}

/* v as an SQL literal of kind k, appended to b. */
static mdm_status put_literal(mdm_buf *b, mdm_gencsv_kind k, const char *v)
{
    if (k == MDM_GENCSV_INT)
        return mdm_buf_puts(b, plain_int(v) ? v : "0");
    if (k == MDM_GENCSV_FLOAT)
        return mdm_buf_puts(b, finite_float(v) ? v : "0.5");
    if (k == MDM_GENCSV_BOOL)
        return mdm_buf_puts(b, (v[0] == 't' || v[0] == 'T') ? "TRUE" : "FALSE");
    mdm_status rc = mdm_buf_putc(b, '\'');
    for (const char *p = v; *p && rc == MDM_OK; p++)
        rc = *p == '\'' ? mdm_buf_puts(b, "''") : mdm_buf_putc(b, *p);
    return rc == MDM_OK ? mdm_buf_putc(b, '\'') : rc;
}

/* v as a `param` line of kind k (false: v cannot be one, use a literal). */
static bool param_line(gen *g, mdm_buf *lines, const char *name, mdm_gencsv_kind k, const char *v)
{
    static const char *const TYPE[] = { "int", "float", "bool", "timestamp", "text" };
    int64_t micros;
    if (strlen(v) > 400 ||   /* a scenario token holds at most 1023 bytes */
        (k == MDM_GENCSV_INT && !plain_int(v)) || (k == MDM_GENCSV_FLOAT && !finite_float(v)) ||
        (k == MDM_GENCSV_TS && !mdm_parse_timestamp(v, strlen(v), &micros)))
        return false;
    mdm_status rc = mdm_buf_printf(lines, "  param %s %s ", name, TYPE[k]);
    if (k == MDM_GENCSV_BOOL) {
        rc = rc == MDM_OK ? mdm_buf_puts(lines, (v[0] == 't' || v[0] == 'T') ? "true" : "false")
                          : rc;
    } else {
        rc = rc == MDM_OK ? mdm_buf_putc(lines, '"') : rc;
        for (const char *p = v; *p && rc == MDM_OK; p++)
            rc = *p == '"' ? mdm_buf_puts(lines, "\"\"") : mdm_buf_putc(lines, *p);
        rc = rc == MDM_OK ? mdm_buf_putc(lines, '"') : rc;
    }
    rc = rc == MDM_OK ? mdm_buf_putc(lines, '\n') : rc;
    return !failed(g, rc);
}

/* An operand: a named parameter half of the time, else a literal. */
static void put_operand(gen *g, mdm_buf *sql, mdm_buf *params, mdm_gencsv_kind k, const char *v)
{
    char name[16];
    snprintf(name, sizeof name, "p%zu", g->nparams + 1);
    if (below(g, 2) && param_line(g, params, name, k, v)) {
        g->nparams++;
        (void)failed(g, mdm_buf_printf(sql, ":%s", name));
        return;
    }
    (void)failed(g, put_literal(sql, k, v));
}

/* One WHERE conjunct on column c: comparisons, IS [NOT] NULL, LIKE,
 * BETWEEN, IN. */
static void gen_where(gen *g, mdm_rc_op *op, const mdm_rc_csv *f, size_t c)
{
    static const char *const CMP[] = { " = ", " < ", " >= ", " <> " };
    mdm_buf sql, params;
    mdm_buf_init(&sql);
    mdm_buf_init(&params);
    const char *v = some_value(g, f, c);
    uint64_t form = v == NULL ? 4 + below(g, 2) : below(g, 9);
    mdm_gencsv_kind k = f->kind[c];
    if (form == 6 && k != MDM_GENCSV_TEXT)
        form = 0;
    if (quote_ident(g, &sql, f->name[c])) {
        if (form < 4) {
            (void)failed(g, mdm_buf_puts(&sql, CMP[form]));
            put_operand(g, &sql, &params, k, v);
        } else if (form < 6) {
            (void)failed(g, mdm_buf_puts(&sql, form == 4 ? " IS NULL" : " IS NOT NULL"));
        } else if (form == 6) {
            char pat[8];
            snprintf(pat, sizeof pat, "%c%%", v[0] ? v[0] : 'a');
            (void)failed(g, mdm_buf_puts(&sql, " LIKE "));
            (void)failed(g, put_literal(&sql, MDM_GENCSV_TEXT, (unsigned char)pat[0] < 0x80 ? pat : "%"));
        } else if (form == 7) {
            const char *w = some_value(g, f, c);
            (void)failed(g, mdm_buf_puts(&sql, " BETWEEN "));
            put_operand(g, &sql, &params, k, v);
            (void)failed(g, mdm_buf_puts(&sql, " AND "));
            put_operand(g, &sql, &params, k, w ? w : v);
        } else {
            (void)failed(g, mdm_buf_puts(&sql, " IN ("));
            for (int i = 0; i < 3; i++) {
                const char *w = some_value(g, f, c);
                (void)failed(g, mdm_buf_puts(&sql, i ? ", " : ""));
                (void)failed(g, put_literal(&sql, k, w ? w : v));
            }
            (void)failed(g, mdm_buf_putc(&sql, ')'));
        }
    }
    mdm_rc_part *p = g->rc == MDM_OK ? new_part(g, op, MDM_RC_WHERE, mdm_buf_str(&sql)) : NULL;
    if (p != NULL && params.len > 0)
        p->params = dup_or_fail(g, mdm_buf_str(&params));
    mdm_buf_reset(&sql);
    mdm_buf_reset(&params);
}

/* A SELECT item: a column, or (grouped) an aggregate over one. */
static void gen_item(gen *g, mdm_rc_op *op, mdm_rc_role role, const char *fn, const char *col)
{
    mdm_buf b;
    mdm_buf_init(&b);
    if (fn != NULL)
        (void)failed(g, mdm_buf_printf(&b, "%s(", fn));
    if (quote_ident(g, &b, col) && fn != NULL)
        (void)failed(g, mdm_buf_putc(&b, ')'));
    if (g->rc == MDM_OK)
        (void)new_part(g, op, role, mdm_buf_str(&b));
    mdm_buf_reset(&b);
}

static void gen_grouped(gen *g, mdm_rc_op *op, const mdm_rc_csv *f)
{
    static const char *const NUMERIC[] = { "SUM", "MIN", "MAX", "AVG", "COUNT" };
    static const char *const ANY[] = { "MIN", "MAX", "COUNT" };
    const char *key = f->name[below(g, f->ncols)];
    op->grouped = true;
    gen_item(g, op, MDM_RC_GROUP, NULL, key);
    gen_item(g, op, MDM_RC_SELECT, NULL, key);
    (void)new_part(g, op, MDM_RC_SELECT, "COUNT(*)");
    for (uint64_t i = below(g, 3); i > 0; i--) {
        size_t c = below(g, f->ncols);
        bool num = f->kind[c] == MDM_GENCSV_INT || f->kind[c] == MDM_GENCSV_FLOAT;
        gen_item(g, op, MDM_RC_SELECT, num ? NUMERIC[below(g, 5)] : ANY[below(g, 3)], f->name[c]);
    }
}

static void gen_query(gen *g, const table_state *ts, size_t t)
{
    const mdm_rc_csv *f = &g->c->csv[ts[t].csv];
    mdm_rc_op *op = new_op(g, MDM_RC_QUERY, TABLES[t]);
    if (op == NULL)
        return;
    op->csv = ts[t].csv;
    if (below(g, 4) == 0) {
        gen_grouped(g, op, f);
    } else {
        for (uint64_t i = below(g, 4); i > 0; i--)
            gen_item(g, op, MDM_RC_SELECT, NULL, f->name[below(g, f->ncols)]);
    }
    for (uint64_t i = below(g, 3); i > 0; i--)
        gen_where(g, op, f, below(g, f->ncols));
    if (below(g, 5) < 3) {
        /* every output column is a sort key, so that ties are whole equal
         * rows and a LIMIT picks the same rows in any storage order */
        mdm_rc_part *p = new_part(g, op, MDM_RC_ORDER, "");
        if (p != NULL)
            p->desc_mask = (unsigned)below(g, 1u << 12);
        if (below(g, 5) < 2) {
            char n[24];
            snprintf(n, sizeof n, "%" PRIu64, below(g, 12));
            (void)new_part(g, op, MDM_RC_LIMIT, n);
        }
    }
}

/* ---- a case ---------------------------------------------------------------- */

static size_t pick_live(gen *g, const table_state *ts, size_t n)
{
    size_t start = below(g, n);
    for (size_t i = 0; i < n; i++)
        if (ts[(start + i) % n].live)
            return (start + i) % n;
    return n;
}

/* One operation after the first register. */
static void gen_op(gen *g, table_state *ts, size_t ntables)
{
    uint64_t r = below(g, 100);
    size_t t = pick_live(g, ts, ntables), any = below(g, ntables);
    if (t == ntables && r < 53)
        r = 53;   /* nothing to read: a catalog op or a write instead */
    if (r < 30)
        gen_query(g, ts, t);
    else if (r < 45)
        gen_load(g, ts, t);
    else if (r < 53)
        (void)new_op(g, MDM_RC_INFO, TABLES[t]);
    else if (r < 58)
        (void)new_op(g, MDM_RC_LIST, NULL);
    else if (r < 63)
        (void)new_op(g, MDM_RC_EXISTS, TABLES[any]);
    else if (r < 90)
        gen_register(g, ts, any, false);
    else if (new_op(g, MDM_RC_REMOVE, TABLES[any]) != NULL)
        ts[any].live = false;
}

mdm_status mdm_rc_generate(uint64_t seed, uint64_t index, size_t max_rows, mdm_rc_case *out,
                           mdm_error *err)
{
    table_state ts[sizeof TABLES / sizeof TABLES[0]];
    gen g = { .c = out, .max_rows = max_rows, .err = err };
    /* one stream per case, from (seed, index) only */
    mdm_gencsv_rng mix = { seed ^ (index * UINT64_C(0xD1B54A32D192ED03)) };
    g.rng.state = mdm_gencsv_rng_next(&mix);
    memset(ts, 0, sizeof ts);
    mdm_buf_init(&g.tmp);
    out->seed = seed;
    out->index = index;
    size_t ntables = 1 + below(&g, 2), nops = 1 + below(&g, 7);
    gen_register(&g, ts, 0, true);
    for (size_t i = 0; i < nops && g.rc == MDM_OK; i++)
        gen_op(&g, ts, ntables);
    mdm_buf_reset(&g.tmp);
    return g.rc;
}

/* ---- rendering --------------------------------------------------------------- */

/* A name as a scenario token: always quoted ("" inside). */
static mdm_status put_token(mdm_buf *b, const char *name)
{
    mdm_status rc = mdm_buf_putc(b, '"');
    for (const char *p = name; *p && rc == MDM_OK; p++)
        rc = *p == '"' ? mdm_buf_puts(b, "\"\"") : mdm_buf_putc(b, *p);
    return rc == MDM_OK ? mdm_buf_putc(b, '"') : rc;
}

static size_t on_count(const bool *on, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += on[i];
    return k;
}

/* The SELECT of a query op from its switched-on parts. */
static mdm_status render_sql(const mdm_rc_case *c, const mdm_rc_op *op, mdm_buf *b)
{
    static const char *const JOIN[] = { ", ", " AND ", ", " };
    static const char *const OPEN[] = { "SELECT ", " WHERE ", " GROUP BY " };
    mdm_error err;
    size_t nsel = 0;
    const mdm_rc_part *order = NULL, *limit = NULL;
    mdm_status rc = MDM_OK;
    for (int role = MDM_RC_SELECT; role <= MDM_RC_GROUP && rc == MDM_OK; role++) {
        size_t k = 0;
        for (size_t i = 0; i < op->nparts && rc == MDM_OK; i++) {
            const mdm_rc_part *p = &op->parts[i];
            if (!p->on || (int)p->role != role)
                continue;
            rc = mdm_buf_puts(b, k++ ? JOIN[role] : OPEN[role]);
            rc = rc == MDM_OK ? mdm_buf_puts(b, p->sql) : rc;
        }
        if (role == MDM_RC_SELECT) {
            nsel = k;
            if (k == 0)
                rc = mdm_buf_puts(b, op->grouped ? "SELECT COUNT(*)" : "SELECT *");
            rc = rc == MDM_OK ? mdm_buf_puts(b, " FROM ") : rc;
            rc = rc == MDM_OK ? mdm_sql_quote_ident(b, MDM_SQL_SQLITE, op->table, &err) : rc;
        }
    }
    for (size_t i = 0; i < op->nparts; i++) {
        order = op->parts[i].on && op->parts[i].role == MDM_RC_ORDER ? &op->parts[i] : order;
        limit = op->parts[i].on && op->parts[i].role == MDM_RC_LIMIT ? &op->parts[i] : limit;
    }
    if (nsel == 0)   /* SELECT *: as many columns as the file still has */
        nsel = op->grouped ? 1 : on_count(c->csv[op->csv].col_on, c->csv[op->csv].ncols);
    for (size_t i = 0; order != NULL && i < nsel && rc == MDM_OK; i++)
        rc = mdm_buf_printf(b, "%s%zu%s", i ? ", " : " ORDER BY ", i + 1,
                            (order->desc_mask >> (i % 12)) & 1 ? " DESC" : "");
    if (order != NULL && limit != NULL && rc == MDM_OK)
        rc = mdm_buf_printf(b, " LIMIT %s", limit->sql);
    return rc;
}

static mdm_status render_op(const mdm_rc_case *c, const mdm_rc_op *op, const char *base,
                            mdm_buf *b)
{
    static const char *const VERB[] = { "register", "create", "append" };
    static const char *const CATALOG[] = { [MDM_RC_INFO] = "info", [MDM_RC_LIST] = "list",
                                           [MDM_RC_EXISTS] = "exists", [MDM_RC_REMOVE] = "drop" };
    mdm_status rc;
    switch (op->kind) {
    case MDM_RC_REGISTER:
        rc = mdm_buf_printf(b, "%s ", VERB[op->if_exists]);
        rc = rc == MDM_OK ? put_token(b, op->table) : rc;
        rc = rc == MDM_OK ? mdm_buf_printf(b, " from %s.d%zu.csv%s\n", base, op->csv,
                                           op->if_exists == 1 ? " if_exists replace" : "")
                          : rc;
        return rc;
    case MDM_RC_LOAD:
        rc = mdm_buf_puts(b, "read ");
        rc = rc == MDM_OK ? put_token(b, op->table) : rc;
        if (rc == MDM_OK && on_count(op->col_on, op->ncols) > 0)
            rc = mdm_buf_puts(b, " columns");
        for (size_t i = 0; i < op->ncols && rc == MDM_OK; i++)
            if (op->col_on[i])
                rc = mdm_buf_putc(b, ' ') == MDM_OK ? put_token(b, op->cols[i]) : MDM_ERR_NOMEM;
        if (rc == MDM_OK && op->limit > 0)
            rc = mdm_buf_printf(b, " limit %" PRId64, op->limit);
        return rc == MDM_OK ? mdm_buf_putc(b, '\n') : rc;
    case MDM_RC_QUERY:
        rc = mdm_buf_puts(b, "query ");
        rc = rc == MDM_OK ? render_sql(c, op, b) : rc;
        rc = rc == MDM_OK ? mdm_buf_putc(b, '\n') : rc;
        for (size_t i = 0; i < op->nparts && rc == MDM_OK; i++)
            if (op->parts[i].on && op->parts[i].params != NULL)
                rc = mdm_buf_puts(b, op->parts[i].params);
        return rc;
    default:
        rc = mdm_buf_printf(b, "%s", CATALOG[op->kind]);
        if (rc == MDM_OK && op->table != NULL)
            rc = mdm_buf_putc(b, ' ') == MDM_OK ? put_token(b, op->table) : MDM_ERR_NOMEM;
        return rc == MDM_OK ? mdm_buf_putc(b, '\n') : rc;
    }
}

mdm_status mdm_rc_render(const mdm_rc_case *c, const char *base, const char *comment,
                         mdm_buf *out, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (const char *p = comment; p != NULL && *p && rc == MDM_OK;) {
        size_t n = strcspn(p, "\n");
        rc = mdm_buf_puts(out, "# ");
        rc = rc == MDM_OK ? mdm_buf_append(out, p, n) : rc;
        rc = rc == MDM_OK ? mdm_buf_putc(out, '\n') : rc;
        p += n + (p[n] == '\n');
    }
    for (size_t i = 0; i < c->nops && rc == MDM_OK; i++)
        if (c->ops[i].on)
            rc = render_op(c, &c->ops[i], base, out);
    return rc == MDM_OK ? MDM_OK : mdm_error_set(err, rc, "rendering a case: out of memory");
}

/* Files the switched-on ops read. */
static bool csv_used(const mdm_rc_case *c, size_t f)
{
    for (size_t i = 0; i < c->nops; i++)
        if (c->ops[i].on && c->ops[i].kind == MDM_RC_REGISTER && c->ops[i].csv == f)
            return true;
    return false;
}

mdm_status mdm_rc_write_csvs(const mdm_rc_case *c, const char *dir, const char *base,
                             mdm_error *err)
{
    mdm_buf b;
    mdm_status rc = MDM_OK;
    mdm_buf_init(&b);
    for (size_t i = 0; i < c->ncsv && rc == MDM_OK; i++) {
        char path[1024];
        if (!csv_used(c, i))
            continue;
        snprintf(path, sizeof path, "%s/%s.d%zu.csv", dir, base, i);
        mdm_buf_clear(&b);
        FILE *f = NULL;
        if (render_csv(&c->csv[i], &b) != MDM_OK)
            rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        else if ((f = fopen(path, "wb")) == NULL ||
                 fwrite(b.data, 1, b.len, f) != b.len)
            rc = mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
        if (f != NULL && fclose(f) != 0 && rc == MDM_OK)
            rc = mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
    }
    mdm_buf_reset(&b);
    return rc;
}

void mdm_rc_size(const mdm_rc_case *c, size_t *rows, size_t *cols, size_t *ops)
{
    *rows = *cols = *ops = 0;
    for (size_t i = 0; i < c->nops; i++)
        *ops += c->ops[i].on;
    for (size_t i = 0; i < c->ncsv; i++) {
        const mdm_rc_csv *f = &c->csv[i];
        size_t r = on_count(f->row_on, f->nrows), k = on_count(f->col_on, f->ncols);
        if (!csv_used(c, i))
            continue;
        *rows = r > *rows ? r : *rows;
        *cols = k > *cols ? k : *cols;
    }
}
