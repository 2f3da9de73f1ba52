/* SPDX-License-Identifier: MIT */
/*
 * test_cli.c - the `mdm` program as users run it: build/mdm as a
 * subprocess with a temporary home and a controlled environment. A new
 * user's session (register, load, query, info, list, remove) under each
 * --impl; flags with values, sources and buckets; the rollout by bucket;
 * shadow's log; config migrate; help, version, exit codes and one-line
 * messages for bad input; a failed register that leaves the dataset as it
 * was; the progress bar only on a terminal. SQLite always; PostgreSQL when
 * MDM_PG_DSN is set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mdm_csv.h"
#include "mdm_flag.h"
#include "mdm_progress.h"
#include "mdm_table.h"
#include "test_mdm_cli.h"
#include "test_support.h"

/* ---- running mdm ------------------------------------------------------------- */


typedef struct fx {
    char dir[256], home[320], csv[320], bin[PATH_MAX];
    const char *impl;            /* "--impl" value for run(), or NULL */
    const char *env[16];         /* extra NAME=value entries */
    size_t nenv;
    int status;
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

/* Runs mdm with the NULL-terminated arguments in f's environment:
 * HOME=<dir>, PATH, the extra entries; never the caller's MDM_*. */
static int run_argv(fx *f, const char *const *args)
{
    char out[400], err[400], home_env[400];
    const char *argv[48], *envp[24];
    size_t n = 0, e = 0;
    free(f->out);
    free(f->err);
    snprintf(out, sizeof out, "%s/stdout", f->dir);
    snprintf(err, sizeof err, "%s/stderr", f->dir);
    snprintf(home_env, sizeof home_env, "HOME=%s", f->dir);
    argv[n++] = f->bin;
    for (size_t i = 0; args[i] != NULL && n < 47; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    envp[e++] = home_env;
    envp[e++] = "PATH=/usr/bin:/bin";
    for (size_t i = 0; i < f->nenv; i++)
        envp[e++] = f->env[i];
    envp[e] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int x = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || o < 0 || x < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(x, 2) < 0)
            _exit(126);
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

/* mdm --home H [--impl I] args... NULL */
static int run(fx *f, ...)
{
    const char *args[40];
    size_t n = 0;
    va_list ap;
    args[n++] = "--home";
    args[n++] = f->home;
    if (f->impl != NULL) {
        args[n++] = "--impl";
        args[n++] = f->impl;
    }
    va_start(ap, f);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 39;)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return run_argv(f, args);
}

static void ok(fx *f, const char *what)
{
    if (f->status != 0)
        fail_msg("%s: exit %d: %s", what, f->status, f->err);
}

/* Fails with `code` and exactly one line on stderr starting with `prefix`. */
static void refused(fx *f, int code, const char *prefix, const char *what)
{
    size_t len = strlen(f->err);
    if (f->status != code)
        fail_msg("%s: exit %d, expected %d; stderr: %s", what, f->status, code, f->err);
    if (len == 0 || f->err[len - 1] != '\n' || strchr(f->err, '\n') != f->err + len - 1)
        fail_msg("%s: stderr is not one line: '%s'", what, f->err);
    if (strncmp(f->err, prefix, strlen(prefix)) != 0)
        fail_msg("%s: stderr '%s' does not start with '%s'", what, f->err, prefix);
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
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->csv, sizeof f->csv, "%s/iris.csv", f->dir);
    return mdm_test_write_file(f->csv, CSV, strlen(CSV));
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f == NULL)
        return 0;
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

/* What mdm_table_write_csv makes of the CSV file read back. */
static char *expected_csv(const char *path)
{
    mdm_table t;
    mdm_error err;
    char *buf = NULL;
    size_t len = 0;
    mdm_table_init(&t);
    assert_int_equal(mdm_csv_read_file(path, NULL, &t, &err), MDM_OK);
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    assert_int_equal(mdm_table_write_csv(&t, mem, &err), MDM_OK);
    fclose(mem);
    mdm_table_reset(&t);
    return buf;
}

/* ---- help, version, exit codes -------------------------------------------------- */

