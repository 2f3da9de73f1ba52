/* SPDX-License-Identifier: MIT */
/*
 * cmp_scenario.c - the parser of scenario files (.scn): one operation per
 * line (create/register/append/replace, read, query, exec, drop, info,
 * exists, list, dataset, close), indented continuation lines for SQL and
 * `param` lines, `onlyif`/`skipif` before an op and `tolerance` for the
 * file. The format is documented in fixtures/README.md.
 */
#include "cmp_script.h"
#include "mdm_buf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_values.h"
#include "mdm_sqlscan.h"

#define TOK_MAX 1024

/* One token of a line: unquoted text (quotes removed, "" -> "). */
typedef struct tok {
    char text[TOK_MAX];
    size_t len;
    bool quoted;
    const char *raw;       /* where the token starts in the line */
} tok;

/* Parser position: the file, the line being parsed and its bounds. */
typedef struct scn {
    const char *path;
    int line;
    const char *p, *end;   /* rest of the current line */
    mdm_cmp_script *s;
    mdm_cmp_op *last;      /* op that continuation lines extend */
    char **onlyif, **skipif;   /* pending conditions for the next op */
    size_t nonlyif, nskipif;
} scn;

static mdm_status perr(scn *c, mdm_error *err, const char *what, const char *detail)
{
    return mdm_error_set(err, MDM_ERR_PARSE, "%s:%d: %s%s%s", c->path, c->line, what,
                         detail ? ": " : "", detail ? detail : "");
}

static void skip_space(scn *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* Reads a quoted token body after the opening quote. */
static bool read_quoted(scn *c, tok *t)
{
    c->p++;
    while (c->p < c->end) {
        if (*c->p == '"') {
            if (c->p + 1 < c->end && c->p[1] == '"') {
                c->p++;
            } else {
                c->p++;
                return true;
            }
        }
        if (t->len + 1 >= TOK_MAX)
            return false;
        t->text[t->len++] = *c->p++;
    }
    return false;
}

/* Next whitespace-separated token; false at the end of the line.
 * Sets *bad on an unterminated quote or an over-long token. */
static bool next_tok(scn *c, tok *t, bool *bad)
{
    skip_space(c);
    t->len = 0;
    t->quoted = false;
    t->raw = c->p;
    *bad = false;
    if (c->p >= c->end)
        return false;
    if (*c->p == '"') {
        t->quoted = true;
        *bad = !read_quoted(c, t);
    } else {
        while (c->p < c->end && *c->p != ' ' && *c->p != '\t') {
            if (t->len + 1 >= TOK_MAX) {
                *bad = true;
                break;
            }
            t->text[t->len++] = *c->p++;
        }
    }
    t->text[t->len] = '\0';
    return !*bad;
}

static bool is_kw(const tok *t, const char *kw)
{
    return !t->quoted && strcmp(t->text, kw) == 0;
}

static mdm_status need_tok(scn *c, tok *t, const char *what, mdm_error *err)
{
    bool bad;
    if (!next_tok(c, t, &bad))
        return perr(c, err, bad ? "bad token" : "missing", what);
    return MDM_OK;
}

static mdm_status expect_end(scn *c, mdm_error *err)
{
    skip_space(c);
    if (c->p < c->end && *c->p != '#') {
        /* c->p points into the input, which need not end in a NUL byte:
         * quote at most the rest of this line. */
        char rest[64];
        size_t n = (size_t)(c->end - c->p);
        if (n >= sizeof rest)
            n = sizeof rest - 1;
        memcpy(rest, c->p, n);
        rest[n] = '\0';
        return perr(c, err, "unexpected text", rest);
    }
    return MDM_OK;
}

static bool valid_dataset(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 20)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(islower((unsigned char)n[i]) || isdigit((unsigned char)n[i]) || n[i] == '_'))
            return false;
    return true;
}

static mdm_status parse_int64(scn *c, const char *s, int64_t *out, mdm_error *err)
{
    char *endp;
    errno = 0;
    long long v = strtoll(s, &endp, 10);
    if (errno != 0 || endp == s || *endp != '\0')
        return perr(c, err, "not an integer", s);
    *out = (int64_t)v;
    return MDM_OK;
}

/* ---- ops ---------------------------------------------------------------- */

static mdm_status parse_if_exists(scn *c, const tok *t, int *out, mdm_error *err)
{
    mdm_if_exists mode;
    if (mdm_if_exists_parse(t->text, &mode, NULL) != MDM_OK)
        return perr(c, err, "if_exists must be fail, replace or append", t->text);
    *out = (int)mode;
    return MDM_OK;
}

