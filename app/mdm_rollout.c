/* SPDX-License-Identifier: MIT */
/*
 * mdm_rollout.c - the rollout's state file, history, evidence with bounds,
 * and the one decision `mdm rollout advance` takes (mdm_rollout.h).
 */
#include "mdm_rollout.h"
#include "mdm_sqlitefile.h"
#include "mdm_stats.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ALPHA 0.05   /* one-sided 95 % bounds */

void mdm_rollout_paths_init(mdm_rollout_paths *p, const char *home)
{
    snprintf(p->dir, sizeof p->dir, "%s/rollout", home);
    snprintf(p->state, sizeof p->state, "%s/rollout/state", home);
    snprintf(p->history, sizeof p->history, "%s/rollout/history.jsonl", home);
    snprintf(p->lock, sizeof p->lock, "%s/rollout/lock", home);
    snprintf(p->evidence, sizeof p->evidence, "%s/rollout/evidence.sqlite", home);
}

void mdm_rollout_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *mdm_rollout_action_name(mdm_rollout_action a)
{
    static const char *const names[] = {"hold", "advance", "rollback", "resume", "done"};
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "unknown";
}

/* ---- The state file ------------------------------------------------------------------------- */

static mdm_status state_bad(const char *path, int line, const char *what, const char *v,
                            mdm_error *err)
{
    return mdm_error_set(err, MDM_ERR_CONFIG, "%s:%d: %s '%s' (the rollout state: written by "
                         "'mdm rollout advance'; fix or remove the file)", path, line, what, v);
}

static bool parse_long(const char *v, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

/* One "key = value" line into st; false for an unknown key or a bad value. */
static bool state_field(mdm_rollout_state *st, const char *k, const char *v)
{
    long x = 0;
    if (strcmp(k, "generation") == 0 && parse_long(v, 0, 1L << 40, &x))
        st->generation = x;
    else if (strcmp(k, "storage.reads") == 0)
        return mdm_impl_parse(v, &st->reads, NULL) == MDM_OK;
    else if (strcmp(k, "storage.writes") == 0)
        return mdm_impl_parse(v, &st->writes, NULL) == MDM_OK;
    else if (strcmp(k, "storage.reads.percent") == 0 && parse_long(v, 0, 100, &x))
        st->reads_percent = (int)x;
    else if (strcmp(k, "storage.writes.percent") == 0 && parse_long(v, 0, 100, &x))
        st->writes_percent = (int)x;
    else if (strcmp(k, "storage.kill_switch") == 0 && (!strcmp(v, "on") || !strcmp(v, "off")))
        st->kill_switch = strcmp(v, "on") == 0;
    else if (strcmp(k, "failed_checks") == 0 && parse_long(v, 0, 1000000, &x))
        st->failed_checks = (int)x;
    else if (strcmp(k, "changed") == 0)
        snprintf(st->changed, sizeof st->changed, "%s", v);
    else
        return false;
    return true;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

mdm_status mdm_rollout_state_load(const char *path, mdm_rollout_state *out, mdm_error *err)
{
    char *text = NULL;
    size_t len = 0;
    mdm_rollout_state st;
    memset(&st, 0, sizeof st);
    st.reads_percent = st.writes_percent = 100;
    if (access(path, F_OK) != 0 && errno == ENOENT) {
        *out = st;
        return MDM_OK;
    }
    mdm_error e;
    mdm_status rc = mdm_file_read(path, &text, &len, &e);
    if (rc != MDM_OK)
        return mdm_error_set(err, MDM_ERR_CONFIG, "rollout state: %s", e.message);
    int line = 0;
    for (char *p = text, *nl; rc == MDM_OK && p != NULL && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        line++;
        char *s = trim(p), *eq = strchr(s, '=');
        if (s[0] == '\0' || s[0] == '#')
            continue;
        if (eq == NULL) {
            rc = state_bad(path, line, "expected key = value, got", s, err);
            break;
        }
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        if (!state_field(&st, k, v))
            rc = state_bad(path, line, "unknown key or bad value for", k, err);
    }
    free(text);
    if (rc == MDM_OK) {
        st.exists = true;
        *out = st;
    }
    return rc;
}

mdm_status mdm_rollout_state_apply(const mdm_rollout_state *st, const char *path,
                                   mdm_flag_settings *f, mdm_error *err)
{
    char where[2200], pr[16], pw[16];
    if (!st->exists)
        return MDM_OK;
    snprintf(where, sizeof where, "%s", path);
    snprintf(pr, sizeof pr, "%d", st->reads_percent);
    snprintf(pw, sizeof pw, "%d", st->writes_percent);
    const char *kv[][2] = {
        {MDM_FLAG_READS, mdm_impl_name(st->reads)},
        {MDM_FLAG_READS ".percent", pr},
        {MDM_FLAG_READS ".rest", st->reads == MDM_IMPL_MODERN ? "shadow" : "legacy"},
        {MDM_FLAG_WRITES, mdm_impl_name(st->writes)},
        {MDM_FLAG_WRITES ".percent", pw},
        {MDM_FLAG_WRITES ".rest", st->writes == MDM_IMPL_MODERN ? "shadow" : "legacy"},
        {"storage.kill_switch", st->kill_switch ? "on" : "off"},
    };
    mdm_status rc = MDM_OK;
    for (size_t i = 0; rc == MDM_OK && i < sizeof kv / sizeof kv[0]; i++)
        rc = mdm_flag_set(f, kv[i][0], kv[i][1], MDM_FLAG_SRC_ROLLOUT, where, err);
    f->generation = st->generation;
    return rc;
}

mdm_status mdm_rollout_state_save(const char *path, const mdm_rollout_state *st, mdm_error *err)
{
    char tmp[2200];
    mdm_buf b;
    mdm_buf_init(&b);
    mdm_status rc = mdm_buf_printf(
        &b,
        "# mdm rollout state: written by 'mdm rollout advance' (replaced whole, never edited)\n"
        "generation = %ld\nstorage.reads = %s\nstorage.reads.percent = %d\n"
        "storage.writes = %s\nstorage.writes.percent = %d\nstorage.kill_switch = %s\n"
        "failed_checks = %d\nchanged = %s\n",
        st->generation, mdm_impl_name(st->reads), st->reads_percent, mdm_impl_name(st->writes),
        st->writes_percent, st->kill_switch ? "on" : "off", st->failed_checks, st->changed);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = rc == MDM_OK ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    bool ok = fd >= 0 && write(fd, mdm_buf_str(&b), b.len) == (ssize_t)b.len && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot write the rollout state '%s': %s", path,
                           strerror(errno));
        (void)unlink(tmp);
    }
    mdm_buf_reset(&b);
    return rc;
}

