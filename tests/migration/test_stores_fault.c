/* SPDX-License-Identifier: MIT */
/*
 * test_stores_fault.c - allocation failures in the router and the stores,
 * the one failure that cannot be provoked for real (the failing allocator
 * of test_fault_alloc.h: the Nth allocation made from this program's own
 * code fails). Each scenario runs with N = 1, 2, 3, ... until it completes
 * without reaching the failure. Every run must end in a status, never a
 * crash; a run that succeeds must have the right answer; and some runs must
 * end in the router's or a store's own "out of memory". Under
 * AddressSanitizer (which owns malloc) the tests skip.
 */
#define _GNU_SOURCE   /* dladdr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_router.h"
#include "mdm_store.h"
#include "test_fault_alloc.h"
#include "test_support.h"

typedef struct run_ctx {
    char dir[256], db[320], log[320];
    int nomem, ok;
} run_ctx;

/* Runs one (armed) attempt after another until one completes untouched;
 * returns how many failures were injected. */
static int sweep(const char *name, run_ctx *k,
                 mdm_status (*attempt)(run_ctx *k, mdm_error *err))
{
    for (long n = 1; n < 100000; n++) {
        mdm_error err;
        mdm_error_clear(&err);
        fault_arm(n);
        mdm_status rc = attempt(k, &err);
        int hit = fault_disarm();
        if (rc == MDM_OK)
            k->ok++;
        else if (rc == MDM_ERR_NOMEM && strstr(err.message, "out of memory") != NULL)
            k->nomem++;
        else if (err.message[0] == '\0')
            fail_msg("%s, failure %ld: %s without a message", name, n, mdm_status_name(rc));
        if (!hit) {
            assert_int_equal(rc, MDM_OK);   /* untouched: must work */
            print_message("%s: %ld allocation failures survived\n", name, n - 1);
            return (int)(n - 1);
        }
    }
    fail_msg("%s: never completed", name);
    return 0;
}

/* A PostgreSQL router from the server's parts, with a shadow log: every
 * setting copied, the DSN and legacy's mapping derived. No connection. */
static mdm_status make_pg_router(run_ctx *k, mdm_error *err)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    memset(&set, 0, sizeof set);
    set.backend = "postgresql";
    set.journal_mode = "WAL";
    set.synchronous = "NORMAL";
    set.temp_store = "MEMORY";
    set.pg_host = "/tmp/nowhere";
    set.pg_port = "5432";
    set.pg_user = "mdm";
    set.pg_password = "secret";
    set.pg_sslmode = "disable";
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, k->log, NULL, NULL, NULL};
    mdm_status rc = mdm_router_new(&r, &ro, err);
    mdm_router_free(r);
    return rc;
}

static void fault__router_settings(void **state)
{
    (void)state;
#ifdef MDM_FAULT_OFF
    skip();
#endif
    run_ctx k;
    memset(&k, 0, sizeof k);
    snprintf(k.log, sizeof k.log, "/tmp/shadow.jsonl");
    assert_true(sweep("router settings", &k, make_pg_router) > 0);
    assert_true(k.nomem > 0);
}

static mdm_status read_train(void *ctx, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    (void)dry;
    return s->ops->read(s, ctx, "train", &ro, out, err);
}

/* A shadow read from a fresh router: both stores made on the way, the
 * candidate possibly not (then the run records a candidate error and
 * still answers with legacy's table). */
static mdm_status shadow_read(run_ctx *k, mdm_error *err)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_route rt;
    mdm_table got;
    memset(&set, 0, sizeof set);
    set.backend = "sqlite";
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    mdm_flag_settings_init(&flags);
    flags.reads.mode = MDM_IMPL_SHADOW;
    flags.reads.percent = 100;
    mdm_table_init(&got);
    mdm_router_opts ro = {&set, &flags, k->log, NULL, NULL, NULL};
    mdm_status rc = mdm_router_new(&r, &ro, err);
    if (rc == MDM_OK)
        rc = mdm_router_route(r, MDM_FLAG_OP_READ, "d", &rt, err);
    if (rc == MDM_OK) {
        mdm_router_read rd = {"load", "d", "train", false, read_train, k->db};
        rc = mdm_router_run_read(r, &rt, &rd, &got, err);
    }
    if (rc == MDM_OK && got.nrows != 2)
        fail_msg("a shadow read that succeeded has %zu rows", got.nrows);
    mdm_table_reset(&got);
    mdm_router_free(r);
    return rc;
}

