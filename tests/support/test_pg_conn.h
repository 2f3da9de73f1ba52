/* SPDX-License-Identifier: MIT */
/*
 * test_pg_conn.h - a modern connection to a PostgreSQL database of the
 * test's own (made on the throwaway server, dropped at the end), and
 * one-line SQL helpers that fail the test with the error. For cmocka test
 * programs (include cmocka.h first).
 */
#ifndef MDM_TEST_PG_CONN_H
#define MDM_TEST_PG_CONN_H

#include <stdint.h>

#include "mdm_backend.h"
#include "mdm_conn.h"

typedef struct mdm_test_pg {
    char dsn[768], db[128];     /* db[0] == '\0': none made */
    mdm_conn_config cfg;
    mdm_conn *c;
} mdm_test_pg;

/* Fails the test when call does not return OK; needs an mdm_error err. */
#define MDM_TEST_OK(call)                                                          \
    do {                                                                           \
        mdm_status rc_ = (call);                                                   \
        if (rc_ != MDM_OK)                                                         \
            fail_msg("%s: %s: %s", #call, mdm_status_name(rc_), err.message);      \
    } while (0)

/* Makes a database named prefix_<pid>_<n> and opens p->c on it. Returns 0,
 * also when there is no server (p->c stays NULL: the tests skip through
 * MDM_TEST_REQUIRE_PG), or -1 after printing why. */
int mdm_test_pg_open(mdm_test_pg *p, const char *prefix);
/* Closes the connection and drops the database. */
void mdm_test_pg_close(mdm_test_pg *p);

/* Runs sql (no parameters) on c; the result into r (initialised here). */
void mdm_test_sql_result(mdm_conn *c, const char *sql, mdm_query_result *r);
/* Runs sql, dropping any result. */
void mdm_test_sql(mdm_conn *c, const char *sql);
/* Runs sql, which must give one row; its first column as an integer. */
int64_t mdm_test_sql_int(mdm_conn *c, const char *sql);

#endif
