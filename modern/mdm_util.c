/* SPDX-License-Identifier: MIT */
/*
 * mdm_util.c - helpers shared by the modern backends: the per-connection
 * prepared-statement cache (LRU), declared-type mapping and column
 * conversion for typed reads, and named-parameter rewriting and matching.
 * Everything works on caller-owned structs; nothing here is global.
 */
#include "mdm_modern_internal.h"
#include "mdm_sqlscan.h"

#include <stdlib.h>
#include <string.h>

/* ---- statement cache ---------------------------------------------------- */

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

void mdm__stmt_cache_init(mdm__stmt_cache *c, size_t capacity,
                          mdm__stmt_destroy_fn destroy, void *ctx)
{
    memset(c, 0, sizeof *c);
    c->capacity = capacity;
    c->destroy = destroy;
    c->destroy_ctx = ctx;
}

void mdm__stmt_cache_reset(mdm__stmt_cache *c)
{
    for (size_t i = 0; i < c->count; i++) {
        c->destroy(c->destroy_ctx, c->entries[i].stmt);
        free(c->entries[i].key);
    }
    free(c->entries);
    c->entries = NULL;
    c->count = 0;
}

void *mdm__stmt_cache_get(mdm__stmt_cache *c, const char *key, size_t keylen)
{
    uint64_t h = fnv1a(key, keylen);
    for (size_t i = 0; i < c->count; i++) {
        mdm__stmt_entry *e = &c->entries[i];
        if (e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0) {
            e->used = ++c->tick;
            c->hits++;
            return e->stmt;
        }
    }
    c->misses++;
    return NULL;
}

/* Removes entry i (destroying its statement) by moving the last one in. */
static void remove_at(mdm__stmt_cache *c, size_t i)
{
    c->destroy(c->destroy_ctx, c->entries[i].stmt);
    free(c->entries[i].key);
    c->entries[i] = c->entries[--c->count];
}

bool mdm__stmt_cache_put(mdm__stmt_cache *c, const char *key, size_t keylen, void *stmt)
{
    if (c->capacity == 0)
        return false;
    if (c->entries == NULL) {
        c->entries = calloc(c->capacity, sizeof *c->entries);
        if (c->entries == NULL)
            return false;
    }
    char *k = malloc(keylen + 1);
    if (k == NULL)
        return false;
    memcpy(k, key, keylen);
    k[keylen] = '\0';
    if (c->count == c->capacity) {
        size_t lru = 0;
        for (size_t i = 1; i < c->count; i++)
            if (c->entries[i].used < c->entries[lru].used)
                lru = i;
        remove_at(c, lru);
        c->evictions++;
    }
    mdm__stmt_entry *e = &c->entries[c->count++];
    e->key = k;
    e->keylen = keylen;
    e->hash = fnv1a(key, keylen);
    e->stmt = stmt;
    e->used = ++c->tick;
    return true;
}

void mdm__stmt_cache_drop(mdm__stmt_cache *c, void *stmt)
{
    for (size_t i = 0; i < c->count; i++) {
        if (c->entries[i].stmt == stmt) {
            remove_at(c, i);
            return;
        }
    }
}

void mdm__stmt_cache_stats(const mdm__stmt_cache *c, mdm_stmt_cache_stats *out)
{
    out->hits = c->hits;
    out->misses = c->misses;
    out->evictions = c->evictions;
    out->size = c->count;
    out->capacity = c->capacity;
}

/* ---- typed reads -------------------------------------------------------- */

/* Case-insensitive substring test on ASCII. */
static bool has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; *s; s++)
        if (strncasecmp(s, w, n) == 0)
            return true;
    return false;
}

bool mdm__type_from_decl(const char *decl, mdm_type *out)
{
    if (decl == NULL || decl[0] == '\0')
        return false;
    if (has_word(decl, "BOOL"))
        *out = MDM_BOOL;
    else if (has_word(decl, "DATE") || has_word(decl, "TIMESTAMP"))
        *out = MDM_TIMESTAMP;
    else if (has_word(decl, "INT"))
        *out = MDM_INT64;
    else if (has_word(decl, "CHAR") || has_word(decl, "CLOB") || has_word(decl, "TEXT"))
        *out = MDM_TEXT;
    else if (has_word(decl, "REAL") || has_word(decl, "FLOA") || has_word(decl, "DOUB"))
        *out = MDM_FLOAT64;
    else
        return false;
    return true;
}

