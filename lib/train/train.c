/* train.c: engrate_train_csv*: the one pass over the CSV (rows mapped to sparse design
 * rows, accumulated per fold by a second thread, a reservoir sample kept for the
 * interval), the levels file, the choice of lambda, the final fit and the model it makes.
 * The options are train_options.c's; the numbers are fit.c's; the reasons are in
 * docs/training.md. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "fit.h"
#include "train.h"

/* ---- Numbers ----------------------------------------------------------------------- */

/* A number field: the model format's number grammar (er_parse_double), blanks around it
 * allowed. */
static int parse_number(const char *s, size_t n, double *out)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return er_parse_double(s, n, out);
}

/* ---- Splitting the work: row hashing ----------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

#define FOLD_SEED 0x656e67726174650aull   /* fixed: folds never depend on the run */
#define SAMPLE_SEED 0x73616d706c65210aull

/* ---- The trainer's state ----------------------------------------------------------- */

typedef struct term {
    uint32_t input;
    uint32_t piece;       /* numeric: 0 linear, k: after knot k-1 */
    const char *level;    /* categorical / set: the level id (in the trainer's pool) */
    uint64_t count;       /* rows where it is not 0 */
    int lf;               /* index in the levels file, -1: from the data only */
    unsigned flags;       /* ENGRATE_LEVEL_NO_EVIDENCE for evidence=none */
} term;

typedef struct tinput {
    int kind;
    const char *id;
    size_t col;           /* field index in the header */
    const char *sep;
    size_t seplen;
    const double *knots;
    size_t n_knots;
    uint32_t first;       /* numeric: its first term */
    double min, max;
    const char *label_en, *label_ja;
} tinput;

typedef struct lfentry {  /* a level from the levels file */
    uint32_t input;
    const char *level, *name_en, *name_ja, *aliases;
    int no_evidence;
    uint32_t term;
} lfentry;

typedef struct slot {     /* (input, name) -> term, open addressing */
    uint64_t hash;
    uint32_t input, term;
    const char *key;
    uint32_t len;
} slot;

/* A sampled row: y, w, fold and its sparse terms, values other than 1 after the
 * indices (bit 31 of an index: "my value is the next double"). */
typedef struct srow {
    double y, w;
    uint32_t nnz, nval;
    uint32_t fold;
    uint32_t pad;
    double data[];        /* nval doubles, then nnz uint32 indices */
} srow;

/* Rows handed from the reader to the accumulating thread. */
#define BATCH_ROWS 4096
#define N_BATCHES 4
typedef struct batch {
    size_t n;
    uint32_t off[BATCH_ROWS + 1];
    double y[BATCH_ROWS], w[BATCH_ROWS];
    uint32_t fold[BATCH_ROWS];
    uint32_t *idx;
    double *val;
    size_t cap;
    uint32_t p;           /* terms the accumulators need */
} batch;

typedef struct trainer {
    const engrate_train_options *o;
    engrate_error *err;
    engrate_train_report *rep;
    er_pool pool;         /* strings: level ids, names */
    er_csv *csv;
    const char *source;
    /* columns */
    size_t n_cols;
    char **cols;          /* header names (pool) */
    size_t target_col, weight_col;   /* weight_col: SIZE_MAX for none */
    tinput *in;
    size_t n_in;
    /* terms */
    term *terms;
    size_t n_terms, terms_cap;
    slot *slots;
    size_t slot_mask, n_slots_used;
    slot *fslots;         /* folded names -> term, to refuse look-alike levels */
    size_t fslot_mask, n_fslots_used;
    lfentry *lf;
    size_t n_lf;
    /* pass */
    uint64_t rows_read, rows_used, rows_skipped;
    size_t K;             /* accumulators: max(folds, 1) */
    er_acc *acc;
    srow **sample;
    size_t sample_cap, sample_n;
    /* row scratch */
    uint32_t *ridx;
    double *rval;
    size_t rcap;
    /* pipeline */
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_full, cv_free;
    batch *batches[N_BATCHES];
    batch *full[N_BATCHES];
    size_t n_full, full_head;
    batch *freeb[N_BATCHES];
    size_t n_free;
    int done;             /* the reader has finished */
    int acc_failed;
    batch *cur;
} trainer;

/* ---- Hash tables ------------------------------------------------------------------- */

static int table_grow(slot **tab, size_t *mask, size_t used)
{
    size_t cap = *tab ? (*mask + 1) : 0;
    if (*tab && (used + 1) * 4 < cap * 3)
        return 0;
    size_t ncap = cap ? cap * 2 : 256;
    slot *t = calloc(ncap, sizeof *t);
    if (!t)
        return ENGRATE_E_NOMEM;
    for (size_t i = 0; i < cap; i++) {
        slot *s = &(*tab)[i];
        if (!s->hash)
            continue;
        size_t j = s->hash & (ncap - 1);
        while (t[j].hash)
            j = (j + 1) & (ncap - 1);
        t[j] = *s;
    }
    free(*tab);
    *tab = t;
    *mask = ncap - 1;
    return 0;
}

static slot *table_find(slot *tab, size_t mask, uint64_t h, uint32_t input, const char *key,
                        size_t len)
{
    if (!tab)
        return NULL;
    size_t j = h & mask;
    while (tab[j].hash) {
        slot *s = &tab[j];
        if (s->hash == h && s->input == input && s->len == len && !memcmp(s->key, key, len))
            return s;
        j = (j + 1) & mask;
    }
    return &tab[j]; /* the empty slot where it would go */
}

static uint64_t key_hash(uint32_t input, const char *key, size_t len)
{
    uint64_t h = er_hash(input, key, len);
    return h ? h : 1;
}

/* ---- Terms ------------------------------------------------------------------------- */

static int new_term(trainer *t, uint32_t input, uint32_t piece, const char *level, int lf)
{
    if (t->n_terms >= ER_TRAIN_MAX_TERMS)
        return ENGRATE_E_LIMIT;
    if (t->n_terms == t->terms_cap) {
        size_t cap = t->terms_cap ? t->terms_cap * 2 : 64;
        term *n = realloc(t->terms, cap * sizeof *n);
        if (!n)
            return ENGRATE_E_NOMEM;
        t->terms = n;
        t->terms_cap = cap;
    }
    term *tm = &t->terms[t->n_terms++];
    memset(tm, 0, sizeof *tm);
    tm->input = input;
    tm->piece = piece;
    tm->level = level;
    tm->lf = lf;
    return 0;
}

/* The folded form of a name, into buf (NUL-terminated), as the library folds names
 * (engrate_fold_name); its length or < 0. */
static int fold(const char *s, size_t n, char *buf, size_t cap)
{
    char name[ER_MAX_NAME_BYTES + 1];
    if (n > ER_MAX_NAME_BYTES)
        return ENGRATE_E_LIMIT;
    memcpy(name, s, n);
    name[n] = '\0';
    return engrate_fold_name(name, buf, cap);
}

/* Record that (input, folded name) belongs to term; *other: the term that already has it
 * (or the new one). 0, ENGRATE_E_NOMEM, ENGRATE_E_DUPLICATE. */
static int claim_folded(trainer *t, uint32_t input, const char *name, size_t n, uint32_t term_i,
                        uint32_t *other)
{
    char buf[ER_MAX_NAME_BYTES * 2 + 8];
    int len = fold(name, n, buf, sizeof buf);
    *other = term_i;
    if (len <= 0)
        return 0; /* nothing to compare (the loader will complain if it matters) */
    if (table_grow(&t->fslots, &t->fslot_mask, t->n_fslots_used))
        return ENGRATE_E_NOMEM;
    uint64_t h = key_hash(input, buf, (size_t)len);
    slot *s = table_find(t->fslots, t->fslot_mask, h, input, buf, (size_t)len);
    if (s->hash) {
        *other = s->term;
        return s->term == term_i ? 0 : ENGRATE_E_DUPLICATE;
    }
    char *k = er_pool_strndup(&t->pool, buf, (size_t)len);
    if (!k)
        return ENGRATE_E_NOMEM;
    s->hash = h;
    s->input = input;
    s->term = term_i;
    s->key = k;
    s->len = (uint32_t)len;
    t->n_fslots_used++;
    return 0;
}

/* ---- Row errors -------------------------------------------------------------------- */

