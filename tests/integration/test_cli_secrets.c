/* SPDX-License-Identifier: MIT */
/*
 * test_cli_secrets.c - no part of a password leaves `mdm` (issue 13, item
 * 5), and `config migrate` never writes one into a file others can read.
 *
 * PostgreSQL: a role whose password holds '@', ':', '/', '%' and '#'
 * (mdm_pw_test, which ci/pg.sh's server makes give its password: a wrong
 * one is refused, checked first), configured in the old format (legacy
 * pasted user and password into a URL unescaped, so the rest of the
 * password became the host and showed in the error) and in the new one
 * (options, and a DSN URL). Every command works on each --impl; every
 * failure (no such socket folder, a refused port, a URL with a raw '@',
 * a bad percent token) says what went wrong without any piece of the
 * password, on stderr and in the shadow log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_mdm_cli.h"
#include "test_support.h"

#define ROLE "mdm_pw_test"
#define PASSWORD "SeCrEt1@Pa55:w0rd/x%41y#Tail"

/* The password, its pieces between URL delimiters (what a URL split at
 * the wrong place shows as host, port or database) and its encodings. */
static const char *const secret_parts[] = {
    PASSWORD, "SeCrEt1", "Pa55", "w0rd", "x%41y", "xAy", "#Tail", "Tail",
    "SeCrEt1%40Pa55", "Pa55%3Aw0rd", "Pa55w0rd",
};

typedef struct fx {
    char dir[256], home[320], csv[320], bin[PATH_MAX];
    int status;
    char *out, *err;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(mdm_test_tmpdir(f->dir, sizeof f->dir), 0);
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->csv, sizeof f->csv, "%s/d.csv", f->dir);
    assert_int_equal(mkdir(f->home, 0755), 0);
    static const char csv[] = "id,name,score\n1,a,0.1\n2,b,2.5\n3,c,0.30000000000000004\n";
    assert_int_equal(mdm_test_write_file(f->csv, csv, sizeof csv - 1), 0);
    mdm_test_cli_bin(f->bin, sizeof f->bin);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    mdm_test_rmrf(f->dir);
    free(f->out);
    free(f->err);
    free(f);
    return 0;
}

/* mdm --home H args... NULL */
static int run(fx *f, ...)
{
    const char *args[40];
    char out[400], err[400];
    size_t n = 0;
    va_list ap;
    args[n++] = "--home";
    args[n++] = f->home;
    va_start(ap, f);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 39;)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    snprintf(out, sizeof out, "%s/stdout", f->dir);
    snprintf(err, sizeof err, "%s/stderr", f->dir);
    f->status = mdm_test_wait(mdm_test_spawn(f->bin, args, f->dir, out, err));
    free(f->out);
    free(f->err);
    f->out = mdm_test_slurp(out);
    f->err = mdm_test_slurp(err);
    return f->status;
}

static void ok(const fx *f, const char *what)
{
    if (f->status != 0)
        fail_msg("%s: exit %d, stderr: %s", what, f->status, f->err);
}

/* Fails naming the piece of the password that text shows. */
static void no_secret(const char *text, const char *where)
{
    for (size_t i = 0; i < sizeof secret_parts / sizeof secret_parts[0]; i++)
        if (strstr(text, secret_parts[i]) != NULL)
            fail_msg("%s shows '%s' of the password: %s", where, secret_parts[i], text);
}

