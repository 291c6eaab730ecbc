/* report.c: the training report: its accessors, and its two renderings, a JSON object
 * (docs/training.md lists the keys; figures.c computes what the plots need) and the short
 * text engrate-train prints. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

/* ---- Report ------------------------------------------------------------------------ */

engrate_train_report *er_report_new(void)
{
    engrate_train_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    double *nan_fields[] = {&r->n,       &r->p,        &r->lambda,       &r->r_squared,
                            &r->residual_sd, &r->df,   &r->cond,         &r->rows_read,
                            &r->rows_skipped, &r->folds, &r->cv_rmse,    &r->cv_mape,
                            &r->rows_empty,
                            &r->coverage, &r->level,   &r->low,          &r->high,
                            &r->by_ratio, &r->cv_pooled};
    for (size_t i = 0; i < sizeof nan_fields / sizeof nan_fields[0]; i++)
        *nan_fields[i] = NAN;
    r->lambda_how = "given";
    r->base = r->min_count = r->sample_rows = NAN;
    return r;
}

void er_report_note(engrate_train_report *r, const char *fmt, ...)
{
    if (r->n_notes >= ER_TRAIN_MAX_NOTES)
        return;
    /* A note that cannot be kept makes the report fail to render: a report without it
     * would be a different report, not a smaller one. */
    if (r->n_notes % 16 == 0) {
        char **t = realloc(r->notes, (r->n_notes + 16) * sizeof *t);
        if (!t) {
            r->nomem = 1;
            return;
        }
        r->notes = t;
    }
    char tmp[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    char *s = malloc(strlen(tmp) + 1);
    if (!s) {
        r->nomem = 1;
        return;
    }
    strcpy(s, tmp);
    r->notes[r->n_notes++] = s;
}

void er_report_reasons(engrate_train_report *r, const char *what, uint64_t count)
{
    for (size_t i = 0; i < r->n_reasons; i++) {
        if (strcmp(r->reasons[i].what, what) == 0) {
            r->reasons[i].count += count;
            return;
        }
    }
    if (r->n_reasons < ER_MAX_REASONS) {
        /* a copy: reasons also come from accumulator files */
        char *s = er_dup_str(what);
        if (!s) {
            r->nomem = 1;
            return;
        }
        r->reasons[r->n_reasons].what = s;
        r->reasons[r->n_reasons].count = count;
        r->n_reasons++;
    }
}

void er_report_reason(engrate_train_report *r, const char *what)
{
    er_report_reasons(r, what, 1);
}

static void kv(er_buf *b, const char *key, double v, int comma)
{
    er_buf_printf(b, "%s\"%s\": ", comma ? ", " : "", key);
    er_buf_double(b, v);
}

/* "key": "s" (null for NULL). */
static void ks(er_buf *b, const char *key, const char *v, int comma)
{
    er_buf_printf(b, "%s\"%s\": ", comma ? ", " : "", key);
    if (v)
        er_buf_json_string(b, v);
    else
        er_buf_puts(b, "null");
}

static void rstat(er_buf *b, const char *key, const er_rstat *s)
{
    er_buf_printf(b, ", \"%s\": ", key);
    if (s->n == 0) {
        er_buf_puts(b, "null");
        return;
    }
    er_buf_puts(b, "{");
    kv(b, "n", s->n, 0);
    kv(b, "weight", s->weight, 1);
    kv(b, "mean", s->mean, 1);
    kv(b, "sd", s->sd, 1);
    er_buf_puts(b, "}");
}

/* The deciles of the prediction (figures.c). */
static void render_calibration(const engrate_train_report *r, er_buf *b)
{
    er_buf_printf(b, ", \"calibration\": {\"held_out\": %s",
                  r->held_out ? "true" : "false");
    kv(b, "rows", r->sample_rows, 1);
    er_buf_puts(b, ", \"bins\": [");
    for (size_t i = 0; i < r->n_bins; i++) {
        const er_report_bin *x = &r->bins[i];
        er_buf_printf(b, "%s\n  {\"decile\": %d", i ? "," : "", x->decile);
        kv(b, "n", x->n, 1);
        kv(b, "weight", x->weight, 1);
        kv(b, "predicted_min", x->pred_min, 1);
        kv(b, "predicted_max", x->pred_max, 1);
        kv(b, "predicted", x->predicted, 1);
        kv(b, "actual", x->actual, 1);
        kv(b, "coverage", x->coverage, 1);
        er_buf_puts(b, "}");
    }
    er_buf_puts(b, "]}");
}

static void render_level(er_buf *b, const er_report_level *l, int comma)
{
    er_buf_puts(b, comma ? ",\n    {" : "\n    {");
    ks(b, "label", l->label, 0);
    ks(b, "id", l->id, 1);
    ks(b, "name_en", l->name_en, 1);
    ks(b, "name_ja", l->name_ja, 1);
    ks(b, "status", l->status, 1);
    kv(b, "count", l->count, 1);
    kv(b, "weight", l->weight, 1);
    kv(b, "estimate", l->estimate, 1);
    kv(b, "std_error", l->std_error, 1);
    rstat(b, "residual", &l->residual);
    er_buf_puts(b, "}");
}

/* A curve's [x, effect, std_error] triples, each after `sep`. */
static void render_curve(er_buf *b, const double *curve, size_t n, const char *sep)
{
    er_buf_puts(b, "[");
    for (size_t k = 0; k < n; k++) {
        er_buf_puts(b, k ? "," : "");
        er_buf_puts(b, sep);
        for (int c = 0; c < 3; c++) {
            er_buf_puts(b, c ? ", " : "");
            er_buf_double(b, curve[3 * k + c]);
        }
        er_buf_puts(b, "]");
    }
    er_buf_puts(b, "]");
}

/* A numeric input's "by" and, when its curve varies by a level, each level's curve. */
static void render_by_levels(er_buf *b, const er_report_input *in)
{
    ks(b, "by", in->by, 1);
    er_buf_puts(b, ", \"level_curves\": [");
    for (size_t k = 0; k < in->n_by_levels; k++) {
        const er_report_curve *c = &in->by_levels[k];
        er_buf_puts(b, k ? ",\n    {" : "\n    {");
        ks(b, "level", c->id, 0);
        ks(b, "label", c->label, 1);
        ks(b, "name_en", c->name_en, 1);
        ks(b, "name_ja", c->name_ja, 1);
        kv(b, "count", c->count, 1);
        er_buf_puts(b, ", \"curve\": ");
        render_curve(b, c->curve, c->n_curve, "[");
        er_buf_puts(b, "}");
    }
    er_buf_puts(b, "]");
}

/* Each input: a numeric one's curve, a categorical or set one's levels (figures.c). */
static void render_inputs(const engrate_train_report *r, er_buf *b)
{
    static const char *const kinds[] = {"", "categorical", "set", "numeric"};
    er_buf_puts(b, ", \"inputs\": [");
    for (size_t i = 0; i < r->n_inputs; i++) {
        const er_report_input *in = &r->inputs[i];
        er_buf_puts(b, i ? ",\n  {" : "\n  {");
        ks(b, "id", in->id, 0);
        ks(b, "label", in->label, 1);
        ks(b, "label_en", in->label_en, 1);
        ks(b, "label_ja", in->label_ja, 1);
        ks(b, "kind", kinds[in->kind], 1);
        if (in->kind == ENGRATE_NUMERIC) {
            kv(b, "min", in->min, 1);
            kv(b, "max", in->max, 1);
            kv(b, "reference", in->reference, 1);
            kv(b, "missing", in->missing, 1);
            er_buf_puts(b, ", \"knots\": [");
            for (size_t k = 0; k < in->n_knots; k++) {
                er_buf_puts(b, k ? ", " : "");
                er_buf_double(b, in->knots[k]);
            }
            er_buf_puts(b, "], \"curve\": ");
            render_curve(b, in->curve, in->n_curve, "\n    [");
            render_by_levels(b, in);
            er_buf_puts(b, "}");
            continue;
        }
        er_buf_puts(b, ", \"levels\": [");
        for (size_t k = 0; k < in->n_levels; k++)
            render_level(b, &in->levels[k], k > 0);
        er_buf_puts(b, "]");
        rstat(b, "without_level", &in->without);
        er_buf_puts(b, "}");
    }
    er_buf_puts(b, "]");
}

/* What the report says of the model and the data, and the figures' parts. */
static void render_figures(const engrate_train_report *r, er_buf *b)
{
    er_buf_puts(b, ", \"model\": {");
    for (size_t k = 0; k < ER_META_COUNT; k++)
        ks(b, er_meta_keys[k], r->meta[k], k > 0);
    er_buf_puts(b, "}");
    ks(b, "data", r->source, 1);
    kv(b, "base", r->base, 1);
    kv(b, "min_count", r->min_count, 1);
    render_calibration(r, b);
    render_inputs(r, b);
}

/* The report as one JSON object (docs/training.md lists the keys). */
static void render_json(const engrate_train_report *r, er_buf *b)
{
    er_buf_puts(b, "{");
    kv(b, "n", r->n, 0);
    kv(b, "p", r->p, 1);
    kv(b, "lambda", r->lambda, 1);
    er_buf_puts(b, ", \"lambda_selection\": ");
    er_buf_json_string(b, r->lambda_how);
    kv(b, "r_squared", r->r_squared, 1);
    kv(b, "residual_sd", r->residual_sd, 1);
    kv(b, "df", r->df, 1);
    kv(b, "condition_number", r->cond, 1);
    er_buf_puts(b, ", \"target\": ");
    er_buf_json_string(b, r->target);
    er_buf_puts(b, ", \"transform\": ");
    er_buf_json_string(b, r->transform == ENGRATE_TRANSFORM_LOG ? "log" : "none");
    kv(b, "rows_read", r->rows_read, 1);
    kv(b, "rows_skipped", r->rows_skipped, 1);
    kv(b, "rows_empty", r->rows_empty, 1);
    er_buf_puts(b, ", \"skipped\": {");
    for (size_t i = 0; i < r->n_reasons; i++) {
        er_buf_puts(b, i ? ", " : "");
        er_buf_json_string(b, r->reasons[i].what);
        er_buf_printf(b, ": %llu", (unsigned long long)r->reasons[i].count);
    }
    er_buf_puts(b, "}, \"cv\": {");
    kv(b, "folds", r->folds, 0);
    kv(b, "rmse", r->cv_rmse, 1);
    kv(b, "mape", r->cv_mape, 1);
    kv(b, "coverage", r->coverage, 1);
    er_buf_puts(b, ", \"lambda_grid\": [");
    for (size_t i = 0; i < r->n_grid; i++) {
        er_buf_puts(b, i ? ", [" : "[");
        er_buf_double(b, r->grid[i]);
        er_buf_puts(b, ", ");
        er_buf_double(b, r->grid_err[i]);
        er_buf_puts(b, "]");
    }
    er_buf_puts(b, "]}, \"interval\": {");
    kv(b, "level", r->level, 0);
    kv(b, "low", r->low, 1);
    kv(b, "high", r->high, 1);
    er_buf_puts(b, "}, \"coefficients\": [");
    for (size_t i = 0; i < r->n_terms; i++) {
        er_buf_puts(b, i ? ",\n  {\"term\": " : "\n  {\"term\": ");
        er_buf_json_string(b, r->terms[i].name);
        kv(b, "estimate", r->terms[i].estimate, 1);
        kv(b, "std_error", r->terms[i].std_error, 1);
        er_buf_puts(b, "}");
    }
    er_buf_puts(b, "], \"notes\": [");
    for (size_t i = 0; i < r->n_notes; i++) {
        er_buf_puts(b, i ? ",\n  " : "\n  ");
        er_buf_json_string(b, r->notes[i]);
    }
    er_buf_puts(b, "], \"curves_by_level\": "); /* curves.c */
    er_buf_puts(b, r->curves_json ? r->curves_json : "[]");
    render_figures(r, b);
    er_buf_puts(b, "}\n");
}

/* The few lines of text engrate-train prints. */
static void render_summary(const engrate_train_report *r, er_buf *t)
{
    er_buf_printf(t, "rows used: %.0f of %.0f read", r->n, r->rows_read);
    if (r->rows_skipped > 0) {
        er_buf_printf(t, "; %.0f skipped (", r->rows_skipped);
        for (size_t i = 0; i < r->n_reasons; i++)
            er_buf_printf(t, "%s%s: %llu", i ? ", " : "", r->reasons[i].what,
                          (unsigned long long)r->reasons[i].count);
        er_buf_puts(t, ")");
    }
    if (r->rows_empty > 0)
        er_buf_printf(t, "; %.0f empty row%s skipped", r->rows_empty,
                      r->rows_empty == 1 ? "" : "s");
    er_buf_printf(t, "\nterms: %.0f (the intercept included)\n", r->p);
    er_buf_printf(t, "lambda: %.6g (%s)\n", r->lambda,
                  strcmp(r->lambda_how, "cv") == 0    ? "chosen by cross-validation"
                  : strcmp(r->lambda_how, "gcv") == 0 ? "chosen by GCV"
                                                      : "given");
    er_buf_printf(t, "R^2: %.6f   residual SD: %.6g (%s scale)\n", r->r_squared,
                  r->residual_sd, r->transform == ENGRATE_TRANSFORM_LOG ? "log" : "target");
    if (r->folds >= 2)
        er_buf_printf(t, "%.0f-fold CV: RMSE %.6g (transformed scale), median abs. "
                          "percentage error %.2f%%, %.0f%% interval coverage %.1f%%\n",
                      r->folds, r->cv_rmse, 100 * r->cv_mape, 100 * r->level,
                      100 * r->coverage);
    else
        er_buf_printf(t, "no cross-validation: median abs. percentage error %.2f%% "
                          "(in-sample)\n",
                      100 * r->cv_mape);
    er_buf_printf(t, "interval (%.0f%%): [%+.4g, %+.4g] around the estimate (%s scale)\n",
                  100 * r->level, r->low, r->high,
                  r->transform == ENGRATE_TRANSFORM_LOG ? "log" : "target");
    if (r->curves_text)
        er_buf_puts(t, r->curves_text);
    for (size_t i = 0; i < r->n_notes; i++)
        er_buf_printf(t, "note: %s\n", r->notes[i]);
}

int er_report_render(engrate_train_report *r)
{
    if (r->nomem)
        return ENGRATE_E_NOMEM;
    er_buf b = {0}, t = {0};
    render_json(r, &b);
    render_summary(r, &t);
    if (b.failed || t.failed) {
        free(b.s);
        free(t.s);
        return ENGRATE_E_NOMEM;
    }
    free(r->json);
    free(r->summary);
    r->json = b.s;
    r->summary = t.s;
    return 0;
}

/* ---- Public accessors -------------------------------------------------------------- */

ENGRATE_API void engrate_train_report_free(engrate_train_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_terms; i++)
        free(r->terms[i].name);
    free(r->terms);
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    free(r->notes);
    for (size_t i = 0; i < r->n_reasons; i++)
        free(r->reasons[i].what);
    free(r->grid);
    free(r->grid_err);
    free(r->json);
    free(r->summary);
    free(r->curves_json);
    free(r->curves_text);
    free(r->target);
    er_pool_free(&r->pool);
    free(r);
}

