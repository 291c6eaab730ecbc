/* shard.c: one input read by several threads (--threads N): the file (or buffer) cut into
 * N byte ranges at record boundaries, each range read and accumulated by a trainer of its
 * own, and the parts merged in order (merge.c), which gives the sums, levels and sample of
 * one pass exactly (docs/training.md, "Both cores").
 *
 * Where records start: a line break is a record's end unless it is inside a quoted field,
 * which a well-formed file says by the number of quotes before it (odd: inside). So the
 * threads first count the quotes and line breaks of equal slices of the input (which also
 * gives each range's first line number, for messages); each cut is then the first line
 * break after a slice's start with an even number of quotes before it. A file whose
 * quotes are malformed can mislead this; every range but the last must therefore end
 * where its reader ends a record, else (the reader ends inside quotes: er_csv_cut) the
 * whole input is read again by one thread. Cutting needs the encoding's line breaks and
 * quotes to be those bytes alone: UTF-8, CP932, EUC-JP, the ISO-8859 and Windows code
 * pages; other encodings (UTF-16, ISO-2022-JP) are read by one thread. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "trainer.h"

#define MIN_PART (256u * 1024u) /* smaller parts are not worth a thread */
#define SCAN_BUF (64u * 1024u)

struct shard_run {
    const tr_source *src;
    size_t n;
    uint64_t cut[TR_MAX_PARTS + 1]; /* part i is [cut[i], cut[i+1]) */
    int line[TR_MAX_PARTS];         /* the physical line at cut[i] */
    _Atomic uint64_t done[TR_MAX_PARTS];
    uint64_t size;
    /* the sample's bound: each part's rows below the pivot it counted for */
    _Atomic uint64_t bound, pivot;
    _Atomic uint64_t below[TR_MAX_PARTS], seen[TR_MAX_PARTS];
    _Atomic int frozen; /* the parts are being merged: the counts no longer hold */
};

/* ---- Reading the input's bytes ------------------------------------------------------- */

typedef struct slice {
    const tr_source *src;
    int fd;
    uint64_t from, to;
    uint64_t quotes, lines;
    int failed;
} slice;

