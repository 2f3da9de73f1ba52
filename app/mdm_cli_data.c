/* SPDX-License-Identifier: MIT */
/*
 * mdm_cli_data.c - the commands that work on datasets: register, load,
 * query, info, list and remove. Each parses its options, opens a session,
 * calls the DatasetManager once and prints the result in the chosen format;
 * results go to stdout, messages to stderr.
 */
#include "mdm_cli_internal.h"
#include "mdm_dsn.h"
#include "mdm_input.h"
#include "mdm_progress.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* After a read under shadow: say where mismatches went. */
static void shadow_note(mdm_cli *cli, const cli_session *s)
{
    mdm_shadow_stats st;
    mdm_dsm_shadow_stats(s->dsm, &st);
    if (st.mismatches > 0)
        fprintf(cli->io->err, "mdm: shadow: %" PRIu64 " mismatch%s between legacy and modern "
                              "logged to %s\n",
                st.mismatches, st.mismatches == 1 ? "" : "es", mdm_dsm_shadow_log(s->dsm));
}

/* Ends a command: closes the session, reports a failure. A store's message
 * can quote what libpq or the server was given; no part of the configured
 * password leaves (the router scrubs its own; this covers the rest). */
static int finish(mdm_cli *cli, cli_session *s, mdm_status rc, mdm_error *err)
{
    if (s->dsm != NULL && rc == MDM_OK)
        shadow_note(cli, s);
    if (rc != MDM_OK)
        mdm_dsn_scrub(err, s->cfg.pg_password, s->cfg.pg_dsn);
    cli_session_close(s);
    return rc == MDM_OK ? MDM_EXIT_OK : cli_fail(cli, err);
}

/* ---- register -------------------------------------------------------------------- */

/* --sep: one byte, or a name for the usual ones. */
static int parse_sep(mdm_cli *cli, const char *v, int *out)
{
    static const struct { const char *name; char sep; } names[] = {
        {"comma", ','}, {"semicolon", ';'}, {"tab", '\t'}, {"\\t", '\t'}, {"pipe", '|'}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(v, names[i].name) == 0) {
            *out = names[i].sep;
            return MDM_EXIT_OK;
        }
    if (strlen(v) != 1 || v[0] == '"' || v[0] == '\n' || v[0] == '\r')
        return cli_usage(cli, "--sep: expected one character (other than a quote) or comma, "
                              "semicolon, tab, pipe; got '%s'", v);
    *out = (unsigned char)v[0];
    return MDM_EXIT_OK;
}

/* The Kaggle layout: which table a file of a dataset folder becomes. */
static const char *kaggle_table(const char *file)
{
    static const struct { const char *file, *table; } layout[] = {
        {"train", "train"}, {"test", "test"},
        {"sample_submission", "submission"}, {"gender_submission", "submission"}};
    size_t n = mdm_input_inner_len(file);
    const char *dot = memchr(file, '.', n);
    if (dot == NULL || (strncasecmp(dot, ".csv", 4) != 0 && strncasecmp(dot, ".tsv", 4) != 0) ||
        dot + 4 != file + n)
        return NULL;
    for (size_t i = 0; i < sizeof layout / sizeof layout[0]; i++)
        if (strlen(layout[i].file) == (size_t)(dot - file) &&
            strncmp(file, layout[i].file, (size_t)(dot - file)) == 0)
            return layout[i].table;
    return NULL;
}

#define MAX_FOLDER_FILES 64

/* A folder register: its files, their paths and tables. */
typedef struct folder {
    mdm_register_input in[MAX_FOLDER_FILES];
    char *paths[MAX_FOLDER_FILES];
    size_t n;
    mdm_buf unknown;   /* files the layout does not know, for the message */
} folder;

static void folder_reset(folder *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->paths[i]);
    mdm_buf_reset(&f->unknown);
}

/* The table --table FILE=TABLE gives file, or NULL; *bad: a --table
 * without '=' (it names one table, which a folder has not). */
static const char *mapped_table(const cli_args *a, const char *file, const char **bad)
{
    const char *found = NULL;
    for (size_t i = 0; i < a->nopts; i++) {
        if (strcmp(a->names[i], "--table") != 0)
            continue;
        const char *eq = strchr(a->values[i], '=');
        if (eq == NULL)
            *bad = a->values[i];
        else if ((size_t)(eq - a->values[i]) == strlen(file) &&
                 strncmp(a->values[i], file, (size_t)(eq - a->values[i])) == 0)
            found = eq + 1;
    }
    return found;
}

