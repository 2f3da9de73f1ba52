/* SPDX-License-Identifier: MIT */
/*
 * test_input.c - core's input files (mdm_input.h): several gzip members
 * and bzip2 streams in one file, a short file, standard input, names and
 * suffixes, and the errors (a name that lies, a file that is not there, a
 * folder). The CLI tests (test_cli_inputs.c) cover each format end to end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <bzlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "mdm_input.h"
#include "test_support.h"

typedef struct fx {
    char dir[256];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
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

/* Opens path, which must work, and checks its bytes. */
static void reads_as(const char *path, const char *want, mdm_compression comp)
{
    mdm_input in;
    mdm_error e;
    if (mdm_input_open(path, &in, &e) != MDM_OK)
        fail_msg("%s: %s", path, e.message);
    assert_int_equal(in.comp, comp);
    assert_int_equal(in.len, strlen(want));
    assert_memory_equal(in.data, want, in.len);
    mdm_input_close(&in);
    mdm_input_close(&in);   /* a closed input: a no-op */
}

static void input__gzip_members_and_bzip2_streams_are_joined(void **state)
{
    fx *f = *state;
    char path[320], buf[2][256];
    snprintf(path, sizeof path, "%s/two.csv.gz", f->dir);
    for (int i = 0; i < 2; i++) {   /* "ab" appends a second member */
        gzFile g = gzopen(path, i == 0 ? "wb" : "ab");
        assert_non_null(g);
        assert_int_equal(gzputs(g, i == 0 ? "a,b\n1,2\n" : "3,4\n"), i == 0 ? 8 : 4);
        assert_int_equal(gzclose(g), Z_OK);
    }
    reads_as(path, "a,b\n1,2\n3,4\n", MDM_COMP_GZIP);
    unsigned n[2] = {sizeof buf[0], sizeof buf[1]};
    assert_int_equal(BZ2_bzBuffToBuffCompress(buf[0], &n[0], "a,b\n", 4, 9, 0, 0), BZ_OK);
    assert_int_equal(BZ2_bzBuffToBuffCompress(buf[1], &n[1], "5,6\n", 4, 9, 0, 0), BZ_OK);
    snprintf(path, sizeof path, "%s/two.bz2", f->dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf[0], 1, n[0], fp), n[0]);
    assert_int_equal(fwrite(buf[1], 1, n[1], fp), n[1]);
    assert_int_equal(fclose(fp), 0);
    reads_as(path, "a,b\n5,6\n", MDM_COMP_BZIP2);
}

