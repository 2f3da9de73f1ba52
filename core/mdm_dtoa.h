/* SPDX-License-Identifier: MIT */
/*
 * mdm_dtoa.h - core-internal: the shortest decimal digits of a double, and
 * a decimal's nearest double, without printf or strtod.
 */
#ifndef MDM_DTOA_H
#define MDM_DTOA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* For a finite nonzero v: the fewest decimal digits that read back as |v|,
 * and among those the value nearest |v| (ties to even): |v| reads back
 * from *digits * 10^*exp10, and *digits has no trailing zero. false (and
 * nothing written) for zeros, infinities and NaN. */
bool mdm_dtoa_shortest(double v, uint64_t *digits, int *exp10);

/* man * 10^exp10, negated when neg, correctly rounded (ties to even) into
 * *out. false when this fast path cannot decide (rare: a product too close
 * to half way) or the result is subnormal, infinite or out of range: the
 * caller then asks strtod. */
bool mdm_dtoa_from_decimal(uint64_t man, int exp10, bool neg, double *out);

/* The double nearest the plain decimal text p[0..n) ([+-]digits[.digits]
 * [e[+-]digits], the whole of it), for up to 19 significant digits. false
 * when the text is anything else (more digits, "nan", "inf", spaces) or
 * this fast path cannot decide: then strtod's answer is the one to take. */
bool mdm_dtoa_parse(const char *p, size_t n, double *out);

#endif
