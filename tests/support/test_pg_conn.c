/* SPDX-License-Identifier: MIT */
/*
 * test_pg_conn.c - see test_pg_conn.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "test_pg_conn.h"
#include "test_support.h"

int mdm_test_pg_open(mdm_test_pg *p, const char *prefix)
{
    const mdm_conn_config init = MDM_CONN_CONFIG_INIT;
    mdm_error err;
    memset(p, 0, sizeof *p);
    p->cfg = init;
    p->cfg.backend = "postgresql";
    if (mdm_test_pg_dsn() == NULL)
        return 0;
    if (mdm_test_pg_create_db(prefix, p->dsn, sizeof p->dsn, p->db, sizeof p->db) != 0)
        return -1;
    p->cfg.dsn = p->dsn;
    if (mdm_conn_open(mdm_pg_backend(), &p->cfg, &p->c, &err) != MDM_OK) {
        print_error("%s: %s\n", p->db, err.message);
        return -1;
    }
    return 0;
}

void mdm_test_pg_close(mdm_test_pg *p)
{
    mdm_conn_close(p->c);
    p->c = NULL;
    if (p->db[0] != '\0')
        mdm_test_pg_drop_db(p->db);
    p->db[0] = '\0';
}

void mdm_test_sql_result(mdm_conn *c, const char *sql, mdm_query_result *r)
{
    mdm_error err;
    mdm_query_result_init(r);
    MDM_TEST_OK(mdm_conn_execute_query(c, sql, NULL, 0, r, &err));
}

void mdm_test_sql(mdm_conn *c, const char *sql)
{
    mdm_query_result r;
    mdm_test_sql_result(c, sql, &r);
    mdm_query_result_reset(&r);
}

int64_t mdm_test_sql_int(mdm_conn *c, const char *sql)
{
    mdm_query_result r;
    mdm_test_sql_result(c, sql, &r);
    assert_int_equal(r.table.nrows, 1);
    int64_t v = mdm_table_int64(&r.table, 0, 0);
    mdm_query_result_reset(&r);
    return v;
}
