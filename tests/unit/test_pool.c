/* SPDX-License-Identifier: MIT */
/*
 * test_pool.c - the connection pool and the connection manager, on real
 * SQLite connections: lazy opening, reuse, limits and the timeout error,
 * waiting, many threads, overflow, pre_ping, recycle, rollback on return,
 * status counters. A small fake backend is used only where a failure cannot
 * be provoked for real (a rollback that fails on return) and to count
 * disconnects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "mdm_connmgr.h"
#include "mdm_pool.h"
#include "mdm_registry.h"
#include "test_support.h"

typedef struct fixture {
    char dir[256];
    char path[320];
    mdm_conn_config cfg;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    mdm_conn_config init = MDM_CONN_CONFIG_INIT;
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/pool.sqlite", f->dir);
    f->cfg = init;
    f->cfg.backend = "sqlite";
    f->cfg.path = f->path;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static mdm_pool *make_pool(fixture *f, int size, int overflow, double timeout)
{
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool *p = NULL;
    mdm_error err;
    o.pool_size = size;
    o.max_overflow = overflow;
    o.timeout_s = timeout;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, &o, &err), MDM_OK);
    return p;
}

static void exec_ok(mdm_conn *c, const char *sql)
{
    mdm_query_result r;
    mdm_error err;
    mdm_query_result_init(&r);
    mdm_status rc = mdm_conn_execute_query(c, sql, NULL, 0, &r, &err);
    if (rc != MDM_OK)
        fail_msg("%s: %s", sql, err.message);
    mdm_query_result_reset(&r);
}

static int64_t count_rows(mdm_conn *c, const char *table_sql)
{
    mdm_query_result r;
    mdm_error err;
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) AS n FROM %s", table_sql);
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(c, sql, NULL, 0, &r, &err), MDM_OK);
    int64_t n = mdm_table_int64(&r.table, 0, 0);
    mdm_query_result_reset(&r);
    return n;
}

/* ---- basics ---- */

static void pool__opens_lazily_and_reuses(void **state)
{
    fixture *f = *state;
    mdm_pool *p = make_pool(f, 2, 0, 1.0);
    mdm_pool_status st;
    mdm_conn *a = NULL, *b = NULL;
    mdm_error err;

    mdm_pool_get_status(p, &st);
    assert_int_equal(st.open, 0);
    assert_int_equal(st.created, 0);
    assert_int_equal(st.pool_size, 2);
    assert_int_equal(st.max_overflow, 0);
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.open, 1);
    assert_int_equal(st.in_use, 1);
    assert_int_equal(st.idle, 0);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.idle, 1);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(mdm_pool_acquire(p, &b, &err), MDM_OK);
    assert_ptr_equal(a, b);            /* the idle one is reused */
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.created, 1);
    assert_int_equal(st.checkouts, 2);
    assert_int_equal(st.waits, 0);
    assert_ptr_equal(mdm_pool_backend(p), mdm_sqlite_backend());
    assert_string_equal(mdm_pool_config(p)->path, f->path);
    assert_ptr_not_equal(mdm_pool_config(p)->path, f->path);   /* a copy */
    assert_int_equal(mdm_pool_release(p, b), MDM_OK);
    mdm_pool_free(p);
    mdm_pool_free(NULL);
}

static void pool__acquire_times_out_naming_limits(void **state)
{
    fixture *f = *state;
    mdm_pool *p = make_pool(f, 1, 1, 0.2);
    mdm_conn *a = NULL, *b = NULL, *c = NULL;
    mdm_pool_status st;
    mdm_error err;

    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    assert_int_equal(mdm_pool_acquire(p, &b, &err), MDM_OK);
    assert_ptr_not_equal(a, b);
    double t0 = now_s();
    assert_int_equal(mdm_pool_acquire(p, &c, &err), MDM_ERR_POOL_EXHAUSTED);
    double waited = now_s() - t0;
    assert_true(waited >= 0.19);
    assert_true(waited < 10.0);     /* generous: a loaded machine may stall us */
    assert_null(c);
    assert_int_equal(err.code, MDM_ERR_POOL_EXHAUSTED);
    assert_string_equal(err.message, "pool exhausted: pool_size 1 + max_overflow 1 connections "
                                     "in use, timed out after 0.200 s");
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.waits, 1);
    assert_int_equal(st.timeouts, 1);
    assert_int_equal(st.overflow, 1);
    assert_int_equal(st.in_use, 2);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    assert_int_equal(mdm_pool_release(p, b), MDM_OK);
    mdm_pool_free(p);
}

