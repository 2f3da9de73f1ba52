/* SPDX-License-Identifier: MIT */
/*
 * mdm_dtoa.c - the shortest decimal that reads back as a given double, by
 * the Ryu algorithm (Ulf Adams, "Ryu: fast float-to-string conversion",
 * PLDI 2018): the bounds of the double's rounding interval are scaled by
 * a 128-bit power of five (core/mdm_pow_tables.h) so that removing decimal
 * digits is integer division, and digits are removed while the bounds
 * still differ. Among the shortest candidates it picks the one nearest
 * the double (ties to even), which is what "%.{15,16,17}g" prints when it
 * reads back (see mdm_format_fast.c for how the two are tied together).
 */
#include "mdm_dtoa.h"

#include <string.h>

#include "mdm_pow_tables.h"

__extension__ typedef unsigned __int128 u128;

#define MANTISSA_BITS 52
#define EXPONENT_BITS 11
#define BIAS 1023

/* ceil(log2(5^e)) for 0 <= e <= 3528 (bit length of 5^e; 1 for e = 0). */
static int pow5bits(int e)
{
    return (int)(((unsigned)e * 1217359u) >> 19) + 1;
}

/* floor(log10(2^e)) for 0 <= e <= 1650. */
static int log10_pow2(int e)
{
    return (int)(((unsigned)e * 78913u) >> 18);
}

/* floor(log10(5^e)) for 0 <= e <= 2620. */
static int log10_pow5(int e)
{
    return (int)(((unsigned)e * 732923u) >> 20);
}

static bool multiple_of_pow5(uint64_t v, int p)
{
    int count = 0;
    while (v != 0 && v % 5 == 0) {
        v /= 5;
        count++;
    }
    return count >= p;
}

static bool multiple_of_pow2(uint64_t v, int p)
{
    return (v & ((UINT64_C(1) << p) - 1)) == 0;
}

/* (m * mul) >> j, mul a 128-bit {low, high} pair, j >= 64. */
static uint64_t mul_shift(uint64_t m, const uint64_t mul[2], int j)
{
    u128 low = (u128)m * mul[0];
    u128 high = (u128)m * mul[1];
    return (uint64_t)(((low >> 64) + high) >> (j - 64));
}

/* The scaled interval: vr (the value), vp and vm (its upper and lower
 * bounds), times 10^-e10, with whether the digits dropped from vm and vr
 * by the scaling were all zeros (needed for exact ties). */
typedef struct scaled {
    uint64_t vr, vp, vm;
    bool vm_zeros;
    int e10;          /* between the flags: gcc read the two adjacent bytes as */
    bool vr_zeros;    /* one word just after storing them one by one, and the
                         stalled load cost a fifth of the conversion */
} scaled;

static void scale_up(uint64_t m2, int e2, int mm_shift, bool accept, scaled *s)
{
    uint64_t mv = 4 * m2;
    int q = log10_pow2(e2) - (e2 > 3);
    int k = MDM_POW5_INV_BITCOUNT + pow5bits(q) - 1;
    int i = -e2 + q + k;
    s->e10 = q;
    s->vr = mul_shift(mv, mdm_pow5_inv[q], i);
    s->vp = mul_shift(mv + 2, mdm_pow5_inv[q], i);
    s->vm = mul_shift(mv - 1 - (uint64_t)mm_shift, mdm_pow5_inv[q], i);
    if (q <= 21) {
        /* Only then can the scaled values be exact (5^22 > 2^51). */
        if (mv % 5 == 0)
            s->vr_zeros = multiple_of_pow5(mv, q);
        else if (accept)
            s->vm_zeros = multiple_of_pow5(mv - 1 - (uint64_t)mm_shift, q);
        else
            s->vp -= multiple_of_pow5(mv + 2, q);
    }
}

