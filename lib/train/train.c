/* train.c: the entry points, engrate_train_csv and engrate_train_csv_buffer: the
 * trainer's state, its steps in order (tr_setup, tr_pass, the rows skipped, tr_impute,
 * the levels' names and ids, tr_fit_all, the report, tr_build_model), and its release.
 * docs/training.md says how and why. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "accfile.h"
#include "accum.h"

int tr_init(trainer *t, const engrate_train_options *o, engrate_error *err)
{
    memset(t, 0, sizeof *t);
    t->o = o;
    t->err = err;
    t->rep = er_report_new();
    t->K = o->folds >= 2 ? (size_t)o->folds : 1;
    t->xacc = calloc(t->K, sizeof *t->xacc);
    for (size_t k = 0; t->xacc && k < t->K; k++)
        er_xacc_init(&t->xacc[k]);
    t->sample_cap = o->sample;
    if (!t->rep || !t->xacc || !(t->rep->target = er_dup_str(o->target)))
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    t->rep->transform = o->transform;
    return 0;
}

int tr_init_part(trainer *t, const trainer *whole, engrate_error *err, struct shard_run *run,
                 size_t i)
{
    int rc = tr_init(t, whole->o, err);
    t->scan_only = whole->scan_only;
    t->solo = 1;
    t->run = run;
    t->part = i;
    return rc;
}

void tr_release(trainer *t)
{
    tr_sample_join(t);
    for (size_t k = 0; t->acc && k < t->K; k++)
        er_acc_free(&t->acc[k]);
    free(t->acc);
    for (size_t k = 0; t->xacc && k < t->K; k++)
        er_xacc_free(&t->xacc[k]);
    free(t->xacc);
    tr_sample_free(t);
    free(t->terms);
    free(t->slots);
    free(t->fslots);
    free(t->lf);
    free(t->spells);
    free(t->rsp);
    free(t->ridx);
    free(t->rval);
    free(t->lres);
    free(t->nres);
    free(t->tval);
    free(t->lcache);
    er_csv_close(t->csv);
    engrate_train_report_free(t->rep);
    for (size_t i = 0; t->in && i < t->n_in; i++)
        free(t->in[i].inter);
    er_pool_free(&t->pool);
    memset(t, 0, sizeof *t);
}

/* Rows skipped for a fault or a missing value, beyond --max-skipped: an error that says
 * how many, why, and the first. */
static int check_skipped(trainer *t)
{
    const engrate_train_report *r = t->rep;
    if (t->rows_bad == 0 || (double)t->rows_bad <= t->o->max_skipped * (double)t->rows_read)
        return 0;
    char why[160];
    size_t o = 0;
    why[0] = '\0';
    for (size_t i = 0; i < r->n_reasons && o + 8 < sizeof why; i++)
        if (strcmp(r->reasons[i].what, "zero weight"))
            o += (size_t)snprintf(why + o, sizeof why - o, "%s%s %llu", o ? ", " : "",
                                  r->reasons[i].what, (unsigned long long)r->reasons[i].count);
    return er_error(t->err, ENGRATE_E_DATA, t->source, 0, 0,
                    "%llu of %llu rows skipped (%.1f%%), more than --max-skipped %g allows (%s); "
                    "the first: %s",
                    (unsigned long long)t->rows_bad, (unsigned long long)t->rows_read,
                    100.0 * (double)t->rows_bad / (double)t->rows_read, t->o->max_skipped, why,
                    t->first_bad);
}

/* What the report says of the data beyond the fit: empty rows, values imputed. */
static void note_data(trainer *t)
{
    t->rep->rows_empty = (double)t->rows_empty;
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        if (in->kind == ENGRATE_NUMERIC && in->n_missing)
            er_report_note(t->rep, "%s: %llu missing values imputed with %.6g (the weighted "
                                   "mean of the values given), with the term '%s (missing)'",
                           in->label, (unsigned long long)in->n_missing, in->imputed,
                           in->label);
    }
}

