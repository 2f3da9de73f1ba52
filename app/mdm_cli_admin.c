/* SPDX-License-Identifier: MIT */
/*
 * mdm_cli_admin.c - the commands about mdm itself: `flags` (each effective
 * setting of the storage flag, its value and its source, and a dataset's
 * buckets) and `config migrate` (old config format to new, written
 * atomically, with the input's permissions or 0600 when it holds a secret).
 */
#include "mdm_cli_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- flags ------------------------------------------------------------------------ */

static mdm_status flag_row(mdm_table *t, const char *setting, const char *value,
                           const char *source, mdm_error *err)
{
    mdm_status rc = mdm_table_push_text(t, 0, setting, strlen(setting), err);
    if (rc == MDM_OK)
        rc = mdm_table_push_text(t, 1, value, strlen(value), err);
    if (rc == MDM_OK)
        rc = mdm_table_push_text(t, 2, source, strlen(source), err);
    return rc == MDM_OK ? mdm_table_end_row(t, err) : rc;
}

static mdm_status rollout_rows(mdm_table *t, const char *flag, const mdm_flag_rollout *r,
                               mdm_error *err)
{
    char src[300], pct[16], key[64];
    snprintf(pct, sizeof pct, "%d", r->percent);
    snprintf(key, sizeof key, "%s.percent", flag);
    mdm_status rc = flag_row(t, flag, mdm_impl_name(r->mode),
                             mdm_flag_origin_text(&r->mode_from, src, sizeof src), err);
    if (rc == MDM_OK)
        rc = flag_row(t, key, pct, mdm_flag_origin_text(&r->percent_from, src, sizeof src), err);
    return rc;
}

static mdm_status settings_rows(mdm_table *t, const cli_session *s, mdm_error *err)
{
    const mdm_flag_settings *f = &s->flags;
    char src[300];
    mdm_status rc = rollout_rows(t, MDM_FLAG_READS, &f->reads, err);
    if (rc == MDM_OK)
        rc = flag_row(t, MDM_FLAG_READS ".rest", mdm_impl_name(f->reads.rest),
                      mdm_flag_origin_text(&f->reads.rest_from, src, sizeof src), err);
    if (rc == MDM_OK)
        rc = rollout_rows(t, MDM_FLAG_WRITES, &f->writes, err);
    if (rc == MDM_OK)
        rc = flag_row(t, MDM_FLAG_WRITES ".rest", mdm_impl_name(f->writes.rest),
                      mdm_flag_origin_text(&f->writes.rest_from, src, sizeof src), err);
    if (rc == MDM_OK)
        rc = flag_row(t, "storage.kill_switch", f->kill_switch ? "on" : "off",
                      mdm_flag_origin_text(&f->kill_switch_from, src, sizeof src), err);
    if (rc == MDM_OK)
        rc = flag_row(t, "storage.shadow_log", mdm_dsm_shadow_log(s->dsm),
                      mdm_flag_origin_text(&f->shadow_log_from, src, sizeof src), err);
    if (rc == MDM_OK)
        rc = flag_row(t, "storage.expected_differences",
                      mdm_dsm_expected_list(f)[0] ? mdm_dsm_expected_list(f)
                                                  : "(none: every difference is unexpected)",
                      mdm_flag_origin_text(&f->expected_from, src, sizeof src), err);
    return rc;
}

static mdm_status decision_rows(mdm_table *t, const cli_session *s, const char *flag,
                                mdm_flag_op op, const char *name, mdm_error *err)
{
    mdm_flag_decision d;
    char key[64], bucket[16], why[160];
    mdm_flag_decide(&s->flags, op, name, &d);
    snprintf(bucket, sizeof bucket, "%d", d.bucket);
    snprintf(why, sizeof why, "murmur3(\"%s:%s\") %% 100 + 1", flag, name);
    snprintf(key, sizeof key, "%s.bucket", flag);
    mdm_status rc = flag_row(t, key, bucket, why, err);
    snprintf(key, sizeof key, "%s.serves", flag);
    if (rc == MDM_OK)
        rc = flag_row(t, key, mdm_impl_name(d.impl), d.reason, err);
    return rc;
}

