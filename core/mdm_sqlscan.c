/* SPDX-License-Identifier: MIT */
/*
 * mdm_sqlscan.c - the SQL tokenizer of mdm_sqlscan.h and the questions
 * asked of SQL text through it (read or write, ORDER BY, a second
 * statement). It follows the lexical rules of SQLite and PostgreSQL where
 * they decide what is code and what is quoted: literals, quoted
 * identifiers, comments, dollar quotes, `:name` parameters. It does not
 * parse; anything it does not know is one byte of MDM_SQLTOK_OTHER.
 */
#include "mdm_sqlscan.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* A parameter name's or dollar-quote tag's later characters. */
static bool name_char(char c)
{
    return ident_start(c) || isdigit((unsigned char)c);
}

/* A word's characters: SQLite and PostgreSQL both allow '$' after the first. */
static bool word_char(char c)
{
    return name_char(c) || c == '$';
}

void mdm_sqlscan_init(mdm_sqlscan *s, const char *sql, mdm_sql_dialect d)
{
    s->p = sql != NULL ? sql : "";
    s->dialect = d;
    s->brackets = 0;
    s->after_operand = false;
}

/* Length of a quoted run at p that closes with `close`, a doubled `close`
 * standing for itself (and with `esc`, a backslash escaping the next
 * byte); *open is set when the text ends first. */
static size_t quoted_len(const char *p, char close, bool doubled, bool esc, bool *open)
{
    size_t i = 1;
    for (;;) {
        if (p[i] == '\0') {
            *open = true;
            return i;
        }
        if (esc && p[i] == '\\' && p[i + 1] != '\0') {
            i += 2;
        } else if (p[i] == close && doubled && p[i + 1] == close) {
            i += 2;
        } else if (p[i] == close) {
            return i + 1;
        } else {
            i++;
        }
    }
}

/* Length of the comment at p (it starts with -- or slash-star). */
static size_t comment_len(const char *p, bool nested, bool *open)
{
    size_t i = 2, depth = 1;
    if (p[0] == '-')
        return strcspn(p, "\n");
    while (depth > 0) {
        if (p[i] == '\0') {
            *open = true;
            return i;
        }
        if (nested && p[i] == '/' && p[i + 1] == '*') {
            depth++;
            i += 2;
        } else if (p[i] == '*' && p[i + 1] == '/') {
            depth--;
            i += 2;
        } else {
            i++;
        }
    }
    return i;
}

/* Length of the $tag$ opener at p, or 0 when p does not start one. */
static size_t dollar_tag_len(const char *p)
{
    size_t n = 1;
    if (p[1] != '$' && !ident_start(p[1]))
        return 0;
    while (p[n] != '$') {
        if (!name_char(p[n]))
            return 0;
        n++;
    }
    return n + 1;
}

/* Length of the dollar-quoted string at p, whose opener is tag bytes long. */
static size_t dollar_len(const char *p, size_t tag, bool *open)
{
    const char *q = p + tag;
    for (;;) {
        q = strchr(q, '$');
        if (q == NULL) {
            *open = true;
            return tag + strlen(p + tag);
        }
        if (strncmp(q, p, tag) == 0)
            return (size_t)(q - p) + tag;
        q++;
    }
}

/* Kind and length of the token at p (not at the end of the text). */
static mdm_sqltok_kind scan_one(const mdm_sqlscan *s, const char *p, size_t *len, bool *open)
{
    bool pg = s->dialect == MDM_SQL_POSTGRESQL;
    size_t n = 0;
    if (isspace((unsigned char)p[0])) {
        while (isspace((unsigned char)p[n]))
            n++;
        *len = n;
        return MDM_SQLTOK_SPACE;
    }
    if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
        *len = comment_len(p, pg, open);
        return MDM_SQLTOK_COMMENT;
    }
    if (word_char(p[0]) && p[0] != '$') {
        while (word_char(p[n]))
            n++;
        if (pg && n == 1 && (p[0] == 'E' || p[0] == 'e') && p[1] == '\'') {
            *len = 1 + quoted_len(p + 1, '\'', true, true, open);   /* E'..\'..' */
            return MDM_SQLTOK_STRING;
        }
        *len = n;
        return MDM_SQLTOK_WORD;
    }
    *len = 1;
    switch (p[0]) {
    case '\'':
        *len = quoted_len(p, '\'', true, false, open);
        return MDM_SQLTOK_STRING;
    case '"':
        *len = quoted_len(p, '"', true, false, open);
        return MDM_SQLTOK_QUOTED_IDENT;
    case '`':
    case '[':
        if (pg)
            return MDM_SQLTOK_OTHER;
        *len = p[0] == '`' ? quoted_len(p, '`', true, false, open)
                           : quoted_len(p, ']', false, false, open);
        return MDM_SQLTOK_QUOTED_IDENT;
    case '$':
        n = pg ? dollar_tag_len(p) : 0;
        if (n == 0)
            return MDM_SQLTOK_OTHER;
        *len = dollar_len(p, n, open);
        return MDM_SQLTOK_DOLLAR;
    case ';':
        return MDM_SQLTOK_SEMICOLON;
    case ':':
        if (p[1] == ':') {
            *len = 2;
            return MDM_SQLTOK_CAST;
        }
        if (!ident_start(p[1]) || (pg && s->brackets > 0 && s->after_operand))
            return MDM_SQLTOK_OTHER;   /* a slice: a[1:n] */
        n = 1;
        while (name_char(p[n]))
            n++;
        *len = n;
        return MDM_SQLTOK_PARAM;
    default:
        return MDM_SQLTOK_OTHER;
    }
}