static void cli__help_version_and_usage(void **state)
{
    fx *f = *state;
    require_mdm(f);
    static const char *const cmds[] = {"register", "load", "query", "info", "list", "remove",
                                       "flags", "config migrate"};
    const char *a1[] = {"--help", NULL};
    run_argv(f, a1);
    ok(f, "--help");
    for (size_t i = 0; i < 8; i++)
        assert_non_null(strstr(f->out, cmds[i]));
    assert_non_null(strstr(f->out, "Exit codes:\n  0  success"));
    assert_non_null(strstr(f->out, "  3  not found"));
    assert_non_null(strstr(f->out, "--impl IMPL"));
    const char *a2[] = {"--version", NULL};
    run_argv(f, a2);
    ok(f, "--version");
    assert_true(strncmp(f->out, "mdm ", 4) == 0);
    assert_non_null(strstr(f->out, MDM_WITH_LEGACY ? "legacy, modern, shadow" : "modern only"));
    const char *a3[] = {NULL};
    run_argv(f, a3);
    assert_int_equal(f->status, 2);
    assert_non_null(strstr(f->err, "usage: mdm"));
    const char *a4[] = {"register", "--help", NULL};
    run_argv(f, a4);
    ok(f, "register --help");
    assert_non_null(strstr(f->out, "usage: mdm [global options] register NAME FILE.csv"));
    assert_non_null(strstr(f->out, "--if-exists MODE"));
    const char *a5[] = {"help", "config", "migrate", NULL};
    run_argv(f, a5);
    ok(f, "help config migrate");
    assert_non_null(strstr(f->out, "config migrate OLD.yaml [-o NEW.yaml]"));
    const char *a6[] = {"--home", "/nonexistent", "query", "-h", NULL};
    run_argv(f, a6);
    ok(f, "query -h");
    assert_non_null(strstr(f->out, "--param k=v"));
}

static void cli__bad_command_lines_are_usage_errors(void **state)
{
    fx *f = *state;
    require_mdm(f);
    run(f, "frobnicate", NULL);
    refused(f, 2, "mdm: unknown command 'frobnicate' (see 'mdm --help')", "unknown command");
    run(f, "register", "iris", NULL);
    refused(f, 2, "mdm: register: missing argument", "missing FILE");
    run(f, "load", "iris", "--colour", "red", NULL);
    refused(f, 2, "mdm: load: unknown option '--colour' (see 'mdm load --help')", "bad option");
    run(f, "load", "iris", "extra", NULL);
    refused(f, 2, "mdm: load: unexpected argument 'extra'", "extra argument");
    run(f, "load", "iris", "--limit", NULL);
    refused(f, 2, "mdm: load: option --limit needs a value", "no value");
    run(f, "load", "iris", "--limit", "-3", NULL);
    refused(f, 2, "mdm: load: --limit: expected a whole number >= 0, got '-3'", "bad limit");
    run(f, "load", "iris", "--format", "xml", NULL);
    refused(f, 2, "mdm: load: --format: unknown format 'xml'", "bad format");
    run(f, "register", "iris", f->csv, "--if-exists", "merge", NULL);
    refused(f, 2, "mdm: register: --if-exists: expected fail, replace or append, got 'merge'", "if-exists");
    run(f, "query", "iris", "SELECT :x", "--param", "novalue", NULL);
    refused(f, 2, "mdm: query: --param: expected k=v, got 'novalue'", "bad param");
    run(f, "query", "iris", "SELECT :x", "--param", "x:int=abc", NULL);
    refused(f, 2, "mdm: query: --param x:int: 'abc' is not an integer", "bad typed param");
    run(f, "--impl", "fast", "list", NULL);
    refused(f, 2, "mdm: list: --impl: expected legacy, modern or shadow, got 'fast'", "bad impl");
    run(f, "register", "../etc", f->csv, NULL);
    refused(f, 2, "mdm: register: invalid dataset name '../etc'", "bad name");
    run(f, "config", NULL);
    refused(f, 2, "mdm: config: expected 'config migrate", "config alone");
}

