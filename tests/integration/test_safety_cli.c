/* SPDX-License-Identifier: MIT */
/*
 * test_safety_cli.c - `mdm query` safety and readers without write access,
 * as users run the program (issue 13, items 6 and 7), under --impl legacy,
 * modern and shadow:
 *  - SQLite: query refuses ATTACH, DETACH, VACUUM (INTO) and PRAGMAs that
 *    set a value, with exit 2 and a message naming the statement; no file
 *    appears; reading pragmas still works;
 *  - PostgreSQL: query runs inside a transaction, so CREATE DATABASE, DROP
 *    DATABASE and ALTER SYSTEM fail with the server's "cannot run inside a
 *    transaction block", while an ordinary write is committed;
 *  - load, info and query of a SELECT work in a folder the user may not
 *    write (run as user nobody) and when no file may grow (RLIMIT_FSIZE:
 *    SQLite cannot make its -shm file, as on a full disk);
 *  - modern's SQLite readers sort in bounded memory (temp_store SQLite's
 *    own unless configured, a page cache of at most 2 MiB), and their
 *    spilling sorts give legacy's rows;
 *  - after a write that fails on a really full disk (a 4 MB tmpfs, when
 *    the test may mount one), no -wal file is left taking the space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "test_mdm_cli.h"
#include "test_support.h"

/* ---- running mdm ---------------------------------------------------------------- */

typedef struct fx {
    char dir[256], home[320], csv[320], bin[PATH_MAX];
    const char *impl;       /* --impl value, or NULL */
    const char *config;     /* --config file, or NULL */
    bool as_nobody;         /* the child drops to user nobody */
    long fsize_limit;       /* > 0: RLIMIT_FSIZE of the child, in bytes */
    int status;             /* exit status; 3 from the child: cannot drop to nobody */
    char *out, *err;
} fx;


static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *s = NULL;
    long n = 0;
    if (fp == NULL)
        return strdup("");
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    s = calloc(1, (size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return s;
}

/* In the child: user nobody and/or a file size limit, as the test asks.
 * SIGXFSZ is ignored so a write past the limit fails with EFBIG (what
 * SQLite sees of a full disk) instead of killing the process. */
static void child_limits(const fx *f)
{
    if (f->fsize_limit > 0) {
        struct rlimit rl = {(rlim_t)f->fsize_limit, (rlim_t)f->fsize_limit};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(125);
    }
    if (f->as_nobody && geteuid() == 0) {
        struct passwd *pw = getpwnam("nobody");
        if (pw == NULL || setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
            setuid(pw->pw_uid) != 0)
            _exit(3);
    }
}

/* mdm --home H [--config C] [--impl I] args... NULL */
static int run(fx *f, ...)
{
    char out[400], err[400], home_env[400];
    const char *argv[48], *envp[8];
    size_t n = 0;
    va_list ap;
    free(f->out);
    free(f->err);
    snprintf(out, sizeof out, "%s/stdout", f->dir);
    snprintf(err, sizeof err, "%s/stderr", f->dir);
    snprintf(home_env, sizeof home_env, "HOME=%s", f->dir);
    argv[n++] = f->bin;
    argv[n++] = "--home";
    argv[n++] = f->home;
    if (f->config != NULL) {
        argv[n++] = "--config";
        argv[n++] = f->config;
    }
    if (f->impl != NULL) {
        argv[n++] = "--impl";
        argv[n++] = f->impl;
    }
    va_start(ap, f);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 47;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    envp[0] = home_env;
    envp[1] = "PATH=/usr/bin:/bin";
    envp[2] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the output files are opened before dropping to nobody */
        int in = open("/dev/null", O_RDONLY);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int x = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || o < 0 || x < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(x, 2) < 0)
            _exit(126);
        child_limits(f);
        execve(argv[0], (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    f->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    f->out = slurp(out);
    f->err = slurp(err);
    return f->status;
}

static void ok(fx *f, const char *what)
{
    if (f->status != 0)
        fail_msg("%s (--impl %s): exit %d: %s", what, f->impl, f->status, f->err);
}

static void has(const char *text, const char *want, const char *what)
{
    if (strstr(text, want) == NULL)
        fail_msg("%s: '%s' not found in: %s", what, want, text);
}

static void write_text(const char *path, const char *text)
{
    assert_int_equal(mdm_test_write_file(path, text, strlen(text)), 0);
}

static const char CSV[] = "id,name,score\n1,alice,1.5\n2,bob,\n3,\"c, d\",3.25\n";

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    mdm_test_cli_bin(f->bin, sizeof f->bin);
    /* user nobody must reach the home and read what is in it */
    chmod(f->dir, 0755);
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->csv, sizeof f->csv, "%s/data.csv", f->dir);
    return mdm_test_write_file(f->csv, CSV, strlen(CSV));
}