/* Report a bad row: an error (returned) unless --skip-bad-rows, then counted (0). */
static int bad_row(trainer *t, const char *reason, int code, int line, int col,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int bad_row(trainer *t, const char *reason, int code, int line, int col,
                   const char *fmt, ...)
{
    va_list ap;
    if (!t->o->skip_bad) {
        va_start(ap, fmt);
        er_verror(t->err, code, t->source, line, col, fmt, ap);
        va_end(ap);
        return code;
    }
    t->rows_skipped++;
    er_report_reason(t->rep, reason);
    if (t->rows_skipped <= 5) {
        engrate_error e;
        er_error_clear(&e);
        va_start(ap, fmt);
        er_verror(&e, code, t->source, line, col, fmt, ap);
        va_end(ap);
        er_report_note(t->rep, "skipped: %s", e.text);
    }
    return 0;
}

/* ---- Mapping a record to a sparse design row --------------------------------------- */

static int row_reserve(trainer *t, size_t n)
{
    if (n <= t->rcap)
        return 0;
    size_t cap = t->rcap ? t->rcap : 64;
    while (cap < n)
        cap *= 2;
    uint32_t *i = realloc(t->ridx, cap * sizeof *i);
    if (!i)
        return ENGRATE_E_NOMEM;
    t->ridx = i;
    double *v = realloc(t->rval, cap * sizeof *v);
    if (!v)
        return ENGRATE_E_NOMEM;
    t->rval = v;
    t->rcap = cap;
    return 0;
}

/* Find or make the term of a level. Returns 0 with *term_i set, or a row error code
 * (> 0 never). `skip`: set when the row was counted as skipped instead. */
static int level_term(trainer *t, uint32_t input, const char *s, size_t n,
                      const er_csv_field *f, uint32_t *term_i, int *skip)
{
    const tinput *in = &t->in[input];
    uint64_t h = key_hash(input, s, n);
    slot *sl = table_find(t->slots, t->slot_mask, h, input, s, n);
    if (sl && sl->hash) {
        term *tm = &t->terms[sl->term];
        if (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) {
            int rc = bad_row(t, "level marked evidence=none", ENGRATE_E_DATA, f->line, f->col,
                             "column '%s': level '%.*s' is marked evidence=none in the levels "
                             "file but occurs in the data",
                             in->id, (int)n, s);
            *skip = rc == 0;
            return rc;
        }
        *term_i = sl->term;
        return 0;
    }
    if (!er_valid_id(s, n)) {
        int rc = bad_row(t, "invalid level id", ENGRATE_E_DATA, f->line, f->col,
                         "column '%s': '%.*s' is not a valid level id (1-%d bytes of "
                         "A-Z a-z 0-9 _ + # . -)",
                         in->id, (int)(n > 80 ? 80 : n), s, ER_MAX_ID_BYTES);
        *skip = rc == 0;
        return rc;
    }
    uint32_t other;
    int rc = claim_folded(t, input, s, n, (uint32_t)t->n_terms, &other);
    if (rc == ENGRATE_E_DUPLICATE) {
        const term *o = &t->terms[other];
        rc = bad_row(t, "look-alike level", ENGRATE_E_DUPLICATE, f->line, f->col,
                     "column '%s': level '%.*s' differs from level '%s' only in case or "
                     "separators; use one spelling",
                     in->id, (int)n, s, o->level);
        *skip = rc == 0;
        return rc;
    }
    if (rc)
        return er_error(t->err, rc, t->source, f->line, f->col, "out of memory");
    const char *id = er_pool_strndup(&t->pool, s, n);
    if (!id || table_grow(&t->slots, &t->slot_mask, t->n_slots_used))
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, f->line, f->col, "out of memory");
    rc = new_term(t, input, 0, id, -1);
    if (rc == ENGRATE_E_LIMIT)
        return er_error(t->err, rc, t->source, f->line, f->col,
                        "column '%s': level '%s' would make more than %d terms (levels and "
                        "numeric pieces); raise nothing, merge rare levels in the data",
                        in->id, id, ER_TRAIN_MAX_TERMS);
    if (rc)
        return er_error(t->err, rc, t->source, f->line, f->col, "out of memory");
    sl = table_find(t->slots, t->slot_mask, h, input, s, n);
    sl->hash = h;
    sl->input = input;
    sl->term = (uint32_t)(t->n_terms - 1);
    sl->key = id;
    sl->len = (uint32_t)n;
    t->n_slots_used++;
    *term_i = sl->term;
    return 0;
}

static int add_nz(trainer *t, size_t *nnz, uint32_t term_i, double v)
{
    if (row_reserve(t, *nnz + 1))
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    t->ridx[*nnz] = term_i;
    t->rval[*nnz] = v;
    (*nnz)++;
    return 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_space(char c) { return is_blank(c) || c == '\r' || c == '\n'; }

/* Map one record. Returns 0 with *nnz terms in t->ridx/t->rval (sorted, unique, term 0
 * first), y and w set; 1 when the row was skipped (--skip-bad-rows); < 0 on error. */
static int map_row(trainer *t, const er_csv_field *f, size_t nf, size_t *nnz_out, double *y,
                   double *w)
{
    int skip = 0, rc;
    if (nf != t->n_cols) {
        const er_csv_field *at = nf > t->n_cols ? &f[t->n_cols] : &f[nf - 1];
        rc = bad_row(t, "wrong number of fields", ENGRATE_E_SYNTAX, at->line, at->col,
                     "the row has %zu fields, the header %zu", nf, t->n_cols);
        return rc ? rc : 1;
    }
    const er_csv_field *tf = &f[t->target_col];
    const char *tname = t->cols[t->target_col];
    double v;
    if (tf->len == 0) {
        rc = bad_row(t, "target empty", ENGRATE_E_NUMBER, tf->line, tf->col,
                     "column '%s': the target is empty", tname);
        return rc ? rc : 1;
    }
    if (parse_number(tf->s, tf->len, &v)) {
        rc = bad_row(t, "target not a number", ENGRATE_E_NUMBER, tf->line, tf->col,
                     "column '%s': '%.*s' is not a number", tname,
                     (int)(tf->len > 80 ? 80 : tf->len), tf->s);
        return rc ? rc : 1;
    }
    if (t->o->transform == ENGRATE_TRANSFORM_LOG) {
        if (!(v > 0)) {
            rc = bad_row(t, "target not positive", ENGRATE_E_DATA, tf->line, tf->col,
                         "column '%s': %.*s is not positive, and --transform log needs "
                         "rates > 0",
                         tname, (int)tf->len, tf->s);
            return rc ? rc : 1;
        }
        v = log(v);
    }
    *y = v;
    *w = 1;
    if (t->weight_col != SIZE_MAX) {
        const er_csv_field *wf = &f[t->weight_col];
        if (parse_number(wf->s, wf->len, w) || *w < 0) {
            rc = bad_row(t, "bad weight", ENGRATE_E_NUMBER, wf->line, wf->col,
                         "column '%s': '%.*s' is not a weight (a number >= 0)",
                         t->cols[t->weight_col], (int)(wf->len > 80 ? 80 : wf->len), wf->s);
            return rc ? rc : 1;
        }
        if (*w == 0) {
            t->rows_skipped++;
            er_report_reason(t->rep, "zero weight");
            return 1;
        }
    }
    size_t nnz = 0;
    if ((rc = add_nz(t, &nnz, 0, 1.0)))
        return rc;
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        const er_csv_field *cf = &f[in->col];
        uint32_t ti;
        if (in->kind == ENGRATE_NUMERIC) {
            double x;
            if (cf->len == 0) {
                rc = bad_row(t, "numeric value empty", ENGRATE_E_NUMBER, cf->line, cf->col,
                             "column '%s': empty; numeric inputs need a value", in->id);
                return rc ? rc : 1;
            }
            if (parse_number(cf->s, cf->len, &x)) {
                rc = bad_row(t, "not a number", ENGRATE_E_NUMBER, cf->line, cf->col,
                             "column '%s': '%.*s' is not a number", in->id,
                             (int)(cf->len > 80 ? 80 : cf->len), cf->s);
                return rc ? rc : 1;
            }
            if (x != 0 && (rc = add_nz(t, &nnz, in->first, x)))
                return rc;
            for (size_t k = 0; k < in->n_knots; k++)
                if (x > in->knots[k] && (rc = add_nz(t, &nnz, in->first + 1 + (uint32_t)k,
                                                     x - in->knots[k])))
                    return rc;
            continue;
        }
        if (in->kind == ENGRATE_CATEGORICAL) {
            if (cf->len == 0)
                continue;
            if ((rc = level_term(t, (uint32_t)i, cf->s, cf->len, cf, &ti, &skip)))
                return rc;
            if (skip)
                return 1;
            if ((rc = add_nz(t, &nnz, ti, 1.0)))
                return rc;
            continue;
        }
        /* set: items between separators, blanks around them dropped, empty ones ignored */
        const char *p = cf->s, *end = cf->s + cf->len;
        while (p <= end) {
            const char *q = p;
            while (q < end && !(*q == in->sep[0] && end - q >= (ptrdiff_t)in->seplen &&
                                (in->seplen == 1 || !memcmp(q, in->sep, in->seplen))))
                q++;
            const char *a = p, *b = q;
            while (a < b && is_space(*a))
                a++;
            while (b > a && is_space(b[-1]))
                b--;
            if (b > a) {
                if ((rc = level_term(t, (uint32_t)i, a, (size_t)(b - a), cf, &ti, &skip)))
                    return rc;
                if (skip)
                    return 1;
                if ((rc = add_nz(t, &nnz, ti, 1.0)))
                    return rc;
            }
            p = q + in->seplen;
        }
    }
    /* Sort by term (insertion sort: a row has a handful) and drop repeated set levels. */
    for (size_t i = 1; i < nnz; i++) {
        uint32_t ki = t->ridx[i];
        double vi = t->rval[i];
        size_t j = i;
        while (j > 0 && t->ridx[j - 1] > ki) {
            t->ridx[j] = t->ridx[j - 1];
            t->rval[j] = t->rval[j - 1];
            j--;
        }
        t->ridx[j] = ki;
        t->rval[j] = vi;
    }
    size_t u = 0;
    for (size_t i = 0; i < nnz; i++)
        if (u == 0 || t->ridx[i] != t->ridx[u - 1]) {
            t->ridx[u] = t->ridx[i];
            t->rval[u] = t->rval[i];
            u++;
        }
    *nnz_out = u;
    return 0;
}

/* ---- Reservoir sample -------------------------------------------------------------- */

