/* pass.c: the one pass over the data: each record mapped to a design row, rows
 * accumulated per fold (by a second thread when there are two cores), and offered to the
 * sample kept for calibrating the interval (sample.c). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainer.h"

/* ---- Splitting the work: row hashing ----------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* The row's fold and its key for the sample: from a hash of its content (design.c), so
 * that a row has the same fold however the data are split; or, --folds-by order, from its
 * number in the file. */
static uint32_t row_fold(const trainer *t, uint64_t *key)
{
    *key = splitmix64(t->rhash ^ SAMPLE_SEED);
    if (t->K <= 1)
        return 0;
    if (t->o->folds_by == ER_FOLDS_BY_ORDER)
        return (uint32_t)(splitmix64(FOLD_SEED ^ t->rows_read) % t->K);
    return (uint32_t)(splitmix64(t->rhash ^ FOLD_SEED) % t->K);
}

/* ---- The accumulating thread ------------------------------------------------------- */

#define GROUP_FOLDS 64 /* more folds than this: the rows are added in their order */

/* The batch's rows in b->order, grouped by fold (a counting sort), so that one fold's
 * sums are added at a time and stay in the cache: exact sums do not depend on the order
 * in which rows are added. */
static void group_by_fold(batch *b, size_t K)
{
    size_t start[GROUP_FOLDS + 1] = {0};
    if (K > GROUP_FOLDS) {
        for (size_t r = 0; r < b->n; r++)
            b->order[r] = (uint32_t)r;
        return;
    }
    for (size_t r = 0; r < b->n; r++)
        start[b->fold[r] + 1]++;
    for (size_t k = 1; k <= K; k++)
        start[k] += start[k - 1];
    for (size_t r = 0; r < b->n; r++)
        b->order[start[b->fold[r]]++] = (uint32_t)r;
}