ENGRATE_API double engrate_train_report_value(const engrate_train_report *r, const char *key)
{
    if (!r || !key)
        return NAN;
    static const char *const keys[] = {
        "n",         "p",        "lambda",  "r_squared",      "residual_sd",   "df",
        "condition_number", "rows_read", "rows_skipped", "folds", "cv_rmse", "cv_mape",
        "coverage",  "interval_level", "interval_low", "interval_high", "rows_empty",
        "by_penalty", "cv_rmse_pooled"};
    const double vals[] = {r->n,      r->p,       r->lambda,  r->r_squared, r->residual_sd,
                           r->df,     r->cond,    r->rows_read, r->rows_skipped, r->folds,
                           r->cv_rmse, r->cv_mape, r->coverage, r->level,  r->low,
                           r->high,   r->rows_empty, r->by_ratio, r->cv_pooled};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return vals[i];
    return NAN;
}

ENGRATE_API size_t engrate_train_report_term_count(const engrate_train_report *r)
{
    return r ? r->n_terms : 0;
}

ENGRATE_API const char *engrate_train_report_term(const engrate_train_report *r, size_t i)
{
    return r && i < r->n_terms ? r->terms[i].name : NULL;
}

ENGRATE_API double engrate_train_report_estimate(const engrate_train_report *r, size_t i)
{
    return r && i < r->n_terms ? r->terms[i].estimate : NAN;
}

ENGRATE_API double engrate_train_report_std_error(const engrate_train_report *r, size_t i)
{
    return r && i < r->n_terms ? r->terms[i].std_error : NAN;
}

ENGRATE_API size_t engrate_train_report_note_count(const engrate_train_report *r)
{
    return r ? r->n_notes : 0;
}

ENGRATE_API const char *engrate_train_report_note(const engrate_train_report *r, size_t i)
{
    return r && i < r->n_notes ? r->notes[i] : NULL;
}

ENGRATE_API const char *engrate_train_report_json(const engrate_train_report *r)
{
    return r ? r->json : NULL;
}

ENGRATE_API const char *engrate_train_report_summary(const engrate_train_report *r)
{
    return r ? r->summary : NULL;
}

ENGRATE_API int engrate_train_report_save(const engrate_train_report *r, const char *path,
                                          engrate_error *err)
{
    er_error_clear(err);
    if (!r || !path)
        return er_error(err, ENGRATE_E_INVALID, path, 0, 0, "%s is NULL",
                        r ? "path" : "report");
    if (!r->json)
        return er_error(err, ENGRATE_E_INVALID, path, 0, 0, "the report has no JSON text");
    return er_save_text(path, r->json, strlen(r->json), err);
}
