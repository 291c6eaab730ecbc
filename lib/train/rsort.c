/* rsort.c: the three orders of the sampled residuals (tune.c: by residual, by absolute
 * percentage error; figures.c: by prediction) and the sort that puts them in those orders.
 *
 * The sort gives exactly the order of a stable sort with the order's comparator (glibc's
 * qsort, a merge sort at these sizes, gave it before, and the model and the report must
 * not change): the residuals by the comparator, those it finds equal in the order they
 * came in. It gets there faster than a comparison sort of 56-byte structs through a
 * function pointer: the primary key (a double) as an unsigned integer that orders alike,
 * beside the residual's index, sorted by a stable LSD radix sort; the residuals copied in
 * that order; then each run of equal primary keys by the whole comparator (a stable merge
 * sort, as runs can be long: many residuals exactly 0). The copy costs memory (72 bytes a
 * residual with the keys, 14 MB for the default sample), but its reads do not wait for
 * each other as moves along the permutation's cycles in place would, and it puts each
 * run's residuals side by side for the comparisons.
 *
 * With a NaN where a comparator compares with < and != only, it is not an order, and what
 * a sort makes of it depends on the algorithm: the sort is then qsort's, as before. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* ---- The orders ---------------------------------------------------------------------- */

/* By residual and by APE: both orders are total on what a residual holds (ties go by the
 * other fields), so the sorted array, and the sums of weights along it, do not depend on
 * the order in which the sample holds its rows (a pass's, a merge's or a loaded file's). */
static int cmp4(double a0, double b0, double a1, double b1, double a2, double b2,
                uint32_t fa, uint32_t fb)
{
    if (a0 != b0)
        return a0 < b0 ? -1 : 1;
    if (a1 != b1)
        return a1 < b1 ? -1 : 1;
    if (a2 != b2 && !(isnan(a2) && isnan(b2)))
        return isnan(a2) ? 1 : isnan(b2) ? -1 : a2 < b2 ? -1 : 1;
    return fa < fb ? -1 : fa > fb;
}

int tr_resid_cmp(const void *a, const void *b)
{
    const resid *x = a, *y = b;
    return cmp4(x->r, y->r, x->w, y->w, x->ape, y->ape, x->fold, y->fold);
}

int tr_ape_cmp(const void *a, const void *b)
{
    const resid *x = a, *y = b;
    return cmp4(x->ape, y->ape, x->w, y->w, x->r, y->r, x->fold, y->fold);
}

/* By prediction, then target, weight and fold: an order that depends on the rows sampled,
 * not on the order they were sampled in (sums in figures.c are taken in it). */
int tr_pred_cmp(const void *pa, const void *pb)
{
    const resid *a = pa, *b = pb;
    if (a->pred != b->pred)
        return a->pred < b->pred ? -1 : 1;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    if (a->w != b->w)
        return a->w < b->w ? -1 : 1;
    return a->fold < b->fold ? -1 : a->fold > b->fold;
}

static double primary(const resid *e, int by)
{
    return by == TR_BY_R ? e->r : by == TR_BY_APE ? e->ape : e->pred;
}

/* Whether the order's comparator is an order on e: no NaN in the fields it compares with
 * < and != only (cmp4's third key sorts NaN last, and is an order with them). */
static int orderable(const resid *e, int by)
{
    return !isnan(primary(e, by)) && !isnan(e->w) && (by != TR_BY_PRED || !isnan(e->y));
}

/* ---- The sort ------------------------------------------------------------------------ */

typedef struct rkey {
    uint64_t key;         /* the primary key, ordered as unsigned */
    uint32_t i;           /* the residual's place in the input */
} rkey;

/* A double (not NaN) as an unsigned integer that orders as the double does: a negative
 * one's bits all flipped (the larger its magnitude, the smaller), a positive one's sign
 * bit set (above every negative). -0 is +0 first: they are equal, as doubles. */
