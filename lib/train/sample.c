/* sample.c: the rows kept for calibrating the interval (docs/training.md, "The interval").
 * By content (the default), the `sample` rows with the smallest keys, a hash of each row's
 * content: a bottom-k sample, the same rows however the data are split, and two samples
 * merge into the sample of their union. By order (--folds-by order), Algorithm R over the
 * rows' numbers, as engrate kept it before: only for one pass over one file. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

#define VALUE_FLAG 0x80000000u /* an index whose value is the next double */

/* A row about to be read or written, fetched now: the sample's rows are far apart in
 * memory, and each is read or written once in a while. */
#if defined(__GNUC__)
#define FETCH(p, w) __builtin_prefetch((p), (w))
#else
#define FETCH(p, w) ((void)(p))
#endif

static size_t row_bytes(size_t nnz, size_t nval)
{
    return sizeof(srow) + nval * sizeof(double) + nnz * sizeof(uint32_t);
}

/* ---- Where rows live ---------------------------------------------------------------------
 * A row of at most ROW_SLOT bytes (most rows) is a slot of a chunk of the trainer's slab,
 * cut in turn and never given back one by one: a row that goes leaves its room to the row
 * that comes next in its place (the sample's rows beyond sample_n), and the chunks are
 * freed together with the sample. A larger row has an allocation of its own, its room
 * larger than ROW_SLOT: that is how it is told from a slot. A slot is cut only for a place
 * of the sample's array that has no row yet (a row that outgrows its slot leaves it unused,
 * and keeps its place), so the slab has no more slots than the array has places, and the
 * rest of its newest chunk. */

#define SLAB_LEAST 16   /* slots of a trainer's first chunk; each next one has twice as */
#define SLAB_MOST 4096  /* many, up to this */

struct srow_chunk {
    struct srow_chunk *next; /* the one cut before */
    size_t n;                /* slots */
    double slot[];           /* n slots of ROW_SLOT bytes */
};

/* A slot of t's slab (NULL: no memory). */
static srow *slab_row(trainer *t)
{
    if (!t->slab_left) {
        size_t n = t->slab ? 2 * t->slab->n : SLAB_LEAST;
        if (n > SLAB_MOST)
            n = SLAB_MOST;
        struct srow_chunk *c = malloc(sizeof *c + n * ROW_SLOT);
        if (!c)
            return NULL;
        c->next = t->slab;
        c->n = n;
        t->slab = c;
        t->slab_left = n;
    }
    srow *r = (srow *)((char *)t->slab->slot + (t->slab->n - t->slab_left--) * ROW_SLOT);
    r->room = ROW_SLOT;
    return r;
}

srow *tr_sample_row(trainer *t, srow *r, size_t need)
{
    if (r && r->room >= need)
        return r;
    if (!r && need <= ROW_SLOT)
        return slab_row(t);
    /* r of its own grows; a slot outgrown stays in the slab, unused */
    srow *n = realloc(r && r->room > ROW_SLOT ? r : NULL, need);
    if (!n)
        return NULL;
    n->room = (uint32_t)need;
    t->sample_own = 1;
    return n;
}

void tr_sample_unrow(srow *r)
{
    if (r && r->room > ROW_SLOT)
        free(r);
}

/* Row r (reused when its room allows, else grown; NULL: a new one) holding the terms
 * idx[1..nnz) (the intercept, term 0, is implicit) with values val. NULL: no memory (r is
 * then left as it was). */
static srow *fill_row(trainer *t, srow *r, const uint32_t *idx, const double *val, size_t nnz,
                      double y, double w, uint32_t fold, uint64_t key)
{
    size_t nval = 0;
    for (size_t k = 1; k < nnz; k++)
        nval += val[k] != 1.0;
    r = tr_sample_row(t, r, row_bytes(nnz - 1, nval));
    if (!r)
        return NULL;
    r->y = y;
    r->w = w;
    r->key = key;
    r->nnz = (uint32_t)(nnz - 1);
    r->nval = (uint32_t)nval;
    r->fold = fold;
    uint32_t *ix = (uint32_t *)(r->data + nval);
    size_t vi = 0;
    for (size_t k = 1; k < nnz; k++) {
        if (val[k] != 1.0) {
            r->data[vi++] = val[k];
            ix[k - 1] = idx[k] | VALUE_FLAG;
        } else {
            ix[k - 1] = idx[k];
        }
    }
    return r;
}

