/* SPDX-License-Identifier: MIT */
/*
 * test_faults_cli.c - the `mdm` program killed with SIGKILL in the middle of
 * a write: a first register, a `--if-exists replace` and an append, each
 * killed at several points of its run. After every kill the next start of
 * the program must find the previous table and file intact (or, for a
 * first register, no dataset or a complete one), must be able to register
 * again, and must leave no stray temporary file in the home folder. Runs
 * the program built next to this test (<build>/mdm) for --impl modern and
 * legacy. Legacy's replace is not atomic (LEGACY.md 5: DROP, CREATE, then
 * the INSERT transaction), so for legacy the test pins what it promises
 * instead: the file stays readable, the name can be taken back with
 * --if-exists replace, no stray files; the losses are counted and printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_mdm_cli.h"
#include "test_support.h"

/* ---- running mdm ------------------------------------------------------------ */

/* <dir of this test>/../mdm, or $MDM_BIN (test_mdm_cli.h). */
static const char *mdm_bin(void)
{
    static char path[PATH_MAX];   /* test-only: filled once, single thread */
    if (path[0] == '\0')
        mdm_test_cli_bin(path, sizeof path);
    return path;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts mdm with the arguments (NULL-terminated); stdout to `out` (or
 * /dev/null), stderr to /dev/null. */
static pid_t spawn(const char *const *args, const char *out)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = mdm_bin();
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open("/dev/null", O_WRONLY);
        if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to 120 s; returns the exit code, or 128 + signal. */
static int wait_for(pid_t pid)
{
    int st = 0;
    for (int i = 0; i < 12000; i++) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    fail_msg("mdm did not finish within 120 s");
    return -1;
}

typedef struct fx {
    const char *impl;
    char dir[256], home[320];
    char small[320], big[320], out[320];
    double full_s;    /* how long an unkilled replace of the big file takes */
    int kills;        /* kills that landed before the program finished */
    bool legacy;      /* --impl legacy: replace is not atomic */
    int legacy_losses;  /* legacy: kills after which the old table was gone */
    int legacy_half_made;  /* legacy: first registers left as an empty table */
} fx;

/* Runs mdm --home H --impl I <args...> (NULL-terminated) to completion;
 * returns its exit code. stdout goes to f->out. */
static int run(fx *f, ...)
{
    const char *args[24] = {"--home", f->home, "--impl", f->impl};
    size_t n = 4;
    va_list ap;
    va_start(ap, f);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 23;)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return wait_for(spawn(args, f->out));
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = '\0';
    fclose(fp);
    return s;
}

static const char SMALL_CSV[] = "id,val\n1,old one\n2,old two\n3,old three\n";

/* A CSV big enough that writing it takes a good fraction of a second. */
static void write_big(const char *path, long rows)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("id,val\n", fp);
    for (long i = 0; i < rows; i++)
        fprintf(fp, "%ld,new value number %ld with some padding text\n", i, i);
    assert_int_equal(fclose(fp), 0);
}

static int setup_impl(void **state, const char *impl)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    f->impl = impl;
    f->legacy = strcmp(impl, "legacy") == 0;
    if (mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->small, sizeof f->small, "%s/small.csv", f->dir);
    snprintf(f->big, sizeof f->big, "%s/big.csv", f->dir);
    snprintf(f->out, sizeof f->out, "%s/out.txt", f->dir);
    if (mkdir(f->home, 0755) != 0 || mdm_test_write_file(f->small, SMALL_CSV, strlen(SMALL_CSV)) != 0)
        return -1;
    write_big(f->big, 200000);
    return 0;
}

static int setup_modern(void **state) { return setup_impl(state, "modern"); }
static int setup_legacy(void **state) { return setup_impl(state, "legacy"); }

