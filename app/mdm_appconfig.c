/* SPDX-License-Identifier: MIT */
/*
 * mdm_appconfig.c - reads the old (`database:`) and new (`storage:`) config
 * formats through one table of known keys per format, validating each value
 * and naming file, line and dotted key on the first problem; migrates old
 * files to the new format by the same tables; dumps effective settings.
 */
#include "mdm_appconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Known keys ------------------------------------------------------------- */

typedef enum vkind { V_MAP, V_STR, V_TEMPLATE, V_INT, V_NUM, V_BOOL, V_ENUM } vkind;

typedef enum target {
    T_NONE = 0, T_BACKEND, T_SQLITE_PATH, T_JOURNAL, T_SYNC, T_CACHE, T_MMAP, T_TEMP, T_BUSY,
    T_PG_PATH, T_PG_PREFIX, T_PG_DSN, T_PG_HOST, T_PG_PORT, T_PG_USER, T_PG_PASSWORD,
    T_PG_SSLMODE, T_PG_CTIMEOUT, T_POOL_SIZE, T_POOL_OVERFLOW, T_POOL_TIMEOUT, T_POOL_PREPING,
    T_POOL_RECYCLE, T_FLAG, T_POL_STEP, T_POL_MAX, T_POL_MIN, T_POL_MISMATCH, T_POL_CANDERR,
    T_POL_LATENCY, T_POL_TRIP, T_POL_ROLLBACK
} target;

/* Pool scopes: which backend's pool a connection_pool map sets. */
enum { S_INHERIT = -2, S_ALL = -1 };

typedef struct spec {
    const char *key;
    vkind kind;
    target target;
    const struct spec *children;   /* V_MAP; ends with a NULL key */
    const char *const *choices;    /* V_ENUM; ends with NULL */
    double min, max;               /* V_INT, V_NUM */
    int scope;                     /* V_MAP: pool scope for what is inside */
    const char *flag;              /* T_FLAG: the mdm_flag_set key */
    const char *to;                /* old format: the key in the new format */
} spec;

static const char *const journal_modes[] = {"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF", NULL};
static const char *const sync_modes[] = {"OFF", "NORMAL", "FULL", "EXTRA", NULL};
static const char *const temp_stores[] = {"DEFAULT", "FILE", "MEMORY", NULL};
static const char *const backends[] = {"sqlite", "postgresql", NULL};
static const char *const rollbacks[] = {"kill_switch", "step_back", NULL};
static const char *const sslmodes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL};

#define I64 9.2e18
#define END {NULL, V_STR, T_NONE, NULL, NULL, 0, 0, S_INHERIT, NULL, NULL}
#define LEAF(k, kind, t, lo, hi, to) {k, kind, t, NULL, NULL, lo, hi, S_INHERIT, NULL, to}
#define ENUM(k, t, ch, to) {k, V_ENUM, t, NULL, ch, 0, 0, S_INHERIT, NULL, to}
#define MAP(k, ch, scope) {k, V_MAP, T_NONE, ch, NULL, 0, 0, scope, NULL, NULL}
#define FLAG(k, kind, f) {k, kind, T_FLAG, NULL, NULL, 0, 0, S_INHERIT, f, NULL}

/* ---- the new format ---- */
static const spec pool_new[] = {
    LEAF("size", V_INT, T_POOL_SIZE, 0, 10000, NULL),
    LEAF("max_overflow", V_INT, T_POOL_OVERFLOW, 0, 10000, NULL),
    LEAF("timeout", V_NUM, T_POOL_TIMEOUT, 0, 86400, NULL),
    LEAF("pre_ping", V_BOOL, T_POOL_PREPING, 0, 0, NULL),
    LEAF("recycle", V_NUM, T_POOL_RECYCLE, -1, 1e9, NULL),
    END};
static const spec sqlite_opts_new[] = {
    ENUM("journal_mode", T_JOURNAL, journal_modes, NULL),
    ENUM("synchronous", T_SYNC, sync_modes, NULL),
    LEAF("cache_size", V_INT, T_CACHE, -I64, I64, NULL),
    LEAF("mmap_size", V_INT, T_MMAP, 0, I64, NULL),
    ENUM("temp_store", T_TEMP, temp_stores, NULL),
    LEAF("busy_timeout", V_INT, T_BUSY, 0, 86400000, NULL),
    END};
static const spec sqlite_new[] = {
    LEAF("path_template", V_TEMPLATE, T_SQLITE_PATH, 0, 0, NULL),
    MAP("options", sqlite_opts_new, S_INHERIT),
    MAP("connection_pool", pool_new, MDM_APP_SQLITE),
    END};
