/* SPDX-License-Identifier: MIT */
/*
 * test_cli_inputs.c - the files users have (issue 18): `mdm register` of a
 * Kaggle-style folder (four files: train, a zstd test, a semicolon sample
 * submission and one mapped with --table), of gzip, bzip2, xz, zstd and zip
 * files, of a semicolon file, a .tsv and standard input, each read back
 * with `mdm load`, on every implementation of this build and on SQLite and
 * (with MDM_PG_DSN) PostgreSQL. And the failures: a truncated or corrupt
 * gzip, a name that lies about the format, a zip of two files, unknown
 * files in a folder, a folder whose table exists: each a clear message,
 * and the dataset as it was.
 *
 * The compressed inputs are made here with the same libraries mdm reads
 * them with (zlib, libbz2, liblzma, libzstd, libarchive).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <bzlib.h>
#include <limits.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "test_mdm_cli.h"
#include "test_support.h"

typedef struct fx {
    char dir[256], home[320], bin[PATH_MAX];
    char pgconf[320];       /* PostgreSQL config file; "" without a server */
    char prefix[64];        /* PostgreSQL databases: <prefix><name> */
    const char *config;     /* --config, or NULL (SQLite) */
    const char *impl;
    const char *stdin_path; /* for the next run, or NULL */
    int status;
    char *out, *err;
} fx;

/* What every input holds (in its own separator), and how it loads. */
#define WANT "id,name,score\n1,\"Braund, Owen\",7.5\n2,Cumings,\n3,Heikkinen,1.25\n"
static const char CSV_COMMA[] = "id,name,score\n1,\"Braund, Owen\",7.5\n2,Cumings,\n3,Heikkinen,1.25\n";

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    mdm_test_cli_bin(f->bin, sizeof f->bin);
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->prefix, sizeof f->prefix, "mdmin%ld_", (long)getpid());
    snprintf(f->pgconf, sizeof f->pgconf, "%s/pg.yaml", f->dir);
    int pg = mdm_test_pg_config(f->pgconf, f->prefix);
    if (pg < 0)
        return -1;
    if (pg == 0)
        f->pgconf[0] = '\0';   /* no server */
    return mkdir(f->home, 0755);
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f == NULL)
        return 0;
    mdm_test_rmrf(f->dir);
    free(f->out);
    free(f->err);
    free(f);
    return 0;
}

/* mdm --home H [--config C] --impl I args... to completion. */
static int run(fx *f, ...)
{
    const char *args[40];
    char out[400], err[400];
    size_t n = 0;
    va_list ap;
    args[n++] = "--home";
    args[n++] = f->home;
    if (f->config != NULL) {
        args[n++] = "--config";
        args[n++] = f->config;
    }
    args[n++] = "--impl";
    args[n++] = f->impl;
    va_start(ap, f);
    for (const char *s; n < 39 && (s = va_arg(ap, const char *)) != NULL;)
        args[n++] = s;
    va_end(ap);
    args[n] = NULL;
    snprintf(out, sizeof out, "%s/stdout", f->dir);
    snprintf(err, sizeof err, "%s/stderr", f->dir);
    pid_t pid = mdm_test_spawn_in(f->bin, args, f->dir,
                                  f->stdin_path != NULL ? f->stdin_path : "/dev/null", out, err);
    f->stdin_path = NULL;
    f->status = mdm_test_wait(pid);
    free(f->out);
    free(f->err);
    f->out = mdm_test_slurp(out);
    f->err = mdm_test_slurp(err);
    return f->status;
}

static void ok(fx *f, const char *what)
{
    if (f->status != 0)
        fail_msg("%s [%s]: exit %d: %s", what, f->impl, f->status, f->err);
}

/* `load NAME --table T --format csv` prints want. */
static void loads(fx *f, const char *name, const char *table, const char *want)
{
    run(f, "load", name, "--table", table, "--format", "csv", NULL);
    ok(f, "load");
    if (strcmp(f->out, want) != 0)
        fail_msg("%s.%s [%s]: loaded\n%s\nwanted\n%s", name, table, f->impl, f->out, want);
}

/* ---- making inputs -------------------------------------------------------- */

static void put(const fx *f, const char *name, const void *data, size_t len, char *path,
                size_t n)
{
    snprintf(path, n, "%s/%s", f->dir, name);
    assert_int_equal(mdm_test_write_file(path, data, len), 0);
}

static void put_gzip(const fx *f, const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", f->dir, name);
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(g), Z_OK);
}

