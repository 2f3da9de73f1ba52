/* SPDX-License-Identifier: MIT */
/*
 * mdm_conf.c - YAML configuration files as a tree of nodes, read and written
 * with libyaml's event API. Loading keeps each node's line and column and
 * refuses what would make a config ambiguous (duplicate keys, anchors and
 * aliases, several documents); the scalar conversions turn text into
 * numbers and booleans with messages that name file, line and key.
 */
#include "mdm_conf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

/* Configs are a few levels deep; the limit only stops hostile nesting
 * from recursing without end. */
enum { MAX_DEPTH = 64 };

static const char STR_TAG[] = "tag:yaml.org,2002:str";

typedef struct loader {
    yaml_parser_t parser;
    const char *text;   /* the input, for positions of reader errors */
    size_t len;
    const char *source;
    mdm_error *err;
} loader;

/* ---- Tree helpers ------------------------------------------------------ */

static void node_clear(mdm_conf_node *n)
{
    for (size_t i = 0; i < n->nitems; i++)
        node_clear(&n->items[i]);
    free(n->items);
    free(n->key);
    free(n->value);
    memset(n, 0, sizeof *n);
}

/* Appends a zeroed child. The array has no capacity field, so it grows
 * whenever the count reaches a power of two: amortised O(1) all the same.
 * Pointers to earlier children are invalidated, as with any array. */
static mdm_conf_node *node_append(mdm_conf_node *parent)
{
    size_t n = parent->nitems;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
        size_t cap = n == 0 ? 4 : 2 * n;
        mdm_conf_node *items = realloc(parent->items, cap * sizeof *items);
        if (items == NULL)
            return NULL;
        parent->items = items;
    }
    mdm_conf_node *child = &parent->items[parent->nitems++];
    memset(child, 0, sizeof *child);
    return child;
}

/* The child of a MAP with this key (len bytes), or NULL. */
static const mdm_conf_node *map_find(const mdm_conf_node *map, const char *key, size_t len)
{
    if (map == NULL || map->kind != MDM_CONF_MAP)
        return NULL;
    for (size_t i = 0; i < map->nitems; i++) {
        const char *k = map->items[i].key;
        if (k != NULL && strncmp(k, key, len) == 0 && k[len] == '\0')
            return &map->items[i];
    }
    return NULL;
}

/* ---- Loading ----------------------------------------------------------- */

static mdm_status load_error(loader *L, size_t line, size_t col, const char *fmt, ...)
    MDM_PRINTF(4, 5);
static mdm_status load_error(loader *L, size_t line, size_t col, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return mdm_error_set(L->err, MDM_ERR_PARSE, "%s:%zu:%zu: %s", L->source, line, col, what);
}

static mdm_status error_at_mark(loader *L, yaml_mark_t m, const char *what)
{
    return load_error(L, m.line + 1, m.column + 1, "%s", what);
}

/* libyaml's own error. Reader errors (bad encoding) carry a byte offset
 * but no mark, so their line and column are counted here. */
static mdm_status parser_error(loader *L)
{
    const yaml_parser_t *p = &L->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return mdm_error_set(L->err, MDM_ERR_NOMEM, "%s: out of memory", L->source);
    if (p->error == YAML_READER_ERROR) {
        size_t line = 1, col = 1;
        for (size_t i = 0; i < p->problem_offset && i < L->len; i++) {
            col = L->text[i] == '\n' ? 1 : col + 1;
            line += L->text[i] == '\n';
        }
        return load_error(L, line, col, "%s", p->problem ? p->problem : "cannot read input");
    }
    return load_error(L, p->problem_mark.line + 1, p->problem_mark.column + 1, "%s%s%s",
                      p->context ? p->context : "", p->context ? ": " : "",
                      p->problem ? p->problem : "invalid YAML");
}

static mdm_status next_event(loader *L, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&L->parser, ev))
        return parser_error(L);
    return MDM_OK;
}