double tr_sample_predict(const srow *r, double b0, const double *coef)
{
    const uint32_t *ix = (const uint32_t *)(r->data + r->nval);
    size_t vi = 0;
    double s = b0;
    for (size_t k = 0; k < r->nnz; k++) {
        uint32_t i = ix[k];
        if (i & VALUE_FLAG)
            s += coef[i & ~VALUE_FLAG] * r->data[vi++];
        else
            s += coef[i];
    }
    return s;
}

/* How many rows a by-content sample lets in before the surplus goes: a quarter more than
 * it keeps, so that dropping it (a quickselect over them all) costs a few steps a row. */
static size_t sample_room_for(const trainer *t)
{
    return t->sample_cap + t->sample_cap / 4 + 1;
}

/* Room for `n` rows in the sample's array (grown as rows come, so that a small input or a
 * loaded file does not make room for the whole --sample). */
int tr_sample_room(trainer *t, size_t n)
{
    if (n <= t->sample_alloc)
        return 0;
    /* no more than bottom_offer lets in (growing one by one beyond that would copy the
     * arrays once a row) */
    size_t most = sample_room_for(t);
    size_t cap = t->sample_alloc ? t->sample_alloc : 1024;
    while (cap < n)
        cap *= 2;
    if (cap > most)
        cap = most > n ? most : n;
    /* Each array is kept as soon as it has grown, and sample_alloc only once both have:
     * a failure leaves both at least sample_alloc long, and the next call grows them. */
    skey *k = realloc(t->skeys, cap * sizeof *k);
    if (!k)
        return ENGRATE_E_NOMEM;
    t->skeys = k;
    srow **a = realloc(t->sample, cap * sizeof *a);
    if (!a)
        return ENGRATE_E_NOMEM;
    memset(a + t->sample_alloc, 0, (cap - t->sample_alloc) * sizeof *a);
    t->sample = a;
    t->sample_alloc = cap;
    return 0;
}

/* ---- By order: Algorithm R ----------------------------------------------------------- */

static int reservoir_offer(trainer *t, uint64_t i, const uint32_t *idx, const double *val,
                           size_t nnz, double y, double w, uint32_t fold)
{
    size_t at;
    if (i < t->sample_cap) {
        at = (size_t)i;
    } else {
        uint64_t j = splitmix64(SAMPLE_SEED ^ i) % (i + 1);
        if (j >= t->sample_cap)
            return 0;
        at = (size_t)j;
    }
    if (tr_sample_room(t, at + 1))
        return ENGRATE_E_NOMEM;
    srow *r = fill_row(t, t->sample[at], idx, val, nnz, y, w, fold, 0);
    if (!r)
        return ENGRATE_E_NOMEM;
    t->sample[at] = r;
    if (at >= t->sample_n)
        t->sample_n = at + 1;
    return 0;
}

/* ---- By content: the smallest keys ---------------------------------------------------- */

/* The order of the bottom-k sample: by key, then (for two rows whose keys are equal, which
 * a 64-bit hash makes rare) by target and weight, so that it is a total order on what
 * decides a row's residual. The selection compares these, beside the rows: no row is read. */
static int key_less(const skey *a, const skey *b)
{
    if (a->key != b->key)
        return a->key < b->key;
    if (a->y != b->y)
        return a->y < b->y;
    return a->w < b->w;
}

static void swap_rows(trainer *t, size_t i, size_t j)
{
    skey k = t->skeys[i];
    t->skeys[i] = t->skeys[j];
    t->skeys[j] = k;
    srow *r = t->sample[i];
    t->sample[i] = t->sample[j];
    t->sample[j] = r;
}

/* Rows [0, n) rearranged so that [0, k) hold the k first in key order and row k - 1 is the
 * last of them (1 <= k <= n): a quickselect, the pivot the median of three, the partition
 * Hoare's (rows equal to the pivot go to both sides, so many equal keys split evenly). */