static int teardown(void **state)
{
    fx *f = *state;
    char ds[400];
    if (f == NULL)
        return 0;
    snprintf(ds, sizeof ds, "%s/datasets/d", f->home);
    chmod(ds, 0755);
    (void)umount2(f->home, MNT_DETACH);   /* a tmpfs left by a failed test */
    free(f->out);
    free(f->err);
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

static void require_mdm(fx *f)
{
    if (access(f->bin, X_OK) != 0) {
        print_message("mdm not built at %s: skipping\n", f->bin);
        skip();
    }
}

static const char *const impls[] = {"legacy", "modern", "shadow"};
#define NIMPLS (MDM_WITH_LEGACY ? 3u : 1u)
#define IMPL(i) (MDM_WITH_LEGACY ? impls[i] : "modern")

/* ---- item 6: query on SQLite ------------------------------------------------------- */

/* Each refused statement: exit 2 (UNSUPPORTED), one message naming it, and
 * the file it would have made is not there. */
static void safety__sqlite_query_refuses_attach_vacuum_and_pragma_writes(void **state)
{
    fx *f = *state;
    char attach[700], into[700], made[400], copy[400];
    require_mdm(f);
    snprintf(made, sizeof made, "%s/attached.db", f->dir);
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    snprintf(attach, sizeof attach, "ATTACH DATABASE '%s' AS other", made);
    snprintf(into, sizeof into, "VACUUM INTO '%s'", copy);
    const struct { const char *sql, *kind; } refused[] = {
        {attach, "ATTACH"},
        {"/* hidden */ attach ':memory:' AS m", "ATTACH"},
        {"DETACH DATABASE main", "DETACH"},
        {into, "VACUUM"},
        {"VACUUM", "VACUUM"},
        {"PRAGMA writable_schema = ON", "writable_schema"},
        {"PRAGMA main.schema_version = 1", "schema_version"},
        {"PRAGMA journal_mode = DELETE", "journal_mode"},
        {"EXPLAIN ATTACH ':memory:' AS m", "ATTACH"},
    };
    for (size_t i = 0; i < NIMPLS; i++) {
        f->impl = IMPL(i);
        run(f, "register", "d", f->csv, "--if-exists", "replace", NULL);
        ok(f, "register");
        for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
            run(f, "query", "d", refused[k].sql, NULL);
            if (f->status != 2)
                fail_msg("--impl %s query \"%s\": exit %d, expected 2 (refused); stderr: %s",
                         f->impl, refused[k].sql, f->status, f->err);
            has(f->err, "query refused", refused[k].sql);
            has(f->err, refused[k].kind, refused[k].sql);
            assert_false(mdm_test_file_exists(made));
            assert_false(mdm_test_file_exists(copy));
        }
        /* Pragmas that read still work, and the data is untouched. */
        run(f, "query", "d", "PRAGMA table_info(train)", "--format", "csv", NULL);
        ok(f, "PRAGMA table_info");
        has(f->out, "score", "PRAGMA table_info");
        run(f, "query", "d", "PRAGMA journal_mode", "--format", "csv", NULL);
        ok(f, "PRAGMA journal_mode");
        has(f->out, "wal", "PRAGMA journal_mode");
        run(f, "query", "d", "SELECT COUNT(*) AS n FROM train", "--format", "csv", NULL);
        ok(f, "count");
        has(f->out, "n\n3\n", "count after the refused statements");
    }
}

/* ---- item 6: query on PostgreSQL ----------------------------------------------------- */

static bool pg_database_exists(const char *name)
{
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_error err;
    bool there = false;
    cfg.backend = "postgresql";
    cfg.dsn = mdm_test_pg_dsn();
    if (mdm_database_exists(mdm_pg_backend(), &cfg, name, &there, &err) != MDM_OK)
        fail_msg("does %s exist? %s", name, err.message);
    return there;
}

