/* train.h: what the trainer's files share: its options (options.c), the report it fills
 * (report.c writes it out as JSON and text) and a small growable string buffer. */
#ifndef ER_TRAIN_TRAIN_H
#define ER_TRAIN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "engrate_train.h"

/* Reservoir size, Gram size limit. */
#define ER_TRAIN_SAMPLE_DEFAULT 200000
#define ER_TRAIN_MAX_TERMS 1000
#define ER_TRAIN_MAX_NOTES 200

/* What --missing does with an empty or NA numeric cell. */
enum { ER_MISSING_ERROR, ER_MISSING_SKIP, ER_MISSING_IMPUTE };
/* --folds-by: a row's fold (and its place in the interval's sample) from its content, or
 * from its number in the file (as engrate did before 0.2; one pass over one file only). */
enum { ER_FOLDS_BY_CONTENT, ER_FOLDS_BY_ORDER };

/* The options (options.c), as the trainer reads them. */
/* How a numeric curve varies by the levels of its by-column (--numeric COL:by=BY:vary=):
 * each level's own slope (the default), or its own change of slope at every knot too. */
enum { ER_VARY_DEFAULT, ER_VARY_SLOPE, ER_VARY_KNOTS };

typedef struct opt_input {
    int kind;
    char *col;            /* the column's name as the header writes it */
    char sep[9];
    double *knots;
    size_t n_knots;
    int has_option;       /* the flag gave SEP or knots, not only the column */
    char *by;             /* numeric: the categorical column its curve varies by, or NULL */
    int vary;             /* ER_VARY_*, DEFAULT: not given (slope) */
} opt_input;

struct engrate_train_options {
    char *target;
    int transform;
    char *weight;
    opt_input *inputs;
    size_t n_inputs;
    int intercept;
    int lambda_auto;
    double lambda;
    int by_penalty_auto;  /* --by-penalty: the deviations' penalty as a multiple of lambda, */
    double by_penalty;    /* chosen with lambda by cross-validation (auto), or given     */
    int folds;
    int folds_by;         /* ER_FOLDS_BY_* */
    long min_count;
    double interval;
    int skip_bad;
    double max_skipped;   /* the largest share of rows that may be skipped */
    int missing;          /* ER_MISSING_* */
    char *encoding;       /* NULL: UTF-8 */
    char delimiter;       /* 0: TAB for a .tsv file, else ',' */
    char *levels;
    char *meta[ER_META_COUNT];
    char **sources;
    size_t n_sources;
    int threads;
    size_t sample;
    unsigned char *schema;  /* a scan's bytes (the "schema" option), or NULL */
    size_t schema_len;
    uint64_t levels_hash;   /* of the levels file's bytes when it was read; 0: none */
    uint64_t given;         /* bit per setter (options.c): the options set explicitly */
    engrate_train_progress_fn progress;
    void *progress_user;
};

/* A deep copy of o (NULL: no memory); the progress function is not copied. */
ER_HIDDEN engrate_train_options *er_options_dup(const engrate_train_options *o);
/* Whether option `key` was set explicitly (engrate_train_options_set). */
ER_HIDDEN int er_option_given(const engrate_train_options *o, const char *key);
/* The inputs the options train: the defaults (role, skills, certs, years) unless an input
 * flag names a column, with the changes of SEP or knots flags that only change a default
 * (setup.c reads the same list). *n set; a pointer into o or to static defaults. */
ER_HIDDEN const opt_input *er_options_inputs(const engrate_train_options *o, size_t *n,
                                             opt_input *scratch, int *defaults_used);
#define ER_DEFAULT_INPUTS 4

/* A whole file into memory (at most max bytes): 0 or a code with err filled (accum.c). */
ER_HIDDEN int tr_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
                           engrate_error *err);
/* The bytes of a scan, checked, as the options' schema (accmerge.c). */
ER_HIDDEN int tr_set_schema(engrate_train_options *o, const unsigned char *data, size_t len,
                            const char *source, engrate_error *err);

/* A copy of s (malloc), or NULL. */
ER_HIDDEN char *er_dup_str(const char *s);
/* Whether v can be one line of a model file: not empty, no control characters, UTF-8. */
ER_HIDDEN int er_one_line(const char *v);

