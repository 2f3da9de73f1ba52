/* SPDX-License-Identifier: MIT */
/*
 * cmp_pg.h - the PostgreSQL plumbing of mdm-compare: is a server there,
 * a conninfo for one database on it, its connection parameters for
 * legacy's old config, and creating and dropping the fresh database of
 * every cell (libpq, on the server MDM_PG_DSN names).
 */
#ifndef MDM_CMP_PG_H
#define MDM_CMP_PG_H

#include <stddef.h>

#include "mdm_buf.h"
#include "mdm_status.h"

/* Connection parameters of a DSN (each malloc'd or NULL). */
typedef struct mdm_cmp_pg_params {
    char *host, *port, *user, *password, *sslmode;
} mdm_cmp_pg_params;

void mdm_cmp_pg_params_reset(mdm_cmp_pg_params *p);   /* frees; zeroes */

/* Parses a libpq conninfo or URI. CONFIG when it does not parse. */
MDM_NODISCARD mdm_status mdm_cmp_pg_params_parse(const char *dsn, mdm_cmp_pg_params *out,
                                                 mdm_error *err);

/* Appends to out a conninfo for database `dbname` on dsn's server. */
MDM_NODISCARD mdm_status mdm_cmp_pg_dsn_for(const char *dsn, const char *dbname, mdm_buf *out,
                                            mdm_error *err);

/* Runs one statement on dsn; CONNECTION or SQL with the server's message. */
MDM_NODISCARD mdm_status mdm_cmp_pg_exec(const char *dsn, const char *sql, mdm_error *err);

/* CREATE DATABASE "name" / DROP DATABASE IF EXISTS "name" WITH (FORCE). */
MDM_NODISCARD mdm_status mdm_cmp_pg_create_db(const char *dsn, const char *name, mdm_error *err);
MDM_NODISCARD mdm_status mdm_cmp_pg_drop_db(const char *dsn, const char *name, mdm_error *err);

/* Server version text ("15.20") into buf, or CONNECTION. */
MDM_NODISCARD mdm_status mdm_cmp_pg_ping(const char *dsn, char *buf, size_t n, mdm_error *err);

#endif
