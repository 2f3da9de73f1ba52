/* SPDX-License-Identifier: MIT */
/*
 * test_adapter_dsn.c - PostgreSQL connection strings (adapter/mdm_dsn.c):
 * what mdm_dsn_append and mdm_dsn_with_dbname write must read back through
 * libpq's own parser (PQconninfoParse, called here directly) as exactly the
 * values that went in, whatever quotes, backslashes and spaces they hold;
 * a DSN that does not parse is refused with libpq's reason. No server is
 * needed: nothing connects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_dsn.h"

/* The value libpq reads for keyword in dsn (malloc'd), or NULL when the
 * DSN does not set it; fails the test when it does not parse. */
static char *libpq_value(const char *dsn, const char *keyword)
{
    char *msg = NULL, *val = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &msg);
    if (opts == NULL)
        fail_msg("libpq cannot parse '%s': %s", dsn, msg != NULL ? msg : "out of memory");
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (o->val != NULL && strcmp(o->keyword, keyword) == 0)
            val = strdup(o->val);
    PQconninfoFree(opts);
    return val;
}

static void assert_value(const char *dsn, const char *keyword, const char *want)
{
    char *got = libpq_value(dsn, keyword);
    if (want == NULL) {
        if (got != NULL)
            fail_msg("%s is set to '%s' in %s", keyword, got, dsn);
        return;
    }
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("%s reads back as '%s', expected '%s' (DSN: %s)", keyword,
                 got != NULL ? got : "(unset)", want, dsn);
    free(got);
}

static void dsn__append_quotes_values_so_libpq_reads_them_back(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
    } pairs[] = {
        {"host", "/tmp/socket dir"},
        {"user", "o'brien"},
        {"password", "back\\slash 'and' quote\\'"},
        {"application_name", ""},
        {"options", "-c search_path=a,b"},
    };
    mdm_buf b;
    mdm_buf_init(&b);
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        assert_int_equal(mdm_dsn_append(&b, pairs[i].key, pairs[i].value), MDM_OK);
    const char *dsn = mdm_buf_str(&b);
    assert_true(dsn[0] != ' ');   /* no leading space before the first pair */
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        assert_value(dsn, pairs[i].key, pairs[i].value);
    /* mdm_dsn_get reads the same values */
    char buf[64];
    assert_string_equal(mdm_dsn_get(dsn, "user", buf, sizeof buf), "o'brien");
    mdm_buf_reset(&b);
}

static void dsn__with_dbname_keeps_every_other_setting(void **state)
{
    (void)state;
    static const char *const bases[] = {
        "host=/tmp/s port=5433 user=me password='p w' dbname=postgres",
        "postgresql://me:p%20w@/postgres?host=/tmp/s&port=5433",
    };
    for (size_t i = 0; i < 2; i++) {
        mdm_buf out;
        mdm_error err;
        mdm_buf_init(&out);
        assert_int_equal(mdm_dsn_with_dbname(bases[i], "it's \\ mine", &out, &err), MDM_OK);
        const char *dsn = mdm_buf_str(&out);
        assert_false(mdm_dsn_is_uri(dsn));   /* always key='value' */
        assert_value(dsn, "dbname", "it's \\ mine");
        assert_value(dsn, "host", "/tmp/s");
        assert_value(dsn, "port", "5433");
        assert_value(dsn, "user", "me");
        assert_value(dsn, "password", "p w");
        mdm_buf_reset(&out);
    }
    /* no base: the database alone */
    const char *none[] = {NULL, ""};
    for (size_t i = 0; i < 2; i++) {
        mdm_buf out;
        mdm_error err;
        mdm_buf_init(&out);
        assert_int_equal(mdm_dsn_with_dbname(none[i], "d", &out, &err), MDM_OK);
        assert_value(mdm_buf_str(&out), "dbname", "d");
        assert_value(mdm_buf_str(&out), "host", NULL);
        mdm_buf_reset(&out);
    }
}

/* A DSN libpq cannot parse: CONFIG with libpq's reason (its trailing
 * newline trimmed), and nothing written. */
static void dsn__a_bad_base_is_refused_with_libpq_s_reason(void **state)
{
    (void)state;
    static const char *const bad[] = {"host=x nosuchkey=1", "host='unterminated",
                                      "postgresql://[::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mdm_buf out;
        mdm_error err;
        char *msg = NULL;
        mdm_buf_init(&out);
        assert_int_equal(mdm_buf_puts(&out, "kept"), MDM_OK);
        assert_int_equal(mdm_dsn_with_dbname(bad[i], "d", &out, &err), MDM_ERR_CONFIG);
        assert_string_equal(mdm_buf_str(&out), "kept");
        assert_null(PQconninfoParse(bad[i], &msg));
        assert_non_null(msg);
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            n--;
        assert_memory_equal(err.message, "bad PostgreSQL DSN: ", 20);
        assert_int_equal(strlen(err.message), 20 + n);
        assert_memory_equal(err.message + 20, msg, n);
        PQfreemem(msg);
        /* without an error struct the status still says it */
        assert_int_equal(mdm_dsn_with_dbname(bad[i], "d", &out, NULL), MDM_ERR_CONFIG);
        /* and a lookup in it finds nothing */
        char buf[32];
        assert_null(mdm_dsn_get(bad[i], "host", buf, sizeof buf));
        mdm_buf_reset(&out);
    }
}

static void dsn__get_and_is_uri(void **state)
{
    (void)state;
    char buf[8];
    assert_string_equal(mdm_dsn_get("host=h port=5432", "port", buf, sizeof buf), "5432");
    assert_null(mdm_dsn_get("host=h", "port", buf, sizeof buf));
    assert_null(mdm_dsn_get("", "host", buf, sizeof buf));
    assert_null(mdm_dsn_get(NULL, "host", buf, sizeof buf));
    /* a value longer than the buffer is cut, still terminated */
    assert_string_equal(mdm_dsn_get("host=abcdefghijkl", "host", buf, sizeof buf), "abcdefg");
    assert_true(mdm_dsn_is_uri("postgresql://h/d"));
    assert_true(mdm_dsn_is_uri("postgres://h/d"));
    assert_false(mdm_dsn_is_uri("host=h dbname=postgresql://"));
    assert_false(mdm_dsn_is_uri("postgresql:/h"));
    assert_false(mdm_dsn_is_uri(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dsn__append_quotes_values_so_libpq_reads_them_back),
        cmocka_unit_test(dsn__with_dbname_keeps_every_other_setting),
        cmocka_unit_test(dsn__a_bad_base_is_refused_with_libpq_s_reason),
        cmocka_unit_test(dsn__get_and_is_uri),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