static const spec pg_opts_new[] = {
    LEAF("dsn", V_STR, T_PG_DSN, 0, 0, NULL),
    LEAF("host", V_STR, T_PG_HOST, 0, 0, NULL),
    LEAF("port", V_INT, T_PG_PORT, 1, 65535, NULL),
    LEAF("user", V_STR, T_PG_USER, 0, 0, NULL),
    LEAF("password", V_STR, T_PG_PASSWORD, 0, 0, NULL),
    ENUM("sslmode", T_PG_SSLMODE, sslmodes, NULL),
    LEAF("connect_timeout", V_INT, T_PG_CTIMEOUT, 0, 3600, NULL),
    END};
static const spec pg_new[] = {
    LEAF("path_template", V_TEMPLATE, T_PG_PATH, 0, 0, NULL),
    MAP("options", pg_opts_new, S_INHERIT),
    MAP("connection_pool", pool_new, MDM_APP_POSTGRESQL),
    END};
static const spec backends_new[] = {
    MAP("sqlite", sqlite_new, S_INHERIT),
    MAP("postgresql", pg_new, S_INHERIT),
    END};
static const spec storage_new[] = {
    ENUM("default_backend", T_BACKEND, backends, NULL),
    MAP("connection_pool", pool_new, S_ALL),
    MAP("backends", backends_new, S_INHERIT),
    END};

/* ---- rollout (both formats) ---- */
static const spec reads_spec[] = {
    FLAG("mode", V_STR, MDM_FLAG_READS),
    FLAG("percent", V_STR, MDM_FLAG_READS ".percent"),
    END};
static const spec writes_spec[] = {
    FLAG("mode", V_STR, MDM_FLAG_WRITES),
    FLAG("percent", V_STR, MDM_FLAG_WRITES ".percent"),
    END};
static const spec policy_spec[] = {
    LEAF("step", V_INT, T_POL_STEP, 1, 100, NULL),
    LEAF("maximum", V_INT, T_POL_MAX, 1, 100, NULL),
    LEAF("min_comparisons", V_INT, T_POL_MIN, 0, I64, NULL),
    LEAF("max_mismatch_rate", V_NUM, T_POL_MISMATCH, 0, 1, NULL),
    LEAF("max_candidate_error_rate", V_NUM, T_POL_CANDERR, 0, 1, NULL),
    LEAF("max_p99_latency_ratio", V_NUM, T_POL_LATENCY, 0, 1e6, NULL),
    LEAF("rollback_after", V_INT, T_POL_TRIP, 1, 1000, NULL),
    ENUM("rollback", T_POL_ROLLBACK, rollbacks, NULL),
    END};
static const spec rollout_spec[] = {
    FLAG("kill_switch", V_STR, "storage.kill_switch"),
    MAP("reads", reads_spec, S_INHERIT),
    MAP("writes", writes_spec, S_INHERIT),
    FLAG("shadow_log", V_STR, "storage.shadow_log"),
    FLAG("expected_differences", V_STR, "storage.expected_differences"),
    MAP("policy", policy_spec, S_INHERIT),
    END};

/* ---- the old format ---- */
#define SQ_NEW "storage.backends.sqlite."
#define PG_NEW "storage.backends.postgresql."
static const spec sqlite_pool_old[] = {
    LEAF("pool_size", V_INT, T_POOL_SIZE, 0, 10000, SQ_NEW "connection_pool.size"),
    LEAF("max_overflow", V_INT, T_POOL_OVERFLOW, 0, 10000, SQ_NEW "connection_pool.max_overflow"),
    LEAF("timeout", V_NUM, T_POOL_TIMEOUT, 0, 86400, SQ_NEW "connection_pool.timeout"),
    END};
static const spec sqlite_old[] = {
    LEAF("path", V_TEMPLATE, T_SQLITE_PATH, 0, 0, SQ_NEW "path_template"),
    ENUM("journal_mode", T_JOURNAL, journal_modes, SQ_NEW "options.journal_mode"),
    ENUM("synchronous", T_SYNC, sync_modes, SQ_NEW "options.synchronous"),
    LEAF("cache_size", V_INT, T_CACHE, -I64, I64, SQ_NEW "options.cache_size"),
    LEAF("mmap_size", V_INT, T_MMAP, 0, I64, SQ_NEW "options.mmap_size"),
    ENUM("temp_store", T_TEMP, temp_stores, SQ_NEW "options.temp_store"),
    MAP("pool", sqlite_pool_old, MDM_APP_SQLITE),
    END};
