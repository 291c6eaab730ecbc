/* xacc.c: exact sums for the pass (xacc.h): a double split into 32-bit pieces at
 * absolute bin boundaries, added to int64 limbs; the general (slow) path through a wide
 * sign-magnitude integer that moves a sum's window, adds two sums and rounds one to
 * double-double; and the accumulator of a Gram made of such sums, which merges exactly. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xacc.h"

#define CHUNK_MASK 0xffffffffull
#define CARRY_ROWS (1ull << 29) /* rows between carries: 2 pieces < 2^32 per limb per row */

/* ---- A double as pieces ------------------------------------------------------------- */

/* +-(p0 + p1 2^32 + p2 2^64) * 2^(32 bin - 1074): a finite double, exactly. */
struct xpiece {
    uint32_t bin;
    int64_t p0, p1, p2;
};
typedef struct xpiece xpiece;

/* 1: v split into x; 0: v is 0; -1: not finite. */
static inline int xp_make(double v, xpiece *x)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    uint32_t e = (uint32_t)(b >> 52) & 0x7ff;
    uint64_t m = b & 0xfffffffffffffull;
    if (e == 0x7ff)
        return -1;
    if (e)
        m |= 1ull << 52;
    else if (!m)
        return 0;
    else
        e = 1;
    uint32_t pos = e - 1, sh = pos & 31; /* the unit of m is 2^(pos - 1074) */
    uint64_t lo = m << sh, hi = sh ? m >> (64 - sh) : 0;
    int64_t p0 = (int64_t)(lo & CHUNK_MASK), p1 = (int64_t)(lo >> 32), p2 = (int64_t)hi;
    if (b >> 63) {
        p0 = -p0;
        p1 = -p1;
        p2 = -p2;
    }
    x->bin = pos >> 5;
    x->p0 = p0;
    x->p1 = p1;
    x->p2 = p2;
    return 1;
}

/* ---- Wide integers: the general path --------------------------------------------------
 * A sum as magnitude chunks at absolute bins (chunk i is bin i - WB) and a sign: big
 * enough for any sum of doubles and any scale. Used when a value falls outside a sum's
 * window, to add two sums, to propagate carries and to round. */

#define WB 48
#define WN 176

typedef struct wide {
    int neg;
    int lo, hi; /* chunks that may be non-zero (hi < lo: the value is 0) */
    uint32_t c[WN];
} wide;

static void w_zero(wide *w)
{
    w->neg = 0;
    w->lo = WN;
    w->hi = -1;
}

/* Add the signed limbs of s into w's magnitude (w's sign positive and zero-filled over
 * the span), carrying; then the sign from the top. */
static void w_from_sum(wide *w, const er_xsum *s)
{
    w_zero(w);
    if (s->base == XS_EMPTY)
        return;
    int first = s->base + WB;
    int64_t limb[XS_LIMBS + 3];
    memcpy(limb, s->limb, sizeof s->limb);
    limb[XS_LIMBS] = limb[XS_LIMBS + 1] = limb[XS_LIMBS + 2] = 0;
    /* two's complement carries: limbs below the top in [0, 2^32), the top signed */
    for (int i = 0; i < XS_LIMBS + 2; i++) {
        int64_t c = limb[i] >> 32;
        limb[i] -= c * 4294967296;
        limb[i + 1] += c;
    }
    if (limb[XS_LIMBS + 2] < 0) { /* negative: the magnitude is the negation */
        w->neg = 1;
        for (int i = 0; i < XS_LIMBS + 3; i++)
            limb[i] = -limb[i];
        for (int i = 0; i < XS_LIMBS + 2; i++) {
            int64_t c = limb[i] >> 32;
            limb[i] -= c * 4294967296;
            limb[i + 1] += c;
        }
    }
    w->lo = first < 0 ? 0 : first;
    w->hi = first + XS_LIMBS + 2 < WN ? first + XS_LIMBS + 2 : WN - 1;
    for (int i = 0; i < XS_LIMBS + 3; i++)
        if (first + i >= 0 && first + i < WN)
            w->c[first + i] = (uint32_t)limb[i];
}