static void cli__failures_have_their_exit_codes(void **state)
{
    fx *f = *state;
    char bad[400], cfg[400];
    require_mdm(f);
    f->impl = "modern";
    run(f, "load", "nope", NULL);
    refused(f, 3, "mdm: load: dataset 'nope' not found (no file ", "missing dataset");
    run(f, "remove", "nope", NULL);
    refused(f, 3, "mdm: remove: dataset 'nope' not found", "remove missing");
    run(f, "register", "iris", "/nonexistent/x.csv", NULL);
    refused(f, 3, "mdm: register: cannot read '/nonexistent/x.csv'", "missing csv");
    run(f, "register", "iris", f->csv, NULL);
    ok(f, "register");
    run(f, "register", "iris", f->csv, NULL);
    refused(f, 5, "mdm: register: ", "register twice");
    assert_non_null(strstr(f->err, "already exists"));
    assert_non_null(strstr(f->err, "(use --if-exists replace or append)"));
    run(f, "load", "iris", "--table", "nope", NULL);
    refused(f, 3, "mdm: load: ", "missing table");
    run(f, "load", "iris", "--columns", "id,nope", NULL);
    refused(f, 3, "mdm: load: ", "missing column");
    run(f, "query", "iris", "SELEKT 1", NULL);
    refused(f, 1, "mdm: query: ", "bad SQL");
    snprintf(bad, sizeof bad, "%s/bad.csv", f->dir);
    write_text(bad, "a,b\n1,2\n3\n");
    run(f, "register", "other", bad, NULL);
    refused(f, 1, "mdm: register: ", "ragged CSV");
    assert_non_null(strstr(f->err, "bad.csv:3:"));
    /* config errors: file, line, key; exit 4 */
    snprintf(cfg, sizeof cfg, "%s/mdm.yaml", f->dir);
    write_text(cfg, "storage:\n  connection_pool:\n    size: lots\n");
    run(f, "--config", cfg, "list", NULL);
    refused(f, 4, "mdm: list: ", "bad config");
    assert_non_null(strstr(f->err, "mdm.yaml:3: key 'storage.connection_pool.size'"));
    run(f, "--config", "/nonexistent.yaml", "list", NULL);
    refused(f, 4, "mdm: list: cannot read config file '/nonexistent.yaml'", "missing config");
    f->env[f->nenv++] = "MDM_STORAGE_READS_PERCENT=lots";
    run(f, "load", "iris", NULL);
    refused(f, 4, "mdm: load: MDM_STORAGE_READS_PERCENT: expected a whole percentage", "bad env");
}

/* ---- a new user's session --------------------------------------------------------- */

static void session(fx *f)
{
    char *want = expected_csv(f->csv);
    run(f, "register", "Iris-2024", f->csv, NULL);
    ok(f, "register");
    assert_non_null(strstr(f->out, "registered 'iris_2024': 3 rows x 3 columns in table 'train', new dataset"));
    run(f, "load", "iris_2024", "--format", "csv", NULL);
    ok(f, "load csv");
    assert_string_equal(f->out, want);   /* exactly mdm_table_write_csv */
    run(f, "load", "IRIS-2024", NULL);
    ok(f, "load table");
    assert_non_null(strstr(f->out, "id  name   score\n"));
    assert_non_null(strstr(f->out, " 2  bob     NULL\n"));
    assert_non_null(strstr(f->out, "(3 rows)\n"));
    run(f, "load", "iris_2024", "--columns", "name,id", "--limit", "2", "--format", "json", NULL);
    ok(f, "load json");
    assert_string_equal(f->out, "{\"columns\":[{\"name\":\"name\",\"type\":\"TEXT\"},"
                                "{\"name\":\"id\",\"type\":\"INT64\"}],\n\"rows\":[\n"
                                "[\"alice\",1],\n[\"bob\",2]]}\n");
    run(f, "query", "iris_2024", "SELECT name FROM train WHERE id >= :min ORDER BY id", "--param",
        "min=2", "--format", "csv", NULL);
    ok(f, "query");
    assert_string_equal(f->out, "name\nbob\n\"c, d\"\n");
    run(f, "query", "iris_2024", "SELECT count(*) AS n FROM train WHERE name = :n", "--param",
        "n:text=alice", "--format", "csv", NULL);
    ok(f, "query text param");
    assert_string_equal(f->out, "n\n1\n");
    run(f, "info", "iris_2024", NULL);
    ok(f, "info");
    assert_non_null(strstr(f->out, "dataset    iris_2024\nbackend    "));
    assert_non_null(strstr(f->out, "train     3  score   "));
    run(f, "info", "iris_2024", "--format", "csv", NULL);
    ok(f, "info csv");
    assert_non_null(strstr(f->out, "table,rows,column,type\ntrain,3,id,BIGINT\n"));
    run(f, "list", "--format", "csv", NULL);
    ok(f, "list");
    assert_non_null(strstr(f->out, "name,backend,location\niris_2024,"));
    run(f, "remove", "iris_2024", NULL);
    ok(f, "remove");
    assert_non_null(strstr(f->out, "removed 'iris_2024'"));
    run(f, "list", "--format", "csv", NULL);
    ok(f, "list after remove");
    assert_string_equal(f->out, "name,backend,location\n");
    run(f, "load", "iris_2024", NULL);
    assert_int_equal(f->status, 3);
    free(want);
}

