/* SPDX-License-Identifier: MIT */
/*
 * cmp_report.c - the reports of a run: the terminal summary, Markdown for
 * people, JSON for tools and JUnit XML for CI (one test case per cell;
 * unexpected differences are failures, stale entries are skipped cases).
 */
#include "cmp_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const VERDICTS[] = { "matched", "expected", "unexpected" };

void mdm_cmp_report_summary_line(const mdm_cmp_run *r, char *buf, size_t n)
{
    snprintf(buf, n, "compare: %zu cells, %zu matched, %zu expected, %zu unexpected, %zu stale",
             r->total.cells, r->total.matched, r->total.expected, r->total.unexpected, r->nstale);
}

static const char *const SLOTS[4] = { "legacy", "modern", "legacy>modern", "modern>legacy" };

static bool has_records(const mdm_cmp_records *x)
{
    return x->run + x->skipped > 0;
}

static double per_second(size_t n, double seconds)
{
    return seconds > 0 ? (double)n / seconds : 0.0;
}

/* "records: R run, P passed, K skipped, F failed" (+ noted when any). */
static void records_text(const mdm_cmp_records *x, char *buf, size_t n)
{
    int k = snprintf(buf, n, "records: %zu run, %zu passed, %zu skipped, %zu failed", x->run,
                     x->passed, x->skipped, x->failed);
    if (x->noted > 0 && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ", %zu noted (expected or reported differences only)",
                 x->noted);
}

void mdm_cmp_report_records_line(const mdm_cmp_run *r, char *buf, size_t n)
{
    char text[200];
    records_text(&r->records, text, sizeof text);
    snprintf(buf, n, "%s; %.0f records/s", text, per_second(r->records.run, r->seconds));
}

static const char *script_name(const mdm_cmp_run *r, const mdm_cmp_cell *c)
{
    return r->scripts[c->script].name;
}

/* "scenario [backend] cell" */
static void cell_title(const mdm_cmp_run *r, const mdm_cmp_cell *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s [%s] %s", script_name(r, c), c->backend, c->name);
}

/* ---- terminal ------------------------------------------------------------ */

static void term_cell(const mdm_cmp_run *r, const mdm_cmp_cell *c, FILE *out)
{
    char title[256], where[300];
    cell_title(r, c, title, sizeof title);
    if (&r->cells[c->control] == c)
        fprintf(out, "UNEXPECTED  %s (the control: checked against the file)\n", title);
    else
        fprintf(out, "UNEXPECTED  %s (%s vs %s)\n", title, r->cells[c->control].name, c->name);
    for (size_t i = 0; i < c->diffs.count; i++) {
        const mdm_cmp_diff *d = &c->diffs.items[i];
        if (d->reported)
            continue;   /* another engine's recorded results: in the reports */
        mdm_cmp_op_where(&r->scripts[c->script], d->op, where, sizeof where);
        fprintf(out, "    %s %s: %s: %s\n", d->expect >= 0 ? "expected  " : "UNEXPECTED", where,
                d->kind, d->message);
    }
}

/* Per backend and cell of the group, when sqllogictest records ran. */
static void term_records(const mdm_cmp_run *r, FILE *out)
{
    char text[200];
    for (size_t b = 0; b < r->nbackends; b++) {
        for (size_t k = 0; k < 4; k++) {
            const mdm_cmp_records *x = &r->records_by[mdm_cmp_backend_slot(r->backends[b])][k];
            if (!has_records(x))
                continue;
            records_text(x, text, sizeof text);
            fprintf(out, "%s %s: %s\n", r->backends[b], SLOTS[k], text);
        }
    }
    if (r->reported > 0)
        fprintf(out, "%zu differences from results recorded by %s reported, not failing "
                     "(compare.md: \"Reported only\")\n", r->reported, r->opts.slt_engine);
}

/* The first difference an entry matched, as an example. */
static const mdm_cmp_diff *example_of(const mdm_cmp_run *r, size_t entry, const mdm_cmp_cell **cell)
{
    for (size_t i = 0; i < r->ncells; i++) {
        const mdm_cmp_cell *c = &r->cells[i];
        for (size_t j = 0; j < c->diffs.count; j++) {
            if (c->diffs.items[j].expect == (long)entry) {
                *cell = c;
                return &c->diffs.items[j];
            }
        }
    }
    return NULL;
}

static size_t cells_of(const mdm_cmp_run *r, size_t entry)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        const mdm_cmp_cell *c = &r->cells[i];
        for (size_t j = 0; j < c->diffs.count; j++) {
            if (c->diffs.items[j].expect == (long)entry) {
                n++;
                break;
            }
        }
    }
    return n;
}