static mdm_status copy_text(loader *L, const yaml_event_t *ev, char **out)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(s, '\0', len) != NULL)
        return error_at_mark(L, ev->start_mark, "a NUL character in a scalar is not supported");
    if ((*out = strndup(s, len)) == NULL)
        return mdm_error_set(L->err, MDM_ERR_NOMEM, "%s: out of memory", L->source);
    return MDM_OK;
}

static const yaml_char_t *event_anchor(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return ev->data.scalar.anchor;
    case YAML_SEQUENCE_START_EVENT:
        return ev->data.sequence_start.anchor;
    case YAML_MAPPING_START_EVENT:
        return ev->data.mapping_start.anchor;
    default:
        return NULL;
    }
}

static mdm_status load_node(loader *L, yaml_event_t *ev, mdm_conf_node *node, int depth);

static mdm_status load_scalar(loader *L, const yaml_event_t *ev, mdm_conf_node *node)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    node->kind = MDM_CONF_SCALAR;
    /* "Quoted" means "not plain": any quoting, a block scalar or !!str
     * all say the author meant text, which readers may need to know. */
    node->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                   (tag != NULL && strcmp(tag, STR_TAG) == 0);
    return copy_text(L, ev, &node->value);
}

static mdm_status load_seq(loader *L, mdm_conf_node *node, int depth)
{
    node->kind = MDM_CONF_SEQ;
    for (;;) {
        yaml_event_t ev;
        mdm_status rc = next_event(L, &ev);
        if (rc != MDM_OK)
            return rc;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return MDM_OK;
        }
        mdm_conf_node *item = node_append(node);
        if (item == NULL) {
            yaml_event_delete(&ev);
            return mdm_error_set(L->err, MDM_ERR_NOMEM, "%s: out of memory", L->source);
        }
        item->line = (int)ev.start_mark.line + 1;
        item->column = (int)ev.start_mark.column + 1;
        rc = load_node(L, &ev, item, depth + 1);
        if (rc != MDM_OK)
            return rc;
    }
}

/* Reads one key of a map (a scalar, not yet seen in this map) into a new
 * child. Consumes ev. */
static mdm_status load_key(loader *L, yaml_event_t *ev, mdm_conf_node *map, mdm_conf_node **out)
{
    mdm_status rc = MDM_OK;
    char *key = NULL;
    const mdm_conf_node *dup;
    if (ev->type != YAML_SCALAR_EVENT) {
        rc = error_at_mark(L, ev->start_mark, "a key must be a plain value, not a map or a list");
        goto done;
    }
    if (ev->data.scalar.anchor != NULL) {
        rc = error_at_mark(L, ev->start_mark, "anchors and aliases are not supported");
        goto done;
    }
    if ((rc = copy_text(L, ev, &key)) != MDM_OK)
        goto done;
    if ((dup = map_find(map, key, strlen(key))) != NULL) {
        rc = load_error(L, ev->start_mark.line + 1, ev->start_mark.column + 1,
                        "duplicate key '%s' (first at line %d)", key, dup->line);
        goto done;
    }
    if ((*out = node_append(map)) == NULL) {
        rc = mdm_error_set(L->err, MDM_ERR_NOMEM, "%s: out of memory", L->source);
        goto done;
    }
    (*out)->key = key;
    (*out)->line = (int)ev->start_mark.line + 1;
    (*out)->column = (int)ev->start_mark.column + 1;
    key = NULL;
done:
    free(key);
    yaml_event_delete(ev);
    return rc;
}

static mdm_status load_map(loader *L, mdm_conf_node *node, int depth)
{
    node->kind = MDM_CONF_MAP;
    for (;;) {
        yaml_event_t ev;
        mdm_conf_node *child = NULL;
        mdm_status rc = next_event(L, &ev);
        if (rc != MDM_OK)
            return rc;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return MDM_OK;
        }
        if ((rc = load_key(L, &ev, node, &child)) != MDM_OK)
            return rc;
        if ((rc = next_event(L, &ev)) != MDM_OK)
            return rc;
        /* The child keeps its key's position; load_node leaves it alone. */
        if ((rc = load_node(L, &ev, child, depth + 1)) != MDM_OK)
            return rc;
    }
}