static int sample_offer(trainer *t, uint64_t i, const uint32_t *idx, const double *val,
                        size_t nnz, double y, double w, uint32_t fold)
{
    size_t slot_i;
    if (i < t->sample_cap) {
        slot_i = (size_t)i;
    } else {
        uint64_t j = splitmix64(SAMPLE_SEED ^ i) % (i + 1);
        if (j >= t->sample_cap)
            return 0;
        slot_i = (size_t)j;
    }
    /* the intercept (term 0) is implicit */
    size_t nval = 0;
    for (size_t k = 1; k < nnz; k++)
        nval += val[k] != 1.0;
    srow *r = malloc(sizeof *r + nval * sizeof(double) + (nnz - 1) * sizeof(uint32_t));
    if (!r)
        return ENGRATE_E_NOMEM;
    r->y = y;
    r->w = w;
    r->nnz = (uint32_t)(nnz - 1);
    r->nval = (uint32_t)nval;
    r->fold = fold;
    uint32_t *ix = (uint32_t *)(r->data + nval);
    size_t vi = 0;
    for (size_t k = 1; k < nnz; k++) {
        if (val[k] != 1.0) {
            r->data[vi++] = val[k];
            ix[k - 1] = idx[k] | 0x80000000u;
        } else {
            ix[k - 1] = idx[k];
        }
    }
    free(t->sample[slot_i]);
    t->sample[slot_i] = r;
    if (slot_i >= t->sample_n)
        t->sample_n = slot_i + 1;
    return 0;
}

/* b0 + x'coef for a sampled row, coef indexed by term. */
static double sample_predict(const srow *r, double b0, const double *coef)
{
    const uint32_t *ix = (const uint32_t *)(r->data + r->nval);
    size_t vi = 0;
    double s = b0;
    for (size_t k = 0; k < r->nnz; k++) {
        uint32_t i = ix[k];
        if (i & 0x80000000u)
            s += coef[i & 0x7fffffffu] * r->data[vi++];
        else
            s += coef[i];
    }
    return s;
}

/* ---- The accumulating thread ------------------------------------------------------- */

static int acc_batch(trainer *t, const batch *b)
{
    for (size_t k = 0; k < t->K; k++)
        if (er_acc_reserve(&t->acc[k], b->p))
            return ENGRATE_E_NOMEM;
    for (size_t r = 0; r < b->n; r++)
        er_acc_add(&t->acc[b->fold[r]], b->idx + b->off[r], b->val + b->off[r],
                   b->off[r + 1] - b->off[r], b->y[r], b->w[r]);
    return 0;
}

static void *acc_main(void *arg)
{
    trainer *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (t->n_full == 0 && !t->done)
            pthread_cond_wait(&t->cv_full, &t->mu);
        if (t->n_full == 0 && t->done)
            break;
        batch *b = t->full[t->full_head];
        t->full_head = (t->full_head + 1) % N_BATCHES;
        t->n_full--;
        pthread_mutex_unlock(&t->mu);
        int rc = t->acc_failed ? 0 : acc_batch(t, b);
        pthread_mutex_lock(&t->mu);
        if (rc)
            t->acc_failed = rc;
        t->freeb[t->n_free++] = b;
        pthread_cond_signal(&t->cv_free);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* Hand the current batch over (threaded) or accumulate it here. */
static int flush_batch(trainer *t)
{
    batch *b = t->cur;
    if (!b || b->n == 0)
        return 0;
    b->p = (uint32_t)t->n_terms;
    if (!t->threaded) {
        int rc = acc_batch(t, b);
        b->n = 0;
        return rc;
    }
    pthread_mutex_lock(&t->mu);
    t->full[(t->full_head + t->n_full) % N_BATCHES] = b;
    t->n_full++;
    pthread_cond_signal(&t->cv_full);
    while (t->n_free == 0)
        pthread_cond_wait(&t->cv_free, &t->mu);
    t->cur = t->freeb[--t->n_free];
    int failed = t->acc_failed;
    pthread_mutex_unlock(&t->mu);
    t->cur->n = 0;
    return failed;
}

static int push_row(trainer *t, size_t nnz, double y, double w, uint32_t fold)
{
    batch *b = t->cur;
    size_t at = b->n ? b->off[b->n] : 0;
    if (b->n == 0)
        b->off[0] = 0;
    if (at + nnz > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < at + nnz)
            cap *= 2;
        uint32_t *i = realloc(b->idx, cap * sizeof *i);
        if (!i)
            return ENGRATE_E_NOMEM;
        b->idx = i;
        double *v = realloc(b->val, cap * sizeof *v);
        if (!v)
            return ENGRATE_E_NOMEM;
        b->val = v;
        b->cap = cap;
    }
    memcpy(b->idx + at, t->ridx, nnz * sizeof *t->ridx);
    memcpy(b->val + at, t->rval, nnz * sizeof *t->rval);
    b->y[b->n] = y;
    b->w[b->n] = w;
    b->fold[b->n] = fold;
    b->off[b->n + 1] = (uint32_t)(at + nnz);
    b->n++;
    if (b->n == BATCH_ROWS || at + nnz > (1u << 30))
        return flush_batch(t);
    return 0;
}

static int threads_to_use(const engrate_train_options *o)
{
    if (o->threads)
        return o->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2 ? 2 : 1;
}

static int pipeline_start(trainer *t)
{
    for (size_t i = 0; i < N_BATCHES; i++) {
        t->batches[i] = calloc(1, sizeof(batch));
        if (!t->batches[i])
            return ENGRATE_E_NOMEM;
    }
    t->cur = t->batches[0];
    t->threaded = threads_to_use(t->o) >= 2;
    if (!t->threaded)
        return 0;
    for (size_t i = 1; i < N_BATCHES; i++)
        t->freeb[t->n_free++] = t->batches[i];
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv_full, NULL);
    pthread_cond_init(&t->cv_free, NULL);
    if (pthread_create(&t->thread, NULL, acc_main, t)) {
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv_full);
        pthread_cond_destroy(&t->cv_free);
        t->threaded = 0; /* no thread: do the work here */
    }
    return 0;
}

/* Finish the pass: flush, let the thread drain the queue, join. */
static int pipeline_stop(trainer *t, int flush)
{
    int rc = flush ? flush_batch(t) : 0;
    if (t->threaded) {
        pthread_mutex_lock(&t->mu);
        t->done = 1;
        pthread_cond_signal(&t->cv_full);
        pthread_mutex_unlock(&t->mu);
        pthread_join(t->thread, NULL);
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv_full);
        pthread_cond_destroy(&t->cv_free);
        t->threaded = 0;
        if (!rc)
            rc = t->acc_failed;
    }
    for (size_t i = 0; i < N_BATCHES; i++) {
        if (t->batches[i]) {
            free(t->batches[i]->idx);
            free(t->batches[i]->val);
            free(t->batches[i]);
            t->batches[i] = NULL;
        }
    }
    return rc;
}

/* ---- The levels file --------------------------------------------------------------- */

enum { LF_INPUT, LF_LEVEL, LF_NAME_EN, LF_NAME_JA, LF_ALIASES, LF_EVIDENCE, LF_COLS };
static const char *const lf_cols[LF_COLS] = {"input",   "level",   "name_en",
                                             "name_ja", "aliases", "evidence"};

static int lf_text(trainer *t, const er_csv_field *f, const char *what, const char **out)
{
    *out = NULL;
    if (f->len == 0)
        return 0;
    if (f->len > ER_MAX_NAME_BYTES || !er_one_line(f->s))
        return er_error(t->err, ENGRATE_E_DATA, t->source, f->line, f->col,
                        "%s: must be one line of at most %d bytes", what, ER_MAX_NAME_BYTES);
    *out = er_pool_strndup(&t->pool, f->s, f->len);
    return *out ? 0 : er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
}

static int lf_claim(trainer *t, uint32_t input, const char *name, uint32_t ti,
                    const er_csv_field *f)
{
    uint32_t other;
    int rc = claim_folded(t, input, name, strlen(name), ti, &other);
    if (rc == ENGRATE_E_DUPLICATE)
        return er_error(t->err, rc, t->source, f->line, f->col,
                        "name '%s' of %s level '%s' is also level '%s''s", name,
                        t->in[input].id, t->terms[ti].level, t->terms[other].level);
    return rc ? er_error(t->err, rc, t->source, f->line, f->col, "out of memory") : 0;
}

