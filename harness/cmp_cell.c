/* SPDX-License-Identifier: MIT */
/*
 * cmp_cell.c - the child's side of a cell: create the fresh PostgreSQL
 * databases, open the writer and reader drivers, run each op with the
 * driver whose role it is (writes: writer; reads: reader; dataset/close:
 * both), and write a start marker and a result per op as it goes.
 */
#include "cmp_cell.h"

#include <stdio.h>
#include <string.h>

#include "cmp_pg.h"
#include "cmp_result.h"
#include "mdm_clock.h"
#include "mdm_csv.h"

/* Both drivers of the cell; reader == writer outside the cross matrix. */
typedef struct cell_ctx {
    const mdm_cmp_cell_spec *spec;
    const mdm_cmp_driver *drv[2];  /* writer, reader */
    void *state[2];
    mdm_error open_err[2];
    bool same;
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

static mdm_status create_databases(const mdm_cmp_cell_spec *spec, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    if (strcmp(spec->env.backend, "postgresql") != 0)
        return MDM_OK;
    for (size_t i = 0; i < spec->script->ndatasets && rc == MDM_OK; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s%s", spec->env.pg_prefix, spec->script->datasets[i]);
        rc = mdm_cmp_pg_create_db(spec->env.pg_dsn, name, err);
    }
    return rc;
}

static void open_drivers(cell_ctx *k)
{
    k->drv[0] = mdm_cmp_driver_find(k->spec->writer);
    k->drv[1] = mdm_cmp_driver_find(k->spec->reader);
    k->same = k->drv[0] == k->drv[1];
    for (int i = 0; i < (k->same ? 1 : 2); i++) {
        mdm_error_clear(&k->open_err[i]);
        if (k->drv[i]->open(&k->spec->env, &k->state[i], &k->open_err[i]) != MDM_OK)
            k->state[i] = NULL;
    }
    if (k->same) {
        k->state[1] = k->state[0];
        k->open_err[1] = k->open_err[0];
    }
}

static void close_drivers(cell_ctx *k)
{
    for (int i = (k->same ? 0 : 1); i >= 0; i--)
        if (k->state[i] != NULL)
            k->drv[i]->close(k->state[i]);
}

/* Runs op with driver i (its open error when it could not open). */
static void run_with(cell_ctx *k, int i, const mdm_cmp_op *op, const mdm_table *data,
                     mdm_cmp_result *out)
{
    if (k->state[i] == NULL) {
        mdm_cmp_result_set_error(out, &k->open_err[i]);
        return;
    }
    k->drv[i]->run(k->state[i], op, data, out);
}

static mdm_status load_csv(const mdm_cmp_cell_spec *spec, const mdm_cmp_op *op, mdm_table *out,
                           mdm_error *err)
{
    mdm_buf path;
    mdm_buf_init(&path);
    mdm_status rc = mdm_cmp_source_path(spec->script, op, spec->gen_dir, &path, err);
    if (rc == MDM_OK)
        rc = mdm_csv_read_file(mdm_buf_str(&path), NULL, out, err);
    mdm_buf_reset(&path);
    return rc;
}

/* Runs one op into out: conditions, halt, roles. */
static void run_op(cell_ctx *k, const mdm_cmp_op *op, mdm_cmp_result *out)
{
    int role = mdm_cmp_op_is_write(op) ? 0 : 1;
    mdm_table data;
    mdm_error err;
    if (!mdm_cmp_op_applies(op, k->spec->env.backend, k->drv[role]->name)) {
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
    if ((op->kind == MDM_CMP_OP_DATASET || op->kind == MDM_CMP_OP_CLOSE) && !k->same) {
        mdm_cmp_result other;
        mdm_cmp_result_init(&other);
        run_with(k, 0, op, NULL, &other);
        run_with(k, 1, op, NULL, out);
        if (other.status != MDM_OK && out->status == MDM_OK)
            *out = other;   /* the writer's error; nothing else to move */
        else
            mdm_cmp_result_reset(&other);
    } else {
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
    mdm_error_clear(&err);
    if (create_databases(spec, &err) != MDM_OK) {
        fprintf(stderr, "mdm-compare cell setup: %s\n", err.message);
        return MDM_CMP_CHILD_SETUP_FAILED;
    }
    FILE *f = fopen(spec->result_path, "wb");
    if (f == NULL) {
        fprintf(stderr, "mdm-compare cell setup: cannot write %s\n", spec->result_path);
        return MDM_CMP_CHILD_SETUP_FAILED;
    }
    open_drivers(&k);
    code = run_ops(&k, f);
    close_drivers(&k);
    if (fclose(f) != 0)
        code = MDM_CMP_CHILD_SETUP_FAILED;
    return code;
}
