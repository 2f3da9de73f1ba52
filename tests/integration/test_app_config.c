/* SPDX-License-Identifier: MIT */
/*
 * test_app_config.c - the app's configuration files (app/mdm_appconfig.c):
 * the old `database:` format and the new `storage:` format with their
 * `rollout:` section, read through libyaml; `config migrate` from old to
 * new without losing a setting (the effective settings before and after
 * are identical); and errors that name file, line and the full key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_appconfig.h"
#include "test_support.h"

typedef struct fx {
    char dir[256];
    char path[320];
    int n;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* Writes yaml to a new file in the fixture's folder; its path in f->path. */
static const char *write_yaml(fx *f, const char *yaml)
{
    snprintf(f->path, sizeof f->path, "%s/c%d.yaml", f->dir, f->n++);
    assert_int_equal(mdm_test_write_file(f->path, yaml, strlen(yaml)), 0);
    return f->path;
}

static void load_ok(fx *f, const char *yaml, mdm_app_config *c)
{
    mdm_error err;
    mdm_app_config_init(c);
    if (mdm_app_config_load_file(c, write_yaml(f, yaml), &err) != MDM_OK)
        fail_msg("load: %s", err.message);
}

/* Loading must fail with CONFIG and exactly "<file>:<rest>". */
static void load_fails(fx *f, const char *yaml, const char *rest)
{
    mdm_app_config c;
    mdm_error err;
    char want[900];
    mdm_app_config_init(&c);
    const char *path = write_yaml(f, yaml);
    mdm_status rc = mdm_app_config_load_file(&c, path, &err);
    snprintf(want, sizeof want, "%s:%s", path, rest);
    if (rc != MDM_ERR_CONFIG || strcmp(err.message, want) != 0)
        fail_msg("for:\n%s\ngot %s '%s'\nwant config '%s'", yaml, mdm_status_name(rc), err.message,
                 want);
    assert_string_equal(c.backend, "sqlite");   /* left at the defaults */
    mdm_app_config_reset(&c);
}

static char *dump(const mdm_app_config *c)
{
    mdm_buf b;
    mdm_error err;
    mdm_buf_init(&b);
    assert_int_equal(mdm_app_config_dump(c, &b, &err), MDM_OK);
    return mdm_buf_steal(&b);
}

/* ---- reading ---------------------------------------------------------------------- */

static void app_config__defaults_without_a_file(void **state)
{
    (void)state;
    mdm_app_config c;
    mdm_app_config_init(&c);
    assert_int_equal(c.format, MDM_APPCONF_NONE);
    assert_string_equal(c.backend, "sqlite");
    assert_null(c.sqlite_path);
    assert_int_equal(c.pool[MDM_APP_SQLITE].pool_size, 5);
    assert_int_equal(c.pool[MDM_APP_SQLITE].max_overflow, 10);
    assert_int_equal(c.pool[MDM_APP_POSTGRESQL].pool_size, 10);
    assert_int_equal(c.pool[MDM_APP_POSTGRESQL].max_overflow, 20);
    char *d = dump(&c);
    assert_non_null(strstr(d, "sqlite.path_template = <home>/datasets/{name}/dataset.sqlite\n"));
    assert_non_null(strstr(d, "sqlite.journal_mode = WAL\n"));
    assert_non_null(strstr(d, "postgresql.path_template = mdm_{name}\n"));
    free(d);
    mdm_app_config_reset(&c);
}

