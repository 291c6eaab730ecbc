/* train-parts.h: engrate-train's training in parts (--scan, --partial, --merge, several
 * data files), in train-parts.c, on the library's accumulator API. */
#ifndef ENGRATE_TRAIN_PARTS_H
#define ENGRATE_TRAIN_PARTS_H

#include <engrate_train.h>

typedef struct parts_job {
    const char *scan;     /* --scan OUT: write the scan (or the scans merged) there */
    const char *partial;  /* --partial OUT: write the partial (or the partials merged) */
    const char *model;    /* -o MODEL: solve and write the model */
    const char *report;   /* --report-json FILE */
    const char *html;     /* --report-html FILE (report-html.h) */
    const char *lang;     /* --report-lang: en or ja */
    int merge;            /* --merge: the inputs are accumulator files, not CSV */
    int quiet;
    char **inputs;
    int n_inputs;
} parts_job;

/* Print the summary, write the JSON report, the model and the HTML report as the job
 * asks, and free m and report: the exit status (0; 1 when the fit failed (fit_err says
 * why) or a file could not be written; 3 when only the HTML report could not be drawn). */
int write_outputs(const parts_job *job, engrate_model *m, engrate_train_report *report,
                  const engrate_error *fit_err);

/* Run the job with the options; the exit status (0, 1, or 3 when only the HTML report
 * could not be drawn). Messages on stderr. */
int run_parts(const parts_job *job, engrate_train_options *opts);

#endif
