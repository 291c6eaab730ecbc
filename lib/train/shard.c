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

struct shard_run;
typedef struct claim_arg {
    struct shard_run *run;
    size_t i;
} claim_arg;

struct shard_run {
    const tr_source *src;
    size_t n;                       /* parts cut before the pass (place_cuts) */
    _Atomic size_t parts;           /* parts now: steals add some */
    uint64_t cut[TR_MAX_PARTS + 1]; /* part i starts at cut[i] (before the pass: and ends at
                                     * cut[i+1]) */
    int line[TR_MAX_PARTS];         /* the physical line at cut[i] */
    _Atomic uint64_t done[TR_MAX_PARTS];
    uint64_t size;
    /* Steals (read_parts), under mu: part i ends at end[i], which a steal moves down, never
     * below claimed[i] (its reader's bytes); at[i] is the start of a record it has reached,
     * on line at_line[i]. */
    pthread_mutex_t mu;
    uint64_t end[TR_MAX_PARTS], claimed[TR_MAX_PARTS], at[TR_MAX_PARTS];
    int at_line[TR_MAX_PARTS];
    unsigned char reading[TR_MAX_PARTS]; /* being read, with a movable end */
    int stop;                       /* a part failed or ended inside quotes: no more steals */
    int steals;                     /* whether parts may be stolen from (a file, not decoded) */
    uint64_t steal_min;             /* a part with fewer bytes left is not split */
    claim_arg ca[TR_MAX_PARTS];
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
    count_share cs[TR_MAX_PARTS] = {{NULL, 0}};
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
    int rc;
} part;

