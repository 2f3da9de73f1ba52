/* SPDX-License-Identifier: MIT */
/*
 * mdm_connmgr.c - the ConnectionManager: resolves the config's backend name
 * through a registry (the factory), owns the pool for it, and offers
 * acquire/release plus a with-connection helper that always releases.
 */
#include "mdm_backend.h"
#include "mdm_connmgr.h"

#include <stdlib.h>

struct mdm_connmgr {
    const mdm_backend_ops *ops;
    mdm_pool *pool;
};

mdm_status mdm_connmgr_new(mdm_connmgr **out, const mdm_registry *reg,
                           const mdm_conn_config *cfg, const mdm_pool_opts *opts,
                           mdm_error *err)
{
    const mdm_backend_ops *ops = NULL;
    mdm_status rc;

    if (out == NULL || reg == NULL || cfg == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_connmgr_new: NULL argument");
    rc = mdm_registry_create(reg, cfg->backend, &ops, err);
    if (rc != MDM_OK)
        return rc;
    mdm_connmgr *m = calloc(1, sizeof *m);
    if (m == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    m->ops = ops;
    rc = mdm_pool_new(&m->pool, ops, cfg, opts, err);
    if (rc != MDM_OK) {
        free(m);
        return rc;
    }
    *out = m;
    return MDM_OK;
}

void mdm_connmgr_free(mdm_connmgr *m)
{
    if (m == NULL)
        return;
    mdm_pool_free(m->pool);
    free(m);
}

mdm_status mdm_connmgr_acquire(mdm_connmgr *m, mdm_conn **out, mdm_error *err)
{
    if (m == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "connection manager is NULL");
    return mdm_pool_acquire(m->pool, out, err);
}

mdm_status mdm_connmgr_release(mdm_connmgr *m, mdm_conn *c)
{
    if (m == NULL)
        return MDM_ERR_INVALID_ARG;
    return mdm_pool_release(m->pool, c);
}

mdm_status mdm_connmgr_with_conn(mdm_connmgr *m, mdm_conn_fn fn, void *arg, mdm_error *err)
{
    mdm_conn *c = NULL;
    if (fn == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "with_conn: callback is NULL");
    mdm_status rc = mdm_connmgr_acquire(m, &c, err);
    if (rc != MDM_OK)
        return rc;
    rc = fn(c, arg, err);
    (void)mdm_pool_release(m->pool, c);
    return rc;
}

mdm_pool *mdm_connmgr_pool(mdm_connmgr *m)
{
    return m ? m->pool : NULL;
}

const mdm_backend_ops *mdm_connmgr_backend(const mdm_connmgr *m)
{
    return m ? m->ops : NULL;
}

const mdm_conn_config *mdm_connmgr_config(const mdm_connmgr *m)
{
    return m ? mdm_pool_config(m->pool) : NULL;
}
