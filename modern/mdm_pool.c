/* SPDX-License-Identifier: MIT */
/*
 * mdm_pool.c - the connection pool: lazy opening up to pool_size +
 * max_overflow connections, waiting with a timeout, pre-ping and recycle at
 * checkout, rollback on return, and counters for mdm_pool_get_status().
 * One mutex guards the lists and counters; backend callbacks (connect, ping,
 * in_transaction, rollback, disconnect) always run without it.
 */
#include "mdm_backend.h"
#include "mdm_clock.h"
#include "mdm_modern_internal.h"
#include "mdm_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mdm_pool {
    const mdm_backend_ops *ops;
    mdm_conn_config *cfg;          /* owned copy */
    mdm_pool_opts opts;
    pthread_mutex_t mu;
    pthread_cond_t cv;             /* signalled when a slot or an idle
                                      connection becomes available */
    size_t limit;                  /* pool_size + max_overflow */
    mdm_conn **idle;               /* stack: most recently returned last */
    size_t nidle;
    mdm_conn **all;                /* every open connection (idle or out) */
    size_t nall;
    size_t open;                   /* open connections + slots being opened */
    size_t in_use;
    mdm_pool_status counters;      /* the uint64 counters live here */
};

mdm_status mdm_pool_new(mdm_pool **out, const mdm_backend_ops *ops,
                        const mdm_conn_config *cfg, const mdm_pool_opts *opts,
                        mdm_error *err)
{
    const mdm_pool_opts defaults = MDM_POOL_OPTS_INIT;
    pthread_condattr_t ca;
    mdm_status rc;

    if (out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_pool_new: out is NULL");
    rc = mdm_backend_ops_check(ops, err);
    if (rc != MDM_OK)
        return rc;
    if (opts == NULL)
        opts = &defaults;
    if (opts->version != MDM_POOL_OPTS_VERSION)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "pool options version %u, expected %u (use MDM_POOL_OPTS_INIT)",
                             opts->version, MDM_POOL_OPTS_VERSION);
    if (opts->pool_size < 0 || opts->max_overflow < 0 ||
        opts->pool_size + opts->max_overflow < 1 || !(opts->timeout_s >= 0))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "bad pool limits: pool_size %d, max_overflow %d, timeout %g "
                             "(need sizes >= 0, at least one connection, timeout >= 0)",
                             opts->pool_size, opts->max_overflow, opts->timeout_s);
    mdm_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    p->ops = ops;
    p->opts = *opts;
    p->limit = (size_t)opts->pool_size + (size_t)opts->max_overflow;
    rc = mdm_conn_config_dup(cfg, &p->cfg, err);
    if (rc != MDM_OK) {
        free(p);
        return rc;
    }
    p->idle = calloc(p->limit, sizeof *p->idle);
    p->all = calloc(p->limit, sizeof *p->all);
    if (p->idle == NULL || p->all == NULL) {
        free(p->idle);
        free(p->all);
        mdm_conn_config_free(p->cfg);
        free(p);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = p;
    return MDM_OK;
}

void mdm_pool_free(mdm_pool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nall; i++)
        p->ops->disconnect(p->all[i]);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->idle);
    free(p->all);
    mdm_conn_config_free(p->cfg);
    free(p);
}

/* Removes c from the list of open connections (lock held). */
static void forget(mdm_pool *p, mdm_conn *c)
{
    for (size_t i = 0; i < p->nall; i++) {
        if (p->all[i] == c) {
            p->all[i] = p->all[--p->nall];
            return;
        }
    }
}

/* Opens a connection for a slot already counted in p->open (lock NOT held).
 * On success the connection is recorded as open and loaned out. */