static mdm_status flags_table(const cli_session *s, const char *dataset, mdm_table *t,
                              mdm_error *err)
{
    char name[MDM_DATASET_NAME_MAX + 1];
    mdm_status rc = mdm_table_add_column(t, "setting", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, "value", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, "source", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = settings_rows(t, s, err);
    if (rc != MDM_OK || dataset == NULL)
        return rc;
    rc = mdm_dataset_normalize_name(dataset, name, err);
    if (rc == MDM_OK)
        rc = flag_row(t, "dataset", name, strcmp(name, dataset) ? "normalised" : "", err);
    if (rc == MDM_OK)
        rc = decision_rows(t, s, MDM_FLAG_READS, MDM_FLAG_OP_READ, name, err);
    if (rc == MDM_OK)
        rc = decision_rows(t, s, MDM_FLAG_WRITES, MDM_FLAG_OP_WRITE, name, err);
    return rc;
}

int mdm_cmd_flags(mdm_cli *cli, const cli_args *a)
{
    mdm_out_format fmt;
    cli_session s;
    mdm_table t;
    mdm_error err;
    mdm_error_clear(&err);
    if (cli_format(a, &fmt, &err) != MDM_OK)
        return cli_usage(cli, "--format: %s", err.message);
    mdm_table_init(&t);
    mdm_status rc = cli_session_open(cli, &s, true, &err);
    if (rc == MDM_OK)
        rc = flags_table(&s, cli_opt(a, "--dataset"), &t, &err);
    if (rc == MDM_OK)
        rc = fmt == MDM_OUT_TABLE ? mdm_output_pretty(&t, false, cli->io->out, &err)
                                  : mdm_output_write(&t, fmt, cli->io->out, &err);
    mdm_table_reset(&t);
    cli_session_close(&s);
    return rc == MDM_OK ? MDM_EXIT_OK : cli_fail(cli, &err);
}

/* ---- config migrate ------------------------------------------------------------------------ */

/* Does the tree hold a secret: a password, or a DSN (which may carry one)? */
static bool holds_secret(const mdm_conf_node *n)
{
    if (n->key != NULL && (strcmp(n->key, "password") == 0 || strcmp(n->key, "dsn") == 0))
        return true;
    for (size_t i = 0; i < n->nitems; i++)
        if (holds_secret(&n->items[i]))
            return true;
    return false;
}

/* Writes the tree to path through a temporary file and a rename. The
 * temporary file is created with its final mode (O_EXCL: never someone
 * else's file), so a password is never readable by others, not even for a
 * moment; fchmod gives back what the umask took. */
static mdm_status write_atomically(const mdm_conf *conf, const char *path, mode_t mode,
                                   mdm_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    FILE *f = fd >= 0 && fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        mdm_error_set(err, MDM_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            (void)unlink(tmp);
        }
        return MDM_ERR_IO;
    }
    mdm_status rc = mdm_conf_write(&conf->root, f, err);
    if (fclose(f) != 0 && rc == MDM_OK)
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == MDM_OK && rename(tmp, path) != 0)
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    if (rc != MDM_OK)
        (void)unlink(tmp);
    return rc;
}

int mdm_cmd_config_migrate(mdm_cli *cli, const cli_args *a)
{
    const char *in = a->pos[0], *out = cli_opt(a, "--output");
    mdm_conf *old = NULL, *migrated = NULL;
    struct stat st;
    mdm_error err;
    mdm_status rc = MDM_OK;
    mdm_error_clear(&err);
    if (out != NULL && out[0] == '\0')
        return cli_usage(cli, "-o: empty file name");
    if (stat(in, &st) != 0) {
        rc = mdm_error_set(&err, MDM_ERR_NOT_FOUND, "cannot read '%s': %s", in, strerror(errno));
        goto done;
    }
    if ((rc = mdm_conf_load_file(in, &old, &err)) == MDM_ERR_PARSE)
        rc = err.code = MDM_ERR_CONFIG;   /* YAML that does not parse */
    if (rc != MDM_OK || (rc = mdm_app_config_migrate(old, &migrated, &err)) != MDM_OK)
        goto done;
    if (out == NULL)
        rc = mdm_conf_write(&migrated->root, cli->io->out, &err);
    else if ((rc = write_atomically(migrated, out,
                                    holds_secret(&migrated->root) ? 0600 : st.st_mode & 0777,
                                    &err)) == MDM_OK)
        fprintf(cli->io->err, "mdm: config migrate: wrote %s\n", out);
done:
    mdm_conf_free(old);
    mdm_conf_free(migrated);
    return rc == MDM_OK ? MDM_EXIT_OK : cli_fail(cli, &err);
}