static void term_expected(const mdm_cmp_run *r, FILE *out)
{
    char title[256];
    fprintf(out, "expected differences:\n");
    for (size_t i = 0; i < r->expect.count; i++) {
        const mdm_expect *e = &r->expect.items[i];
        const mdm_cmp_cell *c = NULL;
        const mdm_cmp_diff *d = example_of(r, i, &c);
        if (d == NULL)
            continue;
        cell_title(r, c, title, sizeof title);
        fprintf(out, "  %-28s %zu cells (%s)\n      reason: %s\n      e.g. %s: %s: %s\n",
                e->id, cells_of(r, i), e->quirk, e->reason, title, d->kind, d->message);
    }
    for (size_t i = 0; i < r->expect.count; i++)
        if (r->stale != NULL && r->stale[i])
            fprintf(out, "STALE  %s (line %d): listed but no longer occurs (%s)\n",
                    r->expect.items[i].id, r->expect.items[i].line, r->expect.items[i].quirk);
}

/* -v: one line per cell. */
static void term_all_cells(const mdm_cmp_run *r, FILE *out)
{
    char title[256];
    for (size_t i = 0; i < r->ncells; i++) {
        const mdm_cmp_cell *c = &r->cells[i];
        cell_title(r, c, title, sizeof title);
        fprintf(out, "  %-10s %-60s %6.2f s\n", VERDICTS[c->verdict], title, c->seconds);
    }
}

void mdm_cmp_report_terminal(const mdm_cmp_run *r, FILE *out)
{
    char line[256];
    if (r->opts.verbose)
        term_all_cells(r, out);
    for (size_t i = 0; i < r->ncells; i++)
        if (r->cells[i].verdict == MDM_CMP_UNEXPECTED)
            term_cell(r, &r->cells[i], out);
    term_expected(r, out);
    for (size_t b = 0; b < r->nbackends; b++) {
        const mdm_cmp_totals *t = &r->per_backend[strcmp(r->backends[b], "postgresql") == 0];
        fprintf(out, "%s: %zu cells, %zu matched, %zu expected, %zu unexpected\n", r->backends[b],
                t->cells, t->matched, t->expected, t->unexpected);
    }
    term_records(r, out);
    if (r->pg_missing)
        fprintf(out, "WARNING: PostgreSQL was not available: SQLite only\n");
    if (has_records(&r->records)) {
        mdm_cmp_report_records_line(r, line, sizeof line);
        fprintf(out, "%s\n", line);
    }
    mdm_cmp_report_summary_line(r, line, sizeof line);
    fprintf(out, "%s\n", line);
    fflush(out);
}

/* ---- escaping ------------------------------------------------------------ */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void xml_str(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '&')
            fputs("&amp;", f);
        else if (ch == '<')
            fputs("&lt;", f);
        else if (ch == '>')
            fputs("&gt;", f);
        else if (ch == '"')
            fputs("&quot;", f);
        else if (ch < 0x20 && ch != '\n' && ch != '\t')
            fputc('?', f);
        else
            fputc(ch, f);
    }
}

