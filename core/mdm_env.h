/* SPDX-License-Identifier: MIT */
/*
 * mdm_env.h - a lookup of environment variables, passed in: nothing in
 * the library calls getenv (main passes one that does; tests pass their
 * own), so every layer that reads a variable (the flag, the program) can
 * be tested without touching the process environment.
 */
#ifndef MDM_ENV_H
#define MDM_ENV_H

/* Returns the value of name, or NULL when it is not set. */
typedef const char *(*mdm_env_get_fn)(void *ctx, const char *name);

typedef struct mdm_env {
    mdm_env_get_fn get;
    void *ctx;
} mdm_env;

/* Looks name up in env (NULL env or NULL get: not set). */
static inline const char *mdm_env_get(const mdm_env *env, const char *name)
{
    return env != NULL && env->get != NULL ? env->get(env->ctx, name) : (const char *)0;
}

#endif