static void pool__zero_timeout_fails_at_once(void **state)
{
    fixture *f = *state;
    mdm_pool *p = make_pool(f, 1, 0, 0.0);
    mdm_conn *a = NULL, *b = NULL;
    mdm_pool_status st;
    mdm_error err;
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    double t0 = now_s();
    assert_int_equal(mdm_pool_acquire(p, &b, &err), MDM_ERR_POOL_EXHAUSTED);
    /* "at once" is pinned by waits == 0 below; the clock only guards
     * against a hang, with room for a loaded machine */
    assert_true(now_s() - t0 < 10.0);
    assert_string_equal(err.message, "pool exhausted: pool_size 1 + max_overflow 0 connections "
                                     "in use, timed out after 0.000 s");
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.waits, 0);
    assert_int_equal(st.timeouts, 1);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_free(p);
}

/* Polls the pool until at least `n` acquires have had to wait. A pool
 * counts a wait under its lock just before it sleeps on its condition
 * variable, so once this returns the waiter is asleep (or already woken):
 * no sleep-and-hope about who runs first. */
static void wait_for_waiters(mdm_pool *p, uint64_t n)
{
    mdm_pool_status st;
    for (;;) {
        mdm_pool_get_status(p, &st);
        if (st.waits >= n)
            return;
        usleep(1000);
    }
}

typedef struct holder {
    mdm_pool *pool;
    mdm_conn *conn;
} holder;

/* Gives the connection back once the main thread is waiting for one. */
static void *release_when_waited_for(void *arg)
{
    holder *h = arg;
    wait_for_waiters(h->pool, 1);
    (void)mdm_pool_release(h->pool, h->conn);
    return NULL;
}

static void pool__waiter_gets_the_returned_connection(void **state)
{
    fixture *f = *state;
    mdm_pool *p = make_pool(f, 1, 0, 5.0);
    mdm_conn *a = NULL, *b = NULL;
    mdm_pool_status st;
    mdm_error err;
    pthread_t t;

    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    holder h = {p, a};
    assert_int_equal(pthread_create(&t, NULL, release_when_waited_for, &h), 0);
    assert_int_equal(mdm_pool_acquire(p, &b, &err), MDM_OK);   /* waits, then wakes */
    assert_ptr_equal(a, b);
    pthread_join(t, NULL);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.waits, 1);
    assert_int_equal(st.timeouts, 0);
    assert_int_equal(st.created, 1);
    assert_int_equal(mdm_pool_release(p, b), MDM_OK);
    mdm_pool_free(p);
}

/* ---- many threads ---- */

typedef struct shared {
    mdm_pool *pool;
    int limit;              /* pool_size + max_overflow */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool gate_open;
    int out_now, out_max, failures;
    char msg[512];
} shared;

/* The first connections out are held (s->mu held by the caller) until the
 * pool is full and a further acquire waits: that forces the overlap the
 * test wants to see (every slot in use at once, a waiter woken by a
 * release) instead of hoping the scheduler produces it. The other threads
 * keep acquiring, so the condition is always reached; the 1 ms timed wait
 * only re-reads the pool's counters. */
