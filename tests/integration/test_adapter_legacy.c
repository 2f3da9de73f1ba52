/* SPDX-License-Identifier: MIT */
/*
 * test_adapter_legacy.c - the legacy path (adapter/mdm_adapter_legacy.c,
 * called by the legacy store) where it can fail on its own: a backend
 * legacy's factory does not know, a legacy configuration that does not
 * load (both at the legacy store, which opens legacy), a PostgreSQL engine
 * legacy cannot build, and a database that cannot be opened (through the
 * adapter, which routes to the legacy store). Everything runs against the
 * real legacy/; needs it, hence the name (dropped from LEGACY=0 builds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "example_backend.h"
#include "legacy_db.h"
#include "mdm_adapter.h"
#include "mdm_store_impl.h"
#include "test_support.h"

typedef struct fx {
    char dir[256];
    FILE *warn;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    f->warn = tmpfile();
    *state = f;
    legacy_reset_all();
    return f->warn != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    legacy_reset_all();
    if (f != NULL) {
        if (f->warn != NULL)
            fclose(f->warn);
        mdm_test_rmrf(f->dir);
    }
    free(f);
    return 0;
}

static mdm_adapter_opts opts(fx *f, mdm_impl impl)
{
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    o.impl = impl;
    o.warn = f->warn;
    o.deprecation_warning = false;
    return o;
}

/* A store config for legacy. */
static mdm_store_cfg store_cfg(fx *f, const char *backend)
{
    mdm_store_cfg c = {0};
    mdm_conn_config conn = MDM_CONN_CONFIG_INIT;
    mdm_pool_opts pool = MDM_POOL_OPTS_INIT;
    c.backend = backend;
    c.conn = conn;
    c.pool = pool;
    c.warn = f->warn;
    return c;
}

/* A backend modern's registry can be taught (the example backend) is
 * still unknown to legacy's factory (two hard-wired types), which refuses
 * it with its own message (LEGACY.md 8) when the legacy store opens it.
 * The adapter no longer takes a registry: it knows the router's two
 * backends and refuses any other, whatever the implementation. */
static void legacy_path__a_backend_only_modern_knows(void **state)
{
    fx *f = *state;
    mdm_store *s = NULL;
    mdm_adapter *a = NULL;
    mdm_error err;
    char log[400];
    snprintf(log, sizeof log, "%s/shadow.jsonl", f->dir);
    (void)mdm_example_backend();
    mdm_store_cfg c = store_cfg(f, "example");
    assert_int_equal(mdm_store_legacy_new(&c, &s, &err), MDM_ERR_UNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(err.message, "Unsupported backend type: example."));
    /* without an error struct, the status alone still says it */
    assert_int_equal(mdm_store_legacy_new(&c, &s, NULL), MDM_ERR_UNSUPPORTED);
    assert_null(s);

    const mdm_impl all[] = {MDM_IMPL_MODERN, MDM_IMPL_LEGACY, MDM_IMPL_SHADOW};
    mdm_adapter_opts o = opts(f, MDM_IMPL_MODERN);
    o.backend = "example";
    o.shadow_log = log;
    for (size_t i = 0; i < 3; i++) {
        o.impl = all[i];
        assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_ERR_CONFIG);
        assert_null(a);
        assert_string_equal(err.message, "unknown backend type 'example'; known: postgresql, sqlite");
    }
}

/* The old configuration mapping is handed to legacy as it is; a value
 * legacy cannot read fails the legacy store, with legacy's message. (The
 * adapter no longer takes a mapping of its own: the router derives it
 * from the settings, as for the program.) */
static void legacy_path__a_bad_legacy_config_is_refused(void **state)
{
    fx *f = *state;
    static const char yaml[] = "sqlite:\n  pool_size: many\n";
    mdm_conf *conf = NULL;
    mdm_store *s = NULL;
    mdm_error err;
    assert_int_equal(mdm_conf_load_string(yaml, strlen(yaml), "bad.yaml", &conf, &err), MDM_OK);
    mdm_store_cfg c = store_cfg(f, "sqlite");
    c.legacy_config = &conf->root;
    assert_int_equal(mdm_store_legacy_new(&c, &s, &err), MDM_ERR_CONFIG);
    assert_null(s);
    assert_string_equal(err.message, "pool_size: expected a number, got 'many'");
    mdm_conf_free(conf);
}

/* Legacy builds a PostgreSQL URL from its configuration and needs a user
 * (LEGACY.md 2); without one get_engine fails and hands out no engine. No
 * server is needed: nothing connects before the URL exists. */
static void legacy_path__postgresql_engine_without_a_user(void **state)
{
    fx *f = *state;
    mdm_adapter *a = NULL;
    mdm_adapter_engine *e = NULL;
    mdm_table t;
    mdm_error err;
    mdm_adapter_opts o = opts(f, MDM_IMPL_LEGACY);
    o.backend = "postgresql";
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_OK);
    assert_int_equal(mdm_adapter_get_engine(a, "mdm_nobody", &e, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "PostgreSQL user not configured");
    assert_null(e);
    /* no engine became current either */
    mdm_table_init(&t);
    assert_int_not_equal(mdm_adapter_query(a, "SELECT 1", &t, &err), MDM_OK);
    mdm_table_reset(&t);
    mdm_adapter_free(a);
}

/* A database that cannot be opened. get_engine now asks the write route's
 * store whether the database exists and has it made when not (legacy's
 * create makes missing folders too), so the old case (an engine for a
 * path under a missing folder, made lazily, failing at the first
 * inspection) cannot arise any more. The inspection failure is kept: an
 * engine whose file became a folder fails in legacy's get_table_names, and
 * the caller's list keeps what it held (it is replaced on success only). */
static void legacy_path__table_names_of_a_database_that_cannot_open(void **state)
{
    fx *f = *state;
    char db[400];
    mdm_adapter *a = NULL;
    mdm_adapter_engine *e = NULL;
    mdm_strlist names;
    mdm_error err;
    snprintf(db, sizeof db, "%s/db.sqlite", f->dir);
    mdm_adapter_opts o = opts(f, MDM_IMPL_LEGACY);
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_OK);
    assert_int_equal(mdm_adapter_get_engine(a, db, &e, &err), MDM_OK);
    assert_int_equal(unlink(db), 0);
    assert_int_equal(mkdir(db, 0700), 0);
    mdm_strlist_init(&names);
    assert_int_equal(mdm_strlist_push(&names, "kept", &err), MDM_OK);
    assert_int_not_equal(mdm_adapter_get_table_names(a, e, &names, &err), MDM_OK);
    assert_true(err.message[0] != '\0');
    assert_int_equal(names.count, 1);
    assert_string_equal(names.items[0], "kept");
    mdm_strlist_reset(&names);
    mdm_adapter_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(legacy_path__a_backend_only_modern_knows, setup, teardown),
        cmocka_unit_test_setup_teardown(legacy_path__a_bad_legacy_config_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(legacy_path__postgresql_engine_without_a_user, setup, teardown),
        cmocka_unit_test_setup_teardown(legacy_path__table_names_of_a_database_that_cannot_open, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