static void cli__new_user_session_sqlite(void **state)
{
    fx *f = *state;
    static const char *const impls[] = {"modern", "legacy", "shadow"};
    char dsdir[400];
    require_mdm(f);
    for (size_t i = 0; i < (MDM_WITH_LEGACY ? 3u : 1u); i++) {
        f->impl = impls[i];
        session(f);
        /* the dataset folder is gone with the dataset (legacy leaves -wal
         * and -shm behind its drop; the program removes them) */
        snprintf(dsdir, sizeof dsdir, "%s/datasets/iris_2024", f->home);
        if (mdm_test_file_exists(dsdir))
            fail_msg("--impl %s: %s left behind", impls[i], dsdir);
    }
    /* without --home: MDM_HOME, then ~/.mdm */
    f->impl = NULL;
    f->env[f->nenv++] = "MDM_STORAGE_IMPL=modern";
    const char *a[] = {"register", "x", f->csv, NULL};
    run_argv(f, a);
    ok(f, "register in ~/.mdm");
    snprintf(dsdir, sizeof dsdir, "%s/.mdm/datasets/x/dataset.sqlite", f->dir);
    assert_true(mdm_test_file_exists(dsdir));
}

/* A failed register never damages the dataset it was aimed at. */
static void cli__a_failed_register_keeps_the_dataset(void **state)
{
    fx *f = *state;
    static const char *const impls[] = {"modern", "legacy"};
    char bad[400];
    require_mdm(f);
    snprintf(bad, sizeof bad, "%s/bad.csv", f->dir);
    write_text(bad, "id,name\n1,x\n2\n");
    char *want = expected_csv(f->csv);
    for (size_t i = 0; i < (MDM_WITH_LEGACY ? 2u : 1u); i++) {
        f->impl = impls[i];
        run(f, "register", "keep", f->csv, "--if-exists", "replace", NULL);
        ok(f, "register");
        run(f, "register", "keep", bad, "--if-exists", "replace", NULL);
        assert_int_equal(f->status, 1);
        run(f, "register", "fresh", bad, NULL);
        assert_int_equal(f->status, 1);
        run(f, "load", "keep", "--format", "csv", NULL);
        ok(f, "load");
        assert_string_equal(f->out, want);
        run(f, "list", "--format", "csv", NULL);
        assert_null(strstr(f->out, "fresh"));   /* nothing half-made */
    }
    free(want);
}

/* ---- the flag ------------------------------------------------------------------------ */

/* Finds the row "setting,value,source" of `flags --format csv`. */
static void flag_row(fx *f, const char *setting, const char *value, const char *source)
{
    char want[400];
    snprintf(want, sizeof want, "\n%s,%s,%s\n", setting, value, source);
    if (strstr(f->out, want) == NULL)
        fail_msg("no row '%s' in:\n%s", want + 1, f->out);
}