static int acc_batch(trainer *t, batch *b)
{
    for (size_t k = 0; k < t->K; k++)
        if (er_xacc_reserve(&t->xacc[k], b->p))
            return ENGRATE_E_NOMEM;
    group_by_fold(b, t->K);
    for (size_t i = 0; i < b->n; i++) {
        size_t r = b->order[i];
        er_xacc_add(&t->xacc[b->fold[r]], b->idx + b->off[r], b->val + b->off[r],
                    b->off[r + 1] - b->off[r], b->y[r], b->w[r]);
    }
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
    b->p = (uint32_t)tr_sum_terms(t);
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

/* A row to its fold's sums: added here, or (a second thread accumulating) batched. */
static int push_row(trainer *t, size_t nnz, double y, double w, uint32_t fold)
{
    if (!t->threaded) {
        er_xacc *a = &t->xacc[fold];
        size_t p = tr_sum_terms(t);
        if (a->p < p && er_xacc_reserve(a, p))
            return ENGRATE_E_NOMEM;
        er_xacc_add(a, t->ridx, t->rval, nnz, y, w);
        return 0;
    }
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

int tr_threads(const engrate_train_options *o)
{
    if (o->threads)
        return o->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > ER_TEAM_MAX ? ER_TEAM_MAX : (int)n;
}

/* With two processors or more, a second thread accumulates the batches this one fills;
 * else (and in a part of a file read by several threads) rows are added as they come. */
static int pipeline_start(trainer *t)
{
    t->threaded = !t->solo && !t->scan_only && tr_threads(t->o) >= 2;
    if (!t->threaded)
        return 0;
    for (size_t i = 0; i < N_BATCHES; i++) {
        t->batches[i] = calloc(1, sizeof(batch));
        if (!t->batches[i]) {
            t->threaded = 0;
            return ENGRATE_E_NOMEM;
        }
    }
    t->cur = t->batches[0];
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
    t->cur = NULL;
    t->n_free = t->n_full = t->full_head = 0;
    t->done = 0;
    return rc;
}

/* ---- The pass ---------------------------------------------------------------------- */

/* A record the CSV reader refused: skipped and counted (1) under --skip-bad-rows when the
 * reader can go on, else 0 (the error stands). */
static int skip_bad_record(trainer *t, int rc)
{
    if (!er_csv_recoverable(t->csv) || !t->o->skip_bad)
        return 0;
    t->rows_read++;
    tr_skip_row(t, rc == ENGRATE_E_UTF8 ? "invalid UTF-8" : "CSV syntax",
                t->err ? t->err->text : "");
    tr_note_skipped(t, t->err ? t->err->text : "");
    er_error_clear(t->err);
    return 1;
}

/* A row is used: count its levels and their spellings, widen its numeric inputs' ranges
 * (in the data's own units) and count their missing values. */
static void commit_row(trainer *t, size_t nnz)
{
    for (size_t k = 1; k < nnz; k++)
        t->terms[t->ridx[k]].count++;
    for (size_t k = 0; k < t->rsp_n; k++)
        t->spells[t->rsp[k]].count++;
    for (size_t i = 0; i < t->n_in; i++) {
        tinput *in = &t->in[i];
        if (in->kind != ENGRATE_NUMERIC)
            continue;
        double x = t->rx[i];
        if (isnan(x)) {
            in->n_missing++;
            continue;
        }
        if (x < in->min)
            in->min = x;
        if (x > in->max)
            in->max = x;
    }
}

/* Now and then: how much has been read. */
static void report_progress(trainer *t)
{
    if (t->run)
        tr_part_progress(t, er_csv_input_offset(t->csv));
    else
        t->o->progress(er_csv_progress(t->csv), t->o->progress_user);
}

int tr_pass(trainer *t)
{
    const engrate_train_options *o = t->o;
    int rc = 0;
    const er_csv_field *f;
    size_t nf;
    if ((rc = tr_level_cache_reset(t)) || (rc = tr_row_scratch(t)))
        return er_error(t->err, rc, t->source, 0, 0, "out of memory");
    if ((rc = pipeline_start(t))) {
        pipeline_stop(t, 0);
        return er_error(t->err, rc, t->source, 0, 0, "out of memory");
    }
    uint64_t next_progress = 0, next_at = TR_PART_AT_EVERY;
    for (;;) {
        rc = er_csv_next(t->csv, &f, &nf, t->err);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (skip_bad_record(t, rc))
                continue;
            goto out;
        }
        t->rows_read++;
        if (t->run && t->rows_read >= next_at) { /* a record's start, for steals */
            tr_part_at(t);
            next_at = t->rows_read + TR_PART_AT_EVERY;
        }
        size_t nnz = 0;
        double y = 0, w = 1;
        rc = tr_map_row(t, f, nf, &nnz, &y, &w);
        if (rc < 0)
            goto out;
        if (rc == 1)
            continue;
        commit_row(t, nnz);
        while (t->closed && nnz > 1 && t->ridx[nnz - 1] >= t->p_sums)
            nnz--; /* levels the schema drops: counted, no sums */
        uint64_t key;
        uint32_t fold = row_fold(t, &key);
        if (!t->scan_only && ((rc = tr_sample_offer(t, key, t->ridx, t->rval, nnz, y, w, fold)) ||
                              (rc = push_row(t, nnz, y, w, fold)))) {
            rc = er_error(t->err, rc, t->source, 0, 0, "out of memory");
            goto out;
        }
        t->rows_used++;
        if (o->progress && t->rows_read >= next_progress) {
            report_progress(t);
            next_progress = t->rows_read + 65536;
        }
    }
    rc = 0;
out:
    {
        int prc = pipeline_stop(t, rc == 0);
        if (rc == 0 && prc)
            rc = er_error(t->err, prc, t->source, 0, 0, "out of memory");
    }
    for (size_t k = 0; k < t->K; k++) /* the sums whole, for the readers of the Gram */
        er_xacc_settle(&t->xacc[k]);
    if (rc == 0)
        tr_sample_settle(t);
    if (rc == 0 && o->progress && !t->run)
        o->progress(1.0, o->progress_user);
    return rc;
}

int tr_round_sums(trainer *t)
{
    if (!t->acc && !(t->acc = calloc(t->K, sizeof *t->acc)))
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    for (size_t k = 0; k < t->K; k++)
        if (er_xacc_reserve(&t->xacc[k], tr_sum_terms(t)) ||
            er_xacc_round(&t->xacc[k], &t->acc[k]))
            return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}