static void select_first(trainer *t, size_t n, size_t k)
{
    const skey *h = t->skeys;
    size_t lo = 0, hi = n - 1, want = k - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_less(&h[mid], &h[lo]))
            swap_rows(t, mid, lo);
        if (key_less(&h[hi], &h[lo]))
            swap_rows(t, hi, lo);
        if (key_less(&h[hi], &h[mid]))
            swap_rows(t, hi, mid);
        if (hi - lo < 3)
            break; /* three rows or fewer: in order now */
        skey p = h[mid];
        size_t i = lo, j = hi;
        for (;;) { /* h[lo] <= p <= h[hi]: the scans stop inside [lo, hi] */
            while (key_less(&h[i], &p))
                i++;
            while (key_less(&p, &h[j]))
                j--;
            if (i >= j)
                break;
            swap_rows(t, i, j);
            i++;
            j--;
        }
        /* [lo, j] are at most p and [j + 1, hi] at least p; j < hi */
        if (want <= j)
            hi = j;
        else
            lo = j + 1;
    }
}

/* The rows past `sample_cap` go: the first `sample_cap` in key order stay, the last of
 * them becomes the bar a new row must pass. The rows that go keep their room, beyond
 * sample_n, for the rows that come next (in this pass, or a merge into this sample). */
static void drop_surplus(trainer *t)
{
    size_t k = t->sample_cap;
    if (t->sample_n < k || k == 0)
        return;
    if (t->sample_n > k)
        select_first(t, t->sample_n, k);
    else
        for (size_t i = 0; i + 1 < k; i++) /* exactly full: the last in order to k - 1 */
            if (key_less(&t->skeys[k - 1], &t->skeys[i]))
                swap_rows(t, i, k - 1);
    t->sample_n = k;
    t->sample_bar = t->skeys[k - 1];
    t->sample_full = 1;
}

void tr_sample_settle(trainer *t)
{
    if (t->o->folds_by == ER_FOLDS_BY_ORDER)
        return;
    drop_surplus(t);
}

uint64_t tr_sample_below(const trainer *t, uint64_t pivot)
{
    uint64_t n = 0;
    for (size_t i = 0; i < t->sample_n; i++)
        n += t->skeys[i].key < pivot;
    return n;
}

#define SHARE_EVERY 1024 /* rows kept between two looks at the other parts' counts */

/* A part's row let in: its count below the pivot updated, and now and then shared with
 * the other parts. The count is of rows the part has read: rows that go later were read
 * all the same, so it never falls, and it stays a count of distinct rows of the input. */
static void part_kept(trainer *t, uint64_t key)
{
    t->sb_below += key < t->sb_pivot;
    if (++t->sb_tick % SHARE_EVERY == 0)
        tr_part_share(t);
}

/* Whether the sample of the `sample_cap` first in key order lets in a row of order k. Rows
 * are let in until there are a quarter more, then the surplus goes (drop_surplus), and from
 * then on a row must come before the last row kept (sample_bar) to be let in: a row that
 * does not cannot be among the first `sample_cap`. A part of a file read by several threads
 * also drops a row whose key is at or above the parts' bound (shard.c): the whole input has
 * `sample_cap` rows below it, so the row cannot be in the sample of the union. Only the
 * keys are read: a merge decides on the other sample's keys, and reads the rows let in. */
static int bottom_admits(trainer *t, const skey *k)
{
    if (!t->sample_cap || (t->run && k->key >= tr_part_bound(t)))
        return 0;
    if (t->sample_full && !key_less(k, &t->sample_bar))
        return 0;
    if (t->sample_n >= sample_room_for(t)) {
        drop_surplus(t);
        if (!key_less(k, &t->sample_bar))
            return 0;
    }
    return 1;
}

/* A row let in with order k, as the sample's row sample_n: 0 or ENGRATE_E_NOMEM. */
static int bottom_put(trainer *t, const skey *k, const uint32_t *idx, const double *val,
                      size_t nnz, uint32_t fold)
{
    if (tr_sample_room(t, t->sample_n + 1))
        return ENGRATE_E_NOMEM;
    /* the room of a row that went, when there is one */
    srow *r = fill_row(t, t->sample[t->sample_n], idx, val, nnz, k->y, k->w, fold, k->key);
    if (!r)
        return ENGRATE_E_NOMEM;
    t->sample[t->sample_n] = r;
    t->skeys[t->sample_n++] = *k;
    if (t->run)
        part_kept(t, k->key);
    if (t->sample_n < t->sample_alloc && t->sample[t->sample_n])
        FETCH(t->sample[t->sample_n], 1); /* the room of the next row let in */
    return 0;
}