bool mdm_sqlscan_next(mdm_sqlscan *s, mdm_sqltok *t)
{
    bool open = false;
    size_t len = 0;
    if (*s->p == '\0')
        return false;
    mdm_sqltok_kind k = scan_one(s, s->p, &len, &open);
    t->kind = k;
    t->text = s->p;
    t->len = len;
    t->unterminated = open;
    s->p += len;
    if (k == MDM_SQLTOK_OTHER && s->dialect == MDM_SQL_POSTGRESQL) {
        if (t->text[0] == '[')
            s->brackets++;
        else if (t->text[0] == ']' && s->brackets > 0)
            s->brackets--;
    }
    if (k != MDM_SQLTOK_SPACE && k != MDM_SQLTOK_COMMENT)
        s->after_operand = k == MDM_SQLTOK_WORD || k == MDM_SQLTOK_STRING ||
                           k == MDM_SQLTOK_DOLLAR || k == MDM_SQLTOK_QUOTED_IDENT ||
                           k == MDM_SQLTOK_PARAM ||
                           (k == MDM_SQLTOK_OTHER && (t->text[0] == ')' || t->text[0] == ']'));
    return true;
}

bool mdm_sqltok_is_word(const mdm_sqltok *t, const char *kw)
{
    return t->kind == MDM_SQLTOK_WORD && t->len == strlen(kw) &&
           strncasecmp(t->text, kw, t->len) == 0;
}

/* The next token that is not a blank or a comment; false at the end. */
static bool next_significant(mdm_sqlscan *s, mdm_sqltok *t)
{
    while (mdm_sqlscan_next(s, t))
        if (t->kind != MDM_SQLTOK_SPACE && t->kind != MDM_SQLTOK_COMMENT)
            return true;
    return false;
}

bool mdm_sql_is_read(const char *sql, mdm_sql_dialect d)
{
    static const char *const reads[] = {"SELECT", "WITH", "VALUES", "EXPLAIN", "SHOW", "TABLE"};
    mdm_sqlscan s;
    mdm_sqltok t;
    bool found;
    mdm_sqlscan_init(&s, sql, d);
    do
        found = next_significant(&s, &t);
    while (found && t.kind == MDM_SQLTOK_OTHER && t.text[0] == '(');
    for (size_t i = 0; found && i < sizeof reads / sizeof reads[0]; i++)
        if (mdm_sqltok_is_word(&t, reads[i]))
            return true;
    return false;
}

bool mdm_sql_has_order_by(const char *sql, mdm_sql_dialect d)
{
    mdm_sqlscan s;
    mdm_sqltok t;
    mdm_sqlscan_init(&s, sql, d);
    while (next_significant(&s, &t)) {
        if (!mdm_sqltok_is_word(&t, "ORDER"))
            continue;
        mdm_sqlscan ahead = s;
        if (next_significant(&ahead, &t) && mdm_sqltok_is_word(&t, "BY"))
            return true;
    }
    return false;
}

/* Whether a statement is CREATE [TEMP|TEMPORARY] TRIGGER, from its word
 * at index (1 or 2; the first is CREATE). */
static bool trigger_word(const mdm_sqltok *t, int index, bool *temp)
{
    if (index == 1 && (mdm_sqltok_is_word(t, "TEMP") || mdm_sqltok_is_word(t, "TEMPORARY"))) {
        *temp = true;
        return false;
    }
    return index == (*temp ? 2 : 1) && mdm_sqltok_is_word(t, "TRIGGER");
}

