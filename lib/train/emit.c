/* emit.c: what training gives back: the model, written as model text and loaded through
 * the public loader, and the report's table of terms. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* The levels of input i in model order: the levels file's first (in its order), then the
 * other levels seen at least --min-count times, by label (byte order). */
int tr_order_levels(const trainer *t, size_t i, ordered *out)
{
    out->n = 0;
    out->terms = malloc((t->n_terms + 1) * sizeof *out->terms);
    if (!out->terms)
        return ENGRATE_E_NOMEM;
    for (size_t e = 0; e < t->n_lf; e++)
        if (t->lf[e].input == i)
            out->terms[out->n++] = t->lf[e].term;
    size_t first_data = out->n;
    for (size_t j = 1; j < t->n_terms; j++) {
        const term *tm = &t->terms[j];
        if (tm->input == i && tm->lf < 0 && !tm->dropped &&
            tm->count >= (uint64_t)t->o->min_count)
            out->terms[out->n++] = (uint32_t)j;
    }
    /* insertion sort by label: deterministic, no global comparison context needed */
    for (size_t a = first_data + 1; a < out->n; a++) {
        uint32_t v = out->terms[a];
        size_t b = a;
        while (b > first_data &&
               strcmp(t->terms[out->terms[b - 1]].label, t->terms[v].label) > 0) {
            out->terms[b] = out->terms[b - 1];
            b--;
        }
        out->terms[b] = v;
    }
    return 0;
}

int tr_coef_scale(const trainer *t, uint32_t term_i)
{
    const term *tm = &t->terms[term_i];
    if (term_i == 0 || t->in[tm->input].kind != ENGRATE_NUMERIC || tm->piece == TR_MISSING_PIECE)
        return t->y_scale;
    return t->y_scale - t->in[tm->input].scale;
}

int tr_report_terms(trainer *t, const selection *sel, const outcome *oc)
{
    engrate_train_report *r = t->rep;
    size_t cap = sel->m + 1;
    r->terms = calloc(cap, sizeof *r->terms);
    int32_t *pos = tr_selection_positions(t, sel);
    if (!r->terms || !pos) {
        free(pos);
        return ENGRATE_E_NOMEM;
    }
    if (t->o->intercept) {
        er_report_term *e = &r->terms[r->n_terms++];
        e->name = er_dup_str("(intercept)");
        e->estimate = ldexp(oc->res.b0, t->y_scale);
        e->std_error = ldexp(oc->res.se0, t->y_scale);
        if (!e->name)
            goto nomem;
    }
    for (size_t i = 0; i < t->n_in; i++) {
        ordered ol = {NULL, 0};
        if (t->in[i].kind == ENGRATE_NUMERIC) {
            ol.terms = malloc((t->n_terms + 2) * sizeof *ol.terms);
            if (!ol.terms)
                goto nomem;
            for (size_t k = 0; k <= t->in[i].n_knots; k++)
                ol.terms[ol.n++] = t->in[i].first + (uint32_t)k;
            if (t->in[i].miss)
                ol.terms[ol.n++] = t->in[i].miss;
            for (size_t j = 1; j < t->n_terms; j++) /* its levels' deviations (curves.c) */
                if (t->terms[j].input == i && t->terms[j].by_term)
                    ol.terms[ol.n++] = (uint32_t)j;
        } else if (tr_order_levels(t, i, &ol)) {
            goto nomem;
        }
        for (size_t k = 0; k < ol.n; k++) {
            int32_t p = pos[ol.terms[k]];
            if (p < 0)
                continue;
            er_report_term *e = &r->terms[r->n_terms++];
            e->name = er_dup_str(sel->names[p]);
            e->estimate = ldexp(oc->beta[p], tr_coef_scale(t, ol.terms[k]));
            e->std_error = ldexp(oc->se[p], tr_coef_scale(t, ol.terms[k]));
            if (!e->name) {
                free(ol.terms);
                goto nomem;
            }
        }
        free(ol.terms);
    }
    free(pos);
    double *coef = calloc(t->n_terms, sizeof *coef);
    if (!coef)
        return ENGRATE_E_NOMEM;
    for (size_t k = 0; k < sel->m; k++)
        coef[sel->cols[k]] = oc->beta[k];
    int rc = tr_curves_report(t, sel, oc, coef);
    free(coef);
    return rc;
nomem:
    free(pos);
    return ENGRATE_E_NOMEM;
}