static const spec pg_old[] = {
    LEAF("host", V_STR, T_PG_HOST, 0, 0, PG_NEW "options.host"),
    LEAF("port", V_INT, T_PG_PORT, 1, 65535, PG_NEW "options.port"),
    LEAF("user", V_STR, T_PG_USER, 0, 0, PG_NEW "options.user"),
    LEAF("password", V_STR, T_PG_PASSWORD, 0, 0, PG_NEW "options.password"),
    ENUM("sslmode", T_PG_SSLMODE, sslmodes, PG_NEW "options.sslmode"),
    LEAF("database_prefix", V_STR, T_PG_PREFIX, 0, 0, PG_NEW "path_template"),
    LEAF("pool_size", V_INT, T_POOL_SIZE, 0, 10000, PG_NEW "connection_pool.size"),
    LEAF("max_overflow", V_INT, T_POOL_OVERFLOW, 0, 10000, PG_NEW "connection_pool.max_overflow"),
    LEAF("pool_timeout", V_NUM, T_POOL_TIMEOUT, 0, 86400, PG_NEW "connection_pool.timeout"),
    LEAF("pool_recycle", V_NUM, T_POOL_RECYCLE, -1, 1e9, PG_NEW "connection_pool.recycle"),
    END};
/* database: the backends' sections, or SQLite's keys directly (legacy
 * took the whole mapping as SQLite's settings when there was no `sqlite`). */
static const spec database_old[] = {
    ENUM("default_backend", T_BACKEND, backends, "storage.default_backend"),
    {"sqlite", V_MAP, T_NONE, sqlite_old, NULL, 0, 0, S_INHERIT, NULL, NULL},
    {"postgresql", V_MAP, T_NONE, pg_old, NULL, 0, 0, MDM_APP_POSTGRESQL, NULL, NULL},
    LEAF("path", V_TEMPLATE, T_SQLITE_PATH, 0, 0, SQ_NEW "path_template"),
    ENUM("journal_mode", T_JOURNAL, journal_modes, SQ_NEW "options.journal_mode"),
    ENUM("synchronous", T_SYNC, sync_modes, SQ_NEW "options.synchronous"),
    LEAF("cache_size", V_INT, T_CACHE, -I64, I64, SQ_NEW "options.cache_size"),
    LEAF("mmap_size", V_INT, T_MMAP, 0, I64, SQ_NEW "options.mmap_size"),
    ENUM("temp_store", T_TEMP, temp_stores, SQ_NEW "options.temp_store"),
    MAP("pool", sqlite_pool_old, MDM_APP_SQLITE),
    END};

static const spec root_spec[] = {
    MAP("storage", storage_new, S_INHERIT),
    MAP("database", database_old, S_INHERIT),
    MAP("rollout", rollout_spec, S_INHERIT),
    END};

/* ---- Defaults ------------------------------------------------------------------ */

void mdm_app_config_init(mdm_app_config *c)
{
    const mdm_pool_opts sqlite_pool = MDM_POOL_OPTS_INIT;
    mdm_pool_opts pg_pool = MDM_POOL_OPTS_INIT;
    memset(c, 0, sizeof *c);
    snprintf(c->backend, sizeof c->backend, "sqlite");
    c->cache_size = -64000;
    c->mmap_size = 268435456;
    c->busy_timeout_ms = 5000;
    c->pg_connect_timeout = 10;
    c->policy = (mdm_rollout_policy)MDM_ROLLOUT_POLICY_INIT;
    pg_pool.pool_size = 10;      /* legacy's PostgreSQL defaults (LEGACY.md 2) */
    pg_pool.max_overflow = 20;
    c->pool[MDM_APP_SQLITE] = sqlite_pool;
    c->pool[MDM_APP_POSTGRESQL] = pg_pool;
    mdm_flag_settings_init(&c->flags);
}

void mdm_app_config_reset(mdm_app_config *c)
{
    if (c == NULL)
        return;
    char **strs[] = {&c->sqlite_path, &c->journal_mode, &c->synchronous, &c->temp_store,
                     &c->pg_path, &c->pg_dsn, &c->pg_host, &c->pg_port, &c->pg_user,
                     &c->pg_password, &c->pg_sslmode};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    mdm_app_config_init(c);
}

const mdm_pool_opts *mdm_app_config_pool(const mdm_app_config *c)
{
    return &c->pool[strcmp(c->backend, "postgresql") == 0 ? MDM_APP_POSTGRESQL : MDM_APP_SQLITE];
}

/* ---- Loading ------------------------------------------------------------------ */

typedef struct staged_pool {
    mdm_pool_opts o;
    unsigned set;   /* bit per target - T_POOL_SIZE */
} staged_pool;

typedef struct loader {
    const mdm_conf *conf;
    mdm_app_config *c;
    staged_pool pool[3];   /* 0: all, 1: sqlite, 2: postgresql */
    mdm_error *err;
} loader;

static mdm_status fail_at(loader *L, const mdm_conf_node *n, const char *fmt, ...)
    MDM_PRINTF(3, 4);
