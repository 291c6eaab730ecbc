/* train.c: the entry points, engrate_train_csv and engrate_train_csv_buffer: the
 * trainer's state, its steps in order (tr_setup, tr_pass, tr_fit_all, the report,
 * tr_build_model), and its release. docs/training.md says how and why. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (tr_setup(&t) || tr_pass(&t))
        goto done;
    t.rep->rows_read = (double)t.rows_read;
    t.rep->rows_skipped = (double)t.rows_skipped;
    if (tr_fit_all(&t, &sel, &oc))
        goto done;
    if (tr_report_terms(&t, &sel, &oc) || er_report_render(t.rep)) {
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
