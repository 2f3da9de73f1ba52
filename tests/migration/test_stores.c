/* SPDX-License-Identifier: MIT */
/*
 * test_stores.c - the seam itself: both stores (adapter/mdm_store.h), made
 * by a router as the program and the harness make them, through every
 * slot on SQLite and (with MDM_PG_DSN) PostgreSQL, with the same
 * expectations for both implementations wherever the interface promises
 * the same; and the router's own contract (settings, routes, shadow runs,
 * argument checks). Out-of-memory paths are test_stores_fault.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdm_dsn.h"
#include "mdm_router.h"
#include "mdm_store.h"
#include "test_support.h"

typedef struct fx {
    const char *backend;
    mdm_impl impl;
    char dir[256];
    char db[320];          /* SQLite path or PostgreSQL database name */
    mdm_router *router;
    mdm_store *s;
} fx;

static mdm_router *router_for(const char *backend, unsigned faults)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_pool_opts pool = MDM_POOL_OPTS_INIT;
    mdm_router *r = NULL;
    mdm_error err;
    memset(&set, 0, sizeof set);
    set.backend = backend;
    set.pg_dsn = mdm_test_pg_dsn();
    set.pool = pool;
    set.faults = faults;
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    if (mdm_router_new(&r, &ro, &err) != MDM_OK)
        fail_msg("router: %s", err.message);
    return r;
}

static int setup(void **state, const char *backend, mdm_impl impl)
{
    static int seq;
    fx *f = calloc(1, sizeof *f);
    mdm_error err;
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    f->backend = backend;
    f->impl = impl;
    if (strcmp(backend, "postgresql") == 0)
        snprintf(f->db, sizeof f->db, "mdm_stores_%ld_%d", (long)getpid(), seq++);
    else
        snprintf(f->db, sizeof f->db, "%s/stores.sqlite", f->dir);
    *state = f;
    if (strcmp(backend, "postgresql") == 0 && mdm_test_pg_dsn() == NULL)
        return 0;   /* the test skips */
    f->router = router_for(backend, 0);
    if (mdm_router_store(f->router, impl, &f->s, &err) != MDM_OK)
        return -1;
    return f->s->ops->db_create(f->s, f->db, &err) == MDM_OK ? 0 : -1;
}

static int setup_sqlite_modern(void **state) { return setup(state, "sqlite", MDM_IMPL_MODERN); }
static int setup_sqlite_legacy(void **state) { return setup(state, "sqlite", MDM_IMPL_LEGACY); }
static int setup_pg_modern(void **state) { return setup(state, "postgresql", MDM_IMPL_MODERN); }
static int setup_pg_legacy(void **state) { return setup(state, "postgresql", MDM_IMPL_LEGACY); }

static int teardown(void **state)
{
    fx *f = *state;
    mdm_error err;
    bool there = false;
    if (f->s != NULL && f->s->ops->db_exists(f->s, f->db, &there, &err) == MDM_OK && there)
        (void)f->s->ops->db_drop(f->s, f->db, &err);
    mdm_router_free(f->router);
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

static fx *ready(void **state)
{
    fx *f = *state;
    if (strcmp(f->backend, "postgresql") == 0)
        MDM_TEST_REQUIRE_PG();
    return f;
}

#define OK(call)                                                          \
    do {                                                                  \
        mdm_error e_;                                                     \
        mdm_error_clear(&e_);                                             \
        mdm_status rc_ = (call);                                          \
        if (rc_ != MDM_OK)                                                \
            fail_msg("%s: %s (%s)", #call, mdm_status_name(rc_), e_.message); \
    } while (0)
#define E (&e_)

/* rows rows of (id INT64, name TEXT: NULL in every third row). */
static void make_rows(mdm_table *t, size_t rows)
{
    mdm_error err;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "name", MDM_TEXT, &err), MDM_OK);
    for (size_t r = 0; r < rows; r++) {
        char name[32];
        snprintf(name, sizeof name, "n%zu", r);
        assert_int_equal(mdm_table_push_int64(t, 0, (int64_t)r, &err), MDM_OK);
        if (r % 3 == 2)
            assert_int_equal(mdm_table_push_null(t, 1, &err), MDM_OK);
        else
            assert_int_equal(mdm_table_push_text(t, 1, name, strlen(name), &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &err), MDM_OK);
    }
}

typedef struct progress {
    int calls;
    uint64_t last_done, last_total;
} progress;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress *p = ctx;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
}

static int64_t count(fx *f, const char *table)
{
    char sql[128];
    mdm_table t;
    mdm_table_init(&t);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) AS n FROM %s", table);
    OK(f->s->ops->query(f->s, f->db, sql, NULL, 0, false, &t, E));
    int64_t n = mdm_table_int64(&t, 0, 0);
    mdm_table_reset(&t);
    return n;
}

/* ---- every slot ------------------------------------------------------------------- */