int mdm_rollout_lock(const mdm_rollout_paths *p, mdm_error *err)
{
    if (mdm_sqlite_make_parents(p->lock, err) != MDM_OK)
        return -1;
    int fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        (void)mdm_error_set(err, MDM_ERR_IO, "cannot lock '%s': %s", p->lock, strerror(errno));
        if (fd >= 0)
            (void)close(fd);
        return -1;
    }
    return fd;
}

/* ---- Evidence -------------------------------------------------------------------------------- */

mdm_status mdm_rollout_evidence_read(const char *path, long generation, const char *flag,
                                     mdm_rollout_evidence *out, mdm_error *err)
{
    memset(out, 0, sizeof *out);
    mdm_status rc = mdm_evidence_summarize(path, generation, flag, NULL, &out->s, err);
    uint64_t n = out->s.total;
    uint64_t mis = out->s.n[MDM_OUTCOME_MISMATCH], cand = out->s.n[MDM_OUTCOME_CANDIDATE_ERROR];
    out->mismatch_rate = n ? (double)mis / (double)n : 0.0;
    out->cand_error_rate = n ? (double)cand / (double)n : 0.0;
    out->mismatch_upper = mdm_stats_rate_upper(mis, n, ALPHA);
    out->cand_error_upper = mdm_stats_rate_upper(cand, n, ALPHA);
    out->p50_ratio = out->s.control_p50 > 0 ? out->s.candidate_p50 / out->s.control_p50 : 0.0;
    out->p99_ratio = out->s.control_p99 > 0 ? out->s.candidate_p99 / out->s.control_p99 : 0.0;
    return rc;
}

/* ---- Phases ---------------------------------------------------------------------------------- */

static void setting_text(const mdm_rollout_state *s, char *buf, size_t n)
{
    if (s->kill_switch)
        snprintf(buf, n, "kill switch on");
    else if (s->reads != MDM_IMPL_MODERN)
        snprintf(buf, n, "reads %s", mdm_impl_name(s->reads));
    else if (s->reads_percent < 100 || s->writes == MDM_IMPL_LEGACY)
        snprintf(buf, n, "reads modern %d%%", s->reads_percent);
    else if (s->writes == MDM_IMPL_SHADOW)
        snprintf(buf, n, "writes shadow");
    else if (s->writes_percent < 100)
        snprintf(buf, n, "writes modern %d%%", s->writes_percent);
    else
        snprintf(buf, n, "done: legacy can be removed");
}