/* The same through the modern store alone: its pool for the database made
 * on first use. */
static mdm_status modern_read(run_ctx *k, mdm_error *err)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_store *s = NULL;
    mdm_table got;
    memset(&set, 0, sizeof set);
    set.backend = "sqlite";
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    mdm_flag_settings_init(&flags);
    mdm_table_init(&got);
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    mdm_status rc = mdm_router_new(&r, &ro, err);
    if (rc == MDM_OK)
        rc = mdm_router_store(r, MDM_IMPL_MODERN, &s, err);
    if (rc == MDM_OK)
        rc = read_train(k->db, s, false, &got, err);
    if (rc == MDM_OK && got.nrows != 2)
        fail_msg("a read that succeeded has %zu rows", got.nrows);
    mdm_table_reset(&got);
    mdm_router_free(r);
    return rc;
}

/* The database the reads read: two rows, written by the modern store
 * before anything is armed. */
static void prepare_db(run_ctx *k)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_store *s = NULL;
    mdm_table t;
    mdm_error err;
    assert_int_equal(mdm_test_tmpdir(k->dir, sizeof k->dir), 0);
    snprintf(k->db, sizeof k->db, "%s/d.sqlite", k->dir);
    snprintf(k->log, sizeof k->log, "%s/shadow.jsonl", k->dir);
    memset(&set, 0, sizeof set);
    set.backend = "sqlite";
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    mdm_table_init(&t);
    assert_int_equal(mdm_table_add_column(&t, "id", MDM_INT64, &err), MDM_OK);
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(mdm_table_push_int64(&t, 0, i, &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(&t, &err), MDM_OK);
    }
    assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_OK);
    assert_int_equal(mdm_router_store(r, MDM_IMPL_MODERN, &s, &err), MDM_OK);
    assert_int_equal(s->ops->db_create(s, k->db, &err), MDM_OK);
    assert_int_equal(s->ops->write(s, k->db, "train", &t, MDM_IF_EXISTS_FAIL, NULL, NULL, &err),
                     MDM_OK);
    mdm_router_free(r);
    mdm_table_reset(&t);
}

/* The dataset write lock from a fresh router: SQLite's lock file, or (with
 * a server) PostgreSQL's advisory lock on its own connection. */
static mdm_status lock_once(run_ctx *k, const char *backend, const char *db, mdm_error *err)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_store_lock *l = NULL;
    (void)k;
    memset(&set, 0, sizeof set);
    set.backend = backend;
    set.pg_dsn = mdm_test_pg_dsn();
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    mdm_status rc = mdm_router_new(&r, &ro, err);
    if (rc == MDM_OK)
        rc = mdm_router_lock(r, db, &l, err);
    mdm_store_unlock(l);
    mdm_router_free(r);
    return rc;
}

static mdm_status sqlite_lock(run_ctx *k, mdm_error *err)
{
    return lock_once(k, "sqlite", k->db, err);
}

static mdm_status pg_lock(run_ctx *k, mdm_error *err)
{
    return lock_once(k, "postgresql", "mdm_fault_lock", err);
}

static void fault__write_locks(void **state)
{
    (void)state;
#ifdef MDM_FAULT_OFF
    skip();
#endif
    run_ctx k;
    memset(&k, 0, sizeof k);
    prepare_db(&k);
    assert_true(sweep("sqlite lock", &k, sqlite_lock) > 0);
    if (mdm_test_pg_dsn() != NULL)
        assert_true(sweep("postgresql lock", &k, pg_lock) > 0);
    assert_true(k.nomem > 0);
    mdm_test_rmrf(k.dir);
}

static void fault__shadow_reads_and_stores(void **state)
{
    (void)state;
#ifdef MDM_FAULT_OFF
    skip();
#endif
    run_ctx k;
    memset(&k, 0, sizeof k);
    prepare_db(&k);
    assert_true(sweep("shadow read", &k, shadow_read) > 0);
    assert_true(sweep("modern read", &k, modern_read) > 0);
    assert_true(k.nomem > 0);
    mdm_test_rmrf(k.dir);
}

int main(void)
{
    if (fault_init() != 0)
        return 1;
    fault_only_ours = 1;   /* mdm's allocations only: not SQLite's or libc's */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fault__router_settings),
        cmocka_unit_test(fault__shadow_reads_and_stores),
        cmocka_unit_test(fault__write_locks),
    };
    return cmocka_run_group_tests_name("stores_fault", tests, NULL, NULL);
}