/* Widen w's span to [lo, hi], zero-filled. */
static void w_span(wide *w, int lo, int hi)
{
    if (w->hi < w->lo) {
        for (int k = lo; k <= hi; k++)
            w->c[k] = 0;
        w->lo = lo;
        w->hi = hi;
        return;
    }
    for (int k = lo; k < w->lo; k++)
        w->c[k] = 0;
    for (int k = w->hi + 1; k <= hi; k++)
        w->c[k] = 0;
    if (lo < w->lo)
        w->lo = lo;
    if (hi > w->hi)
        w->hi = hi;
}

/* a += b, signs included. */
static void w_add(wide *a, const wide *b)
{
    if (b->hi < b->lo)
        return;
    int lo = b->lo < a->lo ? b->lo : a->lo, hi = b->hi > a->hi ? b->hi : a->hi;
    if (a->hi < a->lo)
        a->neg = b->neg;
    if (hi + 1 < WN)
        hi++; /* room for a carry */
    w_span(a, lo, hi);
    if (a->neg == b->neg) {
        uint64_t carry = 0;
        for (int k = a->lo; k <= a->hi; k++) {
            uint64_t s = (uint64_t)a->c[k] + (k >= b->lo && k <= b->hi ? b->c[k] : 0) + carry;
            a->c[k] = (uint32_t)s;
            carry = s >> 32;
        }
        return;
    }
    int cmp = 0; /* |a| - |b|: which is larger */
    for (int k = a->hi; k >= a->lo && !cmp; k--) {
        uint32_t bk = k >= b->lo && k <= b->hi ? b->c[k] : 0;
        cmp = a->c[k] > bk ? 1 : a->c[k] < bk ? -1 : 0;
    }
    int64_t borrow = 0;
    for (int k = a->lo; k <= a->hi; k++) {
        int64_t bk = k >= b->lo && k <= b->hi ? b->c[k] : 0;
        int64_t d = cmp >= 0 ? (int64_t)a->c[k] - bk - borrow : bk - (int64_t)a->c[k] - borrow;
        borrow = d < 0;
        a->c[k] = (uint32_t)(d + (borrow ? 4294967296 : 0));
    }
    if (cmp < 0)
        a->neg = b->neg;
}

/* Multiply by 2^k, keeping what stays within the chunks (a scale never moves a sum out). */
static void w_shift(wide *w, int k)
{
    if (w->hi < w->lo || k == 0)
        return;
    uint32_t out[WN];
    memset(out, 0, sizeof out);
    int q = k >= 0 ? k / 32 : -((-k + 31) / 32), r = k - 32 * q; /* k = 32 q + r, 0 <= r < 32 */
    for (int i = w->lo; i <= w->hi; i++) {
        uint64_t v = (uint64_t)w->c[i] << r;
        int j = i + q;
        if (j >= 0 && j < WN)
            out[j] |= (uint32_t)v;
        if (j + 1 >= 0 && j + 1 < WN)
            out[j + 1] |= (uint32_t)(v >> 32);
    }
    memcpy(w->c, out, sizeof out);
    w->lo = 0;
    w->hi = WN - 1;
}

/* The non-zero chunks' span: 0 when w is 0. */
static int w_trim(wide *w)
{
    while (w->hi >= w->lo && !w->c[w->hi])
        w->hi--;
    while (w->lo <= w->hi && !w->c[w->lo])
        w->lo++;
    return w->hi >= w->lo;
}

/* w into s's limbs, each below 2^32 with the sign; `canonical`: base the lowest non-zero
 * bin, else two limbs left above for the sum to grow into. What does not fit (a span
 * wider than the limbs) loses its lowest chunks and counts in *lost. */