static mdm_status open_one(mdm_pool *p, mdm_conn **out, mdm_error *err)
{
    mdm_conn *c = NULL;
    mdm_status rc = mdm_conn_open(p->ops, p->cfg, &c, err);
    pthread_mutex_lock(&p->mu);
    if (rc != MDM_OK) {
        p->open--;
        p->in_use--;
        pthread_cond_signal(&p->cv);
    } else {
        c->pool = p;
        c->pool_opened_ns = mdm_clock_now_ns();
        c->pool_out = true;
        p->all[p->nall++] = c;
        p->counters.created++;
        p->counters.checkouts++;
        *out = c;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Checks an idle connection just taken (lock NOT held): true if usable. */
static bool still_good(mdm_pool *p, mdm_conn *c)
{
    int64_t age = mdm_clock_now_ns() - c->pool_opened_ns;
    if (p->opts.recycle_s >= 0 && (double)age / 1e9 > p->opts.recycle_s) {
        pthread_mutex_lock(&p->mu);
        p->counters.recycled++;
        pthread_mutex_unlock(&p->mu);
        return false;
    }
    if (p->opts.pre_ping && p->ops->ping != NULL && p->ops->ping(c, NULL) != MDM_OK) {
        pthread_mutex_lock(&p->mu);
        p->counters.ping_failures++;
        pthread_mutex_unlock(&p->mu);
        return false;
    }
    return true;
}

mdm_status mdm_pool_acquire(mdm_pool *p, mdm_conn **out, mdm_error *err)
{
    struct timespec deadline = {0, 0};
    bool waited = false;

    if (p == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_pool_acquire: NULL argument");
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->nidle > 0) {
            mdm_conn *c = p->idle[--p->nidle];
            c->pool_out = true;
            p->in_use++;
            pthread_mutex_unlock(&p->mu);
            if (still_good(p, c)) {
                pthread_mutex_lock(&p->mu);
                p->counters.checkouts++;
                pthread_mutex_unlock(&p->mu);
                *out = c;
                return MDM_OK;
            }
            /* Dead or too old: close it and open a fresh one in its slot. */
            pthread_mutex_lock(&p->mu);
            forget(p, c);
            p->counters.closed++;
            pthread_mutex_unlock(&p->mu);
            p->ops->disconnect(c);
            return open_one(p, out, err);
        }
        if (p->open < p->limit) {
            p->open++;
            p->in_use++;
            pthread_mutex_unlock(&p->mu);
            return open_one(p, out, err);
        }
        if (p->opts.timeout_s <= 0)
            break;
        if (!waited) {
            waited = true;
            p->counters.waits++;
            int64_t end = mdm_clock_now_ns() + (int64_t)(p->opts.timeout_s * 1e9);
            deadline.tv_sec = (time_t)(end / 1000000000);
            deadline.tv_nsec = (long)(end % 1000000000);
        }
        if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT &&
            p->nidle == 0 && p->open >= p->limit)
            break;  /* nothing came back before the deadline */
    }
    p->counters.timeouts++;
    pthread_mutex_unlock(&p->mu);
    return mdm_error_set(err, MDM_ERR_POOL_EXHAUSTED,
                         "pool exhausted: pool_size %d + max_overflow %d connections "
                         "in use, timed out after %.3f s",
                         p->opts.pool_size, p->opts.max_overflow, p->opts.timeout_s);
}

mdm_status mdm_pool_release(mdm_pool *p, mdm_conn *c)
{
    bool discard = false, reset = false;

    if (p == NULL || c == NULL || c->pool != p)
        return MDM_ERR_INVALID_ARG;
    pthread_mutex_lock(&p->mu);
    if (!c->pool_out) {
        pthread_mutex_unlock(&p->mu);
        return MDM_ERR_INVALID_ARG;
    }
    c->pool_out = false;
    pthread_mutex_unlock(&p->mu);

    if (p->opts.reset_on_return && p->ops->in_transaction != NULL &&
        p->ops->in_transaction(c)) {
        reset = true;
        discard = p->ops->rollback == NULL || p->ops->rollback(c, NULL) != MDM_OK ||
                  p->ops->in_transaction(c);
    }

    pthread_mutex_lock(&p->mu);
    p->in_use--;
    if (reset)
        p->counters.resets++;
    if (discard || p->nidle >= (size_t)p->opts.pool_size) {
        forget(p, c);
        p->open--;
        p->counters.closed++;
        discard = true;
    } else {
        p->idle[p->nidle++] = c;
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (discard)
        p->ops->disconnect(c);
    return MDM_OK;
}

void mdm_pool_get_status(mdm_pool *p, mdm_pool_status *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->counters;
    out->pool_size = p->opts.pool_size;
    out->max_overflow = p->opts.max_overflow;
    out->open = p->nall;
    out->idle = p->nidle;
    out->in_use = p->in_use;
    out->overflow = p->nall > (size_t)p->opts.pool_size ? p->nall - (size_t)p->opts.pool_size : 0;
    pthread_mutex_unlock(&p->mu);
}

const mdm_backend_ops *mdm_pool_backend(const mdm_pool *p)
{
    return p->ops;
}

const mdm_conn_config *mdm_pool_config(const mdm_pool *p)
{
    return p->cfg;
}
