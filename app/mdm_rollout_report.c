/* SPDX-License-Identifier: MIT */
/*
 * mdm_rollout_report.c - `mdm rollout report`: one self-contained HTML page
 * (inline CSS and SVG, no script, nothing fetched) drawn from the history:
 * the percent of each flag decision by decision, the unexpected mismatch
 * and candidate error rates with their 95 % upper bounds, the latency
 * ratios, and every decision with its reason.
 */
#include "mdm_rollout.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One decision, as the history line holds it. */
typedef struct point {
    char time[32], decision[16], from[64], to[64], reason[420];
    double reads, writes, mis, mis_up, cand, cand_up, p50, p99, n;
} point;

static double json_num(const char *line, const char *key)
{
    char v[64];
    mdm_rollout_history_field(line, key, v, sizeof v);
    return strtod(v, NULL);
}

static void parse_point(const char *line, point *p)
{
    mdm_rollout_history_field(line, "time", p->time, sizeof p->time);
    mdm_rollout_history_field(line, "decision", p->decision, sizeof p->decision);
    mdm_rollout_history_field(line, "from", p->from, sizeof p->from);
    mdm_rollout_history_field(line, "to", p->to, sizeof p->to);
    mdm_rollout_history_field(line, "reason", p->reason, sizeof p->reason);
    p->reads = json_num(line, "reads_percent");
    p->writes = json_num(line, "writes_percent");
    p->n = json_num(line, "comparisons");
    p->mis = json_num(line, "mismatch_rate");
    p->mis_up = json_num(line, "mismatch_upper");
    p->cand = json_num(line, "candidate_error_rate");
    p->cand_up = json_num(line, "candidate_error_upper");
    p->p50 = json_num(line, "p50_ratio");
    p->p99 = json_num(line, "p99_ratio");
}

static void html(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

#define W 720
#define H 220
#define PAD 40

static double xpos(size_t i, size_t n)
{
    return PAD + (n > 1 ? (double)i * (W - 2 * PAD) / (double)(n - 1) : (W - 2 * PAD) / 2.0);
}

static double ypos(double v, double top)
{
    return H - PAD - (top > 0 ? v / top : 0) * (H - 2 * PAD);
}

/* A polyline of one series (offset: the field's offset in point). */
static void series(FILE *f, const point *pts, size_t n, size_t offset, double top,
                   const char *color, const char *dash, const char *label, int row)
{
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s points=\"", color,
            dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
    for (size_t i = 0; i < n; i++) {
        double v = *(const double *)((const char *)&pts[i] + offset);
        fprintf(f, "%.1f,%.1f ", xpos(i, n), ypos(v, top));
    }
    fprintf(f, "\"/>\n<text x=\"%d\" y=\"%d\" fill=\"%s\" font-size=\"12\">%s</text>\n",
            W - PAD - 200, 14 + 14 * row, color, label);
}

static void axes(FILE *f, const char *title, double top, const char *unit)
{
    fprintf(f, "<h2>%s</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"%d\" role=\"img\" aria-label=\"%s\">\n",
            title, W, H, title);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", PAD, H - PAD,
            W - PAD, H - PAD);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", PAD, PAD, PAD,
            H - PAD);
    fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"11\">%.3g%s</text>\n", PAD + 4, top, unit);
    fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"11\">0</text>\n", H - PAD + 4);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">decisions, oldest first</text>\n",
            W / 2 - 60, H - 10);
}

static double top_of(const point *pts, size_t n, const size_t *offsets, size_t k, double floor)
{
    double top = floor;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            double v = *(const double *)((const char *)&pts[i] + offsets[j]);
            top = v > top ? v : top;
        }
    return top;
}