static void write_text(const char *path, const char *text)
{
    assert_int_equal(mdm_test_write_file(path, text, strlen(text)), 0);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* ---- config migrate --------------------------------------------------------------------- */

/* A config with a password, readable by its owner only, migrates into a
 * file readable by its owner only (it was 0644 under the usual umask);
 * one without a secret keeps the input's permissions exactly. */
static void secrets__config_migrate_keeps_the_file_private(void **state)
{
    fx *f = *state;
    char in[400], out[400], plain[400], plain_out[400];
    mode_t old_mask = umask(022);
    snprintf(in, sizeof in, "%s/old.yaml", f->dir);
    snprintf(out, sizeof out, "%s/new.yaml", f->dir);
    write_text(in, "database:\n  default_backend: postgresql\n  postgresql:\n"
                   "    host: db.example\n    user: mdm\n    password: \"" PASSWORD "\"\n");
    assert_int_equal(chmod(in, 0600), 0);
    run(f, "config", "migrate", in, "-o", out, NULL);
    ok(f, "migrate with a password");
    assert_int_equal(mode_of(out), 0600);
    char *text = mdm_test_slurp(out);
    assert_non_null(strstr(text, "password"));   /* the setting is kept */
    free(text);
    no_secret(f->err, "migrate's stderr");
    /* Written again over an existing file: still 0600. */
    assert_int_equal(chmod(out, 0644), 0);
    run(f, "config", "migrate", in, "-o", out, NULL);
    ok(f, "migrate over a file");
    assert_int_equal(mode_of(out), 0600);

    snprintf(plain, sizeof plain, "%s/plain.yaml", f->dir);
    snprintf(plain_out, sizeof plain_out, "%s/plain-new.yaml", f->dir);
    write_text(plain, "database:\n  default_backend: sqlite\n  sqlite:\n    journal_mode: WAL\n");
    assert_int_equal(chmod(plain, 0640), 0);
    run(f, "config", "migrate", plain, "-o", plain_out, NULL);
    ok(f, "migrate without a secret");
    assert_int_equal(mode_of(plain_out), 0640);
    umask(old_mask);
}

/* ---- PostgreSQL ------------------------------------------------------------------------- */

/* The server's socket folder and port, out of MDM_PG_DSN. */
static void server_parts(char *host, size_t hn, char *port, size_t pn)
{
    PQconninfoOption *o = PQconninfoParse(mdm_test_pg_dsn(), NULL), *it;
    assert_non_null(o);
    snprintf(host, hn, "/tmp");
    snprintf(port, pn, "5432");
    for (it = o; it->keyword != NULL; it++) {
        if (it->val != NULL && strcmp(it->keyword, "host") == 0)
            snprintf(host, hn, "%s", it->val);
        if (it->val != NULL && strcmp(it->keyword, "port") == 0)
            snprintf(port, pn, "%s", it->val);
    }
    PQconninfoFree(o);
}

/* Does the server check ROLE's password? (ci/pg.sh's does; another one
 * may trust everyone, and then a wrong password would prove nothing.) */
static bool password_checked(const char *host, const char *port, const char *password)
{
    const char *kw[] = {"host", "port", "user", "password", "dbname", NULL};
    const char *val[] = {host, port, ROLE, password, "postgres", NULL};
    PGconn *c = PQconnectdbParams(kw, val, 0);
    bool ok = PQstatus(c) == CONNECTION_OK;
    PQfinish(c);
    return ok;
}

static int make_role(void **state)
{
    (void)state;
    if (mdm_test_pg_dsn() == NULL)
        return 0;
    (void)mdm_test_pg_exec(NULL, "DROP ROLE IF EXISTS " ROLE);
    return mdm_test_pg_exec(NULL, "CREATE ROLE " ROLE " LOGIN CREATEDB PASSWORD '" PASSWORD "'");
}

/* Drops what a failed test may have left (the role's databases first: a
 * role that owns one cannot be dropped), then the role. */
static int drop_role(void **state)
{
    char sql[256];
    (void)state;
    PGconn *c = mdm_test_pg_dsn() != NULL ? PQconnectdb(mdm_test_pg_dsn()) : NULL;
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return 0;
    }
    snprintf(sql, sizeof sql, "SELECT datname FROM pg_database WHERE datname LIKE 'mdmpw%ld\\_%%'",
             (long)getpid());
    PGresult *r = PQexec(c, sql);
    for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
        mdm_test_pg_drop_db(PQgetvalue(r, i, 0));
    PQclear(r);
    PQfinish(c);
    (void)mdm_test_pg_exec(NULL, "DROP ROLE IF EXISTS " ROLE);
    return 0;
}