static int load_levels(trainer *t, const char *path)
{
    int rc;
    const er_csv_field *f;
    size_t nf;
    size_t map[LF_COLS];
    const char *saved = t->source;
    er_csv *c = er_csv_open(path, t->err);
    if (!c)
        return t->err ? t->err->code : ENGRATE_E_IO;
    t->source = er_csv_source(c);
    rc = er_csv_next(c, &f, &nf, t->err);
    if (rc == 0)
        rc = er_error(t->err, ENGRATE_E_MISSING, t->source, 1, 0, "the levels file is empty");
    if (rc < 0)
        goto done;
    for (size_t k = 0; k < LF_COLS; k++)
        map[k] = SIZE_MAX;
    for (size_t i = 0; i < nf; i++) {
        size_t k = 0;
        while (k < LF_COLS && strcmp(f[i].s, lf_cols[k]))
            k++;
        if (k == LF_COLS || map[k] != SIZE_MAX) {
            rc = er_error(t->err, k == LF_COLS ? ENGRATE_E_UNKNOWN_KEY : ENGRATE_E_DUPLICATE,
                          t->source, f[i].line, f[i].col,
                          "%s column '%s' in the levels file (expected input, level, name_en, "
                          "name_ja, aliases, evidence)",
                          k == LF_COLS ? "unknown" : "repeated", f[i].s);
            goto done;
        }
        map[k] = i;
    }
    if (map[LF_INPUT] == SIZE_MAX || map[LF_LEVEL] == SIZE_MAX) {
        rc = er_error(t->err, ENGRATE_E_MISSING, t->source, 1, 0,
                      "the levels file needs the columns input and level");
        goto done;
    }
    while ((rc = er_csv_next(c, &f, &nf, t->err)) > 0) {
        size_t want = 0;
        for (size_t k = 0; k < LF_COLS; k++)
            if (map[k] != SIZE_MAX && map[k] + 1 > want)
                want = map[k] + 1;
        if (nf < want) {
            rc = er_error(t->err, ENGRATE_E_SYNTAX, t->source, f[nf - 1].line, f[nf - 1].col,
                          "the row has %zu fields, the header more", nf);
            goto done;
        }
        const er_csv_field *fin = &f[map[LF_INPUT]], *flv = &f[map[LF_LEVEL]];
        const er_csv_field empty = {"", 0, fin->line, fin->col};
        const er_csv_field *fe[LF_COLS];
        for (size_t k = 0; k < LF_COLS; k++)
            fe[k] = map[k] == SIZE_MAX ? &empty : &f[map[k]];
        size_t in = 0;
        while (in < t->n_in && (strlen(t->in[in].id) != fin->len ||
                                memcmp(t->in[in].id, fin->s, fin->len)))
            in++;
        if (in == t->n_in) {
            rc = er_error(t->err, ENGRATE_E_UNKNOWN_NAME, t->source, fin->line, fin->col,
                          "'%s' is not one of the inputs being trained", fin->s);
            goto done;
        }
        tinput *ti = &t->in[in];
        const char *en, *ja, *al;
        if ((rc = lf_text(t, fe[LF_NAME_EN], "name_en", &en)) ||
            (rc = lf_text(t, fe[LF_NAME_JA], "name_ja", &ja)) ||
            (rc = lf_text(t, fe[LF_ALIASES], "aliases", &al)))
            goto done;
        const er_csv_field *fev = fe[LF_EVIDENCE];
        int none = fev->len == 4 && !memcmp(fev->s, "none", 4);
        if (fev->len && !none) {
            rc = er_error(t->err, ENGRATE_E_DATA, t->source, fev->line, fev->col,
                          "evidence must be empty or 'none', not '%s'", fev->s);
            goto done;
        }
        if (flv->len == 0) { /* the input's labels */
            if (al || none) {
                rc = er_error(t->err, ENGRATE_E_DATA, t->source, flv->line, flv->col,
                              "a row without a level gives the input's labels only (no "
                              "aliases, no evidence)");
                goto done;
            }
            if ((en && ti->label_en) || (ja && ti->label_ja)) {
                rc = er_error(t->err, ENGRATE_E_DUPLICATE, t->source, fin->line, fin->col,
                              "labels of input '%s' given twice", ti->id);
                goto done;
            }
            if (en)
                ti->label_en = en;
            if (ja)
                ti->label_ja = ja;
            continue;
        }
        if (ti->kind == ENGRATE_NUMERIC) {
            rc = er_error(t->err, ENGRATE_E_DATA, t->source, flv->line, flv->col,
                          "input '%s' is numeric and has no levels", ti->id);
            goto done;
        }
        if (!er_valid_id(flv->s, flv->len)) {
            rc = er_error(t->err, ENGRATE_E_DATA, t->source, flv->line, flv->col,
                          "'%s' is not a valid level id (1-%d bytes of A-Z a-z 0-9 _ + # . -)",
                          flv->s, ER_MAX_ID_BYTES);
            goto done;
        }
        uint64_t h = key_hash((uint32_t)in, flv->s, flv->len);
        slot *sl = table_find(t->slots, t->slot_mask, h, (uint32_t)in, flv->s, flv->len);
        if (sl && sl->hash) {
            rc = er_error(t->err, ENGRATE_E_DUPLICATE, t->source, flv->line, flv->col,
                          "level '%s' of input '%s' is listed twice", flv->s, ti->id);
            goto done;
        }
        if (t->n_lf % 64 == 0) {
            lfentry *n = realloc(t->lf, (t->n_lf + 64) * sizeof *n);
            if (!n) {
                rc = er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
                goto done;
            }
            t->lf = n;
        }
        const char *id = er_pool_strndup(&t->pool, flv->s, flv->len);
        if (!id || table_grow(&t->slots, &t->slot_mask, t->n_slots_used)) {
            rc = er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
            goto done;
        }
        rc = new_term(t, (uint32_t)in, 0, id, (int)t->n_lf);
        if (rc) {
            er_error(t->err, rc, t->source, flv->line, flv->col,
                     rc == ENGRATE_E_LIMIT ? "more than %d terms" : "out of memory",
                     ER_TRAIN_MAX_TERMS);
            goto done;
        }
        uint32_t tix = (uint32_t)(t->n_terms - 1);
        t->terms[tix].flags = none ? ENGRATE_LEVEL_NO_EVIDENCE : 0;
        sl = table_find(t->slots, t->slot_mask, h, (uint32_t)in, flv->s, flv->len);
        sl->hash = h;
        sl->input = (uint32_t)in;
        sl->term = tix;
        sl->key = id;
        sl->len = (uint32_t)flv->len;
        t->n_slots_used++;
        lfentry *e = &t->lf[t->n_lf++];
        e->input = (uint32_t)in;
        e->level = id;
        e->name_en = en;
        e->name_ja = ja;
        e->aliases = al;
        e->no_evidence = none;
        e->term = tix;
        if ((rc = lf_claim(t, (uint32_t)in, id, tix, flv)) ||
            (en && (rc = lf_claim(t, (uint32_t)in, en, tix, fe[LF_NAME_EN]))) ||
            (ja && (rc = lf_claim(t, (uint32_t)in, ja, tix, fe[LF_NAME_JA]))))
            goto done;
        size_t n_alias = 0;
        for (const char *p = al; p && *p;) {
            const char *q = strchr(p, '|');
            size_t n = q ? (size_t)(q - p) : strlen(p);
            const char *a = p;
            while (n && is_blank(*a)) {
                a++;
                n--;
            }
            while (n && is_blank(a[n - 1]))
                n--;
            if (n == 0 || ++n_alias > ER_MAX_ALIASES) {
                rc = er_error(t->err, ENGRATE_E_DATA, t->source, fe[LF_ALIASES]->line,
                              fe[LF_ALIASES]->col,
                              n ? "more than %d aliases" : "an empty alias (aliases are "
                                                           "separated by '|')",
                              ER_MAX_ALIASES);
                goto done;
            }
            char *ad = er_pool_strndup(&t->pool, a, n);
            if (!ad) {
                rc = er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
                goto done;
            }
            if ((rc = lf_claim(t, (uint32_t)in, ad, tix, fe[LF_ALIASES])))
                goto done;
            p = q ? q + 1 : p + strlen(p);
        }
    }
done:
    er_csv_close(c);
    t->source = saved;
    return rc < 0 ? rc : 0;
}

/* ---- Setting up: header, inputs, numeric terms ------------------------------------- */

static size_t find_col(const trainer *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (!strcmp(t->cols[i], name))
            return i;
    return SIZE_MAX;
}