static const char NEW_FULL[] =
    "storage:\n"
    "  default_backend: postgresql\n"
    "  connection_pool:\n"
    "    size: 3\n"
    "    max_overflow: 4\n"
    "    timeout: 12.5\n"
    "    pre_ping: false\n"
    "    recycle: 600\n"
    "  backends:\n"
    "    sqlite:\n"
    "      path_template: \"~/data/{name}.sqlite\"\n"
    "      options:\n"
    "        journal_mode: delete\n"
    "        synchronous: FULL\n"
    "        cache_size: -2000\n"
    "        mmap_size: 0\n"
    "        temp_store: FILE\n"
    "        busy_timeout: 250\n"
    "    postgresql:\n"
    "      path_template: ds_{name}\n"
    "      options:\n"
    "        host: db.example\n"
    "        port: 6543\n"
    "        user: mdm\n"
    "        password: \"s3cret: yes\"\n"
    "        sslmode: require\n"
    "        connect_timeout: 3\n"
    "      connection_pool:\n"
    "        size: 8\n"
    "rollout:\n"
    "  kill_switch: false\n"
    "  reads:\n"
    "    mode: modern\n"
    "    percent: 25\n"
    "  writes:\n"
    "    mode: modern\n"
    "  shadow_log: /var/log/mdm/shadow.jsonl\n";

static void app_config__new_format(void **state)
{
    fx *f = *state;
    mdm_app_config c;
    load_ok(f, NEW_FULL, &c);
    assert_int_equal(c.format, MDM_APPCONF_NEW);
    assert_string_equal(c.backend, "postgresql");
    assert_string_equal(c.sqlite_path, "~/data/{name}.sqlite");
    assert_string_equal(c.journal_mode, "DELETE");   /* canonical spelling */
    assert_string_equal(c.synchronous, "FULL");
    assert_int_equal(c.cache_size, -2000);
    assert_int_equal(c.mmap_size, 0);
    assert_string_equal(c.temp_store, "FILE");
    assert_int_equal(c.busy_timeout_ms, 250);
    assert_string_equal(c.pg_path, "ds_{name}");
    assert_string_equal(c.pg_host, "db.example");
    assert_string_equal(c.pg_port, "6543");
    assert_string_equal(c.pg_user, "mdm");
    assert_string_equal(c.pg_password, "s3cret: yes");
    assert_string_equal(c.pg_sslmode, "require");
    assert_int_equal(c.pg_connect_timeout, 3);
    /* storage-wide pool, then the backend's own */
    assert_int_equal(c.pool[MDM_APP_SQLITE].pool_size, 3);
    assert_int_equal(c.pool[MDM_APP_SQLITE].max_overflow, 4);
    assert_true(c.pool[MDM_APP_SQLITE].timeout_s == 12.5);
    assert_false(c.pool[MDM_APP_SQLITE].pre_ping);
    assert_true(c.pool[MDM_APP_SQLITE].recycle_s == 600);
    assert_int_equal(c.pool[MDM_APP_POSTGRESQL].pool_size, 8);
    assert_int_equal(c.pool[MDM_APP_POSTGRESQL].max_overflow, 4);
    assert_ptr_equal(mdm_app_config_pool(&c), &c.pool[MDM_APP_POSTGRESQL]);
    /* rollout: the flag's config layer, each value naming its line */
    assert_int_equal(c.flags.reads.mode, MDM_IMPL_MODERN);
    assert_int_equal(c.flags.reads.mode_from.source, MDM_FLAG_SRC_CONFIG);
    char where[400];
    snprintf(where, sizeof where, "%s:33: key 'rollout.reads.mode'", f->path);
    assert_string_equal(c.flags.reads.mode_from.where, where);
    assert_int_equal(c.flags.reads.percent, 25);
    assert_int_equal(c.flags.writes.mode, MDM_IMPL_MODERN);
    assert_string_equal(c.flags.shadow_log, "/var/log/mdm/shadow.jsonl");
    mdm_app_config_reset(&c);
}

/* The pool layering does not depend on the order in the file. */
static void app_config__backend_pool_wins_in_any_order(void **state)
{
    fx *f = *state;
    mdm_app_config c;
    load_ok(f,
            "storage:\n"
            "  backends:\n"
            "    postgresql:\n"
            "      connection_pool: {size: 7}\n"
            "  connection_pool: {size: 2, max_overflow: 1}\n",
            &c);
    assert_int_equal(c.pool[MDM_APP_POSTGRESQL].pool_size, 7);
    assert_int_equal(c.pool[MDM_APP_POSTGRESQL].max_overflow, 1);
    assert_int_equal(c.pool[MDM_APP_SQLITE].pool_size, 2);
    mdm_app_config_reset(&c);
}