static void hold_until_full_and_waited_for(shared *s)
{
    while (!s->gate_open) {
        mdm_pool_status st;
        mdm_pool_get_status(s->pool, &st);
        if (s->out_now == s->limit && st.waits >= 1) {
            s->gate_open = true;
            pthread_cond_broadcast(&s->cv);
            return;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        (void)pthread_cond_timedwait(&s->cv, &s->mu, &until);
    }
}

static void *worker(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < 40; i++) {
        mdm_conn *c = NULL;
        mdm_error err;
        mdm_query_result r;
        mdm_param p = mdm_param_int64("v", i);
        if (mdm_pool_acquire(s->pool, &c, &err) != MDM_OK) {
            pthread_mutex_lock(&s->mu);
            s->failures++;
            snprintf(s->msg, sizeof s->msg, "%s", err.message);
            pthread_mutex_unlock(&s->mu);
            continue;
        }
        pthread_mutex_lock(&s->mu);
        if (++s->out_now > s->out_max)
            s->out_max = s->out_now;
        hold_until_full_and_waited_for(s);
        pthread_mutex_unlock(&s->mu);
        mdm_query_result_init(&r);
        if (mdm_conn_execute_query(c, "INSERT INTO hits (v) VALUES (:v)", &p, 1, &r, &err) != MDM_OK) {
            pthread_mutex_lock(&s->mu);
            s->failures++;
            snprintf(s->msg, sizeof s->msg, "%s", err.message);
            pthread_mutex_unlock(&s->mu);
        }
        mdm_query_result_reset(&r);
        pthread_mutex_lock(&s->mu);
        s->out_now--;
        pthread_mutex_unlock(&s->mu);
        (void)mdm_pool_release(s->pool, c);
    }
    return NULL;
}

static void pool__many_threads_share_the_limits(void **state)
{
    enum { THREADS = 24 };
    fixture *f = *state;
    shared s;
    pthread_t t[THREADS];
    mdm_pool_status st;
    mdm_conn *c = NULL;
    mdm_error err;

    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    s.limit = 4;
    s.pool = make_pool(f, 2, 2, 30.0);
    assert_int_equal(mdm_pool_acquire(s.pool, &c, &err), MDM_OK);
    exec_ok(c, "CREATE TABLE hits (v BIGINT)");
    assert_int_equal(mdm_pool_release(s.pool, c), MDM_OK);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &s), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    if (s.failures != 0)
        fail_msg("%d failures, last: %s", s.failures, s.msg);
    assert_true(s.gate_open);
    assert_int_equal(s.out_max, 4);       /* every slot in use at once, never more */
    mdm_pool_get_status(s.pool, &st);
    assert_int_equal(st.checkouts, 1 + THREADS * 40);
    assert_int_equal(st.in_use, 0);
    assert_true(st.open <= 4);
    assert_true(st.idle <= 2);            /* overflow closed on return */
    assert_int_equal(st.created, st.open + st.closed);
    assert_true(st.waits >= 1);           /* forced by the gate */
    assert_true(st.waits <= st.checkouts);
    assert_int_equal(st.timeouts, 0);
    assert_int_equal(mdm_pool_acquire(s.pool, &c, &err), MDM_OK);
    assert_int_equal(count_rows(c, "hits"), THREADS * 40);
    assert_int_equal(mdm_pool_release(s.pool, c), MDM_OK);
    mdm_pool_free(s.pool);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
}

static void pool__overflow_is_closed_on_return(void **state)
{
    fixture *f = *state;
    mdm_pool *p = make_pool(f, 1, 2, 1.0);
    mdm_conn *c[3];
    mdm_pool_status st;
    mdm_error err;
    for (int i = 0; i < 3; i++)
        assert_int_equal(mdm_pool_acquire(p, &c[i], &err), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.open, 3);
    assert_int_equal(st.overflow, 2);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mdm_pool_release(p, c[i]), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.open, 1);
    assert_int_equal(st.idle, 1);
    assert_int_equal(st.overflow, 0);
    assert_int_equal(st.closed, 2);
    mdm_pool_free(p);
}

/* ---- health: pre_ping and recycle ---- */

/* Removes the database file and creates a new one at the same path. */
static void replace_file(fixture *f)
{
    mdm_conn *c = NULL;
    mdm_error err;
    assert_int_equal(mdm_database_drop(mdm_sqlite_backend(), &f->cfg, f->path, false, &err), MDM_OK);
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err), MDM_OK);
    exec_ok(c, "CREATE TABLE fresh (x BIGINT)");
    mdm_conn_close(c);
}