/* Builds node from the event that starts it (consumed) and, for maps and
 * lists, the events up to their end. */
static mdm_status load_node(loader *L, yaml_event_t *ev, mdm_conf_node *node, int depth)
{
    mdm_status rc;
    yaml_mark_t at = ev->start_mark;
    if (ev->type == YAML_ALIAS_EVENT || event_anchor(ev) != NULL)
        rc = error_at_mark(L, at, "anchors and aliases are not supported");
    else if (depth > MAX_DEPTH)
        rc = error_at_mark(L, at, "nested too deeply");
    else if (ev->type == YAML_SCALAR_EVENT)
        rc = load_scalar(L, ev, node);
    else if (ev->type == YAML_SEQUENCE_START_EVENT)
        rc = MDM_OK;
    else if (ev->type == YAML_MAPPING_START_EVENT)
        rc = MDM_OK;
    else
        rc = error_at_mark(L, at, "unexpected YAML event");
    yaml_event_type_t type = ev->type;
    yaml_event_delete(ev);
    if (rc != MDM_OK)
        return rc;
    if (type == YAML_SEQUENCE_START_EVENT)
        return load_seq(L, node, depth);
    if (type == YAML_MAPPING_START_EVENT)
        return load_map(L, node, depth);
    return MDM_OK;
}

/* Stream: nothing (an empty MAP), or exactly one document. */
static mdm_status load_stream(loader *L, mdm_conf_node *root)
{
    yaml_event_t ev;
    mdm_status rc = next_event(L, &ev);  /* STREAM-START */
    if (rc != MDM_OK)
        return rc;
    yaml_event_delete(&ev);
    if ((rc = next_event(L, &ev)) != MDM_OK)
        return rc;
    yaml_event_type_t type = ev.type;
    yaml_event_delete(&ev);
    if (type == YAML_STREAM_END_EVENT) {
        root->kind = MDM_CONF_MAP;
        return MDM_OK;
    }
    if ((rc = next_event(L, &ev)) != MDM_OK)
        return rc;
    root->line = (int)ev.start_mark.line + 1;
    root->column = (int)ev.start_mark.column + 1;
    if ((rc = load_node(L, &ev, root, 0)) != MDM_OK)
        return rc;
    if ((rc = next_event(L, &ev)) != MDM_OK)  /* DOCUMENT-END */
        return rc;
    yaml_event_delete(&ev);
    if ((rc = next_event(L, &ev)) != MDM_OK)
        return rc;
    if (ev.type != YAML_STREAM_END_EVENT)
        rc = error_at_mark(L, ev.start_mark, "more than one YAML document");
    yaml_event_delete(&ev);
    return rc;
}

mdm_status mdm_conf_load_string(const char *text, size_t len, const char *source, mdm_conf **out,
                                mdm_error *err)
{
    mdm_status rc = MDM_OK;
    mdm_conf *c = NULL;
    loader L;
    if (out == NULL || (text == NULL && len > 0))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_conf_load_string: no input or output");
    if ((rc = mdm_conf_new(source, &c, err)) != MDM_OK)
        return rc;
    memset(&L, 0, sizeof L);
    L.text = text != NULL ? text : "";
    L.len = len;
    L.source = c->source;
    L.err = err;
    if (!yaml_parser_initialize(&L.parser)) {
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "%s: out of memory", c->source);
        goto done;
    }
    yaml_parser_set_input_string(&L.parser, (const unsigned char *)L.text, len);
    rc = load_stream(&L, &c->root);
    yaml_parser_delete(&L.parser);
    /* An empty document ("---" alone) is an empty config, like "". */
    if (rc == MDM_OK && c->root.kind == MDM_CONF_SCALAR && !c->root.quoted &&
        c->root.value[0] == '\0') {
        node_clear(&c->root);
        c->root.kind = MDM_CONF_MAP;
    }
