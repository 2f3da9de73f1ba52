/* SPDX-License-Identifier: MIT */
/*
 * mdm_stats.c - the Clopper-Pearson upper bound (mdm_stats.h): the p at
 * which P(X <= k | n, p) = alpha, found by bisection on the binomial
 * distribution function, written as a regularised incomplete beta
 * function (continued fraction, modified Lentz, as in Numerical Recipes'
 * betacf).
 */
#include "mdm_stats.h"

#include <math.h>

#define CF_ITERATIONS 20000
#define CF_EPS 1e-15
#define TINY 1e-300

/* The continued fraction of I_x(a, b). */
static double beta_cf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    d = fabs(d) < TINY ? TINY : d;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= CF_ITERATIONS; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = fabs(d) < TINY ? TINY : d;
        c = 1.0 + aa / c;
        c = fabs(c) < TINY ? TINY : c;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = fabs(d) < TINY ? TINY : d;
        c = 1.0 + aa / c;
        c = fabs(c) < TINY ? TINY : c;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < CF_EPS)
            break;
    }
    return h;
}

/* The regularised incomplete beta function I_x(a, b), 0 <= x <= 1. */
static double beta_inc(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    double ln_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    double front = exp(ln_front);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

/* P(X <= k) for X ~ Binomial(n, p), k < n: I_{1-p}(n - k, k + 1). */
static double binom_cdf(uint64_t k, uint64_t n, double p)
{
    return beta_inc((double)(n - k), (double)k + 1.0, 1.0 - p);
}

double mdm_stats_rate_upper(uint64_t k, uint64_t n, double alpha)
{
    if (n == 0 || k >= n)
        return 1.0;
    if (k == 0)
        return 1.0 - pow(alpha, 1.0 / (double)n);
    double lo = (double)k / (double)n, hi = 1.0;
    for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
        double mid = 0.5 * (lo + hi);
        if (binom_cdf(k, n, mid) > alpha)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}