static int bottom_offer(trainer *t, uint64_t key, const uint32_t *idx, const double *val,
                        size_t nnz, double y, double w, uint32_t fold)
{
    skey k = {key, y, w};
    return bottom_admits(t, &k) ? bottom_put(t, &k, idx, val, nnz, fold) : 0;
}

int tr_sample_offer(trainer *t, uint64_t key, const uint32_t *idx, const double *val,
                    size_t nnz, double y, double w, uint32_t fold)
{
    if (t->o->folds_by == ER_FOLDS_BY_ORDER)
        return reservoir_offer(t, t->rows_used, idx, val, nnz, y, w, fold);
    return bottom_offer(t, key, idx, val, nnz, y, w, fold);
}

/* ---- Merging ----------------------------------------------------------------------------- */

/* Row r as (idx, val) with the intercept first, its terms renumbered by map and scaled by
 * the powers of two sx (per source term) and sorted, as the pass would have made it with
 * the destination's numbering and scales. */
static void remap_row(const srow *r, const uint32_t *map, const int *sx, uint32_t *idx,
                      double *val)
{
    const uint32_t *ix = (const uint32_t *)(r->data + r->nval);
    size_t vi = 0, n = r->nnz + 1;
    idx[0] = 0;
    val[0] = 1;
    for (size_t k = 0; k < r->nnz; k++) {
        uint32_t i = ix[k] & ~VALUE_FLAG;
        double v = ix[k] & VALUE_FLAG ? r->data[vi++] : 1.0;
        idx[k + 1] = map ? map[i] : i;
        val[k + 1] = sx && sx[i] ? ldexp(v, sx[i]) : v;
    }
    for (size_t a = 2; a < n; a++) { /* insertion sort: a row has a handful of terms */
        uint32_t ki = idx[a];
        double vk = val[a];
        size_t b = a;
        while (b > 1 && idx[b - 1] > ki) {
            idx[b] = idx[b - 1];
            val[b] = val[b - 1];
            b--;
        }
        idx[b] = ki;
        val[b] = vk;
    }
}

/* Each of src's rows offered to dst in src's order, decided on src's keys (a row's key,
 * target and weight), so that a row dst does not let in is not read. */
int tr_sample_merge(trainer *dst, trainer *src, const uint32_t *map, const int *sx, int sy)
{
    uint32_t *idx = malloc((src->n_terms + 1) * sizeof *idx);
    double *val = malloc((src->n_terms + 1) * sizeof *val);
    int rc = idx && val ? 0 : ENGRATE_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < src->sample_n; i++) {
        const srow *r = src->sample[i];
        skey k = src->skeys[i];
        size_t next = i + 8; /* a row a few ahead, if dst may let it in */
        if (next < src->sample_n && src->sample[next] &&
            (!dst->sample_full || src->skeys[next].key <= dst->sample_bar.key))
            FETCH(src->sample[next], 0);
        if (!r)
            continue;
        if (sy)
            k.y = ldexp(k.y, sy);
        if (!bottom_admits(dst, &k))
            continue;
        remap_row(r, map, sx, idx, val);
        rc = bottom_put(dst, &k, idx, val, r->nnz + 1, r->fold);
    }
    free(idx);
    free(val);
    tr_sample_settle(dst);
    return rc;
}

/* The rows of their own freed, and the slab's chunks. */
void tr_sample_free(trainer *t)
{
    for (size_t i = 0; t->sample_own && i < t->sample_alloc; i++)
        tr_sample_unrow(t->sample[i]);
    while (t->slab) {
        struct srow_chunk *c = t->slab;
        t->slab = c->next;
        free(c);
    }
    free(t->sample);
    free(t->skeys);
    t->sample = NULL;
    t->skeys = NULL;
    t->sample_n = t->sample_alloc = t->slab_left = 0;
    t->sample_own = 0;
}
