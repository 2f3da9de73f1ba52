/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ident.c - libFuzzer target for identifier checks and quoting
 * (core/mdm_sql.c). The input, cut at its first NUL as a C caller's string
 * would be, is checked and quoted for both dialects; the result must agree
 * with an independent UTF-8 validator and length rule, unquote to the
 * original, and make SQLite (a real parser, in memory) see exactly one
 * identifier with exactly that name. tests/unit/test_fuzz_regressions.c
 * replays kept inputs through mdm_fuzz_ident_one() (MDM_FUZZ_NO_MAIN).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "mdm_buf.h"
#include "mdm_sql.h"

static int fuzz_ident_fail(char *why, size_t whyn, const char *what, const char *name)
{
    snprintf(why, whyn, "ident: %s (name '%.200s')", what, name);
    return -1;
}

/* A second UTF-8 validator, written from RFC 3629's table rather than
 * from mdm_sql.c, so the two can disagree. */
static bool fuzz_ident_utf8_ref(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        unsigned char lo = 0x80, hi = 0xBF;
        size_t need;
        if (c <= 0x7F) { i++; continue; }
        else if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c == 0xE0) { need = 2; lo = 0xA0; }
        else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 2;
        else if (c == 0xED) { need = 2; hi = 0x9F; }
        else if (c == 0xF0) { need = 3; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) need = 3;
        else if (c == 0xF4) { need = 3; hi = 0x8F; }
        else return false;
        if (n - i - 1 < need)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += need + 1;
    }
    return true;
}

/* SQLite must parse `SELECT 1 AS <quoted>` as one statement whose only
 * column is called exactly `name`. */
static int fuzz_ident_sqlite(const char *quoted, const char *name, char *why, size_t whyn)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = 0;
    mdm_buf sql;
    mdm_buf_init(&sql);
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        mdm_buf_puts(&sql, "SELECT 1 AS ") != MDM_OK || mdm_buf_puts(&sql, quoted) != MDM_OK)
        goto done;  /* harness out of memory: not a finding */
    if (sqlite3_prepare_v2(db, sql.data, (int)sql.len, &st, &tail) != SQLITE_OK || st == NULL) {
        rc = fuzz_ident_fail(why, whyn, "SQLite rejects the quoted identifier", name);
        goto done;
    }
    if (tail != sql.data + sql.len)
        rc = fuzz_ident_fail(why, whyn, "quoted identifier lets a second statement start", name);
    else if (sqlite3_column_count(st) != 1 || strcmp(sqlite3_column_name(st, 0), name) != 0)
        rc = fuzz_ident_fail(why, whyn, "SQLite reads a different name back", name);
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    mdm_buf_reset(&sql);
    return rc;
}

/* One dialect: check, quote, verify. */
static int fuzz_ident_dialect(mdm_sql_dialect d, const char *name, size_t len, char *why, size_t whyn)
{
    bool expect_ok = len > 0 && fuzz_ident_utf8_ref((const unsigned char *)name, len) &&
                     !(d == MDM_SQL_POSTGRESQL && len > MDM_PG_MAX_IDENT);
    mdm_error err;
    mdm_buf b;
    int rc = 0;
    mdm_error_clear(&err);
    mdm_status st = mdm_sql_check_ident(d, name, &err);
    if ((st == MDM_OK) != expect_ok)
        return fuzz_ident_fail(why, whyn, expect_ok ? "valid identifier refused" : "invalid identifier accepted", name);
    if (st != MDM_OK && (st != MDM_ERR_INVALID_ARG || err.message[0] == '\0'))
        return fuzz_ident_fail(why, whyn, "refusal is not INVALID_ARG with a message", name);

    mdm_buf_init(&b);
    st = mdm_sql_quote_ident(&b, d, name, &err);
    if ((st == MDM_OK) != expect_ok) {
        rc = fuzz_ident_fail(why, whyn, "quote_ident disagrees with check_ident", name);
        goto done;
    }
    char *dup = mdm_sql_quote_ident_dup(d, name, &err);
    if ((dup != NULL) != expect_ok || (dup != NULL && strcmp(dup, mdm_buf_str(&b)) != 0))
        rc = fuzz_ident_fail(why, whyn, "quote_ident_dup disagrees with quote_ident", name);
    free(dup);
    if (rc != 0 || !expect_ok)
        goto done;

    /* "name" with inner quotes doubled, nothing else. */
    const char *q = mdm_buf_str(&b);
    size_t qlen = strlen(q), nq = 0, k = 1;
    for (size_t i = 0; i < len; i++)
        nq += name[i] == '"';
    if (qlen != len + nq + 2 || q[0] != '"' || q[qlen - 1] != '"') {
        rc = fuzz_ident_fail(why, whyn, "quoted form has the wrong shape", name);
        goto done;
    }
    for (size_t i = 0; i < len; i++, k++) {
        if (q[k] != name[i] || (name[i] == '"' && q[++k] != '"')) {
            rc = fuzz_ident_fail(why, whyn, "quoted form does not unquote to the name", name);
            goto done;
        }
    }
    rc = fuzz_ident_sqlite(q, name, why, whyn);
done:
    mdm_buf_reset(&b);
    return rc;
}

int mdm_fuzz_ident_one(const uint8_t *data, size_t size, char *why, size_t whyn)
{
    char *name = malloc(size + 1);
    int rc;
    if (name == NULL)
        return 0;
    memcpy(name, data, size);
    name[size] = '\0';
    size_t len = strlen(name);   /* a NUL ends a C string: test what callers see */
    if (mdm_utf8_valid(name, len) != fuzz_ident_utf8_ref((const unsigned char *)name, len))
        rc = fuzz_ident_fail(why, whyn, "mdm_utf8_valid disagrees with the reference validator", name);
    else
        rc = fuzz_ident_dialect(MDM_SQL_SQLITE, name, len, why, whyn);
    if (rc == 0)
        rc = fuzz_ident_dialect(MDM_SQL_POSTGRESQL, name, len, why, whyn);
    /* The whole input, NULs included, through the validator alone. */
    if (rc == 0 && mdm_utf8_valid((const char *)data, size) != fuzz_ident_utf8_ref(data, size))
        rc = fuzz_ident_fail(why, whyn, "mdm_utf8_valid disagrees on bytes with NUL", name);
    free(name);
    return rc;
}

#ifndef MDM_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[1024];
    if (mdm_fuzz_ident_one(data, size, why, sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        abort();
    }
    return 0;
}
#endif