static const char OLD_FULL[] =
    "# the seed's old format, every key\n"
    "database:\n"
    "  default_backend: sqlite\n"
    "  sqlite:\n"
    "    path: ~/.mdm/datasets/{name}/dataset.sqlite\n"
    "    journal_mode: TRUNCATE\n"
    "    synchronous: OFF\n"
    "    cache_size: -1000\n"
    "    mmap_size: 1048576\n"
    "    temp_store: DEFAULT\n"
    "    pool:\n"
    "      pool_size: 2\n"
    "      max_overflow: 3\n"
    "      timeout: 9\n"
    "  postgresql:\n"
    "    host: /var/run/postgresql\n"
    "    port: 5433\n"
    "    user: alice\n"
    "    password: 'it''s'\n"
    "    sslmode: disable\n"
    "    database_prefix: team_\n"
    "    pool_size: 11\n"
    "    max_overflow: 21\n"
    "    pool_timeout: 31\n"
    "    pool_recycle: 1800\n"
    "rollout:\n"
    "  kill_switch: no\n"
    "  reads: {mode: " "%s" ", percent: 50}\n"
    "  writes: {percent: 75}\n";

static char *old_full(void)
{
    static char buf[2048];   /* test-only */
    snprintf(buf, sizeof buf, OLD_FULL, MDM_WITH_LEGACY ? "shadow" : "modern");
    return buf;
}

static void app_config__old_format(void **state)
{
    fx *f = *state;
    mdm_app_config c;
    load_ok(f, old_full(), &c);
    assert_int_equal(c.format, MDM_APPCONF_OLD);
    assert_string_equal(c.backend, "sqlite");
    assert_string_equal(c.sqlite_path, "~/.mdm/datasets/{name}/dataset.sqlite");
    assert_string_equal(c.journal_mode, "TRUNCATE");
    assert_string_equal(c.synchronous, "OFF");
    assert_int_equal(c.cache_size, -1000);
    assert_int_equal(c.mmap_size, 1048576);
    assert_string_equal(c.temp_store, "DEFAULT");
    assert_int_equal(c.pool[MDM_APP_SQLITE].pool_size, 2);
    assert_int_equal(c.pool[MDM_APP_SQLITE].max_overflow, 3);
    assert_true(c.pool[MDM_APP_SQLITE].timeout_s == 9);
    assert_string_equal(c.pg_host, "/var/run/postgresql");
    assert_string_equal(c.pg_port, "5433");
    assert_string_equal(c.pg_user, "alice");
    assert_string_equal(c.pg_password, "it's");
    assert_string_equal(c.pg_path, "team_{name}");   /* database_prefix */
    assert_int_equal(c.pool[MDM_APP_POSTGRESQL].pool_size, 11);
    assert_true(c.pool[MDM_APP_POSTGRESQL].recycle_s == 1800);
    assert_int_equal(c.flags.reads.percent, 50);
    assert_int_equal(c.flags.writes.percent, 75);
    mdm_app_config_reset(&c);
}

/* Legacy took the whole `database` mapping as SQLite's settings when it
 * had no `sqlite` section (LEGACY.md 2). */
static void app_config__old_format_with_sqlite_keys_directly(void **state)
{
    fx *f = *state;
    mdm_app_config c;
    load_ok(f, "database:\n  path: /data/{name}.db\n  journal_mode: WAL\n  pool:\n    pool_size: 1\n", &c);
    assert_string_equal(c.sqlite_path, "/data/{name}.db");
    assert_int_equal(c.pool[MDM_APP_SQLITE].pool_size, 1);
    mdm_app_config_reset(&c);
}

