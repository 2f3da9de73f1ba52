/* SPDX-License-Identifier: MIT */
/*
 * mdm_pool.h - a thread-safe pool of connections for one backend and one
 * config (SQLAlchemy QueuePool semantics: pool_size kept, max_overflow more
 * on demand, a timeout when all are out).
 *
 * The pool is an object the caller owns, never a global. Connections are
 * opened lazily, checked at checkout (pre_ping, recycle) and reset on return
 * (an open transaction is rolled back). One mutex guards the pool's lists and
 * counters; no backend callback (connect, ping, rollback, disconnect) runs
 * with it held.
 */
#ifndef MDM_POOL_H
#define MDM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdm_conn.h"
#include "mdm_connconfig.h"
#include "mdm_status.h"
#include "mdm_values.h"

/* mdm_pool_opts (the pool's settings) is a value type in core/mdm_values.h:
 * the config file, the stores' settings and the pools share it. */

/* A snapshot of the pool's counters. */
typedef struct mdm_pool_status {
    int pool_size;        /* configured */
    int max_overflow;     /* configured */
    size_t open;          /* connections open now (idle + in use) */
    size_t idle;          /* open and waiting in the pool */
    size_t in_use;        /* loaned out */
    size_t overflow;      /* open beyond pool_size: max(0, open - pool_size) */
    uint64_t checkouts;   /* successful acquires */
    uint64_t waits;       /* acquires that had to wait for a connection */
    uint64_t timeouts;    /* acquires that gave up (POOL_EXHAUSTED) */
    uint64_t created;     /* connections opened */
    uint64_t closed;      /* connections closed (overflow, dead, recycled) */
    uint64_t ping_failures;  /* dead connections found by pre_ping */
    uint64_t recycled;    /* connections replaced for age */
    uint64_t resets;      /* transactions rolled back on return */
} mdm_pool_status;

typedef struct mdm_pool mdm_pool;

/*
 * mdm_pool_new - makes a pool. No connection is opened yet.
 *   ops:  borrowed; must outlive the pool.
 *   cfg:  copied (mdm_conn_config_dup).
 *   opts: copied; NULL means MDM_POOL_OPTS_INIT.
 *   out:  receives the pool; free with mdm_pool_free().
 * Returns MDM_OK, INVALID_ARG (bad ops, version or limits), NOMEM.
 */
MDM_NODISCARD mdm_status mdm_pool_new(mdm_pool **out, const mdm_backend_ops *ops,
                                      const mdm_conn_config *cfg,
                                      const mdm_pool_opts *opts, mdm_error *err);

/* Closes every idle connection and frees the pool. Connections still loaned
 * out are a caller bug: they are closed too, and must not be used or
 * released afterwards. NULL is a no-op. */
void mdm_pool_free(mdm_pool *p);

/*
 * mdm_pool_acquire - loans a connection (borrowed until mdm_pool_release).
 * Takes an idle one (most recently returned first), else opens one while
 * fewer than pool_size + max_overflow are open, else waits up to timeout_s.
 * With pre_ping a dead idle connection is closed and replaced; with
 * recycle_s one older than that is replaced. Thread-safe.
 * Returns MDM_OK; POOL_EXHAUSTED with a message naming the limits
 * ("pool exhausted: pool_size 5 + max_overflow 10 connections in use, timed
 * out after 30.000 s"); or the backend's connect error (CONNECTION, ...).
 */
MDM_NODISCARD mdm_status mdm_pool_acquire(mdm_pool *p, mdm_conn **out,
                                          mdm_error *err);

/*
 * mdm_pool_release - returns a loaned connection. With reset_on_return an
 * open transaction is rolled back (a connection that cannot be reset is
 * closed). Overflow connections beyond pool_size idle are closed. Wakes one
 * waiter. Returns MDM_OK, or INVALID_ARG (and does nothing) when c is NULL,
 * belongs to another pool or is not loaned out.
 */
mdm_status mdm_pool_release(mdm_pool *p, mdm_conn *c);

/* Fills *out with a consistent snapshot. Thread-safe. */
void mdm_pool_get_status(mdm_pool *p, mdm_pool_status *out);

/* The backend table and config the pool opens connections with. Borrowed. */
const mdm_backend_ops *mdm_pool_backend(const mdm_pool *p);
const mdm_conn_config *mdm_pool_config(const mdm_pool *p);

#endif
