/* ddouble.h: double-double arithmetic for the trainer's sums. A value is hi + lo with
 * |lo| <= ulp(hi)/2, about 106 bits (~32 digits). Built from the error-free transforms
 * TwoSum (Knuth) and TwoProd (with fma), so sums of products of doubles are exact to that
 * precision and do not depend on the compiler's choice of evaluation (C11, no
 * contraction: every operation below is written out). */
#ifndef ENGRATE_DDOUBLE_H
#define ENGRATE_DDOUBLE_H

#include <math.h>

typedef struct er_dd {
    double hi, lo;
} er_dd;

static inline er_dd dd_make(double hi, double lo)
{
    er_dd r = {hi, lo};
    return r;
}

/* a + b = s + e exactly (no condition on the magnitudes). */
static inline er_dd dd_two_sum(double a, double b)
{
    double s = a + b;
    double bb = s - a;
    double e = (a - (s - bb)) + (b - bb);
    return dd_make(s, e);
}

/* a + b = s + e exactly when |a| >= |b| (or a == 0). */
static inline er_dd dd_fast_two_sum(double a, double b)
{
    double s = a + b;
    double e = b - (s - a);
    return dd_make(s, e);
}

/* a * b = p + e exactly (barring overflow / underflow). */
static inline er_dd dd_two_prod(double a, double b)
{
    double p = a * b;
    double e = fma(a, b, -p);
    return dd_make(p, e);
}

/* The accurate ("IEEE") double-double addition: relative error about 2^-106 even under
 * cancellation. */
static inline er_dd dd_add(er_dd a, er_dd b)
{
    er_dd s = dd_two_sum(a.hi, b.hi);
    er_dd t = dd_two_sum(a.lo, b.lo);
    s.lo += t.hi;
    s = dd_fast_two_sum(s.hi, s.lo);
    s.lo += t.lo;
    return dd_fast_two_sum(s.hi, s.lo);
}

static inline er_dd dd_add_d(er_dd a, double b)
{
    er_dd s = dd_two_sum(a.hi, b);
    s.lo += a.lo;
    return dd_fast_two_sum(s.hi, s.lo);
}

static inline er_dd dd_neg(er_dd a) { return dd_make(-a.hi, -a.lo); }

static inline er_dd dd_sub(er_dd a, er_dd b) { return dd_add(a, dd_neg(b)); }

static inline er_dd dd_mul_d(er_dd a, double b)
{
    er_dd p = dd_two_prod(a.hi, b);
    p.lo = fma(a.lo, b, p.lo);
    return dd_fast_two_sum(p.hi, p.lo);
}

static inline er_dd dd_mul(er_dd a, er_dd b)
{
    er_dd p = dd_two_prod(a.hi, b.hi);
    p.lo += a.hi * b.lo + a.lo * b.hi;
    return dd_fast_two_sum(p.hi, p.lo);
}

static inline er_dd dd_div(er_dd a, er_dd b)
{
    double q1 = a.hi / b.hi;
    er_dd r = dd_sub(a, dd_mul_d(b, q1));
    double q2 = r.hi / b.hi;
    r = dd_sub(r, dd_mul_d(b, q2));
    double q3 = r.hi / b.hi;
    er_dd q = dd_fast_two_sum(q1, q2);
    return dd_add_d(q, q3);
}

static inline double dd_to_d(er_dd a) { return a.hi + a.lo; }

/* A function compiled twice, for processors with FMA and for the others, the copy chosen
 * at run time (GCC's target_clones, through an ifunc): in the FMA copy fma() is one
 * instruction, not a call. fma is exact either way, so both give the same bits; the
 * build never contracts other arithmetic into fma (-std=c11, -ffp-contract=off). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ER_FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define ER_FMA_CLONES
#endif
/* A static function inlined wherever it is called, so that each copy of an
 * ER_FMA_CLONES function holds it, compiled for that copy's processor. */
#if defined(__GNUC__)
#define ER_INLINE_ALWAYS static inline __attribute__((always_inline))
#else
#define ER_INLINE_ALWAYS static inline
#endif

#endif
