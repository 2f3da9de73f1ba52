/* SPDX-License-Identifier: MIT */
/*
 * test_conf.c - the YAML config tree (core/mdm_conf.c): loading with
 * positions, the refusals (duplicate keys, anchors, several documents),
 * scalar conversions and their messages, the builder, and writing trees
 * that load back the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mdm_conf.h"
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static mdm_conf *load_ok(const char *text)
{
    mdm_conf *c = NULL;
    mdm_error e;
    mdm_error_clear(&e);
    if (mdm_conf_load_string(text, strlen(text), "t.yaml", &c, &e) != MDM_OK)
        fail_msg("load failed: %s", e.message);
    assert_non_null(c);
    return c;
}

/* Loading must fail with PARSE and a message starting with `prefix`. */
static void expect_load_error(const char *text, size_t len, const char *prefix)
{
    mdm_conf *c = (mdm_conf *)&c;  /* must be reset to NULL on failure */
    mdm_error e;
    assert_int_equal(mdm_conf_load_string(text, len, "t.yaml", &c, &e), MDM_ERR_PARSE);
    assert_null(c);
    if (strncmp(e.message, prefix, strlen(prefix)) != 0)
        fail_msg("message '%s' does not start with '%s'", e.message, prefix);
}

static void expect_error(const char *text, const char *prefix)
{
    expect_load_error(text, strlen(text), prefix);
}

/* Same shape, keys, values and quoted flags, in the same order. */
static void assert_same_tree(const mdm_conf_node *a, const mdm_conf_node *b, const char *where)
{
    if (a->kind != b->kind || a->nitems != b->nitems || a->quoted != b->quoted)
        fail_msg("%s: kind %d/%d, items %zu/%zu, quoted %d/%d", where, a->kind, b->kind, a->nitems,
                 b->nitems, a->quoted, b->quoted);
    if ((a->key == NULL) != (b->key == NULL) || (a->key && strcmp(a->key, b->key) != 0))
        fail_msg("%s: key '%s' vs '%s'", where, a->key ? a->key : "(none)", b->key ? b->key : "(none)");
    if ((a->value == NULL) != (b->value == NULL) || (a->value && strcmp(a->value, b->value) != 0))
        fail_msg("%s: value '%s' vs '%s'", where, a->value ? a->value : "(none)",
                 b->value ? b->value : "(none)");
    for (size_t i = 0; i < a->nitems; i++) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s/%s", where, a->items[i].key ? a->items[i].key : "[]");
        assert_same_tree(&a->items[i], &b->items[i], sub);
    }
}

