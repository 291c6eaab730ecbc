/* accum.c: training in parts (engrate_train_scan, _partial, engrate_train_acc_*): an
 * accumulator is a trainer after its pass, kept with the options it was made with. Scans
 * merge into a schema, partials into the sums of all the data, which finish as the model
 * one pass over all of it would give (docs/distributed.md). Merging refuses accumulators
 * made with other options, inputs, levels files or schemas, and says which. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accfile.h"
#include "accum.h"

ENGRATE_API void engrate_train_acc_free(engrate_train_acc *a)
{
    if (!a)
        return;
    tr_release(&a->t);
    engrate_train_options_free(a->o);
    free(a);
}

/* ---- Files -------------------------------------------------------------------------------- */

int tr_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
                 engrate_error *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f)
        return er_error(err, errno == ENOMEM ? ENGRATE_E_NOMEM : ENGRATE_E_IO, path, 0, 0,
                        "cannot open: %s", strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        fclose(f);
        return er_error(err, ENGRATE_E_LIMIT, path, 0, 0,
                        "not a regular file of at most %zu bytes", max);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return er_error(err, ENGRATE_E_NOMEM, path, 0, 0, "out of memory");
    }
    size_t got = fread(buf, 1, n, f);
    int bad = got != n || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return er_error(err, ENGRATE_E_IO, path, 0, 0, "read error");
    }
    *data = buf;
    *len = n;
    return 0;
}

/* ---- Making one ----------------------------------------------------------------------- */

static engrate_train_acc *acc_alloc(const engrate_train_options *opts, engrate_error *err)
{
    engrate_train_acc *a = calloc(1, sizeof *a);
    if (!a || !(a->o = er_options_dup(opts))) {
        free(a);
        er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    return a;
}

/* The levels file's identity, so that accumulators made with another one are not merged. */
static int hash_levels(engrate_train_options *o, engrate_error *err)
{
    if (!o->levels)
        return 0;
    unsigned char *data;
    size_t len;
    int rc = tr_read_file(o->levels, ER_MAX_FILE_BYTES, &data, &len, err);
    if (rc)
        return rc;
    o->levels_hash = acc_fnv64(data, len) | 1; /* never 0: 0 says "none" */
    free(data);
    return 0;
}

static engrate_train_acc *accumulate(const tr_source *src, const engrate_train_options *opts,
                                     int kind, engrate_error *err)
{
    er_error_clear(err);
    if (!opts || (!src->path && !src->data))
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no data or no options"), NULL;
    if (opts->folds_by == ER_FOLDS_BY_ORDER)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "--folds-by order numbers the rows of one file read in one pass; "
                        "training in parts needs --folds-by content"),
               NULL;
    engrate_train_acc *a = acc_alloc(opts, err);
    if (!a)
        return NULL;
    a->kind = kind;
    int rc = hash_levels(a->o, &a->err);
    for (int split = 1; rc == 0 || rc == TR_RESPLIT; split = 0) {
        tr_release(&a->t);
        er_error_clear(&a->err);
        if ((rc = tr_init(&a->t, a->o, &a->err)) == 0) {
            a->t.scan_only = kind == ACC_KIND_SCAN;
            rc = tr_read(&a->t, src, split);
        }
        if (rc != TR_RESPLIT || !split)
            break;
    }
    if (rc) {
        if (err)
            *err = a->err;
        engrate_train_acc_free(a);
        return NULL;
    }
    snprintf(a->origin, sizeof a->origin, "%s", a->t.source ? a->t.source : "?");
    return a;
}

ENGRATE_API engrate_train_acc *engrate_train_scan(const char *path,
                                                  const engrate_train_options *opts,
                                                  engrate_error *err)
{
    tr_source src = {path, NULL, 0, NULL};
    return accumulate(&src, opts, ACC_KIND_SCAN, err);
}

ENGRATE_API engrate_train_acc *engrate_train_scan_buffer(const char *data, size_t len,
                                                         const char *source,
                                                         const engrate_train_options *opts,
                                                         engrate_error *err)
{
    tr_source src = {NULL, data ? data : (len ? NULL : ""), len, source ? source : "<buffer>"};
    return accumulate(&src, opts, ACC_KIND_SCAN, err);
}

ENGRATE_API engrate_train_acc *engrate_train_partial(const char *path,
                                                     const engrate_train_options *opts,
                                                     engrate_error *err)
{
    tr_source src = {path, NULL, 0, NULL};
    return accumulate(&src, opts, ACC_KIND_PARTIAL, err);
}