static void w_to_sum(wide *w, er_xsum *s, int canonical, uint64_t *lost)
{
    memset(s->limb, 0, sizeof s->limb);
    if (!w_trim(w)) {
        s->base = XS_EMPTY;
        return;
    }
    int span = w->hi - w->lo + 1;
    if (span > XS_LIMBS) {
        w->lo = w->hi - XS_LIMBS + 1;
        span = XS_LIMBS;
        if (lost)
            (*lost)++;
    }
    int room = XS_LIMBS - span, above = room < 2 ? room : 2;
    int base = canonical ? w->lo : w->hi + above - (XS_LIMBS - 1);
    s->base = base - WB;
    for (int k = w->lo; k <= w->hi; k++)
        s->limb[k - base] = w->neg ? -(int64_t)w->c[k] : (int64_t)w->c[k];
}

void er_xsum_add(er_xsum *dst, const er_xsum *src, uint64_t *lost)
{
    dst->nonfinite |= src->nonfinite;
    if (src->base == XS_EMPTY)
        return;
    wide a, b;
    w_from_sum(&a, dst);
    w_from_sum(&b, src);
    w_add(&a, &b);
    w_to_sum(&a, dst, 0, lost);
}

void er_xsum_add_count(er_xsum *dst, int64_t count, uint64_t *lost)
{
    if (!count)
        return;
    /* 1 = 2^18 * 2^(32*33 - 1074): bin 33, 18 bits up */
    uint64_t m = count < 0 ? (uint64_t)0 - (uint64_t)count : (uint64_t)count;
    er_xsum c = {33, 0, {0}};
    c.limb[0] = (int64_t)((m << 18) & CHUNK_MASK);
    c.limb[1] = (int64_t)((m >> 14) & CHUNK_MASK);
    c.limb[2] = (int64_t)(m >> 46);
    for (int i = 0; count < 0 && i < 3; i++)
        c.limb[i] = -c.limb[i];
    er_xsum_add(dst, &c, lost);
}

void er_xsum_canonical(er_xsum *s)
{
    wide w;
    w_from_sum(&w, s);
    w_to_sum(&w, s, 1, NULL);
}

int er_xsum_valid(const er_xsum *s)
{
    if (s->nonfinite > 7)
        return 0;
    if (s->base == XS_EMPTY) {
        for (int i = 0; i < XS_LIMBS; i++)
            if (s->limb[i])
                return 0;
        return 1;
    }
    if (s->base < XS_MIN_BIN || s->base > XS_MAX_BIN - XS_LIMBS || s->limb[0] == 0)
        return 0;
    int neg = s->limb[0] < 0;
    for (int i = 0; i < XS_LIMBS; i++)
        if (s->limb[i] >= (int64_t)4294967296 || s->limb[i] <= -(int64_t)4294967296 ||
            (s->limb[i] && (s->limb[i] < 0) != neg))
            return 0;
    return 1;
}

er_dd er_xsum_round(const er_xsum *s)
{
    if (s->nonfinite)
        return dd_make((s->nonfinite & 4) || (s->nonfinite & 3) == 3 ? NAN
                       : s->nonfinite & 1                           ? INFINITY
                                                                    : -INFINITY,
                       0);
    wide w;
    w_from_sum(&w, s);
    er_dd acc = dd_make(0, 0);
    if (!w_trim(&w))
        return acc;
    /* from the top chunk down: a function of the value alone */
    for (int k = w.hi; k >= w.lo; k--)
        if (w.c[k])
            acc = dd_add_d(acc, ldexp((double)w.c[k], 32 * (k - WB) - 1074));
    return w.neg ? dd_neg(acc) : acc;
}

/* ---- Adding values to a sum ------------------------------------------------------------ */

static void put_slow(er_xsum *s, const xpiece *x, uint64_t *lost)
{
    er_xsum v = {(int32_t)x->bin, 0, {0}};
    v.limb[0] = x->p0;
    v.limb[1] = x->p1;
    v.limb[2] = x->p2;
    er_xsum_add(s, &v, lost);
}

static inline void put(er_xsum *s, const xpiece *x, uint64_t *lost)
{
    uint32_t r = x->bin - (uint32_t)s->base;
    if (r <= XS_LIMBS - 3) {
        s->limb[r] += x->p0;
        s->limb[r + 1] += x->p1;
        s->limb[r + 2] += x->p2;
    } else {
        put_slow(s, x, lost);
    }
}

