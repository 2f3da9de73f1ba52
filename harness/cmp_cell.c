/* SPDX-License-Identifier: MIT */
/*
 * cmp_cell.c - the child's side of a cell: a router as `mdm` makes one,
 * its writer and reader stores, the script's fresh databases (made by the
 * writer store), each op run on the store whose role it is (writes:
 * writer; reads: reader), and a start marker and a result per op as it
 * goes.
 */
#include "cmp_cell.h"
#include "mdm_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_result.h"
#include "mdm_clock.h"
#include "mdm_csv.h"
#include "mdm_sqlscan.h"
#include "cmp_slt.h"

/* The cell's stores; reader == writer outside the cross matrix. */
typedef struct cell_ctx {
    const mdm_cmp_cell_spec *spec;
    mdm_router *router;
    mdm_store *store[2];           /* writer, reader; NULL: open_err says why */
    mdm_error open_err[2];
    mdm_buf db;                    /* the current dataset's location */
    bool halted;
} cell_ctx;

void mdm_cmp_cell_name(const char *writer, const char *reader, char *buf, size_t n)
{
    if (strcmp(writer, reader) == 0)
        snprintf(buf, n, "%s", writer);
    else
        snprintf(buf, n, "%s>%s", writer, reader);
}

mdm_status mdm_cmp_source_path(const mdm_cmp_script *s, const mdm_cmp_op *op, const char *gen_dir,
                               mdm_buf *out, mdm_error *err)
{
    mdm_status rc;
    if (strncmp(op->source, "gen:", 4) == 0)
        rc = mdm_buf_printf(out, "%s/%s.csv", gen_dir, op->source + 4);
    else if (op->source[0] == '/')
        rc = mdm_buf_puts(out, op->source);
    else
        rc = mdm_buf_printf(out, "%s/%s", s->dir, op->source);
    return rc != MDM_OK ? mdm_error_set(err, rc, "out of memory") : MDM_OK;
}

/* The stores of both roles, from one router (as one `mdm` run has one). */
static void open_stores(cell_ctx *k)
{
    const char *impl[2] = {k->spec->writer, k->spec->reader};
    mdm_error_clear(&k->open_err[0]);
    mdm_error_clear(&k->open_err[1]);
    if (mdm_cmp_router_new(&k->spec->env, &k->router, &k->open_err[0]) != MDM_OK) {
        k->open_err[1] = k->open_err[0];
        return;
    }
    for (int i = 0; i < 2; i++) {
        mdm_impl which = MDM_IMPL_MODERN;
        if (mdm_impl_parse(impl[i], &which, &k->open_err[i]) != MDM_OK ||
            mdm_router_store(k->router, which, &k->store[i], &k->open_err[i]) != MDM_OK)
            k->store[i] = NULL;
    }
}

/* Points the cell at a dataset (the first is "main"). */
static mdm_status use_dataset(cell_ctx *k, const char *dataset, mdm_error *err)
{
    mdm_buf_clear(&k->db);
    return mdm_cmp_dataset_location(&k->spec->env, dataset, &k->db, err);
}

/* Every dataset of the script gets a fresh, empty database, made by the
 * writer store as `mdm register` makes a new dataset's. */
static mdm_status create_databases(cell_ctx *k, mdm_error *err)
{
    const mdm_cmp_script *s = k->spec->script;
    mdm_store *w = k->store[0];
    mdm_status rc = MDM_OK;
    for (size_t i = 0; w != NULL && i < s->ndatasets && rc == MDM_OK; i++) {
        rc = use_dataset(k, s->datasets[i], err);
        if (rc == MDM_OK)
            rc = w->ops->db_create(w, mdm_buf_str(&k->db), err);
    }
    return rc == MDM_OK ? use_dataset(k, "main", err) : rc;
}

/* Runs op with store i (its open error when it could not be made). */
static void run_with(cell_ctx *k, int i, const mdm_cmp_op *op, const mdm_table *data,
                     mdm_cmp_result *out)
{
    if (k->store[i] == NULL) {
        mdm_cmp_result_set_error(out, &k->open_err[i]);
        return;
    }
    mdm_cmp_store_run(k->store[i], mdm_buf_str(&k->db), op, data, out);
}

/*
 * A sqllogictest `statement` block may hold several statements; the
 * reference runner hands the block to sqlite3_exec, which runs them one
 * after the other and stops at the first error. The stores take one
 * statement per call (as `mdm` does), so the block is split with core's
 * scanner (a `;` inside a literal, identifier or comment splits nothing)
 * (and CREATE TRIGGER bodies kept whole, cmp_slt.h) and each statement
 * is one call; the record's outcome is the first
 * error, or ok.
 */
