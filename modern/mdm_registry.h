/* SPDX-License-Identifier: MIT */
/*
 * mdm_registry.h - the registry (names -> backend tables) and the factory.
 *
 * A registry is an object the caller makes and frees, never a global: the
 * app makes one, adds the built-in backends with one call and may add more
 * (tests add an example backend with one line). The factory looks a name up
 * and fails with "unknown backend type 'x'; known: postgresql, sqlite".
 */
#ifndef MDM_REGISTRY_H
#define MDM_REGISTRY_H

#include <stddef.h>

#include "mdm_conn.h"
#include "mdm_connconfig.h"
#include "mdm_status.h"

typedef struct mdm_registry mdm_registry;

/* Makes an empty registry; free with mdm_registry_free(). NOMEM on failure. */
MDM_NODISCARD mdm_status mdm_registry_new(mdm_registry **out, mdm_error *err);

/* Frees the registry (not the backend tables, which are static). NULL is a
 * no-op. */
void mdm_registry_free(mdm_registry *r);

/*
 * mdm_registry_add - registers a backend table under `name` (copied; names
 * are case-sensitive). ops is borrowed and must outlive the registry and
 * every pool made from it (backend tables are static const).
 * Returns MDM_OK; INVALID_ARG when name is empty or ops fails
 * mdm_backend_ops_check(); EXISTS when the name is taken; NOMEM.
 */
MDM_NODISCARD mdm_status mdm_registry_add(mdm_registry *r, const char *name,
                                          const mdm_backend_ops *ops,
                                          mdm_error *err);

/* Adds "sqlite" and "postgresql". Returns what mdm_registry_add returns. */
MDM_NODISCARD mdm_status mdm_registry_add_builtins(mdm_registry *r, mdm_error *err);

/* The table registered under name, or NULL. */
const mdm_backend_ops *mdm_registry_find(const mdm_registry *r, const char *name);

/* Number of backends and the i-th (registration order): name and table,
 * borrowed; NULL when i is out of range. */
size_t mdm_registry_count(const mdm_registry *r);
const char *mdm_registry_name_at(const mdm_registry *r, size_t i);
const mdm_backend_ops *mdm_registry_ops_at(const mdm_registry *r, size_t i);

/* The registered names, sorted (byte order). out: initialised by the
 * caller; replaced on success. */
MDM_NODISCARD mdm_status mdm_registry_names(const mdm_registry *r,
                                            mdm_strlist *out, mdm_error *err);

/*
 * mdm_registry_create - the factory: the backend table for `name`.
 *   out: receives a borrowed table.
 * Returns MDM_OK, or CONFIG with exactly
 *   "unknown backend type 'x'; known: postgresql, sqlite"
 * (the registered names, sorted, comma-separated) when the name is unknown
 * (or NULL, shown as ''), or INVALID_ARG when r or out is NULL.
 */
MDM_NODISCARD mdm_status mdm_registry_create(const mdm_registry *r, const char *name,
                                             const mdm_backend_ops **out,
                                             mdm_error *err);

/* Factory plus mdm_conn_open: opens a connection with the backend named by
 * cfg->backend. Close it with mdm_conn_close(). */
MDM_NODISCARD mdm_status mdm_registry_connect(const mdm_registry *r,
                                              const mdm_conn_config *cfg,
                                              mdm_conn **out, mdm_error *err);

#endif