static mdm_status fail_at(loader *L, const mdm_conf_node *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mdm_error_set(L->err, MDM_ERR_CONFIG, "%s:%d: %s", L->conf->source, n->line, msg);
}

static mdm_status bad(loader *L, const mdm_conf_node *n, const char *key, const char *what)
{
    if (n->kind != MDM_CONF_SCALAR)
        return fail_at(L, n, "key '%s': expected %s, got a %s", key, what,
                       n->kind == MDM_CONF_MAP ? "mapping" : "list");
    return fail_at(L, n, "key '%s': expected %s, got '%.200s'", key, what, n->value);
}

static mdm_status set_str(loader *L, char **dst, const char *v)
{
    char *d = strdup(v);
    if (d == NULL)
        return mdm_error_set(L->err, MDM_ERR_NOMEM, "out of memory");
    free(*dst);
    *dst = d;
    return MDM_OK;
}

static mdm_status parse_int(loader *L, const mdm_conf_node *n, const spec *s, const char *key,
                            int64_t *out)
{
    char *end = NULL;
    char what[96];
    snprintf(what, sizeof what, "an integer from %.0f to %.0f", s->min, s->max);
    if (s->min < -1e18 && s->max > 1e18)
        snprintf(what, sizeof what, "an integer");
    else if (s->max > 1e18)
        snprintf(what, sizeof what, "an integer >= %.0f", s->min);
    if (n->kind != MDM_CONF_SCALAR || n->value[0] == '\0')
        return bad(L, n, key, what);
    errno = 0;
    long long v = strtoll(n->value, &end, 10);
    if (errno != 0 || *end != '\0' || (double)v < s->min || (double)v > s->max)
        return bad(L, n, key, what);
    *out = v;
    return MDM_OK;
}

static mdm_status parse_num(loader *L, const mdm_conf_node *n, const spec *s, const char *key,
                            double *out)
{
    char *end = NULL;
    char what[96];
    snprintf(what, sizeof what, "a number from %g to %g", s->min, s->max);
    if (n->kind != MDM_CONF_SCALAR || n->value[0] == '\0')
        return bad(L, n, key, what);
    double v = strtod(n->value, &end);
    if (*end != '\0' || !isfinite(v) || v < s->min || v > s->max)
        return bad(L, n, key, what);
    *out = v;
    return MDM_OK;
}

static mdm_status parse_bool(loader *L, const mdm_conf_node *n, const char *key, bool *out)
{
    static const char *const t[] = {"true", "yes", "on"}, *const f[] = {"false", "no", "off"};
    for (int i = 0; n->kind == MDM_CONF_SCALAR && i < 3; i++) {
        if (strcasecmp(n->value, t[i]) == 0 || strcasecmp(n->value, f[i]) == 0) {
            *out = strcasecmp(n->value, t[i]) == 0;
            return MDM_OK;
        }
    }
    return bad(L, n, key, "true or false");
}

/* The canonical spelling of an enum value, or NULL. */
static const char *parse_enum(const mdm_conf_node *n, const char *const *choices)
{
    for (size_t i = 0; n->kind == MDM_CONF_SCALAR && choices[i] != NULL; i++)
        if (strcasecmp(n->value, choices[i]) == 0)
            return choices[i];
    return NULL;
}

static mdm_status enum_bad(loader *L, const mdm_conf_node *n, const char *key,
                           const char *const *choices)
{
    char what[200] = "one of";
    for (size_t i = 0; choices[i] != NULL; i++) {
        size_t l = strlen(what);
        snprintf(what + l, sizeof what - l, "%s %s", i ? "," : "", choices[i]);
    }
    return bad(L, n, key, what);
}

static staged_pool *pool_slot(loader *L, int scope)
{
    return &L->pool[scope == S_ALL || scope == S_INHERIT ? 0 : scope + 1];
}

static mdm_status apply_pool(loader *L, const mdm_conf_node *n, const spec *s, const char *key,
                             int scope)
{
    staged_pool *p = pool_slot(L, scope);
    int64_t i = 0;
    double d = 0;
    bool b = false;
    mdm_status rc = MDM_OK;
    if (s->kind == V_INT)
        rc = parse_int(L, n, s, key, &i);
    else if (s->kind == V_NUM)
        rc = parse_num(L, n, s, key, &d);
    else
        rc = parse_bool(L, n, key, &b);
    if (rc != MDM_OK)
        return rc;
    switch (s->target) {
    case T_POOL_SIZE: p->o.pool_size = (int)i; break;
    case T_POOL_OVERFLOW: p->o.max_overflow = (int)i; break;
    case T_POOL_TIMEOUT: p->o.timeout_s = d; break;
    case T_POOL_PREPING: p->o.pre_ping = b; break;
    default: p->o.recycle_s = d; break;
    }
    p->set |= 1u << (s->target - T_POOL_SIZE);
    return MDM_OK;
}