static void app_config__empty_and_rollout_only_files(void **state)
{
    fx *f = *state;
    mdm_app_config c;
    load_ok(f, "", &c);
    assert_int_equal(c.format, MDM_APPCONF_NONE);
    mdm_app_config_reset(&c);
    load_ok(f, "rollout:\n  writes:\n    mode: modern\n    percent: 10%\n", &c);
    assert_int_equal(c.format, MDM_APPCONF_NONE);
    assert_int_equal(c.flags.writes.mode, MDM_IMPL_MODERN);
    assert_int_equal(c.flags.writes.percent, 10);
    assert_int_equal(c.policy.rollback, MDM_ROLLBACK_KILL_SWITCH);   /* the default */
    mdm_app_config_reset(&c);
    load_ok(f, "rollout:\n  policy:\n    rollback: step_back\n", &c);
    assert_int_equal(c.policy.rollback, MDM_ROLLBACK_STEP_BACK);
    mdm_app_config_reset(&c);
#if MDM_WITH_LEGACY   /* without legacy/, shadow is refused */
    load_ok(f, "rollout:\n  writes:\n    mode: shadow\n", &c);
    assert_int_equal(c.flags.writes.mode, MDM_IMPL_SHADOW);
    mdm_app_config_reset(&c);
#endif
}

/* ---- errors: file, line, key ---------------------------------------------------------- */

static void app_config__unknown_keys_name_file_line_and_key(void **state)
{
    fx *f = *state;
    load_fails(f, "storage:\n  backends:\n    sqlite:\n      optoins: {}\n",
               "4: unknown key 'storage.backends.sqlite.optoins' (known here: path_template, "
               "options, connection_pool)");
    load_fails(f, "databse:\n  default_backend: sqlite\n",
               "1: unknown key 'databse' (known here: storage, database, rollout)");
    load_fails(f, "storage:\n  connection_pool:\n    size: 1\n    pool_size: 2\n",
               "4: unknown key 'storage.connection_pool.pool_size' (known here: size, "
               "max_overflow, timeout, pre_ping, recycle)");
    load_fails(f, "database:\n  sqlite:\n    path: /x/{name}\n    journal: WAL\n",
               "4: unknown key 'database.sqlite.journal' (known here: path, journal_mode, "
               "synchronous, cache_size, mmap_size, temp_store, pool)");
    load_fails(f, "rollout:\n  reads:\n    mode: modern\n    pct: 5\n",
               "4: unknown key 'rollout.reads.pct' (known here: mode, percent)");
}