/* Writes the tree into a string (caller frees). */
static char *write_string(const mdm_conf_node *root)
{
    char *text = NULL;
    size_t len = 0;
    mdm_error e;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    if (mdm_conf_write(root, f, &e) != MDM_OK)
        fail_msg("write failed: %s", e.message);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void assert_round_trip(const mdm_conf *c)
{
    char *text = write_string(&c->root);
    mdm_conf *back = load_ok(text);
    assert_same_tree(&c->root, &back->root, "");
    mdm_conf_free(back);
    free(text);
}

static const char SAMPLE[] =
    "# new format\n"
    "storage:\n"
    "  default_backend: sqlite\n"
    "  connection_pool:\n"
    "    pool_size: 5\n"
    "    timeout: 2.5\n"
    "    pre_ping: yes\n"
    "  backends:\n"
    "    sqlite:\n"
    "      path_template: \"{home}/datasets/{name}/dataset.sqlite\"\n"
    "      options: {journal_mode: WAL, busy_timeout: 5000}\n"
    "    postgresql:\n"
    "      dsn: 'host=/tmp dbname=mdm'\n"
    "rollout:\n"
    "  reads: 25\n"
    "  datasets:\n"
    "    - iris\n"
    "    - \"titanic\"\n"
    "    - name: mnist\n"
    "      percent: 100\n";

/* ---- loading ------------------------------------------------------------ */

static void conf__loads_nested_maps_lists_and_scalars(void **state)
{
    (void)state;
    mdm_conf *c = load_ok(SAMPLE);
    assert_string_equal(c->source, "t.yaml");
    assert_int_equal(c->root.kind, MDM_CONF_MAP);
    assert_int_equal(c->root.nitems, 2);
    const mdm_conf_node *storage = mdm_conf_get(&c->root, "storage");
    assert_non_null(storage);
    assert_int_equal(storage->kind, MDM_CONF_MAP);
    assert_string_equal(storage->key, "storage");
    assert_int_equal(storage->line, 2);
    assert_int_equal(storage->column, 1);
    const mdm_conf_node *size = mdm_conf_path(&c->root, "storage.connection_pool.pool_size");
    assert_non_null(size);
    assert_string_equal(size->value, "5");
    assert_int_equal(size->line, 5);
    assert_int_equal(size->column, 5);
    assert_false(size->quoted);
    const mdm_conf_node *opts = mdm_conf_path(&c->root, "storage.backends.sqlite.options");
    assert_int_equal(opts->kind, MDM_CONF_MAP);  /* flow style is a map too */
    assert_string_equal(opts->items[1].key, "busy_timeout");
    assert_int_equal(opts->items[1].line, 11);
    const mdm_conf_node *ds = mdm_conf_path(&c->root, "rollout.datasets");
    assert_int_equal(ds->kind, MDM_CONF_SEQ);
    assert_int_equal(ds->nitems, 3);
    assert_null(ds->items[0].key);
    assert_string_equal(ds->items[0].value, "iris");
    assert_int_equal(ds->items[0].line, 17);
    assert_int_equal(ds->items[0].column, 7);
    assert_true(ds->items[1].quoted);
    assert_int_equal(ds->items[2].kind, MDM_CONF_MAP);
    assert_string_equal(mdm_conf_get(&ds->items[2], "name")->value, "mnist");
    mdm_conf_free(c);
}

static void conf__empty_input_is_an_empty_map(void **state)
{
    (void)state;
    const char *empties[] = {"", "# only a comment\n", "---\n", "\n\n"};
    for (size_t i = 0; i < 4; i++) {
        mdm_conf *c = load_ok(empties[i]);
        assert_int_equal(c->root.kind, MDM_CONF_MAP);
        assert_int_equal(c->root.nitems, 0);
        mdm_conf_free(c);
    }
}

static void conf__root_may_be_a_list(void **state)
{
    (void)state;
    mdm_conf *c = load_ok("- a\n- b\n");
    assert_int_equal(c->root.kind, MDM_CONF_SEQ);
    assert_int_equal(c->root.nitems, 2);
    assert_null(mdm_conf_get(&c->root, "a"));  /* not a map */
    mdm_conf_free(c);
}

static void conf__quoted_flag_follows_the_source(void **state)
{
    (void)state;
    mdm_conf *c = load_ok("a: plain\nb: 'single'\nc: \"double\"\nd: |\n  block\ne: !!str 5\nf: 5\ng:\n");
    const bool want[] = {false, true, true, true, true, false, false};
    assert_int_equal(c->root.nitems, 7);
    for (size_t i = 0; i < 7; i++)
        if (c->root.items[i].quoted != want[i])
            fail_msg("key %s: quoted %d", c->root.items[i].key, c->root.items[i].quoted);
    assert_string_equal(mdm_conf_get(&c->root, "d")->value, "block\n");
    assert_string_equal(mdm_conf_get(&c->root, "g")->value, "");
    mdm_conf_free(c);
}

static void conf__duplicate_key_names_line_and_column(void **state)
{
    (void)state;
    expect_error("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at line 1)");
    expect_error("x:\n  y: 1\n  z: 2\n  y: 3\n", "t.yaml:4:3: duplicate key 'y' (first at line 2)");
    /* The same key in different maps is fine. */
    mdm_conf *c = load_ok("a:\n  k: 1\nb:\n  k: 2\n");
    assert_string_equal(mdm_conf_path(&c->root, "b.k")->value, "2");
    mdm_conf_free(c);
}

static void conf__anchors_and_aliases_are_refused(void **state)
{
    (void)state;
    expect_error("a: &x 1\nb: *x\n", "t.yaml:1:4: anchors and aliases are not supported");
    expect_error("base: &b\n  k: 1\n", "t.yaml:1:7: anchors and aliases are not supported");
}

static void conf__several_documents_are_refused(void **state)
{
    (void)state;
    expect_error("a: 1\n---\nb: 2\n", "t.yaml:2:1: more than one YAML document");
}

static void conf__syntax_errors_name_line_and_column(void **state)
{
    (void)state;
    expect_error("a: 1\nb: [1, 2\n", "t.yaml:3:1: ");
    expect_error("a:\n  b: 1\n c: 2\n", "t.yaml:3:2: ");
    expect_error("a: 1\n\tb: 2\n", "t.yaml:2:");
    expect_error("? [1, 2]\n: x\n", "t.yaml:1:3: a key must be a plain value");
}

static void conf__invalid_utf8_and_nul_are_refused(void **state)
{
    (void)state;
    expect_error("a: 1\nb: caf\xC3(\n", "t.yaml:2:");
    expect_error("a: \"x\\0y\"\n", "t.yaml:1:4: a NUL character in a scalar is not supported");
}

static void conf__deep_nesting_is_refused(void **state)
{
    (void)state;
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    expect_load_error(deep, sizeof deep, "t.yaml:1:66: nested too deeply");
}

static void conf__load_file_and_io_errors(void **state)
{
    (void)state;
    char dir[256], path[300];
    mdm_conf *c = NULL;
    mdm_error e;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/mdm.yaml", dir);
    assert_int_equal(mdm_conf_load_file(path, &c, &e), MDM_ERR_IO);
    assert_null(c);
    assert_non_null(strstr(e.message, path));
    assert_non_null(strstr(e.message, "No such file"));
    assert_int_equal(mdm_test_write_file(path, SAMPLE, sizeof SAMPLE - 1), 0);
    assert_int_equal(mdm_conf_load_file(path, &c, &e), MDM_OK);
    assert_string_equal(c->source, path);
    assert_string_equal(mdm_conf_path(&c->root, "rollout.reads")->value, "25");
    mdm_conf_free(c);
    assert_int_equal(mdm_test_write_file(path, "a: 1\na: 2\n", 10), 0);
    assert_int_equal(mdm_conf_load_file(path, &c, &e), MDM_ERR_PARSE);
    char want[400];
    snprintf(want, sizeof want, "%s:2:1: duplicate key 'a' (first at line 1)", path);
    assert_string_equal(e.message, want);
    mdm_test_rmrf(dir);
}

/* ---- lookup ------------------------------------------------------------ */

static void conf__get_and_path(void **state)
{
    (void)state;
    mdm_conf *c = load_ok("a:\n  b:\n    c: deep\n  list: [1]\nx.y: dotted\n");
    assert_string_equal(mdm_conf_path(&c->root, "a.b.c")->value, "deep");
    assert_ptr_equal(mdm_conf_path(&c->root, "a"), mdm_conf_get(&c->root, "a"));
    assert_null(mdm_conf_path(&c->root, "a.b.c.d"));   /* through a scalar */
    assert_null(mdm_conf_path(&c->root, "a.list.0"));  /* lists have no keys */
    assert_null(mdm_conf_path(&c->root, "a..b"));
    assert_null(mdm_conf_path(&c->root, "a."));
    assert_null(mdm_conf_path(&c->root, "missing"));
    assert_null(mdm_conf_get(&c->root, "a.b"));
    assert_string_equal(mdm_conf_get(&c->root, "x.y")->value, "dotted");
    assert_null(mdm_conf_get(NULL, "a"));
    assert_null(mdm_conf_get(&c->root, "ab"));  /* no prefix matches */
    mdm_conf_free(c);
}

/* ---- conversions ------------------------------------------------------- */

static void conf__int_conversion(void **state)
{
    (void)state;
    mdm_conf *c = load_ok("a: 42\nb: -9223372036854775808\nc: 9223372036854775808\nd: 4.0\n"
                          "e: ' 5'\nf: 0x10\ng: [1]\nh: \"7\"\n");
    int64_t v = 0;
    mdm_error e;
    assert_int_equal(mdm_conf_int(c, mdm_conf_get(&c->root, "a"), &v, &e), MDM_OK);
    assert_true(v == 42);
    assert_int_equal(mdm_conf_int(c, mdm_conf_get(&c->root, "b"), &v, &e), MDM_OK);
    assert_true(v == INT64_MIN);
    assert_int_equal(mdm_conf_int(c, mdm_conf_get(&c->root, "h"), &v, &e), MDM_OK);
    assert_true(v == 7);
    assert_int_equal(mdm_conf_int(c, mdm_conf_get(&c->root, "c"), &v, &e), MDM_ERR_CONFIG);
    assert_string_equal(e.message,
                        "t.yaml:3: key 'c': expected an integer in the 64-bit range, got '9223372036854775808'");
    assert_int_equal(mdm_conf_int(c, mdm_conf_get(&c->root, "d"), &v, &e), MDM_ERR_CONFIG);
    assert_string_equal(e.message, "t.yaml:4: key 'd': expected an integer, got '4.0'");
    assert_int_equal(mdm_conf_int(c, mdm_conf_get(&c->root, "e"), &v, &e), MDM_ERR_CONFIG);
    assert_int_equal(mdm_conf_int(c, mdm_conf_get(&c->root, "f"), &v, &e), MDM_ERR_CONFIG);
    assert_int_equal(mdm_conf_int(c, mdm_conf_get(&c->root, "g"), &v, &e), MDM_ERR_CONFIG);
    assert_string_equal(e.message, "t.yaml:7: key 'g': expected an integer, got a list");
    assert_int_equal(mdm_conf_int(c, mdm_conf_get(&c->root, "missing"), &v, &e), MDM_ERR_INVALID_ARG);
    assert_true(v == 7);  /* untouched by the failures */
    mdm_conf_free(c);
}

static void conf__double_conversion(void **state)
{
    (void)state;
    mdm_conf *c = load_ok("a: 2.5\nb: -1e-3\nc: .inf\nd: -.Inf\ne: .nan\nf: 5\ng: abc\nh: 1e999\n"
                          "i: 0x1p3\nj: {}\n");
    double v = 0;
    mdm_error e;
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "a"), &v, &e), MDM_OK);
    assert_true(v == 2.5);
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "b"), &v, &e), MDM_OK);
    assert_true(v == -1e-3);
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "c"), &v, &e), MDM_OK);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "d"), &v, &e), MDM_OK);
    assert_true(isinf(v) && v < 0);
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "e"), &v, &e), MDM_OK);
    assert_true(isnan(v));
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "f"), &v, &e), MDM_OK);
    assert_true(v == 5.0);
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "g"), &v, &e), MDM_ERR_CONFIG);
    assert_string_equal(e.message, "t.yaml:7: key 'g': expected a number, got 'abc'");
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "h"), &v, &e), MDM_ERR_CONFIG);
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "i"), &v, &e), MDM_ERR_CONFIG);
    assert_int_equal(mdm_conf_double(c, mdm_conf_get(&c->root, "j"), &v, &e), MDM_ERR_CONFIG);
    assert_string_equal(e.message, "t.yaml:10: key 'j': expected a number, got a map");
    mdm_conf_free(c);
}