/* Statements PostgreSQL refuses inside a transaction block fail, and change
 * nothing; an ordinary write through query is committed. */
static void safety__pg_query_runs_inside_a_transaction(void **state)
{
    fx *f = *state;
    char cfg[400], yaml[1200], scratch_dsn[600], scratch[128], created[128];
    char drop[200], create[200];
    MDM_TEST_REQUIRE_PG();
    require_mdm(f);
    snprintf(cfg, sizeof cfg, "%s/pg.yaml", f->dir);
    snprintf(yaml, sizeof yaml,
             "storage:\n  default_backend: postgresql\n  backends:\n    postgresql:\n"
             "      path_template: \"mdmsafe%ld_{name}\"\n      options:\n        dsn: \"%s\"\n",
             (long)getpid(), mdm_test_pg_dsn());
    write_text(cfg, yaml);
    f->config = cfg;
    assert_int_equal(mdm_test_pg_create_db("mdmsafe_other", scratch_dsn, sizeof scratch_dsn,
                                           scratch, sizeof scratch), 0);
    snprintf(created, sizeof created, "mdmsafe%ld_made", (long)getpid());
    snprintf(drop, sizeof drop, "DROP DATABASE %s", scratch);
    snprintf(create, sizeof create, "CREATE DATABASE %s", created);
    for (size_t i = 0; i < (MDM_WITH_LEGACY ? 2u : 1u); i++) {
        f->impl = MDM_WITH_LEGACY ? impls[i] : "modern";
        run(f, "register", "d", f->csv, "--if-exists", "replace", NULL);
        ok(f, "pg register");
        const char *refused[] = {drop, create, "ALTER SYSTEM SET work_mem = '7MB'",
                                 "VACUUM train"};
        for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
            run(f, "query", "d", refused[k], NULL);
            if (f->status == 0)
                mdm_test_pg_exec(NULL, "ALTER SYSTEM RESET work_mem");
            if (f->status == 0)
                fail_msg("--impl %s query \"%s\" ran (exit 0): it must fail inside "
                         "a transaction", f->impl, refused[k]);
            has(f->err, "cannot run inside a transaction block", refused[k]);
        }
        assert_true(pg_database_exists(scratch));
        assert_false(pg_database_exists(created));
        /* An ordinary write is committed. */
        run(f, "query", "d", "CREATE TABLE extra AS SELECT 41 + 1 AS x", NULL);
        ok(f, "pg CREATE TABLE through query");
        run(f, "query", "d", "SELECT x FROM extra", "--format", "csv", NULL);
        ok(f, "pg read back");
        has(f->out, "x\n42\n", "the committed write");
        run(f, "remove", "d", NULL);
        ok(f, "pg remove");
    }
    mdm_test_pg_drop_db(scratch);
    mdm_test_pg_drop_db(created);
}

/* ---- readers' sorts ------------------------------------------------------------------ */

/* n rows of id, a category of 8 and a 40-byte text: a GROUP BY or ORDER BY
 * over them sorts more than the 2 MiB a modern reader keeps in memory. */
static void write_sort_csv(const char *path, int n)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "id,category,text\n");
    for (int i = 0; i < n; i++)
        fprintf(fp, "%d,c%d,t%039d\n", i, (i * 7) % 8, (i * 7919) % n);
    assert_int_equal(fclose(fp), 0);
}

/* A PRAGMA's one value as a SELECT reads it (`PRAGMA x` itself runs on a
 * writer), through `mdm query --format csv`. */
static const char *pragma_value(fx *f, const char *name)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT * FROM pragma_%s", name);
    run(f, "query", "d", sql, "--format", "csv", NULL);
    ok(f, sql);
    const char *nl = strchr(f->out, '\n');   /* past the header */
    return nl != NULL ? nl + 1 : f->out;
}

/* Modern's SQLite readers sort in bounded memory: temp_store is SQLite's
 * own unless configured (legacy's MEMORY keeps every row of a sort in
 * memory), and the page cache, which sets the size of the sorter's runs, is
 * at most 2 MiB. Sorts that spill give the same rows as legacy's. */