/* put_d, put_dd and add_unit are inlined into er_xacc_add's copies (ER_FMA_CLONES). */
ER_INLINE_ALWAYS void put_d(er_xsum *s, double v, uint64_t *lost)
{
    xpiece x;
    int k = xp_make(v, &x);
    if (k > 0)
        put(s, &x, lost);
    else if (k < 0)
        s->nonfinite |= isnan(v) ? 4 : v > 0 ? 1 : 2;
}

ER_INLINE_ALWAYS void put_dd(er_xsum *s, er_dd v, uint64_t *lost)
{
    put_d(s, v.hi, lost);
    if (v.lo != 0)
        put_d(s, v.lo, lost);
}

/* ---- The accumulator ------------------------------------------------------------------- */

void er_xacc_init(er_xacc *a)
{
    memset(a, 0, sizeof *a);
    a->yy.base = XS_EMPTY;
}

void er_xacc_free(er_xacc *a)
{
    free(a->side);
    free(a->side_of);
    free(a->cnt);
    free(a->c32);
    free(a->g);
    free(a->xy);
    free(a->dec);
    free(a->units);
    er_xacc_init(a);
}

static void empty_sums(er_xsum *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s[i].base = XS_EMPTY;
        s[i].nonfinite = 0;
        memset(s[i].limb, 0, sizeof s[i].limb);
    }
}

void er_xacc_settle(er_xacc *a)
{
    if (!a->side_used)
        return;
    for (unsigned k = 0; k < a->n_side; k++) {
        uint32_t n = a->side_term[k];
        er_xsum *row = a->side + (size_t)k * a->cap;
        for (size_t j = n + 1; j < a->p; j++)
            if (row[j].base != XS_EMPTY) {
                er_xsum_add(&a->g[ER_PK(n, j)], &row[j], &a->lost);
                empty_sums(&row[j], 1);
            }
    }
    a->side_used = 0;
}

int er_xacc_reserve(er_xacc *a, size_t p)
{
    if (p <= a->p)
        return 0;
    if (p > a->cap) {
        size_t cap = a->cap ? a->cap : 16;
        while (cap < p)
            cap *= 2;
        er_xacc_settle(a); /* the side rows' layout changes with cap */
        er_xsum *side = realloc(a->side, XS_SIDE * cap * sizeof *side);
        if (!side)
            return ENGRATE_E_NOMEM;
        a->side = side;
        empty_sums(a->side, XS_SIDE * cap);
        uint8_t *side_of = realloc(a->side_of, cap);
        if (!side_of)
            return ENGRATE_E_NOMEM;
        memset(side_of + a->cap, 0, cap - a->cap);
        a->side_of = side_of;
        int64_t *cnt = realloc(a->cnt, ER_PK(0, cap) * sizeof *cnt);
        if (!cnt)
            return ENGRATE_E_NOMEM;
        a->cnt = cnt;
        uint32_t *c32 = realloc(a->c32, ER_PK(0, cap) * sizeof *c32);
        if (!c32)
            return ENGRATE_E_NOMEM;
        a->c32 = c32;
        er_xsum *g = realloc(a->g, ER_PK(0, cap) * sizeof *g);
        if (!g)
            return ENGRATE_E_NOMEM;
        a->g = g;
        er_xsum *xy = realloc(a->xy, cap * sizeof *xy);
        if (!xy)
            return ENGRATE_E_NOMEM;
        a->xy = xy;
        xpiece *dec = realloc(a->dec, cap * sizeof *dec);
        if (!dec)
            return ENGRATE_E_NOMEM;
        a->dec = dec;
        uint32_t *units = realloc(a->units, 2 * cap * sizeof *units);
        if (!units)
            return ENGRATE_E_NOMEM;
        a->units = units;
        a->cap = cap;
    }
    memset(a->cnt + ER_PK(0, a->p), 0, (ER_PK(0, p) - ER_PK(0, a->p)) * sizeof *a->cnt);
    memset(a->c32 + ER_PK(0, a->p), 0, (ER_PK(0, p) - ER_PK(0, a->p)) * sizeof *a->c32);
    empty_sums(a->g + ER_PK(0, a->p), ER_PK(0, p) - ER_PK(0, a->p));
    empty_sums(a->xy + a->p, p - a->p);
    a->p = p;
    return 0;
}

