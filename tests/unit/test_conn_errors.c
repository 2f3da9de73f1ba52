/* SPDX-License-Identifier: MIT */
/*
 * test_conn_errors.c - the mdm_conn_* promise about err, held against a
 * backend that breaks it: a failing call leaves its status and a whole
 * message in err even when the backend gave none (or only a context
 * prefix, or a different code); a succeeding call leaves err alone; a
 * NULL err is fine. The real backends' out-of-memory paths are swept by
 * test_modern_fault.c; this backend (a test double: no real backend
 * returns a non-memory error without a message) covers the other words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mdm_backend.h"
#include "mdm_conn.h"

static mdm_status mute_connect(const mdm_conn_config *cfg, mdm_conn **out, mdm_error *err)
{
    (void)cfg;
    (void)err;
    *out = calloc(1, sizeof **out);
    return *out != NULL ? MDM_OK : MDM_ERR_NOMEM;
}

static void mute_disconnect(mdm_conn *c)
{
    free(c);
}

/* table "none": an SQL error without a message; "prefix": out of memory
 * after a context prefix only; "other": a message with another code;
 * anything else exists. */
static mdm_status mute_table_exists(mdm_conn *c, const char *table, bool *out, mdm_error *err)
{
    (void)c;
    if (strcmp(table, "none") == 0)
        return MDM_ERR_SQL;
    if (strcmp(table, "prefix") == 0) {
        mdm_error_prefix(err, "Failed to look up %s", table);
        return MDM_ERR_NOMEM;
    }
    if (strcmp(table, "other") == 0) {
        mdm_error_set(err, MDM_ERR_INTERNAL, "the catalog is unreadable");
        return MDM_ERR_IO;
    }
    *out = true;
    return MDM_OK;
}

static const mdm_backend_ops mute_ops = {
    .version = MDM_BACKEND_OPS_VERSION,
    .name = "mute",
    .connect = mute_connect,
    .disconnect = mute_disconnect,
    .table_exists = mute_table_exists,
};

static mdm_conn *open_mute(void)
{
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_conn *c = NULL;
    mdm_error err;
    cfg.backend = "mute";
    assert_int_equal(mdm_conn_open(&mute_ops, &cfg, &c, &err), MDM_OK);
    return c;
}

static void conn_errors__a_failure_without_a_message_gets_words(void **state)
{
    (void)state;
    mdm_conn *c = open_mute();
    mdm_error err;
    bool exists = false;
    mdm_error_set(&err, MDM_ERR_EXISTS, "stale");
    assert_int_equal(mdm_conn_table_exists(c, "none", &exists, &err), MDM_ERR_SQL);
    assert_int_equal(err.code, MDM_ERR_SQL);
    assert_string_equal(err.message, "sql error (the backend gave no message)");

    assert_int_equal(mdm_conn_table_exists(c, "prefix", &exists, &err), MDM_ERR_NOMEM);
    assert_int_equal(err.code, MDM_ERR_NOMEM);
    assert_string_equal(err.message, "Failed to look up prefix: out of memory");

    /* the backend's own message stays; the code is the one returned */
    assert_int_equal(mdm_conn_table_exists(c, "other", &exists, &err), MDM_ERR_IO);
    assert_int_equal(err.code, MDM_ERR_IO);
    assert_string_equal(err.message, "the catalog is unreadable");
    mdm_conn_close(c);
}

static void conn_errors__success_leaves_err_alone(void **state)
{
    (void)state;
    mdm_conn *c = open_mute();
    mdm_error err;
    bool exists = false;
    mdm_error_set(&err, MDM_ERR_CONNECTION, "an earlier failure");
    assert_int_equal(mdm_conn_table_exists(c, "t", &exists, &err), MDM_OK);
    assert_true(exists);
    assert_int_equal(err.code, MDM_ERR_CONNECTION);
    assert_string_equal(err.message, "an earlier failure");
    /* no err at all */
    assert_int_equal(mdm_conn_table_exists(c, "none", &exists, NULL), MDM_ERR_SQL);
    /* an optional slot this backend lacks */
    assert_int_equal(mdm_conn_ping(c, &err), MDM_ERR_NOT_IMPLEMENTED);
    assert_non_null(strstr(err.message, "backend 'mute' does not implement ping"));
    mdm_conn_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conn_errors__a_failure_without_a_message_gets_words),
        cmocka_unit_test(conn_errors__success_leaves_err_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