void tr_part_progress(trainer *t, uint64_t offset)
{
    struct shard_run *r = t->run;
    uint64_t done = offset > r->cut[t->part] ? offset - r->cut[t->part] : 0;
    atomic_store_explicit(&r->done[t->part], done, memory_order_relaxed);
    if (t->part != 0 || !t->o->progress)
        return;
    uint64_t sum = 0;
    size_t n = atomic_load_explicit(&r->parts, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        sum += atomic_load_explicit(&r->done[i], memory_order_relaxed);
    double f = r->size ? (double)sum / (double)r->size : 0;
    t->o->progress(f < 1 ? f : 1, t->o->progress_user);
}

/* ---- Steals --------------------------------------------------------------------------
 * Parts of equal bytes seldom take equal time: one thread is slowed by another process,
 * or one part's rows are longer. A thread whose part is done therefore takes the second
 * half of what is left of the part with most left, as a new part: it finds the first
 * record's start after the half-way point from a record's start that part's reader has
 * reached (even quotes there) and the quotes and line breaks after it, and moves that
 * part's end there unless its reader has already read past it. The parts are merged in
 * the order of their starts, as before: the same sums, levels and sample. Only a file's
 * parts that are not decoded are stolen from (a buffer is read whole; a decoded reader's
 * offsets are not the file's). */

#define STEAL_MIN (4u * 1024u * 1024u) /* a part with less left is not split */

static uint64_t part_claim(void *arg, uint64_t to)
{
    claim_arg *ca = arg;
    struct shard_run *r = ca->run;
    pthread_mutex_lock(&r->mu);
    uint64_t end = r->end[ca->i];
    uint64_t c = to < end ? to : end;
    if (c > r->claimed[ca->i])
        r->claimed[ca->i] = c;
    pthread_mutex_unlock(&r->mu);
    return end;
}

/* Part i's reader is now read with an end that steals may move (or not: r->steals). */
static void part_attach(struct shard_run *r, size_t i, er_csv *c)
{
    if (r->steals && c && !er_csv_decodes(c))
        er_csv_set_claim(c, part_claim, &r->ca[i]);
}

void tr_part_attach(trainer *t)
{
    part_attach(t->run, t->part, t->csv);
}

void tr_part_at(trainer *t)
{
    struct shard_run *r = t->run;
    if (!r->steals)
        return;
    pthread_mutex_lock(&r->mu);
    r->at[t->part] = er_csv_offset(t->csv);
    r->at_line[t->part] = er_csv_line(t->csv);
    pthread_mutex_unlock(&r->mu);
}

/* Part i is read: its end stays where it is; a failure stops the steals. */
static void part_done(struct shard_run *r, size_t i, int rc)
{
    pthread_mutex_lock(&r->mu);
    r->reading[i] = 0;
    if (rc)
        r->stop = 1;
    pthread_mutex_unlock(&r->mu);
}

/* A new part taken from the part with most left: its number, or 0 when there is none to
 * take. fd: the file, open. */
static size_t steal(struct shard_run *r, int fd)
{
    pthread_mutex_lock(&r->mu);
    size_t n = atomic_load_explicit(&r->parts, memory_order_relaxed), v = 0;
    uint64_t most = 0;
    for (size_t i = 0; i < n && !r->stop && n < TR_MAX_PARTS; i++) {
        if (r->reading[i] && r->end[i] > r->claimed[i] && r->end[i] - r->claimed[i] > most) {
            most = r->end[i] - r->claimed[i];
            v = i;
        }
    }
    if (most < r->steal_min) {
        pthread_mutex_unlock(&r->mu);
        return 0;
    }
    /* at[v], a record's start the reader has reached, is never past what it claimed */
    uint64_t start = r->at[v], end = r->end[v], from = r->claimed[v];
    int line = r->at_line[v];
    pthread_mutex_unlock(&r->mu);
    /* from a record's start (no quote open) to half-way through what is left */
    slice sl = {r->src, fd, start, from + (end - from) / 2, 0, 0, 0};
    count_slice(&sl);
    int cut_line = 0;
    uint64_t c = sl.failed || line < 1
                     ? 0
                     : next_cut(r->src, fd, sl.to, end, sl.quotes,
                                (uint64_t)(line - 1) + sl.lines, &cut_line);
    if (!c || c >= end)
        return 0;
    size_t j = 0;
    pthread_mutex_lock(&r->mu);
    n = atomic_load_explicit(&r->parts, memory_order_relaxed);
    if (!r->stop && r->reading[v] && r->end[v] == end && r->claimed[v] <= c &&
        n < TR_MAX_PARTS) {
        j = n;
        r->cut[j] = c;
        r->line[j] = cut_line;
        r->end[j] = end;
        r->claimed[j] = r->at[j] = c;
        r->at_line[j] = cut_line;
        r->reading[j] = 1;
        r->ca[j] = (claim_arg){r, j};
        r->end[v] = c;
        atomic_store_explicit(&r->parts, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&r->mu);
    return j;
}

typedef struct worker {
    struct shard_run *r;
    trainer *whole;
    part *ps;
    size_t first; /* the part this thread reads first */
    int rc0;      /* part 0's code (read by whole) */
} worker;

/* Part i read into its own trainer (part 0: into the whole's, whose reader is past the
 * header and limited to the part). */
static void read_one(worker *w, size_t i)
{
    struct shard_run *r = w->r;
    int rc;
    if (i == 0) {
        rc = w->rc0 = tr_pass(w->whole);
    } else {
        part *p = &w->ps[i];
        pthread_mutex_lock(&r->mu); /* a steal may be moving the end */
        uint64_t end = r->end[i];
        pthread_mutex_unlock(&r->mu);
        p->rc = tr_init_part(&p->t, w->whole, &p->err, r, i);
        if (p->rc == 0) /* its reader asks for the end again before each read */
            p->rc = tr_read_part(&p->t, r->src, r->cut[i], end, r->line[i]);
        rc = p->rc;
    }
    part_done(r, i, rc);
}

static void *work_main(void *arg)
{
    worker *w = arg;
    struct shard_run *r = w->r;
    read_one(w, w->first);
    int fd = r->steals ? open(r->src->path, O_RDONLY) : -1;
    for (size_t j; fd >= 0 && (j = steal(r, fd)) != 0;)
        read_one(w, j);
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* The parts' samples left to merge (the section after read_parts). */
struct tr_pending {
    trainer *t;
    part *ps;
    tr_later *later;
    size_t n;
    size_t ord[TR_MAX_PARTS];
    int rc;      /* a merge failed (or there is nothing to merge): the rest only released */
    int started;
    pthread_t thread;
};

/* Read parts 1.. in threads (each set up from the input's own header) while this thread
 * reads part 0 with t, whose reader is past the header; steal while there is work; then
 * merge them into t in the order of their starts. */
static int read_parts(trainer *t, struct shard_run *r)
{
    part *ps = calloc(TR_MAX_PARTS, sizeof *ps);
    worker *ws = calloc(r->n, sizeof *ws);
    pthread_t th[TR_MAX_PARTS];
    int started[TR_MAX_PARTS] = {0};
    if (!ps || !ws || pthread_mutex_init(&r->mu, NULL)) {
        free(ps);
        free(ws);
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    r->steals = r->src->path && !er_csv_decodes(t->csv);
    r->steal_min = t->steal_min ? t->steal_min : STEAL_MIN;
    for (size_t i = 0; i < r->n; i++) {
        r->end[i] = r->cut[i + 1];
        r->claimed[i] = r->at[i] = r->cut[i];
        r->at_line[i] = r->line[i];
        r->reading[i] = 1;
        r->ca[i] = (claim_arg){r, i};
    }
    r->claimed[0] = er_csv_read_end(t->csv); /* the header's read brought these */
    r->at[0] = er_csv_offset(t->csv);
    r->at_line[0] = er_csv_line(t->csv);
    atomic_store(&r->parts, r->n);
    part_attach(r, 0, t->csv);
    for (size_t i = 0; i < r->n; i++) {
        ws[i] = (worker){r, t, ps, i, 0};
        if (i > 0)
            started[i] = pthread_create(&th[i], NULL, work_main, &ws[i]) == 0;
    }
    work_main(&ws[0]);
    for (size_t i = 1; i < r->n; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            work_main(&ws[i]);
    }
    int rc = ws[0].rc0;
    free(ws);
    pthread_mutex_destroy(&r->mu);
    atomic_store(&r->frozen, 1); /* merging moves rows between the parts' samples */
    /* the parts in the order of their starts */
    size_t n = atomic_load(&r->parts), ord[TR_MAX_PARTS];
    t->parts_read = n;
    for (size_t i = 0; i < n; i++) {
        size_t k = i;
        for (; k > 0 && r->cut[ord[k - 1]] > r->cut[i]; k--)
            ord[k] = ord[k - 1];
        ord[k] = i;
    }
    /* In order: a part that ended inside quotes means the cut was not a record's end. The
     * samples' merge may be left for later (t->defer_sample): start_pending. */
    struct tr_pending *pd = t->defer_sample ? calloc(1, sizeof *pd) : NULL;
    tr_later *later = pd ? calloc(n, sizeof *later) : NULL;
    if (!later) { /* no room to leave it: the samples are merged with the rest */
        free(pd);
        pd = NULL;
    }
    int cut = rc && er_csv_cut(t->csv);
    for (size_t k = 1; k < n && !rc; k++) {
        part *p = &ps[ord[k]];
        if (p->rc && p->t.csv && er_csv_cut(p->t.csv) && k + 1 < n)
            cut = 1;
        if (p->rc) {
            rc = p->rc;
            if (t->err && !cut)
                *t->err = p->err;
            break;
        }
        rc = later ? tr_merge_later(t, &p->t, &later[k]) : tr_merge(t, &p->t);
    }
    if (pd) { /* the parts are the pending merge's now */
        /* rc set: nothing to merge, the parts are only released (here, joined at once) */
        *pd = (struct tr_pending){.t = t, .ps = ps, .later = later, .n = n, .rc = rc || cut};
        memcpy(pd->ord, ord, n * sizeof *ord);
        t->pending = pd;
        if (rc || cut)
            tr_sample_join(t);
        return cut ? TR_RESPLIT : rc;
    }
    for (size_t i = 1; i < n; i++)
        tr_release(&ps[i].t);
    free(ps);
    return cut ? TR_RESPLIT : rc;
}

/* ---- The samples' merge, on a thread of its own --------------------------------------
 * The parts' sums, levels and counts are merged into the whole as soon as the parts are
 * read; their samples, the slowest to merge (about 40 ms on the 4M-row bench file), wait
 * for the first step of the fit that reads the sample (the calibration), merged in order
 * meanwhile on a thread of its own. Only the sample's fields of the whole are written
 * there (sample.c), and nothing before the calibration reads them. */

static void *pending_main(void *arg)
{
    struct tr_pending *pd = arg;
    for (size_t k = 1; k < pd->n; k++) {
        part *p = &pd->ps[pd->ord[k]];
        tr_later *l = &pd->later[k];
        if (pd->rc == 0 && l->map) /* map: the part's sums were merged */
            pd->rc = tr_sample_merge(pd->t, &p->t, l->map, l->sx, l->sy);
        tr_later_free(l);
        tr_release(&p->t);
    }
    return NULL;
}

/* The pending merge started, once the whole's reader of parts is gone (t->run: the
 * merge must not see the parts' bound). If no thread can be had, it runs here. */
static void start_pending(trainer *t)
{
    struct tr_pending *pd = t->pending;
    if (pd && !pd->started) {
        pd->started = 1;
        if (pthread_create(&pd->thread, NULL, pending_main, pd)) {
            pd->started = 0;
            pending_main(pd);
        }
    }
}

int tr_sample_join(trainer *t)
{
    struct tr_pending *pd = t->pending;
    if (!pd)
        return 0;
    if (pd->started)
        pthread_join(pd->thread, NULL);
    else
        pending_main(pd);
    int rc = pd->rc;
    free(pd->ps);
    free(pd->later);
    free(pd);
    t->pending = NULL;
    return rc;
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
    size_t n = atomic_load_explicit(&r->parts, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
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
    atomic_init(&r->parts, 1);
    for (size_t i = 0; i < TR_MAX_PARTS; i++) {
        atomic_init(&r->done[i], 0);
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
        start_pending(t);
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