static void stores__write_read_and_the_catalog(void **state)
{
    fx *f = ready(state);
    mdm_store *s = f->s;
    mdm_table t, got;
    mdm_strlist names;
    mdm_table_info ti;
    progress p = {0, 0, 0};
    bool there = false;
    mdm_error err;

    make_rows(&t, 10);
    mdm_table_init(&got);
    OK(s->ops->db_exists(s, f->db, &there, E));
    assert_true(there);
    OK(s->ops->write(s, f->db, "train", &t, MDM_IF_EXISTS_FAIL, on_progress, &p, E));
    assert_true(p.calls >= 1);
    assert_int_equal(p.last_done, 10);
    assert_int_equal(p.last_total, 10);
    assert_int_equal(s->ops->write(s, f->db, "train", &t, MDM_IF_EXISTS_FAIL, NULL, NULL, &err),
                     MDM_ERR_EXISTS);
    OK(s->ops->write(s, f->db, "train", &t, MDM_IF_EXISTS_APPEND, NULL, NULL, E));
    assert_int_equal(count(f, "train"), 20);
    OK(s->ops->write(s, f->db, "train", &t, MDM_IF_EXISTS_REPLACE, NULL, NULL, E));
    assert_int_equal(count(f, "train"), 10);

    const char *cols[] = {"name"};
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    ro.columns = cols;
    ro.ncolumns = 1;
    ro.has_limit = true;
    ro.limit = 4;
    OK(s->ops->read(s, f->db, "train", &ro, &got, E));
    assert_int_equal(got.ncols, 1);
    assert_int_equal(got.nrows, 4);
    assert_string_equal(got.cols[0].name, "name");
    assert_true(mdm_table_is_null(&got, 0, 2));
    const char *missing[] = {"nope"};
    ro.columns = missing;
    assert_int_equal(s->ops->read(s, f->db, "train", &ro, &got, &err), MDM_ERR_NOT_FOUND);

    mdm_strlist_init(&names);
    OK(s->ops->tables(s, f->db, &names, E));
    assert_int_equal(names.count, 1);
    assert_string_equal(names.items[0], "train");
    mdm_strlist_reset(&names);

    mdm_table_info_init(&ti);
    OK(s->ops->table_info(s, f->db, "train", &ti, E));
    assert_int_equal(ti.ncolumns, 2);
    assert_int_equal(ti.row_count, 10);
    mdm_table_info_reset(&ti);

    OK(s->ops->table_exists(s, f->db, "train", &there, E));
    assert_true(there);
    OK(s->ops->table_drop(s, f->db, "train", E));
    OK(s->ops->table_exists(s, f->db, "train", &there, E));
    assert_false(there);
    assert_int_not_equal(s->ops->table_drop(s, f->db, "train", &err), MDM_OK);
    assert_true(err.message[0] != '\0');

    OK(s->ops->db_drop(s, f->db, E));   /* the modern store's pool for it goes too */
    OK(s->ops->db_exists(s, f->db, &there, E));
    assert_false(there);
    mdm_table_reset(&t);
    mdm_table_reset(&got);
}

/* Parameters of every type: bound by modern, written in as literals by
 * legacy; the answers are the same. */