static void put_zstd(const fx *f, const char *name, const char *text, char *path, size_t n)
{
    size_t cap = ZSTD_compressBound(strlen(text));
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = ZSTD_compress(buf, cap, text, strlen(text), 3);
    assert_false(ZSTD_isError(len));
    put(f, name, buf, len, path, n);
    free(buf);
}

static void put_bzip2(const fx *f, const char *name, const char *text, char *path, size_t n)
{
    char buf[4096];
    unsigned len = sizeof buf;
    assert_int_equal(BZ2_bzBuffToBuffCompress(buf, &len, (char *)text, (unsigned)strlen(text),
                                              9, 0, 0), BZ_OK);
    put(f, name, buf, len, path, n);
}

static void put_xz(const fx *f, const char *name, const char *text, char *path, size_t n)
{
    uint8_t buf[4096];
    size_t len = 0;
    assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text,
                                             strlen(text), buf, &len, sizeof buf), LZMA_OK);
    put(f, name, buf, len, path, n);
}

/* A zip of the members given (name, text, name, text, ..., NULL). */
static void put_zip(const fx *f, const char *name, char *path, size_t n, ...)
{
    snprintf(path, n, "%s/%s", f->dir, name);
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    va_list ap;
    va_start(ap, n);
    for (const char *member; (member = va_arg(ap, const char *)) != NULL;) {
        const char *text = va_arg(ap, const char *);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, member);
        archive_entry_set_size(e, (la_int64_t)strlen(text));
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, text, strlen(text)), (la_ssize_t)strlen(text));
        archive_entry_free(e);
    }
    va_end(ap);
    assert_int_equal(archive_write_free(a), ARCHIVE_OK);
}

/* The same table as CSV_COMMA with ';' between fields and a decimal point
 * (the comma inside a field needs no quotes any more). */
static const char *semi_input(void)
{
    return "id;name;score\n1;Braund, Owen;7.5\n2;Cumings;\n3;Heikkinen;1.25\n";
}

/* ---- the matrix ----------------------------------------------------------- */

typedef void (*case_fn)(fx *f);

/* Runs fn under every implementation of this build, on SQLite and (with a
 * server) PostgreSQL, each in a fresh home. */
static void each(fx *f, case_fn fn)
{
    static const char *const impls[] = {
#if MDM_WITH_LEGACY
        "legacy",
#endif
        "modern"};
    for (int pg = 0; pg < 2; pg++) {
        if (pg && f->pgconf[0] == '\0')
            continue;
        f->config = pg ? f->pgconf : NULL;
        for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
            f->impl = impls[i];
            fn(f);
        }
    }
}

/* Removes a dataset (its PostgreSQL database too); a missing one is fine. */
static void drop(fx *f, const char *name)
{
    run(f, "remove", name, NULL);
    assert_true(f->status == 0 || f->status == 3);
}

