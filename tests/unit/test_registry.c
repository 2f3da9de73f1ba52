/* SPDX-License-Identifier: MIT */
/*
 * test_registry.c - the backend registry and factory: built-ins, the exact
 * unknown-backend error, adding a backend in one line, the slot checks that
 * refuse incomplete tables, and iteration in registration order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "example_backend.h"
#include "mdm_backend.h"
#include "mdm_registry.h"
#include "test_support.h"

static mdm_registry *new_builtins(void)
{
    mdm_registry *r = NULL;
    mdm_error err;
    assert_int_equal(mdm_registry_new(&r, &err), MDM_OK);
    assert_int_equal(mdm_registry_add_builtins(r, &err), MDM_OK);
    return r;
}

static void registry__builtins_are_sqlite_and_postgresql(void **state)
{
    (void)state;
    mdm_registry *r = new_builtins();
    assert_int_equal(mdm_registry_count(r), 2);
    assert_ptr_equal(mdm_registry_find(r, "sqlite"), mdm_sqlite_backend());
    assert_ptr_equal(mdm_registry_find(r, "postgresql"), mdm_pg_backend());
    assert_string_equal(mdm_registry_name_at(r, 0), "sqlite");
    assert_string_equal(mdm_registry_name_at(r, 1), "postgresql");
    assert_ptr_equal(mdm_registry_ops_at(r, 1), mdm_pg_backend());
    assert_null(mdm_registry_name_at(r, 2));
    assert_null(mdm_registry_ops_at(r, 2));
    assert_null(mdm_registry_find(r, "SQLite"));   /* names are case-sensitive */
    assert_null(mdm_registry_find(r, NULL));
    mdm_registry_free(r);
}