/* Every sum's limbs back below 2^32, so that 2^29 more rows fit; the counts too. */
static void carry_all(er_xacc *a)
{
    er_xacc_settle(a);
    size_t np = ER_PK(0, a->p);
    for (size_t i = 0; i < np; i++) {
        a->cnt[i] += a->c32[i];
        a->c32[i] = 0;
    }
    for (size_t i = 0; i < np; i++)
        if (a->g[i].base != XS_EMPTY) {
            wide w;
            w_from_sum(&w, &a->g[i]);
            w_to_sum(&w, &a->g[i], 0, &a->lost);
        }
    for (size_t i = 0; i <= a->p; i++) {
        er_xsum *s = i < a->p ? &a->xy[i] : &a->yy;
        if (s->base != XS_EMPTY) {
            wide w;
            w_from_sum(&w, s);
            w_to_sum(&w, s, 0, &a->lost);
        }
    }
    a->since_carry = 0;
}

/* A row of unit weight whose values all split: indicator pairs counted, numbers added as
 * pieces (each value split once per row), products of two numbers as their exact
 * double-double. 0, or -1 when a value does not split (0 or not finite): the caller then
 * takes the general path. The row's unit terms and the places of its other values are
 * listed as they are met, so that each kind of pair is a loop of its own. */
ER_INLINE_ALWAYS int add_unit(er_xacc *a, const uint32_t *idx, const double *val, size_t nnz,
                       double y)
{
    xpiece *dec = a->dec, dy;
    uint32_t *unit = a->units, *num = a->units + a->cap;
    er_xsum *side[XS_SIDE]; /* the side rows of the row's first numbers (NULL: none) */
    size_t nu = 0, nn = 0;
    if (xp_make(y, &dy) <= 0)
        return -1;
    for (size_t k = 0; k < nnz; k++)
        if (val[k] != 1.0 && xp_make(val[k], &dec[k]) <= 0)
            return -1;
    for (size_t l = 0; l < nnz; l++) {
        uint32_t il = idx[l];
        er_xsum *cg = a->g + ER_PK(0, il);
        if (val[l] == 1.0) {
            uint32_t *cc = a->c32 + ER_PK(0, il);
            for (size_t k = 0; k < nu; k++)
                cc[unit[k]]++;
            cc[il]++;
            for (size_t q = 0; q < nn; q++)
                put(q < XS_SIDE && side[q] ? &side[q][il] : &cg[idx[num[q]]], &dec[num[q]],
                    &a->lost);
            put(&a->xy[il], &dy, &a->lost);
            unit[nu++] = il;
            continue;
        }
        if (nn < XS_SIDE) { /* this number's side row, given one if there is room */
            if (!a->side_of[il] && a->n_side < XS_SIDE) {
                a->side_term[a->n_side] = il;
                a->side_of[il] = (uint8_t)++a->n_side;
            }
            side[nn] = a->side_of[il] ? a->side + (size_t)(a->side_of[il] - 1) * a->cap : NULL;
            a->side_used |= side[nn] != NULL;
        }
        double vl = val[l];
        for (size_t k = 0; k < nu; k++)
            put(&cg[unit[k]], &dec[l], &a->lost);
        for (size_t q = 0; q < nn; q++)
            put_dd(&cg[idx[num[q]]], dd_two_prod(val[num[q]], vl), &a->lost);
        put_dd(&cg[il], dd_two_prod(vl, vl), &a->lost);
        put_dd(&a->xy[il], dd_two_prod(vl, y), &a->lost);
        num[nn++] = (uint32_t)l;
    }
    put_dd(&a->yy, dd_two_prod(y, y), &a->lost);
    return 0;
}

