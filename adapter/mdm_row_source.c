/* SPDX-License-Identifier: MIT */
/*
 * mdm_row_source.c - the two ways between a whole table and a row source
 * (mdm_store.h): a table handed over in slices (the modern store's
 * chunked write of a whole table, the harness writing as `mdm register`
 * does), and a source gathered into one table (for a store that writes
 * whole frames, or a shadow write that compares whole tables).
 */
#include "mdm_store.h"

#include "mdm_table_ops.h"

static mdm_status next_slice(void *ctx, mdm_table *chunk, mdm_error *err)
{
    mdm_table_slices *sl = ctx;
    size_t left = sl->t->nrows - sl->next;
    size_t n = left < sl->rows ? left : sl->rows;
    if (sl->started && n == 0) {
        mdm_table_clear_rows(chunk);
        return MDM_OK;
    }
    mdm_status rc = mdm_table_slice(sl->t, sl->next, n, chunk, err);
    sl->next += n;
    sl->started = true;
    return rc;
}

mdm_row_source mdm_table_slices_source(mdm_table_slices *sl, const mdm_table *t, size_t rows)
{
    *sl = (mdm_table_slices){t, rows > 0 ? rows : 1, 0, false};
    return (mdm_row_source){next_slice, sl, t->nrows};
}

mdm_status mdm_row_source_gather(const mdm_row_source *src, mdm_table *out, mdm_error *err)
{
    mdm_table chunk;
    mdm_table_init(&chunk);
    mdm_status rc = src->next(src->ctx, &chunk, err);
    if (rc == MDM_OK)
        mdm_table_move(out, &chunk);
    while (rc == MDM_OK && (rc = src->next(src->ctx, &chunk, err)) == MDM_OK && chunk.nrows > 0)
        rc = mdm_table_append_table(out, &chunk, err);
    mdm_table_reset(&chunk);
    return rc;
}
