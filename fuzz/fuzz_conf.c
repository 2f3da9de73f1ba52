/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf.c - libFuzzer target for the YAML config loader
 * (core/mdm_conf.c). Beyond "no crash, no leak, no undefined behaviour" it
 * checks that a loaded tree is well formed, that every scalar conversion
 * and dotted-path lookup either works or fails with a message, that errors
 * name the source, and that mdm_conf_write output loads back to the same
 * tree. tests/unit/test_fuzz_regressions.c replays kept inputs through
 * mdm_fuzz_conf_one() (MDM_FUZZ_NO_MAIN).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_conf.h"

static int fuzz_conf_fail(char *why, size_t whyn, const char *what, const char *detail)
{
    snprintf(why, whyn, "conf: %s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return -1;
}

/* Structure, conversions and lookups of one node and its children. */
static int fuzz_conf_walk(const mdm_conf *c, const mdm_conf_node *n, const char *path,
                          int depth, char *why, size_t whyn)
{
    mdm_error err;
    if (depth > 200)
        return fuzz_conf_fail(why, whyn, "tree deeper than 200 levels (the loader stops at 64)", NULL);
    if (n->line < 0 || n->column < 0)
        return fuzz_conf_fail(why, whyn, "negative position", NULL);
    if (n->kind == MDM_CONF_SCALAR) {
        int64_t i;
        double d;
        bool b;
        const char *s;
        if (n->value == NULL || n->nitems != 0)
            return fuzz_conf_fail(why, whyn, "scalar without text, or with children", path);
        /* Each conversion either works or explains itself. */
        mdm_error_clear(&err);
        if (mdm_conf_int(c, n, &i, &err) != MDM_OK && err.message[0] == '\0')
            return fuzz_conf_fail(why, whyn, "mdm_conf_int failed silently", n->value);
        mdm_error_clear(&err);
        if (mdm_conf_double(c, n, &d, &err) != MDM_OK && err.message[0] == '\0')
            return fuzz_conf_fail(why, whyn, "mdm_conf_double failed silently", n->value);
        mdm_error_clear(&err);
        if (mdm_conf_bool(c, n, &b, &err) != MDM_OK && err.message[0] == '\0')
            return fuzz_conf_fail(why, whyn, "mdm_conf_bool failed silently", n->value);
        if (mdm_conf_string(c, n, &s, &err) != MDM_OK || s != n->value)
            return fuzz_conf_fail(why, whyn, "mdm_conf_string refused a scalar", n->value);
        return 0;
    }
    if (n->value != NULL)
        return fuzz_conf_fail(why, whyn, "map or list with scalar text", path);
    for (size_t k = 0; k < n->nitems; k++) {
        const mdm_conf_node *item = &n->items[k];
        char sub[512];
        if ((n->kind == MDM_CONF_MAP) != (item->key != NULL))
            return fuzz_conf_fail(why, whyn, "map item without key, or list item with one", path);
        if (n->kind == MDM_CONF_MAP) {
            /* Keys are unique, and mdm_conf_get finds each one. */
            if (mdm_conf_get(n, item->key) != item)
                return fuzz_conf_fail(why, whyn, "mdm_conf_get misses a key (duplicate?)", item->key);
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", item->key);
        } else {
            snprintf(sub, sizeof sub, "%s[%zu]", path, k);
        }
        int rc = fuzz_conf_walk(c, item, sub, depth + 1, why, whyn);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Same shape and text: kind, key, value and quoted, recursively. A plain
 * scalar may come back quoted where libyaml cannot write it plain (a root
 * "---W" would start a document): it was text either way. A quoted one must
 * never come back plain, since readers would then interpret it. */
static bool fuzz_conf_same(const mdm_conf_node *a, const mdm_conf_node *b)
{
    if (a->kind != b->kind || a->nitems != b->nitems || (a->quoted && !b->quoted))
        return false;
    if ((a->key == NULL) != (b->key == NULL) || (a->key && strcmp(a->key, b->key) != 0))
        return false;
    if ((a->value == NULL) != (b->value == NULL) || (a->value && strcmp(a->value, b->value) != 0))
        return false;
    for (size_t k = 0; k < a->nitems; k++)
        if (!fuzz_conf_same(&a->items[k], &b->items[k]))
            return false;
    return true;
}

static int fuzz_conf_round_trip(const mdm_conf *c, char *why, size_t whyn)
{
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    mdm_error err;
    mdm_conf *back = NULL;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return 0;
    mdm_status st = mdm_conf_write(&c->root, f, &err);
    fclose(f);
    if (st != MDM_OK) {
        /* The writer may refuse what it cannot represent, with a message. */
        if (err.message[0] == '\0')
            rc = fuzz_conf_fail(why, whyn, "mdm_conf_write failed silently", NULL);
        goto done;
    }
    if (mdm_conf_load_string(text, len, "round-trip", &back, &err) != MDM_OK) {
        rc = fuzz_conf_fail(why, whyn, "written YAML does not load back", err.message);
        goto done;
    }
    if (!fuzz_conf_same(&c->root, &back->root))
        rc = fuzz_conf_fail(why, whyn, "written YAML loads back different", text);
done:
    mdm_conf_free(back);
    free(text);
    return rc;
}

int mdm_fuzz_conf_one(const uint8_t *data, size_t size, char *why, size_t whyn)
{
    mdm_conf *c = NULL;
    mdm_error err;
    int rc = 0;
    mdm_error_clear(&err);
    mdm_status st = mdm_conf_load_string((const char *)data, size, "fuzz.yaml", &c, &err);
    if (st != MDM_OK) {
        if (c != NULL)
            return fuzz_conf_fail(why, whyn, "tree returned with an error", NULL);
        if (st != MDM_ERR_PARSE && st != MDM_ERR_NOMEM)
            return fuzz_conf_fail(why, whyn, "error of an unexpected kind", err.message);
        if (strncmp(err.message, "fuzz.yaml:", 10) != 0)
            return fuzz_conf_fail(why, whyn, "error does not name source:line:column", err.message);
        return 0;
    }
    if (c == NULL)
        return fuzz_conf_fail(why, whyn, "success without a tree", NULL);
    rc = fuzz_conf_walk(c, &c->root, "", 0, why, whyn);
    if (rc == 0 && c->root.kind == MDM_CONF_MAP) {
        /* Dotted lookups of the first keys, two levels down. */
        for (size_t k = 0; k < c->root.nitems && rc == 0; k++) {
            const mdm_conf_node *a = &c->root.items[k];
            if (strchr(a->key, '.') != NULL || a->key[0] == '\0')
                continue;
            if (mdm_conf_path(&c->root, a->key) != a)
                rc = fuzz_conf_fail(why, whyn, "mdm_conf_path misses a top-level key", a->key);
            for (size_t j = 0; j < a->nitems && rc == 0 && a->kind == MDM_CONF_MAP; j++) {
                const mdm_conf_node *b = &a->items[j];
                char dotted[1024];
                if (strchr(b->key, '.') != NULL || b->key[0] == '\0')
                    continue;
                if ((size_t)snprintf(dotted, sizeof dotted, "%s.%s", a->key, b->key) >= sizeof dotted)
                    continue;
                if (mdm_conf_path(&c->root, dotted) != b)
                    rc = fuzz_conf_fail(why, whyn, "mdm_conf_path misses a nested key", dotted);
            }
        }
    }
    if (rc == 0)
        rc = fuzz_conf_round_trip(c, why, whyn);
    mdm_conf_free(c);
    return rc;
}

#ifndef MDM_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[2048];
    if (mdm_fuzz_conf_one(data, size, why, sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        abort();
    }
    return 0;
}
#endif
