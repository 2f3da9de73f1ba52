/* SPDX-License-Identifier: MIT */
/*
 * cmp_run.c - the matrix and its execution: every cell in a forked child
 * (legacy's singleton and read cache cannot leak between cells; a crash or
 * a hang becomes that cell's difference), at most -j at a time, each with
 * a time limit; fresh databases per cell (SQLite files in the cell's temp
 * folder, PostgreSQL databases dropped by the parent afterwards).
 */
#include "cmp_run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmp_cell.h"
#include "cmp_store.h"
#include "mdm_clock.h"

void mdm_cmp_run_init(mdm_cmp_run *r)
{
    memset(r, 0, sizeof *r);
    mdm_expect_list_init(&r->expect);
}

void mdm_cmp_run_reset(mdm_cmp_run *r)
{
    for (size_t i = 0; i < r->nscripts; i++)
        mdm_cmp_script_reset(&r->scripts[i]);
    free(r->scripts);
    for (size_t i = 0; i < r->ncells; i++)
        mdm_cmp_diffs_reset(&r->cells[i].diffs);
    free(r->cells);
    free(r->stale);
    mdm_expect_list_reset(&r->expect);
    mdm_cmp_run_init(r);
}

void mdm_cmp_op_where(const mdm_cmp_script *s, size_t op, char *buf, size_t n)
{
    if (op == MDM_CMP_NO_OP || op >= s->nops)
        snprintf(buf, n, "(whole cell)");
    else
        snprintf(buf, n, "%s (line %d)", mdm_cmp_op_name(&s->ops[op]), s->ops[op].line);
}

/* ---- the plan ------------------------------------------------------------- */

static const char *const IMPLS[4][2] = {
    { "legacy", "legacy" },   /* the control */
    { "modern", "modern" },
    { "legacy", "modern" },   /* modern reads what legacy wrote */
    { "modern", "legacy" },   /* legacy reads what modern wrote */
};

mdm_status mdm_cmp_run_plan(mdm_cmp_run *r, mdm_error *err)
{
    size_t per = r->opts.cross ? 4 : 2;
    r->ncells = r->nscripts * r->nbackends * per;
    r->cells = calloc(r->ncells + 1, sizeof *r->cells);
    if (r->cells == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t s = 0; s < r->nscripts; s++) {
        for (size_t b = 0; b < r->nbackends; b++) {
            size_t control = k;
            for (size_t i = 0; i < per; i++, k++) {
                mdm_cmp_cell *c = &r->cells[k];
                c->script = s;
                c->backend = r->backends[b];
                c->writer = IMPLS[i][0];
                c->reader = IMPLS[i][1];
                c->control = control;
                c->unfinished = -1;
                mdm_cmp_cell_name(c->writer, c->reader, c->name, sizeof c->name);
                mdm_cmp_diffs_init(&c->diffs);
            }
        }
    }
    return MDM_OK;
}

/* ---- children ------------------------------------------------------------ */

/* gcov's, in --coverage builds only (weak: NULL elsewhere). */
extern void __gcov_dump(void) __attribute__((weak));

static void pg_prefix(const mdm_cmp_run *r, size_t cell, char *buf, size_t n)
{
    snprintf(buf, n, "mdmcmp_%ld_%zu_", r->run_id, cell);
}

/* In the child: log to the cell folder, run, never return. */
static void child_main(mdm_cmp_run *r, size_t idx)
{
    mdm_cmp_cell *c = &r->cells[idx];
    char log[600], result[600], prefix[64];
    snprintf(log, sizeof log, "%s/log", c->dir);
    snprintf(result, sizeof result, "%s/results", c->dir);
    pg_prefix(r, idx, prefix, sizeof prefix);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        (void)dup2(fd, STDOUT_FILENO);
        (void)dup2(fd, STDERR_FILENO);
        close(fd);
    }
    alarm((unsigned)r->opts.timeout_s + 30);   /* a guard if the parent dies */
    mdm_cmp_cell_spec spec = {
        .script = &r->scripts[c->script],
        .env = { c->backend, c->dir, r->pg_dsn, prefix, r->opts.mutate },
        .writer = c->writer,
        .reader = c->reader,
        .result_path = result,
        .gen_dir = r->opts.gen_dir,
    };
    fflush(stdout);
    int code = mdm_cmp_cell_run(&spec);
    /* _exit skips the exit handlers, and with them a coverage build's
     * counters of the store code the cell ran (the program's code, gated
     * like it): write those first. __gcov_dump exists only in such builds. */
    if (__gcov_dump != NULL)
        __gcov_dump();
    _exit(code);
}