static void pool__pre_ping_replaces_a_dead_connection(void **state)
{
    fixture *f = *state;
    mdm_pool *p = make_pool(f, 1, 0, 1.0);
    mdm_conn *a = NULL, *b = NULL;
    mdm_pool_status st;
    mdm_error err;
    bool exists = false;

    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    exec_ok(a, "CREATE TABLE old (x BIGINT)");
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    replace_file(f);   /* the pooled connection now points at a deleted file */
    assert_int_equal(mdm_conn_ping(a, &err), MDM_ERR_CONNECTION);
    assert_non_null(strstr(err.message, "was removed or replaced"));
    assert_int_equal(mdm_pool_acquire(p, &b, &err), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.ping_failures, 1);
    assert_int_equal(st.created, 2);
    assert_int_equal(st.closed, 1);
    assert_int_equal(st.open, 1);
    assert_int_equal(mdm_conn_table_exists(b, "fresh", &exists, &err), MDM_OK);
    assert_true(exists);                 /* the new connection sees the new file */
    assert_int_equal(mdm_conn_ping(b, &err), MDM_OK);
    assert_int_equal(mdm_pool_release(p, b), MDM_OK);
    mdm_pool_free(p);
}

static void pool__without_pre_ping_the_stale_connection_is_kept(void **state)
{
    fixture *f = *state;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool *p = NULL;
    mdm_conn *a = NULL, *b = NULL;
    mdm_pool_status st;
    mdm_error err;
    bool exists = true;
    o.pool_size = 1;
    o.max_overflow = 0;
    o.pre_ping = false;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, &o, &err), MDM_OK);
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    replace_file(f);
    assert_int_equal(mdm_pool_acquire(p, &b, &err), MDM_OK);
    assert_ptr_equal(a, b);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.ping_failures, 0);
    assert_int_equal(st.created, 1);
    assert_int_equal(mdm_conn_table_exists(b, "fresh", &exists, &err), MDM_OK);
    assert_false(exists);                /* stale: still the deleted file */
    assert_int_equal(mdm_pool_release(p, b), MDM_OK);
    mdm_pool_free(p);
}

static void pool__recycle_replaces_old_connections(void **state)
{
    fixture *f = *state;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool *p = NULL;
    mdm_conn *a = NULL;
    mdm_pool_status st;
    mdm_error err;
    o.pool_size = 1;
    o.max_overflow = 0;
    /* Age is time, so this test measures time; the margins are generous
     * (the "young" acquire would have to stall a whole second to fail). */
    o.recycle_s = 1.0;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, &o, &err), MDM_OK);
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);   /* young: kept */
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.recycled, 0);
    assert_int_equal(st.created, 1);
    usleep(1200000);
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);   /* old: replaced */
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.recycled, 1);
    assert_int_equal(st.created, 2);
    assert_int_equal(st.closed, 1);
    assert_int_equal(st.open, 1);
    assert_int_equal(mdm_conn_ping(a, &err), MDM_OK);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_free(p);
}

/* ---- reset on return ---- */

static void pool__release_rolls_back_an_open_transaction(void **state)
{
    fixture *f = *state;
    mdm_pool *p = make_pool(f, 1, 0, 1.0);
    mdm_conn *a = NULL;
    mdm_pool_status st;
    mdm_error err;

    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    exec_ok(a, "CREATE TABLE t (x BIGINT)");
    assert_int_equal(mdm_conn_begin(a, &err), MDM_OK);
    exec_ok(a, "INSERT INTO t VALUES (1)");
    assert_true(mdm_conn_in_transaction(a));
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.resets, 1);
    assert_int_equal(st.idle, 1);
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    assert_false(mdm_conn_in_transaction(a));
    assert_int_equal(count_rows(a, "t"), 0);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.resets, 1);      /* nothing to reset the second time */
    mdm_pool_free(p);
}

static void pool__without_reset_the_transaction_stays_open(void **state)
{
    fixture *f = *state;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool *p = NULL;
    mdm_conn *a = NULL;
    mdm_error err;
    o.pool_size = 1;
    o.reset_on_return = false;
    o.pre_ping = false;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, &o, &err), MDM_OK);
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    assert_int_equal(mdm_conn_begin(a, &err), MDM_OK);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    assert_true(mdm_conn_in_transaction(a));
    assert_int_equal(mdm_conn_rollback(a, &err), MDM_OK);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_free(p);
}

/* ---- a fake backend: counts, and a rollback that fails ---- */

typedef struct fake_world {
    int connects, disconnects, rollbacks;
    bool fail_rollback, in_tx;
} fake_world;

typedef struct fake_conn {
    struct mdm_conn base;
    fake_world *w;
} fake_conn;

