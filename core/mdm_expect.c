/* SPDX-License-Identifier: MIT */
/*
 * mdm_expect.c - parsing and matching the expected-differences list, the
 * one matcher of mdm-compare and of shadow mode. The file is a list of
 * [id] sections of `key = value` lines; the matcher fields are glob lists,
 * `reason` and `quirk` are required, and a difference matches an entry when
 * every field given matches (a field the difference does not know, NULL in
 * its key, is not checked).
 */
#include "mdm_expect.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_buf.h"

void mdm_expect_list_init(mdm_expect_list *l)
{
    memset(l, 0, sizeof *l);
}

static void entry_free(mdm_expect *e)
{
    free(e->id);
    free(e->scenario);
    free(e->shadow_op);
    free(e->op);
    free(e->backend);
    free(e->cell);
    free(e->kind);
    free(e->detail);
    free(e->quirk);
    free(e->reason);
}

void mdm_expect_list_reset(mdm_expect_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++)
        entry_free(&l->items[i]);
    free(l->items);
    mdm_expect_list_init(l);
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* The field a key names, or NULL. */
static char **field_of(mdm_expect *e, const char *key, size_t klen)
{
    struct { const char *name; char **slot; } fields[] = {
        { "scenario", &e->scenario }, { "op", &e->op },       { "backend", &e->backend },
        { "cell", &e->cell },         { "kind", &e->kind },   { "detail", &e->detail },
        { "quirk", &e->quirk },       { "reason", &e->reason },   { "shadow_op", &e->shadow_op },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strlen(fields[i].name) == klen && strncmp(fields[i].name, key, klen) == 0)
            return fields[i].slot;
    return NULL;
}

static mdm_status eerr(const char *src, int line, mdm_error *err, const char *what, const char *d)
{
    return mdm_error_set(err, MDM_ERR_PARSE, "%s:%d: %s%s%s", src, line, what, d ? ": " : "",
                         d ? d : "");
}

static mdm_status check_entry(const char *src, const mdm_expect_list *l, mdm_error *err)
{
    if (l->count == 0)
        return MDM_OK;
    const mdm_expect *e = &l->items[l->count - 1];
    if (e->reason == NULL || e->reason[0] == '\0')
        return eerr(src, e->line, err, "entry has no reason", e->id);
    if (e->quirk == NULL || e->quirk[0] == '\0')
        return eerr(src, e->line, err, "entry has no quirk (the LEGACY.md section)", e->id);
    for (size_t i = 0; i + 1 < l->count; i++)
        if (strcmp(l->items[i].id, e->id) == 0)
            return eerr(src, e->line, err, "duplicate id", e->id);
    return MDM_OK;
}