done:
    if (rc != MDM_OK) {
        mdm_conf_free(c);
        c = NULL;
    }
    *out = c;
    return rc;
}

mdm_status mdm_conf_load_file(const char *path, mdm_conf **out, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    char *text = NULL;
    size_t len = 0, cap = 0;
    if (path == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_conf_load_file: no path or output");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    for (;;) {
        if (len == cap) {
            char *bigger = realloc(text, cap = cap ? 2 * cap : 4096);
            if (bigger == NULL) {
                rc = mdm_error_set(err, MDM_ERR_NOMEM, "%s: out of memory", path);
                goto done;
            }
            text = bigger;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
        goto done;
    }
    rc = mdm_conf_load_string(text, len, path, out, err);
done:
    fclose(f);
    free(text);
    return rc;
}

void mdm_conf_free(mdm_conf *c)
{
    if (c == NULL)
        return;
    node_clear(&c->root);
    free(c->source);
    free(c);
}

/* ---- Lookup ------------------------------------------------------------ */

const mdm_conf_node *mdm_conf_get(const mdm_conf_node *map, const char *key)
{
    if (key == NULL)
        return NULL;
    return map_find(map, key, strlen(key));
}

const mdm_conf_node *mdm_conf_path(const mdm_conf_node *root, const char *dotted)
{
    const mdm_conf_node *n = root;
    if (dotted == NULL)
        return NULL;
    for (const char *s = dotted; n != NULL && *s != '\0';) {
        size_t len = strcspn(s, ".");
        if (len == 0)
            return NULL;  /* "a..b", ".a" or "a." */
        n = map_find(n, s, len);
        s += len;
        if (*s == '.' && *++s == '\0')
            return NULL;
    }
    return n;
}

/* ---- Scalar conversions ------------------------------------------------ */

static const char *kind_name(mdm_conf_kind k)
{
    return k == MDM_CONF_MAP ? "a map" : k == MDM_CONF_SEQ ? "a list" : "a value";
}

/* "<source>:<line>: key '<key>': expected <what>, got ..." */
static mdm_status expected(const mdm_conf *c, const mdm_conf_node *n, const char *what, mdm_error *err)
{
    const char *source = c != NULL && c->source != NULL ? c->source : "<config>";
    if (n->kind != MDM_CONF_SCALAR)
        return mdm_error_set(err, MDM_ERR_CONFIG, "%s:%d: %s%s%s: expected %s, got %s", source, n->line,
                             n->key ? "key '" : "item", n->key ? n->key : "", n->key ? "'" : "", what,
                             kind_name(n->kind));
    return mdm_error_set(err, MDM_ERR_CONFIG, "%s:%d: %s%s%s: expected %s, got '%.200s'", source, n->line,
                         n->key ? "key '" : "item", n->key ? n->key : "", n->key ? "'" : "", what,
                         n->value);
}

static mdm_status no_node(const mdm_conf *c, mdm_error *err)
{
    return mdm_error_set(err, MDM_ERR_INVALID_ARG, "%s: no value to convert",
                         c != NULL && c->source != NULL ? c->source : "<config>");
}

mdm_status mdm_conf_int(const mdm_conf *c, const mdm_conf_node *n, int64_t *out, mdm_error *err)
{
    if (n == NULL)
        return no_node(c, err);
    const char *what = "an integer";
    if (n->kind != MDM_CONF_SCALAR)
        return expected(c, n, what, err);
    const char *s = n->value;
    char *end;
    /* strtoll would skip spaces and accept "0x.." partly; take digits only. */
    if (!((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9')))
        return expected(c, n, what, err);
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0')
        return expected(c, n, what, err);
    if (errno == ERANGE)
        return expected(c, n, "an integer in the 64-bit range", err);
    *out = (int64_t)v;
    return MDM_OK;
}

/* YAML 1.1's spellings of infinity and not-a-number. */
static bool yaml_special_float(const char *s, double *out)
{
    const char *t = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
    if (strcasecmp(t, ".inf") == 0) {
        *out = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
        return true;
    }
    if (t == s && strcasecmp(s, ".nan") == 0) {
        *out = NAN;
        return true;
    }
    return false;
}

mdm_status mdm_conf_double(const mdm_conf *c, const mdm_conf_node *n, double *out, mdm_error *err)
{
    if (n == NULL)
        return no_node(c, err);
    const char *what = "a number";
    if (n->kind != MDM_CONF_SCALAR)
        return expected(c, n, what, err);
    const char *s = n->value;
    if (yaml_special_float(s, out))
        return MDM_OK;
    char *end;
    /* A digit, sign or point must come first (no spaces), and no hex. */
    if (s[0] == '\0' || strchr("0123456789+-.", s[0]) == NULL || strpbrk(s, "xX") != NULL)
        return expected(c, n, what, err);
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || end == s)
        return expected(c, n, what, err);
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
        return expected(c, n, "a number in the double range", err);
    *out = v;
    return MDM_OK;
}

mdm_status mdm_conf_bool(const mdm_conf *c, const mdm_conf_node *n, bool *out, mdm_error *err)
{
    static const char truths[][6] = {"true", "yes", "on"};
    static const char lies[][6] = {"false", "no", "off"};
    if (n == NULL)
        return no_node(c, err);
    const char *what = "true or false (yes/no, on/off)";
    if (n->kind != MDM_CONF_SCALAR)
        return expected(c, n, what, err);
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(n->value, truths[i]) == 0) {
            *out = true;
            return MDM_OK;
        }
        if (strcasecmp(n->value, lies[i]) == 0) {
            *out = false;
            return MDM_OK;
        }
    }
    return expected(c, n, what, err);
}

mdm_status mdm_conf_string(const mdm_conf *c, const mdm_conf_node *n, const char **out, mdm_error *err)
{
    if (n == NULL)
        return no_node(c, err);
    if (n->kind != MDM_CONF_SCALAR)
        return expected(c, n, "a string", err);
    *out = n->value;
    return MDM_OK;
}

/* ---- Building ---------------------------------------------------------- */

mdm_status mdm_conf_new(const char *source, mdm_conf **out, mdm_error *err)
{
    if (out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_conf_new: no output");
    mdm_conf *c = calloc(1, sizeof *c);
    if (c == NULL || (c->source = strdup(source != NULL ? source : "<config>")) == NULL) {
        free(c);
        *out = NULL;
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    c->root.kind = MDM_CONF_MAP;
    *out = c;
    return MDM_OK;
}

/* A MAP takes keyed children, a SEQ unkeyed ones; a SCALAR child needs a
 * value (NULL means ""), a MAP or SEQ child must not have one. Built nodes
 * have line and column 0. `*out` stays valid until the parent's next add. */
mdm_status mdm_conf_add(mdm_conf_node *parent, const char *key, mdm_conf_kind kind, const char *value,
                        mdm_conf_node **out, mdm_error *err)
{
    if (parent == NULL || parent->kind == MDM_CONF_SCALAR)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_conf_add: the parent must be a map or a list");
    if ((parent->kind == MDM_CONF_MAP) != (key != NULL))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_conf_add: %s",
                             key ? "a list item takes no key" : "a map entry needs a key");
    if ((unsigned)kind > MDM_CONF_SEQ || (kind != MDM_CONF_SCALAR && value != NULL))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_conf_add: a map or list takes no value");
    if (key != NULL && mdm_conf_get(parent, key) != NULL)
        return mdm_error_set(err, MDM_ERR_EXISTS, "duplicate key '%s'", key);
    char *k = key ? strdup(key) : NULL;
    char *v = kind == MDM_CONF_SCALAR ? strdup(value ? value : "") : NULL;
    mdm_conf_node *n = NULL;
    if ((key != NULL && k == NULL) || (kind == MDM_CONF_SCALAR && v == NULL) ||
        (n = node_append(parent)) == NULL) {
        free(k);
        free(v);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    n->kind = kind;
    n->key = k;
    n->value = v;
    if (out != NULL)
        *out = n;
    return MDM_OK;
}

/* ---- Writing ----------------------------------------------------------- */

static mdm_status emit(yaml_emitter_t *em, yaml_event_t *ev, mdm_error *err)
{
    if (yaml_emitter_emit(em, ev))
        return MDM_OK;
    if (em->error == YAML_WRITER_ERROR)
        return mdm_error_set(err, MDM_ERR_IO, "cannot write YAML: %s", em->problem ? em->problem : "write failed");
    return mdm_error_set(err, MDM_ERR_INVALID_ARG, "cannot write YAML: %s",
                         em->problem ? em->problem : "emitter error");
}

/* A scalar: plain when it was plain (libyaml quotes it anyway if plain
 * would not read back), else single-quoted, or a literal block when it has
 * several lines (libyaml falls back to double quotes where those styles
 * cannot hold the text), so that `quoted` survives the round trip. */
static mdm_status emit_scalar(yaml_emitter_t *em, const char *s, bool quoted, mdm_error *err)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = !quoted              ? YAML_PLAIN_SCALAR_STYLE
                                : strchr(s, '\n') ? YAML_LITERAL_SCALAR_STYLE
                                                   : YAML_SINGLE_QUOTED_SCALAR_STYLE;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)s, (int)strlen(s), 1, 1, style))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "cannot write '%.100s': not valid UTF-8", s);
    return emit(em, &ev, err);
}