static void registry__unknown_backend_names_the_known_ones(void **state)
{
    (void)state;
    mdm_registry *r = new_builtins();
    const mdm_backend_ops *ops = NULL;
    mdm_error err;
    assert_int_equal(mdm_registry_create(r, "x", &ops, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "unknown backend type 'x'; known: postgresql, sqlite");
    assert_null(ops);
    assert_int_equal(mdm_registry_create(r, NULL, &ops, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "unknown backend type ''; known: postgresql, sqlite");
    assert_int_equal(mdm_registry_create(r, "sqlite", &ops, &err), MDM_OK);
    assert_ptr_equal(ops, mdm_sqlite_backend());
    assert_int_equal(mdm_registry_create(NULL, "sqlite", &ops, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_registry_create(r, "sqlite", NULL, &err), MDM_ERR_INVALID_ARG);
    mdm_registry_free(r);
}

static void registry__empty_registry_knows_nothing(void **state)
{
    (void)state;
    mdm_registry *r = NULL;
    const mdm_backend_ops *ops = NULL;
    mdm_error err;
    assert_int_equal(mdm_registry_new(&r, &err), MDM_OK);
    assert_int_equal(mdm_registry_count(r), 0);
    assert_int_equal(mdm_registry_create(r, "sqlite", &ops, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "unknown backend type 'sqlite'; known: ");
    assert_int_equal(mdm_registry_new(NULL, &err), MDM_ERR_INVALID_ARG);
    mdm_registry_free(r);
    mdm_registry_free(NULL);
    assert_int_equal(mdm_registry_count(NULL), 0);
}

static void registry__example_backend_is_one_line(void **state)
{
    (void)state;
    mdm_registry *r = new_builtins();
    mdm_error err;
    mdm_strlist names;
    const mdm_backend_ops *ops = NULL;

    /* the one registration line: */
    assert_int_equal(mdm_registry_add(r, "example", mdm_example_backend(), &err), MDM_OK);

    assert_int_equal(mdm_registry_create(r, "example", &ops, &err), MDM_OK);
    assert_ptr_equal(ops, mdm_example_backend());
    assert_int_equal(mdm_registry_create(r, "nope", &ops, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message,
                        "unknown backend type 'nope'; known: example, postgresql, sqlite");
    mdm_strlist_init(&names);
    assert_int_equal(mdm_registry_names(r, &names, &err), MDM_OK);
    assert_int_equal(names.count, 3);
    assert_string_equal(names.items[0], "example");
    assert_string_equal(names.items[2], "sqlite");
    mdm_strlist_reset(&names);
    assert_int_equal(mdm_registry_names(NULL, &names, &err), MDM_ERR_INVALID_ARG);
    mdm_registry_free(r);
}

static void registry__duplicate_name_is_refused(void **state)
{
    (void)state;
    mdm_registry *r = new_builtins();
    mdm_error err;
    assert_int_equal(mdm_registry_add(r, "sqlite", mdm_pg_backend(), &err), MDM_ERR_EXISTS);
    assert_string_equal(err.message, "backend type 'sqlite' is already registered");
    assert_ptr_equal(mdm_registry_find(r, "sqlite"), mdm_sqlite_backend());
    assert_int_equal(mdm_registry_add_builtins(r, &err), MDM_ERR_EXISTS);
    /* an alias under another name is fine */
    assert_int_equal(mdm_registry_add(r, "sqlite3", mdm_sqlite_backend(), &err), MDM_OK);
    assert_int_equal(mdm_registry_add(r, "", mdm_sqlite_backend(), &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_registry_add(r, NULL, mdm_sqlite_backend(), &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_registry_add(NULL, "x", mdm_sqlite_backend(), &err), MDM_ERR_INVALID_ARG);
    mdm_registry_free(r);
}

static void registry__incomplete_tables_are_refused(void **state)
{
    (void)state;
    mdm_error err;
    mdm_backend_ops ops = *mdm_example_backend();
    assert_int_equal(mdm_backend_ops_check(&ops, &err), MDM_OK);
    assert_int_equal(mdm_backend_ops_check(NULL, &err), MDM_ERR_INVALID_ARG);

    ops.version = 99;
    assert_int_equal(mdm_backend_ops_check(&ops, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "backend 'example': version 99, expected 1");
    ops = *mdm_example_backend();
    ops.name = "";
    assert_int_equal(mdm_backend_ops_check(&ops, &err), MDM_ERR_INVALID_ARG);
    ops.name = NULL;
    ops.version = 2;
    assert_int_equal(mdm_backend_ops_check(&ops, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "backend '': version 2, expected 1");

    ops = *mdm_example_backend();
    ops.read_table = NULL;
    assert_int_equal(mdm_backend_ops_check(&ops, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "backend 'example': required slot 'read_table' is NULL");

    ops = *mdm_example_backend();
    ops.caps = MDM_CAP_TRANSACTIONS;   /* claims transactions without the slots */
    assert_int_equal(mdm_backend_ops_check(&ops, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message,
                        "backend 'example': required slot 'begin (MDM_CAP_TRANSACTIONS)' is NULL");
    ops.caps = MDM_CAP_DATABASES;
    assert_int_equal(mdm_backend_ops_check(&ops, &err), MDM_ERR_INVALID_ARG);
    ops.caps = MDM_CAP_STMT_CACHE;
    assert_int_equal(mdm_backend_ops_check(&ops, &err), MDM_ERR_INVALID_ARG);

    /* and the registry applies the check */
    mdm_registry *r = new_builtins();
    ops = *mdm_example_backend();
    ops.drop_table = NULL;
    assert_int_equal(mdm_registry_add(r, "broken", &ops, &err), MDM_ERR_INVALID_ARG);
    assert_null(mdm_registry_find(r, "broken"));
    mdm_registry_free(r);
}

static void registry__builtin_tables_pass_the_check(void **state)
{
    (void)state;
    mdm_error err;
    assert_int_equal(mdm_backend_ops_check(mdm_sqlite_backend(), &err), MDM_OK);
    assert_int_equal(mdm_backend_ops_check(mdm_pg_backend(), &err), MDM_OK);
    assert_string_equal(mdm_sqlite_backend()->name, "sqlite");
    assert_string_equal(mdm_pg_backend()->name, "postgresql");
    assert_true(mdm_sqlite_backend()->caps & MDM_CAP_SQL);
    assert_true(mdm_pg_backend()->caps & MDM_CAP_DATABASES);
}

static void registry__connect_through_the_factory(void **state)
{
    (void)state;
    mdm_registry *r = new_builtins();
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_conn *c = NULL;
    mdm_error err;
    char dir[256], path[300];

    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/f.sqlite", dir);
    cfg.backend = "mysql";
    cfg.path = path;
    assert_int_equal(mdm_registry_connect(r, &cfg, &c, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "unknown backend type 'mysql'; known: postgresql, sqlite");
    assert_null(c);
    cfg.backend = "sqlite";
    assert_int_equal(mdm_registry_connect(r, &cfg, &c, &err), MDM_OK);
    assert_string_equal(mdm_conn_backend_name(c), "sqlite");
    assert_ptr_equal(mdm_conn_backend(c), mdm_sqlite_backend());
    mdm_conn_close(c);
    assert_int_equal(mdm_registry_connect(r, NULL, &c, &err), MDM_ERR_INVALID_ARG);
    mdm_registry_free(r);
    mdm_test_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry__builtins_are_sqlite_and_postgresql),
        cmocka_unit_test(registry__unknown_backend_names_the_known_ones),
        cmocka_unit_test(registry__empty_registry_knows_nothing),
        cmocka_unit_test(registry__example_backend_is_one_line),
        cmocka_unit_test(registry__duplicate_name_is_refused),
        cmocka_unit_test(registry__incomplete_tables_are_refused),
        cmocka_unit_test(registry__builtin_tables_pass_the_check),
        cmocka_unit_test(registry__connect_through_the_factory),
    };
    return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
