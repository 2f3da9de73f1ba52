/* SPDX-License-Identifier: MIT */
/*
 * mdm_output.c - output formats. The aligned table measures every cell in
 * UTF-8 characters, escapes control characters so one row stays one line,
 * and cuts long cells; CSV and JSON are core's writers, untouched.
 */
#include "mdm_output.h"
#include "mdm_buf.h"

#include <stdlib.h>
#include <string.h>

#define CELL_MAX 80   /* characters shown per cell */

mdm_status mdm_out_format_parse(const char *s, mdm_out_format *out, mdm_error *err)
{
    static const char *const names[] = {"table", "csv", "json"};
    for (int i = 0; s != NULL && i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (mdm_out_format)i;
            return MDM_OK;
        }
    }
    return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                         "unknown format '%s'; expected table, csv or json", s ? s : "");
}

/* One cell as shown, escaped and cut, into b; *width in characters. */
static mdm_status show_cell(const mdm_table *t, size_t c, size_t r, mdm_buf *b, size_t *width)
{
    char tmp[64];
    size_t len = 0, w = 0;
    const char *s;
    mdm_status rc = MDM_OK;
    mdm_buf_clear(b);
    if (!mdm_table_is_null(t, c, r) && t->cols[c].type == MDM_TEXT) {
        s = mdm_table_text(t, c, r, &len);
    } else {
        s = mdm_table_render_cell(t, c, r, tmp, sizeof tmp);
        len = strlen(s);
    }
    for (size_t i = 0; rc == MDM_OK && i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xC0) != 0x80 && w == CELL_MAX - 3 && len - i > 3) {
            rc = mdm_buf_puts(b, "...");
            w += 3;
            break;
        }
        if (ch == '\n' || ch == '\t' || ch == '\r') {
            rc = mdm_buf_puts(b, ch == '\n' ? "\\n" : ch == '\t' ? "\\t" : "\\r");
            w += 2;
        } else if (ch < 0x20 || ch == 0x7f) {
            rc = mdm_buf_putc(b, '?');
            w++;
        } else {
            rc = mdm_buf_putc(b, (char)ch);
            w += (ch & 0xC0) != 0x80;
        }
    }
    *width = w;
    return rc;
}

static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static bool right_aligned(mdm_type t)
{
    return t == MDM_INT64 || t == MDM_FLOAT64;
}

static void put_padded(FILE *out, const char *s, size_t w, size_t width, bool right, bool last)
{
    size_t pad = width > w ? width - w : 0;
    if (right)
        fprintf(out, "%*s", (int)pad, "");
    fputs(s, out);
    if (!right && !last)
        fprintf(out, "%*s", (int)pad, "");
    if (!last)
        fputs("  ", out);
}

static void put_rule(FILE *out, const size_t *widths, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        for (size_t i = 0; i < widths[c]; i++)
            fputc('-', out);
        fputs(c + 1 < n ? "  " : "\n", out);
    }
}

static mdm_status measure(const mdm_table *t, size_t *widths, mdm_buf *cell)
{
    mdm_status rc = MDM_OK;
    for (size_t c = 0; rc == MDM_OK && c < t->ncols; c++) {
        widths[c] = text_width(t->cols[c].name);
        for (size_t r = 0; rc == MDM_OK && r < t->nrows; r++) {
            size_t w = 0;
            rc = show_cell(t, c, r, cell, &w);
            widths[c] = w > widths[c] ? w : widths[c];
        }
    }
    return rc;
}

static mdm_status put_rows(const mdm_table *t, const size_t *widths, mdm_buf *cell, FILE *out)
{
    mdm_status rc = MDM_OK;
    for (size_t r = 0; rc == MDM_OK && r < t->nrows; r++) {
        for (size_t c = 0; rc == MDM_OK && c < t->ncols; c++) {
            size_t w = 0;
            rc = show_cell(t, c, r, cell, &w);
            put_padded(out, mdm_buf_str(cell), w, widths[c], right_aligned(t->cols[c].type),
                       c + 1 == t->ncols);
        }
        fputc('\n', out);
    }
    return rc;
}

mdm_status mdm_output_pretty(const mdm_table *t, bool footer, FILE *out, mdm_error *err)
{
    size_t *widths = calloc(t->ncols ? t->ncols : 1, sizeof *widths);
    mdm_buf cell;
    if (widths == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    mdm_buf_init(&cell);
    mdm_status rc = measure(t, widths, &cell);
    for (size_t c = 0; rc == MDM_OK && c < t->ncols; c++)
        put_padded(out, t->cols[c].name, text_width(t->cols[c].name), widths[c],
                   right_aligned(t->cols[c].type), c + 1 == t->ncols);
    if (rc == MDM_OK && t->ncols > 0) {
        fputc('\n', out);
        put_rule(out, widths, t->ncols);
    }
    if (rc == MDM_OK)
        rc = put_rows(t, widths, &cell, out);
    if (rc == MDM_OK && footer)
        fprintf(out, "(%zu row%s)\n", t->nrows, t->nrows == 1 ? "" : "s");
    mdm_buf_reset(&cell);
    free(widths);
    if (rc != MDM_OK)
        return mdm_error_set(err, rc, "out of memory");
    return ferror(out) ? mdm_error_set(err, MDM_ERR_IO, "cannot write output") : MDM_OK;
}

mdm_status mdm_output_write(const mdm_table *t, mdm_out_format f, FILE *out, mdm_error *err)
{
    switch (f) {
    case MDM_OUT_CSV: return mdm_table_write_csv(t, out, err);
    case MDM_OUT_JSON: return mdm_table_write_json(t, out, err);
    default: return mdm_output_pretty(t, true, out, err);
    }
}

void mdm_output_stream_init(mdm_output_stream *os, mdm_out_format f, FILE *out,
                            mdm_row_sink *sink)
{
    os->format = f;
    os->out = out;
    os->head = false;
    os->rows = 0;
    sink->chunk_rows = MDM_OUTPUT_CHUNK_ROWS;
    sink->rows = mdm_output_stream_rows;
    sink->ctx = os;
}

mdm_status mdm_output_stream_rows(void *ctx, const mdm_table *t, mdm_error *err)
{
    mdm_output_stream *os = ctx;
    bool json = os->format == MDM_OUT_JSON;
    mdm_status rc = MDM_OK;
    if (!os->head) {
        rc = json ? mdm_table_write_json_head(t, os->out, err)
                  : mdm_table_write_csv_head(t, os->out, err);
        os->head = true;
    }
    if (rc == MDM_OK && t->nrows > 0)
        rc = json ? mdm_table_write_json_rows(t, os->rows == 0, os->out, err)
                  : mdm_table_write_csv_rows(t, os->out, err);
    os->rows += t->nrows;
    return rc;
}

mdm_status mdm_output_stream_end(mdm_output_stream *os, const mdm_table *rest, mdm_error *err)
{
    mdm_status rc = mdm_output_stream_rows(os, rest, err);
    if (rc == MDM_OK && os->format == MDM_OUT_JSON)
        rc = mdm_table_write_json_tail(os->out, err);
    return rc;
}