static void require_checked_password(char *host, size_t hn, char *port, size_t pn)
{
    MDM_TEST_REQUIRE_PG();
    server_parts(host, hn, port, pn);
    assert_true(password_checked(host, port, PASSWORD));
    if (password_checked(host, port, "not-the-password")) {
        print_message("the server does not check %s's password: skipping\n", ROLE);
        skip();
    }
}

/* Old format: the server's parts, the password among them. */
static void old_config(const fx *f, const char *path, const char *host, const char *port)
{
    char yaml[1200];
    snprintf(yaml, sizeof yaml,
             "database:\n  default_backend: postgresql\n  postgresql:\n"
             "    host: \"%s\"\n    port: %s\n    user: " ROLE "\n"
             "    password: \"%s\"\n    database_prefix: \"mdmpw%ld_\"\n"
             "    pool_timeout: 5\n",
             host, port, PASSWORD, (long)getpid());
    (void)f;
    write_text(path, yaml);
}

/* Every command through one --impl (all: the whole session; else
 * register, load and remove), all of them successful. */
static void session(fx *f, const char *cfg, const char *impl, bool all)
{
    run(f, "--config", cfg, "--impl", impl, "register", "pw", f->csv, NULL);
    ok(f, impl);
    run(f, "--config", cfg, "--impl", impl, "load", "pw", "--format", "csv", NULL);
    ok(f, impl);
    assert_string_equal(f->out, "id,name,score\n1,a,0.1\n2,b,2.5\n3,c,0.30000000000000004\n");
    if (!all) {
        run(f, "--config", cfg, "--impl", impl, "remove", "pw", NULL);
        ok(f, impl);
        return;
    }
    run(f, "--config", cfg, "--impl", impl, "query", "pw", "SELECT count(*) AS n FROM train",
        "--format", "csv", NULL);
    ok(f, impl);
    assert_string_equal(f->out, "n\n3\n");
    run(f, "--config", cfg, "--impl", impl, "register", "pw", f->csv, "--if-exists", "append",
        NULL);
    ok(f, impl);
    run(f, "--config", cfg, "--impl", impl, "info", "pw", "--format", "csv", NULL);
    ok(f, impl);
    assert_non_null(strstr(f->out, "train,6,id,BIGINT"));
    run(f, "--config", cfg, "--impl", impl, "list", "--format", "csv", NULL);
    ok(f, impl);
    assert_non_null(strstr(f->out, "\npw,postgresql,"));
    run(f, "--config", cfg, "--impl", impl, "remove", "pw", NULL);
    ok(f, impl);
}

static const char *const impls[] = {"modern", "legacy", "shadow"};
#define NIMPLS (MDM_WITH_LEGACY ? 3u : 1u)

/* The issue's case: old format, a password with @ : / % #. Legacy pasted
 * it into its URL, libpq split it at the first '@' and the connection
 * failed naming a piece of it; now every implementation connects. */
static void secrets__old_format_password_with_url_delimiters_connects(void **state)
{
    fx *f = *state;
    char host[256], port[16], cfg[400], log[400];
    require_checked_password(host, sizeof host, port, sizeof port);
    snprintf(cfg, sizeof cfg, "%s/old.yaml", f->dir);
    old_config(f, cfg, host, port);
    for (size_t i = 0; i < NIMPLS; i++) {
        session(f, cfg, impls[i], true);
        no_secret(f->err, impls[i]);
    }
    snprintf(log, sizeof log, "%s/shadow.jsonl", f->home);
    char *text = mdm_test_slurp(log);
    no_secret(text, "the shadow log");
    free(text);
}

/* New format: the same password as an option, and inside a DSN URL
 * (percent-encoded, as URLs want it): legacy gets it out of the URL. */
