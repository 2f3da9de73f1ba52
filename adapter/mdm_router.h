/* SPDX-License-Identifier: MIT */
/*
 * mdm_router.h - the one place that knows there are two implementations.
 *
 * A router is made from store settings (which backend, its options, the
 * PostgreSQL server) and the effective feature flag. For each operation on
 * a dataset it asks the flag which implementation serves it and hands out
 * the store(s) for that: the modern store (connection managers), the
 * legacy store (the old backend through the legacy path) or,
 * for reads under shadow, both: legacy answers and modern is run dry,
 * compared and logged (mdm_shadow.h). Everything that derives one store's
 * configuration from the settings (the server DSN, legacy's old config
 * mapping) is here too, written once for the program and the harness.
 *
 * The router owns the stores it makes (made on first use, kept until
 * mdm_router_free) and the shadow log's state; it is not thread-safe: one
 * router per thread, as one program run has one.
 */
#ifndef MDM_ROUTER_H
#define MDM_ROUTER_H

#include <stdbool.h>
#include <stdio.h>

#include "mdm_flag.h"
#include "mdm_shadow.h"
#include "mdm_status.h"
#include "mdm_store.h"
#include "mdm_table.h"

typedef struct mdm_router mdm_router;

typedef struct mdm_router_opts {
    const mdm_store_settings *store;   /* required; copied */
    const mdm_flag_settings *flags;    /* required; copied */
    const char *shadow_log;            /* shadow mode's log file; copied; NULL: none
                                          (a shadow read then fails: no log path) */
    FILE *warn;                        /* warnings; NULL: stderr */
    const char *evidence;              /* shadow runs are recorded in this evidence file
                                          (mdm_evidence.h) under flags->generation;
                                          copied; NULL: not recorded */
    const char *expected;              /* the expected-differences list shadow runs
                                          match against (copied; NULL: none; a missing
                                          file: a warning, then none; a broken one:
                                          CONFIG naming file:line on the first shadow
                                          run) */
} mdm_router_opts;

/* Makes a router. No store is made yet. INVALID_ARG (missing settings),
 * CONFIG (a backend other than sqlite or postgresql, a shadow log path too
 * long), NOMEM. out: free with mdm_router_free(). */
MDM_NODISCARD mdm_status mdm_router_new(mdm_router **out, const mdm_router_opts *opts,
                                        mdm_error *err);
void mdm_router_free(mdm_router *r);   /* NULL is a no-op; frees every store */

/* The store of one implementation (MDM_IMPL_MODERN or MDM_IMPL_LEGACY; made
 * on first use, owned by the router). UNSUPPORTED for legacy in a build
 * without legacy/; INVALID_ARG for shadow, which is not a store. */
MDM_NODISCARD mdm_status mdm_router_store(mdm_router *r, mdm_impl impl, mdm_store **out,
                                          mdm_error *err);

/* Frees the stores made so far, closing every connection they hold; the
 * next mdm_router_store() makes them again. Shadow counters are kept. */
void mdm_router_close_stores(mdm_router *r);

/* The stores of one operation on one dataset. */
typedef struct mdm_route {
    mdm_flag_op op;        /* what it is for (its shadow runs' evidence flag) */
    mdm_flag_decision d;   /* what the flag decided, and why */
    mdm_store *serve;      /* answers: modern, or legacy (also under shadow) */
    mdm_store *cand;       /* shadow only: modern, run dry; NULL when it could
                              not be made (cand_err says why) */
    mdm_error cand_err;
} mdm_route;

/* Decides op for the dataset (its normalised name is the flag's bucket key)
 * and makes the stores it needs. Fails only when the serving store cannot
 * be made; a candidate that cannot be made is left NULL. */
MDM_NODISCARD mdm_status mdm_router_route(mdm_router *r, mdm_flag_op op, const char *dataset,
                                          mdm_route *out, mdm_error *err);

/* One read, run on a store: dry means the candidate side of a shadow run
 * (mdm_store_ops.query's dry). out is initialised and empty. */
typedef mdm_status (*mdm_router_read_fn)(void *ctx, mdm_store *s, bool dry, mdm_table *out,
                                         mdm_error *err);

typedef struct mdm_router_read {
    const char *operation;   /* "load", "query", "info": the shadow log's names */
    const char *dataset;     /* normalised dataset name */
    const char *detail;      /* table or SQL text; may be NULL */
    bool ordered;            /* the read promises a row order (shadow compares
                                rows as a multiset otherwise) */
    mdm_router_read_fn fn;
    void *ctx;
} mdm_router_read;