static int setup(trainer *t)
{
    const engrate_train_options *o = t->o;
    const er_csv_field *f;
    size_t nf;
    int rc = er_csv_next(t->csv, &f, &nf, t->err);
    if (rc == 0)
        return er_error(t->err, ENGRATE_E_MISSING, t->source, 1, 0,
                        "the file is empty: a header row is needed");
    if (rc < 0)
        return rc;
    t->n_cols = nf;
    t->cols = er_pool_alloc(&t->pool, nf * sizeof *t->cols);
    if (!t->cols)
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    for (size_t i = 0; i < nf; i++) {
        t->cols[i] = er_pool_strndup(&t->pool, f[i].s, f[i].len);
        if (!t->cols[i])
            return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->cols[j], t->cols[i]))
                return er_error(t->err, ENGRATE_E_DUPLICATE, t->source, f[i].line, f[i].col,
                                "column '%s' appears twice in the header", t->cols[i]);
    }
    static const opt_input defaults[] = {{ENGRATE_CATEGORICAL, (char *)"role", "", NULL, 0},
                                         {ENGRATE_SET, (char *)"skills", ";", NULL, 0},
                                         {ENGRATE_SET, (char *)"certs", ";", NULL, 0},
                                         {ENGRATE_NUMERIC, (char *)"years", "", NULL, 0}};
    const opt_input *oin = o->n_inputs ? o->inputs : defaults;
    size_t n_in = o->n_inputs ? o->n_inputs : sizeof defaults / sizeof defaults[0];
    t->target_col = find_col(t, o->target);
    if (t->target_col == SIZE_MAX)
        return er_error(t->err, ENGRATE_E_MISSING, t->source, f[0].line, 0,
                        "no column '%s' (the target) in the header", o->target);
    t->weight_col = SIZE_MAX;
    if (o->weight && (t->weight_col = find_col(t, o->weight)) == SIZE_MAX)
        return er_error(t->err, ENGRATE_E_MISSING, t->source, f[0].line, 0,
                        "no column '%s' (the weight) in the header", o->weight);
    t->in = er_pool_alloc(&t->pool, (n_in + 1) * sizeof *t->in);
    if (!t->in)
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    t->n_in = n_in;
    if ((rc = new_term(t, UINT32_MAX, 0, NULL, -1)))
        return er_error(t->err, rc, t->source, 0, 0, "out of memory");
    for (size_t i = 0; i < n_in; i++) {
        tinput *in = &t->in[i];
        in->kind = oin[i].kind;
        in->id = oin[i].col;
        in->col = find_col(t, oin[i].col);
        if (in->col == SIZE_MAX)
            return er_error(t->err, ENGRATE_E_MISSING, t->source, f[0].line, 0,
                            "no column '%s' in the header%s", oin[i].col,
                            o->n_inputs ? "" : " (the default inputs are role, skills, certs "
                                               "and years: name yours with --categorical, "
                                               "--set, --numeric)");
        if (in->col == t->target_col || in->col == t->weight_col)
            return er_error(t->err, ENGRATE_E_INVALID, t->source, f[0].line, 0,
                            "column '%s' cannot be both an input and the target or weight",
                            in->id);
        in->sep = oin[i].sep;
        in->seplen = strlen(oin[i].sep);
        in->knots = oin[i].knots;
        in->n_knots = oin[i].n_knots;
        in->min = INFINITY;
        in->max = -INFINITY;
        if (in->kind == ENGRATE_NUMERIC) {
            in->first = (uint32_t)t->n_terms;
            for (size_t k = 0; k <= in->n_knots; k++)
                if ((rc = new_term(t, (uint32_t)i, (uint32_t)k, NULL, -1)))
                    return er_error(t->err, rc, t->source, 0, 0, "too many terms");
        }
    }
    if (o->levels && (rc = load_levels(t, o->levels)))
        return rc;
    return 0;
}

/* ---- The pass ---------------------------------------------------------------------- */

static int pass(trainer *t)
{
    const engrate_train_options *o = t->o;
    int rc = 0;
    const er_csv_field *f;
    size_t nf;
    double *xs = calloc(t->n_in + 1, sizeof *xs);
    if (!xs)
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    if ((rc = pipeline_start(t))) {
        free(xs);
        pipeline_stop(t, 0);
        return er_error(t->err, rc, t->source, 0, 0, "out of memory");
    }
    uint64_t next_progress = 0;
    for (;;) {
        rc = er_csv_next(t->csv, &f, &nf, t->err);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (er_csv_recoverable(t->csv) && o->skip_bad) {
                t->rows_read++;
                t->rows_skipped++;
                er_report_reason(t->rep, rc == ENGRATE_E_UTF8 ? "invalid UTF-8" : "CSV syntax");
                if (t->rows_skipped <= 5)
                    er_report_note(t->rep, "skipped: %s", t->err ? t->err->text : "");
                er_error_clear(t->err);
                continue;
            }
            goto out;
        }
        t->rows_read++;
        size_t nnz = 0;
        double y = 0, w = 1;
        rc = map_row(t, f, nf, &nnz, &y, &w);
        if (rc < 0)
            goto out;
        if (rc == 1)
            continue;
        /* commit: counts and ranges */
        for (size_t k = 1; k < nnz; k++) {
            term *tm = &t->terms[t->ridx[k]];
            tm->count++;
        }
        for (size_t i = 0; i < t->n_in; i++) {
            tinput *in = &t->in[i];
            if (in->kind != ENGRATE_NUMERIC)
                continue;
            double x = 0;
            for (size_t k = 1; k < nnz; k++)
                if (t->ridx[k] == in->first) {
                    x = t->rval[k];
                    break;
                }
            xs[i] = x;
            if (x < in->min)
                in->min = x;
            if (x > in->max)
                in->max = x;
        }
        uint32_t fold = t->K > 1 ? (uint32_t)(splitmix64(FOLD_SEED ^ t->rows_read) % t->K) : 0;
        if ((rc = sample_offer(t, t->rows_used, t->ridx, t->rval, nnz, y, w, fold)) ||
            (rc = push_row(t, nnz, y, w, fold))) {
            rc = er_error(t->err, rc, t->source, 0, 0, "out of memory");
            goto out;
        }
        t->rows_used++;
        if (o->progress && t->rows_read >= next_progress) {
            uint64_t size = er_csv_size(t->csv);
            o->progress(size ? (double)er_csv_offset(t->csv) / (double)size : 0,
                        o->progress_user);
            next_progress = t->rows_read + 65536;
        }
    }
    rc = 0;
out:
    free(xs);
    {
        int prc = pipeline_stop(t, rc == 0);
        if (rc == 0 && prc)
            rc = er_error(t->err, prc, t->source, 0, 0, "out of memory");
    }
    if (rc == 0 && o->progress)
        o->progress(1.0, o->progress_user);
    return rc;
}

/* ---- Choosing terms ---------------------------------------------------------------- */

typedef struct selection {
    size_t m;
    uint32_t *cols;
    double *pen;
    const char **names;   /* per selected column */
    uint32_t *reference;  /* per input: the reference level's term, or 0 */
} selection;

static void selection_free(selection *s)
{
    free(s->cols);
    free(s->pen);
    free(s->names);
    free(s->reference);
}

static const char *term_name(trainer *t, uint32_t j)
{
    const term *tm = &t->terms[j];
    if (j == 0)
        return "(intercept)";
    const tinput *in = &t->in[tm->input];
    er_buf b = {0};
    if (in->kind == ENGRATE_NUMERIC) {
        er_buf_puts(&b, in->id);
        if (tm->piece) {
            er_buf_puts(&b, ">");
            er_buf_double(&b, in->knots[tm->piece - 1]);
        }
    } else {
        er_buf_printf(&b, "%s=%s", in->id, tm->level);
    }
    if (b.failed)
        return NULL;
    char *s = er_pool_strndup(&t->pool, b.s, b.len);
    free(b.s);
    return s;
}

static int level_cmp_id(const trainer *t, uint32_t a, uint32_t b)
{
    return strcmp(t->terms[a].level, t->terms[b].level);
}

static int select_terms(trainer *t, const er_acc *total, double lambda_if_fixed, selection *s)
{
    const engrate_train_options *o = t->o;
    memset(s, 0, sizeof *s);
    s->cols = malloc(t->n_terms * sizeof *s->cols);
    s->pen = malloc(t->n_terms * sizeof *s->pen);
    s->names = malloc(t->n_terms * sizeof *s->names);
    s->reference = calloc(t->n_in + 1, sizeof *s->reference);
    if (!s->cols || !s->pen || !s->names || !s->reference)
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    /* With lambda = 0 a full set of indicators of a categorical input that every row
     * gives is collinear with the intercept: drop its most frequent level (ties: the
     * smallest id), which then has coefficient 0 and is the baseline. */
    int plain = !o->lambda_auto && lambda_if_fixed == 0;
    int absorbed = o->intercept;
    for (size_t i = 0; plain && i < t->n_in; i++) {
        if (t->in[i].kind != ENGRATE_CATEGORICAL)
            continue;
        uint64_t rows = 0;
        uint32_t best = 0;
        for (size_t j = 1; j < t->n_terms; j++) {
            const term *tm = &t->terms[j];
            if (tm->input != i || (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) ||
                tm->count < (uint64_t)o->min_count)
                continue;
            rows += tm->count;
            if (!best || tm->count > t->terms[best].count ||
                (tm->count == t->terms[best].count && level_cmp_id(t, (uint32_t)j, best) < 0))
                best = (uint32_t)j;
        }
        if (best && rows == t->rows_used) {
            if (!absorbed) { /* without intercept the first such input keeps all levels */
                absorbed = 1;
                continue;
            }
            s->reference[i] = best;
            er_report_note(t->rep, "%s: level '%s' is the reference (coefficient 0) because "
                                   "lambda is 0",
                           t->in[i].id, t->terms[best].level);
        }
    }
    er_dd sw = total->g[0];
    for (size_t j = 1; j < t->n_terms; j++) {
        const term *tm = &t->terms[j];
        const tinput *in = &t->in[tm->input];
        if (in->kind != ENGRATE_NUMERIC) {
            if (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE)
                continue;
            if (tm->count < (uint64_t)o->min_count) {
                if (tm->lf >= 0)
                    er_report_note(t->rep, "%s level '%s' seen %llu times (--min-count %ld): "
                                           "kept without evidence (coefficient 0)",
                                   in->id, tm->level, (unsigned long long)tm->count,
                                   o->min_count);
                else
                    er_report_note(t->rep, "%s level '%s' seen %llu times (--min-count %ld): "
                                           "dropped",
                                   in->id, tm->level, (unsigned long long)tm->count,
                                   o->min_count);
                continue;
            }
            if (s->reference[tm->input] == j)
                continue;
        }
        size_t k = s->m++;
        s->cols[k] = (uint32_t)j;
        s->names[k] = term_name(t, (uint32_t)j);
        if (!s->names[k])
            return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        /* Penalty scale: 1 for indicators; the weighted variance for numeric terms, so
         * that the penalty acts on standardised coefficients. */
        double pen = 1;
        if (in->kind == ENGRATE_NUMERIC && j < total->p && sw.hi > 0) {
            er_dd g = total->g[ER_PK(j, j)];
            if (o->intercept)
                g = dd_sub(g, dd_div(dd_mul(total->g[ER_PK(0, j)], total->g[ER_PK(0, j)]), sw));
            double v = dd_to_d(dd_div(g, sw));
            pen = v > 0 && isfinite(v) ? v : 1;
        }
        s->pen[k] = pen;
    }
    return 0;
}

