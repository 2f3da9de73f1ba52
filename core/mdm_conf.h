/* SPDX-License-Identifier: MIT */
/*
 * mdm_conf.h - YAML configuration files as a tree of nodes (libyaml).
 *
 * The loader keeps every node's line and column so that whoever interprets
 * the tree (legacy's old config handling, the app's new format, the
 * migration) can name file, line and key in its errors. Scalars are kept as
 * text; interpretation is the reader's job.
 */
#ifndef MDM_CONF_H
#define MDM_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_status.h"

typedef enum mdm_conf_kind {
    MDM_CONF_SCALAR = 0,
    MDM_CONF_MAP,
    MDM_CONF_SEQ
} mdm_conf_kind;

typedef struct mdm_conf_node {
    mdm_conf_kind kind;
    char *key;           /* key when the node is a map value, else NULL */
    char *value;         /* scalar text (NULL for maps and sequences) */
    bool quoted;         /* scalar was quoted in the source */
    int line, column;    /* 1-based position of the node (of its key in a map) */
    struct mdm_conf_node *items;  /* map values or sequence items */
    size_t nitems;
} mdm_conf_node;

typedef struct mdm_conf {
    mdm_conf_node root;  /* a MAP for a usual config file; empty MAP for "" */
    char *source;        /* file name for messages */
} mdm_conf;

/* Loads a file. Duplicate keys, anchors/aliases and multiple documents are
 * PARSE errors naming source:line:column. Caller frees with mdm_conf_free. */
MDM_NODISCARD mdm_status mdm_conf_load_file(const char *path, mdm_conf **out, mdm_error *err);
MDM_NODISCARD mdm_status mdm_conf_load_string(const char *text, size_t len, const char *source,
                                              mdm_conf **out, mdm_error *err);
void mdm_conf_free(mdm_conf *c);   /* NULL is a no-op */

/* The value under key in a MAP node, or NULL (also when node is not a map). */
const mdm_conf_node *mdm_conf_get(const mdm_conf_node *map, const char *key);
/* Follows a dotted path of keys: "storage.backends.sqlite.path_template". */
const mdm_conf_node *mdm_conf_path(const mdm_conf_node *root, const char *dotted);

/* Scalar conversions. Each returns CONFIG with "<source>:<line>: key '<key>':
 * expected ..." when the node is not a scalar of that form. */
MDM_NODISCARD mdm_status mdm_conf_int(const mdm_conf *c, const mdm_conf_node *n, int64_t *out, mdm_error *err);
MDM_NODISCARD mdm_status mdm_conf_double(const mdm_conf *c, const mdm_conf_node *n, double *out, mdm_error *err);
/* true/false/yes/no/on/off (any case). */
MDM_NODISCARD mdm_status mdm_conf_bool(const mdm_conf *c, const mdm_conf_node *n, bool *out, mdm_error *err);
/* Borrowed scalar text. */
MDM_NODISCARD mdm_status mdm_conf_string(const mdm_conf *c, const mdm_conf_node *n, const char **out, mdm_error *err);

/* Builds a tree in code (tests, migration). Node functions copy strings. */
MDM_NODISCARD mdm_status mdm_conf_new(const char *source, mdm_conf **out, mdm_error *err);
/* Adds a child to a MAP (key != NULL) or SEQ (key == NULL); returns it via out. */
MDM_NODISCARD mdm_status mdm_conf_add(mdm_conf_node *parent, const char *key, mdm_conf_kind kind,
                                      const char *value, mdm_conf_node **out, mdm_error *err);

/* Writes the tree as YAML (block style, keys in order, scalars quoted when
 * needed) so that loading it back gives the same tree. */
MDM_NODISCARD mdm_status mdm_conf_write(const mdm_conf_node *root, FILE *out, mdm_error *err);

#endif
