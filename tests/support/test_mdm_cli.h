/* SPDX-License-Identifier: MIT */
/*
 * test_mdm_cli.h - runs the built `mdm` as users do, for tests that need
 * several processes at once (the concurrency tests start several and wait
 * for all of them) or a fixture of their own: build/mdm (or
 * $MDM_BIN) as a child whose environment is HOME (a test folder) and PATH
 * only, never the caller's MDM_* variables. No cmocka here: the test
 * asserts on what these return.
 */
#ifndef MDM_TEST_MDM_CLI_H
#define MDM_TEST_MDM_CLI_H

#include <stddef.h>
#include <sys/types.h>

/* <folder of the test binary>/../mdm, or $MDM_BIN. */
void mdm_test_cli_bin(char *out, size_t n);

/* Starts `bin args...` (args NULL-terminated) with stdin from /dev/null,
 * stdout to out_path and stderr to err_path (NULL: /dev/null) and an
 * environment of HOME=home and PATH only (never the caller's MDM_*).
 * Returns the child's pid (aborts the test when fork fails). */
pid_t mdm_test_spawn(const char *bin, const char *const *args, const char *home,
                     const char *out_path, const char *err_path);

/* The same with stdin read from in_path. */
pid_t mdm_test_spawn_in(const char *bin, const char *const *args, const char *home,
                        const char *in_path, const char *out_path, const char *err_path);

/* Waits for the child; returns its exit code, or 128 + signal; -2 (after
 * killing it) when it runs for more than MDM_TEST_WAIT_LIMIT_S seconds,
 * the time box of one mdm run in these tests (a hang, never a slow run). */
#define MDM_TEST_WAIT_LIMIT_S 120
int mdm_test_wait(pid_t pid);

/* Reads a whole file (malloc'd, NUL-terminated; "" when it cannot be read). */
char *mdm_test_slurp(const char *path);

#endif