static void scale_down(uint64_t m2, int e2, int mm_shift, bool accept, scaled *s)
{
    uint64_t mv = 4 * m2;
    int q = log10_pow5(-e2) - (-e2 > 1);
    int i = -e2 - q;
    int k = pow5bits(i) - MDM_POW5_BITCOUNT;
    int j = q - k;
    s->e10 = q + e2;
    s->vr = mul_shift(mv, mdm_pow5[i], j);
    s->vp = mul_shift(mv + 2, mdm_pow5[i], j);
    s->vm = mul_shift(mv - 1 - (uint64_t)mm_shift, mdm_pow5[i], j);
    if (q <= 1) {
        /* mv has at least q trailing zero bits: vr is exact. */
        s->vr_zeros = true;
        if (accept)
            s->vm_zeros = mm_shift == 1;
        else
            s->vp--;
    } else if (q < 63) {
        /* Exact when mv has q trailing zero bits (-e2 >= q). */
        s->vr_zeros = multiple_of_pow2(mv, q);
    }
}

/* Drops digits while the bounds differ; rounds vr to nearest, ties to
 * even, taking vm only where the lower bound belongs to the interval. */
static uint64_t shorten(scaled *s, bool accept, int *removed)
{
    int last = 0;
    if (s->vm_zeros || s->vr_zeros) {
        while (s->vp / 10 > s->vm / 10) {
            s->vm_zeros &= s->vm % 10 == 0;
            s->vr_zeros &= last == 0;
            last = (int)(s->vr % 10);
            s->vr /= 10, s->vp /= 10, s->vm /= 10;
            (*removed)++;
        }
        if (s->vm_zeros) {
            while (s->vm % 10 == 0) {
                s->vr_zeros &= last == 0;
                last = (int)(s->vr % 10);
                s->vr /= 10, s->vp /= 10, s->vm /= 10;
                (*removed)++;
            }
        }
        if (s->vr_zeros && last == 5 && s->vr % 2 == 0)
            last = 4;   /* an exact tie: round to even */
        return s->vr + ((s->vr == s->vm && (!accept || !s->vm_zeros)) || last >= 5);
    }
    bool round_up = false;
    if (s->vp / 100 > s->vm / 100) {   /* two digits at once, as Ryu does: most doubles */
        round_up = s->vr % 100 >= 50;
        s->vr /= 100, s->vp /= 100, s->vm /= 100;
        *removed += 2;
    }
    while (s->vp / 10 > s->vm / 10) {
        round_up = s->vr % 10 >= 5;
        s->vr /= 10, s->vp /= 10, s->vm /= 10;
        (*removed)++;
    }
    return s->vr + (s->vr == s->vm || round_up);
}

bool mdm_dtoa_shortest(double v, uint64_t *digits, int *exp10)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint64_t mantissa = bits & ((UINT64_C(1) << MANTISSA_BITS) - 1);
    int exponent = (int)((bits >> MANTISSA_BITS) & ((1u << EXPONENT_BITS) - 1));
    if (exponent == (1 << EXPONENT_BITS) - 1 || (exponent == 0 && mantissa == 0))
        return false;   /* NaN, infinities, zeros: the caller's */
    /* Two more bits, so that the interval's bounds are integers. */
    int e2 = (exponent == 0 ? 1 : exponent) - BIAS - MANTISSA_BITS - 2;
    uint64_t m2 = exponent == 0 ? mantissa : mantissa | (UINT64_C(1) << MANTISSA_BITS);
    bool accept = (m2 & 1) == 0;   /* round-half-even reads the bounds back */
    /* The gap below is half as wide at a power of two. */
    int mm_shift = mantissa != 0 || exponent <= 1;
    scaled s = {0};
    if (e2 >= 0)
        scale_up(m2, e2, mm_shift, accept, &s);
    else
        scale_down(m2, e2, mm_shift, accept, &s);
    int removed = 0;
    uint64_t out = shorten(&s, accept, &removed);
    int e = s.e10 + removed;
    while (out % 10 == 0) {
        out /= 10;
        e++;
    }
    *digits = out;
    *exp10 = e;
    return true;
}

/* ---- Text to double: Eisel-Lemire ---------------------------------------- */

/*
 * man * 10^exp10 rounded to the nearest double (ties to even), by the
 * Eisel-Lemire algorithm (D. Lemire, "Number parsing at a gigabyte per
 * second", 2021): man, normalized, times a 128-bit approximation of
 * 10^exp10 (rounded down) gives the double's 54 leading bits unless the
 * product sits too close to a rounding boundary to tell, which the test
 * on its low bits detects; then it answers false and the caller asks
 * strtod. Also false for results that are subnormal, infinite, or out of
 * the table's range.
 */