static void state_of(const mdm_flag_settings *f, const mdm_rollout_state *st,
                     mdm_rollout_state *out)
{
    memset(out, 0, sizeof *out);
    out->exists = true;
    out->generation = st->exists ? st->generation : f->generation;
    out->reads = f->reads.mode;
    out->reads_percent = f->reads.percent;
    out->writes = f->writes.mode;
    out->writes_percent = f->writes.percent;
    out->kill_switch = f->kill_switch;
    out->failed_checks = st->exists ? st->failed_checks : 0;
    snprintf(out->changed, sizeof out->changed, "%s", st->changed);
}

void mdm_rollout_phase_text(const mdm_flag_settings *f, char *buf, size_t n)
{
    mdm_rollout_state s, none;
    memset(&none, 0, sizeof none);
    state_of(f, &none, &s);
    setting_text(&s, buf, n);
}

typedef enum verdict { V_PASS, V_HOLD, V_FAIL } verdict;

static int add_reason(char *buf, size_t n, int used, const char *fmt, double a, double b)
{
    if (used < 0 || (size_t)used >= n)
        return used;
    return used + snprintf(buf + used, n - (size_t)used, fmt, used ? "; " : "", a, b);
}

/* The policy's checks on one flag's evidence. */
static verdict check(const mdm_rollout_evidence *ev, const mdm_rollout_policy *pol, char *why,
                     size_t n)
{
    int used = 0;
    why[0] = '\0';
    if ((int64_t)ev->s.total < pol->min_comparisons) {
        snprintf(why, n, "not enough evidence: %llu of %lld comparisons",
                 (unsigned long long)ev->s.total, (long long)pol->min_comparisons);
        return V_HOLD;
    }
    if (ev->mismatch_rate > pol->max_mismatch_rate)
        used = add_reason(why, n, used, "%sunexpected mismatch rate %.4g over the limit %.4g",
                          ev->mismatch_rate, pol->max_mismatch_rate);
    if (ev->cand_error_rate > pol->max_candidate_error_rate)
        used = add_reason(why, n, used, "%scandidate error rate %.4g over the limit %.4g",
                          ev->cand_error_rate, pol->max_candidate_error_rate);
    if (ev->p99_ratio > pol->max_p99_latency_ratio)
        used = add_reason(why, n, used, "%sp99 latency ratio %.3g over the limit %.3g",
                          ev->p99_ratio, pol->max_p99_latency_ratio);
    if (used > 0)
        return V_FAIL;
    if (ev->mismatch_upper >= pol->max_mismatch_rate ||
        ev->cand_error_upper >= pol->max_candidate_error_rate) {
        snprintf(why, n, "every check passes but the 95%% upper bounds (mismatch %.4g, "
                 "candidate error %.4g) are not yet under their limits (%.4g, %.4g): more "
                 "evidence needed", ev->mismatch_upper, ev->cand_error_upper,
                 pol->max_mismatch_rate, pol->max_candidate_error_rate);
        return V_HOLD;
    }
    snprintf(why, n, "every check passes: %llu comparisons, mismatch upper bound %.4g < %.4g, "
             "candidate error upper bound %.4g < %.4g, p99 ratio %.3g <= %.3g",
             (unsigned long long)ev->s.total, ev->mismatch_upper, pol->max_mismatch_rate,
             ev->cand_error_upper, pol->max_candidate_error_rate, ev->p99_ratio,
             pol->max_p99_latency_ratio);
    return V_PASS;
}

static int step_up(int pct, const mdm_rollout_policy *pol)
{
    int next = pct + pol->step;
    return next > pol->maximum ? pol->maximum : next;
}

/* One step along the phases from a passing state. */
static void next_step(mdm_rollout_state *s, const mdm_rollout_policy *pol)
{
    if (s->reads == MDM_IMPL_SHADOW) {
        s->reads = MDM_IMPL_MODERN;
        s->reads_percent = step_up(0, pol);
    } else if (s->reads_percent < pol->maximum) {
        s->reads_percent = step_up(s->reads_percent, pol);
    } else if (s->writes == MDM_IMPL_SHADOW) {
        s->writes = MDM_IMPL_MODERN;
        s->writes_percent = step_up(0, pol);
    } else {
        s->writes_percent = step_up(s->writes_percent, pol);
    }
}