/* Markdown table cells: no pipes or newlines. */
static void md_str(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

/* ---- Markdown ------------------------------------------------------------ */

static void md_totals(const mdm_cmp_run *r, FILE *f)
{
    char line[256];
    mdm_cmp_report_summary_line(r, line, sizeof line);
    fprintf(f, "# mdm-compare: legacy vs modern\n\n`%s`\n\n", line);
    fprintf(f, "Backends: %s%s%s", r->backends[0], r->nbackends > 1 ? ", " : "",
            r->nbackends > 1 ? r->backends[1] : "");
    if (r->pg_dsn != NULL)
        fprintf(f, " (PostgreSQL %s)", r->pg_version);
    fprintf(f, ". Files: %zu. Cross matrix: %s. Time: %.1f s.\n\n", r->nscripts,
            r->opts.cross ? "yes" : "no", r->seconds);
    if (r->pg_missing)
        fprintf(f, "**WARNING: PostgreSQL was not available: SQLite only.**\n\n");
    fprintf(f, "| backend | cells | matched | expected | unexpected |\n|---|---|---|---|---|\n");
    for (size_t b = 0; b < r->nbackends; b++) {
        const mdm_cmp_totals *t = &r->per_backend[strcmp(r->backends[b], "postgresql") == 0];
        fprintf(f, "| %s | %zu | %zu | %zu | %zu |\n", r->backends[b], t->cells, t->matched,
                t->expected, t->unexpected);
    }
}

static void md_records(const mdm_cmp_run *r, FILE *f)
{
    char line[300];
    if (!has_records(&r->records))
        return;
    mdm_cmp_report_records_line(r, line, sizeof line);
    fprintf(f, "\n## sqllogictest records\n\n`%s`\n\n", line);
    fprintf(f, "| backend | cell | run | passed | skipped | failed | noted |\n"
               "|---|---|---|---|---|---|---|\n");
    for (size_t b = 0; b < r->nbackends; b++) {
        for (size_t k = 0; k < 4; k++) {
            const mdm_cmp_records *x = &r->records_by[mdm_cmp_backend_slot(r->backends[b])][k];
            if (has_records(x))
                fprintf(f, "| %s | %s | %zu | %zu | %zu | %zu | %zu |\n", r->backends[b],
                        SLOTS[k], x->run, x->passed, x->skipped, x->failed, x->noted);
        }
    }
    if (r->opts.slt_engine != NULL)
        fprintf(f, "\nThe files' results were recorded by %s: on other backends a record "
                   "that disagrees with them is *noted* (reported below), not failed.\n",
                r->opts.slt_engine);
}

/* Differences from another engine's recorded results (--slt-engine). */
static void md_reported(const mdm_cmp_run *r, FILE *f)
{
    char where[300];
    if (r->reported == 0)
        return;
    fprintf(f, "\n## Reported only: not as recorded by %s (%zu, not failing)\n\n"
               "| file | backend | cell | op | first difference |\n|---|---|---|---|---|\n",
            r->opts.slt_engine, r->reported);
    for (size_t i = 0; i < r->ncells; i++) {
        const mdm_cmp_cell *c = &r->cells[i];
        for (size_t j = 0; j < c->diffs.count; j++) {
            const mdm_cmp_diff *d = &c->diffs.items[j];
            if (!d->reported)
                continue;
            mdm_cmp_op_where(&r->scripts[c->script], d->op, where, sizeof where);
            fprintf(f, "| %s | %s | %s | ", script_name(r, c), c->backend, c->name);
            md_str(f, where);
            fputs(" | ", f);
            md_str(f, d->message);
            fputs(" |\n", f);
        }
    }
}

static void md_diffs(const mdm_cmp_run *r, FILE *f, mdm_cmp_verdict which, const char *title)
{
    char where[300];
    fprintf(f, "\n## %s\n\n", title);
    fprintf(f, "| scenario | backend | cell | op | kind | first difference | expected as |\n"
               "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < r->ncells; i++) {
        const mdm_cmp_cell *c = &r->cells[i];
        if (c->verdict != which)
            continue;
        for (size_t j = 0; j < c->diffs.count; j++) {
            const mdm_cmp_diff *d = &c->diffs.items[j];
            if (d->reported)
                continue;
            mdm_cmp_op_where(&r->scripts[c->script], d->op, where, sizeof where);
            fprintf(f, "| %s | %s | %s | ", script_name(r, c), c->backend, c->name);
            md_str(f, where);
            fprintf(f, " | %s | ", d->kind);
            md_str(f, d->message);
            fprintf(f, " | %s |\n", d->expect >= 0 ? r->expect.items[d->expect].id : "**UNEXPECTED**");
        }
    }
}

static void md_expected(const mdm_cmp_run *r, FILE *f)
{
    fprintf(f, "\n## Expected differences (fixtures/expected-differences)\n\n"
               "| id | cells | status | quirk | reason |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < r->expect.count; i++) {
        const mdm_expect *e = &r->expect.items[i];
        const char *status = e->hits ? "seen" : (r->stale && r->stale[i]) ? "**STALE**"
                                                                          : "not applicable";
        fprintf(f, "| %s | %zu | %s | ", e->id, cells_of(r, i), status);
        md_str(f, e->quirk);
        fputs(" | ", f);
        md_str(f, e->reason);
        fputs(" |\n", f);
    }
}

static void md_cells(const mdm_cmp_run *r, FILE *f)
{
    fprintf(f, "\n## All cells\n\n| scenario | backend | cell | verdict | differences | "
               "records run | passed | skipped | failed | noted | seconds | records/s |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < r->ncells; i++) {
        const mdm_cmp_cell *c = &r->cells[i];
        const mdm_cmp_records *x = &c->records;
        fprintf(f, "| %s | %s | %s | %s | %zu | %zu | %zu | %zu | %zu | %zu | %.2f | %.0f |\n",
                script_name(r, c), c->backend, c->name, VERDICTS[c->verdict], c->diffs.count,
                x->run, x->passed, x->skipped, x->failed, x->noted, c->seconds,
                per_second(x->run, c->seconds));
    }
}

static void write_md(const mdm_cmp_run *r, FILE *f)
{
    md_totals(r, f);
    md_records(r, f);
    md_diffs(r, f, MDM_CMP_UNEXPECTED, "Unexpected differences (these fail the run)");
    md_expected(r, f);
    md_diffs(r, f, MDM_CMP_EXPECTED, "Cells with expected differences");
    md_reported(r, f);
    md_cells(r, f);
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_totals(FILE *f, const mdm_cmp_totals *t)
{
    fprintf(f, "{\"cells\": %zu, \"matched\": %zu, \"expected\": %zu, \"unexpected\": %zu}",
            t->cells, t->matched, t->expected, t->unexpected);
}

static void json_records(FILE *f, const mdm_cmp_records *x)
{
    fprintf(f, "{\"run\": %zu, \"passed\": %zu, \"skipped\": %zu, \"failed\": %zu, "
               "\"noted\": %zu}",
            x->run, x->passed, x->skipped, x->failed, x->noted);
}

static void json_diff(const mdm_cmp_run *r, const mdm_cmp_cell *c, const mdm_cmp_diff *d, FILE *f)
{
    const mdm_cmp_script *s = &r->scripts[c->script];
    bool has_op = d->op < s->nops;
    fputs("{\"op\": ", f);
    json_str(f, has_op ? mdm_cmp_op_name(&s->ops[d->op]) : "");
    fprintf(f, ", \"line\": %d, \"kind\": ", has_op ? s->ops[d->op].line : 0);
    json_str(f, d->kind);
    fputs(", \"message\": ", f);
    json_str(f, d->message);
    fprintf(f, ", \"reported\": %s", d->reported ? "true" : "false");
    fputs(", \"expected\": ", f);
    if (d->expect >= 0)
        json_str(f, r->expect.items[d->expect].id);
    else
        fputs("null", f);
    fputc('}', f);
}

static void json_cell(const mdm_cmp_run *r, const mdm_cmp_cell *c, FILE *f)
{
    fputs("    {\"scenario\": ", f);
    json_str(f, script_name(r, c));
    fputs(", \"file\": ", f);
    json_str(f, r->scripts[c->script].path);
    fprintf(f, ", \"backend\": \"%s\", \"cell\": \"%s\", \"writer\": \"%s\", \"reader\": \"%s\", "
               "\"verdict\": \"%s\", \"seconds\": %.3f, \"records\": ",
            c->backend, c->name, c->writer, c->reader, VERDICTS[c->verdict], c->seconds);
    json_records(f, &c->records);
    fputs(", \"differences\": [", f);
    for (size_t j = 0; j < c->diffs.count; j++) {
        fputs(j ? ", " : "", f);
        json_diff(r, c, &c->diffs.items[j], f);
    }
    fputs("]}", f);
}

static void json_expect(const mdm_cmp_run *r, size_t i, FILE *f)
{
    const mdm_expect *e = &r->expect.items[i];
    fputs("    {\"id\": ", f);
    json_str(f, e->id);
    fputs(", \"quirk\": ", f);
    json_str(f, e->quirk);
    fputs(", \"reason\": ", f);
    json_str(f, e->reason);
    fprintf(f, ", \"differences\": %zu, \"cells\": %zu, \"stale\": %s}", e->hits, cells_of(r, i),
            (r->stale && r->stale[i]) ? "true" : "false");
}

static void write_json(const mdm_cmp_run *r, FILE *f)
{
    fputs("{\n  \"summary\": ", f);
    fprintf(f, "{\"cells\": %zu, \"matched\": %zu, \"expected\": %zu, \"unexpected\": %zu, "
               "\"stale\": %zu, \"seconds\": %.3f, \"records\": ",
            r->total.cells, r->total.matched, r->total.expected, r->total.unexpected, r->nstale,
            r->seconds);
    json_records(f, &r->records);
    fprintf(f, ", \"records_per_second\": %.1f, \"reported\": %zu},\n",
            per_second(r->records.run, r->seconds), r->reported);
    fputs("  \"records\": {", f);
    for (size_t b = 0; b < r->nbackends; b++) {
        fprintf(f, "%s\"%s\": {", b ? ", " : "", r->backends[b]);
        for (size_t k = 0; k < 4; k++) {
            fprintf(f, "%s\"%s\": ", k ? ", " : "", SLOTS[k]);
            json_records(f, &r->records_by[mdm_cmp_backend_slot(r->backends[b])][k]);
        }
        fputc('}', f);
    }
    fputs("},\n", f);
    fputs("  \"backends\": {", f);
    for (size_t b = 0; b < r->nbackends; b++) {
        fprintf(f, "%s\"%s\": ", b ? ", " : "", r->backends[b]);
        json_totals(f, &r->per_backend[strcmp(r->backends[b], "postgresql") == 0]);
    }
    fprintf(f, "},\n  \"postgresql\": {\"available\": %s, \"version\": ",
            r->pg_dsn ? "true" : "false");
    json_str(f, r->pg_dsn ? r->pg_version : "");
    fputs("},\n  \"expected_differences\": [\n", f);
    for (size_t i = 0; i < r->expect.count; i++) {
        json_expect(r, i, f);
        fputs(i + 1 < r->expect.count ? ",\n" : "\n", f);
    }
    fputs("  ],\n  \"cells\": [\n", f);
    for (size_t i = 0; i < r->ncells; i++) {
        json_cell(r, &r->cells[i], f);
        fputs(i + 1 < r->ncells ? ",\n" : "\n", f);
    }
    fputs("  ]\n}\n", f);
}

/* ---- JUnit ---------------------------------------------------------------- */

static void junit_case(const mdm_cmp_run *r, const mdm_cmp_cell *c, FILE *f)
{
    char where[300];
    fprintf(f, "    <testcase classname=\"compare.%s.", c->backend);
    xml_str(f, script_name(r, c));
    fprintf(f, "\" name=\"%s\" time=\"%.3f\">\n", c->name, c->seconds);
    for (size_t j = 0; j < c->diffs.count; j++) {
        const mdm_cmp_diff *d = &c->diffs.items[j];
        if (d->reported)
            continue;
        mdm_cmp_op_where(&r->scripts[c->script], d->op, where, sizeof where);
        fputs(d->expect >= 0 ? "      <system-out>expected (" : "      <failure message=\"", f);
        if (d->expect >= 0)
            fprintf(f, "%s): ", r->expect.items[d->expect].id);
        xml_str(f, where);
        fprintf(f, ": %s: ", d->kind);
        xml_str(f, d->message);
        fputs(d->expect >= 0 ? "</system-out>\n" : "\" type=\"unexpected\"/>\n", f);
    }
    fputs("    </testcase>\n", f);
}

static void write_junit(const mdm_cmp_run *r, FILE *f)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mdm-compare\" "
               "tests=\"%zu\" failures=\"%zu\">\n",
            r->total.cells + r->nstale, r->total.unexpected);
    for (size_t b = 0; b < r->nbackends; b++) {
        const mdm_cmp_totals *t = &r->per_backend[strcmp(r->backends[b], "postgresql") == 0];
        fprintf(f, "  <testsuite name=\"compare.%s\" tests=\"%zu\" failures=\"%zu\">\n",
                r->backends[b], t->cells, t->unexpected);
        for (size_t i = 0; i < r->ncells; i++)
            if (strcmp(r->cells[i].backend, r->backends[b]) == 0)
                junit_case(r, &r->cells[i], f);
        fputs("  </testsuite>\n", f);
    }
    fprintf(f, "  <testsuite name=\"compare.expected-differences\" tests=\"%zu\" skipped=\"%zu\">\n",
            r->nstale, r->nstale);
    for (size_t i = 0; i < r->expect.count; i++) {
        if (r->stale == NULL || !r->stale[i])
            continue;
        fputs("    <testcase classname=\"compare.stale\" name=\"", f);
        xml_str(f, r->expect.items[i].id);
        fputs("\"><skipped message=\"stale: listed but no longer occurs\"/></testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
}

/* ---- files ---------------------------------------------------------------- */

static mdm_status write_one(const mdm_cmp_run *r, const char *dir, const char *name,
                            void (*fn)(const mdm_cmp_run *, FILE *), mdm_error *err)
{
    char path[1024], tmp[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", tmp, strerror(errno));
    fn(r, f);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
    return MDM_OK;
}

mdm_status mdm_cmp_report_files(const mdm_cmp_run *r, const char *dir, mdm_error *err)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", dir, strerror(errno));
    mdm_status rc = write_one(r, dir, "compare.md", write_md, err);
    if (rc == MDM_OK)
        rc = write_one(r, dir, "compare.json", write_json, err);
    if (rc == MDM_OK)
        rc = write_one(r, dir, "compare.junit.xml", write_junit, err);
    return rc;
}

/* For the --random report (cmp_random.c): the same escaping. */
void mdm_cmp_report_json_str(FILE *f, const char *s)
{
    json_str(f, s);
}