engrate_model *tr_finish(trainer *t, engrate_train_report **report)
{
    selection sel;
    memset(&sel, 0, sizeof sel);
    outcome oc;
    memset(&oc, 0, sizeof oc);
    engrate_model *m = NULL;
    int fitted = 0;
    if (report)
        *report = NULL;
    if (tr_round_sums(t) || check_skipped(t))
        goto done;
    t->rep->rows_read = (double)t->rows_read;
    t->rep->rows_skipped = (double)t->rows_skipped;
    tr_impute(t);
    note_data(t);
    if (tr_curves_centre(t) || tr_name_levels(t) || tr_assign_ids(t) ||
        tr_fit_all(t, &sel, &oc))
        goto done;
    t->rep->by_ratio = oc.by_ratio;
    t->rep->cv_pooled = t->K >= 2 ? oc.cv_pooled : NAN;
    if (tr_report_terms(t, &sel, &oc) || tr_report_inputs(t, &sel, &oc) ||
        tr_report_base(t, &sel, &oc) || er_report_render(t->rep)) {
        er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    fitted = 1;
    m = tr_build_model(t, &sel, &oc);
done:
    if (report && fitted) {
        *report = t->rep;
        t->rep = NULL;
    }
    tr_outcome_free(&oc, t->K);
    tr_selection_free(&sel);
    return m;
}

er_csv *tr_open(const tr_source *src, const engrate_train_options *o, engrate_error *err)
{
    er_csv *c = src->path ? er_csv_open(src->path, err)
                          : er_csv_open_buffer(src->data, src->len, src->name, err);
    if (c && tr_csv_format(c, o, src->path ? src->path : src->name, err)) {
        er_csv_close(c);
        return NULL;
    }
    return c;
}

/* Open the data and read its header and the levels file. */
static int open_and_setup(trainer *t, const tr_source *src)
{
    if (!(t->csv = tr_open(src, t->o, t->err)))
        return t->err->code;
    const char *name = er_csv_source(t->csv);
    if (!(t->source = er_pool_strndup(&t->pool, name, strlen(name))))
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    int rc = tr_setup(t);
    t->n_setup_notes = t->rep->n_notes;
    return rc;
}

int tr_read(trainer *t, const tr_source *src, int split)
{
    t->parts_read = 1;
    int rc = open_and_setup(t, src);
    if (rc == 0) {
        size_t n = split ? tr_parts_wanted(t, er_csv_size(t->csv)) : 1;
        if (n > 1) {
            t->solo = 1;
            rc = tr_pass_parts(t, src, n);
            t->solo = 0;
        } else {
            rc = tr_pass(t);
        }
    }
    if (t->csv)
        t->rows_empty += er_csv_empty_records(t->csv);
    er_csv_close(t->csv);
    t->csv = NULL;
    return rc;
}

int tr_read_part(trainer *t, const tr_source *src, uint64_t start, uint64_t end, int line)
{
    int rc = open_and_setup(t, src);
    if (rc == 0)
        rc = er_csv_range(t->csv, start, end, line, t->err);
    if (rc == 0) {
        tr_part_attach(t);
        rc = tr_pass(t);
    }
    if (t->csv)
        t->rows_empty += er_csv_empty_records(t->csv);
    return rc; /* the reader stays open: shard.c asks whether it was cut */
}

/* Read and fit: in parts when the options allow, or as one when the parts' cuts turn out
 * not to be records' ends. */
static engrate_model *train(const tr_source *src, const engrate_train_options *opts,
                            engrate_train_report **report, engrate_error *err)
{
    engrate_error local;
    er_error_clear(&local);
    trainer t;
    engrate_model *m = NULL;
    int rc = tr_init(&t, opts, &local);
    t.defer_sample = 1; /* tr_finish waits for it before the calibration */
    if (rc == 0 && (rc = tr_read(&t, src, 1)) == TR_RESPLIT) {
        tr_release(&t);
        er_error_clear(&local);
        if ((rc = tr_init(&t, opts, &local)) == 0)
            rc = tr_read(&t, src, 0);
    }
    if (rc == 0)
        m = tr_finish(&t, report);
    tr_release(&t);
    if (err)
        *err = local;
    return m;
}

/* The reader's delimiter (given, else TAB for a .tsv file, else ',') and encoding. */
int tr_csv_format(er_csv *c, const engrate_train_options *o, const char *name,
                  engrate_error *err)
{
    size_t n = name ? strlen(name) : 0;
    int tsv = n >= 4 && !strcasecmp(name + n - 4, ".tsv");
    int rc = er_csv_set_delimiter(c, o->delimiter ? o->delimiter : tsv ? '\t' : ',', err);
    return rc ? rc : er_csv_set_encoding(c, o->encoding, err);
}

/* Whether the file at path begins as an accumulator file does. Only a regular file is
 * looked at: what is read from a pipe (/dev/stdin, a shell's <(...)) is gone, and the data
 * would be read again without their first bytes. */
static int file_is_accumulator(const char *path)
{
    char head[64];
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return acc_is_file(head, n);
}

/* An accumulator file given as the data: a partial, finished. */
static engrate_model *finish_file(const unsigned char *data, size_t len, const char *source,
                                  const engrate_train_options *opts,
                                  engrate_train_report **report, engrate_error *err)
{
    engrate_train_acc *a = tr_acc_from_bytes(data, len, source, err);
    engrate_model *m = a ? tr_acc_finish(a, opts, report, err) : NULL;
    engrate_train_acc_free(a);
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
    if (file_is_accumulator(path)) {
        unsigned char *data;
        size_t len;
        if (tr_read_file(path, ACC_MAX_FILE_BYTES, &data, &len, err))
            return NULL;
        engrate_model *m = finish_file(data, len, path, opts, report, err);
        free(data);
        return m;
    }
    tr_source src = {path, NULL, 0, NULL};
    return train(&src, opts, report, err);
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
    if (data && acc_is_file(data, len))
        return finish_file((const unsigned char *)data, len, source ? source : "<buffer>", opts,
                           report, err);
    tr_source src = {NULL, data ? data : "", len, source ? source : "<buffer>"};
    return train(&src, opts, report, err);
}