/* Lists dir's files (hidden ones left out), sorted. */
static mdm_status folder_files(const char *dir, mdm_strlist *out, mdm_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    mdm_status rc = MDM_OK;
    if (d == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "cannot read folder '%s': %s", dir, strerror(errno));
    while (rc == MDM_OK && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            rc = mdm_strlist_push(out, e->d_name, err);
    closedir(d);
    mdm_strlist_sort(out);
    return rc;
}

/* Fills f from dir: every file a table (the layout's or --table's);
 * files neither knows are gathered in f->unknown. */
static int folder_scan(mdm_cli *cli, const cli_args *a, const char *dir, folder *f)
{
    mdm_strlist files;
    mdm_error err;
    const char *bad = NULL;
    mdm_strlist_init(&files);
    mdm_error_clear(&err);
    if (folder_files(dir, &files, &err) != MDM_OK)
        return cli_fail(cli, &err);
    int ex = MDM_EXIT_OK;
    for (size_t i = 0; i < files.count && ex == MDM_EXIT_OK; i++) {
        const char *file = files.items[i], *table = mapped_table(a, file, &bad);
        if (table == NULL)
            table = kaggle_table(file);
        if (table == NULL) {
            if (mdm_buf_printf(&f->unknown, "%s'%s'", f->unknown.len ? ", " : "", file) != MDM_OK)
                ex = cli_usage(cli, "out of memory");
            continue;
        }
        if (f->n == MAX_FOLDER_FILES) {
            ex = cli_usage(cli, "folder '%s': more than %d files", dir, MAX_FOLDER_FILES);
            break;
        }
        mdm_buf p;
        mdm_buf_init(&p);
        if (mdm_buf_printf(&p, "%s/%s", dir, file) != MDM_OK)
            ex = cli_usage(cli, "out of memory");
        f->paths[f->n] = mdm_buf_steal(&p);
        f->in[f->n] = (mdm_register_input){table, f->paths[f->n], 0, 0};
        f->n++;
    }
    if (ex == MDM_EXIT_OK && bad != NULL)
        ex = cli_usage(cli, "--table '%s': a folder takes --table FILE=TABLE", bad);
    if (ex == MDM_EXIT_OK && f->unknown.len > 0)
        ex = cli_usage(cli, "folder '%s': the Kaggle layout (train, test, sample_submission or "
                            "gender_submission .csv/.tsv, compressed or not) does not know %s; "
                            "map each with --table FILE=TABLE", dir, f->unknown.data);
    if (ex == MDM_EXIT_OK && f->n == 0)
        ex = cli_usage(cli, "folder '%s' holds no file to register", dir);
    mdm_strlist_reset(&files);
    return ex;
}

static void print_registered(mdm_cli *cli, const mdm_dsm_result *res,
                             const mdm_register_input *in, size_t n)
{
    fprintf(cli->io->out, "registered '%s':", res->name);
    for (size_t i = 0; i < n; i++)
        fprintf(cli->io->out, "%s %zu rows x %zu columns in table '%s'", i > 0 ? "," : "",
                in[i].rows, in[i].columns, in[i].table);
    fprintf(cli->io->out, "%s [%s]\n", res->created ? ", new dataset" : "",
            mdm_impl_name(res->impl));
}

static int register_options(mdm_cli *cli, const cli_args *a, mdm_register_opts *o)
{
    const char *ie = cli_opt(a, "--if-exists"), *sep = cli_opt(a, "--sep");
    if (ie != NULL && mdm_if_exists_parse(ie, &o->if_exists, NULL) != MDM_OK)
        return cli_usage(cli, "--if-exists: expected fail, replace or append, got '%s'", ie);
    o->table = cli_opt(a, "--table");
    if (o->table != NULL && o->table[0] == '\0')
        return cli_usage(cli, "--table: empty name");
    return sep != NULL ? parse_sep(cli, sep, &o->sep) : MDM_EXIT_OK;
}

int mdm_cmd_register(mdm_cli *cli, const cli_args *a)
{
    mdm_register_opts o = MDM_REGISTER_OPTS_INIT;
    const char *src = a->pos[1];
    struct stat st;
    folder f = {.n = 0};
    cli_session s;
    mdm_dsm_result res;
    mdm_progress bar;
    mdm_error err;
    mdm_error_clear(&err);
    mdm_buf_init(&f.unknown);
    int ex = register_options(cli, a, &o);
    if (ex == MDM_EXIT_OK && stat(src, &st) == 0 && S_ISDIR(st.st_mode))
        ex = folder_scan(cli, a, src, &f);
    else if (ex == MDM_EXIT_OK)
        f.in[f.n++] = (mdm_register_input){o.table != NULL ? o.table : MDM_DEFAULT_TABLE, src,
                                           0, 0};
    if (ex != MDM_EXIT_OK) {
        folder_reset(&f);
        return ex;
    }
    mdm_status rc = cli_session_open(cli, &s, true, &err);
    mdm_progress_init(&bar, cli->io->err, cli->io->err_is_tty, a->pos[0]);
    if (bar.enabled) {
        /* Reporting progress makes the modern store write in chunks (a
         * COPY or INSERT run per 20,000 rows, each a slice copied out of
         * the table): worth it for a person watching, not for a script. */
        o.progress = mdm_progress_update;
        o.progress_ctx = &bar;
    }
    if (rc == MDM_OK)
        rc = mdm_dsm_register_many(s.dsm, a->pos[0], f.in, f.n, &o, &res, &err);
    mdm_progress_finish(&bar);
    if (rc == MDM_ERR_EXISTS) {
        size_t n = strlen(err.message);
        snprintf(err.message + n, sizeof err.message - n, " (use --if-exists replace or append)");
    }
    if (rc == MDM_OK)
        print_registered(cli, &res, f.in, f.n);
    folder_reset(&f);
    return finish(cli, &s, rc, &err);
}

/* ---- load -------------------------------------------------------------------------- */

#define MAX_COLUMNS 256

/* Splits "a,b" in place into names. */
static int split_columns(mdm_cli *cli, char *list, const char **names, size_t *n)
{
    *n = 0;
    for (char *p = list;; p++) {
        char *comma = strchr(p, ',');
        if (comma != NULL)
            *comma = '\0';
        if (*p == '\0')
            return cli_usage(cli, "--columns: empty column name");
        if (*n == MAX_COLUMNS)
            return cli_usage(cli, "--columns: more than %d columns", MAX_COLUMNS);
        names[(*n)++] = p;
        if (comma == NULL)
            return MDM_EXIT_OK;
        p = comma;
    }
}

static int parse_limit(mdm_cli *cli, const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || v < 0)
        return cli_usage(cli, "--limit: expected a whole number >= 0, got '%s'", s);
    *out = v;
    return MDM_EXIT_OK;
}