/* create|register|append|replace TABLE from SOURCE [if_exists MODE] */
static mdm_status parse_create(scn *c, mdm_cmp_op *op, int mode, mdm_error *err)
{
    tok t;
    bool bad;
    mdm_status rc = need_tok(c, &t, "table name", err);
    if (rc != MDM_OK)
        return rc;
    op->table = mdm_strndup(t.text, t.len, err);
    if ((rc = need_tok(c, &t, "'from'", err)) != MDM_OK)
        return rc;
    if (!is_kw(&t, "from"))
        return perr(c, err, "expected 'from'", t.text);
    if ((rc = need_tok(c, &t, "CSV file", err)) != MDM_OK)
        return rc;
    op->source = mdm_strndup(t.text, t.len, err);
    op->if_exists = mode;
    if (next_tok(c, &t, &bad)) {
        if (!is_kw(&t, "if_exists") || mode >= 0)
            return perr(c, err, "unexpected", t.text);
        if ((rc = need_tok(c, &t, "if_exists mode", err)) != MDM_OK)
            return rc;
        if ((rc = parse_if_exists(c, &t, &op->if_exists, err)) != MDM_OK)
            return rc;
    } else if (bad) {
        return perr(c, err, "bad token", NULL);
    }
    if (op->if_exists < 0)
        op->if_exists = MDM_IF_EXISTS_FAIL;
    return (op->table && op->source) ? expect_end(c, err) : MDM_ERR_NOMEM;
}

static bool is_sort_kw(const tok *t, mdm_cmp_sort *out)
{
    if (is_kw(t, "nosort") || is_kw(t, "ordered"))
        *out = MDM_CMP_SORT_NONE;
    else if (is_kw(t, "rowsort"))
        *out = MDM_CMP_SORT_ROWS;
    else
        return false;
    return true;
}

/* One option of read: columns C..., limit N, or a sort mode. */
static mdm_status parse_read_opt(scn *c, mdm_cmp_op *op, tok *t, bool *again, mdm_error *err)
{
    bool bad;
    *again = false;
    if (is_sort_kw(t, &op->sort)) {
        op->sort_explicit = true;
    } else if (is_kw(t, "limit")) {
        mdm_status rc = need_tok(c, t, "limit value", err);
        if (rc == MDM_OK)
            rc = parse_int64(c, t->text, &op->limit, err);
        if (rc != MDM_OK)
            return rc;
        op->has_limit = true;
    } else if (is_kw(t, "columns")) {
        while (next_tok(c, t, &bad)) {
            mdm_cmp_sort unused;
            if (is_kw(t, "limit") || is_sort_kw(t, &unused)) {
                *again = true;
                break;
            }
            mdm_status rc = mdm_cmp__strv_push(&op->columns, &op->ncolumns, t->text, t->len, err);
            if (rc != MDM_OK)
                return rc;
        }
        if (bad)
            return perr(c, err, "bad token", NULL);
        if (op->ncolumns == 0)
            return perr(c, err, "columns needs at least one name", NULL);
    } else {
        return perr(c, err, "unknown read option", t->text);
    }
    return MDM_OK;
}

/* read TABLE [columns C...] [limit N] [ordered|nosort|rowsort] */
static mdm_status parse_read(scn *c, mdm_cmp_op *op, mdm_error *err)
{
    tok t;
    bool bad, again = false;
    mdm_status rc = need_tok(c, &t, "table name", err);
    if (rc != MDM_OK)
        return rc;
    op->table = mdm_strndup(t.text, t.len, err);
    if (op->table == NULL)
        return MDM_ERR_NOMEM;
    op->sort = MDM_CMP_SORT_ROWS;
    while (again || next_tok(c, &t, &bad)) {
        rc = parse_read_opt(c, op, &t, &again, err);
        if (rc != MDM_OK)
            return rc;
    }
    return bad ? perr(c, err, "bad token", NULL) : MDM_OK;
}

/* query [nosort|rowsort] SQL... / exec SQL... (the rest of the line). */
static mdm_status parse_sql(scn *c, mdm_cmp_op *op, mdm_error *err)
{
    tok t;
    bool bad;
    const char *save = c->p;
    if (op->kind == MDM_CMP_OP_QUERY && next_tok(c, &t, &bad) && is_sort_kw(&t, &op->sort))
        op->sort_explicit = true;
    else
        c->p = save;
    skip_space(c);
    op->sql = mdm_strndup(c->p, (size_t)(c->end - c->p), err);
    return op->sql ? MDM_OK : MDM_ERR_NOMEM;
}

