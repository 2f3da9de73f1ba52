/* SPDX-License-Identifier: MIT */
/*
 * mdm_dsn.h - PostgreSQL connection strings: pointing a server DSN (a libpq
 * "key=value" string or a postgresql:// URI) at another database, and
 * reading single settings out of one.
 *
 * One database per dataset means one DSN per dataset, all derived from the
 * configured server DSN; both the adapter and the app need that, so it lives
 * here. Parsing is libpq's own (PQconninfoParse).
 */
#ifndef MDM_DSN_H
#define MDM_DSN_H

#include <stddef.h>

#include "mdm_buf.h"
#include "mdm_status.h"

/*
 * mdm_dsn_with_dbname - appends to out a "key='value' ..." conninfo with
 * every setting of base and dbname replaced (base NULL or "": only dbname).
 * Returns OK, CONFIG (base does not parse: libpq's message), NOMEM.
 */
MDM_NODISCARD mdm_status mdm_dsn_with_dbname(const char *base, const char *dbname,
                                             mdm_buf *out, mdm_error *err);

/* Appends " key='value'" (no leading space when dsn is empty), quoted so
 * libpq reads the value back unchanged. NOMEM on failure. */
MDM_NODISCARD mdm_status mdm_dsn_append(mdm_buf *dsn, const char *key, const char *value);

/* Copies the value of keyword (e.g. "host") set in dsn into buf; returns
 * buf, or NULL when the DSN does not set it or does not parse. */
const char *mdm_dsn_get(const char *dsn, const char *keyword, char *buf, size_t n);

/* True when s is a postgresql:// or postgres:// URI. */
int mdm_dsn_is_uri(const char *s);

/*
 * mdm_dsn_check - CONFIG unless libpq parses dsn, and unless a URI's user
 * name and password are unambiguous: a second '@', or a '/' before the
 * last '@', means a raw '@' or '/' in them that libpq would split at,
 * taking the rest of the password for the host or port (and print it).
 * The message never quotes the DSN (it holds the password).
 */
MDM_NODISCARD mdm_status mdm_dsn_check(const char *dsn, mdm_error *err);

/* Appends s percent-encoded (all but RFC 3986's unreserved characters),
 * fit for the user or password of a postgresql:// URL. NOMEM. */
MDM_NODISCARD mdm_status mdm_dsn_url_escape(mdm_buf *out, const char *s);

/*
 * mdm_dsn_scrub - a message's last line of defence: replaces in err's
 * message every occurrence of the password, given as is and/or inside a
 * DSN (either may be NULL), as it is and percent-encoded, and of each of its
 * pieces between URL delimiters (@ : / ? # %) of 4 or more characters, by
 * "***". Passwords shorter than 3 characters are left alone (scrubbing them
 * would blank out ordinary words).
 */
void mdm_dsn_scrub(mdm_error *err, const char *password, const char *dsn);

#endif