/* Up to n bytes at offset `at` into buf: the count, or -1. */
static ssize_t read_at(const tr_source *src, int fd, uint64_t at, char *buf, size_t n)
{
    if (!src->path) {
        if (at >= src->len)
            return 0;
        size_t k = src->len - at < n ? (size_t)(src->len - at) : n;
        memcpy(buf, src->data + at, k);
        return (ssize_t)k;
    }
    for (;;) {
        ssize_t k = pread(fd, buf, n, (off_t)at);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

#define ONES 0x0101010101010101ull
#define LOW7 0x7f7f7f7f7f7f7f7full

/* 1 in each byte of w that is 0, else 0: each zero byte's top bit set, exactly (no borrow
 * crosses bytes), moved down. */
static inline uint64_t zero_bytes(uint64_t w)
{
    return ~(((w & LOW7) + LOW7) | w | LOW7) >> 7;
}

/* The sum of the 8 bytes of w (each at most 255). */
static inline uint64_t byte_sum(uint64_t w)
{
    const uint64_t lanes = 0x00ff00ff00ff00ffull;
    uint64_t h = (w & lanes) + ((w >> 8) & lanes); /* four 16-bit sums, each < 2^9 */
    return (h * 0x0001000100010001ull) >> 48;
}

/* Quotes and line breaks in p[0..n), 16 bytes a step where SSE2 is (every x86-64), then 8:
 * the matches counted bytewise in a register, which 255 steps cannot overflow, and its
 * bytes summed after them. */
void tr_count_bytes(const char *p, size_t n, uint64_t *quotes, uint64_t *lines)
{
    uint64_t q = 0, l = 0;
    size_t i = 0;
#if defined(__SSE2__)
    /* 16 bytes a step: a match is -1 in its byte, subtracted (so counted) bytewise, and
     * the bytes summed (psadbw) every 255 steps. */
    const __m128i qv = _mm_set1_epi8('"'), lv = _mm_set1_epi8('\n'), z = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i qb = z, lb = z;
        for (int k = 0; k < 255 && i + 16 <= n; k++, i += 16) {
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            qb = _mm_sub_epi8(qb, _mm_cmpeq_epi8(w, qv));
            lb = _mm_sub_epi8(lb, _mm_cmpeq_epi8(w, lv));
        }
        __m128i qs = _mm_sad_epu8(qb, z), ls = _mm_sad_epu8(lb, z);
        qs = _mm_add_epi64(qs, _mm_unpackhi_epi64(qs, qs));
        ls = _mm_add_epi64(ls, _mm_unpackhi_epi64(ls, ls));
        q += (uint64_t)_mm_cvtsi128_si64(qs);
        l += (uint64_t)_mm_cvtsi128_si64(ls);
    }
#endif
    while (i + 8 <= n) {
        uint64_t qb = 0, lb = 0;
        for (int k = 0; k < 255 && i + 8 <= n; k++, i += 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            qb += zero_bytes(w ^ (ONES * '"'));
            lb += zero_bytes(w ^ (ONES * '\n'));
        }
        q += byte_sum(qb);
        l += byte_sum(lb);
    }
    for (; i < n; i++) {
        q += p[i] == '"';
        l += p[i] == '\n';
    }
    *quotes += q;
    *lines += l;
}

static void count_slice(slice *s)
{
    const char *mem = s->src->path ? NULL : s->src->data;
    if (mem) {
        tr_count_bytes(mem + s->from, (size_t)(s->to - s->from), &s->quotes, &s->lines);
        return;
    }
    char *buf = malloc(SCAN_BUF * 4);
    if (!buf) {
        s->failed = 1;
        return;
    }
    for (uint64_t at = s->from; at < s->to;) {
        size_t want = s->to - at < SCAN_BUF * 4 ? (size_t)(s->to - at) : SCAN_BUF * 4;
        ssize_t k = read_at(s->src, s->fd, at, buf, want);
        if (k <= 0) {
            s->failed = 1;
            break;
        }
        tr_count_bytes(buf, (size_t)k, &s->quotes, &s->lines);
        at += (uint64_t)k;
    }
    free(buf);
}

/* One thread's share of the count: the slices s[0..n) in turn. */
typedef struct count_share {
    slice *s;
    size_t n;
} count_share;

static void *count_main(void *arg)
{
    count_share *c = arg;
    for (size_t i = 0; i < c->n; i++)
        count_slice(&c->s[i]);
    return NULL;
}

/* The first line break at or after `from` (and before `to`) with an even number of quotes
 * before it, given the quotes and lines before `from`: the offset after it and its line
 * number there, or 0 when there is none. */
static uint64_t next_cut(const tr_source *src, int fd, uint64_t from, uint64_t to,
                         uint64_t quotes, uint64_t lines, int *line)
{
    char buf[SCAN_BUF];
    for (uint64_t at = from; at < to;) {
        size_t want = to - at < SCAN_BUF ? (size_t)(to - at) : SCAN_BUF;
        ssize_t k = read_at(src, fd, at, buf, want);
        if (k <= 0)
            return 0;
        for (ssize_t i = 0; i < k; i++) {
            quotes += buf[i] == '"';
            if (buf[i] == '\n' && ++lines && quotes % 2 == 0) {
                *line = (int)(lines + 1 > INT32_MAX ? INT32_MAX : lines + 1);
                return at + (uint64_t)i + 1;
            }
        }
        at += (uint64_t)k;
    }
    return 0;
}

/* ---- Where to cut ------------------------------------------------------------------- */

/* Whether bytes '\n' and '"' are those characters only, whatever precedes them. */
static int cuttable_encoding(const char *enc)
{
    static const char *const ok[] = {"CP932", "EUC-JP", "ISO-8859-", "ISO8859-", "LATIN",
                                     "WINDOWS-125", "CP125", "ASCII", "US-ASCII", NULL};
    if (!enc)
        return 1; /* UTF-8 */
    for (size_t i = 0; ok[i]; i++)
        if (!strncasecmp(enc, ok[i], strlen(ok[i])))
            return 1;
    return 0;
}

size_t tr_parts_wanted(const trainer *t, uint64_t size)
{
    const engrate_train_options *o = t->o;
    size_t n = (size_t)tr_threads(o);
    if (n > TR_MAX_PARTS)
        n = TR_MAX_PARTS;
    if (o->folds_by == ER_FOLDS_BY_ORDER || !cuttable_encoding(o->encoding))
        return 1;
    while (n > 1 && size / n < MIN_PART)
        n--;
    return n;
}

/* Count the input's quotes and line breaks before each of the n - 1 places where a part
 * may start (size * i / n): the bytes [0, size * (n - 1) / n), in n equal shares counted
 * by n threads, each share split where a part may start. Then place the cuts: 0, or the
 * number of parts wanted lowered (a slice without a cut after its start merges with the
 * one before), or a code. */
static int place_cuts(struct shard_run *r, int fd, size_t n, uint64_t header_end)
{
    uint64_t reach = r->size * (n - 1) / n, pt[2 * TR_MAX_PARTS + 1];
    size_t np = 0;
    for (size_t t = 0; t <= n; t++) /* the shares' bounds and the parts' starts, sorted */
        pt[np++] = reach * t / n;
    for (size_t i = 1; i < n; i++) {
        size_t k = np++;
        for (; k > 0 && pt[k - 1] > r->size * i / n; k--)
            pt[k] = pt[k - 1];
        pt[k] = r->size * i / n;
    }
    slice sl[2 * TR_MAX_PARTS];
    count_share cs[TR_MAX_PARTS];
    size_t ns = 0;
    for (size_t t = 0; t < n; t++)
        cs[t] = (count_share){sl, 0};
    for (size_t k = 0, t = 0; k + 1 < np; k++) {
        if (pt[k] == pt[k + 1])
            continue;
        while (pt[k] >= reach * (t + 1) / n) /* the share this slice is in */
            t++;
        if (cs[t].n == 0)
            cs[t].s = &sl[ns];
        sl[ns++] = (slice){r->src, fd, pt[k], pt[k + 1], 0, 0, 0};
        cs[t].n++;
    }
    pthread_t th[TR_MAX_PARTS];
    int started[TR_MAX_PARTS] = {0};
    for (size_t t = 1; t < n; t++)
        started[t] = pthread_create(&th[t], NULL, count_main, &cs[t]) == 0;
    count_main(&cs[0]);
    for (size_t t = 1; t < n; t++)
        if (started[t])
            pthread_join(th[t], NULL);
        else
            count_main(&cs[t]);
    int failed = 0;
    for (size_t k = 0; k < ns; k++)
        failed |= sl[k].failed;
    if (failed)
        return ENGRATE_E_IO;
    r->n = 1;
    r->cut[0] = 0;
    uint64_t quotes = 0, lines = 0;
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        for (; k < ns && sl[k].from < r->size * i / n; k++) { /* the bytes before it */
            quotes += sl[k].quotes;
            lines += sl[k].lines;
        }
        uint64_t from = r->size * i / n, to = r->size * (i + 1) / n;
        if (header_end > from) /* a header longer than a slice: no cut here */
            continue;
        int line = 0;
        uint64_t c = next_cut(r->src, fd, from, to, quotes, lines, &line);
        if (c && c < r->size && c > r->cut[r->n - 1]) {
            r->cut[r->n] = c;
            r->line[r->n] = line;
            r->n++;
        }
    }
    r->cut[r->n] = r->size;
    return 0;
}