static const mdm_backend_ops *fake_ops(void);

static mdm_status fake_connect(const mdm_conn_config *cfg, mdm_conn **out, mdm_error *err)
{
    fake_world *w = (fake_world *)(uintptr_t)strtoull(cfg->path, NULL, 16);
    fake_conn *c = calloc(1, sizeof *c);
    (void)err;
    c->base.ops = fake_ops();
    c->w = w;
    w->connects++;
    *out = &c->base;
    return MDM_OK;
}

static void fake_disconnect(mdm_conn *c)
{
    ((fake_conn *)c)->w->disconnects++;
    free(c);
}

static bool fake_in_tx(mdm_conn *c)
{
    return ((fake_conn *)c)->w->in_tx;
}

static mdm_status fake_rollback(mdm_conn *c, mdm_error *err)
{
    fake_world *w = ((fake_conn *)c)->w;
    w->rollbacks++;
    if (w->fail_rollback)
        return mdm_error_set(err, MDM_ERR_CONNECTION, "rollback failed");
    w->in_tx = false;
    return MDM_OK;
}

static mdm_status fake_unused(void)
{
    return MDM_ERR_INTERNAL;
}

static const mdm_backend_ops *fake_ops(void)
{
    static const mdm_backend_ops ops = {
        .version = MDM_BACKEND_OPS_VERSION,
        .name = "fake",
        .connect = fake_connect,
        .disconnect = fake_disconnect,
        .create_table = (void *)fake_unused,
        .read_table = (void *)fake_unused,
        .execute_query = (void *)fake_unused,
        .table_exists = (void *)fake_unused,
        .list_tables = (void *)fake_unused,
        .table_info = (void *)fake_unused,
        .drop_table = (void *)fake_unused,
        .rollback = fake_rollback,
        .in_transaction = fake_in_tx,
    };
    return &ops;
}

static mdm_pool *fake_pool(fake_world *w, char *addr, size_t n)
{
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool *p = NULL;
    mdm_error err;
    snprintf(addr, n, "%llx", (unsigned long long)(uintptr_t)w);
    cfg.backend = "fake";
    cfg.path = addr;
    o.pool_size = 2;
    o.max_overflow = 0;
    assert_int_equal(mdm_pool_new(&p, fake_ops(), &cfg, &o, &err), MDM_OK);
    return p;
}

static void pool__release_closes_a_connection_that_cannot_be_reset(void **state)
{
    (void)state;
    fake_world w = {0};
    char addr[32];
    mdm_pool *p = fake_pool(&w, addr, sizeof addr);
    mdm_conn *a = NULL;
    mdm_pool_status st;
    mdm_error err;

    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    assert_int_equal(mdm_conn_ping(a, &err), MDM_ERR_NOT_IMPLEMENTED);   /* no ping slot */
    assert_string_equal(err.message, "backend 'fake' does not implement ping");
    w.in_tx = true;
    w.fail_rollback = true;
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    assert_int_equal(w.rollbacks, 1);
    assert_int_equal(w.disconnects, 1);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.resets, 1);
    assert_int_equal(st.closed, 1);
    assert_int_equal(st.open, 0);
    assert_int_equal(st.idle, 0);
    /* a rollback that works keeps the connection */
    w.fail_rollback = false;
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);   /* no ping slot: no check */
    w.in_tx = true;
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.idle, 1);
    assert_int_equal(w.disconnects, 1);
    mdm_pool_free(p);
    assert_int_equal(w.disconnects, 2);
}

static void pool__free_closes_loaned_connections_too(void **state)
{
    (void)state;
    fake_world w = {0};
    char addr[32];
    mdm_pool *p = fake_pool(&w, addr, sizeof addr);
    mdm_conn *a = NULL, *b = NULL;
    mdm_error err;
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    assert_int_equal(mdm_pool_acquire(p, &b, &err), MDM_OK);
    assert_int_equal(mdm_pool_release(p, b), MDM_OK);
    assert_int_equal(w.connects, 2);
    mdm_pool_free(p);   /* a is still out */
    assert_int_equal(w.disconnects, 2);
}