static void secrets__new_format_option_and_url_connect(void **state)
{
    fx *f = *state;
    char host[256], port[16], cfg[400], yaml[1600];
    require_checked_password(host, sizeof host, port, sizeof port);
    snprintf(cfg, sizeof cfg, "%s/new.yaml", f->dir);
    snprintf(yaml, sizeof yaml,
             "storage:\n  default_backend: postgresql\n  backends:\n    postgresql:\n"
             "      path_template: \"mdmpw%ld_{name}\"\n      options:\n"
             "        host: \"%s\"\n        port: %s\n        user: " ROLE "\n"
             "        password: \"%s\"\n",
             (long)getpid(), host, port, PASSWORD);
    write_text(cfg, yaml);
    for (size_t i = 0; i < NIMPLS; i++)
        session(f, cfg, impls[i], false);
    snprintf(yaml, sizeof yaml,
             "storage:\n  default_backend: postgresql\n  backends:\n    postgresql:\n"
             "      path_template: \"mdmpw%ld_{name}\"\n      options:\n"
             "        dsn: \"postgresql://" ROLE ":SeCrEt1%%40Pa55%%3Aw0rd%%2Fx%%2541y%%23Tail@"
             "/postgres?host=%s&port=%s\"\n",
             (long)getpid(), host, port);
    write_text(cfg, yaml);
    for (size_t i = 0; i < NIMPLS; i++)
        session(f, cfg, impls[i], false);
}

/* Connection failures of several kinds, on every implementation: a clean
 * error, exit 1 (or 4 for a config that cannot be right), no piece of the
 * password anywhere. */
static void secrets__failures_never_show_the_password(void **state)
{
    fx *f = *state;
    char host[256], port[16], cfg[400], yaml[1600];
    require_checked_password(host, sizeof host, port, sizeof port);
    snprintf(cfg, sizeof cfg, "%s/bad.yaml", f->dir);
    /* No such socket folder; a TCP port nothing listens on. */
    static const char *const wrong[][2] = {{"/nonexistent-mdm-socket-dir", "5432"},
                                           {"127.0.0.1", "1"}};
    for (size_t w = 0; w < 2; w++) {
        old_config(f, cfg, wrong[w][0], wrong[w][1]);
        for (size_t i = 0; i < NIMPLS; i++) {
            run(f, "--config", cfg, "--impl", impls[i], "register", "pw", f->csv, NULL);
            assert_int_equal(f->status, 1);
            assert_non_null(strstr(f->err, "mdm: register: "));
            no_secret(f->err, impls[i]);
            run(f, "--config", cfg, "--impl", impls[i], "load", "pw", NULL);
            assert_int_not_equal(f->status, 0);
            no_secret(f->err, impls[i]);
            run(f, "--config", cfg, "--impl", impls[i], "list", NULL);
            assert_int_not_equal(f->status, 0);
            no_secret(f->err, impls[i]);
        }
    }
    /* A URL whose password holds raw '@' and '/': refused before libpq
     * splits it; one with a bad percent token: libpq's reason, redacted. */
    static const char *const passwords[] = {PASSWORD, "SeCrEt1%zzPa55w0rd"};
    for (size_t u = 0; u < 2; u++) {
        char dsn[600];
        snprintf(dsn, sizeof dsn, "postgresql://" ROLE ":%s@/postgres?host=%s&port=%s",
                 passwords[u], host, port);
        snprintf(yaml, sizeof yaml,
                 "storage:\n  default_backend: postgresql\n  backends:\n    postgresql:\n"
                 "      options:\n        dsn: \"%s\"\n",
                 dsn);
        write_text(cfg, yaml);
        for (size_t i = 0; i < NIMPLS; i++) {
            run(f, "--config", cfg, "--impl", impls[i], "load", "pw", NULL);
            assert_int_equal(f->status, 4);
            assert_non_null(strstr(f->err, "bad PostgreSQL "));
            no_secret(f->err, impls[i]);
        }
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(secrets__config_migrate_keeps_the_file_private),
        T(secrets__old_format_password_with_url_delimiters_connects),
        T(secrets__new_format_option_and_url_connect),
        T(secrets__failures_never_show_the_password),
    };
    return cmocka_run_group_tests(tests, make_role, drop_role);
}