/* ---- Reading the parts -------------------------------------------------------------- */

typedef struct part {
    trainer t;
    engrate_error err;
    struct shard_run *run;
    size_t i;
    int rc;
} part;

static void *part_main(void *arg)
{
    part *p = arg;
    p->rc = tr_read_part(&p->t, p->run->src, p->run->cut[p->i], p->run->cut[p->i + 1],
                         p->run->line[p->i]);
    return NULL;
}

void tr_part_progress(trainer *t, uint64_t offset)
{
    struct shard_run *r = t->run;
    uint64_t done = offset > r->cut[t->part] ? offset - r->cut[t->part] : 0;
    atomic_store_explicit(&r->done[t->part], done, memory_order_relaxed);
    if (t->part != 0 || !t->o->progress)
        return;
    uint64_t sum = 0;
    for (size_t i = 0; i < r->n; i++)
        sum += atomic_load_explicit(&r->done[i], memory_order_relaxed);
    double f = r->size ? (double)sum / (double)r->size : 0;
    t->o->progress(f < 1 ? f : 1, t->o->progress_user);
}

/* ---- The sample's bound ------------------------------------------------------------
 * Each part keeps the `sample` rows of smallest key among its own rows, of which the
 * union's sample keeps the smallest. A key P such that the parts have read at least
 * `sample` rows below P between them bounds the union's: no row at or above P can be in
 * it, and a part need not keep one. The parts count the rows they let into their samples
 * below a shared pivot (a count only grows: a row its part drops later is still a row of
 * the input); when the counts reach `sample`, P becomes the bound and the pivot halves. A count is
 * published before the pivot it was made for, so a part that reads the pivot as P reads
 * that count or a later one, never one for another pivot that is larger. Rows dropped
 * so are rows the merge would drop: the sample is the same, with less work. */