static void safety__sqlite_readers_sort_in_bounded_memory(void **state)
{
    fx *f = *state;
    char big[400], cfg[400];
    char *want_group = NULL, *want_order = NULL;
    require_mdm(f);
    snprintf(big, sizeof big, "%s/sort.csv", f->dir);
    snprintf(cfg, sizeof cfg, "%s/memory.yaml", f->dir);
    write_sort_csv(big, 60000);
    for (size_t i = 0; i < NIMPLS; i++) {
        f->impl = IMPL(i);
        f->config = NULL;
        run(f, "register", "d", big, "--if-exists", "replace", NULL);
        ok(f, "register");
        bool modern = strcmp(f->impl, "modern") == 0;
        has(pragma_value(f, "temp_store"), modern ? "0\n" : "2\n", f->impl);
        has(pragma_value(f, "cache_size"), modern ? "-2048\n" : "-64000\n", f->impl);
        run(f, "query", "d", "SELECT category, COUNT(*), MAX(text) FROM train GROUP BY category",
            "--format", "csv", NULL);
        ok(f, "group by");
        has(f->out, "c7,7500,", "group by");
        if (want_group == NULL)
            want_group = strdup(f->out);
        else
            assert_string_equal(f->out, want_group);
        run(f, "query", "d", "SELECT text, id FROM train ORDER BY text DESC, id", "--format",
            "csv", NULL);
        ok(f, "order by");
        assert_true(strlen(f->out) > 60000 * 45);
        if (want_order == NULL)
            want_order = strdup(f->out);
        else
            assert_string_equal(f->out, want_order);
    }
    /* Configured, modern takes temp_store as legacy does, and a cache at
     * most 2 MiB (512 pages of 4 KiB when given in pages) as it is. */
    const struct { const char *cache, *want; } caches[] = {
        {"-1000", "-1000\n"}, {"100", "100\n"}, {"4000", "512\n"}, {"0", "0\n"}};
    f->impl = "modern";
    f->config = cfg;
    for (size_t k = 0; k < sizeof caches / sizeof caches[0]; k++) {
        char yaml[200];
        snprintf(yaml, sizeof yaml, "storage:\n  backends:\n    sqlite:\n      options:\n"
                 "        temp_store: MEMORY\n        cache_size: %s\n", caches[k].cache);
        write_text(cfg, yaml);
        has(pragma_value(f, "temp_store"), "2\n", "configured MEMORY");
        has(pragma_value(f, "cache_size"), caches[k].want, caches[k].cache);
    }
    f->config = NULL;
    free(want_group);
    free(want_order);
}

/* ---- item 7: readers without write access ------------------------------------------- */

/* d registered by modern (WAL, no -wal or -shm left). */
static void make_dataset(fx *f, char *folder, size_t n)
{
    f->impl = "modern";
    run(f, "register", "d", f->csv, NULL);
    ok(f, "register");
    snprintf(folder, n, "%s/datasets/d", f->home);
}

/* load, info and query of a SELECT under every --impl, with the child's
 * limits as set in f. */
static void reads_work(fx *f, const char *how)
{
    for (size_t i = 0; i < NIMPLS; i++) {
        f->impl = IMPL(i);
        run(f, "load", "d", "--format", "csv", NULL);
        if (f->status == 3 && f->as_nobody) {
            print_message("cannot drop to user nobody: skipping\n");
            skip();
        }
        ok(f, how);
        has(f->out, "1,alice,1.5", how);
        run(f, "info", "d", NULL);
        ok(f, how);
        has(f->out, "score", how);
        run(f, "query", "d", "SELECT COUNT(*) AS n FROM train WHERE score > :m", "--param",
            "m=1", "--format", "csv", NULL);
        ok(f, how);
        has(f->out, "n\n2\n", how);
    }
}

/* The dataset's folder and file belong to root, and the reader is nobody:
 * SQLite cannot make the -wal and -shm files a WAL database is read with. */
