/* SPDX-License-Identifier: MIT */
/*
 * cmp_main.c - mdm-compare's command line: parses the options, finds the
 * scenario (.scn) and sqllogictest (.test) files, generates the big
 * fixtures, picks the backends (PostgreSQL from MDM_PG_DSN when it
 * answers; loudly SQLite only otherwise), runs the matrix and reports.
 */
#include "cmp_main.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmp_random.h"
#include "cmp_store.h"
#include "cmp_report.h"
#include "cmp_run.h"
#include "mdm_gencsv.h"

static const char USAGE[] =
    "usage: mdm-compare [--backend sqlite|postgresql|all] [--report-dir DIR]\n"
    "                   [--fixtures DIR] [--expected FILE] [--gen-dir DIR]\n"
    "                   [-j N] [--timeout SEC] [--no-cross] [--keep] [-v]\n"
    "                   [--slt-engine NAME] [FILE...]\n"
    "       mdm-compare --random [--seed S] [--time SEC | --cases N] [options]\n"
    "Runs scenario (.scn) and sqllogictest (.test) files through legacy and modern\n"
    "on every backend, cross matrix included, and compares every result.\n"
    "Default files: all under the fixtures folder. PostgreSQL: MDM_PG_DSN.\n"
    "--slt-engine NAME: the .test results were recorded by NAME (sqlite for the\n"
    "published corpus); on other backends disagreeing with them is reported only.\n"
    "Exit: 0 nothing unexpected, 1 unexpected differences, 2 usage/setup error.\n";

/* Path storage owned by main for the run's borrowed option strings. */
typedef struct main_ctx {
    mdm_cmp_run run;
    char expected[1024];
    char gen_dir[1024];
    char **found;          /* discovered files (owned) */
    size_t nfound;
} main_ctx;

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "mdm-compare: %s%s%s\n%s", what, arg ? ": " : "", arg ? arg : "", USAGE);
    return 2;
}

static int parse_number(const char *s, double *out)
{
    char *end;
    *out = strtod(s ? s : "", &end);
    return (s != NULL && end != s && *end == '\0' && *out > 0) ? 0 : -1;
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return (end != s && *end == '\0' && errno == 0 && s[0] != '-') ? 0 : -1;
}

/* One option with its argument (if any); returns how many argv entries
 * it used, or -1 on error (message printed). */
static int parse_opt(mdm_cmp_opts *o, int argc, char **argv, int i)
{
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    double num;
    if (strcmp(a, "--random") == 0) {
        o->random = true;
        return 1;
    }
    if (strcmp(a, "--no-cross") == 0 || strcmp(a, "--keep") == 0 || strcmp(a, "-v") == 0) {
        o->cross = o->cross && strcmp(a, "--no-cross") != 0;
        o->keep = o->keep || strcmp(a, "--keep") == 0;
        o->verbose = o->verbose || strcmp(a, "-v") == 0;
        return 1;
    }
    if (v == NULL)
        return usage_error("missing value for", a), -1;
    if (strcmp(a, "--backend") == 0 && (!strcmp(v, "sqlite") || !strcmp(v, "postgresql") ||
                                        !strcmp(v, "all")))
        o->backend = v;
    else if (strcmp(a, "--report-dir") == 0)
        o->report_dir = v;
    else if (strcmp(a, "--fixtures") == 0)
        o->fixtures_dir = v;
    else if (strcmp(a, "--expected") == 0)
        o->expected_path = v;
    else if (strcmp(a, "--gen-dir") == 0)
        o->gen_dir = v;
    else if ((strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0) && parse_number(v, &num) == 0)
        o->jobs = (int)num;
    else if (strcmp(a, "--timeout") == 0 && parse_number(v, &num) == 0)
        o->timeout_s = num;
    else if (strcmp(a, "--slt-engine") == 0)
        o->slt_engine = v;
    else if (strcmp(a, "--mutate") == 0 && strcmp(v, "nulls-as-empty") == 0)
        o->mutate |= MDM_CMP_MUTATE_NULLS_AS_EMPTY;
    else if (strcmp(a, "--mutate") == 0 && strcmp(v, "trailing-spaces") == 0)
        o->mutate |= MDM_CMP_MUTATE_TRAILING_SPACES;
    else if (strcmp(a, "--seed") == 0 && parse_seed(v, &o->seed) == 0)
        ;
    else if (strcmp(a, "--time") == 0 && parse_number(v, &num) == 0)
        o->random_time_s = num;
    else if (strcmp(a, "--cases") == 0 && parse_number(v, &num) == 0)
        o->random_cases = (uint64_t)num;
    else
        return usage_error("bad option or value", a), -1;
    return 2;
}