size_t mdm__format_int64(int64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    size_t len = 0;
    if (v < 0)
        buf[len++] = '-';
    while (n > 0)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

/* Pushes cell r of column `from` converted to the only column of dst. */
static mdm_status push_converted(mdm_table *dst, const mdm_column *from, size_t r,
                                 mdm_type to, mdm_error *err)
{
    char buf[64];
    size_t n;
    if (from->nulls[r])
        return mdm_table_push_null(dst, 0, err);
    switch (to) {
    case MDM_FLOAT64:
        if (from->type == MDM_INT64)
            return mdm_table_push_float64(dst, 0, (double)from->v.i64[r], err);
        return mdm_table_push_float64(dst, 0, from->v.b[r] ? 1.0 : 0.0, err);
    case MDM_INT64:
        return mdm_table_push_int64(dst, 0, from->v.b[r] ? 1 : 0, err);
    default: /* MDM_TEXT */
        switch (from->type) {
        case MDM_INT64:
            n = mdm__format_int64(from->v.i64[r], buf);
            break;
        case MDM_FLOAT64:
            n = mdm_format_float64(from->v.f64[r], buf, sizeof buf);
            break;
        case MDM_BOOL:
            n = (size_t)snprintf(buf, sizeof buf, "%d", from->v.b[r] ? 1 : 0);
            break;
        default: /* MDM_TIMESTAMP */
            n = mdm_format_timestamp_full(from->v.i64[r], buf, sizeof buf);
            break;
        }
        return mdm_table_push_text(dst, 0, buf, n, err);
    }
}

mdm_status mdm__table_convert_column(mdm_table *t, size_t c, mdm_type to, mdm_error *err)
{
    mdm_column *col = &t->cols[c];
    mdm_type from = col->type;
    size_t n = col->count;
    mdm_status rc = MDM_OK;
    mdm_table tmp;

    if (from == to)
        return MDM_OK;
    bool all_null = true;
    for (size_t r = 0; r < n && all_null; r++)
        all_null = col->nulls[r] != 0;
    bool ok = all_null || to == MDM_TEXT ||
              (to == MDM_FLOAT64 && (from == MDM_INT64 || from == MDM_BOOL)) ||
              (to == MDM_INT64 && from == MDM_BOOL);
    if (!ok || (from == MDM_TEXT && !all_null))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "cannot convert column '%s' from %s to %s",
                             col->name, mdm_type_name(from), mdm_type_name(to));
    mdm_table_init(&tmp);
    rc = mdm_table_add_column(&tmp, "x", to, err);
    if (rc == MDM_OK)
        rc = mdm_table_reserve(&tmp, n, 0, err);
    for (size_t r = 0; rc == MDM_OK && r < n; r++) {
        rc = push_converted(&tmp, col, r, to, err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(&tmp, err);
    }
    if (rc == MDM_OK) {
        /* Swap the new values in; keep the old name and declared type. */
        mdm_column neu = tmp.cols[0];
        char *name = neu.name, *decl = neu.decl_type;
        neu.name = col->name;
        neu.decl_type = col->decl_type;
        tmp.cols[0] = *col;
        tmp.cols[0].name = name;
        tmp.cols[0].decl_type = decl;
        *col = neu;
    }
    mdm_table_reset(&tmp);
    return rc;
}

/* ---- named parameters ---------------------------------------------------- */

mdm_status mdm__pg_rewrite_params(const char *sql, mdm_buf *out, mdm_strlist *names,
                                  mdm_error *err)
{
    mdm_sqlscan sc;
    mdm_sqltok t;
    mdm_status rc = MDM_OK;

    if (sql == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "query text is missing");
    if (mdm_sql_second_statement(sql, MDM_SQL_POSTGRESQL) != NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "only one statement per query (found more after ';')");
    mdm_sqlscan_init(&sc, sql, MDM_SQL_POSTGRESQL);
    while (rc == MDM_OK && mdm_sqlscan_next(&sc, &t)) {
        if (t.kind != MDM_SQLTOK_PARAM) {
            rc = mdm_buf_append(out, t.text, t.len);
            continue;
        }
        size_t len = t.len - 1, num = 0;
        char name[256];
        if (len >= sizeof name)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "parameter name too long");
        memcpy(name, t.text + 1, len);
        name[len] = '\0';
        while (num < names->count && strcmp(names->items[num], name) != 0)
            num++;
        if (num == names->count)
            rc = mdm_strlist_push(names, name, err);
        if (rc == MDM_OK)
            rc = mdm_buf_printf(out, "$%zu", num + 1);
    }
    return rc;
}

/* A param's name without a leading ':' (both spellings are accepted). */
static const char *bare(const char *name)
{
    return name[0] == ':' ? name + 1 : name;
}

mdm_status mdm__match_params(const char *const *names, size_t nnames,
                             const mdm_param *params, size_t nparams, size_t *idx,
                             mdm_error *err)
{
    if (nparams > 0 && params == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "params is NULL but nparams is %zu", nparams);
    for (size_t j = 0; j < nparams; j++) {
        if (params[j].name == NULL || bare(params[j].name)[0] == '\0')
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "parameter %zu has no name", j);
        for (size_t k = 0; k < j; k++)
            if (strcmp(bare(params[k].name), bare(params[j].name)) == 0)
                return mdm_error_set(err, MDM_ERR_INVALID_ARG, "parameter :%s given twice",
                                     bare(params[j].name));
    }
    for (size_t i = 0; i < nnames; i++) {
        size_t j = 0;
        while (j < nparams && strcmp(bare(params[j].name), names[i]) != 0)
            j++;
        if (j == nparams)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "no value for parameter :%s", names[i]);
        idx[i] = j;
    }
    for (size_t j = 0; j < nparams; j++) {
        bool used = false;
        for (size_t i = 0; i < nnames && !used; i++)
            used = idx[i] == j;
        if (!used)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "parameter :%s is not used by the query",
                                 bare(params[j].name));
    }
    return MDM_OK;
}