/* Runs the read on route->serve; under shadow, also on the candidate and
 * records the comparison. Returns the serving side's status and table.
 * out: initialised; receives the served table. */
MDM_NODISCARD mdm_status mdm_router_run_read(mdm_router *r, const mdm_route *route,
                                             const mdm_router_read *rd, mdm_table *out,
                                             mdm_error *err);

/* One write of a table through a route. Strings, t and tables are borrowed. */
typedef struct mdm_router_write {
    const char *dataset;       /* normalised dataset name (the log's and evidence's) */
    const char *db;            /* its database */
    const char *table;         /* with t */
    const mdm_table *t;        /* the rows; or NULL, and `tables` */
    mdm_if_exists mode;
    mdm_store_progress fn;     /* may be NULL */
    void *ctx;
    /* Without t: tables whose rows come in chunks. Where the route writes
     * at once (mdm_router_writes_at_once) all ntables go in one
     * transaction, a chunk at a time (memory is one chunk); else ntables
     * must be 1, and its rows are gathered into one table. */
    const mdm_table_rows *tables;
    size_t ntables;
    bool fresh;                /* with tables: db is a SQLite database this write
                                * made and holds no table (the caller holds its
                                * lock): the store may build it anew (build_rows) */
} mdm_router_write;

/* Does the route write tables from row sources in chunks, several in one
 * transaction (the modern store serving, no shadow)? Legacy writes whole
 * frames, one table at a time, and a shadow write compares whole tables. */
bool mdm_router_writes_at_once(const mdm_route *route);

/*
 * Writes w->t on route->serve. Under writes shadow the candidate (modern)
 * writes the same table into a scratch copy as well: SQLite, a scratch file
 * beside the dataset's ("<db>.shadow", same table name); PostgreSQL, the
 * table MDM_STORE_SCRATCH_TABLE in the dataset's database, which the
 * stores' `tables` never list. Before legacy writes, an existing table is
 * copied into the scratch (its rows for an append, its columns for fail)
 * so the candidate meets what legacy met. Then both tables are read back
 * through the modern store and reconciled (mdm_shadow_call's checks),
 * the comparison recorded as "writes" evidence (operation "create",
 * "append" or "replace": the harness's verbs) and a difference logged,
 * and the scratch removed. One found at the start was left by a writer
 * that died (the caller holds the dataset's write lock): it is removed
 * first. Whatever the candidate does, the caller gets legacy's status and
 * error, and the real dataset only ever sees legacy's write.
 */
MDM_NODISCARD mdm_status mdm_router_run_write(mdm_router *r, const mdm_route *route,
                                              const mdm_router_write *w, mdm_error *err);

/* PostgreSQL: the names of the server's databases, appended to out. The
 * legacy store has no way to list them, so this asks the modern store
 * whatever the flag says (as the program always did). SQLite: UNSUPPORTED
 * (its databases are files, listed by their layout). */
MDM_NODISCARD mdm_status mdm_router_list_databases(mdm_router *r, mdm_strlist *out,
                                                   mdm_error *err);

/* Removes every form of the configured password (mdm_dsn_scrub) from err's
 * message. The router does it to every error it returns and to what the
 * shadow log records; callers that call a store's slots directly do it
 * before a message leaves them. */
void mdm_router_scrub(const mdm_router *r, mdm_error *err);

/* Takes the write lock of database db (mdm_store.h, db_lock), waiting for
 * another writer to finish. One lock whichever implementation writes: it is
 * always the modern store's, as legacy had none. Every write of the
 * program (register, remove, a query that writes) holds it from its first
 * look at the database to its last clean-up. Release with
 * mdm_store_unlock(). */
MDM_NODISCARD mdm_status mdm_router_lock(mdm_router *r, const char *db, mdm_store_lock **out,
                                         mdm_error *err);

/* Removes what a shadow write killed midway leaves beside SQLite database
 * db: its scratch file (<db>.shadow) and that file's -wal, -shm and
 * -journal. Removing a dataset calls it, holding db's lock. Nothing on
 * PostgreSQL, whose scratch table goes with the database. */
void mdm_router_remove_scratch(const mdm_router *r, const char *db);

/* "sqlite" or "postgresql". */
const char *mdm_router_backend(const mdm_router *r);
/* Counts of this router's shadow runs (zeros before the first). */
void mdm_router_shadow_stats(const mdm_router *r, mdm_shadow_stats *out);

#endif
