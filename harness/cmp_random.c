/* SPDX-License-Identifier: MIT */
/*
 * cmp_random.c - `mdm-compare --random` (cmp_random.h). Cases are
 * generated in batches of a few (so -j keeps every core busy), each
 * rendered as a scenario script and run through the matrix by the same
 * code as fixture files (cmp_run.c). A difference that matches the
 * expected-differences list is counted under its id; the first unexpected
 * one of a case is shrunk with ddmin while the same cell keeps a first
 * unexpected difference of the same kind, then written out and replayed
 * from the written file to prove it reproduces. Only the first case of
 * each (backend, cell, kind, op) is shrunk: the same bug found again is
 * counted and pointed at the first one's scenario.
 */
#include "cmp_random.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmp_rcase.h"
#include "cmp_report.h"
#include "cmp_shrink.h"
#include "mdm_clock.h"

#define MAX_ROWS 5000           /* rows per generated file, at most */
#define CASES_PER_JOB 2         /* cases per batch and -j slot */
#define SHRINK_BUDGET_S 180.0   /* per shrunk case; past it the smaller case so far is written */
#define MAX_SHRUNK 8            /* distinct unexpected differences shrunk per run */

/* One unexpected difference found by a case. */
typedef struct found {
    uint64_t index;
    const char *backend;
    char cell[32], kind[24], op[64];
    char message[900];
    char shrunk[900];           /* the shrunk scenario's first difference */
    long first;                 /* index of the earlier found it repeats, or -1 */
    char path[800];             /* the shrunk scenario */
    size_t rows, cols, ops;
    unsigned tests;
    double shrink_s;
    bool complete, replays;
} found;

typedef struct rnd {
    mdm_cmp_run *base;
    char work[512];             /* the cases' files while they run */
    char out_dir[700];          /* <report-dir>/random */
    size_t cases, cells;
    double seconds;
    size_t *hits;               /* per expected-differences entry */
    found *found;
    size_t nfound, nshrunk;
    mdm_error *err;
} rnd;

static void case_base(uint64_t seed, uint64_t index, char *buf, size_t n)
{
    snprintf(buf, n, "%" PRIu64 "-%" PRIu64, seed, index);
}

/* The case as a script: its CSV files written into dir, its scenario text
 * parsed as if it were the file dir/<seed>-<case>.scn. */