/* drop|info|exists TABLE, dataset NAME */
static mdm_status parse_one_name(scn *c, mdm_cmp_op *op, mdm_error *err)
{
    tok t;
    mdm_status rc = need_tok(c, &t, op->kind == MDM_CMP_OP_DATASET ? "dataset name" : "table name",
                             err);
    if (rc != MDM_OK)
        return rc;
    op->table = mdm_strndup(t.text, t.len, err);
    if (op->table == NULL)
        return MDM_ERR_NOMEM;
    if (op->kind == MDM_CMP_OP_DATASET) {
        if (!valid_dataset(op->table))
            return perr(c, err, "dataset names are [a-z0-9_], 1 to 20 characters", op->table);
        if ((rc = mdm_cmp__script_add_dataset(c->s, op->table, err)) != MDM_OK)
            return rc;
    }
    return expect_end(c, err);
}

/* The verbs: name, op kind, if_exists implied (-1: from the line). */
typedef struct verb_def {
    const char *name;
    mdm_cmp_op_kind kind;
    int mode;
} verb_def;

static const verb_def VERBS[] = {
    { "create", MDM_CMP_OP_CREATE, -1 },
    { "register", MDM_CMP_OP_CREATE, -1 },
    { "append", MDM_CMP_OP_CREATE, MDM_IF_EXISTS_APPEND },
    { "replace", MDM_CMP_OP_CREATE, MDM_IF_EXISTS_REPLACE },
    { "read", MDM_CMP_OP_READ, 0 },
    { "query", MDM_CMP_OP_QUERY, 0 },
    { "exec", MDM_CMP_OP_EXEC, 0 },
    { "drop", MDM_CMP_OP_DROP, 0 },
    { "info", MDM_CMP_OP_INFO, 0 },
    { "exists", MDM_CMP_OP_EXISTS, 0 },
    { "list", MDM_CMP_OP_LIST, 0 },
    { "dataset", MDM_CMP_OP_DATASET, 0 },
    { "close", MDM_CMP_OP_CLOSE, 0 },
    { "halt", MDM_CMP_OP_HALT, 0 },
};

static const verb_def *find_verb(const char *name)
{
    for (size_t i = 0; i < sizeof VERBS / sizeof VERBS[0]; i++)
        if (strcmp(VERBS[i].name, name) == 0)
            return &VERBS[i];
    return NULL;
}

static mdm_status parse_op_body(scn *c, mdm_cmp_op *op, const verb_def *v, mdm_error *err)
{
    switch (v->kind) {
    case MDM_CMP_OP_CREATE:
        return parse_create(c, op, v->mode, err);
    case MDM_CMP_OP_READ:
        return parse_read(c, op, err);
    case MDM_CMP_OP_QUERY:
    case MDM_CMP_OP_EXEC:
        return parse_sql(c, op, err);
    case MDM_CMP_OP_DROP:
    case MDM_CMP_OP_INFO:
    case MDM_CMP_OP_EXISTS:
    case MDM_CMP_OP_DATASET:
        return parse_one_name(c, op, err);
    case MDM_CMP_OP_LIST:
    case MDM_CMP_OP_CLOSE:
    case MDM_CMP_OP_HALT:
        return expect_end(c, err);
    }
    return perr(c, err, "internal: unknown op", NULL);
}

/* Moves the pending onlyif/skipif conditions onto op. */
static void take_conditions(scn *c, mdm_cmp_op *op)
{
    op->onlyif = c->onlyif, op->nonlyif = c->nonlyif;
    op->skipif = c->skipif, op->nskipif = c->nskipif;
    c->onlyif = c->skipif = NULL;
    c->nonlyif = c->nskipif = 0;
}

static mdm_status parse_op(scn *c, tok *first, mdm_error *err)
{
    mdm_status rc;
    char label[TOK_MAX] = "";
    if (!first->quoted && first->text[0] == '@') {
        snprintf(label, sizeof label, "%s", first->text + 1);
        if ((rc = need_tok(c, first, "operation after the label", err)) != MDM_OK)
            return rc;
    }
    const verb_def *v = first->quoted ? NULL : find_verb(first->text);
    if (v == NULL)
        return perr(c, err, "unknown operation", first->text);
    mdm_cmp_op *op = mdm_cmp__script_add_op(c->s, err);
    if (op == NULL)
        return MDM_ERR_NOMEM;
    op->kind = v->kind;
    op->line = c->line;
    op->verb = mdm_strndup(v->name, strlen(v->name), err);
    op->label = label[0] ? mdm_strndup(label, strlen(label), err) : NULL;
    take_conditions(c, op);
    if (op->verb == NULL || (label[0] && op->label == NULL))
        return MDM_ERR_NOMEM;
    c->last = op;
    return parse_op_body(c, op, v, err);
}