static void files_case(fx *f)
{
    char p[400];
    put_gzip(f, "in.csv.gz", CSV_COMMA, p, sizeof p);
    run(f, "register", "gz", p, NULL);
    ok(f, "register gzip");
    loads(f, "gz", "train", WANT);
    put_zstd(f, "in.csv.zst", CSV_COMMA, p, sizeof p);
    run(f, "register", "zst", p, "--table", "t", NULL);
    ok(f, "register zstd");
    loads(f, "zst", "t", WANT);
    put_zip(f, "in.zip", p, sizeof p, "data/in.csv", CSV_COMMA, (const char *)NULL);
    run(f, "register", "zip", p, NULL);
    ok(f, "register zip");
    loads(f, "zip", "train", WANT);
    put_bzip2(f, "in.csv.bz2", semi_input(), p, sizeof p);   /* sniffed inside too */
    run(f, "register", "bz", p, NULL);
    ok(f, "register bzip2");
    loads(f, "bz", "train", WANT);
    put_xz(f, "in.csv.xz", CSV_COMMA, p, sizeof p);
    run(f, "register", "xz", p, NULL);
    ok(f, "register xz");
    loads(f, "xz", "train", WANT);
    put(f, "semi.csv", semi_input(), strlen(semi_input()), p, sizeof p);
    run(f, "register", "semi", p, NULL);
    ok(f, "register semicolon");
    loads(f, "semi", "train", WANT);
    f->stdin_path = p;   /* the semicolon file again, through a pipe-less stdin */
    run(f, "register", "stdin", "-", "--sep", "semicolon", NULL);
    ok(f, "register -");
    loads(f, "stdin", "train", WANT);
    put_gzip(f, "in2.csv.gz", CSV_COMMA, p, sizeof p);
    f->stdin_path = p;   /* gzip on standard input: told by its bytes */
    run(f, "register", "stdin", "-", "--table", "gz", NULL);
    ok(f, "register - (gzip)");
    loads(f, "stdin", "gz", WANT);
    static const char *const names[] = {"gz", "zst", "zip", "bz", "xz", "semi", "stdin"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        drop(f, names[i]);
}

static void cli_inputs__files_on_every_store(void **state)
{
    each(*state, files_case);
}

/* The four-file folder: train.csv, test.csv.zst, sample_submission.csv
 * with semicolons, store.tsv mapped with --table. */
static void make_folder(fx *f, char *dir, size_t n)
{
    char p[400];
    snprintf(dir, n, "%s/titanic", f->dir);
    mkdir(dir, 0755);
    put(f, "titanic/train.csv", CSV_COMMA, strlen(CSV_COMMA), p, sizeof p);
    put_zstd(f, "titanic/test.csv.zst", "id,name\n4,Allen\n", p, sizeof p);
    put(f, "titanic/sample_submission.csv", "id;survived\n4;0\n", 16, p, sizeof p);
    put(f, "titanic/store.tsv", "id\tsite\n1\tS\n", 12, p, sizeof p);
}

static void folder_case(fx *f)
{
    char dir[340];
    make_folder(f, dir, sizeof dir);
    run(f, "register", "titanic", dir, NULL);   /* store.tsv is not in the layout */
    assert_int_equal(f->status, 2);
    assert_non_null(strstr(f->err, "'store.tsv'"));
    assert_non_null(strstr(f->err, "--table FILE=TABLE"));
    run(f, "info", "titanic", NULL);
    assert_int_equal(f->status, 3);   /* nothing made */
    run(f, "register", "titanic", dir, "--table", "store.tsv=store", NULL);
    ok(f, "register folder");
    assert_non_null(strstr(f->out, "in table 'train'"));
    assert_non_null(strstr(f->out, "new dataset"));
    loads(f, "titanic", "train", WANT);
    loads(f, "titanic", "test", "id,name\n4,Allen\n");
    loads(f, "titanic", "submission", "id,survived\n4,0\n");
    loads(f, "titanic", "store", "id,site\n1,S\n");
    run(f, "info", "titanic", NULL);
    ok(f, "info");
    assert_non_null(strstr(f->out, "submission"));
    assert_non_null(strstr(f->out, "store"));
    /* --if-exists fail: every table exists, none is written again */
    char p[400];
    snprintf(p, sizeof p, "%s/test.csv.zst", dir);
    assert_int_equal(unlink(p), 0);
    put(f, "titanic/test.csv", "id,name\n9,Other\n", 16, p, sizeof p);
    run(f, "register", "titanic", dir, "--table", "store.tsv=store", NULL);
    assert_int_equal(f->status, 5);
    assert_non_null(strstr(f->err, "already exists"));
    loads(f, "titanic", "test", "id,name\n4,Allen\n");
    /* one bad file: no table changes, even under replace */
    put(f, "titanic/sample_submission.csv", "id;survived\n4;\"0\n", 16, p, sizeof p);
    run(f, "register", "titanic", dir, "--table", "store.tsv=store", "--if-exists", "replace",
        NULL);
    assert_int_equal(f->status, 1);
    assert_non_null(strstr(f->err, "sample_submission.csv:2"));
    loads(f, "titanic", "test", "id,name\n4,Allen\n");
    put(f, "titanic/sample_submission.csv", "id;survived\n9;1\n", 16, p, sizeof p);
    run(f, "register", "titanic", dir, "--table", "store.tsv=store", "--if-exists", "replace",
        NULL);
    ok(f, "register folder --if-exists replace");
    loads(f, "titanic", "test", "id,name\n9,Other\n");
    loads(f, "titanic", "submission", "id,survived\n9,1\n");
    /* a write that fails (store.tsv has a column its table lacks): on
     * modern every table is written in one transaction, so none changes;
     * legacy writes one table at a time, and the ones before keep their
     * new rows (app/README.md) */
    static const char wider[] = "id\tsite\tx\n2\tC\t1\n";
    put(f, "titanic/store.tsv", wider, strlen(wider), p, sizeof p);
    run(f, "register", "titanic", dir, "--table", "store.tsv=store", "--if-exists", "append",
        NULL);
    assert_int_not_equal(f->status, 0);
    assert_non_null(strstr(f->err, "table store"));
    loads(f, "titanic", "store", "id,site\n1,S\n");
    if (strcmp(f->impl, "modern") == 0) {
        loads(f, "titanic", "test", "id,name\n9,Other\n");
        loads(f, "titanic", "submission", "id,survived\n9,1\n");
    }
    drop(f, "titanic");
    mdm_test_rmrf(dir);
}

static void cli_inputs__kaggle_folder_on_every_store(void **state)
{
    each(*state, folder_case);
}

static void truncated_case(fx *f)
{
    char p[400], bad[400];
    static const char v2[] = "id,name,score\n7,Seven,0.5\n";
    put(f, "good.csv", CSV_COMMA, strlen(CSV_COMMA), p, sizeof p);
    run(f, "register", "keep", p, NULL);
    ok(f, "register");
    /* a truncated gzip: the first half of a real one */
    put_gzip(f, "v2.csv.gz", v2, p, sizeof p);
    char *gz = mdm_test_slurp(p);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    put(f, "cut.csv.gz", gz, (size_t)st.st_size / 2, bad, sizeof bad);
    free(gz);
    run(f, "register", "keep", bad, "--if-exists", "replace", NULL);
    assert_int_equal(f->status, 1);
    assert_non_null(strstr(f->err, bad));
    assert_non_null(strstr(f->err, "truncated gzip data"));
    assert_non_null(strstr(f->err, "at byte"));
    loads(f, "keep", "train", WANT);
    run(f, "register", "fresh", bad, NULL);   /* a new dataset is not left behind */
    assert_int_equal(f->status, 1);
    run(f, "info", "fresh", NULL);
    assert_int_equal(f->status, 3);
    run(f, "register", "keep", p, "--if-exists", "replace", NULL);   /* the whole file works */
    ok(f, "register whole gzip");
    loads(f, "keep", "train", "id,name,score\n7,Seven,0.5\n");
    drop(f, "keep");
}

static void cli_inputs__truncated_gzip_changes_nothing(void **state)
{
    each(*state, truncated_case);
}

/* Errors that need no store: SQLite and the default implementation. */
static void cli_inputs__bad_inputs_are_named(void **state)
{
    fx *f = *state;
    char p[400];
    f->impl = "modern";
    /* corrupt: a byte of the deflate stream changed */
    char big[8192];
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof big - n, "id,v\n");
    for (int i = 0; n < sizeof big - 32; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%d,%d\n", i, i * 7919 % 1000);
    put_gzip(f, "c.csv.gz", big, p, sizeof p);
    char *gz = mdm_test_slurp(p);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    gz[20] ^= 0x5a;
    gz[21] ^= 0xa5;
    put(f, "c.csv.gz", gz, (size_t)st.st_size, p, sizeof p);
    free(gz);
    run(f, "register", "c", p, NULL);
    assert_int_equal(f->status, 1);
    assert_non_null(strstr(f->err, "c.csv.gz: corrupt gzip data at byte "));
    run(f, "list", NULL);
    assert_null(strstr(f->out, "c "));
    /* a name that lies */
    put(f, "plain.csv.gz", CSV_COMMA, strlen(CSV_COMMA), p, sizeof p);
    run(f, "register", "c", p, NULL);
    assert_int_equal(f->status, 1);
    assert_non_null(strstr(f->err, "the name says gzip but the first bytes are not compressed"));
    /* a zip of two files */
    put_zip(f, "two.zip", p, sizeof p, "a.csv", CSV_COMMA, "b.csv", CSV_COMMA, (const char *)NULL);
    run(f, "register", "c", p, NULL);
    assert_int_equal(f->status, 1);
    assert_non_null(strstr(f->err, "more than one file ('a.csv', 'b.csv'"));
    /* a truncated zstd and xz */
    put_zstd(f, "t.csv.zst", big, p, sizeof p);
    assert_int_equal(truncate(p, 40), 0);
    run(f, "register", "c", p, NULL);
    assert_int_equal(f->status, 1);
    assert_non_null(strstr(f->err, "truncated zstd data"));
    put_xz(f, "t.csv.xz", CSV_COMMA, p, sizeof p);
    assert_int_equal(truncate(p, 30), 0);
    run(f, "register", "c", p, NULL);
    assert_int_equal(f->status, 1);
    assert_non_null(strstr(f->err, "xz data"));
    /* --sep: a bad value; an explicit one wins over sniffing */
    put(f, "semi.csv", semi_input(), strlen(semi_input()), p, sizeof p);
    run(f, "register", "c", p, "--sep", "ab", NULL);
    assert_int_equal(f->status, 2);
    assert_non_null(strstr(f->err, "--sep"));
    put(f, "ab.csv", "a;b\n1;2\n", 8, p, sizeof p);
    run(f, "register", "c", p, "--sep", ",", NULL);
    ok(f, "register --sep ,");
    assert_non_null(strstr(f->out, "1 rows x 1 columns"));
    loads(f, "c", "train", "a;b\n1;2\n");
    /* a folder: --table without FILE=, nothing to register, missing input */
    char dir[400];
    snprintf(dir, sizeof dir, "%s/empty", f->dir);
    mkdir(dir, 0755);
    run(f, "register", "d", dir, NULL);
    assert_int_equal(f->status, 2);
    assert_non_null(strstr(f->err, "holds no file"));
    put(f, "empty/train.csv", CSV_COMMA, strlen(CSV_COMMA), p, sizeof p);
    run(f, "register", "d", dir, "--table", "x", NULL);
    assert_int_equal(f->status, 2);
    assert_non_null(strstr(f->err, "--table FILE=TABLE"));
    put(f, "empty/gender_submission.csv", "id\n1\n", 5, p, sizeof p);
    put(f, "empty/sample_submission.csv", "id\n1\n", 5, p, sizeof p);
    run(f, "register", "d", dir, NULL);
    assert_int_equal(f->status, 2);   /* a usage error: two files for one table */
    assert_non_null(strstr(f->err, "written twice"));
    run(f, "register", "d", "nothing-here.csv.gz", NULL);
    assert_int_equal(f->status, 3);
}

/* `mdm help --man` is a man page of every command that groff renders
 * without a warning; `mdm help --bash` completes commands, options,
 * option values and dataset names. */
static void cli_inputs__man_page_and_completion(void **state)
{
    fx *f = *state;
    char p[400], script[6000], cmd[1600];
    f->impl = "modern";
    run(f, "help", "--man", NULL);
    ok(f, "help --man");
    assert_non_null(strstr(f->out, ".TH MDM 1"));
    static const char *const sections[] = {
        ".SS \"mdm register NAME FILE.csv|DIR|\\-", ".SS \"mdm load NAME", ".SS \"mdm query NAME",
        ".SS \"mdm info", ".SS \"mdm list", ".SS \"mdm remove", ".SS \"mdm flags",
        ".SS \"mdm config migrate", "\\-\\-sep S", ".SH EXIT STATUS", ".SH ENVIRONMENT"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (strstr(f->out, sections[i]) == NULL)
            fail_msg("man page lacks %s", sections[i]);
    put(f, "mdm.1", f->out, strlen(f->out), p, sizeof p);
    snprintf(cmd, sizeof cmd, "groff -man -Tutf8 -ww -z %s 2>%s/groff.err", p, f->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/groff.err", f->dir);
    char *warn = mdm_test_slurp(p);
    assert_string_equal(warn, "");
    free(warn);

    put(f, "in.csv", CSV_COMMA, strlen(CSV_COMMA), p, sizeof p);
    run(f, "register", "titanic", p, NULL);
    ok(f, "register");
    run(f, "help", "--bash", NULL);
    ok(f, "help --bash");
    put(f, "mdm.bash", f->out, strlen(f->out), p, sizeof p);
    snprintf(script, sizeof script,
             "source %s\n"
             "mdm() { %s \"$@\"; }\n"
             "c() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=();"
             " _mdm; echo \"${COMPREPLY[*]}\"; }\n"
             "c mdm re\nc mdm register d x --if-exists r\nc mdm register d x --s\n"
             "c mdm --home %s load ti\nc mdm config m\n", p, f->bin, f->home);
    put(f, "complete.sh", script, strlen(script), p, sizeof p);
    snprintf(cmd, sizeof cmd, "bash %s >%s/complete.out 2>&1", p, f->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/complete.out", f->dir);
    char *got = mdm_test_slurp(p);
    assert_string_equal(got, "register remove\nreplace\n--sep\ntitanic\nmigrate\n");
    free(got);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(cli_inputs__files_on_every_store),
        T(cli_inputs__kaggle_folder_on_every_store),
        T(cli_inputs__truncated_gzip_changes_nothing),
        T(cli_inputs__bad_inputs_are_named),
        T(cli_inputs__man_page_and_completion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
