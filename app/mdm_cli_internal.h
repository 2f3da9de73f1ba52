/* SPDX-License-Identifier: MIT */
/*
 * mdm_cli_internal.h - what the program's files share: parsed arguments,
 * the command table, the session (home, config, flag, DatasetManager) a
 * command runs in, and one-line error reporting.
 */
#ifndef MDM_CLI_INTERNAL_H
#define MDM_CLI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "mdm_appconfig.h"
#include "mdm_cli.h"
#include "mdm_dataset.h"
#include "mdm_flag.h"
#include "mdm_output.h"
#include "mdm_rollout.h"

#define CLI_MAX_POS 4
#define CLI_MAX_OPTS 64

typedef struct cli_opt_spec {
    const char *name;      /* "--table" */
    char short_name;       /* 'o' for -o, or 0 */
    const char *arg;       /* "T" for a value, NULL for a switch */
} cli_opt_spec;

typedef struct cli_args {
    const char *pos[CLI_MAX_POS];
    size_t npos;
    const char *names[CLI_MAX_OPTS];
    const char *values[CLI_MAX_OPTS];
    size_t nopts;
} cli_args;

typedef struct mdm_cli {
    const mdm_cli_io *io;
    const char *cmd;                     /* for messages: "load" */
    const char *home_opt, *config_opt, *impl_opt;
} mdm_cli;

typedef int (*cli_cmd_fn)(mdm_cli *cli, const cli_args *a);

typedef struct cli_command {
    const char *name;                    /* "register", "config migrate" */
    const char *synopsis;                /* after the name */
    const char *help;                    /* description and options */
    const cli_opt_spec *opts;            /* command's own, NULL-name ended */
    size_t min_pos, max_pos;
    cli_cmd_fn run;
} cli_command;

/* The last value of an option, or NULL. */
const char *cli_opt(const cli_args *a, const char *name);
/* Has the switch been given? */
bool cli_flag(const cli_args *a, const char *name);

/* Prints "mdm: <cmd>: <message>" (one line) and returns the exit code. */
int cli_fail(mdm_cli *cli, const mdm_error *err);
/* A usage error: "mdm: <cmd>: <message> (see 'mdm <cmd> --help')", exit 2. */
int cli_usage(mdm_cli *cli, const char *fmt, ...) MDM_PRINTF(2, 3);

/* What a command runs with. */
typedef struct cli_session {
    char home[2048];
    const char *user_home;               /* $HOME or NULL */
    mdm_app_config cfg;
    mdm_flag_settings flags;             /* config + rollout state + env + command line */
    mdm_rollout_state rollout;           /* the rollout state file (exists false: none) */
    mdm_dsm *dsm;
} cli_session;

/* Home, config, flags (and, with need_dsm, the DatasetManager). */
MDM_NODISCARD mdm_status cli_session_open(mdm_cli *cli, cli_session *s, bool need_dsm,
                                          mdm_error *err);
void cli_session_close(cli_session *s);

/* The output format option (--format), default table. */
MDM_NODISCARD mdm_status cli_format(const cli_args *a, mdm_out_format *out, mdm_error *err);

/* Commands (mdm_cli_data.c, mdm_cli_admin.c). */
int mdm_cmd_register(mdm_cli *cli, const cli_args *a);
int mdm_cmd_load(mdm_cli *cli, const cli_args *a);
int mdm_cmd_query(mdm_cli *cli, const cli_args *a);
int mdm_cmd_info(mdm_cli *cli, const cli_args *a);
int mdm_cmd_list(mdm_cli *cli, const cli_args *a);
int mdm_cmd_remove(mdm_cli *cli, const cli_args *a);
int mdm_cmd_flags(mdm_cli *cli, const cli_args *a);
int mdm_cmd_config_migrate(mdm_cli *cli, const cli_args *a);
int mdm_cmd_rollout(mdm_cli *cli, const cli_args *a);

#endif
