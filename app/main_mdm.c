/* SPDX-License-Identifier: MIT */
/*
 * main_mdm.c - the `mdm` program's entry point. It is the only place that
 * reads the process environment (getenv) and asks whether stderr is a
 * terminal; everything else is mdm_cli_run() with what it gathered here.
 */
#include "mdm_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *process_env(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

int main(int argc, char **argv)
{
    mdm_cli_io io = {stdout, stderr, isatty(fileno(stderr)) != 0, {process_env, NULL}};
    int rc = mdm_cli_run(argc, argv, &io);
    if (fflush(stdout) != 0 && rc == MDM_EXIT_OK) {
        fprintf(stderr, "mdm: cannot write output: %s\n", strerror(errno));
        rc = MDM_EXIT_FAILED;
    }
    return rc;
}