/* ---- Fitting ----------------------------------------------------------------------- */

typedef struct outcome {
    double lambda;
    double *beta, *se;    /* per selected column */
    er_fit_result res;
    double **fold_coef;   /* per fold: coefficient by term (K x n_terms), b0 in [0] */
    double cv_sse, cv_sw;
} outcome;

static void outcome_free(outcome *oc, size_t K)
{
    free(oc->beta);
    free(oc->se);
    if (oc->fold_coef)
        for (size_t k = 0; k < K; k++)
            free(oc->fold_coef[k]);
    free(oc->fold_coef);
}

/* acc = the sum of all folds but `skip` (SIZE_MAX: all), in fold order. */
static int sum_folds(trainer *t, er_acc *acc, size_t skip)
{
    er_acc_init(acc);
    if (er_acc_reserve(acc, t->n_terms))
        return ENGRATE_E_NOMEM;
    for (size_t k = 0; k < t->K; k++)
        if (k != skip && er_acc_merge(acc, &t->acc[k]))
            return ENGRATE_E_NOMEM;
    return 0;
}

#define GRID_LO (-6.0)
#define GRID_HI 2.0
#define GRID_STEP 0.25

static int choose_lambda(trainer *t, const er_acc *total, const selection *sel, double *lambda)
{
    er_fit_spec spec = {sel->m, sel->cols, sel->pen, t->o->intercept};
    int rc;
    size_t ng = (size_t)((GRID_HI - GRID_LO) / GRID_STEP + 1.5);
    engrate_train_report *r = t->rep;
    r->grid = calloc(ng, sizeof *r->grid);
    r->grid_err = calloc(ng, sizeof *r->grid_err);
    double *beta = malloc((sel->m + 1) * sizeof *beta);
    if (!r->grid || !r->grid_err || !beta) {
        free(beta);
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    r->n_grid = ng;
    er_path *all = er_path_new(total, &spec, &rc);
    if (!all) {
        free(beta);
        return er_error(t->err, rc, NULL, 0, 0, "out of memory");
    }
    double scale = er_path_scale(all);
    if (!(scale > 0))
        scale = 1;
    for (size_t g = 0; g < ng; g++)
        r->grid[g] = scale * pow(10.0, GRID_LO + GRID_STEP * (double)g);
    if (t->K >= 2) {
        r->lambda_how = "cv";
        for (size_t k = 0; k < t->K; k++) {
            er_acc train;
            if (sum_folds(t, &train, k)) {
                er_acc_free(&train);
                er_path_free(all);
                free(beta);
                return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
            }
            er_path *pk = er_path_new(&train, &spec, &rc);
            er_acc_free(&train);
            if (!pk) {
                er_path_free(all);
                free(beta);
                return er_error(t->err, rc, NULL, 0, 0, "out of memory");
            }
            for (size_t g = 0; g < ng; g++) {
                double b0;
                er_path_coef(pk, r->grid[g], beta, &b0);
                r->grid_err[g] += er_fit_sse(&t->acc[k], &spec, spec.intercept ? b0 : 0, beta);
            }
            er_path_free(pk);
        }
        double sw = dd_to_d(total->g[0]);
        for (size_t g = 0; g < ng; g++)
            r->grid_err[g] = sqrt(r->grid_err[g] / sw); /* CV RMSE */
    } else {
        r->lambda_how = "gcv";
        double n = (double)total->n;
        for (size_t g = 0; g < ng; g++) {
            double b0, rss, df;
            er_path_coef(all, r->grid[g], beta, &b0);
            er_path_rss_df(all, r->grid[g], beta, &rss, &df);
            df += spec.intercept ? 1 : 0;
            double d = 1 - df / n;
            r->grid_err[g] = d > 0 ? rss / (n * d * d) : INFINITY; /* GCV score */
        }
    }
    er_path_free(all);
    free(beta);
    size_t best = 0;
    for (size_t g = 1; g < ng; g++)
        if (r->grid_err[g] < r->grid_err[best])
            best = g;
    *lambda = r->grid[best];
    if (best == 0 || best == ng - 1)
        er_report_note(r, "lambda %.3g is at the %s end of the grid searched", *lambda,
                       best == 0 ? "small" : "large");
    return 0;
}

/* Weighted quantile (inverse of the empirical CDF) of sorted (value, weight) pairs,
 * leaving out those of fold `skip`. */
typedef struct resid {
    double r, w, ape;
    uint32_t fold;
} resid;

static int resid_cmp(const void *a, const void *b)
{
    double x = ((const resid *)a)->r, y = ((const resid *)b)->r;
    return x < y ? -1 : x > y;
}

static int ape_cmp(const void *a, const void *b)
{
    double x = ((const resid *)a)->ape, y = ((const resid *)b)->ape;
    return x < y ? -1 : x > y;
}

static double wquantile(const resid *v, size_t n, double q, uint32_t skip)
{
    double total = 0, cum = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].fold != skip)
            total += v[i].w;
    if (!(total > 0))
        return NAN;
    for (size_t i = 0; i < n; i++) {
        if (v[i].fold == skip)
            continue;
        cum += v[i].w;
        if (cum >= q * total * (1 - 1e-12))
            return v[i].r;
    }
    return v[n - 1].r;
}

static int calibrate(trainer *t, const selection *sel, outcome *oc)
{
    engrate_train_report *r = t->rep;
    size_t n = t->sample_n;
    double level = t->o->interval;
    resid *v = malloc((n + 1) * sizeof *v);
    double *coef = calloc(t->n_terms, sizeof *coef);
    if (!v || !coef) {
        free(v);
        free(coef);
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t k = 0; k < sel->m; k++)
        coef[sel->cols[k]] = oc->beta[k];
    int cv = t->K >= 2 && oc->fold_coef;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const srow *s = t->sample[i];
        if (!s)
            continue;
        double pred = cv ? sample_predict(s, oc->fold_coef[s->fold][0], oc->fold_coef[s->fold])
                         : sample_predict(s, oc->res.b0, coef);
        resid *e = &v[m++];
        e->r = s->y - pred;
        e->w = s->w;
        e->fold = cv ? s->fold : UINT32_MAX - 1;
        if (t->o->transform == ENGRATE_TRANSFORM_LOG)
            e->ape = fabs(expm1(-e->r));
        else
            e->ape = s->y != 0 ? fabs(e->r / s->y) : NAN;
    }
    free(coef);
    if (m == 0) {
        free(v);
        return er_error(t->err, ENGRATE_E_DATA, NULL, 0, 0, "no rows to calibrate with");
    }
    qsort(v, m, sizeof *v, resid_cmp);
    double lo_q = (1 - level) / 2, hi_q = (1 + level) / 2;
    r->level = level;
    r->low = wquantile(v, m, lo_q, UINT32_MAX);
    r->high = wquantile(v, m, hi_q, UINT32_MAX);
    if (cv) {
        /* Coverage on held-out folds: fold k's rows against the interval calibrated on
         * the residuals of the other folds, so no row judges an interval it helped make. */
        double in = 0, all = 0;
        for (uint32_t k = 0; k < t->K; k++) {
            double lo = wquantile(v, m, lo_q, k), hi = wquantile(v, m, hi_q, k);
            for (size_t i = 0; i < m; i++) {
                if (v[i].fold != k)
                    continue;
                all += v[i].w;
                if (v[i].r >= lo && v[i].r <= hi)
                    in += v[i].w;
            }
        }
        r->coverage = all > 0 ? in / all : NAN;
    }
    /* Median absolute percentage error (weighted), rows with a usable APE only. */
    size_t ma = 0;
    for (size_t i = 0; i < m; i++)
        if (!isnan(v[i].ape))
            v[ma++] = v[i];
    if (ma) {
        qsort(v, ma, sizeof *v, ape_cmp);
        for (size_t i = 0; i < ma; i++) {
            v[i].r = v[i].ape;
            v[i].fold = 0;
        }
        r->cv_mape = wquantile(v, ma, 0.5, UINT32_MAX);
    }
    free(v);
    return 0;
}

