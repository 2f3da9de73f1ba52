/* SPDX-License-Identifier: MIT */
/*
 * mdm_connmgr.h - ConnectionManager: a backend (found through a registry by
 * the config's backend name) plus its pool, and the with-connection helper.
 *
 * The manager is caller-owned. Callers loan a connection with
 * mdm_connmgr_acquire() and give it back with mdm_connmgr_release(), or let
 * mdm_connmgr_with_conn() run a callback with one and always give it back
 * (the C form of the seed's `with manager.get_connection() as conn:`).
 */
#ifndef MDM_CONNMGR_H
#define MDM_CONNMGR_H

#include "mdm_conn.h"
#include "mdm_connconfig.h"
#include "mdm_pool.h"
#include "mdm_registry.h"
#include "mdm_status.h"

typedef struct mdm_connmgr mdm_connmgr;

/*
 * mdm_connmgr_new - finds cfg->backend in reg (the factory's error text when
 * unknown) and makes a pool for it.
 *   reg:  borrowed for the call; the backend table it returns must outlive
 *         the manager (built-in and example tables are static).
 *   cfg:  copied.
 *   opts: copied; NULL means MDM_POOL_OPTS_INIT.
 *   out:  free with mdm_connmgr_free().
 * Returns MDM_OK, CONFIG (unknown backend), INVALID_ARG, NOMEM.
 */
MDM_NODISCARD mdm_status mdm_connmgr_new(mdm_connmgr **out, const mdm_registry *reg,
                                         const mdm_conn_config *cfg,
                                         const mdm_pool_opts *opts, mdm_error *err);

/* Frees the manager and its pool (see mdm_pool_free). NULL is a no-op. */
void mdm_connmgr_free(mdm_connmgr *m);

/* Loans a connection (see mdm_pool_acquire). Borrowed until released. */
MDM_NODISCARD mdm_status mdm_connmgr_acquire(mdm_connmgr *m, mdm_conn **out,
                                             mdm_error *err);

/* Gives a connection back (see mdm_pool_release). */
mdm_status mdm_connmgr_release(mdm_connmgr *m, mdm_conn *c);

/* The callback of mdm_connmgr_with_conn: c is borrowed for the call only. */
typedef mdm_status (*mdm_conn_fn)(mdm_conn *c, void *arg, mdm_error *err);

/*
 * mdm_connmgr_with_conn - acquires a connection, runs fn(c, arg, err) and
 * releases the connection whatever fn returned (an open transaction is
 * rolled back on release). Returns the acquire error, else fn's status.
 */
MDM_NODISCARD mdm_status mdm_connmgr_with_conn(mdm_connmgr *m, mdm_conn_fn fn,
                                               void *arg, mdm_error *err);

/* Borrowed accessors. */
mdm_pool *mdm_connmgr_pool(mdm_connmgr *m);
const mdm_backend_ops *mdm_connmgr_backend(const mdm_connmgr *m);
const mdm_conn_config *mdm_connmgr_config(const mdm_connmgr *m);

#endif
