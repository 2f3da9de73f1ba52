/* SPDX-License-Identifier: MIT */
/*
 * test_adapter_dsn.c - PostgreSQL connection strings (adapter/mdm_dsn.c):
 * what mdm_dsn_append and mdm_dsn_with_dbname write must read back through
 * libpq's own parser (PQconninfoParse, called here directly) as exactly the
 * values that went in, whatever quotes, backslashes and spaces they hold;
 * a DSN that does not parse is refused with libpq's reason (quoted pieces
 * hidden); a URL with a raw '@' or '/' in its password is refused; the
 * percent-encoding legacy's URL gets, and the scrub of passwords from
 * messages, and the router's check of a configured DSN. No server is
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
#include "mdm_router.h"

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
 * newline trimmed), every quoted piece of the DSN in it shown as "..."
 * unless it is a keyword or one character (a piece may be a password's),
 * and nothing written. */
static void dsn__a_bad_base_is_refused_with_libpq_s_reason(void **state)
{
    (void)state;
    static const struct {
        const char *dsn, *reason;
    } bad[] = {
        {"host=x nosuchkey=1", "invalid connection option \"...\""},
        {"host='unterminated", "unterminated quoted string in connection info string"},
        {"postgresql://[::1", "end of string reached when looking for matching \"]\" in IPv6 "
                              "host address in URI: \"...\""},
        {"password=my secret", "missing \"=\" after \"...\" in connection info string"},
        {"postgresql://u:ab%zz@h/d", "invalid percent-encoded token: \"...\""},
        {"host=x port=1 \"port", "missing \"=\" after \"\"port\" in connection info string"},
        {"host=x port", "missing \"=\" after \"port\" in connection info string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mdm_buf out;
        mdm_error err;
        char want[300];
        mdm_buf_init(&out);
        assert_int_equal(mdm_buf_puts(&out, "kept"), MDM_OK);
        assert_int_equal(mdm_dsn_with_dbname(bad[i].dsn, "d", &out, &err), MDM_ERR_CONFIG);
        assert_string_equal(mdm_buf_str(&out), "kept");
        snprintf(want, sizeof want, "bad PostgreSQL DSN: %s", bad[i].reason);
        assert_string_equal(err.message, want);
        /* without an error struct the status still says it */
        assert_int_equal(mdm_dsn_with_dbname(bad[i].dsn, "d", &out, NULL), MDM_ERR_CONFIG);
        /* mdm_dsn_check says the same */
        assert_int_equal(mdm_dsn_check(bad[i].dsn, &err), MDM_ERR_CONFIG);
        assert_string_equal(err.message, want);
        assert_int_equal(mdm_dsn_check(bad[i].dsn, NULL), MDM_ERR_CONFIG);
        /* and a lookup in it finds nothing */
        char buf[32];
        assert_null(mdm_dsn_get(bad[i].dsn, "host", buf, sizeof buf));
        mdm_buf_reset(&out);
    }
}

/* A URL whose user or password holds a raw '@' or '/': libpq would split
 * it there and take the rest for the host; refused without quoting it. */
static void dsn__check_refuses_raw_delimiters_in_a_url(void **state)
{
    (void)state;
    static const char *const bad[] = {"postgresql://u:p@ss@h/d", "postgresql://u:a/b@h/d",
                                      "postgres://u@x:y@h:5432/d?sslmode=disable"};
    static const char *const good[] = {"postgresql://u:p%40ss@h/d", "postgresql://h/d",
                                       "postgresql://u@h/d?application_name=a@b",
                                       "host=h password=p@ss/word dbname=d"};
    mdm_error err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mdm_dsn_check(bad[i], &err), MDM_ERR_CONFIG);
        assert_non_null(strstr(err.message, "percent-encoded"));
        assert_null(strstr(err.message, "@ss"));
        assert_null(strstr(err.message, "a/b"));
        assert_null(strstr(err.message, "x:y"));
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(mdm_dsn_check(good[i], &err), MDM_OK);
}

