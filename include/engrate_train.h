/* engrate_train.h: the public interface of libengrate-train, the trainer.
 *
 * libengrate-train fits models from CSV data and hands them over as engrate_model objects
 * of libengrate (engrate.h), loaded through the same strict loader as a model file. It
 * is a library of its own, on top of libengrate and GSL, so that programs that only
 * estimate load neither: link it with `pkg-config --cflags --libs engrate-train`.
 * Licence: GPL-3.0-or-later (it links GSL); libengrate itself is Apache-2.0 (LICENSE).
 *
 * The conventions of engrate.h hold here too: 0 / pointer on success, negative code /
 * NULL on failure with an optional engrate_error; every object its own *_free that accepts
 * NULL; strings UTF-8 and borrowed. Out of memory anywhere, GSL included, is
 * ENGRATE_E_NOMEM: the trainer never prints or aborts, and never touches GSL's
 * process-wide error handler (docs/training.md, "Memory").
 */
#ifndef ENGRATE_TRAIN_H
#define ENGRATE_TRAIN_H

#include <stddef.h>

#include "engrate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fit a model from a CSV file (RFC 4180, a header row) by ridge-penalised weighted least
 * squares; docs/training.md says how and why, tools/engrate-train.1 what the options do.
 * Training reads the data once with memory that does not grow with the number of rows.
 * The same data and options always give the same model, byte for byte. */

typedef struct engrate_train_options engrate_train_options;
typedef struct engrate_train_report engrate_train_report;

/* New options with the defaults: target "rate", transform log, inputs role (categorical),
 * skills and certs (sets separated by ';') and years (numeric, linear) unless an input is
 * named (an input flag that only changes a default input's SEP or knots keeps them),
 * intercept, lambda auto, 5 folds, min-count 3, interval 0.8, missing values an error,
 * at most 5% of the rows skipped, UTF-8, ',' (TAB for a .tsv file). Free with
 * engrate_train_options_free. NULL when out of memory. */
ENGRATE_API engrate_train_options *engrate_train_options_new(void);
ENGRATE_API void engrate_train_options_free(engrate_train_options *opts);

/* Set an option by the name of the engrate-train flag without its dashes, with the flag's
 * argument as text: "target", "transform" (log|none), "weight", "categorical" COL,
 * "set" COL[:SEP], "numeric" COL[:knots=K1,K2,...] (COL: the header's name for the column,
 * in any language), "no-intercept", "lambda" (auto|VALUE), "folds", "min-count",
 * "interval", "name", "skip-bad-rows", "max-skipped" (a share of the rows, 0 to 1),
 * "missing" (error|skip|impute), "encoding" (UTF-8, CP932 or Shift_JIS, EUC-JP, or an
 * iconv name), "delimiter" (one ASCII character, or "tab"), "levels" FILE,
 * "meta" KEY=VALUE, "source" TEXT, "threads" (0 = as many as pay, 1, 2), "sample" (rows
 * kept for the interval, default 200000). "categorical", "set", "numeric", "meta" and
 * "source" add one more each time; the others replace. Switches ("no-intercept",
 * "skip-bad-rows") take NULL, "", "1", "yes" or "true" to turn on and "0", "no", "false"
 * to turn off. Returns 0, ENGRATE_E_UNKNOWN_KEY for a name that is not an option,
 * ENGRATE_E_INVALID for a bad value (err says which), ENGRATE_E_NOMEM. */
ENGRATE_API int engrate_train_options_set(engrate_train_options *opts, const char *key,
                                          const char *value, engrate_error *err);

/* Optional progress report: fn(done, user) is called now and then from the thread that
 * reads the data, with done the fraction of the input read (0..1). NULL turns it off. */
typedef void (*engrate_train_progress_fn)(double done, void *user);
ENGRATE_API int engrate_train_options_set_progress(engrate_train_options *opts,
                                                   engrate_train_progress_fn fn, void *user);

/* Train from the CSV file at `path` (or from `len` bytes at `data`, named `source` in
 * messages; a name ending in .tsv means TABs). Data that are an accumulator file (a
 * partial, engrate_train_acc_save) are finished as engrate_train_acc_finish does. Returns the new model (free with
 * engrate_model_free; save it with engrate_model_save) or NULL with err filled: a
 * malformed row is ENGRATE_E_SYNTAX, ENGRATE_E_NUMBER, ENGRATE_E_DATA, ENGRATE_E_UTF8 ...
 * with the physical line and byte column of the field in err, and a message naming the
 * column, e.g. "data.csv:12:3: column 'years': '12a' is not a number"; more skipped rows
 * than "max-skipped" allows, or a fit that has lost every level, is ENGRATE_E_DATA; a
 * design that cannot be solved reliably is ENGRATE_E_SINGULAR. When `report` is not NULL, *report receives the
 * training report (free with engrate_train_report_free) whenever the data were read and
 * fitted, even if the model could then not be made (e.g. ENGRATE_E_LIMIT: a numeric
 * range beyond the model format's limits); otherwise it is set to NULL. */
