/* SPDX-License-Identifier: MIT */
/*
 * cmp_md5.h - MD5 (RFC 1321) for the sqllogictest runner's hashed results
 * ("30 values hashing to <md5>"). A caller-owned context, no state of its
 * own; not for security, only for matching recorded result hashes.
 */
#ifndef MDM_CMP_MD5_H
#define MDM_CMP_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct mdm_cmp_md5 {
    uint32_t state[4];
    uint64_t length;        /* bytes hashed so far */
    unsigned char block[64];
    size_t used;            /* bytes waiting in block */
} mdm_cmp_md5;

void mdm_cmp_md5_init(mdm_cmp_md5 *m);
void mdm_cmp_md5_update(mdm_cmp_md5 *m, const void *data, size_t len);
/* Writes 32 lowercase hex digits and a NUL into hex (33 bytes). */
void mdm_cmp_md5_final_hex(mdm_cmp_md5 *m, char hex[33]);
/* One-shot helper. */
void mdm_cmp_md5_hex(const void *data, size_t len, char hex[33]);

#endif