static void pool__release_refuses_strangers_and_double_release(void **state)
{
    fixture *f = *state;
    mdm_pool *p = make_pool(f, 1, 0, 1.0);
    mdm_pool *q = make_pool(f, 1, 0, 1.0);
    mdm_conn *a = NULL, *own = NULL;
    mdm_pool_status st;
    mdm_error err;

    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_OK);
    assert_int_equal(mdm_pool_release(q, a), MDM_ERR_INVALID_ARG);   /* not q's */
    assert_int_equal(mdm_pool_release(p, NULL), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_pool_release(NULL, a), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &own, &err), MDM_OK);
    assert_int_equal(mdm_pool_release(p, own), MDM_ERR_INVALID_ARG);  /* never pooled */
    mdm_conn_close(own);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    assert_int_equal(mdm_pool_release(p, a), MDM_ERR_INVALID_ARG);   /* twice */
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.idle, 1);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(mdm_pool_acquire(p, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_pool_acquire(NULL, &a, &err), MDM_ERR_INVALID_ARG);
    mdm_pool_free(q);
    mdm_pool_free(p);
}

static void pool__connect_failure_gives_the_slot_back(void **state)
{
    fixture *f = *state;
    mdm_pool *p = NULL;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_conn_config cfg = f->cfg;
    mdm_conn *a = NULL;
    mdm_pool_status st;
    mdm_error err;
    char bad[400];
    snprintf(bad, sizeof bad, "%s/missing-folder/x.sqlite", f->dir);
    cfg.path = bad;
    o.pool_size = 1;
    o.max_overflow = 0;
    o.timeout_s = 0.0;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &cfg, &o, &err), MDM_OK);
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_ERR_CONNECTION);
    assert_non_null(strstr(err.message, "cannot open"));
    /* the slot came back: the second try fails the same way, not EXHAUSTED */
    assert_int_equal(mdm_pool_acquire(p, &a, &err), MDM_ERR_CONNECTION);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.open, 0);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.created, 0);
    assert_int_equal(st.timeouts, 0);
    mdm_pool_free(p);
}

static void pool__new_checks_its_arguments(void **state)
{
    fixture *f = *state;
    mdm_pool *p = NULL;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool_status st;
    mdm_conn_config cfg = f->cfg;
    mdm_error err;

    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, NULL, &err), MDM_OK);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.pool_size, 5);
    assert_int_equal(st.max_overflow, 10);
    mdm_pool_free(p);

    o.pool_size = -1;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, &o, &err), MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "pool_size -1"));
    o = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    o.pool_size = 0;
    o.max_overflow = 0;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, &o, &err), MDM_ERR_INVALID_ARG);
    o = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    o.max_overflow = -2;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, &o, &err), MDM_ERR_INVALID_ARG);
    o = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    o.timeout_s = NAN;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, &o, &err), MDM_ERR_INVALID_ARG);
    o = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    o.version = 7;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &f->cfg, &o, &err), MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "MDM_POOL_OPTS_INIT"));
    assert_int_equal(mdm_pool_new(&p, NULL, &f->cfg, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_pool_new(NULL, mdm_sqlite_backend(), &f->cfg, NULL, &err), MDM_ERR_INVALID_ARG);
    cfg.version = 0;
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), &cfg, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_pool_new(&p, mdm_sqlite_backend(), NULL, NULL, &err), MDM_ERR_INVALID_ARG);
}

/* ---- the connection manager ---- */

typedef struct cb_state {
    int calls;
    mdm_conn *seen;
    mdm_status result;
} cb_state;

static mdm_status callback(mdm_conn *c, void *arg, mdm_error *err)
{
    cb_state *s = arg;
    s->calls++;
    s->seen = c;
    if (mdm_conn_begin(c, err) != MDM_OK)
        return err->code;
    if (s->result != MDM_OK)
        return mdm_error_set(err, s->result, "callback failed on purpose");
    return MDM_OK;
}