static void charts(FILE *f, const point *pts, size_t n)
{
    axes(f, "Percent of datasets on modern", 100, "%");
    series(f, pts, n, offsetof(point, reads), 100, "#1f77b4", NULL, "reads", 0);
    series(f, pts, n, offsetof(point, writes), 100, "#d62728", NULL, "writes", 1);
    fputs("</svg>\n", f);
    size_t rates[] = {offsetof(point, mis), offsetof(point, mis_up), offsetof(point, cand),
                      offsetof(point, cand_up)};
    double top = top_of(pts, n, rates, 4, 0.01);
    axes(f, "Unexpected mismatch and candidate error rates, with 95% upper bounds", top, "");
    series(f, pts, n, offsetof(point, mis), top, "#9467bd", NULL, "mismatch rate", 0);
    series(f, pts, n, offsetof(point, mis_up), top, "#9467bd", "4 3", "its upper bound", 1);
    series(f, pts, n, offsetof(point, cand), top, "#ff7f0e", NULL, "candidate error rate", 2);
    series(f, pts, n, offsetof(point, cand_up), top, "#ff7f0e", "4 3", "its upper bound", 3);
    fputs("</svg>\n", f);
    size_t lat[] = {offsetof(point, p50), offsetof(point, p99)};
    top = top_of(pts, n, lat, 2, 1.0);
    axes(f, "Latency ratio candidate / control", top, "");
    series(f, pts, n, offsetof(point, p50), top, "#2ca02c", NULL, "p50", 0);
    series(f, pts, n, offsetof(point, p99), top, "#2ca02c", "4 3", "p99", 1);
    fputs("</svg>\n", f);
}

static void decisions(FILE *f, const point *pts, size_t n)
{
    fputs("<h2>Every decision</h2>\n<table>\n<tr><th>time</th><th>decision</th><th>from</th>"
          "<th>to</th><th>comparisons</th><th>mismatch rate (upper)</th>"
          "<th>candidate errors (upper)</th><th>p50 / p99 ratio</th><th>reason</th></tr>\n", f);
    for (size_t i = 0; i < n; i++) {
        const point *p = &pts[i];
        fprintf(f, "<tr class=\"%s\"><td>", p->decision);
        html(f, p->time);
        fprintf(f, "</td><td>%s</td><td>", p->decision);
        html(f, p->from);
        fputs("</td><td>", f);
        html(f, p->to);
        fprintf(f, "</td><td>%.0f</td><td>%.4g (%.4g)</td><td>%.4g (%.4g)</td>"
                   "<td>%.3g / %.3g</td><td>",
                p->n, p->mis, p->mis_up, p->cand, p->cand_up, p->p50, p->p99);
        html(f, p->reason);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

mdm_status mdm_rollout_report(const char *history, const char *phase, FILE *out, mdm_error *err)
{
    char *text = NULL, now[32];
    size_t len = 0, n = 0, cap = 0;
    point *pts = NULL;
    mdm_status rc = MDM_OK;
    if (access(history, F_OK) == 0)
        rc = mdm_file_read(history, &text, &len, err);
    for (char *line = text, *nl; rc == MDM_OK && line != NULL && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            point *grown = realloc(pts, cap * sizeof *pts);
            if (grown == NULL) {
                rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
                break;
            }
            pts = grown;
        }
        memset(&pts[n], 0, sizeof pts[n]);
        parse_point(line, &pts[n++]);
    }
    if (rc == MDM_OK) {
        mdm_rollout_now(now, sizeof now);
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<title>mdm rollout</title>\n<style>body{font-family:sans-serif;margin:2em;"
              "max-width:1100px}table{border-collapse:collapse;font-size:13px}td,th{border:1px "
              "solid #ccc;padding:3px 6px;vertical-align:top}tr.rollback{background:#fdd}"
              "tr.advance{background:#dfd}tr.resume{background:#ddf}</style></head><body>\n",
              out);
        fputs("<h1>mdm rollout</h1>\n<p>Phase now: <b>", out);
        html(out, phase);
        fprintf(out, "</b>. %zu decisions. Generated %s. Bounds: exact one-sided 95%% "
                     "Clopper-Pearson.</p>\n", n, now);
        if (n > 0)
            charts(out, pts, n);
        else
            fputs("<p>No decision yet: run <code>mdm rollout advance</code>.</p>\n", out);
        decisions(out, pts, n);
        fputs("</body></html>\n", out);
        if (fflush(out) != 0 || ferror(out))
            rc = mdm_error_set(err, MDM_ERR_IO, "cannot write the report: %s", strerror(errno));
    }
    free(pts);
    free(text);
    return rc;
}