static uint64_t order_bits(double d)
{
    uint64_t u;
    if (d == 0)
        d = 0.0;
    memcpy(&u, &d, sizeof u);
    return u >> 63 ? ~u : u | (1ull << 63);
}

/* The run w[0..k) of equal primary keys, in input order, by the whole comparator, stably
 * (s: room for k residuals): insertion for a few, else a merge sort. The run's residuals
 * lie side by side (in the copy in primary-key order), so that the comparisons, through a
 * function pointer, at least find them in cache. */
static void sort_run(resid *w, resid *s, size_t k, int (*cmp)(const void *, const void *))
{
    if (k <= 16) {
        for (size_t i = 1; i < k; i++) {
            if (cmp(&w[i - 1], &w[i]) <= 0)
                continue;
            resid x = w[i];
            size_t j = i;
            for (; j > 0 && cmp(&w[j - 1], &x) > 0; j--)
                w[j] = w[j - 1];
            w[j] = x;
        }
        return;
    }
    size_t h = k / 2;
    sort_run(w, s, h, cmp);
    sort_run(w + h, s + h, k - h, cmp);
    if (cmp(&w[h - 1], &w[h]) <= 0)
        return; /* the halves are in order already */
    memcpy(s, w, h * sizeof *s);
    /* The first half from s, the second in place: what is written never overtakes what
     * is still to be read. On a tie the first half's goes first. */
    size_t i = 0, j = h, o = 0;
    while (i < h && j < k)
        w[o++] = cmp(&w[j], &s[i]) < 0 ? w[j++] : s[i++];
    while (i < h)
        w[o++] = s[i++];
}

int tr_sort_resid(resid *v, size_t n, int by)
{
    int (*cmp)(const void *, const void *) =
        by == TR_BY_R ? tr_resid_cmp : by == TR_BY_APE ? tr_ape_cmp : tr_pred_cmp;
    if (n < 2)
        return 0;
    int plain = n <= UINT32_MAX;
    for (size_t i = 0; plain && i < n; i++)
        plain = orderable(&v[i], by);
    if (!plain) {
        qsort(v, n, sizeof *v, cmp);
        return 0;
    }
    /* The keys, and a copy of the residuals in order, whose room is the radix sort's
     * scratch first (a residual is larger than a key). */
    rkey *a = malloc(n * sizeof *a);
    resid *w = malloc(n * sizeof *w);
    if (!a || !w) {
        free(a);
        free(w);
        return ENGRATE_E_NOMEM;
    }
    rkey *keys = a, *b = (rkey *)(void *)w;
    /* The keys, and how many have each value of each byte. */
    uint32_t count[8][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) {
        a[i] = (rkey){order_bits(primary(&v[i], by)), (uint32_t)i};
        for (int d = 0; d < 8; d++)
            count[d][(a[i].key >> (8 * d)) & 255]++;
    }
    /* LSD: by each byte from the lowest, stably; a byte that all keys share moves none. */
    for (int d = 0; d < 8; d++) {
        uint32_t *c = count[d], sum = 0;
        if (c[(a[0].key >> (8 * d)) & 255] == n)
            continue;
        for (int x = 0; x < 256; x++) {
            uint32_t cx = c[x];
            c[x] = sum;
            sum += cx;
        }
        for (size_t i = 0; i < n; i++)
            b[c[(a[i].key >> (8 * d)) & 255]++] = a[i];
        rkey *t = a;
        a = b;
        b = t;
    }
    if (a != keys)
        memcpy(keys, a, n * sizeof *keys);
    /* The residuals by primary key, equal keys in input order; then each run of equal
     * keys by the rest, with v's room (no longer needed) as scratch. */
    for (size_t p = 0; p < n; p++)
        w[p] = v[keys[p].i];
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && keys[j].key == keys[i].key; j++)
            ;
        if (j - i > 1)
            sort_run(w + i, v + i, j - i, cmp);
    }
    memcpy(v, w, n * sizeof *v);
    free(keys);
    free(w);
    return 0;
}