static int fit_all(trainer *t, selection *sel, outcome *oc)
{
    const engrate_train_options *o = t->o;
    engrate_train_report *r = t->rep;
    er_acc total;
    int rc;
    memset(oc, 0, sizeof *oc);
    if (sum_folds(t, &total, SIZE_MAX)) {
        er_acc_free(&total);
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    if (total.n == 0) {
        er_acc_free(&total);
        return er_error(t->err, ENGRATE_E_DATA, t->source, 0, 0,
                        "no usable rows (%llu read, %llu skipped)",
                        (unsigned long long)t->rows_read, (unsigned long long)t->rows_skipped);
    }
    if ((rc = select_terms(t, &total, o->lambda, sel)))
        goto done;
    er_fit_spec spec = {sel->m, sel->cols, sel->pen, o->intercept};
    oc->lambda = o->lambda;
    if (o->lambda_auto && (rc = choose_lambda(t, &total, sel, &oc->lambda)))
        goto done;
    oc->beta = calloc(sel->m + 1, sizeof *oc->beta);
    oc->se = calloc(sel->m + 1, sizeof *oc->se);
    if (!oc->beta || !oc->se) {
        rc = er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    oc->res.beta = oc->beta;
    oc->res.se = oc->se;
    if ((rc = er_fit_solve(&total, &spec, oc->lambda, &oc->res, sel->names, t->err)))
        goto done;
    r->lambda = oc->lambda;
    r->n = (double)total.n;
    r->p = (double)(sel->m + (o->intercept ? 1 : 0));
    r->r_squared = oc->res.r_squared;
    r->residual_sd = oc->res.sigma;
    r->df = oc->res.df;
    r->cond = oc->res.cond;
    /* Cross-validation at the chosen lambda: one fit per fold without it. */
    if (t->K >= 2) {
        oc->fold_coef = calloc(t->K, sizeof *oc->fold_coef);
        double *fb = malloc((sel->m + 1) * sizeof *fb);
        uint32_t *fc = malloc((sel->m + 1) * sizeof *fc);
        double *fp = malloc((sel->m + 1) * sizeof *fp);
        const char **fnm = malloc((sel->m + 1) * sizeof *fnm);
        int ok = oc->fold_coef && fb && fc && fp && fnm;
        for (size_t k = 0; ok && k < t->K; k++) {
            er_acc train;
            oc->fold_coef[k] = calloc(t->n_terms, sizeof **oc->fold_coef);
            if (!oc->fold_coef[k] || sum_folds(t, &train, k)) {
                if (oc->fold_coef[k])
                    er_acc_free(&train);
                ok = 0;
                break;
            }
            /* terms absent from the training folds get coefficient 0 */
            size_t fm = 0;
            for (size_t j = 0; j < sel->m; j++) {
                if (train.g[ER_PK(sel->cols[j], sel->cols[j])].hi == 0)
                    continue;
                fc[fm] = sel->cols[j];
                fp[fm] = sel->pen[j];
                fnm[fm] = sel->names[j];
                fm++;
            }
            er_fit_spec fs = {fm, fc, fp, o->intercept};
            er_fit_result fr;
            memset(&fr, 0, sizeof fr);
            fr.beta = fb;
            engrate_error ferr;
            er_error_clear(&ferr);
            int frc = train.n ? er_fit_solve(&train, &fs, oc->lambda, &fr, fnm, &ferr)
                              : ENGRATE_E_DATA;
            er_acc_free(&train);
            if (frc == ENGRATE_E_NOMEM) {
                ok = 0;
                break;
            }
            if (frc) {
                er_report_note(r, "cross-validation fold %zu could not be fitted (%s); no CV "
                                  "figures",
                               k + 1, ferr.text);
                for (size_t kk = 0; kk <= k; kk++)
                    free(oc->fold_coef[kk]);
                free(oc->fold_coef);
                oc->fold_coef = NULL;
                break;
            }
            oc->fold_coef[k][0] = fr.b0;
            for (size_t j = 0; j < fm; j++)
                oc->fold_coef[k][fc[j]] = fb[j];
            oc->cv_sse += er_fit_sse(&t->acc[k], &fs, fr.b0, fb);
            oc->cv_sw += t->acc[k].p ? dd_to_d(t->acc[k].g[0]) : 0;
        }
        free(fb);
        free(fc);
        free(fp);
        free(fnm);
        if (!ok) {
            rc = er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
        r->folds = (double)t->K;
        if (oc->fold_coef)
            r->cv_rmse = sqrt(oc->cv_sse / oc->cv_sw);
    } else {
        r->folds = 0;
    }
    rc = calibrate(t, sel, oc);
done:
    er_acc_free(&total);
    return rc;
}

/* ---- Model and report -------------------------------------------------------------- */

typedef struct ordered {
    uint32_t *terms;
    size_t n;
} ordered;

/* The levels of input i in model order: the levels file's first (in its order), then the
 * other levels seen at least --min-count times, by id (byte order). */
static int order_levels(const trainer *t, size_t i, ordered *out)
{
    out->n = 0;
    out->terms = malloc((t->n_terms + 1) * sizeof *out->terms);
    if (!out->terms)
        return ENGRATE_E_NOMEM;
    for (size_t e = 0; e < t->n_lf; e++)
        if (t->lf[e].input == i)
            out->terms[out->n++] = t->lf[e].term;
    size_t first_data = out->n;
    for (size_t j = 1; j < t->n_terms; j++) {
        const term *tm = &t->terms[j];
        if (tm->input == i && tm->lf < 0 && tm->count >= (uint64_t)t->o->min_count)
            out->terms[out->n++] = (uint32_t)j;
    }
    /* insertion sort by id: deterministic, no global comparison context needed */
    for (size_t a = first_data + 1; a < out->n; a++) {
        uint32_t v = out->terms[a];
        size_t b = a;
        while (b > first_data && strcmp(t->terms[out->terms[b - 1]].level, t->terms[v].level) > 0) {
            out->terms[b] = out->terms[b - 1];
            b--;
        }
        out->terms[b] = v;
    }
    return 0;
}

static int report_terms(trainer *t, const selection *sel, const outcome *oc)
{
    engrate_train_report *r = t->rep;
    size_t cap = sel->m + 1;
    r->terms = calloc(cap, sizeof *r->terms);
    int32_t *pos = malloc(t->n_terms * sizeof *pos);
    if (!r->terms || !pos) {
        free(pos);
        return ENGRATE_E_NOMEM;
    }
    for (size_t j = 0; j < t->n_terms; j++)
        pos[j] = -1;
    for (size_t k = 0; k < sel->m; k++)
        pos[sel->cols[k]] = (int32_t)k;
    if (t->o->intercept) {
        er_report_term *e = &r->terms[r->n_terms++];
        e->name = er_dup_str("(intercept)");
        e->estimate = oc->res.b0;
        e->std_error = oc->res.se0;
        if (!e->name)
            goto nomem;
    }
    for (size_t i = 0; i < t->n_in; i++) {
        ordered ol = {NULL, 0};
        if (t->in[i].kind == ENGRATE_NUMERIC) {
            ol.terms = malloc((t->in[i].n_knots + 1) * sizeof *ol.terms);
            if (!ol.terms)
                goto nomem;
            for (size_t k = 0; k <= t->in[i].n_knots; k++)
                ol.terms[ol.n++] = t->in[i].first + (uint32_t)k;
        } else if (order_levels(t, i, &ol)) {
            goto nomem;
        }
        for (size_t k = 0; k < ol.n; k++) {
            int32_t p = pos[ol.terms[k]];
            if (p < 0)
                continue;
            er_report_term *e = &r->terms[r->n_terms++];
            e->name = er_dup_str(sel->names[p]);
            e->estimate = oc->beta[p];
            e->std_error = oc->se[p];
            if (!e->name) {
                free(ol.terms);
                goto nomem;
            }
        }
        free(ol.terms);
    }
    free(pos);
    return 0;
nomem:
    free(pos);
    return ENGRATE_E_NOMEM;
}

/* The model is handed to the library as model text, through the same strict loader as a
 * file (models/FORMAT.md): every trained model passes the checks a file does, and the
 * trainer never fills the library's structures itself. Numbers are written in their
 * shortest exact form, so nothing is lost on the way. */

static void put_kv(er_buf *b, const char *key, const char *value)
{
    er_buf_puts(b, key);
    er_buf_puts(b, " = ");
    er_buf_puts(b, value);
    er_buf_puts(b, "\n");
}

static void put_kn(er_buf *b, const char *key, double x)
{
    er_buf_puts(b, key);
    er_buf_puts(b, " = ");
    er_buf_double(b, x);
    er_buf_puts(b, "\n");
}

static void put_texts(er_buf *b, const char *prefix, const char *en, const char *ja)
{
    if (en) {
        er_buf_puts(b, prefix);
        put_kv(b, "en", en);
    }
    if (ja) {
        er_buf_puts(b, prefix);
        put_kv(b, "ja", ja);
    }
}

/* The [model], [training] and [interval] sections. */
static void emit_head(trainer *t, er_buf *b, double intercept)
{
    const engrate_train_options *o = t->o;
    static const char *const defaults[ER_META_COUNT] = {"model", NULL, "XXX", "month", NULL,
                                                        NULL};
    er_buf_puts(b, "engrate-model 1\n\n[model]\n");
    for (size_t k = 0; k < ER_META_COUNT; k++) {
        const char *v = o->meta[k] ? o->meta[k] : defaults[k];
        if (v)
            put_kv(b, er_meta_keys[k], v);
    }
    put_kv(b, "transform", o->transform == ENGRATE_TRANSFORM_LOG ? "log" : "none");
    put_kn(b, "intercept", intercept);
    for (size_t i = 0; i < o->n_sources; i++)
        put_kv(b, "source", o->sources[i]);
    const engrate_train_report *r = t->rep;
    const double training[ER_TRAIN_COUNT] = {
        [ER_TRAIN_ROWS] = r->n,           [ER_TRAIN_TERMS] = r->p,
        [ER_TRAIN_LAMBDA] = r->lambda,    [ER_TRAIN_FOLDS] = r->folds,
        [ER_TRAIN_R_SQUARED] = r->r_squared, [ER_TRAIN_RESIDUAL_SD] = r->residual_sd,
        [ER_TRAIN_CV_RMSE] = r->cv_rmse,  [ER_TRAIN_CV_MAPE] = r->cv_mape,
        [ER_TRAIN_COVERAGE] = r->coverage};
    int any = 0;
    for (size_t k = 0; k < ER_TRAIN_COUNT; k++)
        any |= isfinite(training[k]);
    if (any) {
        er_buf_puts(b, "\n[training]\n");
        for (size_t k = 0; k < ER_TRAIN_COUNT; k++)
            if (isfinite(training[k]))
                put_kn(b, er_training_keys[k], training[k]);
    }
    er_buf_puts(b, "\n[interval]\n");
    put_kn(b, "level", r->level);
    put_kn(b, "low", r->low);
    put_kn(b, "high", r->high);
}

/* A numeric input: its range, default (the weighted mean of the column, clamped), knots
 * and coefficients. */
static int emit_numeric(trainer *t, er_buf *b, const tinput *in, const double *coef)
{
    if (fabs(in->min) > ER_MAX_ABS_NUMERIC || fabs(in->max) > ER_MAX_ABS_NUMERIC)
        return er_error(t->err, ENGRATE_E_LIMIT, NULL, 0, 0,
                        "numeric input '%s' ranges over [%g, %g], beyond the model "
                        "format's limit of +-1e9: rescale the column",
                        in->id, in->min, in->max);
    er_dd s = dd_make(0, 0), sw = dd_make(0, 0);
    for (size_t k = 0; k < t->K; k++) {
        if (t->acc[k].p > in->first) {
            s = dd_add(s, t->acc[k].g[ER_PK(0, in->first)]);
            sw = dd_add(sw, t->acc[k].g[0]);
        }
    }
    double mean = sw.hi > 0 ? dd_to_d(dd_div(s, sw)) : in->min;
    put_kn(b, "min", in->min);
    put_kn(b, "max", in->max);
    put_kn(b, "default", mean < in->min ? in->min : mean > in->max ? in->max : mean);
    if (in->n_knots) {
        er_buf_puts(b, "knots =");
        for (size_t k = 0; k < in->n_knots; k++) {
            er_buf_puts(b, " ");
            er_buf_double(b, in->knots[k]);
        }
        er_buf_puts(b, "\n");
    }
    er_buf_puts(b, "coef =");
    for (size_t k = 0; k <= in->n_knots; k++) {
        er_buf_puts(b, " ");
        er_buf_double(b, coef[in->first + k]);
    }
    er_buf_puts(b, "\n");
    return 0;
}

/* One [level] section: a level without evidence (so marked in the levels file, or seen
 * fewer than --min-count times) has coefficient 0. */
static void emit_level(trainer *t, er_buf *b, uint32_t term_i, double coef)
{
    const term *tm = &t->terms[term_i];
    int none = (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) || tm->count < (uint64_t)t->o->min_count;
    er_buf_puts(b, "\n[level ");
    er_buf_puts(b, tm->level);
    er_buf_puts(b, "]\n");
    put_kn(b, "coef", none ? 0 : coef);
    if (tm->lf >= 0) {
        const lfentry *e = &t->lf[tm->lf];
        put_texts(b, "name.", e->name_en, e->name_ja);
        for (const char *p = e->aliases; p && *p;) {
            const char *q = strchr(p, '|');
            size_t len = q ? (size_t)(q - p) : strlen(p);
            const char *a = p;
            while (len && is_blank(*a)) {
                a++;
                len--;
            }
            while (len && is_blank(a[len - 1]))
                len--;
            er_buf_puts(b, "alias = ");
            er_buf_add(b, a, len);
            er_buf_puts(b, "\n");
            p = q ? q + 1 : p + strlen(p);
        }
    }
    if (none)
        put_kv(b, "evidence", "none");
}

/* The [input] sections, each with its levels in model order. */
static int emit_inputs(trainer *t, er_buf *b, const double *coef)
{
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        static const char *const kinds[] = {"", "categorical", "set", "numeric"};
        er_buf_puts(b, "\n[input ");
        er_buf_puts(b, in->id);
        er_buf_puts(b, "]\n");
        put_kv(b, "kind", kinds[in->kind]);
        put_texts(b, "label.", in->label_en, in->label_ja);
        if (in->kind == ENGRATE_NUMERIC) {
            int rc = emit_numeric(t, b, in, coef);
            if (rc)
                return rc;
            continue;
        }
        ordered ol = {NULL, 0};
        if (order_levels(t, i, &ol))
            return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        if (ol.n > ER_MAX_LEVELS) {
            free(ol.terms);
            return er_error(t->err, ENGRATE_E_LIMIT, NULL, 0, 0,
                            "input '%s' has %zu levels (at most %d)", in->id, ol.n,
                            ER_MAX_LEVELS);
        }
        er_buf_printf(b, "levels = %zu\n", ol.n);
        for (size_t k = 0; k < ol.n; k++)
            emit_level(t, b, ol.terms[k], coef[ol.terms[k]]);
        free(ol.terms);
    }
    return 0;
}

/* The fitted model as model text, loaded through the public loader. A refusal there is
 * reported as what it is, a model the format cannot hold. */
static engrate_model *build_model(trainer *t, const selection *sel, const outcome *oc)
{
    if (!(t->rep->low <= t->rep->high)) {
        er_error(t->err, ENGRATE_E_DATA, NULL, 0, 0, "no interval could be calibrated");
        return NULL;
    }
    double *coef = calloc(t->n_terms, sizeof *coef);
    if (!coef) {
        er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < sel->m; k++)
        coef[sel->cols[k]] = oc->beta[k];
    er_buf b = {NULL, 0, 0, 0};
    emit_head(t, &b, t->o->intercept ? oc->res.b0 : 0);
    int rc = emit_inputs(t, &b, coef);
    free(coef);
    engrate_model *m = NULL;
    if (!rc && b.failed)
        er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    else if (!rc) {
        engrate_error le;
        m = engrate_model_load_buffer(b.s, b.len, "the trained model", 0, &le);
        if (!m)
            er_error(t->err, le.code, NULL, 0, 0, "%s", le.code == ENGRATE_E_NOMEM
                                                          ? "out of memory" : le.text);
    }
    free(b.s);
    return m;
}

/* ---- Entry points ------------------------------------------------------------------ */

static void trainer_free(trainer *t)
{
    if (t->acc)
        for (size_t k = 0; k < t->K; k++)
            er_acc_free(&t->acc[k]);
    free(t->acc);
    if (t->sample)
        for (size_t i = 0; i < t->sample_n; i++)
            free(t->sample[i]);
    free(t->sample);
    free(t->terms);
    free(t->slots);
    free(t->fslots);
    free(t->lf);
    free(t->ridx);
    free(t->rval);
    er_pool_free(&t->pool);
}

static engrate_model *train(er_csv *csv, const engrate_train_options *opts,
                            engrate_train_report **report, engrate_error *err)
{
    engrate_error local;
    er_error_clear(&local);
    trainer t;
    memset(&t, 0, sizeof t);
    selection sel;
    memset(&sel, 0, sizeof sel);
    outcome oc;
    memset(&oc, 0, sizeof oc);
    engrate_model *m = NULL;
    int fitted = 0;
    if (report)
        *report = NULL;
    t.o = opts;
    t.err = &local;
    t.csv = csv;
    t.source = csv ? er_csv_source(csv) : NULL;
    t.rep = er_report_new();
    t.K = opts->folds >= 2 ? (size_t)opts->folds : 1;
    t.acc = calloc(t.K, sizeof *t.acc);
    t.sample_cap = opts->sample;
    t.sample = calloc(t.sample_cap, sizeof *t.sample);
    if (!t.rep || !t.acc || !t.sample || !(t.rep->target = er_dup_str(opts->target))) {
        er_error(&local, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    t.rep->transform = opts->transform;
    if (setup(&t) || pass(&t))
        goto done;
    t.rep->rows_read = (double)t.rows_read;
    t.rep->rows_skipped = (double)t.rows_skipped;
    if (fit_all(&t, &sel, &oc))
        goto done;
    if (report_terms(&t, &sel, &oc) || er_report_render(t.rep)) {
        er_error(&local, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    fitted = 1;
    m = build_model(&t, &sel, &oc);
done:
    if (report && fitted) {
        *report = t.rep;
        t.rep = NULL;
    }
    engrate_train_report_free(t.rep);
    outcome_free(&oc, t.K);
    selection_free(&sel);
    trainer_free(&t);
    if (err)
        *err = local;
    return m;
}

ENGRATE_API engrate_model *engrate_train_csv(const char *path, const engrate_train_options *opts,
                                             engrate_train_report **report, engrate_error *err)
{
    er_error_clear(err);
    if (report)
        *report = NULL;
    if (!path || !opts)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no path or no options"), NULL;
    er_csv *c = er_csv_open(path, err);
    if (!c)
        return NULL;
    engrate_model *m = train(c, opts, report, err);
    er_csv_close(c);
    return m;
}

ENGRATE_API engrate_model *engrate_train_csv_buffer(const char *data, size_t len,
                                                    const char *source,
                                                    const engrate_train_options *opts,
                                                    engrate_train_report **report,
                                                    engrate_error *err)
{
    er_error_clear(err);
    if (report)
        *report = NULL;
    if ((!data && len) || !opts)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no data or no options"), NULL;
    er_csv *c = er_csv_open_buffer(data, len, source, err);
    if (!c)
        return NULL;
    engrate_model *m = train(c, opts, report, err);
    er_csv_close(c);
    return m;
}