typedef struct er_report_term {
    char *name;
    double estimate, std_error;
} er_report_term;

typedef struct er_reason {
    char *what;
    uint64_t count;
} er_reason;

#define ER_MAX_REASONS 16

/* Residuals of the sampled rows in a group (a level, a decile): how many, their weight,
 * weighted mean and standard deviation, on the transformed scale. */
typedef struct er_rstat {
    double n, weight, mean, sd;
} er_rstat;

/* One decile of the held-out prediction (figures.c). */
typedef struct er_report_bin {
    int decile;                  /* 1..10 */
    double n, weight;
    double pred_min, pred_max;   /* the predictions in it */
    double predicted, actual;    /* weighted means, transformed scale */
    double coverage;             /* share inside the interval; NaN without folds */
} er_report_bin;

/* A level of a categorical or set input, as the report shows it. */
typedef struct er_report_level {
    const char *label, *id, *name_en, *name_ja; /* id NULL: not in the model */
    const char *status;          /* static: fitted, reference, no_evidence, dropped */
    double count, weight;        /* rows that give it, and their weight */
    double estimate, std_error;  /* NaN when not fitted */
    er_rstat residual;           /* n = 0: not in the sample */
} er_report_level;

/* An input: a numeric one's curve, or a categorical or set one's levels. */
/* One level's curve, for a numeric input whose curve varies by a level. */
typedef struct er_report_curve {
    const char *id, *label, *name_en, *name_ja;
    double count;
    const double *curve;         /* n_curve triples, as er_report_input's */
    size_t n_curve;
} er_report_curve;

typedef struct er_report_input {
    const char *id, *label, *label_en, *label_ja;
    int kind;
    double min, max, reference, missing; /* numeric; missing: rows without a value */
    const double *knots;
    size_t n_knots;
    const double *curve;         /* n_curve triples: x, effect, its standard error */
    size_t n_curve;
    const char *by;              /* numeric: the input its curve varies by, or NULL */
    er_report_curve *by_levels;  /* then each level's curve, the largest levels first */
    size_t n_by_levels;
    er_report_level *levels;
    size_t n_levels;
    er_rstat without;            /* sampled rows that give none of its levels */
} er_report_input;

struct engrate_train_report {
    double n, p, lambda, r_squared, residual_sd, df, cond;
    double rows_read, rows_skipped, rows_empty, folds;
    double cv_rmse, cv_mape, coverage;
    double level, low, high;
    const char *lambda_how;     /* "cv", "gcv", "given" */
    char *target;
    int transform;
    er_report_term *terms;
    size_t n_terms;
    char **notes;
    size_t n_notes;
    er_reason reasons[ER_MAX_REASONS];
    size_t n_reasons;
    double *grid, *grid_err;    /* the lambda grid and its CV (or GCV) error */
    size_t n_grid;
    /* What the figures need (figures.c), in `pool`: */
    er_pool pool;
    const char *meta[ER_META_COUNT]; /* the model's name, currency, ... */
    const char *source;         /* the data's name */
    double base, min_count;     /* the typical listing's estimate (currency) */
    int held_out;               /* bins and residuals are out-of-fold */
    double sample_rows;         /* rows in the reservoir sample */
    er_report_bin bins[10];
    size_t n_bins;
    er_report_input *inputs;
    size_t n_inputs;
    char *json, *summary;
    char *curves_json;          /* "curves_by_level" (curves.c), NULL: [] */
    char *curves_text;          /* its summary lines, or NULL */
    double by_ratio, cv_pooled; /* curves: the deviations' penalty ratio; the CV RMSE
                                 * without them (NaN: none, not measured) */
    int nomem;                  /* a note could not be kept: er_report_render fails */
};

ER_HIDDEN engrate_train_report *er_report_new(void);
/* Add a note (printf-style); silently dropped past ER_TRAIN_MAX_NOTES. Out of memory, the
 * report remembers it and er_report_render fails. */
ER_HIDDEN void er_report_note(engrate_train_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
ER_HIDDEN void er_report_reason(engrate_train_report *r, const char *what);
/* `count` more rows skipped for `what` (merging reports). */
ER_HIDDEN void er_report_reasons(engrate_train_report *r, const char *what, uint64_t count);
/* Render json and summary. 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int er_report_render(engrate_train_report *r);

#endif