static void cli__flags_prints_values_sources_and_buckets(void **state)
{
    fx *f = *state;
    char cfg[400], src[500], bucket[16], log[400];
    require_mdm(f);
    snprintf(cfg, sizeof cfg, "%s/mdm.yaml", f->dir);
    const char *yaml = "rollout:\n  reads:\n    mode: modern\n    percent: 40\n  writes:\n    percent: 5\n";
    write_text(cfg, yaml);
    f->env[f->nenv++] = "MDM_STORAGE_READS_PERCENT=30";
    run(f, "--config", cfg, "flags", "--dataset", "My-Data", "--format", "csv", NULL);
    ok(f, "flags");
    assert_true(strncmp(f->out, "setting,value,source\n", 21) == 0);
    snprintf(src, sizeof src, "config %s:3: key 'rollout.reads.mode'", cfg);
    flag_row(f, "storage.reads", "modern", src);
    flag_row(f, "storage.reads.percent", "30", "env MDM_STORAGE_READS_PERCENT");
    flag_row(f, "storage.writes", MDM_WITH_LEGACY ? "legacy" : "modern", "default");
    snprintf(src, sizeof src, "config %s:6: key 'rollout.writes.percent'", cfg);
    flag_row(f, "storage.writes.percent", "5", src);
    flag_row(f, "storage.kill_switch", "off", "default");
    snprintf(log, sizeof log, "%s/shadow.jsonl", f->home);
    flag_row(f, "storage.shadow_log", log, "default");
    flag_row(f, "dataset", "my_data", "normalised");
    int b = mdm_flag_bucket("storage.reads", "my_data");
    snprintf(bucket, sizeof bucket, "%d", b);
    flag_row(f, "storage.reads.bucket", bucket, "\"murmur3(\"\"storage.reads:my_data\"\") % 100 + 1\"");
    if (MDM_WITH_LEGACY) {
        char reason[64];
        snprintf(reason, sizeof reason, b <= 30 ? "bucket %d <= 30%%" : "bucket %d > 30%%", b);
        flag_row(f, "storage.reads.serves", b <= 30 ? "modern" : "legacy", reason);
    }
    /* the command line beats everything */
    run(f, "--config", cfg, "--impl", "modern", "flags", "--format", "csv", NULL);
    ok(f, "flags --impl");
    flag_row(f, "storage.reads", "modern", "command line --impl");
    flag_row(f, "storage.reads.percent", "100", "command line --impl");
    flag_row(f, "storage.writes.percent", "100", "command line --impl");
    run(f, "flags", NULL);   /* for people */
    ok(f, "flags table");
    assert_non_null(strstr(f->out, "setting  "));
}

#if MDM_WITH_LEGACY

/* Reads at 50 % through the program: `info` says which implementation
 * served each dataset; exactly those with bucket <= 50 get modern. */
static void cli__reads_rollout_follows_the_bucket(void **state)
{
    fx *f = *state;
    require_mdm(f);
    f->env[f->nenv++] = "MDM_STORAGE_READS=modern";
    f->env[f->nenv++] = "MDM_STORAGE_READS_PERCENT=50";
    int moved = 0;
    for (int i = 0; i < 12; i++) {
        char name[32];
        snprintf(name, sizeof name, "ds%d", i);
        run(f, "register", name, f->csv, NULL);
        ok(f, "register");
        assert_non_null(strstr(f->out, "[legacy]"));   /* writes stay on legacy */
        run(f, "info", name, NULL);
        ok(f, "info");
        bool in = mdm_flag_bucket("storage.reads", name) <= 50;
        assert_non_null(strstr(f->out, in ? "served by  modern" : "served by  legacy"));
        moved += in;
    }
    assert_true(moved > 0 && moved < 12);
    /* the kill switch sends everything back, even against --impl */
    f->env[f->nenv++] = "MDM_STORAGE_KILL_SWITCH=on";
    f->impl = "modern";
    run(f, "info", "ds0", NULL);
    ok(f, "info with kill switch");
    assert_non_null(strstr(f->out, "served by  legacy (storage.reads: kill switch)"));
    assert_non_null(strstr(f->err, "warning: the kill switch is on"));
}

/* Shadow through the program: legacy reads SQLite booleans back as
 * integers (LEGACY.md 6), modern as booleans; the caller gets legacy's
 * answer and the mismatch is in the log. */