/* Strings, templates and enums into the config's fields. */
static char **str_field(mdm_app_config *c, target t)
{
    switch (t) {
    case T_SQLITE_PATH: return &c->sqlite_path;
    case T_JOURNAL: return &c->journal_mode;
    case T_SYNC: return &c->synchronous;
    case T_TEMP: return &c->temp_store;
    case T_PG_PATH: return &c->pg_path;
    case T_PG_DSN: return &c->pg_dsn;
    case T_PG_HOST: return &c->pg_host;
    case T_PG_PORT: return &c->pg_port;
    case T_PG_USER: return &c->pg_user;
    case T_PG_PASSWORD: return &c->pg_password;
    case T_PG_SSLMODE: return &c->pg_sslmode;
    default: return NULL;
    }
}

static mdm_status apply_template(loader *L, const mdm_conf_node *n, const spec *s,
                                 const char *key)
{
    const char *v = n->kind == MDM_CONF_SCALAR ? n->value : NULL;
    const char *at = v != NULL ? strstr(v, "{name}") : NULL;
    if (at == NULL || strstr(at + 6, "{name}") != NULL)
        return bad(L, n, key, "a template containing {name} once");
    return set_str(L, str_field(L->c, s->target), v);
}

static mdm_status apply_prefix(loader *L, const mdm_conf_node *n, const char *key)
{
    char buf[512];
    if (n->kind != MDM_CONF_SCALAR || strchr(n->value, '{') != NULL)
        return bad(L, n, key, "a database name prefix");
    snprintf(buf, sizeof buf, "%s{name}", n->value);
    return set_str(L, &L->c->pg_path, buf);
}

static mdm_status apply_int(loader *L, const mdm_conf_node *n, const spec *s, const char *key)
{
    int64_t v = 0;
    char text[32];
    mdm_status rc = parse_int(L, n, s, key, &v);
    if (rc != MDM_OK)
        return rc;
    switch (s->target) {
    case T_CACHE: L->c->cache_size = v; break;
    case T_MMAP: L->c->mmap_size = v; break;
    case T_BUSY: L->c->busy_timeout_ms = (int)v; break;
    case T_PG_CTIMEOUT: L->c->pg_connect_timeout = (int)v; break;
    default:   /* T_PG_PORT: kept as text, as libpq takes it */
        snprintf(text, sizeof text, "%" PRId64, v);
        rc = set_str(L, &L->c->pg_port, text);
        break;
    }
    return rc;
}

static mdm_status apply_policy(loader *L, const mdm_conf_node *n, const spec *s,
                               const char *key)
{
    mdm_rollout_policy *p = &L->c->policy;
    int64_t i = 0;
    double d = 0;
    const char *e = NULL;
    if (s->target == T_POL_ROLLBACK) {
        if ((e = parse_enum(n, s->choices)) == NULL)
            return enum_bad(L, n, key, s->choices);
        p->rollback = strcmp(e, "step_back") == 0 ? MDM_ROLLBACK_STEP_BACK : MDM_ROLLBACK_KILL_SWITCH;
        return MDM_OK;
    }
    mdm_status rc = s->kind == V_INT ? parse_int(L, n, s, key, &i) : parse_num(L, n, s, key, &d);
    if (rc != MDM_OK)
        return rc;
    switch (s->target) {
    case T_POL_STEP: p->step = (int)i; break;
    case T_POL_MAX: p->maximum = (int)i; break;
    case T_POL_MIN: p->min_comparisons = i; break;
    case T_POL_MISMATCH: p->max_mismatch_rate = d; break;
    case T_POL_CANDERR: p->max_candidate_error_rate = d; break;
    case T_POL_LATENCY: p->max_p99_latency_ratio = d; break;
    default: p->rollback_after = (int)i; break;
    }
    return MDM_OK;
}

static mdm_status apply_flag(loader *L, const mdm_conf_node *n, const spec *s, const char *key)
{
    char where[400];
    if (n->kind != MDM_CONF_SCALAR)
        return bad(L, n, key, "a value");
    snprintf(where, sizeof where, "%s:%d: key '%s'", L->conf->source, n->line, key);
    mdm_status rc = mdm_flag_set(&L->c->flags, s->flag, n->value, MDM_FLAG_SRC_CONFIG, where,
                                 L->err);
    if (rc == MDM_ERR_UNSUPPORTED && L->err != NULL)
        L->err->code = MDM_ERR_CONFIG;
    return rc == MDM_OK ? MDM_OK : MDM_ERR_CONFIG;
}