static mdm_status new_entry(const char *src, int line, const char *s, size_t n,
                            mdm_expect_list *l, mdm_error *err)
{
    mdm_status rc = check_entry(src, l, err);
    if (rc != MDM_OK)
        return rc;
    if (n < 3 || s[n - 1] != ']')
        return eerr(src, line, err, "expected [id]", NULL);
    mdm_expect *grown = realloc(l->items, (l->count + 1) * sizeof *grown);
    if (grown == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    l->items = grown;
    mdm_expect *e = &grown[l->count++];
    memset(e, 0, sizeof *e);
    e->line = line;
    e->id = mdm_strndup(s + 1, n - 2, err);
    return e->id ? MDM_OK : MDM_ERR_NOMEM;
}

/* key = value; a second `reason` line continues the text. */
static mdm_status set_field(const char *src, int line, const char *s, size_t n,
                            mdm_expect_list *l, mdm_error *err)
{
    const char *eq = memchr(s, '=', n);
    if (l->count == 0)
        return eerr(src, line, err, "key before the first [id]", NULL);
    if (eq == NULL)
        return eerr(src, line, err, "expected key = value", NULL);
    const char *k = s, *v = eq + 1;
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    trim(&k, &kn);
    trim(&v, &vn);
    char **slot = field_of(&l->items[l->count - 1], k, kn);
    if (slot == NULL)
        return eerr(src, line, err, "unknown key (scenario, op, backend, cell, kind, detail, "
                                    "shadow_op, quirk, reason)", NULL);
    bool is_reason = kn == 6 && strncmp(k, "reason", 6) == 0;
    bool is_detail = kn == 6 && strncmp(k, "detail", 6) == 0;
    if (*slot != NULL && !is_reason && !is_detail)
        return eerr(src, line, err, "key given twice", NULL);
    size_t old = *slot ? strlen(*slot) : 0;
    char *grown = realloc(*slot, old + vn + 2);
    if (grown == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    if (old > 0)
        grown[old++] = is_detail ? '\n' : ' ';   /* details: one glob a line */
    memcpy(grown + old, v, vn);
    grown[old + vn] = '\0';
    *slot = grown;
    return MDM_OK;
}

mdm_status mdm_expect_parse(const char *source, const char *text, size_t len,
                                mdm_expect_list *out, mdm_error *err)
{
    mdm_expect_list l;
    mdm_status rc = MDM_OK;
    const char *p = text, *end = text + len;
    int line = 0;
    mdm_expect_list_init(&l);
    while (rc == MDM_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;
        size_t n = (size_t)((nl ? nl : end) - p);
        p = nl ? nl + 1 : end;
        line++;
        trim(&s, &n);
        if (n == 0 || s[0] == '#')
            continue;
        if (s[0] == '[')
            rc = new_entry(source, line, s, n, &l, err);
        else
            rc = set_field(source, line, s, n, &l, err);
    }
    if (rc == MDM_OK)
        rc = check_entry(source, &l, err);
    if (rc != MDM_OK) {
        mdm_expect_list_reset(&l);
        return rc;
    }
    mdm_expect_list_reset(out);
    *out = l;
    return MDM_OK;
}

mdm_status mdm_expect_load(const char *path, mdm_expect_list *out, mdm_error *err)
{
    char *text = NULL;
    size_t len = 0;
    mdm_status rc = mdm_file_read(path, &text, &len, err);
    if (rc == MDM_OK)
        rc = mdm_expect_parse(path, text, len, out, err);
    free(text);
    return rc;
}

bool mdm_glob_list_match(const char *globs, const char *s)
{
    char pat[512];
    if (globs == NULL)
        return true;
    const char *p = globs;
    while (*p) {
        const char *comma = strchr(p, ',');
        const char *g = p;
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        trim(&g, &n);
        if (n < sizeof pat) {
            memcpy(pat, g, n);
            pat[n] = '\0';
            if (fnmatch(pat, s ? s : "", 0) == 0)
                return true;
        }
        p = comma ? comma + 1 : p + strlen(p);
    }
    return false;
}

/* detail: globs one a line (the key given several times); any may match. */
static bool detail_matches(const char *globs, const char *s)
{
    char pat[1024];
    if (globs == NULL)
        return true;
    for (const char *p = globs; *p;) {
        size_t n = strcspn(p, "\n");
        if (n < sizeof pat) {
            memcpy(pat, p, n);
            pat[n] = '\0';
            if (fnmatch(pat, s ? s : "", 0) == 0)
                return true;
        }
        p += n + (p[n] == '\n');
    }
    return false;
}

/* A field the difference does not know (NULL) is not checked. */
static bool field_matches(const char *globs, const char *s)
{
    return s == NULL || mdm_glob_list_match(globs, s);
}

static bool entry_matches(const mdm_expect *e, const mdm_expect_key *k)
{
    bool op = k->shadow_op != NULL && e->shadow_op != NULL
                  ? mdm_glob_list_match(e->shadow_op, k->shadow_op)
                  : field_matches(e->op, k->op);
    return field_matches(e->scenario, k->scenario) && op &&
           field_matches(e->backend, k->backend) && field_matches(e->cell, k->cell) &&
           field_matches(e->kind, k->kind) && detail_matches(e->detail, k->detail);
}

long mdm_expect_match(const mdm_expect_list *l, const mdm_expect_key *k)
{
    for (size_t i = 0; i < l->count; i++)
        if (entry_matches(&l->items[i], k))
            return (long)i;
    return -1;
}