static mdm_status spawn(mdm_cmp_run *r, size_t idx, mdm_error *err)
{
    mdm_cmp_cell *c = &r->cells[idx];
    snprintf(c->dir, sizeof c->dir, "%s/cell-%zu", r->tmp_dir, idx);
    if (mkdir(c->dir, 0755) != 0)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", c->dir, strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return mdm_error_set(err, MDM_ERR_IO, "fork: %s", strerror(errno));
    if (pid == 0)
        child_main(r, idx);
    c->pid = pid;
    c->phase = 1;
    c->started = mdm_clock_now_s();
    return MDM_OK;
}

/* A finished PostgreSQL cell's databases go, through a store as every
 * other database operation (a child that died may have left them). */
static void drop_databases(mdm_cmp_run *r, size_t idx)
{
    mdm_cmp_cell *c = &r->cells[idx];
    const mdm_cmp_script *s = &r->scripts[c->script];
    char prefix[64], name[160];
    mdm_cmp_env env = {"postgresql", NULL, r->pg_dsn, prefix, 0};
    mdm_router *router = NULL;
    mdm_store *st = NULL;
    mdm_error err;
    if (strcmp(c->backend, "postgresql") != 0)
        return;
    pg_prefix(r, idx, prefix, sizeof prefix);
    if (mdm_cmp_router_new(&env, &router, &err) != MDM_OK ||
        mdm_router_store(router, MDM_IMPL_MODERN, &st, &err) != MDM_OK)
        fprintf(stderr, "mdm-compare: warning: %s\n", err.message);
    for (size_t i = 0; st != NULL && i < s->ndatasets; i++) {
        bool there = false;
        snprintf(name, sizeof name, "%s%s", prefix, s->datasets[i]);
        if (st->ops->db_exists(st, name, &there, &err) != MDM_OK ||
            (there && st->ops->db_drop(st, name, &err) != MDM_OK))
            fprintf(stderr, "mdm-compare: warning: %s\n", err.message);
    }
    mdm_router_free(router);
}

static void finish(mdm_cmp_run *r, size_t idx, int status)
{
    mdm_cmp_cell *c = &r->cells[idx];
    c->phase = 2;
    c->seconds = mdm_clock_now_s() - c->started;
    if (WIFEXITED(status))
        c->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        c->term_signal = WTERMSIG(status);
    drop_databases(r, idx);
}

/* Reaps finished children and kills the ones past the time limit;
 * returns how many ended. */
static size_t reap(mdm_cmp_run *r, size_t *running)
{
    size_t ended = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        mdm_cmp_cell *c = &r->cells[i];
        int status = 0;
        if (c->phase != 1)
            continue;
        pid_t got = waitpid(c->pid, &status, WNOHANG);
        if (got == 0 && mdm_clock_now_s() - c->started > r->opts.timeout_s) {
            kill(c->pid, SIGKILL);
            got = waitpid(c->pid, &status, 0);
            c->timed_out = true;
        }
        if (got == c->pid || got < 0) {
            finish(r, i, status);
            (*running)--;
            ended++;
        }
    }
    return ended;
}

static void progress(const mdm_cmp_run *r, size_t done)
{
    if (!isatty(STDERR_FILENO))
        return;
    fprintf(stderr, "\rmdm-compare: %zu/%zu cells", done, r->ncells);
    if (done == r->ncells)
        fputc('\n', stderr);
}