static int load_options(mdm_cli *cli, const cli_args *a, mdm_load_opts *o, char **colbuf,
                        const char **names)
{
    const char *cols = cli_opt(a, "--columns"), *limit = cli_opt(a, "--limit");
    int ex = MDM_EXIT_OK;
    o->table = cli_opt(a, "--table");
    if (o->table != NULL && o->table[0] == '\0')
        return cli_usage(cli, "--table: empty name");
    if (limit != NULL) {
        o->has_limit = true;
        ex = parse_limit(cli, limit, &o->limit);
    }
    if (ex == MDM_EXIT_OK && cols != NULL) {
        if ((*colbuf = strdup(cols)) == NULL)
            return cli_usage(cli, "out of memory");
        ex = split_columns(cli, *colbuf, names, &o->ncolumns);
        o->columns = names;
    }
    return ex;
}

int mdm_cmd_load(mdm_cli *cli, const cli_args *a)
{
    mdm_load_opts o = MDM_LOAD_OPTS_INIT;
    const char *names[MAX_COLUMNS];
    char *colbuf = NULL;
    mdm_out_format fmt;
    cli_session s;
    mdm_table t;
    mdm_error err;
    mdm_error_clear(&err);
    int ex = load_options(cli, a, &o, &colbuf, names);
    if (ex == MDM_EXIT_OK && cli_format(a, &fmt, &err) != MDM_OK)
        ex = cli_usage(cli, "--format: %s", err.message);
    if (ex != MDM_EXIT_OK) {
        free(colbuf);
        return ex;
    }
    mdm_output_stream os;
    mdm_row_sink sink;
    if (fmt != MDM_OUT_TABLE) {   /* CSV and JSON are written as rows come */
        mdm_output_stream_init(&os, fmt, cli->io->out, &sink);
        o.sink = &sink;
    }
    mdm_table_init(&t);
    mdm_status rc = cli_session_open(cli, &s, true, &err);
    if (rc == MDM_OK)
        rc = mdm_dsm_load(s.dsm, a->pos[0], &o, &t, NULL, &err);
    if (rc == MDM_OK)
        rc = o.sink != NULL ? mdm_output_stream_end(&os, &t, &err)
                            : mdm_output_write(&t, fmt, cli->io->out, &err);
    mdm_table_reset(&t);
    free(colbuf);
    return finish(cli, &s, rc, &err);
}

/* ---- query --------------------------------------------------------------------------- */

