/* SPDX-License-Identifier: MIT */
/*
 * cmp_script.c - the script type both parsers fill: its lifetime, the
 * loader that picks the parser by extension, and the small helpers the
 * parsers share (string arrays, op allocation, whole-file reads).
 */
#include "cmp_script.h"
#include "mdm_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void mdm_cmp_script_init(mdm_cmp_script *s)
{
    memset(s, 0, sizeof *s);
}

static void params_free(mdm_cmp_param *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].text);
    }
    free(p);
}

static void op_free(mdm_cmp_op *op)
{
    free(op->verb);
    free(op->label);
    free(op->table);
    free(op->source);
    mdm_cmp__strv_free(op->columns, op->ncolumns);
    free(op->sql);
    params_free(op->params, op->nparams);
    mdm_cmp__strv_free(op->onlyif, op->nonlyif);
    mdm_cmp__strv_free(op->skipif, op->nskipif);
    free(op->types);
    mdm_cmp__strv_free(op->expected, op->nexpected);
}

void mdm_cmp_script_reset(mdm_cmp_script *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nops; i++)
        op_free(&s->ops[i]);
    free(s->ops);
    free(s->path);
    free(s->name);
    free(s->dir);
    mdm_cmp__strv_free(s->datasets, s->ndatasets);
    mdm_cmp_script_init(s);
}

mdm_status mdm_cmp__strv_push(char ***v, size_t *n, const char *s, size_t len, mdm_error *err)
{
    char **grown = realloc(*v, (*n + 1) * sizeof **v);
    if (grown == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    *v = grown;
    grown[*n] = mdm_strndup(s, len, err);
    if (grown[*n] == NULL)
        return MDM_ERR_NOMEM;
    (*n)++;
    return MDM_OK;
}

void mdm_cmp__strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

mdm_cmp_op *mdm_cmp__script_add_op(mdm_cmp_script *s, mdm_error *err)
{
    if (s->nops == s->capops) {
        size_t cap = s->capops ? s->capops * 2 : 16;
        mdm_cmp_op *grown = realloc(s->ops, cap * sizeof *grown);
        if (grown == NULL) {
            (void)mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
            return NULL;
        }
        s->ops = grown;
        s->capops = cap;
    }
    mdm_cmp_op *op = &s->ops[s->nops++];
    memset(op, 0, sizeof *op);
    return op;
}

mdm_status mdm_cmp__script_add_dataset(mdm_cmp_script *s, const char *name, mdm_error *err)
{
    for (size_t i = 0; i < s->ndatasets; i++)
        if (strcmp(s->datasets[i], name) == 0)
            return MDM_OK;
    return mdm_cmp__strv_push(&s->datasets, &s->ndatasets, name, strlen(name), err);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

mdm_status mdm_cmp_script_load(const char *path, mdm_cmp_script *s, mdm_error *err)
{
    char *text = NULL;
    size_t len = 0;
    mdm_status rc = mdm_file_read(path, &text, &len, err);
    if (rc != MDM_OK)
        return rc;
    if (has_suffix(path, ".test"))
        rc = mdm_cmp_slt_parse(path, text, len, s, err);
    else
        rc = mdm_cmp_scenario_parse(path, text, len, s, err);
    free(text);
    return rc;
}

bool mdm_cmp_op_is_write(const mdm_cmp_op *op)
{
    return op->kind == MDM_CMP_OP_CREATE || op->kind == MDM_CMP_OP_EXEC ||
           op->kind == MDM_CMP_OP_DROP;
}

const char *mdm_cmp_op_name(const mdm_cmp_op *op)
{
    return op->label ? op->label : op->verb;
}

static bool strv_has(char *const *v, size_t n, const char *a, const char *b)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(v[i], a) == 0 || (b != NULL && strcasecmp(v[i], b) == 0))
            return true;
    return false;
}

/* Every onlyif must name the backend or the implementation; no skipif
 * may name either. Names compare ignoring case, as the reference runner
 * compares engine names (`onlyif SQLite`). */
bool mdm_cmp_op_applies(const mdm_cmp_op *op, const char *backend, const char *impl)
{
    for (size_t i = 0; i < op->nonlyif; i++)
        if (!strv_has(&op->onlyif[i], 1, backend, impl))
            return false;
    return !strv_has(op->skipif, op->nskipif, backend, impl);
}

mdm_status mdm_cmp__script_set_path(mdm_cmp_script *s, const char *path, mdm_error *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t nlen = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    s->path = mdm_strndup(path, strlen(path), err);
    s->name = mdm_strndup(base, nlen, err);
    s->dir = slash ? mdm_strndup(path, (size_t)(slash - path), err)
                   : mdm_strndup(".", 1, err);
    if (s->path == NULL || s->name == NULL || s->dir == NULL)
        return MDM_ERR_NOMEM;
    return MDM_OK;
}
