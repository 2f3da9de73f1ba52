/* SPDX-License-Identifier: MIT */
/*
 * mdm_cli_admin.c - the commands about mdm itself: `flags` (each effective
 * setting of the storage flag, its value and its source, and a dataset's
 * buckets) and `config migrate` (old config format to new, written
 * atomically, with the input's permissions or 0600 when it holds a secret).
 */
#include "mdm_cli_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- flags ------------------------------------------------------------------------ */

static mdm_status flag_row(mdm_table *t, const char *setting, const char *value,
                           const char *source, mdm_error *err)
{
    mdm_status rc = mdm_table_push_text(t, 0, setting, strlen(setting), err);
    if (rc == MDM_OK)
        rc = mdm_table_push_text(t, 1, value, strlen(value), err);
    if (rc == MDM_OK)
        rc = mdm_table_push_text(t, 2, source, strlen(source), err);
    return rc == MDM_OK ? mdm_table_end_row(t, err) : rc;
}

static mdm_status rollout_rows(mdm_table *t, const char *flag, const mdm_flag_rollout *r,
                               mdm_error *err)
{
    char src[300], pct[16], key[64];
    snprintf(pct, sizeof pct, "%d", r->percent);
    snprintf(key, sizeof key, "%s.percent", flag);
    mdm_status rc = flag_row(t, flag, mdm_impl_name(r->mode),
                             mdm_flag_origin_text(&r->mode_from, src, sizeof src), err);
    if (rc == MDM_OK)
        rc = flag_row(t, key, pct, mdm_flag_origin_text(&r->percent_from, src, sizeof src), err);
    return rc;
}

static mdm_status settings_rows(mdm_table *t, const cli_session *s, mdm_error *err)
{
    const mdm_flag_settings *f = &s->flags;
    char src[300];
    mdm_status rc = rollout_rows(t, MDM_FLAG_READS, &f->reads, err);
    if (rc == MDM_OK)
        rc = rollout_rows(t, MDM_FLAG_WRITES, &f->writes, err);
    if (rc == MDM_OK)
        rc = flag_row(t, "storage.kill_switch", f->kill_switch ? "on" : "off",
                      mdm_flag_origin_text(&f->kill_switch_from, src, sizeof src), err);
    if (rc == MDM_OK)
        rc = flag_row(t, "storage.shadow_log", mdm_dsm_shadow_log(s->dsm),
                      mdm_flag_origin_text(&f->shadow_log_from, src, sizeof src), err);
    return rc;
}

static mdm_status decision_rows(mdm_table *t, const cli_session *s, const char *flag,
                                mdm_flag_op op, const char *name, mdm_error *err)
{
    mdm_flag_decision d;
    char key[64], bucket[16], why[160];
    mdm_flag_decide(&s->flags, op, name, &d);
    snprintf(bucket, sizeof bucket, "%d", d.bucket);
    snprintf(why, sizeof why, "murmur3(\"%s:%s\") %% 100 + 1", flag, name);
    snprintf(key, sizeof key, "%s.bucket", flag);
    mdm_status rc = flag_row(t, key, bucket, why, err);
    snprintf(key, sizeof key, "%s.serves", flag);
    if (rc == MDM_OK)
        rc = flag_row(t, key, mdm_impl_name(d.impl), d.reason, err);
    return rc;
}

static mdm_status flags_table(const cli_session *s, const char *dataset, mdm_table *t,
                              mdm_error *err)
{
    char name[MDM_DATASET_NAME_MAX + 1];
    mdm_status rc = mdm_table_add_column(t, "setting", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, "value", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, "source", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = settings_rows(t, s, err);
    if (rc != MDM_OK || dataset == NULL)
        return rc;
    rc = mdm_dataset_normalize_name(dataset, name, err);
    if (rc == MDM_OK)
        rc = flag_row(t, "dataset", name, strcmp(name, dataset) ? "normalised" : "", err);
    if (rc == MDM_OK)
        rc = decision_rows(t, s, MDM_FLAG_READS, MDM_FLAG_OP_READ, name, err);
    if (rc == MDM_OK)
        rc = decision_rows(t, s, MDM_FLAG_WRITES, MDM_FLAG_OP_WRITE, name, err);
    return rc;
}

int mdm_cmd_flags(mdm_cli *cli, const cli_args *a)
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
        rc = flags_table(&s, cli_opt(a, "--dataset"), &t, &err);
    if (rc == MDM_OK)
        rc = fmt == MDM_OUT_TABLE ? mdm_output_pretty(&t, false, cli->io->out, &err)
                                  : mdm_output_write(&t, fmt, cli->io->out, &err);
    mdm_table_reset(&t);
    cli_session_close(&s);
    return rc == MDM_OK ? MDM_EXIT_OK : cli_fail(cli, &err);
}

/* ---- config migrate ------------------------------------------------------------------------ */

/* Does the tree hold a secret: a password, or a DSN (which may carry one)? */
static bool holds_secret(const mdm_conf_node *n)
{
    if (n->key != NULL && (strcmp(n->key, "password") == 0 || strcmp(n->key, "dsn") == 0))
        return true;
    for (size_t i = 0; i < n->nitems; i++)
        if (holds_secret(&n->items[i]))
            return true;
    return false;
}

/* Writes the tree to path through a temporary file and a rename. The
 * temporary file is created with its final mode (O_EXCL: never someone
 * else's file), so a password is never readable by others, not even for a
 * moment; fchmod gives back what the umask took. */
static mdm_status write_atomically(const mdm_conf *conf, const char *path, mode_t mode,
                                   mdm_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    FILE *f = fd >= 0 && fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        mdm_error_set(err, MDM_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            (void)unlink(tmp);
        }
        return MDM_ERR_IO;
    }
    mdm_status rc = mdm_conf_write(&conf->root, f, err);
    if (fclose(f) != 0 && rc == MDM_OK)
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == MDM_OK && rename(tmp, path) != 0)
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    if (rc != MDM_OK)
        (void)unlink(tmp);
    return rc;
}

int mdm_cmd_config_migrate(mdm_cli *cli, const cli_args *a)
{
    const char *in = a->pos[0], *out = cli_opt(a, "--output");
    mdm_conf *old = NULL, *migrated = NULL;
    struct stat st;
    mdm_error err;
    mdm_status rc = MDM_OK;
    mdm_error_clear(&err);
    if (out != NULL && out[0] == '\0')
        return cli_usage(cli, "-o: empty file name");
    if (stat(in, &st) != 0) {
        rc = mdm_error_set(&err, MDM_ERR_NOT_FOUND, "cannot read '%s': %s", in, strerror(errno));
        goto done;
    }
    if ((rc = mdm_conf_load_file(in, &old, &err)) == MDM_ERR_PARSE)
        rc = err.code = MDM_ERR_CONFIG;   /* YAML that does not parse */
    if (rc != MDM_OK || (rc = mdm_app_config_migrate(old, &migrated, &err)) != MDM_OK)
        goto done;
    if (out == NULL)
        rc = mdm_conf_write(&migrated->root, cli->io->out, &err);
    else if ((rc = write_atomically(migrated, out,
                                    holds_secret(&migrated->root) ? 0600 : st.st_mode & 0777,
                                    &err)) == MDM_OK)
        fprintf(cli->io->err, "mdm: config migrate: wrote %s\n", out);
done:
    mdm_conf_free(old);
    mdm_conf_free(migrated);
    return rc == MDM_OK ? MDM_EXIT_OK : cli_fail(cli, &err);
}