static void cli__shadow_returns_legacy_and_logs_the_mismatch(void **state)
{
    fx *f = *state;
    char csv[400], log[400];
    require_mdm(f);
    snprintf(csv, sizeof csv, "%s/flags.csv", f->dir);
    const char *bools = "id,ok\n1,True\n2,False\n";
    write_text(csv, bools);
    f->impl = "shadow";
    run(f, "register", "b", csv, NULL);
    ok(f, "register");
    run(f, "load", "b", "--format", "csv", NULL);
    ok(f, "load");
    assert_string_equal(f->out, "id,ok\n1,1\n2,0\n");   /* legacy's */
    assert_non_null(strstr(f->err, "mdm: shadow: 1 mismatch between legacy and modern logged to "));
    snprintf(log, sizeof log, "%s/shadow.jsonl", f->home);
    char *text = slurp(log);
    assert_non_null(strstr(text, "\"operation\":\"load\",\"dataset\":\"b\""));
    assert_non_null(strstr(text, "\"first_difference\":{\"kind\":\"column_type\",\"column\":\"ok\","
                                 "\"control\":\"INT64\",\"candidate\":\"BOOL\""));
    free(text);
    f->impl = "modern";
    run(f, "load", "b", "--format", "csv", NULL);
    assert_string_equal(f->out, "id,ok\n1,True\n2,False\n");
}

#else

static void cli__legacy_and_shadow_are_not_in_this_build(void **state)
{
    fx *f = *state;
    require_mdm(f);
    f->impl = "legacy";
    run(f, "list", NULL);
    refused(f, 2, "mdm: list: --impl: 'legacy' is not available: this mdm was built without legacy/",
            "--impl legacy");
    f->impl = "shadow";
    run(f, "load", "x", NULL);
    refused(f, 2, "mdm: load: --impl: ", "--impl shadow");
}

#endif

/* ---- config migrate ------------------------------------------------------------------- */

static void cli__config_migrate(void **state)
{
    fx *f = *state;
    char old[400], new[400];
    require_mdm(f);
    snprintf(old, sizeof old, "%s/old.yaml", f->dir);
    snprintf(new, sizeof new, "%s/new.yaml", f->dir);
    const char *yaml = "database:\n  default_backend: sqlite\n  sqlite:\n    path: %s/data/{name}.db\n"
                       "    journal_mode: WAL\n    pool: {pool_size: 2}\n";
    char text[600];
    snprintf(text, sizeof text, yaml, f->dir);
    write_text(old, text);
    run(f, "config", "migrate", old, NULL);
    ok(f, "migrate to stdout");
    assert_true(strncmp(f->out, "storage:\n  default_backend: sqlite\n  backends:\n", 47) == 0);
    run(f, "config", "migrate", old, "-o", new, NULL);
    ok(f, "migrate -o");
    assert_string_equal(f->out, "");
    /* the new file works: the dataset lands where the template says */
    f->impl = "modern";
    run(f, "--config", new, "register", "m", f->csv, NULL);
    ok(f, "register with the migrated config");
    snprintf(text, sizeof text, "%s/data/m.db", f->dir);
    assert_true(mdm_test_file_exists(text));
    run(f, "--config", new, "list", "--format", "csv", NULL);
    ok(f, "list");
    assert_non_null(strstr(f->out, "\nm,sqlite,"));
    /* a bad old file: file, line, key */
    write_text(old, "database:\n  sqlite:\n    pth: x\n");
    run(f, "config", "migrate", old, NULL);
    refused(f, 4, "mdm: config migrate: ", "bad old file");
    assert_non_null(strstr(f->err, "old.yaml:3: unknown key 'database.sqlite.pth'"));
    run(f, "config", "migrate", "/nonexistent.yaml", NULL);
    refused(f, 3, "mdm: config migrate: cannot read '/nonexistent.yaml'", "missing old file");
}

/* ---- progress ----------------------------------------------------------------------- */

static void cli__progress_bar_only_on_a_terminal(void **state)
{
    fx *f = *state;
    char big[400];
    require_mdm(f);
    snprintf(big, sizeof big, "%s/big.csv", f->dir);
    FILE *fp = fopen(big, "w");
    assert_non_null(fp);
    fputs("id,val\n", fp);
    for (int i = 0; i < 60000; i++)
        fprintf(fp, "%d,value %d\n", i, i);
    fclose(fp);
    f->impl = "modern";
    run(f, "register", "big", big, NULL);
    ok(f, "register big");
    assert_string_equal(f->err, "");   /* stderr is a file here: no bar */
    /* the bar itself, drawn as on a terminal */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    mdm_progress p;
    mdm_progress_init(&p, mem, true, "big");
    p.delay_s = 0;
    mdm_progress_update(&p, 20000, 60000);
    mdm_progress_update(&p, 60000, 60000);
    mdm_progress_finish(&p);
    fclose(mem);
    assert_non_null(strstr(buf, "\rbig [#########.....................]  33%  20000/60000 rows"));
    assert_non_null(strstr(buf, "100%  60000/60000 rows\r\033[K"));
    free(buf);
    /* disabled: nothing at all */
    mem = open_memstream(&buf, &len);
    mdm_progress_init(&p, mem, false, "big");
    p.delay_s = 0;
    mdm_progress_update(&p, 1, 2);
    mdm_progress_finish(&p);
    fclose(mem);
    assert_int_equal(len, 0);
    free(buf);
}