static mdm_status run_cells(mdm_cmp_run *r, mdm_error *err)
{
    size_t next = 0, running = 0, done = 0;
    const struct timespec pause = { 0, 5 * 1000 * 1000 };
    while (done < r->ncells) {
        while (running < (size_t)r->opts.jobs && next < r->ncells) {
            mdm_status rc = spawn(r, next++, err);
            if (rc != MDM_OK)
                return rc;
            running++;
        }
        size_t ended = reap(r, &running);
        done += ended;
        if (ended > 0)
            progress(r, done);
        else
            nanosleep(&pause, NULL);
    }
    return MDM_OK;
}

/* ---- analysis ------------------------------------------------------------ */

/* Loaded results of one cell. */
typedef struct loaded {
    mdm_cmp_result *res;
    size_t n;
} loaded;

static void loaded_reset(loaded *l)
{
    for (size_t i = 0; l->res != NULL && i < l->n; i++)
        mdm_cmp_result_reset(&l->res[i]);
    free(l->res);
    l->res = NULL;
}

static mdm_status load_cell(mdm_cmp_run *r, mdm_cmp_cell *c, loaded *l, mdm_error *err)
{
    const mdm_cmp_script *s = &r->scripts[c->script];
    char path[600];
    l->n = s->nops;
    l->res = calloc(s->nops + 1, sizeof *l->res);
    if (l->res == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->nops; i++)
        mdm_cmp_result_init(&l->res[i]);
    snprintf(path, sizeof path, "%s/results", c->dir);
    mdm_status rc = mdm_cmp_results_read(path, l->res, l->n, &c->unfinished, err);
    for (size_t i = 0; i < s->nops && rc == MDM_OK; i++)
        rc = mdm_cmp_result_normalize(&s->ops[i], &l->res[i], err);
    return rc;
}

/* The last non-empty line of the cell's log (its stderr). */
static void log_tail(const mdm_cmp_cell *c, char *buf, size_t n)
{
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/log", c->dir);
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '\0') {
            size_t len = strlen(line);
            if (len >= n)
                len = n - 1;
            memcpy(buf, line, len);
            buf[len] = '\0';
        }
    }
    fclose(f);
}

/* A crash, a hang or a failed setup as the cell's difference. */
static mdm_status process_diff(mdm_cmp_run *r, mdm_cmp_cell *c, mdm_error *err)
{
    const mdm_cmp_script *s = &r->scripts[c->script];
    char where[300], tail[400], msg[900];
    size_t op = c->unfinished >= 0 ? (size_t)c->unfinished : MDM_CMP_NO_OP;
    const char *kind = NULL;
    mdm_cmp_op_where(s, op, where, sizeof where);
    log_tail(c, tail, sizeof tail);
    if (c->timed_out) {
        kind = "timeout";
        snprintf(msg, sizeof msg, "timed out after %.0f s during %s", r->opts.timeout_s, where);
    } else if (c->term_signal != 0) {
        kind = "crash";
        snprintf(msg, sizeof msg, "killed by signal %d (%s) during %s%s%s", c->term_signal,
                 strsignal(c->term_signal), where, tail[0] ? "; last output: " : "", tail);
    } else if (c->exit_code == MDM_CMP_CHILD_SETUP_FAILED) {
        kind = "setup";
        snprintf(msg, sizeof msg, "cell setup failed: %s", tail);
    } else if (c->exit_code != 0) {
        kind = "crash";
        snprintf(msg, sizeof msg, "exited with status %d during %s%s%s", c->exit_code, where,
                 tail[0] ? "; last output: " : "", tail);
    }
    return kind ? mdm_cmp_diffs_add(&c->diffs, op, kind, msg, err) : MDM_OK;
}

/* Are the file's recorded results another engine's than this backend?
 * (--slt-engine sqlite: the published corpus, recorded by SQLite, run on
 * PostgreSQL.) Then disagreeing with them is reported, not a failure. */
static bool recorded_elsewhere(const mdm_cmp_run *r, const mdm_cmp_cell *c)
{
    return r->opts.slt_engine != NULL && strcasecmp(r->opts.slt_engine, c->backend) != 0;
}

/* Checks every op against the file; marks the differences as reported
 * when the file was recorded by another engine. */