static void input__short_empty_and_stdin(void **state)
{
    fx *f = *state;
    char path[320];
    snprintf(path, sizeof path, "%s/short.csv", f->dir);
    assert_int_equal(mdm_test_write_file(path, "a\n", 2), 0);
    reads_as(path, "a\n", MDM_COMP_NONE);
    snprintf(path, sizeof path, "%s/empty.csv", f->dir);
    assert_int_equal(mdm_test_write_file(path, "", 0), 0);
    reads_as(path, "", MDM_COMP_NONE);
    /* "-": standard input, named <stdin> */
    snprintf(path, sizeof path, "%s/short.csv", f->dir);
    int saved = dup(0), fd = open(path, O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    mdm_input in;
    mdm_error e;
    mdm_status rc = mdm_input_open("-", &in, &e);
    assert_int_equal(dup2(saved, 0), 0);
    close(fd);
    close(saved);
    assert_int_equal(rc, MDM_OK);
    assert_string_equal(in.name, MDM_INPUT_STDIN_NAME);
    assert_int_equal(in.len, 2);
    mdm_input_close(&in);
}

/* Decompressed text past 8 MiB goes on in an unlinked temporary file in
 * $TMPDIR, mapped at the end: the same bytes, a mapping, and nothing left
 * in the folder; a $TMPDIR that cannot take it is an IO error naming it. */
static void input__big_decompressed_text_is_spooled_to_a_temporary_file(void **state)
{
    fx *f = *state;
    char path[320], tmp[320], line[64];
    enum { LINES = 700000 };   /* about 11 MB of text */
    snprintf(path, sizeof path, "%s/big.csv.gz", f->dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", f->dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    gzFile g = gzopen(path, "wb1");
    assert_non_null(g);
    size_t total = 0;
    for (int i = 0; i < LINES; i++) {
        int n = snprintf(line, sizeof line, "%d,row %d\n", i, i);
        assert_int_equal(gzwrite(g, line, (unsigned)n), n);
        total += (size_t)n;
    }
    assert_int_equal(gzclose(g), Z_OK);
    const char *saved = getenv("TMPDIR");
    char *keep = saved != NULL ? strdup(saved) : NULL;
    setenv("TMPDIR", tmp, 1);
    mdm_input in;
    mdm_error e;
    mdm_status rc = mdm_input_open(path, &in, &e);
    if (rc != MDM_OK)
        fail_msg("%s", e.message);
    assert_int_equal(in.len, total);
    assert_true(in.mapped);
    int last = snprintf(line, sizeof line, "%d,row %d\n", LINES - 1, LINES - 1);
    assert_memory_equal(in.data + total - (size_t)last, line, (size_t)last);
    assert_memory_equal(in.data, "0,row 0\n1,row 1\n", 16);
    mdm_input_close(&in);
    assert_int_equal(rmdir(tmp), 0);   /* empty: the file was never named there, or is gone */
    setenv("TMPDIR", tmp, 1);            /* now missing */
    assert_int_equal(mdm_input_open(path, &in, &e), MDM_ERR_IO);
    assert_non_null(strstr(e.message, "cannot make a temporary file in"));
    assert_non_null(strstr(e.message, tmp));
    if (keep != NULL)
        setenv("TMPDIR", keep, 1);
    else
        unsetenv("TMPDIR");
    free(keep);
}

static void input__errors_name_the_file(void **state)
{
    fx *f = *state;
    char path[320];
    mdm_input in;
    mdm_error e;
    snprintf(path, sizeof path, "%s/plain.csv.zst", f->dir);
    assert_int_equal(mdm_test_write_file(path, "a,b\n", 4), 0);
    assert_int_equal(mdm_input_open(path, &in, &e), MDM_ERR_PARSE);
    assert_non_null(strstr(e.message, "the name says zstd but the first bytes are not compressed"));
    snprintf(path, sizeof path, "%s/gz.csv.xz", f->dir);
    assert_int_equal(mdm_test_write_file(path, "\x1f\x8b\x08\x00", 4), 0);
    assert_int_equal(mdm_input_open(path, &in, &e), MDM_ERR_PARSE);
    assert_non_null(strstr(e.message, "the name says xz but the first bytes are gzip data"));
    snprintf(path, sizeof path, "%s/cut.csv.gz", f->dir);   /* a gzip header and no more */
    assert_int_equal(mdm_input_open(path, &in, &e), MDM_ERR_NOT_FOUND);
    assert_int_equal(mdm_test_write_file(path, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10), 0);
    assert_int_equal(mdm_input_open(path, &in, &e), MDM_ERR_PARSE);
    assert_non_null(strstr(e.message, "cut.csv.gz: truncated gzip data: the input ends at byte 10"));
    snprintf(path, sizeof path, "%s/bad.bz2", f->dir);
    assert_int_equal(mdm_test_write_file(path, "BZh9\x31\x41\x59\x26\x53\x59xxxxxxxxxxxx", 22), 0);
    assert_int_equal(mdm_input_open(path, &in, &e), MDM_ERR_PARSE);
    assert_non_null(strstr(e.message, "bad.bz2: corrupt bzip2 data at byte"));
    assert_int_equal(mdm_input_open(f->dir, &in, &e), MDM_ERR_IO);
    assert_non_null(strstr(e.message, "directory"));
    assert_int_equal(mdm_input_open(NULL, &in, &e), MDM_ERR_INVALID_ARG);
    mdm_input_close(NULL);
}

static void input__names(void **state)
{
    (void)state;
    assert_int_equal(mdm_input_inner_len("train.csv.gz"), 9);
    assert_int_equal(mdm_input_inner_len("train.CSV.ZST"), 9);
    assert_int_equal(mdm_input_inner_len("train.csv"), 9);
    assert_int_equal(mdm_input_inner_len("a.zip"), 1);
    assert_string_equal(mdm_compression_name(MDM_COMP_ZIP), "zip");
    assert_string_equal(mdm_compression_name(MDM_COMP_NONE), "none");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(input__gzip_members_and_bzip2_streams_are_joined),
        T(input__big_decompressed_text_is_spooled_to_a_temporary_file),
        T(input__short_empty_and_stdin),
        T(input__errors_name_the_file),
        T(input__names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