/* The model is handed to the library as model text, through the same strict loader as a
 * file (models/FORMAT.md): every trained model passes the checks a file does, and the
 * trainer never fills the library's structures itself. Numbers are written in their
 * shortest exact form, so nothing is lost on the way. */

static void put_texts(er_buf *b, const char *prefix, const char *en, const char *ja)
{
    if (en) {
        er_buf_puts(b, prefix);
        er_buf_kv(b, "en", en);
    }
    if (ja) {
        er_buf_puts(b, prefix);
        er_buf_kv(b, "ja", ja);
    }
}

const char *tr_meta(const trainer *t, size_t k)
{
    static const char *const defaults[ER_META_COUNT] = {"model", NULL, "XXX", "month", NULL,
                                                        NULL};
    return t->o->meta[k] ? t->o->meta[k] : defaults[k];
}

/* The [model], [training] and [interval] sections. */
static void emit_head(trainer *t, er_buf *b, double intercept)
{
    const engrate_train_options *o = t->o;
    /* Version 2: every trained model has a reference profile (and may use the other
     * version-2 keys; models/FORMAT.md, "Format version 2"). */
    er_buf_puts(b, "engrate-model 2\n\n[model]\n");
    for (size_t k = 0; k < ER_META_COUNT; k++) {
        const char *v = tr_meta(t, k);
        if (v)
            er_buf_kv(b, er_meta_keys[k], v);
    }
    er_buf_kv(b, "transform", o->transform == ENGRATE_TRANSFORM_LOG ? "log" : "none");
    er_buf_kn(b, "intercept", intercept);
    for (size_t i = 0; i < o->n_sources; i++)
        er_buf_kv(b, "source", o->sources[i]);
    const engrate_train_report *r = t->rep;
    const double training[ER_TRAIN_COUNT] = {
        [ER_TRAIN_ROWS] = r->n,           [ER_TRAIN_TERMS] = r->p,
        [ER_TRAIN_LAMBDA] = r->lambda,    [ER_TRAIN_FOLDS] = r->folds,
        [ER_TRAIN_R_SQUARED] = r->r_squared, [ER_TRAIN_RESIDUAL_SD] = r->residual_sd,
        [ER_TRAIN_CV_RMSE] = r->cv_rmse,  [ER_TRAIN_CV_MAPE] = r->cv_mape,
        [ER_TRAIN_COVERAGE] = r->coverage};
    int any = 0;
    for (size_t k = 0; k < ER_TRAIN_COUNT; k++)
        any |= isfinite(training[k]);
    if (any) {
        er_buf_puts(b, "\n[training]\n");
        for (size_t k = 0; k < ER_TRAIN_COUNT; k++)
            if (isfinite(training[k]))
                er_buf_kn(b, er_training_keys[k], training[k]);
    }
    er_buf_puts(b, "\n[interval]\n");
    er_buf_kn(b, "level", r->level);
    er_buf_kn(b, "low", r->low);
    er_buf_kn(b, "high", r->high);
}

/* The weighted mean of term j's column over every row used (all folds), as accumulated
 * (a numeric column scaled by 2^-scale): a level's share of the rows, a numeric input's
 * mean value. NaN when no row has weight. */
er_dd tr_term_mean(const trainer *t, uint32_t j)
{
    er_dd s = dd_make(0, 0), sw = dd_make(0, 0);
    for (size_t k = 0; k < t->K; k++) {
        if (t->acc[k].p == 0)
            continue; /* no row reached it */
        sw = dd_add(sw, t->acc[k].g[0]);
        if (t->acc[k].p > j) /* else no row of it had the term, made later */
            s = dd_add(s, t->acc[k].g[ER_PK(0, j)]);
    }
    return sw.hi > 0 ? dd_div(s, sw) : dd_make(NAN, 0);
}

/* The weighted mean of the column, clamped: the typical value; with missing values
 * imputed, the value imputed. */
double tr_numeric_reference(const trainer *t, const tinput *in)
{
    double mean = in->miss ? in->imputed : ldexp(dd_to_d(tr_term_mean(t, in->first)), in->scale);
    if (isnan(mean))
        mean = in->min;
    return mean < in->min ? in->min : mean > in->max ? in->max : mean;
}

/* A numeric input: its range, default and reference (tr_numeric_reference), knots and
 * coefficients (in the data's units), and with missing values imputed what a profile
 * without the value adds. */