ENGRATE_API engrate_train_acc *engrate_train_partial_buffer(const char *data, size_t len,
                                                            const char *source,
                                                            const engrate_train_options *opts,
                                                            engrate_error *err)
{
    tr_source src = {NULL, data ? data : (len ? NULL : ""), len, source ? source : "<buffer>"};
    return accumulate(&src, opts, ACC_KIND_PARTIAL, err);
}

/* ---- Bytes and files ------------------------------------------------------------------- */

static int usable(const engrate_train_acc *a, engrate_error *err)
{
    if (!a)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no accumulator");
    if (a->broken)
        return er_error(err, ENGRATE_E_INVALID, a->t.source, 0, 0,
                        "this accumulator was left incomplete by a merge that failed");
    return 0;
}

int tr_acc_bytes(const engrate_train_acc *a, er_buf *b, engrate_error *err)
{
    memset(b, 0, sizeof *b);
    if (usable(a, err))
        return err ? err->code : ENGRATE_E_INVALID;
    acc_write(&a->t, a->o, b);
    if (b->failed) {
        free(b->s);
        memset(b, 0, sizeof *b);
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    return 0;
}

ENGRATE_API void *engrate_train_acc_to_buffer(const engrate_train_acc *a, size_t *len,
                                              engrate_error *err)
{
    er_buf b;
    er_error_clear(err);
    if (len)
        *len = 0;
    if (!len)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no length"), NULL;
    if (tr_acc_bytes(a, &b, err))
        return NULL;
    *len = b.len;
    return b.s;
}

ENGRATE_API void engrate_train_acc_buffer_free(void *buf) { free(buf); }

ENGRATE_API int engrate_train_acc_save(const engrate_train_acc *a, const char *path,
                                       engrate_error *err)
{
    er_buf b;
    er_error_clear(err);
    if (!path)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no path");
    int rc = tr_acc_bytes(a, &b, err);
    if (rc == 0)
        rc = er_save_text(path, b.s, b.len, err);
    free(b.s);
    return rc;
}

engrate_train_acc *tr_acc_from_bytes(const unsigned char *data, size_t len, const char *source,
                                     engrate_error *err)
{
    engrate_train_acc *a = calloc(1, sizeof *a);
    if (!a)
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory"), NULL;
    int rc = acc_read(data, len, source, &a->t, &a->o, &a->err);
    a->t.err = &a->err;
    a->kind = a->t.scan_only ? ACC_KIND_SCAN : ACC_KIND_PARTIAL;
    snprintf(a->origin, sizeof a->origin, "%s", source);
    if (rc) {
        if (err)
            *err = a->err;
        engrate_train_acc_free(a);
        return NULL;
    }
    return a;
}

ENGRATE_API engrate_train_acc *engrate_train_acc_load_buffer(const void *data, size_t len,
                                                             const char *source,
                                                             engrate_error *err)
{
    er_error_clear(err);
    if (!data && len)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no data"), NULL;
    return tr_acc_from_bytes(data ? data : "", len, source ? source : "<buffer>", err);
}

ENGRATE_API engrate_train_acc *engrate_train_acc_load(const char *path, engrate_error *err)
{
    unsigned char *data;
    size_t len;
    er_error_clear(err);
    if (!path)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no path"), NULL;
    if (tr_read_file(path, ACC_MAX_FILE_BYTES, &data, &len, err))
        return NULL;
    engrate_train_acc *a = tr_acc_from_bytes(data, len, path, err);
    free(data);
    return a;
}

/* ---- What it holds -------------------------------------------------------------------- */

ENGRATE_API int engrate_train_acc_kind(const engrate_train_acc *a)
{
    return !a ? 0 : a->kind == ACC_KIND_SCAN ? ENGRATE_ACC_SCAN : ENGRATE_ACC_PARTIAL;
}

ENGRATE_API double engrate_train_acc_value(const engrate_train_acc *a, const char *key)
{
    if (!a || !key)
        return NAN;
    const trainer *t = &a->t;
    size_t levels = 0;
    for (size_t j = 1; j < t->n_terms; j++)
        levels += t->in[t->terms[j].input].kind != ENGRATE_NUMERIC;
    const struct {
        const char *key;
        double v;
    } kv[] = {{"rows_read", (double)t->rows_read},
              {"rows_used", (double)t->rows_used},
              {"rows_skipped", (double)t->rows_skipped},
              {"rows_empty", (double)t->rows_empty},
              {"terms", (double)t->n_terms},
              {"levels", (double)levels},
              {"folds", (double)t->K},
              {"sample", a->kind == ACC_KIND_SCAN ? NAN : (double)t->sample_n}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (!strcmp(key, kv[i].key))
            return kv[i].v;
    return NAN;
}