#define MAX_PARAMS 64

typedef struct param_text {
    char name[64];
} param_text;

static int param_typed(mdm_cli *cli, const char *type, const char *v, mdm_param *p)
{
    char *end = NULL;
    int64_t ts;
    errno = 0;
    if (strcmp(type, "text") == 0) {
        *p = mdm_param_text(p->name, v);
    } else if (strcmp(type, "int") == 0) {
        long long i = strtoll(v, &end, 10);
        if (v[0] == '\0' || *end != '\0' || errno != 0)
            return cli_usage(cli, "--param %s:int: '%s' is not an integer", p->name, v);
        *p = mdm_param_int64(p->name, i);
    } else if (strcmp(type, "float") == 0) {
        double d = strtod(v, &end);
        if (v[0] == '\0' || *end != '\0')
            return cli_usage(cli, "--param %s:float: '%s' is not a number", p->name, v);
        *p = mdm_param_float64(p->name, d);
    } else if (strcmp(type, "bool") == 0) {
        bool t = strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "1") == 0;
        if (!t && strcmp(v, "false") != 0 && strcmp(v, "False") != 0 && strcmp(v, "0") != 0)
            return cli_usage(cli, "--param %s:bool: expected true or false, got '%s'", p->name, v);
        *p = mdm_param_bool(p->name, t);
    } else if (strcmp(type, "timestamp") == 0) {
        if (!mdm_parse_timestamp(v, strlen(v), &ts))
            return cli_usage(cli, "--param %s:timestamp: '%s' is not YYYY-MM-DD[ HH:MM:SS]",
                             p->name, v);
        *p = mdm_param_timestamp(p->name, ts);
    } else if (strcmp(type, "null") == 0) {
        *p = mdm_param_null(p->name, MDM_TEXT);
    } else {
        return cli_usage(cli, "--param %s: unknown type '%s' (int, float, bool, text, "
                              "timestamp, null)", p->name, type);
    }
    return MDM_EXIT_OK;
}

/* Untyped: an integer, else a number, else text. */
static void param_inferred(const char *v, mdm_param *p)
{
    char *end = NULL;
    bool lead0 = (v[0] == '0' && v[1] != '\0') || (v[0] == '-' && v[1] == '0' && v[2] != '\0');
    errno = 0;
    long long i = strtoll(v, &end, 10);
    if (v[0] != '\0' && *end == '\0' && errno == 0 && !lead0) {
        *p = mdm_param_int64(p->name, i);
        return;
    }
    double d = strtod(v, &end);
    if (v[0] != '\0' && *end == '\0' && strpbrk(v, ".eE") != NULL && !lead0 && d == d) {
        *p = mdm_param_float64(p->name, d);
        return;
    }
    *p = mdm_param_text(p->name, v);
}

/* "k=v", "k:type=v" or "k:null". */
static int parse_param(mdm_cli *cli, const char *arg, param_text *pt, mdm_param *p)
{
    const char *eq = strchr(arg, '='), *colon = strchr(arg, ':');
    size_t nlen = colon != NULL && (eq == NULL || colon < eq) ? (size_t)(colon - arg)
                  : eq != NULL                                 ? (size_t)(eq - arg)
                                                               : strlen(arg);
    char type[16] = "";
    if (nlen == 0 || nlen >= sizeof pt->name)
        return cli_usage(cli, "--param: expected k=v, got '%s'", arg);
    memcpy(pt->name, arg, nlen);
    pt->name[nlen] = '\0';
    p->name = pt->name;
    if (colon != NULL && (eq == NULL || colon < eq))
        snprintf(type, sizeof type, "%.*s",
                 (int)(eq != NULL ? (size_t)(eq - colon - 1) : strlen(colon + 1)), colon + 1);
    if (eq == NULL && strcmp(type, "null") != 0)
        return cli_usage(cli, "--param: expected k=v, got '%s'", arg);
    if (type[0] != '\0')
        return param_typed(cli, type, eq != NULL ? eq + 1 : "", p);
    param_inferred(eq + 1, p);
    return MDM_EXIT_OK;
}

static int collect_params(mdm_cli *cli, const cli_args *a, param_text *texts, mdm_param *params,
                          size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < a->nopts; i++) {
        if (strcmp(a->names[i], "--param") != 0)
            continue;
        if (*n == MAX_PARAMS)
            return cli_usage(cli, "--param: more than %d parameters", MAX_PARAMS);
        int ex = parse_param(cli, a->values[i], &texts[*n], &params[*n]);
        if (ex != MDM_EXIT_OK)
            return ex;
        ++*n;
    }
    return MDM_EXIT_OK;
}

