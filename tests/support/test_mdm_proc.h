/* SPDX-License-Identifier: MIT */
/*
 * test_mdm_proc.h - running the built `mdm` program as a child process, many
 * at once: the concurrency tests start several and wait for all of them.
 * Test-only code.
 */
#ifndef MDM_TEST_MDM_PROC_H
#define MDM_TEST_MDM_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* (The mdm binary to run: mdm_test_cli_bin, test_mdm_cli.h.) */

/* Starts `bin args...` (args NULL-terminated) with stdin from /dev/null,
 * stdout to out_path and stderr to err_path (NULL: /dev/null) and an
 * environment of HOME=home and PATH only (never the caller's MDM_*).
 * Returns the child's pid (fails the test when fork fails). */
pid_t mdm_test_spawn(const char *bin, const char *const *args, const char *home,
                     const char *out_path, const char *err_path);

/* Waits for the child; returns its exit code, or 128 + signal; -2 (after
 * killing it) when it runs for more than MDM_TEST_WAIT_LIMIT_S seconds,
 * the time box of one mdm run in these tests (a hang, never a slow run). */
#define MDM_TEST_WAIT_LIMIT_S 120
int mdm_test_wait(pid_t pid);

/* Reads a whole file into a new string ("" when it cannot be read). */
char *mdm_test_slurp(const char *path);

#endif