static void conf__bool_conversion(void **state)
{
    (void)state;
    mdm_conf *c = load_ok("- true\n- YES\n- On\n- false\n- no\n- OFF\n- 1\n- truthy\n");
    mdm_error e;
    for (size_t i = 0; i < 6; i++) {
        bool v = i >= 3;
        assert_int_equal(mdm_conf_bool(c, &c->root.items[i], &v, &e), MDM_OK);
        assert_int_equal(v, i < 3);
    }
    bool v = true;
    assert_int_equal(mdm_conf_bool(c, &c->root.items[6], &v, &e), MDM_ERR_CONFIG);
    assert_string_equal(e.message, "t.yaml:7: item: expected true or false (yes/no, on/off), got '1'");
    assert_int_equal(mdm_conf_bool(c, &c->root.items[7], &v, &e), MDM_ERR_CONFIG);
    assert_true(v);
    mdm_conf_free(c);
}

static void conf__string_conversion(void **state)
{
    (void)state;
    mdm_conf *c = load_ok("name: iris\nopts:\n  a: 1\n");
    const char *s = NULL;
    mdm_error e;
    assert_int_equal(mdm_conf_string(c, mdm_conf_get(&c->root, "name"), &s, &e), MDM_OK);
    assert_string_equal(s, "iris");
    assert_int_equal(mdm_conf_string(c, mdm_conf_get(&c->root, "opts"), &s, &e), MDM_ERR_CONFIG);
    assert_string_equal(e.message, "t.yaml:2: key 'opts': expected a string, got a map");
    mdm_conf_free(c);
}