int mdm_cmd_query(mdm_cli *cli, const cli_args *a)
{
    param_text texts[MAX_PARAMS];
    mdm_param params[MAX_PARAMS];
    size_t nparams = 0;
    mdm_out_format fmt;
    cli_session s;
    mdm_table t;
    mdm_error err;
    mdm_error_clear(&err);
    int ex = collect_params(cli, a, texts, params, &nparams);
    if (ex == MDM_EXIT_OK && cli_format(a, &fmt, &err) != MDM_OK)
        ex = cli_usage(cli, "--format: %s", err.message);
    if (ex != MDM_EXIT_OK)
        return ex;
    mdm_output_stream os;
    mdm_row_sink sink;
    bool streamed = fmt != MDM_OUT_TABLE;   /* CSV and JSON are written as rows come */
    if (streamed)
        mdm_output_stream_init(&os, fmt, cli->io->out, &sink);
    mdm_table_init(&t);
    mdm_status rc = cli_session_open(cli, &s, true, &err);
    if (rc == MDM_OK)
        rc = mdm_dsm_query_rows(s.dsm, a->pos[0], a->pos[1], params, nparams,
                                streamed ? &sink : NULL, &t, NULL, &err);
    if (rc == MDM_OK)
        rc = streamed ? mdm_output_stream_end(&os, &t, &err)
                      : mdm_output_write(&t, fmt, cli->io->out, &err);
    mdm_table_reset(&t);
    return finish(cli, &s, rc, &err);
}

/* ---- info, list, remove ------------------------------------------------------------------ */

static mdm_status info_header(mdm_cli *cli, cli_session *s, const char *name,
                              const mdm_dsm_result *res, mdm_error *err)
{
    mdm_buf loc;
    mdm_buf_init(&loc);
    mdm_status rc = mdm_dsm_location(s->dsm, name, &loc, err);
    if (rc == MDM_OK)
        fprintf(cli->io->out,
                "dataset    %s\nbackend    %s\nlocation   %s\nserved by  %s (storage.reads: %s)\n\n",
                res->name, mdm_dsm_backend(s->dsm), mdm_buf_str(&loc), mdm_impl_name(res->impl),
                res->reason);
    mdm_buf_reset(&loc);
    return rc;
}

int mdm_cmd_info(mdm_cli *cli, const cli_args *a)
{
    mdm_out_format fmt;
    mdm_dsm_result res;
    cli_session s;
    mdm_table t;
    mdm_error err;
    mdm_error_clear(&err);
    if (cli_format(a, &fmt, &err) != MDM_OK)
        return cli_usage(cli, "--format: %s", err.message);
    mdm_table_init(&t);
    mdm_status rc = cli_session_open(cli, &s, true, &err);
    if (rc == MDM_OK)
        rc = mdm_dsm_info(s.dsm, a->pos[0], &t, &res, &err);
    if (rc == MDM_OK && fmt == MDM_OUT_TABLE)
        rc = info_header(cli, &s, a->pos[0], &res, &err);
    if (rc == MDM_OK)
        rc = mdm_output_write(&t, fmt, cli->io->out, &err);
    mdm_table_reset(&t);
    return finish(cli, &s, rc, &err);
}

int mdm_cmd_list(mdm_cli *cli, const cli_args *a)
{
    mdm_out_format fmt;
    cli_session s;
    mdm_table t;
    mdm_error err;
    mdm_error_clear(&err);
    if (cli_format(a, &fmt, &err) != MDM_OK)
        return cli_usage(cli, "--format: %s", err.message);
    mdm_table_init(&t);
    mdm_status rc = cli_session_open(cli, &s, true, &err);
    if (rc == MDM_OK)
        rc = mdm_dsm_list(s.dsm, &t, &err);
    if (rc == MDM_OK)
        rc = mdm_output_write(&t, fmt, cli->io->out, &err);
    mdm_table_reset(&t);
    return finish(cli, &s, rc, &err);
}

int mdm_cmd_remove(mdm_cli *cli, const cli_args *a)
{
    mdm_dsm_result res;
    cli_session s;
    mdm_error err;
    mdm_error_clear(&err);
    mdm_status rc = cli_session_open(cli, &s, true, &err);
    if (rc == MDM_OK)
        rc = mdm_dsm_remove(s.dsm, a->pos[0], &res, &err);
    if (rc == MDM_OK)
        fprintf(cli->io->out, "removed '%s' [%s]\n", res.name, mdm_impl_name(res.impl));
    return finish(cli, &s, rc, &err);
}