static int emit_numeric(trainer *t, er_buf *b, const tinput *in, const double *coef)
{
    if (fabs(in->min) > ER_MAX_ABS_NUMERIC || fabs(in->max) > ER_MAX_ABS_NUMERIC)
        return er_error(t->err, ENGRATE_E_LIMIT, NULL, 0, 0,
                        "numeric input '%s' ranges over [%g, %g], beyond the model format's "
                        "limit of +-1e300: rescale the column",
                        in->label, in->min, in->max);
    double mean = tr_numeric_reference(t, in);
    double c[ER_MAX_KNOTS + 1];
    for (size_t k = 0; k <= in->n_knots; k++)
        c[k] = ldexp(coef[in->first + k], t->y_scale - in->scale);
    er_buf_kn(b, "min", in->min);
    er_buf_kn(b, "max", in->max);
    er_buf_kn(b, "default", mean);
    if (in->n_knots)
        er_buf_kns(b, "knots", in->knots, in->n_knots);
    er_buf_kns(b, "coef", c, in->n_knots + 1);
    er_buf_kn(b, "reference", mean);
    if (in->miss)
        er_buf_kn(b, "missing", ldexp(coef[in->miss], t->y_scale));
    return 0;
}

/* The aliases of a levels file's entry, separated by '|'. */
static void emit_aliases(er_buf *b, const char *aliases)
{
    for (const char *p = aliases; p && *p;) {
        const char *q = strchr(p, '|');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        const char *a = p;
        while (len && is_blank(*a)) {
            a++;
            len--;
        }
        while (len && is_blank(a[len - 1]))
            len--;
        er_buf_puts(b, "alias = ");
        er_buf_add(b, a, len);
        er_buf_puts(b, "\n");
        p = q ? q + 1 : p + strlen(p);
    }
}

/* Whether a level is written without evidence (so marked in the levels file, or seen
 * fewer than --min-count times), and so with coefficient 0. */
static int no_evidence(const trainer *t, const term *tm)
{
    return (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) || tm->count < (uint64_t)t->o->min_count;
}

/* A categorical or set input's typical effect: the average over the rows of the effect
 * their levels have in the model, the sum of each level's share times the coefficient
 * written for it (so that the base is the average linear predictor of the rows, as
 * SHAP's expected value is for a linear model). */
static double typical_effect(const trainer *t, const ordered *ol, const double *coef)
{
    er_dd s = dd_make(0, 0);
    for (size_t k = 0; k < ol->n; k++) {
        uint32_t j = ol->terms[k];
        double c = no_evidence(t, &t->terms[j]) ? 0 : ldexp(coef[j], t->y_scale);
        er_dd share = tr_term_mean(t, j);
        if (c != 0 && isfinite(share.hi))
            s = dd_add(s, dd_mul_d(share, c));
    }
    return dd_to_d(s);
}

/* The typical listing's estimate as the model will give it (engrate_model_base): the
 * intercept, then each input's reference effect in input order (a numeric input's curve
 * at its typical value, a categorical or set input's typical effect), inverse-transformed;
 * computed here so that the report has it even when the model cannot be built. */
int tr_report_base(trainer *t, const selection *sel, const outcome *oc)
{
    double *coef = calloc(t->n_terms, sizeof *coef);
    if (!coef)
        return ENGRATE_E_NOMEM;
    for (size_t k = 0; k < sel->m; k++)
        coef[sel->cols[k]] = oc->beta[k];
    double eta = t->o->intercept ? ldexp(oc->res.b0, t->y_scale) : 0;
    int rc = 0;
    for (size_t i = 0; i < t->n_in && !rc; i++) {
        const tinput *in = &t->in[i];
        if (in->kind == ENGRATE_NUMERIC) {
            double x = tr_numeric_reference(t, in);
            double y = ldexp(coef[in->first], t->y_scale - in->scale) * x;
            for (size_t k = 0; k < in->n_knots; k++)
                if (x > in->knots[k])
                    y += ldexp(coef[in->first + 1 + k], t->y_scale - in->scale) *
                         (x - in->knots[k]);
            eta += y;
            continue;
        }
        ordered ol = {NULL, 0};
        rc = tr_order_levels(t, i, &ol);
        if (!rc)
            eta += typical_effect(t, &ol, coef);
        free(ol.terms);
    }
    free(coef);
    t->rep->base = t->o->transform == ENGRATE_TRANSFORM_LOG ? exp(eta) : eta;
    return rc ? ENGRATE_E_NOMEM : 0;
}