/* ---- rollout ---------------------------------------------------------------------- */

static mdm_status row_fmt(mdm_table *t, const char *flag, const char *setting, const char *fmt,
                          ...) MDM_PRINTF(4, 5);

static mdm_status row_fmt(mdm_table *t, const char *flag, const char *setting, const char *fmt,
                          ...)
{
    char value[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    return flag_row(t, flag, setting, value, NULL);
}

static mdm_status three_columns(mdm_table *t, const char *a, const char *b, const char *c,
                                mdm_error *err)
{
    mdm_status rc = mdm_table_add_column(t, a, MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, b, MDM_TEXT, err);
    return rc == MDM_OK ? mdm_table_add_column(t, c, MDM_TEXT, err) : rc;
}

/* How many datasets each implementation serves for one flag. */
static mdm_status served_counts(cli_session *s, mdm_flag_op op, size_t counts[3], mdm_error *err)
{
    mdm_table names;
    mdm_table_init(&names);
    counts[0] = counts[1] = counts[2] = 0;
    mdm_status rc = mdm_dsm_list(s->dsm, &names, err);
    for (size_t r = 0; rc == MDM_OK && r < names.nrows; r++) {
        size_t len = 0;
        mdm_flag_decision d;
        char name[MDM_DATASET_NAME_MAX + 1];
        const char *txt = mdm_table_text(&names, 0, r, &len);
        snprintf(name, sizeof name, "%.*s", (int)len, txt);
        mdm_flag_decide(&s->flags, op, name, &d);
        counts[d.impl]++;
    }
    mdm_table_reset(&names);
    return rc;
}

static mdm_status flag_status(cli_session *s, mdm_table *t, const char *flag, mdm_flag_op op,
                              const char *evidence, mdm_error *err)
{
    const mdm_flag_rollout *r = op == MDM_FLAG_OP_READ ? &s->flags.reads : &s->flags.writes;
    size_t n[3];
    mdm_rollout_evidence ev;
    char src[300];
    mdm_status rc = served_counts(s, op, n, err);
    if (rc == MDM_OK)
        rc = mdm_rollout_evidence_read(evidence, s->flags.generation, flag, &ev, err);
    if (rc != MDM_OK)
        return rc;
    const mdm_evidence_summary *e = &ev.s;
    mdm_status w = row_fmt(t, flag, "mode", "%s (%s)", mdm_impl_name(r->mode),
                           mdm_flag_origin_text(&r->mode_from, src, sizeof src));
    if (w == MDM_OK)
        w = row_fmt(t, flag, "percent", "%d%%", r->percent);
    if (w == MDM_OK)
        w = row_fmt(t, flag, "datasets served", "legacy %zu, modern %zu, shadow %zu", n[0], n[1],
                     n[2]);
    if (w == MDM_OK)
        w = row_fmt(t, flag, "comparisons", "%llu (%llu datasets)",
                     (unsigned long long)e->total, (unsigned long long)e->datasets);
    if (w == MDM_OK)
        w = row_fmt(t, flag, "outcomes",
                     "match %llu, expected %llu, mismatch %llu, candidate_error %llu, "
                     "control_error %llu",
                     (unsigned long long)e->n[MDM_OUTCOME_MATCH],
                     (unsigned long long)e->n[MDM_OUTCOME_EXPECTED],
                     (unsigned long long)e->n[MDM_OUTCOME_MISMATCH],
                     (unsigned long long)e->n[MDM_OUTCOME_CANDIDATE_ERROR],
                     (unsigned long long)e->n[MDM_OUTCOME_CONTROL_ERROR]);
    if (w == MDM_OK)
        w = row_fmt(t, flag, "mismatch rate", "%.4g (95%% upper bound %.4g)", ev.mismatch_rate,
                     ev.mismatch_upper);
    if (w == MDM_OK)
        w = row_fmt(t, flag, "candidate error rate", "%.4g (95%% upper bound %.4g)",
                     ev.cand_error_rate, ev.cand_error_upper);
    if (w == MDM_OK)
        w = row_fmt(t, flag, "latency candidate/control", "p50 %.3g (%.3g / %.3g ms), p99 %.3g "
                     "(%.3g / %.3g ms)", ev.p50_ratio, e->candidate_p50, e->control_p50,
                     ev.p99_ratio, e->candidate_p99, e->control_p99);
    return w == MDM_OK ? MDM_OK : mdm_error_set(err, w, "out of memory");
}

static mdm_status rollout_status(cli_session *s, const mdm_rollout_paths *p, mdm_table *t,
                                 mdm_error *err)
{
    char phase[80], src[300];
    mdm_rollout_decision d;
    mdm_rollout_phase_text(&s->flags, phase, sizeof phase);
    mdm_status rc = three_columns(t, "flag", "item", "value", err);
    if (rc == MDM_OK)
        rc = row_fmt(t, "", "phase", "%s", phase);
    if (rc == MDM_OK)
        rc = row_fmt(t, "", "kill switch", "%s (%s)", s->flags.kill_switch ? "on" : "off",
                     mdm_flag_origin_text(&s->flags.kill_switch_from, src, sizeof src));
    if (rc == MDM_OK)
        rc = row_fmt(t, "", "generation", "%ld (since %s)", s->flags.generation,
                     s->rollout.changed[0] ? s->rollout.changed : "the start");
    if (rc == MDM_OK)
        rc = flag_status(s, t, "reads", MDM_FLAG_OP_READ, p->evidence, err);
    if (rc == MDM_OK)
        rc = flag_status(s, t, "writes", MDM_FLAG_OP_WRITE, p->evidence, err);
    if (rc == MDM_OK)
        rc = mdm_rollout_decide(&s->flags, &s->rollout, &s->cfg.policy, p->evidence, false, &d,
                                err);
    if (rc == MDM_OK)
        rc = row_fmt(t, "", "advance would", "%s: %s", mdm_rollout_action_name(d.action),
                     d.reason);
    return rc;
}

static mdm_status rollout_advance(cli_session *s, const mdm_rollout_paths *p, bool resume,
                                  mdm_table *t, mdm_error *err)
{
    mdm_rollout_decision d;
    mdm_rollout_state st;
    int fd = mdm_rollout_lock(p, err);
    if (fd < 0)
        return MDM_ERR_IO;
    /* Under the lock: the state as it is now (another advance may have
     * just written it), over the flag as configured. */
    mdm_status rc = mdm_rollout_state_load(p->state, &st, err);
    if (rc == MDM_OK)
        rc = mdm_rollout_state_apply(&st, p->state, &s->flags, err);
    if (rc == MDM_OK)
        rc = mdm_rollout_decide(&s->flags, &st, &s->cfg.policy, p->evidence, resume, &d, err);
    if (rc == MDM_OK && d.write_state)
        rc = mdm_rollout_state_save(p->state, &d.next, err);
    if (rc == MDM_OK)
        rc = mdm_rollout_history_append(p->history, &d, d.next.generation, err);
    (void)close(fd);
    const char *cells[][2] = {{"decision", mdm_rollout_action_name(d.action)},
                              {"from", d.from}, {"to", d.to}, {"reason", d.reason}};
    for (size_t c = 0; rc == MDM_OK && c < 4; c++)
        rc = mdm_table_add_column(t, cells[c][0], MDM_TEXT, err);
    for (size_t c = 0; rc == MDM_OK && c < 4; c++)
        rc = mdm_table_push_text(t, c, cells[c][1], strlen(cells[c][1]), err);
    return rc == MDM_OK ? mdm_table_end_row(t, err) : rc;
}

static mdm_status rollout_history(const mdm_rollout_paths *p, mdm_table *t, mdm_error *err)
{
    static const char *const keys[] = {"time", "generation", "decision", "flag", "from", "to",
                                       "comparisons", "mismatch_upper", "reason"};
    const size_t nkeys = sizeof keys / sizeof keys[0];
    char *text = NULL;
    size_t len = 0;
    mdm_status rc = MDM_OK;
    for (size_t k = 0; rc == MDM_OK && k < nkeys; k++)
        rc = mdm_table_add_column(t, keys[k], MDM_TEXT, err);
    if (rc != MDM_OK || (access(p->history, F_OK) != 0 && errno == ENOENT))
        return rc;
    rc = mdm_file_read(p->history, &text, &len, err);
    for (char *line = text, *nl; rc == MDM_OK && line != NULL && *line; line = nl ? nl + 1 : NULL) {
        char v[600];
        nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        for (size_t k = 0; rc == MDM_OK && k < nkeys; k++) {
            mdm_rollout_history_field(line, keys[k], v, sizeof v);
            rc = mdm_table_push_text(t, k, v, strlen(v), err);
        }
        if (rc == MDM_OK)
            rc = mdm_table_end_row(t, err);
    }
    free(text);
    return rc;
}

/* The report, to a file (written whole, then renamed into place) or out. */
static mdm_status rollout_report(cli_session *s, const mdm_rollout_paths *p, const char *path,
                                 FILE *out, mdm_error *err)
{
    char phase[80], tmp[4200];
    mdm_rollout_phase_text(&s->flags, phase, sizeof phase);
    if (path == NULL)
        return mdm_rollout_report(p->history, phase, out, err);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    mdm_status rc = mdm_rollout_report(p->history, phase, f, err);
    if (fclose(f) != 0 && rc == MDM_OK)
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    if (rc == MDM_OK && rename(tmp, path) != 0)
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    if (rc != MDM_OK)
        (void)unlink(tmp);
    return rc;
}

/* For people: columns aligned, the last one never cut (reasons are long). */
static mdm_status print_plain(const mdm_table *t, FILE *out, mdm_error *err)
{
    size_t w[16] = {0}, len = 0;
    size_t nc = t->ncols < 16 ? t->ncols : 16;
    for (size_t c = 0; c + 1 < nc; c++) {
        w[c] = strlen(t->cols[c].name);
        for (size_t r = 0; r < t->nrows; r++) {
            (void)mdm_table_text(t, c, r, &len);
            w[c] = len > w[c] ? len : w[c];
        }
    }
    for (size_t r = 0; r <= t->nrows; r++)
        for (size_t c = 0; c < nc; c++) {
            const char *v = r == 0 ? t->cols[c].name : mdm_table_text(t, c, r - 1, &len);
            len = r == 0 ? strlen(v) : len;
            fprintf(out, "%.*s%*s%s", (int)len, v, c + 1 < nc ? (int)(w[c] - len + 2) : 0, "",
                    c + 1 < nc ? "" : "\n");
        }
    return ferror(out) ? mdm_error_set(err, MDM_ERR_IO, "cannot write the output") : MDM_OK;
}

int mdm_cmd_rollout(mdm_cli *cli, const cli_args *a)
{
    const char *what = a->pos[0];
    mdm_out_format fmt;
    cli_session s;
    mdm_rollout_paths p;
    mdm_table t;
    mdm_error err;
    mdm_error_clear(&err);
    if (cli_format(a, &fmt, &err) != MDM_OK)
        return cli_usage(cli, "--format: %s", err.message);
    const char *report_to = cli_opt(a, "--output");
    if (strcmp(what, "status") != 0 && strcmp(what, "advance") != 0 &&
        strcmp(what, "history") != 0 && strcmp(what, "report") != 0)
        return cli_usage(cli, "expected status, advance, history or report, got '%s'", what);
    if (cli_flag(a, "--resume") && strcmp(what, "advance") != 0)
        return cli_usage(cli, "--resume goes with advance");
    if (report_to != NULL && strcmp(what, "report") != 0)
        return cli_usage(cli, "--output goes with report");
    mdm_table_init(&t);
    mdm_status rc = cli_session_open(cli, &s, true, &err);
    mdm_rollout_paths_init(&p, s.home);
    if (rc == MDM_OK && strcmp(what, "status") == 0)
        rc = rollout_status(&s, &p, &t, &err);
    else if (rc == MDM_OK && strcmp(what, "advance") == 0)
        rc = rollout_advance(&s, &p, cli_flag(a, "--resume"), &t, &err);
    else if (rc == MDM_OK && strcmp(what, "history") == 0)
        rc = rollout_history(&p, &t, &err);
    else if (rc == MDM_OK) {
        rc = rollout_report(&s, &p, report_to, cli->io->out, &err);
        cli_session_close(&s);
        return rc == MDM_OK ? MDM_EXIT_OK : cli_fail(cli, &err);
    }
    if (rc == MDM_OK)
        rc = fmt == MDM_OUT_TABLE ? print_plain(&t, cli->io->out, &err)
                                  : mdm_output_write(&t, fmt, cli->io->out, &err);
    mdm_table_reset(&t);
    cli_session_close(&s);
    return rc == MDM_OK ? MDM_EXIT_OK : cli_fail(cli, &err);
}
