/* SPDX-License-Identifier: MIT */
/*
 * cmp_md5.c - a small MD5 (RFC 1321) used to hash sqllogictest results.
 * The tables of shifts and constants are static const; every bit of state
 * lives in the caller's mdm_cmp_md5.
 */
#include "cmp_md5.h"

#include <stdio.h>
#include <string.h>

static const uint32_t MD5_K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static const unsigned MD5_S[64] = {
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

static uint32_t rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static uint32_t load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The round function of step i: F, G, H or I and the message index. */
static uint32_t round_fn(unsigned i, uint32_t b, uint32_t c, uint32_t d, unsigned *g)
{
    if (i < 16) {
        *g = i;
        return (b & c) | (~b & d);
    }
    if (i < 32) {
        *g = (5 * i + 1) % 16;
        return (d & b) | (~d & c);
    }
    if (i < 48) {
        *g = (3 * i + 5) % 16;
        return b ^ c ^ d;
    }
    *g = (7 * i) % 16;
    return c ^ (b | ~d);
}

static void md5_block(uint32_t state[4], const unsigned char block[64])
{
    uint32_t w[16];
    for (unsigned i = 0; i < 16; i++)
        w[i] = load_le32(block + 4 * i);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    for (unsigned i = 0; i < 64; i++) {
        unsigned g;
        uint32_t f = round_fn(i, b, c, d, &g) + a + MD5_K[i] + w[g];
        a = d;
        d = c;
        c = b;
        b = b + rotl(f, MD5_S[i]);
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
}

void mdm_cmp_md5_init(mdm_cmp_md5 *m)
{
    m->state[0] = 0x67452301;
    m->state[1] = 0xefcdab89;
    m->state[2] = 0x98badcfe;
    m->state[3] = 0x10325476;
    m->length = 0;
    m->used = 0;
}

void mdm_cmp_md5_update(mdm_cmp_md5 *m, const void *data, size_t len)
{
    const unsigned char *p = data;
    m->length += len;
    while (len > 0) {
        size_t take = 64 - m->used;
        if (take > len)
            take = len;
        memcpy(m->block + m->used, p, take);
        m->used += take;
        p += take;
        len -= take;
        if (m->used == 64) {
            md5_block(m->state, m->block);
            m->used = 0;
        }
    }
}

void mdm_cmp_md5_final_hex(mdm_cmp_md5 *m, char hex[33])
{
    static const unsigned char pad[64] = { 0x80 };
    unsigned char lenbytes[8];
    uint64_t bits = m->length * 8;
    for (unsigned i = 0; i < 8; i++)
        lenbytes[i] = (unsigned char)(bits >> (8 * i));
    size_t padlen = (m->used < 56) ? 56 - m->used : 120 - m->used;
    mdm_cmp_md5_update(m, pad, padlen);
    mdm_cmp_md5_update(m, lenbytes, 8);
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 4; j++)
            snprintf(hex + 8 * i + 2 * j, 3, "%02x", (unsigned)((m->state[i] >> (8 * j)) & 0xff));
    hex[32] = '\0';
}

void mdm_cmp_md5_hex(const void *data, size_t len, char hex[33])
{
    mdm_cmp_md5 m;
    mdm_cmp_md5_init(&m);
    mdm_cmp_md5_update(&m, data, len);
    mdm_cmp_md5_final_hex(&m, hex);
}