static void safety__reads_work_in_a_folder_the_user_cannot_write(void **state)
{
    fx *f = *state;
    char folder[400], file[500];
    struct stat before, after;
    require_mdm(f);
    if (geteuid() != 0) {
        print_message("not root: cannot make a folder that root owns: skipping\n");
        skip();
    }
    make_dataset(f, folder, sizeof folder);
    snprintf(file, sizeof file, "%s/dataset.sqlite", folder);
    chmod(f->home, 0755);
    snprintf(file, sizeof file, "%s/datasets", f->home);
    chmod(file, 0755);
    snprintf(file, sizeof file, "%s/dataset.sqlite", folder);
    assert_int_equal(chmod(file, 0444), 0);
    assert_int_equal(chmod(folder, 0555), 0);
    assert_int_equal(stat(file, &before), 0);
    f->as_nobody = true;
    reads_work(f, "read as nobody in a read-only folder");
    f->as_nobody = false;
    assert_int_equal(stat(file, &after), 0);
    assert_true(before.st_mtime == after.st_mtime && before.st_size == after.st_size);
    chmod(folder, 0755);
}

/* No file may grow past 16 KiB: SQLite's -shm file (32 KiB) cannot be made,
 * which is what a full disk does to a reader ("PRAGMA journal_mode=WAL:
 * disk I/O error" before). A write still fails cleanly. */
static void safety__reads_work_when_no_file_may_grow(void **state)
{
    fx *f = *state;
    char folder[400];
    require_mdm(f);
    make_dataset(f, folder, sizeof folder);
    f->fsize_limit = 16 * 1024;
    reads_work(f, "read with RLIMIT_FSIZE 16 KiB");
    f->fsize_limit = 0;
}

/* ---- item 7: the disk given back after a failed write ------------------------------- */

/* A CSV of about 6 MB. */
static void write_big_csv(const char *path)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("id,name,score\n", fp);
    for (int r = 0; r < 120000; r++)
        fprintf(fp, "%d,name number %d with some padding text,%d.5\n", r, r, r % 1000);
    assert_int_equal(fclose(fp), 0);
}

static long wal_bytes(const char *folder)
{
    char p[500];
    struct stat st;
    snprintf(p, sizeof p, "%s/dataset.sqlite-wal", folder);
    return stat(p, &st) == 0 ? (long)st.st_size : 0;
}

/* A 4 MB tmpfs as the home: a replace of 6 MB of rows fills it and fails.
 * Afterwards no -wal holds the space (legacy left one before, because its
 * stage table's CREATE, committed first, waited in the -wal for a
 * checkpoint that needed room the -wal took), and the old rows are there. */
static void safety__a_failed_write_on_a_full_disk_gives_the_space_back(void **state)
{
    fx *f = *state;
    char big[400], folder[400];
    struct statvfs vfs;
    require_mdm(f);
    snprintf(big, sizeof big, "%s/big.csv", f->dir);
    write_big_csv(big);
    assert_int_equal(mkdir(f->home, 0755), 0);
    if (mount("tmpfs", f->home, "tmpfs", 0, "size=4m") != 0) {
        print_message("cannot mount a tmpfs (not root?): skipping\n");
        skip();
    }
    snprintf(folder, sizeof folder, "%s/datasets/d", f->home);
    for (size_t i = 0; i < (MDM_WITH_LEGACY ? 2u : 1u); i++) {
        f->impl = MDM_WITH_LEGACY ? impls[i] : "modern";
        run(f, "register", "d", f->csv, "--if-exists", "replace", NULL);
        ok(f, "register on the tmpfs");
        run(f, "register", "d", big, "--if-exists", "replace", NULL);
        if (f->status == 0)
            fail_msg("--impl %s: 6 MB went into a 4 MB tmpfs?", f->impl);
        has(f->err, "full", "the failed replace");
        long wal = wal_bytes(folder);
        assert_int_equal(statvfs(f->home, &vfs), 0);
        if (wal > 0 || (double)vfs.f_bavail * (double)vfs.f_frsize < 3.0 * 1024 * 1024)
            fail_msg("--impl %s: after the failed write a %ld-byte -wal stays and %.0f bytes "
                     "are free", f->impl, wal, (double)vfs.f_bavail * (double)vfs.f_frsize);
        run(f, "load", "d", "--format", "csv", NULL);
        ok(f, "load after the failed replace");
        has(f->out, "3,\"c, d\",3.25", "the old rows");
    }
    assert_int_equal(umount(f->home), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(safety__sqlite_query_refuses_attach_vacuum_and_pragma_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__pg_query_runs_inside_a_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__sqlite_readers_sort_in_bounded_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__reads_work_in_a_folder_the_user_cannot_write, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__reads_work_when_no_file_may_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__a_failed_write_on_a_full_disk_gives_the_space_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