static void app_config__bad_values_name_file_line_and_key(void **state)
{
    fx *f = *state;
    load_fails(f, "storage:\n  connection_pool:\n    size: five\n",
               "3: key 'storage.connection_pool.size': expected an integer from 0 to 10000, got 'five'");
    load_fails(f, "storage:\n  connection_pool:\n    timeout: -1\n",
               "3: key 'storage.connection_pool.timeout': expected a number from 0 to 86400, got '-1'");
    load_fails(f, "storage:\n  connection_pool:\n    pre_ping: sometimes\n",
               "3: key 'storage.connection_pool.pre_ping': expected true or false, got 'sometimes'");
    load_fails(f, "storage:\n  default_backend: oracle\n",
               "2: key 'storage.default_backend': expected one of sqlite, postgresql, got 'oracle'");
    load_fails(f, "storage:\n  default_backend:\n    name: sqlite\n",
               "2: key 'storage.default_backend': expected one of sqlite, postgresql, got a mapping");
    load_fails(f, "storage:\n  backends:\n    sqlite:\n      options:\n        journal_mode: FAST\n",
               "5: key 'storage.backends.sqlite.options.journal_mode': expected one of DELETE, "
               "TRUNCATE, PERSIST, MEMORY, WAL, OFF, got 'FAST'");
    load_fails(f, "storage:\n  backends:\n    sqlite:\n      path_template: /data/x.db\n",
               "4: key 'storage.backends.sqlite.path_template': expected a template containing "
               "{name} once, got '/data/x.db'");
    load_fails(f, "storage:\n  backends:\n    postgresql:\n      options:\n        port: 70000\n",
               "5: key 'storage.backends.postgresql.options.port': expected an integer from 1 to "
               "65535, got '70000'");
    load_fails(f, "database:\n  postgresql:\n    pool_recycle: soon\n",
               "3: key 'database.postgresql.pool_recycle': expected a number from -1 to 1e+09, "
               "got 'soon'");
    load_fails(f, "storage:\n  backends: [sqlite]\n",
               "2: key 'storage.backends': expected a mapping, got a list");
    load_fails(f, "rollout:\n  reads:\n    mode: fast\n",
               "3: key 'rollout.reads.mode': expected legacy, modern or shadow, got 'fast'");
    load_fails(f, "rollout:\n  reads:\n    percent: 150\n",
               "3: key 'rollout.reads.percent': expected a whole percentage 0..100, got '150'");
    load_fails(f, "rollout:\n  writes:\n    mode: fast\n",
               "3: key 'rollout.writes.mode': expected legacy, modern or shadow, got 'fast'");
    load_fails(f, "rollout:\n  policy:\n    rollback: sometimes\n",
               "3: key 'rollout.policy.rollback': expected one of kill_switch, step_back, got "
               "'sometimes'");
#if !MDM_WITH_LEGACY
    /* phase 3: a rollout that still names legacy is an error, not ignored */
    load_fails(f, "rollout:\n  reads:\n    mode: legacy\n",
               "3: key 'rollout.reads.mode': 'legacy' is not available: this mdm was built "
               "without legacy/ (LEGACY=0)");
#endif
    load_fails(f, "rollout:\n  kill_switch: maybe\n",
               "2: key 'rollout.kill_switch': expected on or off (true/false, yes/no, 1/0), got 'maybe'");
}

static void app_config__whole_file_errors(void **state)
{
    fx *f = *state;
    load_fails(f, "database:\n  default_backend: sqlite\nstorage:\n  default_backend: sqlite\n",
               "3: 'storage:' (new format) and 'database:' (old format) in one file; keep one "
               "(mdm config migrate converts the old one)");
    load_fails(f, "database:\n  sqlite:\n    path: /a/{name}\n  path: /b/{name}\n",
               "4: key 'database.path': SQLite settings belong under 'database.sqlite' when that "
               "section exists");
    load_fails(f, "storage:\n  connection_pool:\n    size: 0\n    max_overflow: 0\n",
               "1: sqlite connection pool: size + max_overflow must be at least 1");
    /* YAML that does not parse: the loader's PARSE error names the line */
    mdm_app_config c;
    mdm_error err;
    mdm_app_config_init(&c);
    const char *path = write_yaml(f, "storage:\n  default_backend: [sqlite\n");
    assert_int_equal(mdm_app_config_load_file(&c, path, &err), MDM_ERR_PARSE);
    assert_non_null(strstr(err.message, path));
    mdm_app_config_reset(&c);
}

/* ---- migration ------------------------------------------------------------------------------ */

