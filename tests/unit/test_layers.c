/* SPDX-License-Identifier: MIT */
/*
 * test_layers.c - the layering gate (ci/layers.sh) fails where it must.
 *
 * Each case copies the six source folders and the gate into a temporary
 * folder, breaks one rule there, and runs the gate on the copy: a modern/
 * header included from app/ (the case issue 12 names), a legacy/ header
 * from modern/, any header of ours from core/; a library's header in quotes
 * is not ours. The real tree must pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_support.h"

typedef struct fx {
    char root[PATH_MAX];   /* the real tree */
    char dir[PATH_MAX];    /* the copy */
    char out[PATH_MAX + 16];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char cmd[5 * PATH_MAX + 256];
    if (f == NULL)
        return -1;
    mdm_test_source_dir(f->root, sizeof f->root);
    if (mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->out, sizeof f->out, "%s/out.txt", f->dir);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir -p '%s/ci' && cp -r core legacy modern adapter app harness '%s/' && "
             "cp ci/layers.sh '%s/ci/'",
             f->root, f->dir, f->dir, f->dir);
    if (system(cmd) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* Runs the gate on `tree`; returns its exit code, its output in f->out. */
static int gate(fx *f, const char *tree)
{
    char cmd[4 * PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "bash '%s/ci/layers.sh' '%s' >'%s' 2>&1", f->dir, tree, f->out);
    int rc = system(cmd);
    return rc == -1 ? -1 : (rc >> 8) & 0xff;
}

static char *output(fx *f)
{
    FILE *fp = fopen(f->out, "r");
    static const size_t cap = 1 << 16;
    char *s = calloc(1, cap);
    assert_non_null(fp);
    assert_non_null(s);
    size_t n = fread(s, 1, cap - 1, fp);
    s[n] = '\0';
    fclose(fp);
    return s;
}

/* Appends one line to a file of the copy; returns the line's number. */
static int append_line(fx *f, const char *rel, const char *line)
{
    char path[2 * PATH_MAX];
    int lines = 0, c;
    snprintf(path, sizeof path, "%s/%s", f->dir, rel);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    while ((c = fgetc(fp)) != EOF)
        lines += c == '\n';
    fclose(fp);
    fp = fopen(path, "a");
    assert_non_null(fp);
    fprintf(fp, "%s\n", line);
    fclose(fp);
    return lines + 1;
}

static void expect_failure(fx *f, const char *needle)
{
    assert_int_equal(gate(f, f->dir), 1);
    char *out = output(f);
    if (strstr(out, needle) == NULL)
        fail_msg("expected '%s' in:\n%s", needle, out);
    free(out);
}

static void layers__the_tree_and_its_copy_pass(void **state)
{
    fx *f = *state;
    assert_int_equal(gate(f, f->root), 0);
    assert_int_equal(gate(f, f->dir), 0);
    char *out = output(f);
    assert_non_null(strstr(out, "every include within its layer"));
    free(out);
}

static void layers__a_modern_header_in_app_fails(void **state)
{
    fx *f = *state;
    char needle[256];
    int line = append_line(f, "app/mdm_cli.c", "#include \"mdm_registry.h\"");
    snprintf(needle, sizeof needle,
             "app/mdm_cli.c:%d: app/ may not include modern/mdm_registry.h "
             "(app/ may include core/, adapter/, app/)", line);
    expect_failure(f, needle);
}

static void layers__a_legacy_header_in_modern_fails(void **state)
{
    fx *f = *state;
    char needle[256];
    int line = append_line(f, "modern/mdm_pool.c", "  #  include \"legacy_db.h\"   /* spaced */");
    snprintf(needle, sizeof needle, "modern/mdm_pool.c:%d: modern/ may not include legacy/legacy_db.h", line);
    expect_failure(f, needle);
}

static void layers__core_includes_nothing_of_ours(void **state)
{
    fx *f = *state;
    char needle[256];
    int line = append_line(f, "core/mdm_table.h", "#include \"mdm_adapter.h\"");
    snprintf(needle, sizeof needle, "core/mdm_table.h:%d: core/ may not include adapter/mdm_adapter.h", line);
    expect_failure(f, needle);
}

static void layers__a_library_header_in_quotes_is_not_ours(void **state)
{
    fx *f = *state;
    (void)append_line(f, "core/mdm_table.c", "#include \"sqlite3.h\"");
    assert_int_equal(gate(f, f->dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(layers__the_tree_and_its_copy_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(layers__a_modern_header_in_app_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(layers__a_legacy_header_in_modern_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(layers__core_includes_nothing_of_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(layers__a_library_header_in_quotes_is_not_ours, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
