/* SPDX-License-Identifier: MIT */
/*
 * mdm_dsn.c - derives per-database PostgreSQL DSNs from a server DSN with
 * libpq's parser, and re-quotes values so that spaces, quotes and
 * backslashes survive.
 */
#include "mdm_dsn.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int mdm_dsn_is_uri(const char *s)
{
    return s != NULL && (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0);
}

/* key='value' with ' and \ escaped, as libpq reads it back. */
static mdm_status put_pair(mdm_buf *b, const char *key, const char *value)
{
    mdm_status rc = mdm_buf_printf(b, "%s%s='", b->len ? " " : "", key);
    for (const char *p = value; rc == MDM_OK && *p; p++) {
        if (*p == '\'' || *p == '\\')
            rc = mdm_buf_putc(b, '\\');
        if (rc == MDM_OK)
            rc = mdm_buf_putc(b, *p);
    }
    return rc == MDM_OK ? mdm_buf_putc(b, '\'') : rc;
}

mdm_status mdm_dsn_append(mdm_buf *dsn, const char *key, const char *value)
{
    return put_pair(dsn, key, value);
}

/* Is word (n bytes) one of libpq's connection keywords ("port", ...)? */
static bool is_keyword(const char *word, size_t n)
{
    bool found = false;
    PQconninfoOption *all = PQconninfoParse("", NULL);
    for (PQconninfoOption *o = all; o != NULL && o->keyword != NULL && !found; o++)
        found = strlen(o->keyword) == n && strncmp(o->keyword, word, n) == 0;
    PQconninfoFree(all);
    return found;
}

/* libpq's reason (n bytes) into out, every quoted piece that is neither a
 * keyword nor one character shown as "...": libpq quotes pieces of the DSN
 * (missing "=" after "...", invalid percent-encoded token: "..."), and a
 * piece may be part of the password. */
static void redact(const char *msg, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        const char *close = msg[i] == '"' ? memchr(msg + i + 1, '"', n - i - 1) : NULL;
        size_t len = close != NULL ? (size_t)(close - (msg + i + 1)) : 0;
        bool hide = len > 1 && !is_keyword(msg + i + 1, len);
        const char *piece = hide ? "\"...\"" : msg + i;
        size_t plen = hide ? 5 : close != NULL ? len + 2 : 1;
        for (size_t k = 0; k < plen && o + 1 < cap; k++)
            out[o++] = piece[k];
        i += close != NULL ? len + 2 : 1;
    }
    out[o] = '\0';
}

static PQconninfoOption *parse(const char *dsn, mdm_error *err)
{
    char *msg = NULL, reason[400];
    PQconninfoOption *opts = PQconninfoParse(dsn, &msg);
    if (opts == NULL) {
        size_t n = msg != NULL ? strlen(msg) : 0;
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            n--;
        redact(msg != NULL ? msg : "out of memory", msg != NULL ? n : 13, reason, sizeof reason);
        mdm_error_set(err, msg != NULL ? MDM_ERR_CONFIG : MDM_ERR_NOMEM,
                      "bad PostgreSQL DSN: %s", reason);
        PQfreemem(msg);
    }
    return opts;
}

mdm_status mdm_dsn_with_dbname(const char *base, const char *dbname, mdm_buf *out,
                               mdm_error *err)
{
    mdm_buf b;
    mdm_status rc = MDM_OK;
    PQconninfoOption *opts = NULL;
    mdm_buf_init(&b);
    if (base != NULL && base[0] != '\0' && (opts = parse(base, err)) == NULL) {
        rc = err != NULL ? err->code : MDM_ERR_CONFIG;
        goto done;
    }
    for (PQconninfoOption *o = opts; rc == MDM_OK && o != NULL && o->keyword != NULL; o++)
        if (o->val != NULL && strcmp(o->keyword, "dbname") != 0)
            rc = put_pair(&b, o->keyword, o->val);
    if (rc == MDM_OK && dbname != NULL)
        rc = put_pair(&b, "dbname", dbname);
    if (rc == MDM_OK)
        rc = mdm_buf_append(out, mdm_buf_str(&b), b.len);
    if (rc != MDM_OK)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
done:
    PQconninfoFree(opts);
    mdm_buf_reset(&b);
    return rc;
}

const char *mdm_dsn_get(const char *dsn, const char *keyword, char *buf, size_t n)
{
    const char *found = NULL;
    PQconninfoOption *opts = dsn != NULL && dsn[0] ? parse(dsn, NULL) : NULL;
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (o->val != NULL && strcmp(o->keyword, keyword) == 0) {
            snprintf(buf, n, "%s", o->val);
            found = buf;
        }
    }
    PQconninfoFree(opts);
    return found;
}