/* old -> new tree -> YAML text -> loaded again: same effective settings. */
static void migrate_and_compare(fx *f, const char *old_yaml, char **new_text_out)
{
    mdm_app_config before, after;
    mdm_conf *old = NULL, *migrated = NULL;
    mdm_error err;
    char newpath[400];
    load_ok(f, old_yaml, &before);
    assert_int_equal(mdm_conf_load_file(f->path, &old, &err), MDM_OK);
    if (mdm_app_config_migrate(old, &migrated, &err) != MDM_OK)
        fail_msg("migrate: %s", err.message);
    snprintf(newpath, sizeof newpath, "%s/migrated%d.yaml", f->dir, f->n++);
    FILE *fp = fopen(newpath, "w");
    assert_non_null(fp);
    assert_int_equal(mdm_conf_write(&migrated->root, fp, &err), MDM_OK);
    fclose(fp);
    mdm_app_config_init(&after);
    if (mdm_app_config_load_file(&after, newpath, &err) != MDM_OK)
        fail_msg("load migrated: %s", err.message);
    assert_int_equal(after.format, before.format == MDM_APPCONF_NONE ? MDM_APPCONF_NONE
                                                                      : MDM_APPCONF_NEW);
    char *d1 = dump(&before), *d2 = dump(&after);
    assert_string_equal(d1, d2);
    free(d1);
    free(d2);
    if (new_text_out != NULL) {
        FILE *in = fopen(newpath, "r");
        char *text = calloc(1, 8192);
        assert_non_null(in);
        assert_non_null(text);
        size_t got = fread(text, 1, 8191, in);
        text[got] = '\0';
        fclose(in);
        *new_text_out = text;
    }
    mdm_conf_free(old);
    mdm_conf_free(migrated);
    mdm_app_config_reset(&before);
    mdm_app_config_reset(&after);
}

static void app_config__migrate_loses_nothing(void **state)
{
    fx *f = *state;
    char *text = NULL;
    migrate_and_compare(f, old_full(), &text);
    /* and it is the new format, as the brief shows it */
    static const char *const want[] = {
        "storage:", "default_backend: sqlite", "backends:", "sqlite:",
        "path_template: ~/.mdm/datasets/{name}/dataset.sqlite", "options:",
        "journal_mode: TRUNCATE", "connection_pool:", "size: 2", "postgresql:",
        "team_{name}", "host: /var/run/postgresql", "recycle: 1800", "rollout:", "percent: 50"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(text, want[i]) == NULL)
            fail_msg("'%s' missing from the migrated file:\n%s", want[i], text);
    assert_null(strstr(text, "database:"));
    assert_null(strstr(text, "pool_size"));
    free(text);
}

static void app_config__migrate_the_seed_example_and_edge_cases(void **state)
{
    fx *f = *state;
    /* the brief's "Configuration Migration" example */
    migrate_and_compare(f,
                        "database:\n  default_backend: sqlite\n  sqlite:\n"
                        "    path: ~/.mdm/datasets/{name}/dataset.sqlite\n",
                        NULL);
    /* keys directly under database, PostgreSQL default with its pool */
    migrate_and_compare(f,
                        "database:\n  path: /d/{name}.db\n  pool: {pool_size: 4}\n"
                        "  default_backend: postgresql\n  postgresql: {user: bob, pool_size: 6}\n",
                        NULL);
    /* a new file migrates to itself */
    migrate_and_compare(f, NEW_FULL, NULL);
    migrate_and_compare(f, "", NULL);
}

static void app_config__migrate_refuses_a_bad_old_file(void **state)
{
    fx *f = *state;
    mdm_conf *old = NULL, *out = NULL;
    mdm_error err;
    write_yaml(f, "database:\n  sqlite:\n    path: /x/{name}\n    colour: red\n");
    assert_int_equal(mdm_conf_load_file(f->path, &old, &err), MDM_OK);
    assert_int_equal(mdm_app_config_migrate(old, &out, &err), MDM_ERR_CONFIG);
    assert_null(out);
    assert_non_null(strstr(err.message, ":4: unknown key 'database.sqlite.colour'"));
    mdm_conf_free(old);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(app_config__defaults_without_a_file),
        T(app_config__new_format),
        T(app_config__backend_pool_wins_in_any_order),
        T(app_config__old_format),
        T(app_config__old_format_with_sqlite_keys_directly),
        T(app_config__empty_and_rollout_only_files),
        T(app_config__unknown_keys_name_file_line_and_key),
        T(app_config__bad_values_name_file_line_and_key),
        T(app_config__whole_file_errors),
        T(app_config__migrate_loses_nothing),
        T(app_config__migrate_the_seed_example_and_edge_cases),
        T(app_config__migrate_refuses_a_bad_old_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
