/* train-parts.c: engrate-train in parts. Each input (a CSV file, or with --merge an
 * accumulator file) becomes an accumulator, merged into the first in the order given;
 * then the result is written as a scan (--scan), a partial (--partial), or solved into the
 * model (-o). docs/distributed.md shows the commands. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <engrate.h>
#include <engrate_train.h>

#include "report-html.h"
#include "train-parts.h"

/* The accumulator of input i: scanned, accumulated, or loaded. */
static engrate_train_acc *one(const parts_job *job, const engrate_train_options *opts, int i,
                              engrate_error *err)
{
    const char *path = job->inputs[i];
    if (job->merge)
        return engrate_train_acc_load(path, err);
    if (job->scan)
        return engrate_train_scan(path, opts, err);
    return engrate_train_partial(path, opts, err);
}

/* Every input, merged in order. */
static engrate_train_acc *gather(const parts_job *job, const engrate_train_options *opts,
                                 engrate_error *err)
{
    engrate_train_acc *all = NULL;
    for (int i = 0; i < job->n_inputs; i++) {
        engrate_train_acc *a = one(job, opts, i, err);
        if (!a) {
            engrate_train_acc_free(all);
            return NULL;
        }
        int want = job->scan ? ENGRATE_ACC_SCAN : ENGRATE_ACC_PARTIAL;
        if (engrate_train_acc_kind(a) != want) {
            snprintf(err->text, sizeof err->text, "%s: a %s, where %s are merged", job->inputs[i],
                     want == ENGRATE_ACC_SCAN ? "partial" : "scan",
                     want == ENGRATE_ACC_SCAN ? "scans (--scan)" : "partials");
            engrate_train_acc_free(a);
            engrate_train_acc_free(all);
            return NULL;
        }
        if (!all) {
            all = a;
            continue;
        }
        int rc = engrate_train_acc_merge(all, a, err);
        engrate_train_acc_free(a);
        if (rc) {
            engrate_train_acc_free(all);
            return NULL;
        }
    }
    return all;
}

static void summary(const parts_job *job, const engrate_train_acc *a, const char *what,
                    const char *path)
{
    if (job->quiet)
        return;
    double skipped = engrate_train_acc_value(a, "rows_skipped");
    fprintf(stderr, "%s of %.0f rows (%.0f used, %.0f skipped), %.0f levels, from %d input%s "
                    "written to %s\n",
            what, engrate_train_acc_value(a, "rows_read"), engrate_train_acc_value(a, "rows_used"),
            isnan(skipped) ? 0 : skipped, engrate_train_acc_value(a, "levels"), job->n_inputs,
            job->n_inputs > 1 ? "s" : "", path);
}

int write_outputs(const parts_job *job, engrate_model *m, engrate_train_report *report,
                  const engrate_error *fit_err)
{
    engrate_error err, rerr;
    int status = 0, json_saved = 0;
    if (report && !job->quiet)
        fputs(engrate_train_report_summary(report), stderr);
    if (report && job->report && engrate_train_report_save(report, job->report, &rerr)) {
        fprintf(stderr, "engrate-train: the report: %s\n", rerr.text);
        status = 1;
    } else {
        json_saved = report && job->report;
    }
    if (!m) {
        fprintf(stderr, "engrate-train: %s\n", fit_err->text);
        status = 1;
    } else if (engrate_model_save(m, job->model, 0, &err) < 0) {
        fprintf(stderr, "engrate-train: %s\n", err.text);
        status = 1;
    } else if (!job->quiet) {
        fprintf(stderr, "model written to %s\n", job->model);
    }
    if (report && job->html &&
        report_html(report, job->html, job->lang, json_saved ? job->report : NULL, job->quiet) &&
        status == 0)
        status = 3;
    engrate_model_free(m);
    engrate_train_report_free(report);
    return status;
}

/* Solve, then write what the job asks for. */
static int solve(const parts_job *job, const engrate_train_acc *all,
                 const engrate_train_options *opts)
{
    engrate_error err;
    engrate_train_report *report = NULL;
    engrate_model *m = engrate_train_acc_finish(all, opts, &report, &err);
    return write_outputs(job, m, report, &err);
}

int run_parts(const parts_job *job, engrate_train_options *opts)
{
    engrate_error err;
    err.text[0] = '\0';
    engrate_train_acc *all = gather(job, opts, &err);
    if (!all) {
        fprintf(stderr, "engrate-train: %s\n", err.text);
        return 1;
    }
    int status = 0;
    const char *out = job->scan ? job->scan : job->partial;
    if (out) {
        if (engrate_train_acc_save(all, out, &err)) {
            fprintf(stderr, "engrate-train: %s\n", err.text);
            status = 1;
        } else {
            summary(job, all, job->scan ? "scan" : "partial", out);
        }
    }
    if (job->model && status == 0)
        status = solve(job, all, opts);
    engrate_train_acc_free(all);
    return status;
}
