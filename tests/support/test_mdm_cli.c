/* SPDX-License-Identifier: MIT */
/*
 * test_mdm_cli.c - runs the built `mdm` as a child process (test_mdm_cli.h).
 */
#include "test_mdm_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void mdm_test_cli_bin(char *out, size_t n)
{
    const char *env = getenv("MDM_BIN");
    char self[PATH_MAX - 16];
    ssize_t len;
    if (env != NULL && env[0] != '\0') {
        snprintf(out, n, "%s", env);
        return;
    }
    len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        snprintf(out, n, "build/mdm");
        return;
    }
    self[len] = '\0';
    *strrchr(self, '/') = '\0';
    snprintf(out, n, "%s/../mdm", self);
}

pid_t mdm_test_spawn(const char *bin, const char *const *args, const char *home,
                     const char *out_path, const char *err_path)
{
    return mdm_test_spawn_in(bin, args, home, "/dev/null", out_path, err_path);
}

pid_t mdm_test_spawn_in(const char *bin, const char *const *args, const char *home,
                        const char *in_path, const char *out_path, const char *err_path)
{
    char home_env[PATH_MAX + 8];
    const char *argv[64], *envp[3];
    size_t n = 0;
    argv[n++] = bin;
    for (size_t i = 0; args[i] != NULL && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    snprintf(home_env, sizeof home_env, "HOME=%s", home);
    envp[0] = home_env;
    envp[1] = "PATH=/usr/bin:/bin";
    envp[2] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        abort();
    }
    if (pid == 0) {
        int in = open(in_path, O_RDONLY);
        int o = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        execve(bin, (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    return pid;
}

int mdm_test_wait(pid_t pid)
{
    int st = 0;
    /* a hang guard, not a timing assertion: far beyond any run's time */
    for (long i = 0; i < MDM_TEST_WAIT_LIMIT_S * 100L; i++) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (w < 0 && errno != EINTR)
            return -1;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    (void)waitpid(pid, &st, 0);
    fprintf(stderr, "mdm_test_wait: mdm (pid %ld) still running after %d s: killed\n",
            (long)pid, MDM_TEST_WAIT_LIMIT_S);
    return -2;
}

char *mdm_test_slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *s = NULL;
    long n = 0;
    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0 || (s = calloc(1, (size_t)n + 1)) == NULL ||
        fread(s, 1, (size_t)n, fp) != (size_t)n) {
        if (fp != NULL)
            fclose(fp);
        free(s);
        return strdup("");
    }
    fclose(fp);
    return s;
}
