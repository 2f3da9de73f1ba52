/* SPDX-License-Identifier: MIT */
/*
 * test_support.h - helpers every cmocka test may use: temporary folders and
 * the throwaway PostgreSQL server that ci/run-tests.sh starts.
 *
 * PostgreSQL tests call MDM_TEST_REQUIRE_PG() first: without MDM_PG_DSN the
 * test is skipped (cmocka counts it as skipped, never as passed).
 */
#ifndef MDM_TEST_SUPPORT_H
#define MDM_TEST_SUPPORT_H

#include <stddef.h>

/* Makes a fresh temporary folder; path written to out. Returns 0 on success. */
int mdm_test_tmpdir(char *out, size_t n);
/* Removes a folder and everything in it. */
void mdm_test_rmrf(const char *path);
/* Writes a file with the given contents. Returns 0 on success. */
int mdm_test_write_file(const char *path, const char *data, size_t len);
/* Does this file exist? */
int mdm_test_file_exists(const char *path);

/* The top of the source tree: $MDM_SOURCE_DIR, the current folder, or the
 * first folder above the test binary that holds ci/pg.sh ("." if none). */
void mdm_test_source_dir(char *out, size_t n);

/* MDM_PG_DSN (server-level, dbname=postgres), or NULL when none. */
const char *mdm_test_pg_dsn(void);
/* Creates a database with a unique name (prefix + pid + counter) and writes
 * a DSN for it into dsn_out and its name into db_out. Returns 0 on success. */
int mdm_test_pg_create_db(const char *prefix, char *dsn_out, size_t dsn_n,
                          char *db_out, size_t db_n);
/* Drops a database (WITH (FORCE)); ignores errors. */
void mdm_test_pg_drop_db(const char *dbname);
/* Writes an mdm config file at path for the test server: PostgreSQL the
 * default backend, databases named <prefix>{name}. Returns 1 when written,
 * 0 without a server (nothing written), -1 when it cannot be written. */
int mdm_test_pg_config(const char *path, const char *prefix);
/* Runs one SQL statement on the server-level DSN or on `dsn` when given.
 * Returns 0 on success. */
int mdm_test_pg_exec(const char *dsn, const char *sql);

#define MDM_TEST_REQUIRE_PG()                                   \
    do {                                                        \
        if (mdm_test_pg_dsn() == NULL) {                        \
            print_message("MDM_PG_DSN not set: skipping\n");    \
            skip();                                             \
        }                                                       \
    } while (0)

#endif