static mdm_status case_script(const mdm_rc_case *c, const char *dir, const char *comment,
                              bool write_scn, mdm_cmp_script *s, mdm_error *err)
{
    char base[64], path[900];
    mdm_buf text;
    case_base(c->seed, c->index, base, sizeof base);
    snprintf(path, sizeof path, "%s/%s.scn", dir, base);
    mdm_buf_init(&text);
    mdm_status rc = mdm_rc_write_csvs(c, dir, base, err);
    if (rc == MDM_OK)
        rc = mdm_rc_render(c, base, comment, &text, err);
    if (rc == MDM_OK && write_scn) {
        FILE *f = fopen(path, "wb");
        if (f == NULL || fwrite(text.data, 1, text.len, f) != text.len)
            rc = mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
        if (f != NULL && fclose(f) != 0 && rc == MDM_OK)
            rc = mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (rc == MDM_OK)
        rc = mdm_cmp_scenario_parse(path, mdm_buf_str(&text), text.len, s, err);
    mdm_buf_reset(&text);
    return rc;
}

/* A run of the given scripts (taken over) on one backend or all of base's,
 * with base's options and expected-differences list (borrowed). */
static mdm_status run_matrix(rnd *k, mdm_cmp_script *scripts, size_t n, const char *backend,
                             bool cross, mdm_cmp_run *r, mdm_error *err)
{
    const mdm_cmp_run *b = k->base;
    mdm_cmp_run_init(r);
    r->opts = b->opts;
    r->opts.cross = cross;
    r->opts.keep = false;
    r->opts.files = NULL;
    r->opts.nfiles = 0;
    r->pg_dsn = b->pg_dsn;
    memcpy(r->pg_version, b->pg_version, sizeof r->pg_version);
    for (size_t i = 0; i < b->nbackends; i++)
        if (backend == NULL || strcmp(backend, b->backends[i]) == 0)
            r->backends[r->nbackends++] = b->backends[i];
    r->scripts = scripts;
    r->nscripts = n;
    r->expect = b->expect;
    mdm_status rc = mdm_cmp_run_plan(r, err);
    return rc == MDM_OK ? mdm_cmp_run_execute(r, err) : rc;
}

/* Frees a run of run_matrix (not the borrowed list). */
static void release_run(mdm_cmp_run *r)
{
    mdm_expect_list_init(&r->expect);
    mdm_cmp_run_reset(r);
}

/* The first unexpected difference of script s in r: its cell and diff. */
static bool first_unexpected(const mdm_cmp_run *r, size_t s, const mdm_cmp_cell **cell,
                             const mdm_cmp_diff **diff)
{
    for (size_t i = 0; i < r->ncells; i++) {
        const mdm_cmp_cell *c = &r->cells[i];
        for (size_t j = 0; c->script == s && j < c->diffs.count; j++) {
            if (c->diffs.items[j].expect < 0) {
                *cell = c;
                *diff = &c->diffs.items[j];
                return true;
            }
        }
    }
    return false;
}

/* ---- shrinking ------------------------------------------------------------ */

/* What a candidate must still show: in this backend's cell, a first
 * unexpected difference of this kind. */
typedef struct target {
    rnd *k;
    const char *backend;
    const char *cell, *kind;
    char last[900];             /* the difference of the last candidate that showed it */
} target;

static bool shows(target *t, mdm_cmp_script *script)
{
    mdm_cmp_run r;
    mdm_error err;
    bool cross = strcmp(t->cell, "modern") != 0, yes = false;
    if (run_matrix(t->k, script, 1, t->backend, cross, &r, &err) == MDM_OK) {
        for (size_t i = 0; i < r.ncells && !yes; i++) {
            const mdm_cmp_cell *c = &r.cells[i];
            for (size_t j = 0; strcmp(c->name, t->cell) == 0 && j < c->diffs.count; j++) {
                if (c->diffs.items[j].expect < 0) {
                    yes = strcmp(c->diffs.items[j].kind, t->kind) == 0;
                    if (yes)
                        snprintf(t->last, sizeof t->last, "%s", c->diffs.items[j].message);
                    break;
                }
            }
        }
    }
    release_run(&r);
    return yes;
}

static bool test_candidate(void *ctx, const mdm_rc_case *c)
{
    target *t = ctx;
    mdm_error err;
    mdm_cmp_script *s = calloc(1, sizeof *s);
    if (s == NULL)
        return false;
    mdm_cmp_script_init(s);
    if (case_script(c, t->k->work, NULL, false, s, &err) != MDM_OK) {
        mdm_cmp_script_reset(s);
        free(s);
        return false;   /* not a scenario (cannot happen): not the same difference */
    }
    return shows(t, s);   /* the run owns and frees s */
}

/* Replays the written file, as `mdm-compare FILE` would. */
static bool replays(target *t, const char *path)
{
    mdm_error err;
    mdm_cmp_script *s = calloc(1, sizeof *s);
    if (s == NULL)
        return false;
    mdm_cmp_script_init(s);
    if (mdm_cmp_script_load(path, s, &err) != MDM_OK) {
        fprintf(stderr, "mdm-compare --random: %s\n", err.message);
        mdm_cmp_script_reset(s);
        free(s);
        return false;
    }
    return shows(t, s);
}

static void describe(const found *f, uint64_t seed, char *buf, size_t n)
{
    snprintf(buf, n,
             "mdm-compare --random --seed %" PRIu64 " found this in case %" PRIu64
             " (%s, cell %s):\n  %s in %s: %s\n"
             "shrunk by ddmin to %zu rows, %zu columns, %zu operations%s, where it is:\n"
             "  %s: %s\n"
             "Replay: mdm-compare --backend %s THIS_FILE",
             seed, f->index, f->backend, f->cell, f->kind, f->op, f->message, f->rows, f->cols,
             f->ops, f->complete ? "" : " (stopped at the time limit: may shrink further)",
             f->kind, f->shrunk, f->backend);
}

/* Shrinks case c for f and writes it to <out_dir>/<seed>-<case>.scn. */
static mdm_status shrink_and_write(rnd *k, mdm_rc_case *c, found *f, mdm_error *err)
{
    target t = { k, f->backend, f->cell, f->kind, "" };
    mdm_shrink_stats st;
    char comment[3000], base[64];
    double t0 = mdm_clock_now_s();
    printf("random: case %" PRIu64 ": unexpected %s in %s/%s (%s), shrinking...\n", f->index,
           f->kind, f->backend, f->cell, f->message);
    fflush(stdout);
    mdm_shrink_case(c, test_candidate, &t, t0 + SHRINK_BUDGET_S, &st);
    f->shrink_s = mdm_clock_now_s() - t0;
    f->tests = st.tests;
    f->complete = st.complete;
    mdm_rc_size(c, &f->rows, &f->cols, &f->ops);
    /* ddmin's last success is the shrunk case (none: nothing could go) */
    snprintf(f->shrunk, sizeof f->shrunk, "%s", t.last[0] ? t.last : f->message);
    describe(f, c->seed, comment, sizeof comment);
    case_base(c->seed, c->index, base, sizeof base);
    snprintf(f->path, sizeof f->path, "%s/%s.scn", k->out_dir, base);
    mdm_cmp_script s;
    mdm_cmp_script_init(&s);
    mdm_status rc = case_script(c, k->out_dir, comment, true, &s, err);
    mdm_cmp_script_reset(&s);
    if (rc == MDM_OK)
        f->replays = replays(&t, f->path);
    printf("random: case %" PRIu64 ": %zu rows, %zu columns, %zu operations after %u runs "
           "(%.1f s)%s: %s\n",
           f->index, f->rows, f->cols, f->ops, f->tests, f->shrink_s,
           f->replays ? "" : " (DOES NOT REPLAY)", f->path);
    return rc;
}

/* ---- the run -------------------------------------------------------------- */

static found *add_found(rnd *k, const mdm_cmp_cell *cell, const mdm_cmp_diff *d,
                        const mdm_cmp_script *s, uint64_t index)
{
    found *grown = realloc(k->found, (k->nfound + 1) * sizeof *grown);
    if (grown == NULL)
        return NULL;
    k->found = grown;
    found *f = &grown[k->nfound++];
    memset(f, 0, sizeof *f);
    f->index = index;
    f->backend = cell->backend;
    f->first = -1;
    snprintf(f->cell, sizeof f->cell, "%s", cell->name);
    snprintf(f->kind, sizeof f->kind, "%s", d->kind);
    snprintf(f->op, sizeof f->op, "%s", d->op < s->nops ? mdm_cmp_op_name(&s->ops[d->op]) : "");
    snprintf(f->message, sizeof f->message, "%s", d->message);
    for (size_t i = 0; i + 1 < k->nfound && f->first < 0; i++) {
        const found *e = &k->found[i];
        if (e->first < 0 && e->backend == f->backend && !strcmp(e->cell, f->cell) &&
            !strcmp(e->kind, f->kind) && !strcmp(e->op, f->op))
            f->first = (long)i;
    }
    return f;
}

/* Counts the expected hits of the batch's cells and handles the first
 * unexpected difference of each case. */
static mdm_status analyse(rnd *k, const mdm_cmp_run *r, mdm_rc_case *cases, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (size_t i = 0; i < r->ncells; i++)
        for (size_t j = 0; j < r->cells[i].diffs.count; j++)
            if (r->cells[i].diffs.items[j].expect >= 0)
                k->hits[r->cells[i].diffs.items[j].expect]++;
    for (size_t s = 0; s < r->nscripts && rc == MDM_OK; s++) {
        const mdm_cmp_cell *cell;
        const mdm_cmp_diff *d;
        if (!first_unexpected(r, s, &cell, &d))
            continue;
        found *f = add_found(k, cell, d, &r->scripts[s], cases[s].index);
        if (f == NULL)
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        if (f->first >= 0) {
            printf("random: case %" PRIu64 ": unexpected %s in %s/%s again (as case %" PRIu64
                   ")\n", f->index, f->kind, f->backend, f->cell, k->found[f->first].index);
        } else if (k->nshrunk < MAX_SHRUNK) {
            k->nshrunk++;
            rc = shrink_and_write(k, &cases[s], f, err);
        }
    }
    return rc;
}

/* Generates cases [first, first + n) and runs them through the matrix. */
static mdm_status batch(rnd *k, uint64_t first, size_t n, mdm_error *err)
{
    mdm_rc_case *cases = calloc(n, sizeof *cases);
    mdm_cmp_script *scripts = calloc(n, sizeof *scripts);
    mdm_status rc = cases && scripts ? MDM_OK : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    size_t made = 0;
    for (; made < n && rc == MDM_OK; made++) {
        mdm_rc_case_init(&cases[made]);
        mdm_cmp_script_init(&scripts[made]);
        rc = mdm_rc_generate(k->base->opts.seed, first + made, MAX_ROWS, &cases[made], err);
        if (rc == MDM_OK)
            rc = case_script(&cases[made], k->work, NULL, false, &scripts[made], err);
    }
    mdm_cmp_run r;
    if (rc == MDM_OK) {
        rc = run_matrix(k, scripts, n, NULL, true, &r, err);
        scripts = NULL;   /* the run owns them now */
        k->cases += n;
        k->cells += r.ncells;
        if (rc == MDM_OK)
            rc = analyse(k, &r, cases, err);
        release_run(&r);
    }
    for (size_t i = 0; scripts != NULL && i < made; i++)
        mdm_cmp_script_reset(&scripts[i]);
    free(scripts);
    for (size_t i = 0; cases != NULL && i < made; i++)
        mdm_rc_case_reset(&cases[i]);
    free(cases);
    return rc;
}

static mdm_status make_dirs(rnd *k, mdm_error *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(k->work, sizeof k->work, "%s/mdm-random.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(k->work) == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "mkdtemp: %s", strerror(errno));
    (void)mkdir(k->base->opts.report_dir, 0755);
    snprintf(k->out_dir, sizeof k->out_dir, "%s/random", k->base->opts.report_dir);
    if (mkdir(k->out_dir, 0755) != 0 && errno != EEXIST)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", k->out_dir, strerror(errno));
    return MDM_OK;
}

static void remove_work(rnd *k)
{
    char cmd[700];
    if (k->work[0] == '\0' || strchr(k->work, '\'') != NULL)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", k->work);
    if (system(cmd) != 0)
        fprintf(stderr, "mdm-compare: warning: could not remove %s\n", k->work);
}

/* Batches until --cases cases ran or --time seconds passed. */
static mdm_status run_all(rnd *k, mdm_error *err)
{
    const mdm_cmp_opts *o = &k->base->opts;
    size_t per = (size_t)(o->jobs > 0 ? o->jobs : 1) * CASES_PER_JOB;
    double t0 = mdm_clock_now_s();
    mdm_status rc = MDM_OK;
    for (uint64_t next = 0; rc == MDM_OK; next += per) {
        size_t n = per;
        if (o->random_cases > 0 && next >= o->random_cases)
            break;
        if (o->random_cases == 0 && mdm_clock_now_s() - t0 >= o->random_time_s)
            break;
        if (o->random_cases > 0 && next + n > o->random_cases)
            n = (size_t)(o->random_cases - next);
        rc = batch(k, next, n, err);
        if (isatty(STDERR_FILENO))
            fprintf(stderr, "\rrandom: %zu cases, %.0f s ", k->cases, mdm_clock_now_s() - t0);
    }
    if (isatty(STDERR_FILENO))
        fputc('\n', stderr);
    k->seconds = mdm_clock_now_s() - t0;
    return rc;
}

/* ---- reports -------------------------------------------------------------- */

static size_t unexpected_count(const rnd *k)
{
    return k->nfound;
}

static void summary_line(const rnd *k, char *buf, size_t n)
{
    size_t expected = 0;
    for (size_t i = 0; i < k->base->expect.count; i++)
        expected += k->hits[i];
    snprintf(buf, n,
             "random: seed %" PRIu64 ", %zu cases, %zu cells in %.1f s (%.1f cases/s), "
             "%zu expected differences, %zu unexpected",
             k->base->opts.seed, k->cases, k->cells, k->seconds,
             k->seconds > 0 ? (double)k->cases / k->seconds : 0.0, expected, unexpected_count(k));
}

static const char *shrunk_path(const rnd *k, const found *f)
{
    const found *s = f->first >= 0 ? &k->found[f->first] : f;
    return s->path[0] ? s->path : "(not shrunk: the run's limit of shrunk differences was reached)";
}

static void write_md(const rnd *k, FILE *f)
{
    char line[600];
    summary_line(k, line, sizeof line);
    fprintf(f, "# mdm-compare --random\n\n%s\n\nBackends:", line);
    for (size_t i = 0; i < k->base->nbackends; i++)
        fprintf(f, " %s", k->base->backends[i]);
    fprintf(f, "; cells per case and backend: legacy, modern, legacy>modern, modern>legacy.\n\n"
               "## Expected differences hit\n\n| id | hits |\n|---|---|\n");
    for (size_t i = 0; i < k->base->expect.count; i++)
        if (k->hits[i] > 0)
            fprintf(f, "| %s | %zu |\n", k->base->expect.items[i].id, k->hits[i]);
    fprintf(f, "\n## Unexpected differences\n\n");
    if (k->nfound == 0)
        fprintf(f, "None.\n");
    else
        fprintf(f, "| case | backend | cell | kind | op | first difference | shrunk scenario |\n"
                   "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < k->nfound; i++) {
        const found *x = &k->found[i];
        fprintf(f, "| %" PRIu64 " | %s | %s | %s | %s | %s | %s", x->index, x->backend, x->cell,
                x->kind, x->op, x->message, shrunk_path(k, x));
        if (x->first < 0 && x->path[0])
            fprintf(f, " (%zu rows, %zu columns, %zu ops; %u runs, %.1f s%s%s)", x->rows, x->cols,
                    x->ops, x->tests, x->shrink_s, x->complete ? "" : ", time limit",
                    x->replays ? "" : ", DOES NOT REPLAY");
        fprintf(f, " |\n");
    }
}

static void write_json(const rnd *k, FILE *f)
{
    fprintf(f, "{\n  \"seed\": %" PRIu64 ", \"cases\": %zu, \"cells\": %zu, \"seconds\": %.3f, "
               "\"cases_per_second\": %.3f,\n  \"backends\": [",
            k->base->opts.seed, k->cases, k->cells, k->seconds,
            k->seconds > 0 ? (double)k->cases / k->seconds : 0.0);
    for (size_t i = 0; i < k->base->nbackends; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", k->base->backends[i]);
    fprintf(f, "],\n  \"expected_differences\": {");
    bool first = true;
    for (size_t i = 0; i < k->base->expect.count; i++) {
        if (k->hits[i] == 0)
            continue;
        fprintf(f, "%s\n    ", first ? "" : ",");
        mdm_cmp_report_json_str(f, k->base->expect.items[i].id);
        fprintf(f, ": %zu", k->hits[i]);
        first = false;
    }
    fprintf(f, "\n  },\n  \"unexpected\": %zu,\n  \"differences\": [", k->nfound);
    for (size_t i = 0; i < k->nfound; i++) {
        const found *x = &k->found[i];
        fprintf(f, "%s\n    {\"case\": %" PRIu64 ", \"backend\": \"%s\", \"cell\": ", i ? "," : "",
                x->index, x->backend);
        mdm_cmp_report_json_str(f, x->cell);
        fprintf(f, ", \"kind\": ");
        mdm_cmp_report_json_str(f, x->kind);
        fprintf(f, ", \"op\": ");
        mdm_cmp_report_json_str(f, x->op);
        fprintf(f, ", \"message\": ");
        mdm_cmp_report_json_str(f, x->message);
        fprintf(f, ", \"shrunk_message\": ");
        mdm_cmp_report_json_str(f, x->first < 0 ? x->shrunk : "");
        fprintf(f, ", \"scenario\": ");
        mdm_cmp_report_json_str(f, shrunk_path(k, x));
        if (x->first < 0 && x->path[0])
            fprintf(f, ", \"rows\": %zu, \"columns\": %zu, \"operations\": %zu, \"runs\": %u, "
                       "\"shrink_seconds\": %.1f, \"complete\": %s, \"replays\": %s",
                    x->rows, x->cols, x->ops, x->tests, x->shrink_s, x->complete ? "true" : "false",
                    x->replays ? "true" : "false");
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]\n}\n");
}

static mdm_status write_reports(const rnd *k, mdm_error *err)
{
    static const char *const NAMES[] = { "random.md", "random.json" };
    for (int i = 0; i < 2; i++) {
        char path[800];
        snprintf(path, sizeof path, "%s/%s", k->base->opts.report_dir, NAMES[i]);
        FILE *f = fopen(path, "w");
        if (f == NULL)
            return mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
        if (i == 0)
            write_md(k, f);
        else
            write_json(k, f);
        if (fclose(f) != 0)
            return mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
    }
    return MDM_OK;
}

static void terminal(const rnd *k)
{
    char line[600];
    for (size_t i = 0; i < k->base->expect.count; i++)
        if (k->hits[i] > 0)
            printf("random: expected %-36s %zu\n", k->base->expect.items[i].id, k->hits[i]);
    for (size_t i = 0; i < k->nfound; i++)
        printf("random: UNEXPECTED case %" PRIu64 " %s/%s %s in %s: %s -> %s\n",
               k->found[i].index, k->found[i].backend, k->found[i].cell, k->found[i].kind,
               k->found[i].op, k->found[i].message, shrunk_path(k, &k->found[i]));
    summary_line(k, line, sizeof line);
    printf("%s\n", line);
    fflush(stdout);
}

int mdm_cmp_random_main(mdm_cmp_run *base, mdm_error *err)
{
    rnd k;
    memset(&k, 0, sizeof k);
    k.base = base;
    k.hits = calloc(base->expect.count + 1, sizeof *k.hits);
    mdm_status rc = k.hits ? make_dirs(&k, err) : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    printf("mdm-compare --random: seed %" PRIu64 ", %s %g, backends:", base->opts.seed,
           base->opts.random_cases ? "cases" : "seconds",
           base->opts.random_cases ? (double)base->opts.random_cases : base->opts.random_time_s);
    for (size_t i = 0; i < base->nbackends; i++)
        printf(" %s", base->backends[i]);
    printf(", -j %d\n", base->opts.jobs);
    fflush(stdout);
    if (rc == MDM_OK)
        rc = run_all(&k, err);
    if (rc == MDM_OK)
        rc = write_reports(&k, err);
    if (rc == MDM_OK)
        terminal(&k);
    remove_work(&k);
    free(k.hits);
    free(k.found);
    return rc != MDM_OK ? 2 : k.nfound > 0 ? 1 : 0;
}