static void default_gen_dir(main_ctx *m)
{
    char exe[900];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(m->gen_dir, sizeof m->gen_dir, "%s/gen", exe);
            return;
        }
    }
    snprintf(m->gen_dir, sizeof m->gen_dir, "/tmp/mdm-compare-gen");
}

static int parse_args(main_ctx *m, int argc, char **argv)
{
    mdm_cmp_opts *o = &m->run.opts;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (mdm_cmp_opts){ .backend = "all", .report_dir = "reports", .fixtures_dir = "fixtures",
                         .jobs = cores > 0 ? (int)cores : 1, .timeout_s = 300, .cross = true,
                         .seed = 1, .random_time_s = 60 };
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (argv[i][0] != '-') {
            o->files = &argv[i];
            o->nfiles = (size_t)(argc - i);
            break;
        }
        int used = parse_opt(o, argc, argv, i);
        if (used < 0)
            return 2;
        i += used;
    }
    if (o->expected_path == NULL) {
        snprintf(m->expected, sizeof m->expected, "%s/expected-differences", o->fixtures_dir);
        o->expected_path = m->expected;
    }
    if (o->gen_dir == NULL) {
        default_gen_dir(m);
        o->gen_dir = m->gen_dir;
    }
    return -1;   /* go on */
}

/* ---- fixtures ------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool wanted(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".scn") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".test") == 0);
}

static mdm_status discover(main_ctx *m, const char *dir, int depth, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", dir, strerror(errno));
    while (rc == MDM_OK && (e = readdir(d)) != NULL) {
        char path[2048];
        if (e->d_name[0] == '.' || strcmp(e->d_name, "fuzz") == 0)
            continue;   /* fuzz/: malformed seeds for the fuzzers, not fixtures */
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR && depth < 4)
            rc = discover(m, path, depth + 1, err);
        else if (wanted(e->d_name))
            rc = mdm_cmp__strv_push(&m->found, &m->nfound, path, strlen(path), err);
    }
    closedir(d);
    return rc;
}

static mdm_status load_scripts(main_ctx *m, mdm_error *err)
{
    mdm_cmp_run *r = &m->run;
    char **files = r->opts.files;
    size_t n = r->opts.nfiles;
    if (n == 0) {
        mdm_status rc = discover(m, r->opts.fixtures_dir, 0, err);
        if (rc != MDM_OK)
            return rc;
        qsort(m->found, m->nfound, sizeof *m->found, by_name);
        files = m->found;
        n = m->nfound;
    }
    if (n == 0)
        return mdm_error_set(err, MDM_ERR_NOT_FOUND, "no .scn or .test files found");
    r->scripts = calloc(n, sizeof *r->scripts);
    if (r->scripts == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        mdm_cmp_script_init(&r->scripts[i]);
        r->nscripts++;
        mdm_status rc = mdm_cmp_script_load(files[i], &r->scripts[i], err);
        if (rc != MDM_OK)
            return rc;
    }
    return MDM_OK;
}

/* Generates each gen:NAME fixture the scripts use, once. */
static mdm_status generate(main_ctx *m, mdm_error *err)
{
    char **done = NULL;
    size_t ndone = 0;
    mdm_status rc = MDM_OK;
    for (size_t s = 0; s < m->run.nscripts && rc == MDM_OK; s++) {
        const mdm_cmp_script *sc = &m->run.scripts[s];
        for (size_t i = 0; i < sc->nops && rc == MDM_OK; i++) {
            const char *src = sc->ops[i].source;
            bool seen = false;
            if (src == NULL || strncmp(src, "gen:", 4) != 0)
                continue;
            for (size_t j = 0; j < ndone && !seen; j++)
                seen = strcmp(done[j], src) == 0;
            if (seen)
                continue;
            rc = mdm_gencsv_fixture_write(m->run.opts.gen_dir, src + 4, err);
            if (rc == MDM_OK)
                rc = mdm_cmp__strv_push(&done, &ndone, src, strlen(src), err);
        }
    }
    mdm_cmp__strv_free(done, ndone);
    return rc;
}

/* ---- backends ------------------------------------------------------------- */

static void warn_no_pg(const char *why)
{
    fprintf(stderr,
            "############################################################\n"
            "# WARNING: PostgreSQL is not available (%s).\n"
            "# mdm-compare runs on SQLite ONLY: PostgreSQL cells are NOT run.\n"
            "# Start one: eval \"$(bash ci/pg.sh start)\"  (sets MDM_PG_DSN)\n"
            "############################################################\n",
            why);
}