/* Escaped user and password read back unchanged through a URL. */
static void dsn__url_escape_reads_back_through_libpq(void **state)
{
    (void)state;
    static const char pw[] = "SeCrEt1@Pa55:w0rd/x%41y#Tail ~-._";
    mdm_buf url;
    mdm_buf_init(&url);
    assert_int_equal(mdm_buf_puts(&url, "postgresql://u:"), MDM_OK);
    assert_int_equal(mdm_dsn_url_escape(&url, pw), MDM_OK);
    assert_int_equal(mdm_buf_puts(&url, "@h/d"), MDM_OK);
    assert_string_equal(mdm_buf_str(&url), "postgresql://u:SeCrEt1%40Pa55%3Aw0rd%2Fx%2541y%23Tail"
                                           "%20~-._@h/d");
    assert_value(mdm_buf_str(&url), "password", pw);
    assert_value(mdm_buf_str(&url), "host", "h");
    mdm_buf_reset(&url);
}

/* The scrub hides the password, given or inside a DSN, whole, encoded
 * and in pieces; short passwords and messages without one are left. */
static void dsn__scrub_hides_every_form_of_the_password(void **state)
{
    (void)state;
    mdm_error err;
    mdm_error_set(&err, MDM_ERR_CONNECTION,
                  "a SeCrEt1@Pa55:w0rd/x b SeCrEt1%%40Pa55%%3Aw0rd%%2Fx c \"Pa55\" d w0rd/x e");
    mdm_dsn_scrub(&err, "SeCrEt1@Pa55:w0rd/x", NULL);
    assert_string_equal(err.message, "a *** b *** c \"***\" d ***/x e");
    mdm_error_set(&err, MDM_ERR_CONNECTION, "host \"Pa55:w0rd\" and hunter22");
    mdm_dsn_scrub(&err, NULL, "host=h password='SeCrEt1@Pa55:w0rd' dbname=d");
    assert_string_equal(err.message, "host \"***:***\" and hunter22");
    mdm_dsn_scrub(&err, "hunter22", "postgresql://u:ab@h/d");
    assert_string_equal(err.message, "host \"***:***\" and ***");
    /* two characters: left alone; no error struct: nothing happens */
    mdm_error_set(&err, MDM_ERR_CONNECTION, "ab cd");
    mdm_dsn_scrub(&err, "ab", "password=cd");
    assert_string_equal(err.message, "ab cd");
    mdm_dsn_scrub(NULL, "ab", NULL);
    /* a message that grows past its buffer is cut, still terminated */
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    mdm_error_set(&err, MDM_ERR_CONNECTION, "%s", big);
    mdm_dsn_scrub(&err, "xx1", "password=xxx");
    assert_true(strlen(err.message) < sizeof err.message);
    assert_non_null(strstr(err.message, "***"));
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

/* A router refuses a configured URL libpq would split inside the password
 * (CONFIG, nothing of the password in the message), and hands legacy the
 * password of one that is percent-encoded. No connection is made. */
static void dsn__router_checks_the_configured_dsn(void **state)
{
    (void)state;
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_error err;
    memset(&set, 0, sizeof set);
    set.backend = "postgresql";
    set.pg_dsn = "postgresql://u:SeCrEt@Pa55@h/d";
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_ERR_CONFIG);
    assert_null(r);
    assert_null(strstr(err.message, "Pa55"));
    assert_null(strstr(err.message, "SeCrEt"));
    set.pg_dsn = "postgresql://u:SeCrEt%40Pa55@h/d";
    assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_OK);
    mdm_error_set(&err, MDM_ERR_CONNECTION, "host \"Pa55\" of SeCrEt@Pa55");
    mdm_router_scrub(r, &err);
    assert_string_equal(err.message, "host \"***\" of ***");
    mdm_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dsn__append_quotes_values_so_libpq_reads_them_back),
        cmocka_unit_test(dsn__with_dbname_keeps_every_other_setting),
        cmocka_unit_test(dsn__a_bad_base_is_refused_with_libpq_s_reason),
        cmocka_unit_test(dsn__get_and_is_uri),
        cmocka_unit_test(dsn__check_refuses_raw_delimiters_in_a_url),
        cmocka_unit_test(dsn__url_escape_reads_back_through_libpq),
        cmocka_unit_test(dsn__scrub_hides_every_form_of_the_password),
        cmocka_unit_test(dsn__router_checks_the_configured_dsn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