ER_FMA_CLONES
void er_xacc_add(er_xacc *a, const uint32_t *idx, const double *val, size_t nnz, double y,
                 double w)
{
    if (a->since_carry >= CARRY_ROWS)
        carry_all(a);
    a->since_carry++;
    a->n++;
    if (w == 1.0 && add_unit(a, idx, val, nnz, y) == 0)
        return;
    /* As er_acc_add forms them: w*v_k*v_l as a double-double, then added exactly. */
    for (size_t l = 0; l < nnz; l++) {
        er_xsum *cg = a->g + ER_PK(0, idx[l]);
        double vl = val[l];
        for (size_t k = 0; k <= l; k++) {
            er_dd t = dd_two_prod(w, val[k]);
            if (vl != 1.0)
                t = dd_mul_d(t, vl);
            put_dd(&cg[idx[k]], t, &a->lost);
        }
        put_dd(&a->xy[idx[l]], dd_mul_d(dd_two_prod(w, vl), y), &a->lost);
    }
    put_dd(&a->yy, dd_mul_d(dd_two_prod(w, y), y), &a->lost);
}

int er_xacc_merge(er_xacc *dst, er_xacc *src, const uint32_t *map)
{
    er_xacc_settle(dst);
    er_xacc_settle(src);
    size_t need = src->p;
    for (size_t i = 0; map && i < src->p; i++)
        if (map[i] + (size_t)1 > need)
            need = map[i] + (size_t)1;
    if (er_xacc_reserve(dst, need))
        return ENGRATE_E_NOMEM;
    for (size_t j = 0; j < src->p; j++) {
        size_t mj = map ? map[j] : j;
        for (size_t i = 0; i <= j; i++) {
            size_t mi = map ? map[i] : i;
            size_t at = mi <= mj ? ER_PK(mi, mj) : ER_PK(mj, mi), from = ER_PK(i, j);
            dst->cnt[at] += er_xacc_count(src, from);
            er_xsum_add(&dst->g[at], &src->g[from], &dst->lost);
        }
        er_xsum_add(&dst->xy[mj], &src->xy[j], &dst->lost);
    }
    er_xsum_add(&dst->yy, &src->yy, &dst->lost);
    dst->n += src->n;
    dst->lost += src->lost;
    return 0;
}

static void scale_sum(er_xsum *s, int k, uint64_t *lost)
{
    if (!k || s->base == XS_EMPTY)
        return;
    wide w;
    w_from_sum(&w, s);
    w_shift(&w, k);
    w_to_sum(&w, s, 0, lost);
}

void er_xacc_scale(er_xacc *a, const int *sx, int sy)
{
    er_xacc_settle(a);
    for (size_t j = 0; j < a->p; j++) {
        int kj = sx && j ? sx[j] : 0;
        for (size_t i = 0; i <= j; i++) {
            int k = kj + (sx && i ? sx[i] : 0);
            if (!k)
                continue;
            size_t at = ER_PK(i, j);
            er_xsum_add_count(&a->g[at], er_xacc_count(a, at), &a->lost);
            a->cnt[at] = 0;
            a->c32[at] = 0;
            scale_sum(&a->g[at], k, &a->lost);
        }
        scale_sum(&a->xy[j], kj + sy, &a->lost);
    }
    scale_sum(&a->yy, 2 * sy, &a->lost);
}

int er_xacc_round(er_xacc *a, er_acc *out)
{
    er_xacc_settle(a);
    er_acc_init(out);
    if (er_acc_reserve(out, a->p))
        return ENGRATE_E_NOMEM;
    for (size_t i = 0; i < ER_PK(0, a->p); i++) {
        er_xsum s = a->g[i];
        er_xsum_add_count(&s, er_xacc_count(a, i), NULL);
        out->g[i] = er_xsum_round(&s);
    }
    for (size_t i = 0; i < a->p; i++)
        out->xy[i] = er_xsum_round(&a->xy[i]);
    out->yy = er_xsum_round(&a->yy);
    out->n = a->n;
    return 0;
}