/* A step_back rollback: the flag whose checks failed one step down; false
 * when it is in shadow, with nothing below it but the kill switch. */
static bool step_back(mdm_rollout_state *s, const char *flag, const mdm_rollout_policy *pol)
{
    bool writes = strcmp(flag, "writes") == 0;
    mdm_impl *mode = writes ? &s->writes : &s->reads;
    int *pct = writes ? &s->writes_percent : &s->reads_percent;
    if (*mode != MDM_IMPL_MODERN)
        return false;
    *pct -= pol->step;
    if (*pct <= 0) {
        *mode = MDM_IMPL_SHADOW;
        *pct = 100;
    }
    return true;
}

static void finish(mdm_rollout_decision *d, mdm_rollout_action a, bool new_generation)
{
    d->action = a;
    d->write_state = a != MDM_ROLLOUT_DONE;
    if (new_generation) {
        d->next.generation++;
        d->next.failed_checks = 0;
        mdm_rollout_now(d->next.changed, sizeof d->next.changed);
    }
    setting_text(&d->next, d->to, sizeof d->to);
}

mdm_status mdm_rollout_decide(const mdm_flag_settings *f, const mdm_rollout_state *st,
                              const mdm_rollout_policy *pol, const char *evidence, bool resume,
                              mdm_rollout_decision *d, mdm_error *err)
{
    char why[300];
    memset(d, 0, sizeof *d);
    state_of(f, st, &d->next);
    setting_text(&d->next, d->from, sizeof d->from);
    d->flag = d->next.reads == MDM_IMPL_MODERN && d->next.reads_percent >= pol->maximum &&
                      d->next.writes != MDM_IMPL_LEGACY
                  ? "writes"
                  : "reads";
    if (!MDM_WITH_LEGACY) {
        snprintf(d->reason, sizeof d->reason, "built without legacy/: modern serves everything");
        finish(d, MDM_ROLLOUT_DONE, false);
        return MDM_OK;
    }
    if (resume || d->next.kill_switch) {
        bool go = resume && d->next.kill_switch;
        snprintf(d->reason, sizeof d->reason, "%s",
                 go ? "kill switch cleared by --resume: the phase starts again with fresh evidence"
                 : resume ? "nothing to resume: the kill switch is off"
                          : "the kill switch is on (a rollback, or set by hand): fix the "
                            "candidate, then 'mdm rollout advance --resume'");
        d->next.kill_switch = false;
        finish(d, go ? MDM_ROLLOUT_RESUME : MDM_ROLLOUT_HOLD, go);
        d->write_state = go;
        return MDM_OK;
    }
    if (d->next.reads == MDM_IMPL_LEGACY) {
        d->next.reads = MDM_IMPL_SHADOW;
        d->next.reads_percent = 100;
        snprintf(d->reason, sizeof d->reason, "start: every read is shadowed (legacy still "
                 "answers, modern is compared and counted)");
        finish(d, MDM_ROLLOUT_ADVANCE, true);
        return MDM_OK;
    }
    if (d->next.reads == MDM_IMPL_MODERN && d->next.reads_percent >= pol->maximum &&
        d->next.writes == MDM_IMPL_LEGACY) {
        /* no evidence to wait for: modern serves every read there is to
         * compare, and shadowing writes changes nothing a caller sees */
        d->next.writes = MDM_IMPL_SHADOW;
        d->next.writes_percent = 100;
        snprintf(d->reason, sizeof d->reason, "reads are on modern at %d%%: every write is "
                 "shadowed now (legacy still writes the dataset, modern a scratch copy that is "
                 "reconciled with it and counted)", pol->maximum);
        finish(d, MDM_ROLLOUT_ADVANCE, true);
        return MDM_OK;
    }
    if (d->next.writes == MDM_IMPL_MODERN && d->next.writes_percent >= pol->maximum &&
        d->next.reads == MDM_IMPL_MODERN && d->next.reads_percent >= pol->maximum) {
        snprintf(d->reason, sizeof d->reason, "reads and writes are on modern at %d%%: legacy "
                 "can be removed (phase 3, make LEGACY=0)", pol->maximum);
        finish(d, MDM_ROLLOUT_DONE, false);
        return MDM_OK;
    }
    mdm_rollout_state after = d->next;
    next_step(&after, pol);
    mdm_status rc = mdm_rollout_evidence_read(evidence, d->next.generation, d->flag, &d->ev, err);
    if (rc != MDM_OK)
        return rc;
    verdict v = check(&d->ev, pol, why, sizeof why);
    if (v == V_FAIL) {
        int failed = d->next.failed_checks + 1;
        if (failed >= pol->rollback_after) {
            bool stepped = pol->rollback == MDM_ROLLBACK_STEP_BACK &&
                           step_back(&d->next, d->flag, pol);
            d->next.kill_switch = !stepped;
            snprintf(d->reason, sizeof d->reason, "%s (failed check %d of %d; %s)", why,
                     failed, pol->rollback_after,
                     stepped ? "one step back" : "kill switch on");
            finish(d, MDM_ROLLOUT_ROLLBACK, true);
        } else {
            d->next.failed_checks = failed;
            snprintf(d->reason, sizeof d->reason, "%s (failed check %d of %d before a "
                     "rollback)", why, failed, pol->rollback_after);
            finish(d, MDM_ROLLOUT_HOLD, false);
        }
        return MDM_OK;
    }
    if (v == V_HOLD) {
        snprintf(d->reason, sizeof d->reason, "%s", why);
        finish(d, MDM_ROLLOUT_HOLD, false);
        d->write_state = false;
        return MDM_OK;
    }
    d->next = after;
    snprintf(d->reason, sizeof d->reason, "%s", why);
    finish(d, MDM_ROLLOUT_ADVANCE, true);
    return MDM_OK;
}