static mdm_status apply_leaf(loader *L, const mdm_conf_node *n, const spec *s, const char *key,
                             int scope)
{
    const char *e;
    if (s->target >= T_POOL_SIZE && s->target <= T_POOL_RECYCLE)
        return apply_pool(L, n, s, key, scope);
    if (s->target == T_FLAG)
        return apply_flag(L, n, s, key);
    if (s->target >= T_POL_STEP)
        return apply_policy(L, n, s, key);
    if (s->target == T_PG_PREFIX)
        return apply_prefix(L, n, key);
    switch (s->kind) {
    case V_TEMPLATE:
        return apply_template(L, n, s, key);
    case V_INT:
        return apply_int(L, n, s, key);
    case V_ENUM:
        if ((e = parse_enum(n, s->choices)) == NULL)
            return enum_bad(L, n, key, s->choices);
        if (s->target == T_BACKEND) {
            snprintf(L->c->backend, sizeof L->c->backend, "%s", e);
            return MDM_OK;
        }
        return set_str(L, str_field(L->c, s->target), e);
    default:
        if (n->kind != MDM_CONF_SCALAR)
            return bad(L, n, key, "a string");
        return set_str(L, str_field(L->c, s->target), n->value);
    }
}

static const spec *find_spec(const spec *specs, const char *key)
{
    for (const spec *s = specs; s->key != NULL; s++)
        if (strcmp(s->key, key) == 0)
            return s;
    return NULL;
}

static mdm_status unknown_key(loader *L, const mdm_conf_node *n, const char *key,
                              const spec *specs)
{
    char known[300] = "";
    for (const spec *s = specs; s->key != NULL; s++) {
        size_t l = strlen(known);
        snprintf(known + l, sizeof known - l, "%s%s", l ? ", " : "", s->key);
    }
    return fail_at(L, n, "unknown key '%s' (known here: %s)", key, known);
}

static void join_key(char *buf, size_t n, const char *prefix, const char *key)
{
    snprintf(buf, n, "%s%s%s", prefix, prefix[0] ? "." : "", key);
}

static mdm_status walk(loader *L, const mdm_conf_node *map, const spec *specs,
                       const char *prefix, int scope);

/* Old format: SQLite keys directly under database: only without a
 * `sqlite` section (which legacy would have used instead). */
static mdm_status check_database(loader *L, const mdm_conf_node *db)
{
    if (mdm_conf_get(db, "sqlite") == NULL)
        return MDM_OK;
    for (size_t i = 0; i < db->nitems; i++) {
        const char *k = db->items[i].key;
        if (strcmp(k, "default_backend") != 0 && strcmp(k, "sqlite") != 0 &&
            strcmp(k, "postgresql") != 0)
            return fail_at(L, &db->items[i],
                           "key 'database.%s': SQLite settings belong under 'database.sqlite' "
                           "when that section exists", k);
    }
    return MDM_OK;
}

static mdm_status walk_item(loader *L, const mdm_conf_node *n, const spec *specs,
                            const char *prefix, int scope)
{
    char key[256];
    const spec *s = find_spec(specs, n->key);
    join_key(key, sizeof key, prefix, n->key);
    if (s == NULL)
        return unknown_key(L, n, key, specs);
    if (s->kind != V_MAP)
        return apply_leaf(L, n, s, key, scope);
    if (n->kind != MDM_CONF_MAP)
        return bad(L, n, key, "a mapping");
    if (strcmp(key, "database") == 0) {
        mdm_status rc = check_database(L, n);
        if (rc != MDM_OK)
            return rc;
    }
    return walk(L, n, s->children, key, s->scope != S_INHERIT ? s->scope : scope);
}

static mdm_status walk(loader *L, const mdm_conf_node *map, const spec *specs,
                       const char *prefix, int scope)
{
    mdm_status rc = MDM_OK;
    for (size_t i = 0; rc == MDM_OK && i < map->nitems; i++)
        rc = walk_item(L, &map->items[i], specs, prefix, scope);
    return rc;
}

/* defaults <- storage.connection_pool <- backends.<name>.connection_pool */
static void merge_pools(loader *L)
{
    for (int b = 0; b < 2; b++) {
        mdm_pool_opts *dst = &L->c->pool[b];
        for (int layer = 0; layer < 2; layer++) {
            const staged_pool *p = &L->pool[layer == 0 ? 0 : b + 1];
            if (p->set & 1u) dst->pool_size = p->o.pool_size;
            if (p->set & 2u) dst->max_overflow = p->o.max_overflow;
            if (p->set & 4u) dst->timeout_s = p->o.timeout_s;
            if (p->set & 8u) dst->pre_ping = p->o.pre_ping;
            if (p->set & 16u) dst->recycle_s = p->o.recycle_s;
        }
    }
}