static mdm_status check_recorded(mdm_cmp_run *r, mdm_cmp_cell *c, const loaded *x,
                                 mdm_error *err)
{
    const mdm_cmp_script *s = &r->scripts[c->script];
    size_t before = c->diffs.count;
    mdm_status rc = MDM_OK;
    for (size_t i = 0; i < s->nops && rc == MDM_OK; i++)
        rc = mdm_cmp_check_recorded(s, i, &x->res[i], &c->diffs, err);
    for (size_t i = before; i < c->diffs.count && recorded_elsewhere(r, c); i++)
        c->diffs.items[i].reported = true;
    return rc;
}

static mdm_status compare_cell(mdm_cmp_run *r, mdm_cmp_cell *c, const loaded *ctl,
                               const mdm_cmp_cell *cc, const loaded *x, mdm_error *err)
{
    const mdm_cmp_script *s = &r->scripts[c->script];
    mdm_status rc = process_diff(r, c, err);
    if (rc == MDM_OK)
        rc = check_recorded(r, c, x, err);
    if (rc == MDM_OK && s->is_slt)
        rc = mdm_cmp_check_labels(s, x->res, &c->diffs, err);
    if (c == cc)
        return rc;
    for (size_t i = 0; i < s->nops && rc == MDM_OK; i++) {
        if (ctl->res[i].state != MDM_CMP_RAN || x->res[i].state != MDM_CMP_RAN)
            continue;
        rc = mdm_cmp_compare_op(s, i, &ctl->res[i], cc->name, &x->res[i], c->name, &c->diffs,
                                err);
    }
    return rc;
}

/* Matches each difference against the list and sets the verdict. */
static void judge(mdm_cmp_run *r, mdm_cmp_cell *c)
{
    const mdm_cmp_script *s = &r->scripts[c->script];
    c->verdict = MDM_CMP_MATCHED;
    for (size_t i = 0; i < c->diffs.count; i++) {
        mdm_cmp_diff *d = &c->diffs.items[i];
        if (d->reported) {
            c->reported++;
            continue;
        }
        mdm_expect_key k = { s->name, d->op < s->nops ? mdm_cmp_op_name(&s->ops[d->op]) : "",
                               c->backend, c->name, d->kind, d->message, NULL };
        d->expect = mdm_expect_match(&r->expect, &k);
        if (d->expect >= 0) {
            r->expect.items[d->expect].hits++;
            if (c->verdict == MDM_CMP_MATCHED)
                c->verdict = MDM_CMP_EXPECTED;
        } else {
            c->verdict = MDM_CMP_UNEXPECTED;
        }
    }
}

/* Counts the cell's sqllogictest records from its results and judged
 * differences (per op: 1 passed, 2 noted, 3 failed). */
static mdm_status count_records(mdm_cmp_run *r, mdm_cmp_cell *c, const loaded *x, mdm_error *err)
{
    const mdm_cmp_script *s = &r->scripts[c->script];
    unsigned char *worst = calloc(s->nops + 1, 1);
    if (worst == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->diffs.count; i++) {
        const mdm_cmp_diff *d = &c->diffs.items[i];
        unsigned char w = (d->expect >= 0 || d->reported) ? 2 : 3;
        if (d->op < s->nops && worst[d->op] < w)
            worst[d->op] = (unsigned char)w;
    }
    for (size_t i = 0; i < s->nops; i++) {
        const mdm_cmp_op *op = &s->ops[i];
        if (!op->slt || op->kind == MDM_CMP_OP_HALT)
            continue;
        if (x->res[i].state == MDM_CMP_SKIPPED)
            c->records.skipped++;
        if (x->res[i].state != MDM_CMP_RAN)
            continue;
        c->records.run++;
        c->records.passed += worst[i] == 0;
        c->records.noted += worst[i] == 2;
        c->records.failed += worst[i] == 3;
    }
    free(worst);
    return MDM_OK;
}

/* Analyses the cells of one (script, backend) group. */
static mdm_status analyse_group(mdm_cmp_run *r, size_t first, size_t count, mdm_error *err)
{
    loaded l[4];
    mdm_status rc = MDM_OK;
    memset(l, 0, sizeof l);
    for (size_t i = 0; i < count && rc == MDM_OK; i++)
        rc = load_cell(r, &r->cells[first + i], &l[i], err);
    for (size_t i = 0; i < count && rc == MDM_OK; i++) {
        rc = compare_cell(r, &r->cells[first + i], &l[0], &r->cells[first], &l[i], err);
        judge(r, &r->cells[first + i]);
        if (rc == MDM_OK)
            rc = count_records(r, &r->cells[first + i], &l[i], err);
    }
    for (size_t i = 0; i < count; i++)
        loaded_reset(&l[i]);
    return rc;
}