/* One [level] section: its id, its label as the data wrote it when that is not the id,
 * and the levels file's names. A level without evidence (so marked in the levels file, or
 * seen fewer than --min-count times) has coefficient 0. */
static void emit_level(trainer *t, er_buf *b, uint32_t term_i, double coef)
{
    const term *tm = &t->terms[term_i];
    int none = no_evidence(t, tm);
    er_buf_puts(b, "\n[level ");
    er_buf_puts(b, tm->id);
    er_buf_puts(b, "]\n");
    er_buf_kn(b, "coef", none ? 0 : ldexp(coef, t->y_scale));
    if (strcmp(tm->label, tm->id))
        er_buf_kv(b, "name", tm->label);
    if (tm->lf >= 0) {
        const lfentry *e = &t->lf[tm->lf];
        put_texts(b, "name.", e->name_en, e->name_ja);
        emit_aliases(b, e->aliases);
    }
    if (none)
        er_buf_kv(b, "evidence", "none");
}

/* The [input] sections, each with its levels in model order. */
static int emit_inputs(trainer *t, er_buf *b, const selection *sel, const double *coef,
                       const double *rows)
{
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        static const char *const kinds[] = {"", "categorical", "set", "numeric"};
        er_buf_puts(b, "\n[input ");
        er_buf_puts(b, in->id);
        er_buf_puts(b, "]\n");
        er_buf_kv(b, "kind", kinds[in->kind]);
        if (strcmp(in->label, in->id))
            er_buf_kv(b, "label", in->label);
        put_texts(b, "label.", in->label_en, in->label_ja);
        if (in->kind == ENGRATE_NUMERIC) {
            int rc = emit_numeric(t, b, in, coef);
            if (!rc && tr_curves_emit(t, b, i, sel, coef))
                rc = er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
            if (rc)
                return rc;
            continue;
        }
        ordered ol = {NULL, 0};
        if (tr_order_levels(t, i, &ol))
            return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        if (ol.n > ER_MAX_LEVELS) {
            free(ol.terms);
            return er_error(t->err, ENGRATE_E_LIMIT, NULL, 0, 0,
                            "input '%s' has %zu levels (at most %d)", in->label, ol.n,
                            ER_MAX_LEVELS);
        }
        er_buf_kn(b, "reference", typical_effect(t, &ol, coef));
        er_buf_printf(b, "levels = %zu\n", ol.n);
        for (size_t k = 0; k < ol.n; k++) /* as the rows store it (curves.c) */
            emit_level(t, b, ol.terms[k], rows[ol.terms[k]]);
        free(ol.terms);
    }
    return 0;
}

/* The fitted model as model text, loaded through the public loader. A refusal there is
 * reported as what it is, a model the format cannot hold. */
engrate_model *tr_build_model(trainer *t, const selection *sel, const outcome *oc)
{
    if (!(t->rep->low <= t->rep->high)) {
        er_error(t->err, ENGRATE_E_DATA, NULL, 0, 0, "no interval could be calibrated");
        return NULL;
    }
    /* coef: as fitted; rows: a level's own as the rows store it, which differs from the
     * fitted one for a level that a curve varies by (curves.c: the fit measures it at the
     * typical value of the curve's input, which the reference profile keeps). */
    double *coef = calloc(t->n_terms, sizeof *coef), *rows = malloc(t->n_terms * sizeof *rows);
    if (!coef || !rows) {
        free(coef);
        free(rows);
        er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < sel->m; k++)
        coef[sel->cols[k]] = oc->beta[k];
    memcpy(rows, coef, t->n_terms * sizeof *rows);
    tr_curves_to_rows(t, rows);
    er_buf b = {NULL, 0, 0, 0};
    emit_head(t, &b, t->o->intercept ? ldexp(oc->res.b0, t->y_scale) : 0);
    int rc = emit_inputs(t, &b, sel, coef, rows);
    free(coef);
    free(rows);
    engrate_model *m = NULL;
    if (!rc && b.failed)
        er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    else if (!rc) {
        engrate_error le;
        m = engrate_model_load_buffer(b.s, b.len, "the trained model", 0, &le);
        if (!m)
            er_error(t->err, le.code, NULL, 0, 0, "%s", le.code == ENGRATE_E_NOMEM
                                                          ? "out of memory" : le.text);
    }
    free(b.s);
    return m;
}
