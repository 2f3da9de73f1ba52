/* SPDX-License-Identifier: MIT */
/*
 * mdm_cli.h - the `mdm` program as a function: parses a command line, runs
 * the command and returns the exit code. main() only gathers what the
 * process offers (argv, stdout, stderr, whether stderr is a terminal, an
 * environment lookup), so tests can run the whole program in-process with
 * their own streams and environment.
 */
#ifndef MDM_CLI_H
#define MDM_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "mdm_flag.h"
#include "mdm_status.h"

#define MDM_VERSION "0.5.0"

/* Exit codes (documented in `mdm --help`). */
enum mdm_exit {
    MDM_EXIT_OK = 0,
    MDM_EXIT_FAILED = 1,     /* the operation failed: storage, SQL, CSV, I/O */
    MDM_EXIT_USAGE = 2,      /* bad command line or value; not in this build */
    MDM_EXIT_NOT_FOUND = 3,  /* dataset, table, column or file missing */
    MDM_EXIT_CONFIG = 4,     /* config file or MDM_STORAGE_* value */
    MDM_EXIT_EXISTS = 5      /* register onto an existing table (if-exists fail) */
};

/* The exit code for a status (MDM_OK -> 0). */
int mdm_cli_exit_code(mdm_status st);

typedef struct mdm_cli_io {
    FILE *out;          /* results */
    FILE *err;          /* messages, warnings, progress */
    bool err_is_tty;    /* enables the progress bar */
    mdm_env env;        /* MDM_HOME, HOME, MDM_STORAGE_* */
} mdm_cli_io;

/* Runs `mdm` with argv[0..argc) and returns the exit code. */
int mdm_cli_run(int argc, char **argv, const mdm_cli_io *io);

#endif
