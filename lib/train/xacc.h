/* xacc.h: the pass's accumulator, whose sums are exact, so that they do not depend on the
 * order in which rows are added or accumulators merged: the same rows split any way
 * between threads, files or machines give the same sums, bit for bit (docs/training.md,
 * "Exact sums").
 *
 * Each sum is a fixed-point integer: limbs of 32-bit bins at absolute binary positions
 * (bin b holds multiples of 2^(32b - 1074), the smallest double's unit), kept in int64 so
 * that 2^29 rows can be added between carries. A double is split at the bin boundaries it
 * crosses and its pieces added: exact, whatever the order. A window of XS_LIMBS limbs
 * (256 bits) moves to where a sum's values are; a sum whose values span more than it can
 * hold keeps its top bits and counts the loss (er_xacc.lost): the sums are then rounded
 * as a double-double sum is, and the model may differ in its last digits between splits.
 * Products w*x*x that are not exact in two doubles are rounded to a double-double first,
 * the same way for the same row wherever it is read.
 *
 * Unit products (weight 1, two indicators) are counted in int64 instead (cnt): most of
 * the Gram, and the cheapest add. After the pass the sums are rounded once to the
 * double-double Gram (er_acc, fit.h) that the fit reads. */
#ifndef ENGRATE_XACC_H
#define ENGRATE_XACC_H

#include <stddef.h>
#include <stdint.h>

#include "fit.h"

#define XS_LIMBS 8
#define XS_EMPTY INT32_MIN /* base of a sum that holds nothing (all limbs 0) */
/* The bins a sum can reach: sums of doubles lie in bins 0..69; a column's scale (pass.c)
 * moves them by at most 34 either way. The loader refuses anything else. */
#define XS_MIN_BIN (-40)
#define XS_MAX_BIN 120

typedef struct er_xsum {
    int32_t base;         /* bin of limb[0], or XS_EMPTY */
    uint32_t nonfinite;   /* 1: an infinity was added; 2: a NaN (or +inf and -inf) */
    int64_t limb[XS_LIMBS];
} er_xsum;

struct xpiece;
#define XS_SIDE 8 /* values with side rows (er_xacc.side) */
typedef struct er_xacc {
    size_t p, cap;        /* terms, as er_acc */
    int64_t *cnt;         /* unit products of X'WX, ER_PK(i, j): cnt + c32 */
    uint32_t *c32;        /* the counts since the last carry (half the cache of cnt's) */
    er_xsum *g;           /* the other products of X'WX, ER_PK(i, j) */
    er_xsum *xy;          /* X'Wy */
    er_xsum yy;           /* y'Wy */
    uint64_t n;           /* rows added */
    uint64_t since_carry; /* rows added since the limbs' carries were last propagated */
    uint64_t lost;        /* values whose lowest bits a window could not hold */
    struct xpiece *dec;   /* a row's values split (cap of them) */
    uint32_t *units;      /* a row's unit terms, then its other values' places (2 cap) */
    /* The products of a value other than 1 (a number) of term n with the unit terms j > n
     * of the same rows are the sums g[ER_PK(n, j)], one per column of the Gram, far
     * apart. For the first XS_SIDE such terms they are summed in a row of their own
     * instead, side[(slot) * cap + j], side by side, and added to g by er_xacc_settle;
     * side_of[n]: n's slot + 1, or 0. */
    er_xsum *side;
    uint8_t *side_of;
    uint32_t side_term[XS_SIDE];
    unsigned n_side;
    int side_used;        /* a side row may hold something */
} er_xacc;

/* The unit products counted at ER_PK(i, j). */
static inline int64_t er_xacc_count(const er_xacc *a, size_t at)
{
    return a->cnt[at] + (int64_t)a->c32[at];
}

ER_HIDDEN void er_xacc_init(er_xacc *a);
ER_HIDDEN void er_xacc_free(er_xacc *a);
/* Room for p terms, the new sums empty. 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int er_xacc_reserve(er_xacc *a, size_t p);
/* Add one row, as er_acc_add takes it (idx strictly increasing, idx[0] = 0, w > 0). Some
 * products may wait in side rows: er_xacc_settle before g is read (this file's functions
 * do it themselves). */
ER_HIDDEN void er_xacc_add(er_xacc *a, const uint32_t *idx, const double *val, size_t nnz,
                           double y, double w);
ER_HIDDEN void er_xacc_settle(er_xacc *a);
/* dst += src with src's term i added to dst's term map[i] (map NULL: the same terms; dst
 * must hold every term src's are mapped to). Exact: merging in any order gives the same
 * sums. 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int er_xacc_merge(er_xacc *dst, er_xacc *src, const uint32_t *map);
/* Multiply the sums of term j by 2^sx[j] (the target by 2^sy): exact; for terms summed at
 * another scale (pass.c). sx may be NULL. */
ER_HIDDEN void er_xacc_scale(er_xacc *a, const int *sx, int sy);
/* The sums rounded to double-double, into out (made here). 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int er_xacc_round(er_xacc *a, er_acc *out);

/* One sum: the exact value rounded to double-double (deterministic: a function of the
 * value alone), add another, and the canonical form that the accumulator file stores. */
ER_HIDDEN er_dd er_xsum_round(const er_xsum *s);
ER_HIDDEN void er_xsum_add(er_xsum *dst, const er_xsum *src, uint64_t *lost);
ER_HIDDEN void er_xsum_add_count(er_xsum *dst, int64_t count, uint64_t *lost);
/* Carries propagated and empty limbs dropped, so that equal values have equal limbs:
 * every limb of the value's sign (or 0) and below 2^32 in magnitude, base the lowest
 * non-zero bin (XS_EMPTY and all zero for 0). */
ER_HIDDEN void er_xsum_canonical(er_xsum *s);
/* Whether s is a sum er_xsum_canonical could have made (the loader's check). */
ER_HIDDEN int er_xsum_valid(const er_xsum *s);

#endif