ENGRATE_API engrate_model *engrate_train_csv(const char *path, const engrate_train_options *opts,
                                             engrate_train_report **report, engrate_error *err);
ENGRATE_API engrate_model *engrate_train_csv_buffer(const char *data, size_t len,
                                                    const char *source,
                                                    const engrate_train_options *opts,
                                                    engrate_train_report **report,
                                                    engrate_error *err);

ENGRATE_API void engrate_train_report_free(engrate_train_report *report);

/* A number from the report by key: "n" (rows used), "p" (coefficients estimated, the
 * intercept included), "lambda", "r_squared", "residual_sd", "df" (effective number of
 * parameters), "condition_number", "rows_read", "rows_skipped", "rows_empty", "folds",
 * "cv_rmse",
 * "cv_mape", "coverage", "interval_level", "interval_low", "interval_high". NaN when the
 * key is unknown or the value does not apply. */
ENGRATE_API double engrate_train_report_value(const engrate_train_report *report,
                                              const char *key);
/* The estimated coefficients, the intercept first: the term's name ("(intercept)",
 * "years", "years>5", "role=pm"), the estimate and its standard error. */
ENGRATE_API size_t engrate_train_report_term_count(const engrate_train_report *report);
ENGRATE_API const char *engrate_train_report_term(const engrate_train_report *report, size_t i);
ENGRATE_API double engrate_train_report_estimate(const engrate_train_report *report, size_t i);
ENGRATE_API double engrate_train_report_std_error(const engrate_train_report *report,
                                                  size_t i);
/* Notes: levels dropped or kept without evidence, rows skipped (the first few, with their
 * error), the choice of lambda. */
ENGRATE_API size_t engrate_train_report_note_count(const engrate_train_report *report);
ENGRATE_API const char *engrate_train_report_note(const engrate_train_report *report, size_t i);
/* The report as one JSON object (docs/training.md, "The report", lists its keys, the
 * figures' data among them: engrate-report draws it), and as the few lines of text
 * engrate-train prints; both owned by the report. */
ENGRATE_API const char *engrate_train_report_json(const engrate_train_report *report);
ENGRATE_API const char *engrate_train_report_summary(const engrate_train_report *report);
/* Write the report's JSON to path as engrate_model_save writes a model: atomically, so that
 * the file is the old one or the whole new one, and nothing partial is left if the process
 * is stopped. 0, or ENGRATE_E_INVALID (NULL), ENGRATE_E_IO, ENGRATE_E_NOMEM. */
ENGRATE_API int engrate_train_report_save(const engrate_train_report *report,
                                          const char *path, engrate_error *err);

/* ---- Training in parts --------------------------------------------------------------------
 * The pass over the data can be split among threads, processes or machines and merged:
 * docs/distributed.md says how, docs/accumulator.md what the files hold. An accumulator
 * is either a SCAN (the levels seen, with their spellings and counts, the numeric ranges
 * and the rows: enough to agree on the levels before the sums are made) or a PARTIAL (the
 * same and the exact sums of the rows' products per cross-validation fold, and the rows
 * kept for calibrating the interval). Scans merge into a schema; partials merge into the
 * accumulator of all their rows, which finishes as the model that one pass over all the
 * rows gives, byte for byte when merged in the data's order (with --folds-by content, the
 * default). Accumulators made with different options, inputs, levels files or schemas do
 * not merge (the error says what differs). An accumulator is owned by its caller and
 * freed with engrate_train_acc_free; it may be used by one thread at a time. */

typedef struct engrate_train_acc engrate_train_acc;

#define ENGRATE_ACC_SCAN 1
#define ENGRATE_ACC_PARTIAL 2

/* Scan, or accumulate without solving, the CSV file at `path` (or `len` bytes at `data`,
 * named `source` in messages) with the options (the "schema" option, if set, fixes the
 * levels: engrate_train_options_set_schema). Returns the new accumulator, or NULL with err
 * filled as engrate_train_csv fills it (a malformed row, ENGRATE_E_NOMEM, ...); "--folds-by
 * order" is ENGRATE_E_INVALID (it numbers the rows of one pass). */