/* ---- continuation lines: SQL text and params ----------------------------- */

static mdm_status param_value(scn *c, mdm_cmp_param *p, const char *type, mdm_error *err)
{
    static const char *const NAMES[] = { "int", "float", "bool", "text", "timestamp" };
    static const mdm_type TYPES[] = { MDM_INT64, MDM_FLOAT64, MDM_BOOL, MDM_TEXT, MDM_TIMESTAMP };
    for (size_t i = 0; i < 5; i++) {
        if (strcmp(type, NAMES[i]) != 0)
            continue;
        p->type = TYPES[i];
        const char *v = p->text;
        char *endp;
        if (p->is_null || p->type == MDM_TEXT)
            return MDM_OK;
        if (p->type == MDM_INT64)
            return parse_int64(c, v, &p->i64, err);
        if (p->type == MDM_FLOAT64) {
            p->f64 = strtod(v, &endp);
            return (endp != v && *endp == '\0') ? MDM_OK : perr(c, err, "not a float", v);
        }
        if (p->type == MDM_BOOL) {
            p->i64 = strcmp(v, "true") == 0;
            return (p->i64 || strcmp(v, "false") == 0) ? MDM_OK : perr(c, err, "not a bool", v);
        }
        return mdm_parse_timestamp(v, strlen(v), &p->i64) ? MDM_OK
                                                          : perr(c, err, "not a timestamp", v);
    }
    return perr(c, err, "param type must be int, float, bool, text, timestamp or null", type);
}

/* The value: a quoted token, or the rest of the line as written. */
static mdm_status param_text(scn *c, mdm_cmp_param *p, mdm_error *err)
{
    tok t;
    bool bad;
    skip_space(c);
    if (c->p < c->end && *c->p == '"') {
        if (!next_tok(c, &t, &bad))
            return perr(c, err, "bad quoted value", NULL);
        p->text = mdm_strndup(t.text, t.len, err);
        if (p->text == NULL)
            return MDM_ERR_NOMEM;
        return expect_end(c, err);
    }
    p->text = mdm_strndup(c->p, (size_t)(c->end - c->p), err);
    return p->text ? MDM_OK : MDM_ERR_NOMEM;
}