/* ---- History --------------------------------------------------------------------------------- */

/* reason text without quotes or backslashes (it is ours; JSON stays simple). */
static void plain(char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
            *s = '\'';
}

mdm_status mdm_rollout_history_append(const char *path, const mdm_rollout_decision *d,
                                      long generation, mdm_error *err)
{
    char when[40], reason[sizeof d->reason];
    const mdm_rollout_evidence *e = &d->ev;
    mdm_buf b;
    mdm_buf_init(&b);
    mdm_rollout_now(when, sizeof when);
    snprintf(reason, sizeof reason, "%s", d->reason);
    plain(reason);
    mdm_status rc = mdm_buf_printf(
        &b,
        "{\"time\":\"%s\",\"generation\":%ld,\"decision\":\"%s\",\"flag\":\"%s\","
        "\"from\":\"%s\",\"to\":\"%s\",\"reads_percent\":%d,\"writes_percent\":%d,"
        "\"kill_switch\":%s,\"reason\":\"%s\",\"evidence\":{\"comparisons\":%llu,"
        "\"matches\":%llu,\"expected\":%llu,\"mismatches\":%llu,\"candidate_errors\":%llu,"
        "\"control_errors\":%llu,\"datasets\":%llu,\"mismatch_rate\":%.6g,"
        "\"mismatch_upper\":%.6g,\"candidate_error_rate\":%.6g,\"candidate_error_upper\":%.6g,"
        "\"p50_ratio\":%.4g,\"p99_ratio\":%.4g}}\n",
        when, generation, mdm_rollout_action_name(d->action), d->flag, d->from, d->to,
        d->next.reads == MDM_IMPL_MODERN ? d->next.reads_percent : 0,
        d->next.writes == MDM_IMPL_MODERN ? d->next.writes_percent : 0,
        d->next.kill_switch ? "true" : "false", reason, (unsigned long long)e->s.total,
        (unsigned long long)e->s.n[MDM_OUTCOME_MATCH],
        (unsigned long long)e->s.n[MDM_OUTCOME_EXPECTED],
        (unsigned long long)e->s.n[MDM_OUTCOME_MISMATCH],
        (unsigned long long)e->s.n[MDM_OUTCOME_CANDIDATE_ERROR],
        (unsigned long long)e->s.n[MDM_OUTCOME_CONTROL_ERROR],
        (unsigned long long)e->s.datasets, e->mismatch_rate, e->mismatch_upper,
        e->cand_error_rate, e->cand_error_upper, e->p50_ratio, e->p99_ratio);
    int fd = rc == MDM_OK ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd < 0 || write(fd, mdm_buf_str(&b), b.len) != (ssize_t)b.len)
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot append to the rollout history '%s': %s",
                           path, strerror(errno));
    if (fd >= 0)
        (void)close(fd);
    mdm_buf_reset(&b);
    return rc;
}

/* The text of "key":"..." or "key":number in a history line ("" if absent). */
void mdm_rollout_history_field(const char *line, const char *key, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen(pat);
    bool quoted = *p == '"';
    p += quoted;
    size_t len = quoted ? strcspn(p, "\"") : strcspn(p, ",}");
    snprintf(out, n, "%.*s", (int)len, p);
}
