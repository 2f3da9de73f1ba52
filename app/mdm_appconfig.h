/* SPDX-License-Identifier: MIT */
/*
 * mdm_appconfig.h - the app's configuration file: the old format
 * (`database:` with per-backend sections) and the new one (`storage:` with
 * `connection_pool`, `backends.<name>.path_template` and `options`), each
 * with an optional `rollout:` section for the storage flag.
 *
 * Loading validates every key and value and fails on the first problem with
 * "<file>:<line>: ..." naming the full dotted key. The result is one
 * caller-owned struct of effective settings. mdm_app_config_migrate()
 * rewrites an old file in the new format without losing a setting.
 */
#ifndef MDM_APPCONFIG_H
#define MDM_APPCONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_buf.h"
#include "mdm_conf.h"
#include "mdm_flag.h"
#include "mdm_rollout.h"
#include "mdm_store.h"   /* mdm_pool_opts: the stores' pools */
#include "mdm_status.h"

typedef enum mdm_app_conf_format {
    MDM_APPCONF_NONE = 0,   /* no file, or neither database: nor storage: */
    MDM_APPCONF_OLD,        /* database: */
    MDM_APPCONF_NEW         /* storage: */
} mdm_app_conf_format;

enum { MDM_APP_SQLITE = 0, MDM_APP_POSTGRESQL = 1 };

typedef struct mdm_app_config {
    char source[1024];              /* the file read; "" for defaults */
    mdm_app_conf_format format;
    char backend[16];               /* "sqlite" (default) or "postgresql" */
    /* SQLite: the dataset file template ("{name}" once; "~/" expanded at
     * use); NULL: <home>/datasets/{name}/dataset.sqlite. */
    char *sqlite_path;
    char *journal_mode, *synchronous, *temp_store;   /* NULL: defaults */
    int64_t cache_size, mmap_size;
    int busy_timeout_ms;
    /* PostgreSQL: database name template (NULL: "mdm_{name}") and the
     * server: a DSN, or host/port/user/password/sslmode. */
    char *pg_path;
    char *pg_dsn, *pg_host, *pg_port, *pg_user, *pg_password, *pg_sslmode;
    int pg_connect_timeout;
    /* Pools per backend (MDM_APP_SQLITE, MDM_APP_POSTGRESQL): defaults,
     * then storage.connection_pool, then backends.<name>.connection_pool. */
    mdm_pool_opts pool[2];
    /* The flag: defaults plus the file's rollout: section (config layer). */
    mdm_flag_settings flags;
    /* rollout.policy: what `mdm rollout advance` decides by. */
    mdm_rollout_policy policy;
} mdm_app_config;

/* Defaults (no file). Free with mdm_app_config_reset(). */
void mdm_app_config_init(mdm_app_config *c);
void mdm_app_config_reset(mdm_app_config *c);   /* frees strings; NULL ok */

/* Loads and validates a parsed file into c (initialised first). Returns
 * OK or CONFIG with "<file>:<line>: unknown key 'storage.backends.x'",
 * "<file>:<line>: key 'storage.connection_pool.size': expected ..., got
 * '...'" and the like; c is left at the defaults on error. */
MDM_NODISCARD mdm_status mdm_app_config_load_tree(mdm_app_config *c, const mdm_conf *conf,
                                                  mdm_error *err);
/* Same, from a file (PARSE and IO errors from the YAML loader; a missing
 * file is IO). */
MDM_NODISCARD mdm_status mdm_app_config_load_file(mdm_app_config *c, const char *path,
                                                  mdm_error *err);

/*
 * mdm_app_config_migrate - the new-format tree for a validated old-format
 * file (a new-format file comes back as it is). Values keep their text and
 * quoting. database.X.pool settings go to storage.backends.X.connection_pool
 * (pools were per backend); database.postgresql.database_prefix P becomes
 * storage.backends.postgresql.path_template "P{name}". The result loads to
 * the same effective settings. Caller frees *out with mdm_conf_free().
 */
MDM_NODISCARD mdm_status mdm_app_config_migrate(const mdm_conf *old, mdm_conf **out,
                                                mdm_error *err);

/* Appends every effective setting as "key = value\n", sorted by key (the
 * flag's values without their sources); two configs with the same dump
 * behave the same. */
MDM_NODISCARD mdm_status mdm_app_config_dump(const mdm_app_config *c, mdm_buf *out,
                                             mdm_error *err);

/* The pool options of the configured backend. */
const mdm_pool_opts *mdm_app_config_pool(const mdm_app_config *c);

#endif