static void connmgr__with_conn_always_releases(void **state)
{
    fixture *f = *state;
    mdm_registry *reg = NULL;
    mdm_connmgr *m = NULL;
    mdm_pool_status st;
    mdm_error err;
    cb_state s = {0, NULL, MDM_OK};

    assert_int_equal(mdm_registry_new(&reg, &err), MDM_OK);
    assert_int_equal(mdm_registry_add_builtins(reg, &err), MDM_OK);
    assert_int_equal(mdm_connmgr_new(&m, reg, &f->cfg, NULL, &err), MDM_OK);
    mdm_registry_free(reg);   /* the manager does not need it any more */
    assert_ptr_equal(mdm_connmgr_backend(m), mdm_sqlite_backend());
    assert_string_equal(mdm_connmgr_config(m)->path, f->path);

    assert_int_equal(mdm_connmgr_with_conn(m, callback, &s, &err), MDM_OK);
    assert_int_equal(s.calls, 1);
    assert_non_null(s.seen);
    s.result = MDM_ERR_SQL;
    assert_int_equal(mdm_connmgr_with_conn(m, callback, &s, &err), MDM_ERR_SQL);
    assert_string_equal(err.message, "callback failed on purpose");
    assert_int_equal(s.calls, 2);
    mdm_pool_get_status(mdm_connmgr_pool(m), &st);
    assert_int_equal(st.in_use, 0);       /* released both times */
    assert_int_equal(st.resets, 2);       /* and the open transactions rolled back */
    assert_int_equal(st.created, 1);
    assert_int_equal(mdm_connmgr_with_conn(m, NULL, &s, &err), MDM_ERR_INVALID_ARG);
    mdm_connmgr_free(m);
    mdm_connmgr_free(NULL);
}

static void connmgr__acquire_and_release(void **state)
{
    fixture *f = *state;
    mdm_registry *reg = NULL;
    mdm_connmgr *m = NULL;
    mdm_conn *c = NULL;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_error err;
    mdm_conn_config cfg = f->cfg;
    cb_state s = {0, NULL, MDM_OK};

    assert_int_equal(mdm_registry_new(&reg, &err), MDM_OK);
    assert_int_equal(mdm_registry_add_builtins(reg, &err), MDM_OK);
    o.pool_size = 1;
    o.max_overflow = 0;
    o.timeout_s = 0;
    assert_int_equal(mdm_connmgr_new(&m, reg, &cfg, &o, &err), MDM_OK);
    assert_int_equal(mdm_connmgr_acquire(m, &c, &err), MDM_OK);
    /* with the only connection out, with_conn reports the pool's error */
    assert_int_equal(mdm_connmgr_with_conn(m, callback, &s, &err), MDM_ERR_POOL_EXHAUSTED);
    assert_int_equal(s.calls, 0);
    assert_int_equal(mdm_connmgr_release(m, c), MDM_OK);
    assert_int_equal(mdm_connmgr_release(m, c), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_connmgr_release(NULL, c), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_connmgr_acquire(NULL, &c, &err), MDM_ERR_INVALID_ARG);
    assert_null(mdm_connmgr_pool(NULL));
    assert_null(mdm_connmgr_backend(NULL));
    assert_null(mdm_connmgr_config(NULL));
    mdm_connmgr_free(m);

    cfg.backend = "oracle";
    assert_int_equal(mdm_connmgr_new(&m, reg, &cfg, NULL, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "unknown backend type 'oracle'; known: postgresql, sqlite");
    cfg.backend = "sqlite";
    o.pool_size = -1;
    assert_int_equal(mdm_connmgr_new(&m, reg, &cfg, &o, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_connmgr_new(&m, NULL, &cfg, NULL, &err), MDM_ERR_INVALID_ARG);
    mdm_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pool__opens_lazily_and_reuses, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__acquire_times_out_naming_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__zero_timeout_fails_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__waiter_gets_the_returned_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__many_threads_share_the_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__overflow_is_closed_on_return, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__pre_ping_replaces_a_dead_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__without_pre_ping_the_stale_connection_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__recycle_replaces_old_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__release_rolls_back_an_open_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__without_reset_the_transaction_stays_open, setup, teardown),
        cmocka_unit_test(pool__release_closes_a_connection_that_cannot_be_reset),
        cmocka_unit_test(pool__free_closes_loaned_connections_too),
        cmocka_unit_test_setup_teardown(pool__release_refuses_strangers_and_double_release, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__connect_failure_gives_the_slot_back, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__new_checks_its_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(connmgr__with_conn_always_releases, setup, teardown),
        cmocka_unit_test_setup_teardown(connmgr__acquire_and_release, setup, teardown),
    };
    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