/* ---- building and writing ---------------------------------------------- */

static void conf__builder_adds_and_refuses(void **state)
{
    (void)state;
    mdm_conf *c = NULL;
    mdm_conf_node *storage = NULL, *list = NULL, *n = NULL;
    mdm_error e;
    assert_int_equal(mdm_conf_new("built", &c, &e), MDM_OK);
    assert_int_equal(c->root.kind, MDM_CONF_MAP);
    assert_int_equal(mdm_conf_add(&c->root, "storage", MDM_CONF_MAP, NULL, &storage, &e), MDM_OK);
    assert_int_equal(mdm_conf_add(storage, "default_backend", MDM_CONF_SCALAR, "sqlite", &n, &e), MDM_OK);
    assert_string_equal(n->value, "sqlite");
    assert_int_equal(n->line, 0);
    assert_int_equal(mdm_conf_add(storage, "list", MDM_CONF_SEQ, NULL, &list, &e), MDM_OK);
    for (int i = 0; i < 20; i++) {
        char v[8];
        snprintf(v, sizeof v, "%d", i);
        assert_int_equal(mdm_conf_add(list, NULL, MDM_CONF_SCALAR, v, NULL, &e), MDM_OK);
    }
    assert_int_equal(list->nitems, 20);
    assert_string_equal(list->items[19].value, "19");
    assert_int_equal(mdm_conf_add(storage, "default_backend", MDM_CONF_SCALAR, "pg", NULL, &e), MDM_ERR_EXISTS);
    assert_int_equal(mdm_conf_add(list, "k", MDM_CONF_SCALAR, "x", NULL, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conf_add(storage, NULL, MDM_CONF_SCALAR, "x", NULL, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conf_add(n, "k", MDM_CONF_SCALAR, "x", NULL, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conf_add(storage, "m", MDM_CONF_MAP, "x", NULL, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(storage->nitems, 2);
    assert_string_equal(mdm_conf_path(&c->root, "storage.default_backend")->value, "sqlite");
    mdm_conf_free(c);
    mdm_conf_free(NULL);
}

static void conf__write_gives_exact_block_yaml(void **state)
{
    (void)state;
    mdm_conf *c = NULL;
    mdm_conf_node *s = NULL, *b = NULL, *l = NULL, *q = NULL;
    mdm_error e;
    assert_int_equal(mdm_conf_new(NULL, &c, &e), MDM_OK);
    assert_int_equal(mdm_conf_add(&c->root, "storage", MDM_CONF_MAP, NULL, &s, &e), MDM_OK);
    assert_int_equal(mdm_conf_add(s, "default_backend", MDM_CONF_SCALAR, "sqlite", NULL, &e), MDM_OK);
    assert_int_equal(mdm_conf_add(s, "backends", MDM_CONF_MAP, NULL, &b, &e), MDM_OK);
    assert_int_equal(mdm_conf_add(b, "sqlite", MDM_CONF_MAP, NULL, NULL, &e), MDM_OK);
    assert_int_equal(mdm_conf_add(&c->root, "datasets", MDM_CONF_SEQ, NULL, &l, &e), MDM_OK);
    assert_int_equal(mdm_conf_add(l, NULL, MDM_CONF_SCALAR, "iris", NULL, &e), MDM_OK);
    assert_int_equal(mdm_conf_add(l, NULL, MDM_CONF_SCALAR, "true", &q, &e), MDM_OK);
    q->quoted = true;  /* the text "true", not a boolean */
    char *text = write_string(&c->root);
    assert_string_equal(text, "storage:\n"
                              "  default_backend: sqlite\n"
                              "  backends:\n"
                              "    sqlite: {}\n"
                              "datasets:\n"
                              "- iris\n"
                              "- 'true'\n");
    free(text);
    mdm_conf_free(c);
}

static void conf__write_round_trips(void **state)
{
    (void)state;
    mdm_conf *c = load_ok(SAMPLE);
    assert_round_trip(c);
    mdm_conf_free(c);
    c = load_ok("a: 'it''s'\nb: \"tab\\there\\nnewline\"\nc: ''\nd: |\n  one\n  two\n"
                "'': empty key\n'key: colon': v\ne: caf\xC3\xA9 \xE6\xBC\xA2\nf: ~\ng: []\nh: {}\n"
                "i: '  padded  '\nj: '#not a comment'\nk: \"\\n lead\\n\\n\"\nl: \"a\\nb  \"\n");
    assert_round_trip(c);
    mdm_conf_free(c);
}

static void conf__write_quotes_plain_values_that_need_it(void **state)
{
    (void)state;
    mdm_conf *c = NULL;
    mdm_error e;
    assert_int_equal(mdm_conf_new("b", &c, &e), MDM_OK);
    const char *values[] = {"a: b", "- x", "#hash", " lead", "", "multi\nline", "[x]"};
    for (size_t i = 0; i < 7; i++) {
        char key[8];
        snprintf(key, sizeof key, "k%zu", i);
        assert_int_equal(mdm_conf_add(&c->root, key, MDM_CONF_SCALAR, values[i], NULL, &e), MDM_OK);
    }
    char *text = write_string(&c->root);
    mdm_conf *back = load_ok(text);
    assert_int_equal(back->root.nitems, 7);
    for (size_t i = 0; i < 7; i++)
        if (strcmp(back->root.items[i].value, values[i]) != 0)
            fail_msg("'%s' came back as '%s' from:\n%s", values[i], back->root.items[i].value, text);
    mdm_conf_free(back);
    mdm_conf_free(c);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conf__loads_nested_maps_lists_and_scalars),
        cmocka_unit_test(conf__empty_input_is_an_empty_map),
        cmocka_unit_test(conf__root_may_be_a_list),
        cmocka_unit_test(conf__quoted_flag_follows_the_source),
        cmocka_unit_test(conf__duplicate_key_names_line_and_column),
        cmocka_unit_test(conf__anchors_and_aliases_are_refused),
        cmocka_unit_test(conf__several_documents_are_refused),
        cmocka_unit_test(conf__syntax_errors_name_line_and_column),
        cmocka_unit_test(conf__invalid_utf8_and_nul_are_refused),
        cmocka_unit_test(conf__deep_nesting_is_refused),
        cmocka_unit_test(conf__load_file_and_io_errors),
        cmocka_unit_test(conf__get_and_path),
        cmocka_unit_test(conf__int_conversion),
        cmocka_unit_test(conf__double_conversion),
        cmocka_unit_test(conf__bool_conversion),
        cmocka_unit_test(conf__string_conversion),
        cmocka_unit_test(conf__builder_adds_and_refuses),
        cmocka_unit_test(conf__write_gives_exact_block_yaml),
        cmocka_unit_test(conf__write_round_trips),
        cmocka_unit_test(conf__write_quotes_plain_values_that_need_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