bool mdm_dtoa_from_decimal(uint64_t man, int exp10, bool neg, double *out)
{
    if (man == 0) {
        *out = neg ? -0.0 : 0.0;
        return true;
    }
    if (exp10 < MDM_POW10_MIN || exp10 > MDM_POW10_MAX)
        return false;
    const uint64_t *p10 = mdm_pow10_128[exp10 - MDM_POW10_MIN];
    int clz = __builtin_clzll(man);
    man <<= clz;
    /* floor(log2(10^exp10)) + 64 + bias - clz: 217706 / 2^16 ~ log2(10). */
    int64_t exp2 = (((int64_t)217706 * exp10) >> 16) + 64 + BIAS - clz;
    u128 x = (u128)man * p10[1];
    uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
    if ((hi & 0x1ff) == 0x1ff && lo + man < man) {
        /* The low half of 10^exp10 may carry into the bits that count. */
        u128 y = (u128)man * p10[0];
        uint64_t yhi = (uint64_t)(y >> 64), ylo = (uint64_t)y;
        uint64_t mlo = lo + yhi, mhi = hi + (mlo < lo);
        if ((mhi & 0x1ff) == 0x1ff && mlo + 1 == 0 && ylo + man < man)
            return false;
        hi = mhi, lo = mlo;
    }
    unsigned msb = (unsigned)(hi >> 63);
    uint64_t m = hi >> (msb + 9);
    exp2 -= 1 ^ msb;
    if (lo == 0 && (hi & 0x1ff) == 0 && (m & 3) == 1)
        return false;   /* exactly half way, as far as these bits know */
    m += m & 1;
    m >>= 1;
    if (m >> 53 > 0) {
        m >>= 1;
        exp2++;
    }
    if (exp2 < 1 || exp2 >= 0x7ff)
        return false;
    uint64_t bits = (uint64_t)exp2 << 52 | (m & ((UINT64_C(1) << 52) - 1));
    if (neg)
        bits |= UINT64_C(1) << 63;
    memcpy(out, &bits, sizeof *out);
    return true;
}

/* The powers of ten that are exact doubles. */
static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* ---- Decimal text to double -------------------------------------------- */

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

/* Up to 19 significant digits without strtod: when the decimal mantissa
 * fits 53 bits and the power of ten is at most 22, one IEEE multiply or
 * divide of two exact values is correctly rounded (Clinger 1990);
 * otherwise (full-precision features have 17 digits) Eisel-Lemire decides
 * almost always. */
bool mdm_dtoa_parse(const char *p, size_t n, double *out)
{
    const char *s = p, *e = p + n;
    bool neg = false;
    if (s < e && (*s == '+' || *s == '-'))
        neg = *s++ == '-';
    uint64_t m = 0;
    int sig = 0, scale = 0;
    const char *digits = s;
    for (; s < e && IS_DIGIT(*s); s++, sig += m != 0) {
        if (sig >= 19)
            return false;
        m = m * 10 + (uint64_t)(*s - '0');
    }
    size_t ndigits = (size_t)(s - digits);
    if (s < e && *s == '.') {
        for (s++; s < e && IS_DIGIT(*s); s++, scale--, sig += m != 0, ndigits++) {
            if (sig >= 19)
                return false;
            m = m * 10 + (uint64_t)(*s - '0');
        }
    }
    if (s < e && (*s == 'e' || *s == 'E')) {
        bool eneg = false;
        int ex = 0;
        if (++s < e && (*s == '+' || *s == '-'))
            eneg = *s++ == '-';
        if (s == e || !IS_DIGIT(*s))
            return false;   /* "1e": strtod's business */
        for (; s < e && IS_DIGIT(*s); s++)
            if (ex < 100000)
                ex = ex * 10 + (*s - '0');
        scale += eneg ? -ex : ex;
    }
    if (s != e || ndigits == 0)
        return false;
    if (m > (UINT64_C(1) << 53) || scale < -22 || scale > 22)
        return mdm_dtoa_from_decimal(m, scale, neg, out);
    double d = (double)m;
    d = scale < 0 ? d / POW10[-scale] : d * POW10[scale];
    *out = neg ? -d : d;
    return true;
}