ENGRATE_API engrate_train_acc *engrate_train_scan(const char *path,
                                                  const engrate_train_options *opts,
                                                  engrate_error *err);
ENGRATE_API engrate_train_acc *engrate_train_scan_buffer(const char *data, size_t len,
                                                         const char *source,
                                                         const engrate_train_options *opts,
                                                         engrate_error *err);
ENGRATE_API engrate_train_acc *engrate_train_partial(const char *path,
                                                     const engrate_train_options *opts,
                                                     engrate_error *err);
ENGRATE_API engrate_train_acc *engrate_train_partial_buffer(const char *data, size_t len,
                                                            const char *source,
                                                            const engrate_train_options *opts,
                                                            engrate_error *err);
ENGRATE_API void engrate_train_acc_free(engrate_train_acc *acc);

/* ENGRATE_ACC_SCAN or ENGRATE_ACC_PARTIAL (0 for NULL). */
ENGRATE_API int engrate_train_acc_kind(const engrate_train_acc *acc);
/* A number by key: "rows_read", "rows_used", "rows_skipped", "rows_empty", "terms",
 * "levels", "folds", "sample" (rows kept; NaN for a scan). NaN for an unknown key. */
ENGRATE_API double engrate_train_acc_value(const engrate_train_acc *acc, const char *key);

/* into += from: the accumulator of both parts' rows, as if into's data were followed by
 * from's (merge in the data's order to get the single pass's model byte for byte; any
 * order gives the same sums). `from` is not changed. Returns 0, ENGRATE_E_INVALID when
 * they were made differently (scan and partial, options, inputs, headers, levels files,
 * schemas: err says which and how), ENGRATE_E_LIMIT (more than 1000 terms together),
 * ENGRATE_E_NOMEM. After a failure other than ENGRATE_E_INVALID, `into` is left
 * incomplete and every later use of it fails: free it. */
ENGRATE_API int engrate_train_acc_merge(engrate_train_acc *into, const engrate_train_acc *from,
                                        engrate_error *err);

/* Solve a partial: lambda, the model and the report, as engrate_train_csv gives them for
 * the same rows. The fit's options (lambda, min-count, interval, no-intercept, name, meta,
 * source, max-skipped) come from opts; what the sums were made with (target, weight,
 * transform, inputs, missing, folds, sample, levels file, schema) from the accumulator,
 * and opts may repeat them but not contradict them (ENGRATE_E_INVALID). A scan is
 * ENGRATE_E_INVALID. The accumulator is not changed. */
ENGRATE_API engrate_model *engrate_train_acc_finish(const engrate_train_acc *acc,
                                                    const engrate_train_options *opts,
                                                    engrate_train_report **report,
                                                    engrate_error *err);

/* The accumulator file (docs/accumulator.md): saved atomically as models are; as bytes
 * (owned by the caller, freed with engrate_train_acc_buffer_free; the same accumulator
 * always gives the same bytes); loaded back strictly (a malformed, damaged or cut file is
 * an error naming the byte and section; a file of a newer format is ENGRATE_E_VERSION).
 * engrate_train_csv given an accumulator file (a partial) finishes it. */
ENGRATE_API int engrate_train_acc_save(const engrate_train_acc *acc, const char *path,
                                       engrate_error *err);
ENGRATE_API void *engrate_train_acc_to_buffer(const engrate_train_acc *acc, size_t *len,
                                              engrate_error *err);
ENGRATE_API void engrate_train_acc_buffer_free(void *buf);
ENGRATE_API engrate_train_acc *engrate_train_acc_load(const char *path, engrate_error *err);
ENGRATE_API engrate_train_acc *engrate_train_acc_load_buffer(const void *data, size_t len,
                                                             const char *source,
                                                             engrate_error *err);

/* The schema: a scan (merged from the scans of every part of the data) whose levels the
 * pass then uses: levels seen fewer than --min-count times in the whole scan get no sums
 * anywhere, and a level the scan did not see is a row error. The same as the "schema"
 * option with a scan file's path. The options keep a copy; NULL clears it. 0,
 * ENGRATE_E_INVALID (not a scan), ENGRATE_E_NOMEM. */
ENGRATE_API int engrate_train_options_set_schema(engrate_train_options *opts,
                                                 const engrate_train_acc *scan,
                                                 engrate_error *err);

#ifdef __cplusplus
}
#endif

#endif /* ENGRATE_TRAIN_H */