/* An entry is stale when it matched nothing although a scenario and a
 * backend it names did run (entries for any scenario: on full runs). */
static bool applicable(const mdm_cmp_run *r, const mdm_expect *e)
{
    bool script = false, backend = false;
    if (e->scenario == NULL && r->opts.nfiles > 0)
        return false;   /* "any scenario" is only judged on a full run */
    for (size_t i = 0; i < r->nscripts && !script; i++)
        script = mdm_glob_list_match(e->scenario, r->scripts[i].name);
    for (size_t i = 0; i < r->nbackends && !backend; i++)
        backend = mdm_glob_list_match(e->backend, r->backends[i]);
    return script && backend;
}

size_t mdm_cmp_cell_slot(const mdm_cmp_run *r, const mdm_cmp_cell *c)
{
    return (size_t)(c - &r->cells[c->control]) % 4;
}

size_t mdm_cmp_backend_slot(const char *backend)
{
    return strcmp(backend, "postgresql") == 0;
}

static void add_records(mdm_cmp_records *to, const mdm_cmp_records *x)
{
    to->run += x->run;
    to->passed += x->passed;
    to->skipped += x->skipped;
    to->failed += x->failed;
    to->noted += x->noted;
}

static void count_totals(mdm_cmp_run *r)
{
    for (size_t i = 0; i < r->ncells; i++) {
        const mdm_cmp_cell *c = &r->cells[i];
        add_records(&r->records, &c->records);
        add_records(&r->records_by[mdm_cmp_backend_slot(c->backend)][mdm_cmp_cell_slot(r, c)],
                    &c->records);
        r->reported += c->reported;
        mdm_cmp_totals *b = &r->per_backend[strcmp(c->backend, "postgresql") == 0];
        mdm_cmp_totals *t[2] = { &r->total, b };
        for (int j = 0; j < 2; j++) {
            t[j]->cells++;
            t[j]->matched += c->verdict == MDM_CMP_MATCHED;
            t[j]->expected += c->verdict == MDM_CMP_EXPECTED;
            t[j]->unexpected += c->verdict == MDM_CMP_UNEXPECTED;
        }
    }
    r->stale = calloc(r->expect.count + 1, sizeof *r->stale);
    for (size_t i = 0; r->stale != NULL && i < r->expect.count; i++) {
        r->stale[i] = r->expect.items[i].hits == 0 && applicable(r, &r->expect.items[i]);
        r->nstale += r->stale[i];
    }
}

static void remove_tree(const char *path)
{
    char cmd[700];
    if (path[0] == '\0' || strchr(path, '\'') != NULL)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "mdm-compare: warning: could not remove %s\n", path);
}

mdm_status mdm_cmp_run_execute(mdm_cmp_run *r, mdm_error *err)
{
    const char *base = getenv("TMPDIR");
    double t0 = mdm_clock_now_s();
    mdm_status rc = MDM_OK;
    size_t per = r->opts.cross ? 4 : 2;
    r->run_id = (long)getpid();
    snprintf(r->tmp_dir, sizeof r->tmp_dir, "%s/mdm-compare.XXXXXX",
             (base && base[0]) ? base : "/tmp");
    if (mkdtemp(r->tmp_dir) == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "mkdtemp: %s", strerror(errno));
    rc = run_cells(r, err);
    for (size_t g = 0; g + per <= r->ncells && rc == MDM_OK; g += per)
        rc = analyse_group(r, g, per, err);
    count_totals(r);
    r->seconds = mdm_clock_now_s() - t0;
    if (!r->opts.keep)
        remove_tree(r->tmp_dir);
    else
        fprintf(stderr, "mdm-compare: kept cell folders in %s\n", r->tmp_dir);
    return rc;
}