/* param NAME TYPE VALUE | param NAME null [TYPE] */
static mdm_status parse_param(scn *c, mdm_cmp_op *op, mdm_error *err)
{
    tok name, type;
    mdm_status rc = need_tok(c, &name, "param name", err);
    if (rc == MDM_OK)
        rc = need_tok(c, &type, "param type", err);
    if (rc != MDM_OK)
        return rc;
    mdm_cmp_param *grown = realloc(op->params, (op->nparams + 1) * sizeof *grown);
    if (grown == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    op->params = grown;
    mdm_cmp_param *p = &grown[op->nparams++];
    memset(p, 0, sizeof *p);
    p->name = mdm_strndup(name.text, name.len, err);
    if (p->name == NULL)
        return MDM_ERR_NOMEM;
    if (is_kw(&type, "null")) {
        p->is_null = true;
        p->type = MDM_TEXT;
        p->text = mdm_strndup("", 0, err);
        if (p->text == NULL)
            return MDM_ERR_NOMEM;
        bool bad;
        if (!next_tok(c, &type, &bad))
            return bad ? perr(c, err, "bad token", NULL) : MDM_OK;
        return param_value(c, p, type.text, err);
    }
    if ((rc = param_text(c, p, err)) != MDM_OK)
        return rc;
    return param_value(c, p, type.text, err);
}

static mdm_status append_sql(scn *c, mdm_cmp_op *op, mdm_error *err)
{
    size_t old = strlen(op->sql), add = (size_t)(c->end - c->p);
    char *grown = realloc(op->sql, old + add + 2);
    if (grown == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    grown[old] = '\n';
    memcpy(grown + old + 1, c->p, add);
    grown[old + 1 + add] = '\0';
    op->sql = grown;
    return MDM_OK;
}

static mdm_status parse_continuation(scn *c, mdm_error *err)
{
    mdm_cmp_op *op = c->last;
    const char *save;
    tok t;
    bool bad;
    if (op == NULL || (op->kind != MDM_CMP_OP_QUERY && op->kind != MDM_CMP_OP_EXEC))
        return perr(c, err, "indented line outside a query or exec", NULL);
    skip_space(c);
    save = c->p;
    if (next_tok(c, &t, &bad) && is_kw(&t, "param"))
        return parse_param(c, op, err);
    c->p = save;
    if (op->nparams > 0)
        return perr(c, err, "SQL text after a param line", NULL);
    return append_sql(c, op, err);
}

/* ---- directives and the line loop --------------------------------------- */

static mdm_status parse_condition(scn *c, bool only, mdm_error *err)
{
    tok t;
    mdm_status rc = need_tok(c, &t, "backend or implementation name", err);
    if (rc != MDM_OK)
        return rc;
    if (only)
        rc = mdm_cmp__strv_push(&c->onlyif, &c->nonlyif, t.text, t.len, err);
    else
        rc = mdm_cmp__strv_push(&c->skipif, &c->nskipif, t.text, t.len, err);
    return rc != MDM_OK ? rc : expect_end(c, err);
}

static mdm_status parse_tolerance(scn *c, mdm_error *err)
{
    tok t;
    char *endp;
    mdm_status rc = need_tok(c, &t, "tolerance value", err);
    if (rc != MDM_OK)
        return rc;
    double v = strtod(t.text, &endp);
    if (*endp != '\0' || !(v >= 0.0) || !isfinite(v))
        return perr(c, err, "tolerance must be a number >= 0", t.text);
    c->s->tolerance = v;
    return expect_end(c, err);
}

static mdm_status parse_line(scn *c, mdm_error *err)
{
    tok t;
    bool bad;
    if (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) {
        const char *q = c->p;
        while (q < c->end && (*q == ' ' || *q == '\t'))
            q++;
        if (q == c->end)
            return MDM_OK;
        return parse_continuation(c, err);
    }
    if (!next_tok(c, &t, &bad))
        return bad ? perr(c, err, "bad token", NULL) : MDM_OK;
    if (!t.quoted && t.text[0] == '#')
        return MDM_OK;
    c->last = NULL;
    if (is_kw(&t, "onlyif") || is_kw(&t, "skipif"))
        return parse_condition(c, is_kw(&t, "onlyif"), err);
    if (is_kw(&t, "tolerance"))
        return parse_tolerance(c, err);
    return parse_op(c, &t, err);
}

/* A query's default order: promised when the SQL says ORDER BY (outside
 * literals and comments) read as either backend reads it, since a
 * scenario runs on both. */
static bool sql_has_order_by(const char *sql)
{
    return mdm_sql_has_order_by(sql, MDM_SQL_SQLITE) &&
           mdm_sql_has_order_by(sql, MDM_SQL_POSTGRESQL);
}

static void apply_defaults(mdm_cmp_script *s)
{
    for (size_t i = 0; i < s->nops; i++) {
        mdm_cmp_op *op = &s->ops[i];
        if (op->kind == MDM_CMP_OP_QUERY && !op->sort_explicit)
            op->sort = sql_has_order_by(op->sql) ? MDM_CMP_SORT_NONE : MDM_CMP_SORT_ROWS;
    }
}

mdm_status mdm_cmp_scenario_parse(const char *path, const char *text, size_t len,
                                  mdm_cmp_script *s, mdm_error *err)
{
    scn c = { .path = path, .s = s };
    const char *p = text, *end = text + len;
    mdm_status rc = mdm_cmp__script_set_path(s, path, err);
    if (rc == MDM_OK)
        rc = mdm_cmp__script_add_dataset(s, "main", err);
    while (rc == MDM_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        c.line++;
        c.p = p;
        c.end = (le > p && le[-1] == '\r') ? le - 1 : le;
        rc = parse_line(&c, err);
        p = nl ? nl + 1 : end;
    }
    if (rc == MDM_OK && (c.nonlyif || c.nskipif))
        rc = perr(&c, err, "onlyif/skipif at the end of the file", NULL);
    mdm_cmp__strv_free(c.onlyif, c.nonlyif);
    mdm_cmp__strv_free(c.skipif, c.nskipif);
    if (rc == MDM_OK)
        apply_defaults(s);
    return rc;
}