static mdm_status check_whole(loader *L)
{
    const mdm_conf_node *root = &L->conf->root;
    const mdm_conf_node *st = mdm_conf_get(root, "storage"), *db = mdm_conf_get(root, "database");
    if (st != NULL && db != NULL)
        return fail_at(L, st->line > db->line ? st : db,
                       "'storage:' (new format) and 'database:' (old format) in one file; "
                       "keep one (mdm config migrate converts the old one)");
    L->c->format = st != NULL ? MDM_APPCONF_NEW : db != NULL ? MDM_APPCONF_OLD : MDM_APPCONF_NONE;
    for (int b = 0; b < 2; b++) {
        const mdm_pool_opts *p = &L->c->pool[b];
        if (p->pool_size + p->max_overflow < 1)
            return fail_at(L, st != NULL ? st : db != NULL ? db : root,
                           "%s connection pool: size + max_overflow must be at least 1",
                           backends[b]);
    }
    return MDM_OK;
}

mdm_status mdm_app_config_load_tree(mdm_app_config *c, const mdm_conf *conf, mdm_error *err)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.conf = conf;
    L.c = c;
    L.err = err;
    mdm_app_config_reset(c);
    mdm_status rc = MDM_OK;
    if (conf->root.kind != MDM_CONF_MAP)
        rc = mdm_error_set(err, MDM_ERR_CONFIG, "%s:%d: expected a mapping at the top",
                           conf->source, conf->root.line);
    if (rc == MDM_OK)
        rc = walk(&L, &conf->root, root_spec, "", S_ALL);
    if (rc == MDM_OK)
        merge_pools(&L);
    if (rc == MDM_OK)
        rc = check_whole(&L);
    if (rc == MDM_OK)
        snprintf(c->source, sizeof c->source, "%s", conf->source);
    else
        mdm_app_config_reset(c);
    return rc;
}

mdm_status mdm_app_config_load_file(mdm_app_config *c, const char *path, mdm_error *err)
{
    mdm_conf *conf = NULL;
    mdm_status rc = mdm_conf_load_file(path, &conf, err);
    if (rc == MDM_OK)
        rc = mdm_app_config_load_tree(c, conf, err);
    mdm_conf_free(conf);
    return rc;
}

/* ---- Migration ------------------------------------------------------------------- */

/* The child map `key` of parent, made when missing. */
static mdm_status child_map(mdm_conf_node *parent, const char *key, mdm_conf_node **out,
                            mdm_error *err)
{
    for (size_t i = 0; i < parent->nitems; i++) {
        if (strcmp(parent->items[i].key, key) == 0) {
            *out = &parent->items[i];
            return parent->items[i].kind == MDM_CONF_MAP
                       ? MDM_OK
                       : mdm_error_set(err, MDM_ERR_CONFIG, "migrate: '%s' is not a mapping", key);
        }
    }
    return mdm_conf_add(parent, key, MDM_CONF_MAP, NULL, out, err);
}

/* Puts value at the dotted path in the new tree. */
static mdm_status put_path(mdm_conf *dst, const char *dotted, const char *value, bool quoted,
                           mdm_error *err)
{
    char path[256], *save = NULL;
    mdm_conf_node *at = &dst->root, *leaf = NULL;
    mdm_status rc = MDM_OK;
    snprintf(path, sizeof path, "%s", dotted);
    char *part = strtok_r(path, ".", &save);
    while (rc == MDM_OK && part != NULL) {
        char *next = strtok_r(NULL, ".", &save);
        if (next == NULL)
            rc = mdm_conf_add(at, part, MDM_CONF_SCALAR, value, &leaf, err);
        else
            rc = child_map(at, part, &at, err);
        part = next;
    }
    if (rc == MDM_OK && leaf != NULL)
        leaf->quoted = quoted;
    return rc;
}

static mdm_status migrate_walk(mdm_conf *dst, const mdm_conf_node *map, const spec *specs,
                               const char *prefix, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (size_t i = 0; rc == MDM_OK && i < map->nitems; i++) {
        const mdm_conf_node *n = &map->items[i];
        const spec *s = find_spec(specs, n->key);
        char key[256], buf[512];
        join_key(key, sizeof key, prefix, n->key);
        if (s != NULL && s->kind == V_MAP) {
            rc = migrate_walk(dst, n, s->children, key, err);
        } else if (s != NULL && s->target == T_PG_PREFIX) {
            snprintf(buf, sizeof buf, "%s{name}", n->value);
            rc = put_path(dst, s->to, buf, true, err);
        } else if (s != NULL) {
            rc = put_path(dst, s->to != NULL ? s->to : key, n->value, n->quoted, err);
        }
    }
    return rc;
}