static void run_statements(cell_ctx *k, int role, const mdm_cmp_op *op, mdm_cmp_result *out)
{
    mdm_sql_dialect d = strcmp(k->spec->env.backend, "postgresql") == 0 ? MDM_SQL_POSTGRESQL
                                                                         : MDM_SQL_SQLITE;
    const char *cur = op->sql;
    while (cur != NULL) {
        const char *next = mdm_sql_second_statement(cur, d);
        size_t len = next != NULL ? (size_t)(next - cur) : strlen(cur);
        mdm_error err;
        mdm_cmp_op one = *op;
        one.sql = mdm_strndup(cur, len, &err);
        if (one.sql == NULL) {
            mdm_cmp_result_set_error(out, &err);
            return;
        }
        run_with(k, role, &one, NULL, out);
        free(one.sql);
        if (out->status != MDM_OK)
            return;
        cur = next;
    }
}

static mdm_status load_csv(const mdm_cmp_cell_spec *spec, const mdm_cmp_op *op, mdm_table *out,
                           mdm_error *err)
{
    mdm_csv_opts o = MDM_CSV_OPTS_INIT;
    mdm_buf path;
    mdm_buf_init(&path);
    o.sep = MDM_CSV_SEP_SNIFF;   /* as `mdm register` reads a file */
    mdm_status rc = mdm_cmp_source_path(spec->script, op, spec->gen_dir, &path, err);
    if (rc == MDM_OK)
        rc = mdm_csv_read_file(mdm_buf_str(&path), &o, out, err);
    mdm_buf_reset(&path);
    return rc;
}

/* Runs one op into out: conditions, halt, roles. */
static void run_op(cell_ctx *k, const mdm_cmp_op *op, mdm_cmp_result *out)
{
    int role = mdm_cmp_op_is_write(op) ? 0 : 1;
    const char *impl = role == 0 ? k->spec->writer : k->spec->reader;
    mdm_table data;
    mdm_error err;
    if (!mdm_cmp_op_applies(op, k->spec->env.backend, impl)) {
        out->state = MDM_CMP_SKIPPED;
        return;
    }
    out->state = MDM_CMP_RAN;
    if (op->kind == MDM_CMP_OP_HALT) {
        k->halted = true;
        return;
    }
    mdm_table_init(&data);
    mdm_error_clear(&err);
    if (op->kind == MDM_CMP_OP_CREATE && load_csv(k->spec, op, &data, &err) != MDM_OK) {
        mdm_cmp_result_set_error(out, &err);
        mdm_table_reset(&data);
        return;
    }
    double t0 = mdm_clock_now_s();
    if (op->kind == MDM_CMP_OP_DATASET) {
        if (use_dataset(k, op->table, &err) != MDM_OK)
            mdm_cmp_result_set_error(out, &err);
    } else if (op->kind != MDM_CMP_OP_CLOSE) {
        /* CLOSE has nothing to do: the legacy store closes legacy's
         * connections after every call, as the old DatasetManager did */
        if (op->slt && op->kind == MDM_CMP_OP_EXEC)
            run_statements(k, role, op, out);
        else
            run_with(k, role, op, op->kind == MDM_CMP_OP_CREATE ? &data : NULL, out);
    }
    out->seconds = mdm_clock_now_s() - t0;
    mdm_table_reset(&data);
}

static int run_ops(cell_ctx *k, FILE *f)
{
    mdm_error err;
    const mdm_cmp_script *s = k->spec->script;
    for (size_t i = 0; i < s->nops && !k->halted; i++) {
        mdm_cmp_result r;
        mdm_cmp_result_init(&r);
        mdm_error_clear(&err);
        if (mdm_cmp_result_write_start(f, (uint32_t)i, &err) != MDM_OK)
            goto fail;
        run_op(k, &s->ops[i], &r);
        mdm_status rc = mdm_cmp_result_write(f, (uint32_t)i, &r, &err);
        mdm_cmp_result_reset(&r);
        if (rc != MDM_OK)
            goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "mdm-compare cell: %s\n", err.message);
    return MDM_CMP_CHILD_SETUP_FAILED;
}

int mdm_cmp_cell_run(const mdm_cmp_cell_spec *spec)
{
    cell_ctx k;
    mdm_error err;
    int code;
    memset(&k, 0, sizeof k);
    k.spec = spec;
    mdm_buf_init(&k.db);
    mdm_error_clear(&err);
    open_stores(&k);
    FILE *f = NULL;
    if (create_databases(&k, &err) != MDM_OK) {
        fprintf(stderr, "mdm-compare cell setup: %s\n", err.message);
        code = MDM_CMP_CHILD_SETUP_FAILED;
    } else if ((f = fopen(spec->result_path, "wb")) == NULL) {
        fprintf(stderr, "mdm-compare cell setup: cannot write %s\n", spec->result_path);
        code = MDM_CMP_CHILD_SETUP_FAILED;
    } else {
        code = run_ops(&k, f);
        if (fclose(f) != 0)
            code = MDM_CMP_CHILD_SETUP_FAILED;
    }
    mdm_router_free(k.router);
    mdm_buf_reset(&k.db);
    return code;
}