static int teardown(void **state)
{
    fx *f = *state;
    if (f == NULL)
        return 0;
    if (f->kills > 0)
        print_message("faults_cli: %d SIGKILLs landed mid-write (--impl %s, full write %.2f s)\n",
                      f->kills, f->impl, f->full_s);
    if (f->legacy_losses > 0)
        print_message("faults_cli: legacy lost the previous table after %d of them (LEGACY.md 5)\n",
                      f->legacy_losses);
    if (f->legacy_half_made > 0)
        print_message("faults_cli: legacy left %d first registers as a half-made table\n",
                      f->legacy_half_made);
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

static void require_mdm(const fx *f)
{
#if defined(MDM_WITH_LEGACY) && !MDM_WITH_LEGACY
    if (f->legacy) {
        print_message("built without legacy/ (LEGACY=0): skipping --impl legacy\n");
        skip();
    }
#else
    (void)f;
#endif
    const char *bin = mdm_bin();
    if (bin == NULL || access(bin, X_OK) != 0) {
        print_message("mdm not built at %s: skipping\n", bin ? bin : "?");
        skip();
    }
}

/* Every file under home is the dataset file itself: no temporary files,
 * no leftover journals (the last run closed it cleanly). The one exception
 * is the killed writer's empty lock file (dataset.sqlite.lock, app/README.md):
 * it holds no data and no lock (the kernel dropped that with the process),
 * and the next write removes it. */
static void check_no_strays(fx *f, const char *when)
{
    char cmd[1024], list[320];
    snprintf(list, sizeof list, "%s/strays.txt", f->dir);
    snprintf(cmd, sizeof cmd,
             "find '%s' -type f ! -name dataset.sqlite ! -name '*.log' ! -name '*.jsonl' "
             "! \\( -name dataset.sqlite.lock -empty \\) > '%s'",
             f->home, list);
    assert_int_equal(system(cmd), 0);
    char *s = slurp(list);
    if (s[0] != '\0')
        fail_msg("%s: stray files left in the home folder:\n%s", when, s);
    free(s);
}

/* The dataset reads back exactly as the small CSV. */
static void check_small(fx *f, const char *name, const char *when)
{
    int rc = run(f, "load", name, "--format", "csv", NULL);
    char *s = slurp(f->out);
    if (rc != 0 || strcmp(s, SMALL_CSV) != 0)
        fail_msg("%s: the previous table is not intact (exit %d): '%.200s'", when, rc, s);
    free(s);
}

/* The dataset reads back as the whole big CSV: its row count, through a
 * query (the output of 200k rows is not compared byte by byte). */
static bool is_big(fx *f, const char *name)
{
    int rc = run(f, "query", name, "SELECT count(*) AS n, max(id) AS m FROM train", "--format", "csv", NULL);
    char *s = slurp(f->out);
    bool ok = rc == 0 && strcmp(s, "n,m\n200000,199999\n") == 0;
    free(s);
    return ok;
}

/* Legacy after a kill: the file opens and the table reads (old, new or
 * empty: LEGACY.md 5), and a loss of the old rows is counted. */
static void legacy_readable(fx *f, const char *name, const char *when, int *lost)
{
    int rc = run(f, "query", name, "SELECT count(*) AS n FROM train", "--format", "csv", NULL);
    char *s = slurp(f->out);
    if (rc != 0 || strncmp(s, "n\n", 2) != 0)
        fail_msg("%s: the dataset does not read after the kill (exit %d): '%.200s'", when, rc, s);
    if (strcmp(s, "n\n3\n") != 0)
        (*lost)++;
    free(s);
}

/* Kill points: fractions of an unkilled run's duration. */
static const double KILL_AT[] = {0.05, 0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9};
#define NKILLS (sizeof KILL_AT / sizeof KILL_AT[0])

/* Starts the command, kills it after `delay` seconds; true when the kill
 * landed before the program finished on its own. */
static bool kill_after(const char *const *args, double delay)
{
    pid_t pid = spawn(args, NULL);
    double t0 = now_s();
    int st = 0;
    while (now_s() - t0 < delay) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return false;   /* finished first */
        usleep(2000);
    }
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

/* Times one unkilled replace of ds with the big file, then puts the small
 * table back. */
static void measure(fx *f)
{
    double t0 = now_s();
    assert_int_equal(run(f, "register", "ds", f->big, "--if-exists", "replace", NULL), 0);
    f->full_s = now_s() - t0;
    assert_true(is_big(f, "ds"));
    assert_int_equal(run(f, "register", "ds", f->small, "--if-exists", "replace", NULL), 0);
}

/* One kill of a replace at `frac` of the unkilled run's time, the checks
 * after it, and the small table put back. True when the kill landed. */
static bool replace_killed_at(fx *f, const char *const *args, double frac)
{
    char when[64];
    snprintf(when, sizeof when, "replace killed at %.0f%%", frac * 100);
    bool landed = kill_after(args, frac * f->full_s);
    /* The next start sees either the old table or, if the kill came
     * after the commit, the new one; never a mixture or nothing. */
    if (!is_big(f, "ds")) {
        if (f->legacy)
            legacy_readable(f, "ds", when, &f->legacy_losses);
        else
            check_small(f, "ds", when);
    }
    check_no_strays(f, when);
    /* Put the old table back for the next kill. */
    assert_int_equal(run(f, "register", "ds", f->small, "--if-exists", "replace", NULL), 0);
    return landed;
}

static void faults_cli__sigkill_during_replace(void **state)
{
    fx *f = *state;
    require_mdm(f);
    assert_int_equal(run(f, "register", "ds", f->small, NULL), 0);
    measure(f);
    const char *args[] = {"--home", f->home, "--impl", f->impl, "register", "ds", f->big,
                          "--if-exists", "replace", NULL};
    for (size_t i = 0; i < NKILLS; i++)
        if (replace_killed_at(f, args, KILL_AT[i]))
            f->kills++;
    /* The kill points are fractions of one measured run, and a machine
     * whose load falls after the measurement finishes runs early, so late
     * points may miss. The test must still have killed mid-write at least
     * 3 times: early kills are added (each halving its point) until it has;
     * a bounded number, so a program that never runs long enough to be
     * killed still fails. */
    double frac = 0.2;
    for (int extra = 0; f->kills < 3 && extra < 12; extra++, frac /= 2)
        if (replace_killed_at(f, args, frac))
            f->kills++;
    assert_true(f->kills >= 3);
}

static void faults_cli__sigkill_during_append(void **state)
{
    fx *f = *state;
    require_mdm(f);
    assert_int_equal(run(f, "register", "ds", f->small, NULL), 0);
    measure(f);
    const char *args[] = {"--home", f->home, "--impl", f->impl, "register", "ds", f->big,
                          "--if-exists", "append", NULL};
    /* The small table's ids clash with nothing: appending the big file makes
     * 200003 rows, or the kill leaves the 3 old ones. */
    for (size_t i = 0; i < NKILLS; i += 2) {
        char when[64];
        snprintf(when, sizeof when, "append killed at %.0f%%", KILL_AT[i] * 100);
        if (kill_after(args, KILL_AT[i] * f->full_s))
            f->kills++;
        int rc = run(f, "query", "ds", "SELECT count(*) AS n FROM train", "--format", "csv", NULL);
        char *s = slurp(f->out);
        if (rc != 0 || (strcmp(s, "n\n3\n") != 0 && strcmp(s, "n\n200003\n") != 0))
            fail_msg("%s: %d rows: '%s' (a partial append is visible)", when, rc, s);
        free(s);
        check_no_strays(f, when);
        assert_int_equal(run(f, "register", "ds", f->small, "--if-exists", "replace", NULL), 0);
    }
}

static void faults_cli__sigkill_during_first_register(void **state)
{
    fx *f = *state;
    require_mdm(f);
    assert_int_equal(run(f, "register", "ds", f->small, NULL), 0);
    measure(f);
    for (size_t i = 0; i < NKILLS; i++) {
        char name[32], when[64];
        snprintf(name, sizeof name, "fresh%zu", i);
        snprintf(when, sizeof when, "first register killed at %.0f%%", KILL_AT[i] * 100);
        const char *args[] = {"--home", f->home, "--impl", f->impl, "register", name, f->big, NULL};
        if (kill_after(args, KILL_AT[i] * f->full_s))
            f->kills++;
        /* Either complete, or registering again (no --if-exists) works:
         * a half-made dataset must not block its own name. Legacy leaves
         * the created, empty table behind: it must still read, and
         * --if-exists replace must take the name back. */
        if (!is_big(f, name)) {
            if (f->legacy && run(f, "query", name, "SELECT count(*) AS n FROM train", NULL) == 0) {
                legacy_readable(f, name, when, &f->legacy_half_made);
                if (run(f, "register", name, f->small, "--if-exists", "replace", NULL) != 0)
                    fail_msg("%s: --if-exists replace cannot take '%s' back", when, name);
                check_small(f, name, when);
                check_no_strays(f, when);
                continue;
            }
            int rc = run(f, "register", name, f->small, NULL);
            if (rc != 0)
                fail_msg("%s: registering '%s' again fails (exit %d): a half-made dataset is in the way",
                         when, name, rc);
            check_small(f, name, when);
        }
        check_no_strays(f, when);
    }
    /* The dataset that was never touched is intact. */
    check_small(f, "ds", "after all kills");
}

int main(void)
{
#define IMPLS(fn) \
    {"faults_cli__modern_" #fn, faults_cli__##fn, setup_modern, teardown, NULL}, \
    {"faults_cli__legacy_" #fn, faults_cli__##fn, setup_legacy, teardown, NULL}
    const struct CMUnitTest tests[] = {
        IMPLS(sigkill_during_replace),
        IMPLS(sigkill_during_append),
        IMPLS(sigkill_during_first_register),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