/* ---- PostgreSQL --------------------------------------------------------------------------- */

static void cli__new_user_session_postgresql(void **state)
{
    fx *f = *state;
    char cfg[400], yaml[1200];
    static const char *const impls[] = {"modern", "legacy", "shadow"};
    MDM_TEST_REQUIRE_PG();
    require_mdm(f);
    snprintf(cfg, sizeof cfg, "%s/pg.yaml", f->dir);
    snprintf(yaml, sizeof yaml,
             "storage:\n  default_backend: postgresql\n  backends:\n    postgresql:\n"
             "      path_template: \"mdmcli%ld_{name}\"\n      options:\n        dsn: \"%s\"\n",
             (long)getpid(), mdm_test_pg_dsn());
    write_text(cfg, yaml);
    char *want = expected_csv(f->csv);
    for (size_t i = 0; i < (MDM_WITH_LEGACY ? 3u : 1u); i++) {
        char db[64];
        f->impl = impls[i];
        snprintf(db, sizeof db, "mdmcli%ld_iris", (long)getpid());
        run(f, "--config", cfg, "register", "iris", f->csv, NULL);
        ok(f, "pg register");
        run(f, "--config", cfg, "load", "iris", "--format", "csv", NULL);
        ok(f, "pg load");
        assert_string_equal(f->out, want);
        run(f, "--config", cfg, "query", "iris", "SELECT count(*) AS n FROM train WHERE id > :x",
            "--param", "x=1", "--format", "csv", NULL);
        ok(f, "pg query");
        assert_string_equal(f->out, "n\n2\n");
        run(f, "--config", cfg, "info", "iris", "--format", "csv", NULL);
        ok(f, "pg info");
        assert_non_null(strstr(f->out, "train,3,id,BIGINT\n"));
        run(f, "--config", cfg, "list", "--format", "csv", NULL);
        ok(f, "pg list");
        char row[128];
        snprintf(row, sizeof row, "\niris,postgresql,%s\n", db);
        assert_non_null(strstr(f->out, row));
        run(f, "--config", cfg, "remove", "iris", NULL);
        ok(f, "pg remove");
        run(f, "--config", cfg, "load", "iris", NULL);
        refused(f, 3, "mdm: load: dataset 'iris' not found (no database ", "pg load removed");
        mdm_test_pg_drop_db(db);
        /* The database is made while the CSV is parsed; a CSV that fails
         * reports its own error and leaves no database behind. */
        char bad[400];
        snprintf(bad, sizeof bad, "%s/bad.csv", f->dir);
        write_text(bad, "a,b\n1,2\n3\n");
        run(f, "--config", cfg, "register", "broken", bad, NULL);
        refused(f, 1, "mdm: register: ", "pg ragged CSV");
        assert_non_null(strstr(f->err, "bad.csv:3:"));
        run(f, "--config", cfg, "load", "broken", NULL);
        refused(f, 3, "mdm: load: dataset 'broken' not found (no database ", "pg failed register");
    }
    free(want);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(cli__help_version_and_usage),
        T(cli__bad_command_lines_are_usage_errors),
        T(cli__failures_have_their_exit_codes),
        T(cli__new_user_session_sqlite),
        T(cli__a_failed_register_keeps_the_dataset),
        T(cli__flags_prints_values_sources_and_buckets),
#if MDM_WITH_LEGACY
        T(cli__reads_rollout_follows_the_bucket),
        T(cli__shadow_returns_legacy_and_logs_the_mismatch),
#else
        T(cli__legacy_and_shadow_are_not_in_this_build),
#endif
        T(cli__config_migrate),
        T(cli__progress_bar_only_on_a_terminal),
        T(cli__new_user_session_postgresql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