mdm_status mdm_app_config_migrate(const mdm_conf *old, mdm_conf **out, mdm_error *err)
{
    mdm_app_config check;
    mdm_conf *dst = NULL;
    mdm_app_config_init(&check);
    mdm_status rc = mdm_app_config_load_tree(&check, old, err);   /* validates */
    mdm_app_config_reset(&check);
    if (rc == MDM_OK)
        rc = mdm_conf_new(old->source, &dst, err);
    if (rc == MDM_OK)
        rc = migrate_walk(dst, &old->root, root_spec, "", err);
    if (rc != MDM_OK) {
        mdm_conf_free(dst);
        return rc;
    }
    *out = dst;
    return MDM_OK;
}

/* ---- Dump ---------------------------------------------------------------------------- */

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *or(const char *s, const char *dflt)
{
    return s != NULL ? s : dflt;
}

mdm_status mdm_app_config_dump(const mdm_app_config *c, mdm_buf *out, mdm_error *err)
{
    mdm_buf lines[40];
    const char *sorted[40];
    size_t n = 0;
    mdm_status rc = MDM_OK;
    for (size_t i = 0; i < 40; i++)
        mdm_buf_init(&lines[i]);
#define PUT(...) (rc = rc == MDM_OK ? mdm_buf_printf(&lines[n++], __VA_ARGS__) : rc)
    PUT("storage.default_backend = %s", c->backend);
    PUT("sqlite.path_template = %s", or(c->sqlite_path, "<home>/datasets/{name}/dataset.sqlite"));
    PUT("sqlite.journal_mode = %s", or(c->journal_mode, "WAL"));
    PUT("sqlite.synchronous = %s", or(c->synchronous, "NORMAL"));
    PUT("sqlite.temp_store = %s", or(c->temp_store, "unset (SQLite's own; MEMORY on legacy)"));
    PUT("sqlite.cache_size = %" PRId64, c->cache_size);
    PUT("sqlite.mmap_size = %" PRId64, c->mmap_size);
    PUT("sqlite.busy_timeout = %d", c->busy_timeout_ms);
    PUT("postgresql.path_template = %s", or(c->pg_path, "mdm_{name}"));
    PUT("postgresql.dsn = %s", or(c->pg_dsn, ""));
    PUT("postgresql.host = %s", or(c->pg_host, ""));
    PUT("postgresql.port = %s", or(c->pg_port, ""));
    PUT("postgresql.user = %s", or(c->pg_user, ""));
    PUT("postgresql.password = %s", or(c->pg_password, ""));
    PUT("postgresql.sslmode = %s", or(c->pg_sslmode, ""));
    PUT("postgresql.connect_timeout = %d", c->pg_connect_timeout);
    for (int b = 0; b < 2; b++) {
        const mdm_pool_opts *p = &c->pool[b];
        PUT("%s.pool.size = %d", backends[b], p->pool_size);
        PUT("%s.pool.max_overflow = %d", backends[b], p->max_overflow);
        PUT("%s.pool.timeout = %g", backends[b], p->timeout_s);
        PUT("%s.pool.pre_ping = %s", backends[b], p->pre_ping ? "true" : "false");
        PUT("%s.pool.recycle = %g", backends[b], p->recycle_s);
    }
    PUT("rollout.reads = %s", mdm_impl_name(c->flags.reads.mode));
    PUT("rollout.reads.percent = %d", c->flags.reads.percent);
    PUT("rollout.writes = %s", mdm_impl_name(c->flags.writes.mode));
    PUT("rollout.writes.percent = %d", c->flags.writes.percent);
    PUT("rollout.kill_switch = %s", c->flags.kill_switch ? "on" : "off");
    PUT("rollout.shadow_log = %s", c->flags.shadow_log);
    PUT("rollout.expected_differences = %s", c->flags.expected);
    PUT("rollout.policy = step %d, maximum %d, min_comparisons %lld, max_mismatch_rate %g, "
        "max_candidate_error_rate %g, max_p99_latency_ratio %g, rollback_after %d, rollback %s",
        c->policy.step, c->policy.maximum, (long long)c->policy.min_comparisons,
        c->policy.max_mismatch_rate, c->policy.max_candidate_error_rate,
        c->policy.max_p99_latency_ratio, c->policy.rollback_after,
        c->policy.rollback == MDM_ROLLBACK_STEP_BACK ? "step_back" : "kill_switch");
#undef PUT
    for (size_t i = 0; i < n; i++)
        sorted[i] = mdm_buf_str(&lines[i]);
    qsort(sorted, n, sizeof sorted[0], line_cmp);
    for (size_t i = 0; rc == MDM_OK && i < n; i++)
        rc = mdm_buf_printf(out, "%s\n", sorted[i]);
    for (size_t i = 0; i < 40; i++)
        mdm_buf_reset(&lines[i]);
    return rc == MDM_OK ? MDM_OK : mdm_error_set(err, rc, "out of memory");
}