static mdm_status emit_node(yaml_emitter_t *em, const mdm_conf_node *n, mdm_error *err)
{
    yaml_event_t ev;
    mdm_status rc = MDM_OK;
    if (n->kind == MDM_CONF_SCALAR)
        return emit_scalar(em, n->value ? n->value : "", n->quoted, err);
    if (n->kind == MDM_CONF_MAP)
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    else
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    if ((rc = emit(em, &ev, err)) != MDM_OK)
        return rc;
    for (size_t i = 0; i < n->nitems && rc == MDM_OK; i++) {
        if (n->kind == MDM_CONF_MAP)
            rc = emit_scalar(em, n->items[i].key ? n->items[i].key : "", false, err);
        if (rc == MDM_OK)
            rc = emit_node(em, &n->items[i], err);
    }
    if (rc != MDM_OK)
        return rc;
    if (n->kind == MDM_CONF_MAP)
        yaml_mapping_end_event_initialize(&ev);
    else
        yaml_sequence_end_event_initialize(&ev);
    return emit(em, &ev, err);
}

mdm_status mdm_conf_write(const mdm_conf_node *root, FILE *out, mdm_error *err)
{
    yaml_emitter_t em;
    yaml_event_t ev;
    mdm_status rc = MDM_OK;
    if (root == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_conf_write: no tree or output");
    if (!yaml_emitter_initialize(&em))
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    yaml_emitter_set_output_file(&em, out);
    yaml_emitter_set_unicode(&em, 1);  /* keep UTF-8 text readable */
    yaml_emitter_set_width(&em, -1);   /* never fold long values */
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if ((rc = emit(&em, &ev, err)) != MDM_OK)
        goto done;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if ((rc = emit(&em, &ev, err)) != MDM_OK)
        goto done;
    if ((rc = emit_node(&em, root, err)) != MDM_OK)
        goto done;
    yaml_document_end_event_initialize(&ev, 1);
    if ((rc = emit(&em, &ev, err)) != MDM_OK)
        goto done;
    yaml_stream_end_event_initialize(&ev);
    if ((rc = emit(&em, &ev, err)) != MDM_OK)
        goto done;
    if (!yaml_emitter_flush(&em) || fflush(out) != 0)
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot write YAML: %s", strerror(errno));
done:
    yaml_emitter_delete(&em);
    return rc;
}
