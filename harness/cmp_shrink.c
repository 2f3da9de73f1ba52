/* SPDX-License-Identifier: MIT */
/*
 * cmp_shrink.c - ddmin over the switches of a random case (cmp_shrink.h).
 * Each kind of piece is a set of its own (the rows of one file, the
 * operations, the columns of one file, the clauses of one query, the
 * columns of one read); the sets are shrunk in turn, again and again,
 * until a whole round removes nothing.
 */
#include "cmp_shrink.h"

#include <stdlib.h>

#include "mdm_clock.h"

typedef struct shrink {
    mdm_rc_case *c;
    mdm_shrink_test test;
    void *ctx;
    double deadline;
    mdm_shrink_stats *stats;
} shrink;

static bool out_of_time(const shrink *k)
{
    return mdm_clock_now_s() > k->deadline;
}

static bool try_case(shrink *k)
{
    k->stats->tests++;
    return k->test(k->ctx, k->c);
}

static void set_range(bool **items, size_t from, size_t to, bool on)
{
    for (size_t i = from; i < to; i++)
        *items[i] = on;
}

/* Keeps items[from, to) as the whole set. */
static size_t keep_range(bool **items, size_t n, size_t from, size_t to)
{
    for (size_t i = 0; i < n; i++)
        *items[i] = i >= from && i < to;
    for (size_t i = from; i < to; i++)
        items[i - from] = items[i];
    return to - from;
}

/* Drops items[from, to) from the set. */
static size_t drop_range(bool **items, size_t n, size_t from, size_t to)
{
    set_range(items, from, to, false);
    for (size_t i = to; i < n; i++)
        items[i - (to - from)] = items[i];
    return n - (to - from);
}

/* One step at granularity gran: a subset that alone still fails, else a
 * complement (Zeller's "reduce to subset", then "reduce to complement");
 * returns the new size, or n when neither did. */
static size_t ddmin_step(shrink *k, bool **items, size_t n, size_t *gran)
{
    size_t chunk = (n + *gran - 1) / *gran;
    for (size_t from = 0; from < n; from += chunk) {
        size_t to = from + chunk < n ? from + chunk : n;
        set_range(items, 0, n, false);
        set_range(items, from, to, true);
        if (try_case(k)) {
            *gran = 2;
            return keep_range(items, n, from, to);
        }
        set_range(items, 0, n, true);
    }
    for (size_t from = 0; *gran > 2 && from < n; from += chunk) {
        size_t to = from + chunk < n ? from + chunk : n;
        set_range(items, from, to, false);
        if (try_case(k)) {
            *gran = *gran > 3 ? *gran - 1 : 2;
            return drop_range(items, n, from, to);
        }
        set_range(items, from, to, true);
    }
    return n;
}

/* ddmin over the switched-on items (all true on entry); returns whether
 * any went. The empty set is tried first: a difference of the schema may
 * need no row at all. */
static bool ddmin(shrink *k, bool **items, size_t n)
{
    size_t start = n, gran = 2;
    if (n == 0 || out_of_time(k))
        return false;
    set_range(items, 0, n, false);
    if (try_case(k))
        return true;
    set_range(items, 0, n, true);
    while (n >= 2 && !out_of_time(k)) {
        size_t m = ddmin_step(k, items, n, &gran);
        if (m == n) {
            if (gran >= n)
                break;
            gran = gran * 2 < n ? gran * 2 : n;
        }
        n = m;
    }
    return n < start;
}

/* The switched-on flags of one set, collected for ddmin. */
typedef struct flags {
    bool **v;
    size_t n;
} flags;

static void collect(flags *f, bool *on, size_t n)
{
    f->n = 0;
    f->v = calloc(n + 1, sizeof *f->v);
    for (size_t i = 0; f->v != NULL && i < n; i++)
        if (on[i])
            f->v[f->n++] = &on[i];
}

/* ddmin over on[0..n) (the ones switched on). */
static bool shrink_set(shrink *k, bool *on, size_t n)
{
    flags f;
    collect(&f, on, n);
    bool changed = f.v != NULL && ddmin(k, f.v, f.n);
    free(f.v);
    return changed;
}

static bool file_used(const mdm_rc_case *c, size_t f)
{
    for (size_t i = 0; i < c->nops; i++)
        if (c->ops[i].on && c->ops[i].kind == MDM_RC_REGISTER && c->ops[i].csv == f)
            return true;
    return false;
}

/* The operations' switches are in the ops themselves: gather them. */
static bool shrink_ops(shrink *k)
{
    mdm_rc_case *c = k->c;
    flags f = { calloc(c->nops + 1, sizeof(bool *)), 0 };
    for (size_t i = 0; f.v != NULL && i < c->nops; i++)
        if (c->ops[i].on)
            f.v[f.n++] = &c->ops[i].on;
    bool changed = f.v != NULL && ddmin(k, f.v, f.n);
    free(f.v);
    return changed;
}

static bool shrink_parts(shrink *k, mdm_rc_op *op)
{
    flags f = { calloc(op->nparts + 1, sizeof(bool *)), 0 };
    for (size_t i = 0; f.v != NULL && i < op->nparts; i++)
        if (op->parts[i].on)
            f.v[f.n++] = &op->parts[i].on;
    bool changed = f.v != NULL && ddmin(k, f.v, f.n);
    free(f.v);
    return changed;
}

/* One round over every set; true when anything went. */
static bool shrink_round(shrink *k)
{
    mdm_rc_case *c = k->c;
    bool changed = false;
    for (size_t i = 0; i < c->ncsv; i++)
        if (file_used(c, i))
            changed |= shrink_set(k, c->csv[i].row_on, c->csv[i].nrows);
    changed |= shrink_ops(k);
    for (size_t i = 0; i < c->ncsv; i++)
        if (file_used(c, i))
            changed |= shrink_set(k, c->csv[i].col_on, c->csv[i].ncols);
    for (size_t i = 0; i < c->nops; i++) {
        mdm_rc_op *op = &c->ops[i];
        if (op->on && op->kind == MDM_RC_QUERY)
            changed |= shrink_parts(k, op);
        if (op->on && op->kind == MDM_RC_LOAD)
            changed |= shrink_set(k, op->col_on, op->ncols);
    }
    return changed;
}

void mdm_shrink_case(mdm_rc_case *c, mdm_shrink_test test, void *ctx, double deadline,
                     mdm_shrink_stats *stats)
{
    shrink k = { c, test, ctx, deadline, stats };
    stats->tests = 0;
    while (shrink_round(&k) && !out_of_time(&k))
        ;
    stats->complete = !out_of_time(&k);
}
