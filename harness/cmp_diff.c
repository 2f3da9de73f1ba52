/* SPDX-License-Identifier: MIT */
/*
 * cmp_diff.c - op-level comparison: outcome (ok or error, and the error's
 * kind), then the table through mdm_table_equal (or, for sqllogictest
 * queries, the formatted values), then info's row count; and the check of
 * sqllogictest records against the results written in the file.
 */
#include "cmp_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_slt.h"
#include "cmp_table.h"
#include "mdm_table_ops.h"

void mdm_cmp_diffs_init(mdm_cmp_diffs *d)
{
    memset(d, 0, sizeof *d);
}

void mdm_cmp_diffs_reset(mdm_cmp_diffs *d)
{
    if (d == NULL)
        return;
    free(d->items);
    mdm_cmp_diffs_init(d);
}

mdm_status mdm_cmp_diffs_add(mdm_cmp_diffs *d, size_t op, const char *kind, const char *message,
                             mdm_error *err)
{
    mdm_cmp_diff *grown = realloc(d->items, (d->count + 1) * sizeof *grown);
    if (grown == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    d->items = grown;
    mdm_cmp_diff *x = &grown[d->count++];
    memset(x, 0, sizeof *x);
    x->op = op;
    x->expect = -1;
    snprintf(x->kind, sizeof x->kind, "%s", kind);
    snprintf(x->message, sizeof x->message, "%s", message);
    return MDM_OK;
}

mdm_status mdm_cmp_result_normalize(const mdm_cmp_op *op, mdm_cmp_result *r, mdm_error *err)
{
    if (op->slt || r->state != MDM_CMP_RAN || !r->has_table || op->sort != MDM_CMP_SORT_ROWS)
        return MDM_OK;
    return mdm_cmp_table_sort(&r->table, err);
}

void mdm_cmp_result_describe(const mdm_cmp_result *r, char *buf, size_t n)
{
    if (r->status != MDM_OK)
        snprintf(buf, n, "error %s: %.300s", mdm_status_name(r->status), r->message);
    else if (r->has_table)
        snprintf(buf, n, "ok, %zu rows x %zu columns", r->table.nrows, r->table.ncols);
    else
        snprintf(buf, n, "ok");
}

/* Outcome: ok vs error, or two errors of different kinds. */
static mdm_status compare_status(size_t i, const mdm_cmp_result *a, const char *la,
                                 const mdm_cmp_result *b, const char *lb, mdm_cmp_diffs *out,
                                 bool *same, mdm_error *err)
{
    char da[400], db[400], msg[900];
    *same = true;
    if (a->status == b->status)
        return MDM_OK;
    *same = false;
    mdm_cmp_result_describe(a, da, sizeof da);
    mdm_cmp_result_describe(b, db, sizeof db);
    snprintf(msg, sizeof msg, "%s: %s | %s: %s", la, da, lb, db);
    bool both_err = a->status != MDM_OK && b->status != MDM_OK;
    return mdm_cmp_diffs_add(out, i, both_err ? "error_kind" : "error", msg, err);
}

static mdm_status compare_slt_tables(const mdm_cmp_op *op, size_t i, const mdm_cmp_result *a,
                                     const mdm_cmp_result *b, mdm_cmp_diffs *out, mdm_error *err)
{
    mdm_cmp_slt_values va, vb;
    char msg[700];
    mdm_cmp_slt_values_init(&va);
    mdm_cmp_slt_values_init(&vb);
    mdm_status rc = mdm_cmp_slt_format(op, &a->table, &va, err);
    if (rc == MDM_OK)
        rc = mdm_cmp_slt_format(op, &b->table, &vb, err);
    if (rc == MDM_OK && !mdm_cmp_slt_equal(&va, &vb, msg, sizeof msg))
        rc = mdm_cmp_diffs_add(out, i, "value", msg, err);
    mdm_cmp_slt_values_reset(&va);
    mdm_cmp_slt_values_reset(&vb);
    return rc;
}

static mdm_status add_table_diff(const mdm_cmp_op *op, size_t i, const mdm_table_diff *d,
                                 mdm_cmp_diffs *out, mdm_error *err)
{
    char msg[900];
    snprintf(msg, sizeof msg, "%s%s", d->message,
             (d->kind == MDM_DIFF_VALUE && op->sort == MDM_CMP_SORT_ROWS) ? " (rows sorted)" : "");
    return mdm_cmp_diffs_add(out, i, mdm_diff_kind_name(d->kind), msg, err);
}

/* After a column type difference, the other columns are still compared
 * (sorted again on their own when the op promises no order). */
static mdm_status compare_rest(const mdm_cmp_op *op, size_t i, const mdm_table *a,
                               const mdm_table *b, const mdm_compare_opts *opts,
                               mdm_cmp_diffs *out, mdm_error *err)
{
    mdm_table pa, pb;
    mdm_table_diff d;
    mdm_status rc = MDM_OK;
    mdm_table_init(&pa);
    mdm_table_init(&pb);
    if (mdm_table_agreeing(a, b, &pa, &pb, err)) {
        if (op->sort == MDM_CMP_SORT_ROWS)
            rc = mdm_cmp_table_sort(&pa, err);
        if (rc == MDM_OK && op->sort == MDM_CMP_SORT_ROWS)
            rc = mdm_cmp_table_sort(&pb, err);
        if (rc == MDM_OK && !mdm_table_equal(&pa, &pb, opts, &d))
            rc = add_table_diff(op, i, &d, out, err);
    }
    mdm_table_reset(&pa);
    mdm_table_reset(&pb);
    return rc;
}

static mdm_status compare_tables(const mdm_cmp_script *s, size_t i, const mdm_cmp_result *a,
                                 const mdm_cmp_result *b, mdm_cmp_diffs *out, mdm_error *err)
{
    mdm_compare_opts opts = MDM_COMPARE_OPTS_INIT;
    mdm_table_diff d;
    const mdm_cmp_op *op = &s->ops[i];
    if (op->slt)
        return compare_slt_tables(op, i, a, b, out, err);
    opts.float_tolerance = s->tolerance;
    /* A query's ORDER BY ranks -0.0 and 0.0 as ties, so which comes first
     * is the engine's choice (storage order differs between legacy's
     * INSERTs and modern's COPY); reads and unordered results, sorted by
     * the harness, still tell them apart. Found by mdm-compare --random. */
    opts.zero_signs_equal = op->kind == MDM_CMP_OP_QUERY && op->sort == MDM_CMP_SORT_NONE;
    if (mdm_table_equal(&a->table, &b->table, &opts, &d))
        return MDM_OK;
    mdm_status rc = add_table_diff(op, i, &d, out, err);
    if (rc == MDM_OK && d.kind == MDM_DIFF_COLUMN_TYPE)
        rc = compare_rest(op, i, &a->table, &b->table, &opts, out, err);
    return rc;
}

mdm_status mdm_cmp_compare_op(const mdm_cmp_script *s, size_t i, const mdm_cmp_result *a,
                              const char *la, const mdm_cmp_result *b, const char *lb,
                              mdm_cmp_diffs *out, mdm_error *err)
{
    char msg[300];
    bool same;
    mdm_status rc = compare_status(i, a, la, b, lb, out, &same, err);
    if (rc != MDM_OK || !same || a->status != MDM_OK)
        return rc;
    if (a->has_table != b->has_table) {
        snprintf(msg, sizeof msg, "%s: %s | %s: %s", la, a->has_table ? "rows" : "no rows", lb,
                 b->has_table ? "rows" : "no rows");
        return mdm_cmp_diffs_add(out, i, "result_shape", msg, err);
    }
    if (a->has_table) {
        size_t before = out->count;
        rc = compare_tables(s, i, a, b, out, err);
        if (rc != MDM_OK || out->count != before)
            return rc;
    }
    if (a->has_count && b->has_count && a->count != b->count) {
        snprintf(msg, sizeof msg, "row_count: %lld vs %lld", (long long)a->count,
                 (long long)b->count);
        return mdm_cmp_diffs_add(out, i, "row_count", msg, err);
    }
    return MDM_OK;
}

mdm_status mdm_cmp_check_recorded(const mdm_cmp_script *s, size_t i, const mdm_cmp_result *x,
                                  mdm_cmp_diffs *out, mdm_error *err)
{
    const mdm_cmp_op *op = &s->ops[i];
    char msg[700], desc[400];
    mdm_cmp_slt_values v;
    if (!op->slt || x->state != MDM_CMP_RAN || op->kind == MDM_CMP_OP_HALT)
        return MDM_OK;
    mdm_cmp_result_describe(x, desc, sizeof desc);
    if (op->kind == MDM_CMP_OP_EXEC && op->expect_error != (x->status != MDM_OK)) {
        snprintf(msg, sizeof msg, "statement %s expected, got %s",
                 op->expect_error ? "error" : "ok", desc);
        return mdm_cmp_diffs_add(out, i, "result", msg, err);
    }
    if (op->kind != MDM_CMP_OP_QUERY)
        return MDM_OK;
    if (x->status != MDM_OK) {
        snprintf(msg, sizeof msg, "query expected rows, got %s", desc);
        return mdm_cmp_diffs_add(out, i, "result", msg, err);
    }
    mdm_cmp_slt_values_init(&v);
    mdm_status rc = mdm_cmp_slt_format(op, &x->table, &v, err);
    if (rc == MDM_OK && !mdm_cmp_slt_check(op, &v, msg, sizeof msg))
        rc = mdm_cmp_diffs_add(out, i, "result", msg, err);
    mdm_cmp_slt_values_reset(&v);
    return rc;
}

/* The formatted hash of a query result, or false when it did not run. */
static bool result_hash(const mdm_cmp_op *op, const mdm_cmp_result *r, char hex[33],
                        mdm_error *err)
{
    mdm_cmp_slt_values v;
    if (r->state != MDM_CMP_RAN || r->status != MDM_OK || !r->has_table)
        return false;
    mdm_cmp_slt_values_init(&v);
    bool ok = mdm_cmp_slt_format(op, &r->table, &v, err) == MDM_OK;
    if (ok)
        mdm_cmp_slt_hash(&v, hex);
    mdm_cmp_slt_values_reset(&v);
    return ok;
}

mdm_status mdm_cmp_check_labels(const mdm_cmp_script *s, const mdm_cmp_result *res,
                                mdm_cmp_diffs *out, mdm_error *err)
{
    char a[33], b[33], msg[300];
    mdm_status rc = MDM_OK;
    for (size_t i = 0; i < s->nops && rc == MDM_OK; i++) {
        const mdm_cmp_op *op = &s->ops[i];
        if (!op->slt || op->label == NULL || !result_hash(op, &res[i], b, err))
            continue;
        for (size_t j = 0; j < i; j++) {
            const mdm_cmp_op *first = &s->ops[j];
            if (!first->slt || first->label == NULL || strcmp(first->label, op->label) != 0 ||
                !result_hash(first, &res[j], a, err))
                continue;
            if (strcmp(a, b) != 0) {
                snprintf(msg, sizeof msg, "label %s: result hashes to %s, the query at line %d "
                         "with the same label to %s", op->label, b, first->line, a);
                rc = mdm_cmp_diffs_add(out, i, "result", msg, err);
            }
            break;
        }
    }
    return rc;
}