/* As sqlite3_complete() reads a statement: inside CREATE TRIGGER only a
 * `;` right after END ends it (the body's own statements end in `;`). */
const char *mdm_sql_second_statement(const char *sql, mdm_sql_dialect d)
{
    mdm_sqlscan s;
    mdm_sqltok t;
    int index = 0;
    bool create = false, temp = false, trigger = false, after_end = false, ended = false;
    mdm_sqlscan_init(&s, sql, d);
    while (next_significant(&s, &t)) {
        if (ended && t.kind != MDM_SQLTOK_SEMICOLON)
            return t.text;
        if (index == 0)
            create = mdm_sqltok_is_word(&t, "CREATE");
        else if (create && index <= 2 && !trigger)
            trigger = trigger_word(&t, index, &temp);
        index++;
        if (t.kind == MDM_SQLTOK_SEMICOLON && (!trigger || after_end))
            ended = true;
        after_end = mdm_sqltok_is_word(&t, "END");
    }
    return NULL;
}

/* ---- What query may run on SQLite ---- */

bool mdm_sql_pragma_reads(const char *name, size_t len, bool has_arg)
{
    /* Pragmas whose argument names what to report on; they change nothing. */
    static const char *const reporting[] = {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info",
        "index_xinfo", "foreign_key_list", "foreign_key_check", "integrity_check",
        "quick_check"};
    if (!has_arg)
        return true;
    for (size_t i = 0; i < sizeof reporting / sizeof reporting[0]; i++)
        if (strlen(reporting[i]) == len && strncasecmp(reporting[i], name, len) == 0)
            return true;
    return false;
}

/* The name inside a word or a quoted name ("x", [x], `x`, 'x'): text and
 * length, quotes left out (a doubled quote inside stays doubled, so such a
 * name matches nothing and is refused when it sets). */
static void bare_name(const mdm_sqltok *t, const char **name, size_t *len)
{
    bool quoted = t->kind != MDM_SQLTOK_WORD && t->len >= 2 && !t->unterminated;
    *name = quoted ? t->text + 1 : t->text;
    *len = quoted ? t->len - 2 : t->len;
}

/* `PRAGMA [schema.]name [= value | (value)]`, s just after PRAGMA. */
static mdm_status check_pragma(mdm_sqlscan *s, mdm_error *err)
{
    mdm_sqltok t;
    const char *name = "";
    size_t len = 0;
    bool has_arg = false;
    while (next_significant(s, &t)) {
        if (t.kind == MDM_SQLTOK_OTHER && t.text[0] == '.')
            continue;   /* schema.name: the name comes next */
        if (t.kind == MDM_SQLTOK_OTHER || t.kind == MDM_SQLTOK_SEMICOLON) {
            has_arg = t.text[0] == '=' || t.text[0] == '(';
            break;
        }
        bare_name(&t, &name, &len);
    }
    if (mdm_sql_pragma_reads(name, len, has_arg))
        return MDM_OK;
    return mdm_error_set(err, MDM_ERR_UNSUPPORTED,
                         "query refused: PRAGMA %.*s sets a value; query may read pragmas, "
                         "not set them (they change how the dataset's file is kept)",
                         (int)(len > 64 ? 64 : len), name);
}

mdm_status mdm_sql_check_sqlite_query(const char *sql, mdm_error *err)
{
    static const struct { const char *word, *why; } refused[] = {
        {"ATTACH", "it opens or creates another database file, anywhere"},
        {"DETACH", "query works on the dataset's own database only"},
        {"VACUUM", "VACUUM INTO writes a copy of the dataset to any path, and in place it "
                   "rewrites the whole file"},
    };
    mdm_sqlscan s;
    mdm_sqltok t;
    mdm_sqlscan_init(&s, sql, MDM_SQL_SQLITE);
    bool found = next_significant(&s, &t);
    /* EXPLAIN [QUERY PLAN] stmt: SQLite prepares stmt, so judge stmt. */
    while (found && (mdm_sqltok_is_word(&t, "EXPLAIN") || mdm_sqltok_is_word(&t, "QUERY") ||
                     mdm_sqltok_is_word(&t, "PLAN")))
        found = next_significant(&s, &t);
    for (size_t i = 0; found && i < sizeof refused / sizeof refused[0]; i++)
        if (mdm_sqltok_is_word(&t, refused[i].word))
            return mdm_error_set(err, MDM_ERR_UNSUPPORTED, "query refused: %s is not allowed: %s",
                                 refused[i].word, refused[i].why);
    if (found && mdm_sqltok_is_word(&t, "PRAGMA"))
        return check_pragma(&s, err);
    return MDM_OK;
}
