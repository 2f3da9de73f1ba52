/* SPDX-License-Identifier: MIT */
/*
 * mdm_ifexists.c - the if_exists sequence of create_table, written once for
 * the modern backends: exists? (the backend's table_exists op), then fail,
 * replace (drop) or append (column check), create when missing, insert, all
 * in one transaction. How a table is declared, how rows go in, how columns
 * are found and transactions are the backend's, through its const
 * mdm__write_steps.
 */
#include "mdm_backend.h"
#include "mdm_modern_internal.h"

#include <string.h>

/* CREATE TABLE qt (col type, ...) */
static mdm_status create_sql(mdm_buf *sql, const mdm__write_steps *steps, const char *qt,
                             const mdm_table *data, mdm_error *err)
{
    mdm_status rc = mdm_buf_printf(sql, "CREATE TABLE %s (", qt);
    for (size_t i = 0; rc == MDM_OK && i < data->ncols; i++) {
        if (i > 0)
            rc = mdm_buf_puts(sql, ", ");
        if (rc == MDM_OK)
            rc = mdm_sql_quote_ident(sql, steps->dialect, data->cols[i].name, err);
        if (rc == MDM_OK)
            rc = mdm_buf_printf(sql, " %s", steps->decl(data->cols[i].type));
    }
    if (rc == MDM_OK)
        rc = mdm_buf_puts(sql, ")");
    return rc;
}

mdm_status mdm__write_table(mdm_conn *c, const mdm__write_steps *steps, void *cols,
                            const char *table, const mdm_table *data, mdm_if_exists mode,
                            mdm_error *err)
{
    mdm_buf qt, sql, qcols;
    bool exists = false, savepoint = false, in_tx = false;
    mdm_status rc;

    mdm_buf_init(&qt);
    mdm_buf_init(&sql);
    mdm_buf_init(&qcols);
    rc = mdm_sql_quote_ident(&qt, steps->dialect, table, err);
    for (size_t i = 0; rc == MDM_OK && i < data->ncols; i++) {
        if (i > 0)
            rc = mdm_buf_puts(&qcols, ", ");
        if (rc == MDM_OK)
            rc = mdm_sql_quote_ident(&qcols, steps->dialect, data->cols[i].name, err);
    }
    if (rc == MDM_OK && (rc = steps->tx_open(c, &savepoint, err)) == MDM_OK)
        in_tx = true;
    if (rc == MDM_OK)
        rc = c->ops->table_exists(c, table, &exists, err);
    if (rc == MDM_OK && exists && mode == MDM_IF_EXISTS_FAIL)
        rc = mdm_error_set(err, MDM_ERR_EXISTS, "Table '%s' already exists.", table);
    if (rc == MDM_OK && exists && mode == MDM_IF_EXISTS_REPLACE) {
        rc = mdm_buf_printf(&sql, "DROP TABLE %s", mdm_buf_str(&qt));
        if (rc == MDM_OK)
            rc = steps->exec(c, mdm_buf_str(&sql), err);
        exists = false;
    }
    if (rc == MDM_OK && !exists) {
        mdm_buf_clear(&sql);
        rc = create_sql(&sql, steps, mdm_buf_str(&qt), data, err);
        if (rc == MDM_OK)
            rc = steps->exec(c, mdm_buf_str(&sql), err);
    } else if (rc == MDM_OK) {
        /* append: every column of the data must exist in the table */
        rc = steps->columns(c, table, mdm_buf_str(&qt), cols, err);
        for (size_t i = 0; rc == MDM_OK && i < data->ncols; i++) {
            if (!steps->has_column(cols, data->cols[i].name))
                rc = mdm_error_set(err, MDM_ERR_SQL, "table %s has no column named %s", table,
                                   data->cols[i].name);
        }
    }
    if (rc == MDM_OK && data->nrows > 0) {
        mdm_buf_clear(&sql);
        rc = steps->insert(c, &sql, mdm_buf_str(&qt), mdm_buf_str(&qcols), data, cols, err);
    }
    if (in_tx)
        rc = steps->tx_close(c, savepoint, rc, err);
    if (rc != MDM_OK && err != NULL && strncmp(err->message, "Failed to", 9) != 0)
        mdm_error_prefix(err, "Failed to create table %s", table);
    mdm_buf_reset(&qcols);
    mdm_buf_reset(&sql);
    mdm_buf_reset(&qt);
    return rc;
}
