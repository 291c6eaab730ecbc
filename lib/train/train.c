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

#include "trainer.h"

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
    free(t->spells);
    free(t->rsp);
    free(t->ridx);
    free(t->rval);
    free(t->lres);
    free(t->nres);
    for (size_t i = 0; t->in && i < t->n_in; i++)
        free(t->in[i].inter);
    er_pool_free(&t->pool);
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
    uint64_t empty = er_csv_empty_records(t->csv);
    t->rep->rows_empty = (double)empty;
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        if (in->kind == ENGRATE_NUMERIC && in->n_missing)
            er_report_note(t->rep, "%s: %llu missing values imputed with %.6g (the weighted "
                                   "mean of the values given), with the term '%s (missing)'",
                           in->label, (unsigned long long)in->n_missing, in->imputed,
                           in->label);
    }
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
    if (tr_setup(&t) || tr_pass(&t) || check_skipped(&t))
        goto done;
    t.rep->rows_read = (double)t.rows_read;
    t.rep->rows_skipped = (double)t.rows_skipped;
    tr_impute(&t);
    note_data(&t);
    if (tr_curves_centre(&t) || tr_name_levels(&t) || tr_assign_ids(&t) ||
        tr_fit_all(&t, &sel, &oc))
        goto done;
    t.rep->by_ratio = oc.by_ratio;
    t.rep->cv_pooled = t.K >= 2 ? oc.cv_pooled : NAN;
    if (tr_report_terms(&t, &sel, &oc) || tr_report_inputs(&t, &sel, &oc) ||
        tr_report_base(&t, &sel, &oc) || er_report_render(t.rep)) {
        er_error(&local, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    fitted = 1;
    m = tr_build_model(&t, &sel, &oc);
done:
    if (report && fitted) {
        *report = t.rep;
        t.rep = NULL;
    }
    engrate_train_report_free(t.rep);
    tr_outcome_free(&oc, t.K);
    tr_selection_free(&sel);
    trainer_free(&t);
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
    if (tr_csv_format(c, opts, path, err)) {
        er_csv_close(c);
        return NULL;
    }
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
    if (tr_csv_format(c, opts, source, err)) {
        er_csv_close(c);
        return NULL;
    }
    engrate_model *m = train(c, opts, report, err);
    er_csv_close(c);
    return m;
}