static void stores__parameters_of_every_type(void **state)
{
    fx *f = ready(state);
    mdm_store *s = f->s;
    mdm_table got;
    mdm_error err;
    mdm_param p[] = {
        mdm_param_int64("i", -7),
        mdm_param_float64("x", 0.1),
        mdm_param_text("t", "it's"),
        mdm_param_null("n", MDM_TEXT),
    };
    mdm_table_init(&got);
    OK(s->ops->query(s, f->db, "SELECT :i AS i, :x AS x, :t AS t, :n AS n", p, 4, false, &got,
                     E));
    assert_int_equal(got.nrows, 1);
    assert_int_equal(mdm_table_int64(&got, 0, 0), -7);
    assert_true(mdm_table_float64(&got, 1, 0) == 0.1);
    assert_string_equal(mdm_table_text(&got, 2, 0, NULL), "it's");
    assert_true(mdm_table_is_null(&got, 3, 0));
    /* a :name without a value, and a value without a :name */
    assert_int_equal(s->ops->query(s, f->db, "SELECT :nope AS v", NULL, 0, false, &got, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(s->ops->query(s, f->db, "SELECT 1 AS v", p, 1, false, &got, &err),
                     MDM_ERR_INVALID_ARG);
    /* two statements are refused */
    assert_int_not_equal(s->ops->query(s, f->db, "SELECT 1; SELECT 2", NULL, 0, false, &got, &err),
                         MDM_OK);
    mdm_table_reset(&got);
}

/* Values that have no SQL literal: the legacy store refuses them (modern
 * binds them, or refuses a NUL byte itself). */
static void stores__values_without_a_literal(void **state)
{
    fx *f = ready(state);
    mdm_store *s = f->s;
    mdm_table got;
    mdm_error err;
    mdm_param nan = mdm_param_float64("x", NAN);
    mdm_param nul = mdm_param_textn("t", "a\0b", 3);
    mdm_param bad = mdm_param_int64("9lives", 1);
    mdm_param ts = mdm_param_timestamp("ts", 86400000000LL);
    mdm_param flag = mdm_param_bool("b", true);
    mdm_table_init(&got);
    if (f->impl == MDM_IMPL_LEGACY) {
        assert_int_equal(s->ops->query(s, f->db, "SELECT :x AS x", &nan, 1, false, &got, &err),
                         MDM_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "finite"));
    }
    assert_int_equal(s->ops->query(s, f->db, "SELECT :t AS t", &nul, 1, false, &got, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(s->ops->query(s, f->db, "SELECT 1 AS one", &bad, 1, false, &got, &err),
                     MDM_ERR_INVALID_ARG);   /* a name no `:name` can spell */
    OK(s->ops->query(s, f->db, "SELECT :b AS b", &flag, 1, false, &got, E));
    assert_int_equal(got.nrows, 1);
    OK(s->ops->query(s, f->db, "SELECT :ts AS ts", &ts, 1, false, &got, E));
    assert_int_equal(got.nrows, 1);   /* bound, or written as '1970-01-02 00:00:00' */
    mdm_table_reset(&got);
}

/* dry: modern rolls back; legacy cannot. */
static void stores__dry_queries(void **state)
{
    fx *f = ready(state);
    mdm_store *s = f->s;
    mdm_table t, got;
    mdm_error err;
    make_rows(&t, 3);
    mdm_table_init(&got);
    OK(s->ops->write(s, f->db, "train", &t, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    mdm_status rc = s->ops->query(s, f->db, "DELETE FROM train", NULL, 0, true, &got, &err);
    if (f->impl == MDM_IMPL_LEGACY)
        assert_int_equal(rc, MDM_ERR_UNSUPPORTED);
    else
        assert_int_equal(rc, MDM_OK);
    assert_int_equal(count(f, "train"), 3);
    mdm_table_reset(&t);
    mdm_table_reset(&got);
}

/* The server's databases: modern lists them; SQLite's are files. */
static void stores__database_lists(void **state)
{
    fx *f = ready(state);
    mdm_strlist names;
    mdm_error err;
    bool found = false;
    mdm_strlist_init(&names);
    mdm_status rc = mdm_router_list_databases(f->router, &names, &err);
    if (strcmp(f->backend, "sqlite") == 0) {
        assert_int_equal(rc, MDM_ERR_UNSUPPORTED);
    } else {
        assert_int_equal(rc, MDM_OK);
        for (size_t i = 0; i < names.count; i++)
            found = found || strcmp(names.items[i], f->db) == 0;
        assert_true(found);
    }
    if (f->impl == MDM_IMPL_LEGACY)
        assert_null(f->s->ops->db_list);
    mdm_strlist_reset(&names);
}

/* A big write with progress: modern writes chunks in one transaction, and
 * a chunked write that fails leaves the old table as it was. */
static void stores__big_writes_with_progress(void **state)
{
    fx *f = ready(state);
    mdm_store *s = f->s;
    mdm_table big, small;
    progress p = {0, 0, 0};
    mdm_error err;
    make_rows(&big, 45000);
    make_rows(&small, 5);
    OK(s->ops->write(s, f->db, "train", &small, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    OK(s->ops->write(s, f->db, "train", &big, MDM_IF_EXISTS_REPLACE, on_progress, &p, E));
    assert_int_equal(count(f, "train"), 45000);
    assert_int_equal(p.last_done, 45000);
    if (f->impl == MDM_IMPL_MODERN)
        assert_int_equal(p.calls, 3);   /* 20,000 + 20,000 + 5,000 */
    assert_int_equal(s->ops->write(s, f->db, "train", &big, MDM_IF_EXISTS_FAIL, on_progress, &p,
                                   &err),
                     MDM_ERR_EXISTS);
    assert_int_equal(count(f, "train"), 45000);
    mdm_table_reset(&big);
    mdm_table_reset(&small);
}

/* ---- writes from a row source ---------------------------------------------------- */

/* chunks chunks of 1,000 rows (ids 0..), then the end; fail_at > 0: the
 * chunk of that number fails instead. */
typedef struct chunks {
    int chunks, fail_at, given;
} chunks;

static mdm_status next_chunk(void *ctx, mdm_table *chunk, mdm_error *err)
{
    chunks *c = ctx;
    mdm_table t;
    if (++c->given == c->fail_at)
        return mdm_error_set(err, MDM_ERR_PARSE, "planted: chunk %d", c->given);
    make_rows(&t, c->given <= c->chunks ? 1000 : 0);
    for (size_t r = 0; r < t.nrows; r++)
        t.cols[0].v.i64[r] += (int64_t)(c->given - 1) * 1000;
    mdm_table_reset(chunk);
    mdm_table_move(chunk, &t);
    return MDM_OK;
}

/* write_rows: every chunk of every table in one transaction; a failing
 * source rolls it all back, tables written before it included. The
 * legacy store writes whole frames only. */
static void stores__writes_from_a_row_source(void **state)
{
    fx *f = ready(state);
    mdm_store *s = f->s;
    progress p = {0, 0, 0};
    mdm_error err;
    if (f->impl == MDM_IMPL_LEGACY) {
        assert_null(s->ops->write_rows);
        assert_null(s->ops->build_rows);
        return;
    }
    chunks c = {3, 0, 0};
    mdm_row_source src = {next_chunk, &c, 3000};
    mdm_table_rows one = {"train", &src};
    OK(s->ops->write_rows(s, f->db, &one, 1, MDM_IF_EXISTS_FAIL, on_progress, &p, E));
    assert_int_equal(count(f, "train"), 3000);
    assert_int_equal(p.calls, 3);
    assert_int_equal(p.last_done, 3000);
    assert_int_equal(p.last_total, 3000);

    /* two tables, the second's source failing: neither changes */
    chunks good = {2, 0, 0}, bad = {3, 3, 0};
    mdm_row_source srcs[2] = {{next_chunk, &good, 2000}, {next_chunk, &bad, 3000}};
    mdm_table_rows two[2] = {{"train", &srcs[0]}, {"other", &srcs[1]}};
    assert_int_equal(s->ops->write_rows(s, f->db, two, 2, MDM_IF_EXISTS_REPLACE, NULL, NULL,
                                        &err),
                     MDM_ERR_PARSE);
    assert_int_equal(count(f, "train"), 3000);
    bool there = true;
    OK(s->ops->table_exists(s, f->db, "other", &there, E));
    assert_false(there);
    /* both good: one replaced, one made, progress over both */
    good = (chunks){2, 0, 0};
    bad = (chunks){3, 0, 0};
    p = (progress){0, 0, 0};
    OK(s->ops->write_rows(s, f->db, two, 2, MDM_IF_EXISTS_REPLACE, on_progress, &p, E));
    assert_int_equal(count(f, "train"), 2000);
    assert_int_equal(count(f, "other"), 3000);
    assert_int_equal(p.last_done, 5000);
    assert_int_equal(p.last_total, 5000);

    chunks none = {0, 0, 0};   /* no rows: the table is still made */
    src.ctx = &none;
    one.table = "empty";
    OK(s->ops->write_rows(s, f->db, &one, 1, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    assert_int_equal(count(f, "empty"), 0);
}

static bool file_there(const char *path)
{
    return access(path, F_OK) == 0;
}

/* The byte at offset 18 of a SQLite file: 2 when it is in WAL mode. */
static int header_byte18(const char *path)
{
    unsigned char h[100];
    FILE *fp = fopen(path, "rb");
    size_t n = fp != NULL ? fread(h, 1, sizeof h, fp) : 0;
    if (fp != NULL)
        fclose(fp);
    return n == sizeof h ? h[18] : -1;
}

/* build_rows (SQLite): a failure leaves the empty database as it was and
 * no file beside it; a success renames a whole new file in place, in the
 * configured journal mode (WAL), with a dead writer's leftover gone. */
static void stores__a_new_sqlite_dataset_is_built_beside_and_renamed(void **state)
{
    fx *f = ready(state);
    mdm_store *s = f->s;
    mdm_error err;
    char build[400];
    if (strcmp(f->backend, "postgresql") == 0) {
        chunks c = {1, 0, 0};
        mdm_row_source src = {next_chunk, &c, 1000};
        mdm_table_rows one = {"train", &src};
        assert_int_equal(s->ops->build_rows(s, f->db, &one, 1, NULL, NULL, &err),
                         MDM_ERR_UNSUPPORTED);
        return;
    }
    snprintf(build, sizeof build, "%s.build", f->db);
    chunks bad = {3, 2, 0};
    mdm_row_source src = {next_chunk, &bad, 3000};
    mdm_table_rows one = {"train", &src};
    assert_int_equal(s->ops->build_rows(s, f->db, &one, 1, NULL, NULL, &err), MDM_ERR_PARSE);
    assert_false(file_there(build));
    bool there = true;
    OK(s->ops->table_exists(s, f->db, "train", &there, E));
    assert_false(there);

    FILE *junk = fopen(build, "w");   /* what a writer killed while building leaves */
    assert_non_null(junk);
    fputs("not a database", junk);
    fclose(junk);
    chunks c = {3, 0, 0};
    progress p = {0, 0, 0};
    src.ctx = &c;
    OK(s->ops->build_rows(s, f->db, &one, 1, on_progress, &p, E));
    assert_false(file_there(build));
    assert_int_equal(count(f, "train"), 3000);
    assert_int_equal(p.last_done, 3000);
    assert_int_equal(header_byte18(f->db), 2);
    mdm_table t;
    mdm_table_init(&t);
    OK(s->ops->query(s, f->db, "SELECT SUM(id) AS s FROM train", NULL, 0, false, &t, E));
    assert_int_equal(mdm_table_int64(&t, 0, 0), 2999 * 3000 / 2);
    mdm_table_reset(&t);

    /* what cannot be renamed into place (a folder) fails and leaves nothing */
    char folder[300], inside[320], longpath[5000];
    snprintf(folder, sizeof folder, "%s/a-folder", f->dir);
    snprintf(inside, sizeof inside, "%s/x", folder);
    snprintf(build, sizeof build, "%s.build", folder);
    assert_int_equal(mkdir(folder, 0700), 0);
    junk = fopen(inside, "w");
    assert_non_null(junk);
    fclose(junk);
    chunks again = {1, 0, 0};
    src.ctx = &again;
    assert_int_equal(s->ops->build_rows(s, folder, &one, 1, NULL, NULL, &err), MDM_ERR_IO);
    assert_non_null(strstr(err.message, "cannot rename"));
    assert_false(file_there(build));
    assert_true(file_there(inside));
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(s->ops->build_rows(s, longpath, &one, 1, NULL, NULL, &err),
                     MDM_ERR_INVALID_ARG);
}

/* A replace that fails keeps the old table, and leaves no stage behind:
 * 2,001 columns are more than either backend takes. */
static void stores__a_failed_replace_keeps_the_old_table(void **state)
{
    fx *f = ready(state);
    mdm_store *s = f->s;
    mdm_table wide, small;
    mdm_strlist names;
    mdm_error err;
    make_rows(&small, 5);
    mdm_table_init(&wide);
    for (int c = 0; c < 2001; c++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", c);
        assert_int_equal(mdm_table_add_column(&wide, name, MDM_INT64, &err), MDM_OK);
    }
    for (int c = 0; c < 2001; c++)
        assert_int_equal(mdm_table_push_int64(&wide, (size_t)c, c, &err), MDM_OK);
    assert_int_equal(mdm_table_end_row(&wide, &err), MDM_OK);
    OK(s->ops->write(s, f->db, "train", &small, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    assert_int_not_equal(s->ops->write(s, f->db, "train", &wide, MDM_IF_EXISTS_REPLACE, NULL, NULL,
                                       &err),
                         MDM_OK);
    assert_int_equal(count(f, "train"), 5);
    mdm_strlist_init(&names);
    OK(s->ops->tables(s, f->db, &names, E));
    assert_int_equal(names.count, 1);
    mdm_strlist_reset(&names);
    mdm_table_reset(&wide);
    mdm_table_reset(&small);
}

/* SQLite: a view in the table's place. The legacy store stages the new
 * table, and its swap (DROP TABLE, ALTER ... RENAME in a transaction) fails
 * on the view: rolled back, the stage dropped, the view still there. */
static void stores__a_failed_swap_is_rolled_back(void **state)
{
    fx *f = ready(state);
    mdm_store *s = f->s;
    mdm_table t, got;
    mdm_error err;
    make_rows(&t, 4);
    mdm_table_init(&got);
    OK(s->ops->write(s, f->db, "base", &t, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    OK(s->ops->query(s, f->db, "CREATE VIEW train AS SELECT * FROM base", NULL, 0, false, &got, E));
    assert_int_not_equal(s->ops->write(s, f->db, "train", &t, MDM_IF_EXISTS_REPLACE, NULL, NULL,
                                       &err),
                         MDM_OK);
    assert_int_equal(count(f, "train"), 4);   /* the view answers */
    mdm_strlist names;
    mdm_strlist_init(&names);
    OK(s->ops->tables(s, f->db, &names, E));
    for (size_t i = 0; i < names.count; i++)
        if (strncmp(names.items[i], "mdm__stage_", 11) == 0)
            fail_msg("a stage was left: %s", names.items[i]);
    mdm_strlist_reset(&names);
    mdm_table_reset(&t);
    mdm_table_reset(&got);
}

/* ---- the router --------------------------------------------------------------------- */

static void router__checks_its_arguments(void **state)
{
    (void)state;
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_store *s = NULL;
    mdm_error err;
    char longlog[1100];
    memset(&set, 0, sizeof set);
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_ERR_INVALID_ARG);   /* no backend */
    assert_int_equal(mdm_router_new(NULL, &ro, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_router_new(&r, NULL, &err), MDM_ERR_INVALID_ARG);
    set.backend = "sqlite";
    memset(longlog, 'x', sizeof longlog - 1);
    longlog[sizeof longlog - 1] = '\0';
    ro.shadow_log = longlog;
    assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_ERR_CONFIG);
    assert_non_null(strstr(err.message, "shadow log"));
    mdm_router_free(NULL);
    ro.shadow_log = NULL;
    assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_OK);
    assert_string_equal(mdm_router_backend(r), "sqlite");
    assert_int_equal(mdm_router_store(r, MDM_IMPL_SHADOW, &s, &err), MDM_ERR_INVALID_ARG);
    mdm_router_free(r);
}

/* A backend nobody has is a config error at once, not a store that fails
 * later (the legacy path would take it for SQLite). */
static void router__an_unknown_backend_is_refused(void **state)
{
    (void)state;
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_error err;
    memset(&set, 0, sizeof set);
    set.backend = "oracle";
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "unknown backend 'oracle' (sqlite, postgresql)");
    assert_null(r);
}

/* The server given by its parts (host, port, user) instead of a DSN: both
 * stores reach it (legacy through its old config mapping). */
static void router__a_server_given_by_its_parts(void **state)
{
    (void)state;
    MDM_TEST_REQUIRE_PG();
    char host[256], port[32], user[64];
    const char *dsn = mdm_test_pg_dsn();
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_store *s = NULL;
    mdm_table got;
    mdm_strlist names;
    memset(&set, 0, sizeof set);
    set.backend = "postgresql";
    set.pg_host = mdm_dsn_get(dsn, "host", host, sizeof host);
    set.pg_port = mdm_dsn_get(dsn, "port", port, sizeof port);
    set.pg_user = mdm_dsn_get(dsn, "user", user, sizeof user);
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    OK(mdm_router_new(&r, &ro, E));
    mdm_strlist_init(&names);
    OK(mdm_router_list_databases(r, &names, E));
    assert_true(names.count >= 1);
    mdm_table_init(&got);
    OK(mdm_router_store(r, MDM_IMPL_LEGACY, &s, E));
    OK(s->ops->query(s, "postgres", "SELECT 1 AS one", NULL, 0, false, &got, E));
    assert_int_equal(mdm_table_int64(&got, 0, 0), 1);
    mdm_table_reset(&got);
    mdm_strlist_reset(&names);
    mdm_router_free(r);
}

static mdm_status read_train(void *ctx, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    (void)dry;
    return s->ops->read(s, ctx, "train", &ro, out, err);
}

/* Routes follow the flag; a shadow read answers with legacy's table and
 * records the comparison; without a log it cannot run. */
/* Writes from row sources through routes: modern writes several tables
 * at once; legacy one at a time (its rows gathered into a whole table),
 * and refuses more. */
static void router__writes_from_row_sources(void **state)
{
    (void)state;
    char dir[256], db[320];
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_route rt;
    mdm_error err;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(db, sizeof db, "%s/d.sqlite", dir);
    memset(&set, 0, sizeof set);
    set.backend = "sqlite";
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    mdm_flag_settings_init(&flags);
    flags.writes.mode = MDM_IMPL_LEGACY;
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    OK(mdm_router_new(&r, &ro, E));
    OK(mdm_router_route(r, MDM_FLAG_OP_WRITE, "d", &rt, E));
    assert_false(mdm_router_writes_at_once(&rt));
    OK(rt.serve->ops->db_create(rt.serve, db, E));
    chunks a = {2, 0, 0}, b = {1, 0, 0};
    mdm_row_source srcs[2] = {{next_chunk, &a, 2000}, {next_chunk, &b, 1000}};
    mdm_table_rows two[2] = {{"train", &srcs[0]}, {"test", &srcs[1]}};
    mdm_router_write w = {"d", db, NULL, NULL, MDM_IF_EXISTS_FAIL, NULL, NULL, two, 2, true};
    assert_int_equal(mdm_router_run_write(r, &rt, &w, &err), MDM_ERR_INVALID_ARG);
    w.ntables = 1;
    OK(mdm_router_run_write(r, &rt, &w, E));
    mdm_table t;
    mdm_table_init(&t);
    OK(rt.serve->ops->query(rt.serve, db, "SELECT COUNT(*) AS n FROM train", NULL, 0, false, &t,
                            E));
    assert_int_equal(mdm_table_int64(&t, 0, 0), 2000);
    mdm_table_reset(&t);
    mdm_router_free(r);
    mdm_test_rmrf(dir);
}

static void router__routes_and_shadow_reads(void **state)
{
    (void)state;
    char dir[256], db[320], log[320];
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_route rt;
    mdm_table t, got;
    mdm_shadow_stats st;
    mdm_error err;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(db, sizeof db, "%s/d.sqlite", dir);
    snprintf(log, sizeof log, "%s/shadow.jsonl", dir);
    memset(&set, 0, sizeof set);
    set.backend = "sqlite";
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    mdm_flag_settings_init(&flags);
    flags.reads.mode = MDM_IMPL_SHADOW;
    flags.reads.percent = 100;
    flags.writes.mode = MDM_IMPL_MODERN;
    flags.writes.percent = 100;
    make_rows(&t, 6);
    mdm_table_init(&got);

    for (int with_log = 0; with_log < 2; with_log++) {
        mdm_router_opts ro = {&set, &flags, with_log ? log : NULL, NULL, NULL, NULL};
        OK(mdm_router_new(&r, &ro, E));
        OK(mdm_router_route(r, MDM_FLAG_OP_WRITE, "d", &rt, E));
        assert_int_equal(rt.d.impl, MDM_IMPL_MODERN);
        assert_null(rt.cand);
        if (!with_log) {
            OK(rt.serve->ops->db_create(rt.serve, db, E));
            OK(rt.serve->ops->write(rt.serve, db, "train", &t, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
        }
        OK(mdm_router_route(r, MDM_FLAG_OP_READ, "d", &rt, E));
        assert_int_equal(rt.d.impl, MDM_IMPL_SHADOW);
        assert_non_null(rt.cand);
        mdm_router_read rd = {"load", "d", "train", false, read_train, db};
        mdm_status rc = mdm_router_run_read(r, &rt, &rd, &got, &err);
        mdm_router_shadow_stats(r, &st);
        if (with_log) {
            assert_int_equal(rc, MDM_OK);
            assert_int_equal(got.nrows, 6);
            assert_int_equal(st.runs, 1);
        } else {
            assert_int_equal(rc, MDM_ERR_INVALID_ARG);   /* no log path */
            assert_int_equal(st.runs, 0);
        }
        mdm_router_free(r);
    }
    mdm_table_reset(&t);
    mdm_table_reset(&got);
    mdm_test_rmrf(dir);
}

/* A read whose candidate (dry) side sees the flag column as BOOL, as
 * modern reads legacy's SQLite BOOLEAN; the control sees INT64. */
static mdm_status read_flags(void *ctx, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    (void)ctx;
    (void)s;
    mdm_status rc = mdm_table_add_column(out, "ok", dry ? MDM_BOOL : MDM_INT64, err);
    if (rc == MDM_OK)
        rc = dry ? mdm_table_push_bool(out, 0, true, err) : mdm_table_push_int64(out, 0, 1, err);
    return rc == MDM_OK ? mdm_table_end_row(out, err) : rc;
}

/* Shadow reads record their evidence and match the expected list (the
 * cell is legacy>modern while legacy writes, modern once modern does); a
 * missing list is a warning, a broken one a CONFIG error naming file:line. */
static void router__shadow_reads_record_evidence_and_match_the_list(void **state)
{
    (void)state;
    char dir[256], log[320], ev[320], list[320], missing[320], broken[320], text[600] = "";
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_route rt;
    mdm_table got;
    mdm_shadow_stats st;
    mdm_evidence_summary sum;
    mdm_error err;
    static const char good[] = "[bool]\nbackend = sqlite\ncell = legacy>modern\n"
                               "kind = column_type\nquirk = q\nreason = r\n";
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(log, sizeof log, "%s/shadow.jsonl", dir);
    snprintf(ev, sizeof ev, "%s/evidence.sqlite", dir);
    snprintf(list, sizeof list, "%s/expected", dir);
    snprintf(missing, sizeof missing, "%s/missing", dir);
    snprintf(broken, sizeof broken, "%s/broken", dir);
    assert_int_equal(mdm_test_write_file(list, good, strlen(good)), 0);
    assert_int_equal(mdm_test_write_file(broken, "[x]\nnonsense = 1\n", 17), 0);
    memset(&set, 0, sizeof set);
    set.backend = "sqlite";
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    mdm_flag_settings_init(&flags);
    flags.reads.mode = MDM_IMPL_SHADOW;
    flags.generation = 4;
    FILE *warn = tmpfile();
    assert_non_null(warn);
    mdm_table_init(&got);
    const char *lists[] = {list, missing, broken};
    for (int i = 0; i < 3; i++) {
        for (int writes_modern = 0; writes_modern < 2; writes_modern++) {
            flags.writes.mode = writes_modern ? MDM_IMPL_MODERN : MDM_IMPL_LEGACY;
            mdm_router_opts ro = {&set, &flags, log, warn, ev, lists[i]};
            OK(mdm_router_new(&r, &ro, E));
            OK(mdm_router_route(r, MDM_FLAG_OP_READ, "d", &rt, E));
            mdm_router_read rd = {"load", "d", "train", true, read_flags, NULL};
            mdm_status rc = mdm_router_run_read(r, &rt, &rd, &got, &err);
            mdm_table_reset(&got);
            mdm_router_shadow_stats(r, &st);
            if (i == 2) {
                assert_int_equal(rc, MDM_ERR_CONFIG);
                assert_non_null(strstr(err.message, "expected-differences list: "));
                assert_non_null(strstr(err.message, "broken:2: unknown key"));
            } else {
                assert_int_equal(rc, MDM_OK);
                assert_int_equal(st.expected, i == 0 && !writes_modern);
                assert_int_equal(st.mismatches, i != 0 || writes_modern);
            }
            mdm_router_free(r);
        }
    }
    OK(mdm_evidence_summarize(ev, 4, "reads", "load", &sum, E));
    assert_int_equal(sum.total, 4);
    assert_int_equal(sum.n[MDM_OUTCOME_EXPECTED], 1);
    assert_int_equal(sum.n[MDM_OUTCOME_MISMATCH], 3);
    rewind(warn);
    text[fread(text, 1, sizeof text - 1, warn)] = '\0';
    assert_non_null(strstr(text, "no expected-differences list at '"));
    assert_non_null(strstr(text, "every shadow difference counts as unexpected"));
    fclose(warn);
    mdm_test_rmrf(dir);
}

/* The self-test fault lives in the modern store's write path. */
static void router__the_nulls_fault_is_the_modern_stores(void **state)
{
    (void)state;
    char dir[256], db[320];
    mdm_router *r = router_for("sqlite", MDM_STORE_FAULT_NULLS_AS_EMPTY);
    mdm_store *s = NULL;
    mdm_table t, got;
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(db, sizeof db, "%s/f.sqlite", dir);
    make_rows(&t, 3);
    mdm_table_init(&got);
    OK(mdm_router_store(r, MDM_IMPL_MODERN, &s, E));
    OK(s->ops->db_create(s, db, E));
    OK(s->ops->write(s, db, "train", &t, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    OK(s->ops->read(s, db, "train", &ro, &got, E));
    assert_false(mdm_table_is_null(&got, 1, 2));
    assert_string_equal(mdm_table_text(&got, 1, 2, NULL), "");
    mdm_table_reset(&t);
    mdm_table_reset(&got);
    mdm_router_free(r);
    mdm_test_rmrf(dir);
}

/* A failed statement's kind is the same whichever store runs it: "no such
 * column" is NOT_FOUND, "... already exists" EXISTS (exit codes 3 and 5). */
static void stores__error_kinds_of_queries(void **state)
{
    fx *f = ready(state);
    mdm_table t, got;
    mdm_error err;
    make_rows(&t, 2);
    mdm_table_init(&got);
    OK(f->s->ops->write(f->s, f->db, "train", &t, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    assert_int_equal(f->s->ops->query(f->s, f->db, "SELECT nope FROM train", NULL, 0, false, &got,
                                      &err), MDM_ERR_NOT_FOUND);
    assert_int_equal(f->s->ops->query(f->s, f->db, "CREATE TABLE train (x INTEGER)", NULL, 0,
                                      false, &got, &err), MDM_ERR_EXISTS);
    assert_int_equal(f->s->ops->query(f->s, f->db, "SELECT * FROM", NULL, 0, false, &got, &err),
                     MDM_ERR_SQL);
    if (strcmp(f->backend, "sqlite") == 0) {   /* a trigger body is one statement */
        static const char trig[] = "CREATE TRIGGER t1 AFTER INSERT ON train BEGIN "
                                   "DELETE FROM train WHERE id < 0; SELECT 1; END";
        OK(f->s->ops->query(f->s, f->db, trig, NULL, 0, false, &got, E));
        assert_int_equal(f->s->ops->query(f->s, f->db, trig, NULL, 0, false, &got, &err),
                         MDM_ERR_EXISTS);
    }
    mdm_table_reset(&t);
    mdm_table_reset(&got);
}

/* The second self-test fault (mdm-compare --random's planted change): text
 * loses its trailing spaces in the modern store's write path. */
static void router__the_trailing_spaces_fault_is_the_modern_stores(void **state)
{
    (void)state;
    char dir[256], db[320];
    mdm_router *r = router_for("sqlite", MDM_STORE_FAULT_TRAILING_SPACES);
    mdm_store *s = NULL;
    mdm_table t, got;
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(db, sizeof db, "%s/f.sqlite", dir);
    mdm_table_init(&t);
    mdm_table_init(&got);
    OK(mdm_table_add_column(&t, "n", MDM_INT64, E));
    OK(mdm_table_add_column(&t, "s", MDM_TEXT, E));
    OK(mdm_table_push_int64(&t, 0, 1, E));
    OK(mdm_table_push_text(&t, 1, " both  ", 7, E));
    OK(mdm_table_end_row(&t, E));
    OK(mdm_router_store(r, MDM_IMPL_MODERN, &s, E));
    OK(s->ops->db_create(s, db, E));
    OK(s->ops->write(s, db, "train", &t, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    OK(s->ops->read(s, db, "train", &ro, &got, E));
    assert_string_equal(mdm_table_text(&got, 1, 0, NULL), " both");
    assert_int_equal(mdm_table_int64(&got, 0, 0), 1);
    mdm_table_reset(&t);
    mdm_table_reset(&got);
    mdm_router_free(r);
    mdm_test_rmrf(dir);
}

/* Floats appended into PostgreSQL TEXT and BIGINT columns get what legacy's
 * INSERT of float8 parameters stored: the server's float8 text ("1e+15",
 * "0.1", "-97526121739521") and the integer the server's cast rounds to
 * (halves to even). */
static void stores__floats_appended_into_text_and_bigint(void **state)
{
    fx *f = ready(state);
    mdm_table first, more, got;
    /* 2^-1017 is a power of two whose nearest 16 digits do not read back,
     * where the shortest text (the server's) has 16 digits all the same;
     * -2^63 is the smallest BIGINT, a float exactly. */
    static const double texts[] = {1e15, 0.1, -97526121739521.0, 1e-5, 0x1p-1017, 2.5};
    static const double ints[] = {2.5, 3.5, -1.5, 7.0, -0x1p63, 1e19};
    mdm_table_init(&first);
    mdm_table_init(&more);
    mdm_table_init(&got);
    OK(mdm_table_add_column(&first, "t", MDM_TEXT, E));
    OK(mdm_table_add_column(&first, "i", MDM_INT64, E));
    OK(mdm_table_push_text(&first, 0, "a", 1, E));
    OK(mdm_table_push_int64(&first, 1, 1, E));
    OK(mdm_table_end_row(&first, E));
    OK(mdm_table_add_column(&more, "t", MDM_FLOAT64, E));
    OK(mdm_table_add_column(&more, "i", MDM_FLOAT64, E));
    for (size_t r = 0; r < 5; r++) {
        OK(mdm_table_push_float64(&more, 0, texts[r], E));
        OK(mdm_table_push_float64(&more, 1, ints[r], E));
        OK(mdm_table_end_row(&more, E));
    }
    OK(f->s->ops->write(f->s, f->db, "train", &first, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    OK(f->s->ops->write(f->s, f->db, "train", &more, MDM_IF_EXISTS_APPEND, NULL, NULL, E));
    OK(f->s->ops->query(f->s, f->db, "SELECT t, i FROM train ORDER BY i", NULL, 0, false, &got, E));
    assert_int_equal(got.nrows, 6);
    static const char *const want_t[] = {"7.120236347223045e-307", "-97526121739521", "a",
                                         "1e+15", "0.1", "1e-05"};
    static const int64_t want_i[] = {INT64_MIN, -2, 1, 2, 4, 7};
    for (size_t r = 0; r < 6; r++) {
        assert_string_equal(mdm_table_text(&got, 0, r, NULL), want_t[r]);
        assert_int_equal(mdm_table_int64(&got, 1, r), want_i[r]);
    }
    /* a float too big for BIGINT is sent as a float, for the server to refuse */
    mdm_table_reset(&more);
    mdm_table_init(&more);
    OK(mdm_table_add_column(&more, "t", MDM_FLOAT64, E));
    OK(mdm_table_add_column(&more, "i", MDM_FLOAT64, E));
    OK(mdm_table_push_float64(&more, 0, texts[5], E));
    OK(mdm_table_push_float64(&more, 1, ints[5], E));
    OK(mdm_table_end_row(&more, E));
    mdm_error err;
    assert_int_not_equal(f->s->ops->write(f->s, f->db, "train", &more, MDM_IF_EXISTS_APPEND, NULL,
                                          NULL, &err), MDM_OK);
    mdm_table_reset(&first);
    mdm_table_reset(&more);
    mdm_table_reset(&got);
}

/* ---- streamed reads ---------------------------------------------------------------- */

typedef struct taken {
    size_t calls, rows, most;
} taken;

static mdm_status take(void *ctx, const mdm_table *t, mdm_error *err)
{
    taken *k = ctx;
    (void)err;
    k->calls++;
    k->rows += t->nrows;
    if (t->nrows > k->most)
        k->most = t->nrows;
    return MDM_OK;
}

/* With a sink, the modern store hands rows over in chunks (reads and
 * queries, on both backends); the legacy store gives whole results. */
static void stores__streamed_reads_and_queries(void **state)
{
    fx *f = ready(state);
    bool modern = strcmp(f->s->ops->name, "modern") == 0;
    taken k = {0, 0, 0};
    mdm_row_sink sink = {3, take, &k};
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    mdm_table t, got;
    /* not "train": legacy's read cache, which nothing clears, would serve
     * these rows to a later test's read of its "train" */
    make_rows(&t, 10);
    OK(f->s->ops->write(f->s, f->db, "streamed", &t, MDM_IF_EXISTS_FAIL, NULL, NULL, E));
    ro.sink = &sink;
    mdm_table_init(&got);
    OK(f->s->ops->read(f->s, f->db, "streamed", &ro, &got, E));
    assert_int_equal(k.calls, modern ? 3 : 0);
    assert_int_equal(k.rows + got.nrows, 10);
    assert_true(k.most <= 3);
    mdm_table_reset(&got);
    if (!modern) {
        assert_null(f->s->ops->query_rows);
        mdm_table_reset(&t);
        return;
    }
    k = (taken){0, 0, 0};
    mdm_table_init(&got);
    OK(f->s->ops->query_rows(f->s, f->db, "SELECT id, name FROM streamed WHERE id >= :lo ORDER BY id",
                             (mdm_param[]){mdm_param_int64("lo", 2)}, 1, &sink, &got, E));
    assert_int_equal(k.calls, 2);   /* two chunks of 3, the last 2 rows back in got */
    assert_int_equal(k.rows + got.nrows, 8);
    assert_int_equal(mdm_table_int64(&got, 0, got.nrows - 1), 9);
    mdm_table_reset(&got);
    mdm_table_reset(&t);
}

#define BOTH(fn, be)                                                                    \
    cmocka_unit_test_setup_teardown(fn, setup_##be##_modern, teardown),               \
    cmocka_unit_test_setup_teardown(fn, setup_##be##_legacy, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(stores__write_read_and_the_catalog, sqlite),
        BOTH(stores__write_read_and_the_catalog, pg),
        BOTH(stores__parameters_of_every_type, sqlite),
        BOTH(stores__parameters_of_every_type, pg),
        BOTH(stores__values_without_a_literal, sqlite),
        BOTH(stores__values_without_a_literal, pg),
        BOTH(stores__dry_queries, sqlite),
        BOTH(stores__dry_queries, pg),
        BOTH(stores__database_lists, sqlite),
        BOTH(stores__database_lists, pg),
        BOTH(stores__big_writes_with_progress, sqlite),
        BOTH(stores__big_writes_with_progress, pg),
        BOTH(stores__writes_from_a_row_source, sqlite),
        BOTH(stores__writes_from_a_row_source, pg),
        cmocka_unit_test_setup_teardown(stores__a_new_sqlite_dataset_is_built_beside_and_renamed,
                                        setup_sqlite_modern, teardown),
        cmocka_unit_test_setup_teardown(stores__a_new_sqlite_dataset_is_built_beside_and_renamed,
                                        setup_pg_modern, teardown),
        BOTH(stores__a_failed_replace_keeps_the_old_table, sqlite),
        BOTH(stores__a_failed_replace_keeps_the_old_table, pg),
        BOTH(stores__error_kinds_of_queries, sqlite),
        BOTH(stores__error_kinds_of_queries, pg),
        BOTH(stores__streamed_reads_and_queries, sqlite),
        BOTH(stores__streamed_reads_and_queries, pg),
        cmocka_unit_test_setup_teardown(stores__a_failed_swap_is_rolled_back, setup_sqlite_legacy,
                                        teardown),
        cmocka_unit_test(router__checks_its_arguments),
        cmocka_unit_test(router__an_unknown_backend_is_refused),
        cmocka_unit_test(router__a_server_given_by_its_parts),
        cmocka_unit_test(router__routes_and_shadow_reads),
        cmocka_unit_test(router__writes_from_row_sources),
        cmocka_unit_test(router__the_nulls_fault_is_the_modern_stores),
        cmocka_unit_test(router__shadow_reads_record_evidence_and_match_the_list),
        cmocka_unit_test(router__the_trailing_spaces_fault_is_the_modern_stores),
        cmocka_unit_test_setup_teardown(stores__floats_appended_into_text_and_bigint,
                                        setup_pg_modern, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
