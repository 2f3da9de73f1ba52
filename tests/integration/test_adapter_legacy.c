/* SPDX-License-Identifier: MIT */
/*
 * test_adapter_legacy.c - the adapter's legacy path (adapter/
 * mdm_adapter_legacy.c) where it can fail on its own: a backend modern's
 * registry knows but legacy's factory does not, a legacy configuration that
 * does not load, a PostgreSQL engine legacy cannot build, and a database
 * that cannot be opened. Everything runs against the real legacy/; needs
 * it, hence the name (dropped from LEGACY=0 builds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example_backend.h"
#include "legacy_db.h"
#include "mdm_adapter.h"
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

/* A registry with a third backend: modern can serve it, legacy's factory
 * (two hard-wired types) refuses it with its own message (LEGACY.md 8),
 * for the legacy path and for shadow, which opens legacy too. */
static void legacy_path__a_backend_only_modern_knows(void **state)
{
    fx *f = *state;
    mdm_registry *reg = NULL;
    mdm_adapter *a = NULL;
    mdm_error err;
    char log[400];
    snprintf(log, sizeof log, "%s/shadow.jsonl", f->dir);
    assert_int_equal(mdm_registry_new(&reg, &err), MDM_OK);
    assert_int_equal(mdm_registry_add_builtins(reg, &err), MDM_OK);
    assert_int_equal(mdm_registry_add(reg, "example", mdm_example_backend(), &err), MDM_OK);

    mdm_adapter_opts o = opts(f, MDM_IMPL_MODERN);
    o.backend = "example";
    o.registry = reg;
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_OK);
    assert_int_equal(mdm_adapter_impl(a), MDM_IMPL_MODERN);
    mdm_adapter_free(a);
    a = NULL;

    const mdm_impl refused[] = {MDM_IMPL_LEGACY, MDM_IMPL_SHADOW};
    for (size_t i = 0; i < 2; i++) {
        o.impl = refused[i];
        o.shadow_log = log;
        mdm_error_clear(&err);
        assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_ERR_UNSUPPORTED);
        assert_null(a);
        assert_non_null(strstr(err.message, "Unsupported backend type: example."));
    }
    /* without an error struct, the status alone still says it */
    o.impl = MDM_IMPL_LEGACY;
    assert_int_equal(mdm_adapter_new(&a, &o, NULL), MDM_ERR_UNSUPPORTED);
    assert_null(a);
    mdm_registry_free(reg);
}

/* The old configuration mapping is handed to legacy as it is; a value
 * legacy cannot read fails the adapter, with legacy's message. */
static void legacy_path__a_bad_legacy_config_is_refused(void **state)
{
    fx *f = *state;
    static const char yaml[] = "sqlite:\n  pool_size: many\n";
    mdm_conf *conf = NULL;
    mdm_adapter *a = NULL;
    mdm_error err;
    assert_int_equal(mdm_conf_load_string(yaml, strlen(yaml), "bad.yaml", &conf, &err), MDM_OK);
    mdm_adapter_opts o = opts(f, MDM_IMPL_LEGACY);
    o.legacy_config = &conf->root;
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_ERR_CONFIG);
    assert_null(a);
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

/* A database that cannot be opened: legacy's engine is made lazily, so
 * get_engine succeeds and the first inspection fails; the caller's list
 * keeps what it held (it is replaced on success only). */
static void legacy_path__table_names_of_a_database_that_cannot_open(void **state)
{
    fx *f = *state;
    char path[400];
    mdm_adapter *a = NULL;
    mdm_adapter_engine *e = NULL;
    mdm_strlist names;
    mdm_error err;
    snprintf(path, sizeof path, "%s/no/such/folder/db.sqlite", f->dir);
    mdm_adapter_opts o = opts(f, MDM_IMPL_LEGACY);
    assert_int_equal(mdm_adapter_new(&a, &o, &err), MDM_OK);
    assert_int_equal(mdm_adapter_get_engine(a, path, &e, &err), MDM_OK);
    mdm_strlist_init(&names);
    assert_int_equal(mdm_strlist_push(&names, "kept", &err), MDM_OK);
    assert_int_not_equal(mdm_adapter_get_table_names(a, e, &names, &err), MDM_OK);
    assert_true(err.message[0] != '\0');
    assert_int_equal(names.count, 1);
    assert_string_equal(names.items[0], "kept");
    assert_false(mdm_test_file_exists(path));
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