uint64_t tr_part_bound(const trainer *t)
{
    return atomic_load_explicit(&t->run->bound, memory_order_relaxed);
}

void tr_part_share(trainer *t)
{
    struct shard_run *r = t->run;
    if (atomic_load_explicit(&r->frozen, memory_order_acquire))
        return;
    uint64_t p = atomic_load_explicit(&r->pivot, memory_order_acquire);
    if (p != t->sb_pivot) {
        t->sb_pivot = p;
        t->sb_below = tr_sample_below(t, p);
    }
    atomic_store_explicit(&r->below[t->part], t->sb_below, memory_order_relaxed);
    atomic_store_explicit(&r->seen[t->part], p, memory_order_release);
    uint64_t sum = 0;
    for (size_t i = 0; i < r->n; i++)
        if (atomic_load_explicit(&r->seen[i], memory_order_acquire) == p)
            sum += atomic_load_explicit(&r->below[i], memory_order_relaxed);
    if (sum < t->sample_cap)
        return;
    uint64_t b = atomic_load_explicit(&r->bound, memory_order_relaxed);
    while (b > p && !atomic_compare_exchange_weak(&r->bound, &b, p))
        ;
    uint64_t expect = p;
    atomic_compare_exchange_strong(&r->pivot, &expect, p / 2);
}

/* Read parts 1.. in threads (each set up from the input's own header) while this thread
 * reads part 0 with t, whose reader is past the header; then merge them into t in order. */
static int read_parts(trainer *t, struct shard_run *r)
{
    part *ps = calloc(r->n, sizeof *ps);
    pthread_t th[TR_MAX_PARTS];
    int started[TR_MAX_PARTS] = {0};
    if (!ps)
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 1; i < r->n; i++) {
        ps[i].run = r;
        ps[i].i = i;
        ps[i].rc = tr_init_part(&ps[i].t, t, &ps[i].err, r, i);
        if (ps[i].rc == 0)
            started[i] = pthread_create(&th[i], NULL, part_main, &ps[i]) == 0;
    }
    int rc = tr_pass(t);
    for (size_t i = 1; i < r->n; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else if (ps[i].rc == 0)
            part_main(&ps[i]);
    }
    atomic_store(&r->frozen, 1); /* merging moves rows between the parts' samples */
    /* In order: a part that ended inside quotes means the cut was not a record's end. */
    int cut = rc && er_csv_cut(t->csv);
    for (size_t i = 1; i < r->n && !rc; i++) {
        if (ps[i].rc && ps[i].t.csv && er_csv_cut(ps[i].t.csv) && i + 1 < r->n)
            cut = 1;
        if (ps[i].rc) {
            rc = ps[i].rc;
            if (t->err && !cut)
                *t->err = ps[i].err;
            break;
        }
        rc = tr_merge(t, &ps[i].t);
    }
    for (size_t i = 1; i < r->n; i++)
        tr_release(&ps[i].t);
    free(ps);
    return cut ? TR_RESPLIT : rc;
}

int tr_pass_parts(trainer *t, const tr_source *src, size_t n)
{
    struct shard_run *r = calloc(1, sizeof *r);
    if (!r)
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    r->src = src;
    r->size = er_csv_size(t->csv);
    atomic_init(&r->bound, UINT64_MAX);
    atomic_init(&r->pivot, UINT64_C(1) << 63);
    atomic_init(&r->frozen, 0);
    for (size_t i = 0; i < TR_MAX_PARTS; i++) {
        atomic_init(&r->below[i], 0);
        atomic_init(&r->seen[i], 0);
    }
    int fd = -1;
    if (src->path && (fd = open(src->path, O_RDONLY)) < 0) {
        free(r);
        return TR_RESPLIT; /* read it as one */
    }
    uint64_t header_end = er_csv_input_offset(t->csv);
    int rc = place_cuts(r, fd, n, header_end);
    if (fd >= 0)
        close(fd);
    if (rc == 0 && r->n > 1 && er_csv_limit(t->csv, r->cut[1]) == 0) {
        t->run = r;
        rc = read_parts(t, r);
        t->run = NULL;
    } else if (rc == 0) {
        rc = tr_pass(t); /* one part after all */
    } else {
        rc = TR_RESPLIT;
    }
    free(r);
    if (rc == 0 && t->o->progress)
        t->o->progress(1.0, t->o->progress_user);
    return rc;
}