static mdm_status pick_backends(mdm_cmp_run *r, mdm_error *err)
{
    const char *want = r->opts.backend, *dsn = getenv("MDM_PG_DSN");
    mdm_error perr;
    if (strcmp(want, "postgresql") != 0)
        r->backends[r->nbackends++] = "sqlite";
    if (strcmp(want, "sqlite") == 0)
        return MDM_OK;
    if (dsn == NULL || dsn[0] == '\0') {
        mdm_error_set(&perr, MDM_ERR_CONFIG, "MDM_PG_DSN is not set");
    } else if (mdm_cmp_pg_version(dsn, r->pg_version, sizeof r->pg_version, &perr) == MDM_OK) {
        r->pg_dsn = dsn;
        r->backends[r->nbackends++] = "postgresql";
        return MDM_OK;
    }
    if (strcmp(want, "postgresql") == 0)
        return mdm_error_set(err, MDM_ERR_CONNECTION, "--backend postgresql: %s", perr.message);
    r->pg_missing = true;
    warn_no_pg(perr.message);
    return MDM_OK;
}

static mdm_status load_expected(mdm_cmp_run *r, mdm_error *err)
{
    if (access(r->opts.expected_path, F_OK) != 0) {
        fprintf(stderr, "mdm-compare: warning: %s not found: no difference is expected\n",
                r->opts.expected_path);
        return MDM_OK;
    }
    return mdm_expect_load(r->opts.expected_path, &r->expect, err);
}

static mdm_status prepare(main_ctx *m, mdm_error *err)
{
    mdm_status rc = load_expected(&m->run, err);
    if (rc == MDM_OK)
        rc = load_scripts(m, err);
    if (rc == MDM_OK)
        rc = generate(m, err);
    if (rc == MDM_OK)
        rc = pick_backends(&m->run, err);
    if (rc == MDM_OK)
        rc = mdm_cmp_run_plan(&m->run, err);
    return rc;
}

/* --random: the expected list and the backends as for files, then the
 * generated cases (cmp_random.c) instead of files. */
static int random_main(main_ctx *m, mdm_error *err)
{
    mdm_status rc = load_expected(&m->run, err);
    if (rc == MDM_OK)
        rc = pick_backends(&m->run, err);
    if (rc != MDM_OK)
        return -1;
    if (m->run.opts.mutate)
        printf("mdm-compare: SELF-TEST MUTATION ACTIVE in the modern store\n");
    int code = mdm_cmp_random_main(&m->run, err);
    const char *ci = getenv("CI");
    if (code == 0 && m->run.pg_missing && ci != NULL && strcmp(ci, "true") == 0)
        code = 1;
    return code == 2 ? -1 : code;
}

static void header(const mdm_cmp_run *r)
{
    printf("mdm-compare: %zu files, backends: sqlite%s%s%s, %zu cells (%s), -j %d\n",
           r->nscripts, r->pg_dsn ? ", postgresql " : "", r->pg_dsn ? r->pg_version : "",
           r->pg_missing ? " (PostgreSQL MISSING)" : "", r->ncells,
           r->opts.cross ? "legacy, modern, legacy>modern, modern>legacy" : "legacy, modern",
           r->opts.jobs);
    if (r->opts.mutate)
        printf("mdm-compare: SELF-TEST MUTATION ACTIVE: %s\n",
               (r->opts.mutate & MDM_CMP_MUTATE_NULLS_AS_EMPTY) ? "modern writes NULL text as ''"
                                                               : "modern trims trailing spaces");
    fflush(stdout);
}

static int finish(mdm_cmp_run *r)
{
    const char *ci = getenv("CI");
    bool ci_fail = r->pg_missing && ci != NULL && strcmp(ci, "true") == 0;
    if (ci_fail)
        fprintf(stderr, "mdm-compare: CI=true and no PostgreSQL: failing the run\n");
    mdm_cmp_report_terminal(r, stdout);
    return (r->total.unexpected > 0 || ci_fail) ? 1 : 0;
}

int mdm_cmp_main(int argc, char **argv)
{
    main_ctx m;
    mdm_error err;
    int code;
    memset(&m, 0, sizeof m);
    mdm_cmp_run_init(&m.run);
    mdm_error_clear(&err);
    code = parse_args(&m, argc, argv);
    if (code >= 0)
        goto done;
    code = 2;
    if (m.run.opts.random) {
        code = random_main(&m, &err);
        if (code < 0)
            goto fail;
        goto done;
    }
    if (prepare(&m, &err) != MDM_OK)
        goto fail;
    header(&m.run);
    if (mdm_cmp_run_execute(&m.run, &err) != MDM_OK)
        goto fail;
    if (mdm_cmp_report_files(&m.run, m.run.opts.report_dir, &err) != MDM_OK)
        goto fail;
    if (m.run.opts.verbose)
        printf("mdm-compare: reports in %s/compare.{md,json,junit.xml}\n", m.run.opts.report_dir);
    code = finish(&m.run);
    goto done;
fail:
    fprintf(stderr, "mdm-compare: %s\n", err.message);
done:
    mdm_cmp_run_reset(&m.run);
    mdm_cmp__strv_free(m.found, m.nfound);
    return code;
}
