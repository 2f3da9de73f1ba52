/* SPDX-License-Identifier: MIT */
/*
 * test_mdm_cli.h - runs the built `mdm` as users do, for tests that need
 * several processes at once or a fixture of their own: build/mdm (or
 * $MDM_BIN) as a child with HOME set to a test folder, PATH, and the
 * extra environment given; never the caller's MDM_* variables. No cmocka
 * here: failures to start are returned, the test asserts.
 */
#ifndef MDM_TEST_MDM_CLI_H
#define MDM_TEST_MDM_CLI_H

#include <stddef.h>
#include <sys/types.h>

/* <folder of the test binary>/../mdm, or $MDM_BIN. */
void mdm_test_cli_bin(char *out, size_t n);

/* A child running `bin args...` (args NULL-terminated) with HOME=home,
 * stdin /dev/null, stdout and stderr into the files named (created 0644).
 * Returns its pid, or -1. */
pid_t mdm_test_cli_spawn(const char *bin, const char *home, const char *const *args,
                         const char *out_path, const char *err_path);

/* Waits for pid: its exit status, 128 + the signal, or -1. */
int mdm_test_cli_wait(pid_t pid);

/* Reads a whole file (malloc'd, NUL-terminated; "" when it cannot be read). */
char *mdm_test_cli_slurp(const char *path);

#endif
