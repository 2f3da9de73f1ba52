/* SPDX-License-Identifier: MIT */
/*
 * test_fault_alloc.h - a failing allocator for out-of-memory sweeps
 * (SQLite's *fault.test idea). Include it in the one file of a test
 * program that runs a sweep (after <dlfcn.h> with _GNU_SOURCE): it defines
 * malloc, calloc, realloc and strdup for the whole program, and the Nth
 * call after fault_arm(N) returns NULL. fault_init() must run first (in
 * main). With fault_only_ours set, only allocations made from the
 * executable count (mdm is linked into it), not those of shared libraries:
 * libpq, failing in the middle of a protocol exchange, can wait forever
 * for data that never comes.
 *
 * Under AddressSanitizer, which owns malloc, it defines no allocator and
 * sets MDM_FAULT_OFF: such programs skip their sweeps.
 */
#ifndef MDM_TEST_FAULT_ALLOC_H
#define MDM_TEST_FAULT_ALLOC_H

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define MDM_FAULT_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MDM_FAULT_OFF 1
#endif
#endif

static long fault_countdown;   /* 0: off; else the allocation that fails */
static int fault_hit;          /* the armed failure happened */
static int fault_only_ours;    /* count only the executable's allocations */
static void *fault_exe_base;

#ifndef MDM_FAULT_OFF

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static int fault_should_fail(void *caller)
{
    Dl_info info;
    if (fault_countdown <= 0)
        return 0;
    if (fault_only_ours && (dladdr(caller, &info) == 0 || info.dli_fbase != fault_exe_base))
        return 0;
    if (--fault_countdown == 0) {
        fault_hit = 1;
        return 1;
    }
    return 0;
}

void *malloc(size_t n)
{
    return fault_should_fail(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    return fault_should_fail(__builtin_return_address(0)) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    return fault_should_fail(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}

/* strdup too, so that mdm's own copies count as mdm's allocations. */
char *strdup(const char *s)
{
    if (fault_should_fail(__builtin_return_address(0)))
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = __libc_malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

#endif

/* Finds the executable's base address; 0 on success. */
static int fault_init(void)
{
    Dl_info info;
    if (dladdr((void *)fault_init, &info) == 0)
        return -1;
    fault_exe_base = info.dli_fbase;
    return 0;
}

static void fault_arm(long n)
{
    fault_hit = 0;
    fault_countdown = n;
}

/* Stops failing; did the armed failure happen? */
static int fault_disarm(void)
{
    fault_countdown = 0;
    return fault_hit;
}

#endif