/* ---- Secrets ------------------------------------------------------------------------ */

/* In a URI, what comes before the host ends at the last '@' before any
 * '?'; a second '@' or a '/' in it is a raw delimiter libpq splits at. */
static bool uri_userinfo_ambiguous(const char *uri)
{
    const char *start = strstr(uri, "://") + 3, *at = NULL;
    size_t end = strcspn(start, "?");
    for (size_t i = 0; i < end; i++)
        if (start[i] == '@')
            at = start + i;
    for (const char *p = start; at != NULL && p < at; p++)
        if (*p == '@' || *p == '/')
            return true;
    return false;
}

mdm_status mdm_dsn_check(const char *dsn, mdm_error *err)
{
    mdm_error local;
    PQconninfoOption *opts = parse(dsn, err != NULL ? err : &local);
    if (opts == NULL)
        return err != NULL ? err->code : local.code;
    PQconninfoFree(opts);
    if (mdm_dsn_is_uri(dsn) && uri_userinfo_ambiguous(dsn))
        return mdm_error_set(err, MDM_ERR_CONFIG,
                             "bad PostgreSQL URL: a raw '@' or '/' in the user name or password "
                             "(write them percent-encoded: %%40, %%2F)");
    return MDM_OK;
}

mdm_status mdm_dsn_url_escape(mdm_buf *out, const char *s)
{
    mdm_status rc = MDM_OK;
    for (const unsigned char *p = (const unsigned char *)s; rc == MDM_OK && *p; p++)
        rc = isalnum(*p) || strchr("-._~", *p) != NULL ? mdm_buf_putc(out, (char)*p)
                                                       : mdm_buf_printf(out, "%%%02X", *p);
    return rc;
}

#define SCRUB_MAX 40
#define SECRET_MAX 256

/* The strings to hide: each password as is and percent-encoded, and its
 * pieces between URL delimiters (what a misparsed URL shows as a host,
 * port or database). Pointers into the caller's buffers. */
typedef struct secrets {
    const char *p[SCRUB_MAX];
    size_t n[SCRUB_MAX];
    size_t count;
} secrets;

static void add(secrets *s, const char *p, size_t n, size_t min)
{
    if (n >= min && s->count < SCRUB_MAX) {
        s->p[s->count] = p;
        s->n[s->count++] = n;
    }
}

/* pw as is, encoded into enc (cap bytes), and its pieces. */
static void add_password(secrets *s, const char *pw, char *enc, size_t cap)
{
    size_t len = pw != NULL ? strlen(pw) : 0, e = 0;
    if (len < 3)
        return;
    add(s, pw, len, 3);
    for (const unsigned char *c = (const unsigned char *)pw; *c && e + 4 < cap; c++)
        e += (size_t)snprintf(enc + e, cap - e, isalnum(*c) || strchr("-._~", *c) ? "%c" : "%%%02X",
                              *c);
    add(s, enc, e, 3);
    for (size_t i = 0, start = 0; i <= len; i++) {
        if (pw[i] == '\0' || strchr("@:/?#%", pw[i]) != NULL) {
            add(s, pw + start, i - start, 4);
            start = i + 1;
        }
    }
}

/* Replaces every occurrence of needle (n bytes) in msg by "***". */
static void replace_all(char *msg, size_t cap, const char *needle, size_t n)
{
    char out[sizeof ((mdm_error *)0)->message];
    size_t o = 0;
    const char *p = msg;
    while (*p != '\0' && o + 4 < sizeof out) {
        if (strncmp(p, needle, n) == 0) {
            memcpy(out + o, "***", 3);
            o += 3;
            p += n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    snprintf(msg, cap, "%s", out);
}

void mdm_dsn_scrub(mdm_error *err, const char *password, const char *dsn)
{
    char from_dsn[SECRET_MAX], enc1[3 * SECRET_MAX + 1], enc2[3 * SECRET_MAX + 1];
    secrets s = {{NULL}, {0}, 0};
    if (err == NULL)
        return;
    add_password(&s, password, enc1, sizeof enc1);
    add_password(&s, mdm_dsn_get(dsn, "password", from_dsn, sizeof from_dsn), enc2, sizeof enc2);
    /* Longest first, so that a piece never breaks up a whole password. */
    for (size_t i = 0; i < s.count; i++) {
        size_t best = i;
        for (size_t j = i + 1; j < s.count; j++)
            if (s.n[j] > s.n[best])
                best = j;
        replace_all(err->message, sizeof err->message, s.p[best], s.n[best]);
        s.p[best] = s.p[i];
        s.n[best] = s.n[i];
    }
}
