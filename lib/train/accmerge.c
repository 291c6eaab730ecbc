/* accmerge.c: merging accumulators (after checking that they were made alike, and saying
 * how they differ when not), finishing a partial into the model with the fit's options,
 * and the schema option (a scan that fixes the levels before the pass). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accfile.h"
#include "accum.h"

/* ---- Alike? ------------------------------------------------------------------------------ */

static int differ(engrate_error *err, const engrate_train_acc *a, const engrate_train_acc *b,
                  const char *what, const char *va, const char *vb)
{
    return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                    "cannot merge accumulators made with different %s: %s for '%s', %s for "
                    "'%s'",
                    what, va, a->origin, vb, b->origin);
}

/* An input as its flag writes it: "--set skills:;", "--numeric years:knots=5,15". */
static void input_flag(const opt_input *in, char *buf, size_t cap)
{
    static const char *const kinds[] = {"", "--categorical", "--set", "--numeric"};
    int o = snprintf(buf, cap, "%s %s", kinds[in->kind & 3], in->col);
    if (in->kind == ENGRATE_SET && o > 0 && (size_t)o < cap)
        o += snprintf(buf + o, cap - (size_t)o, ":%s", in->sep);
    for (size_t k = 0; k < in->n_knots && o > 0 && (size_t)o < cap; k++)
        o += snprintf(buf + o, cap - (size_t)o, "%s%.17g", k ? "," : ":knots=", in->knots[k]);
    if (in->by && o > 0 && (size_t)o < cap)
        o += snprintf(buf + o, cap - (size_t)o, ":by=%s", in->by);
    if (in->vary && o > 0 && (size_t)o < cap)
        snprintf(buf + o, cap - (size_t)o, ":vary=%s",
                 in->vary == ER_VARY_KNOTS ? "knots" : "slope");
}

/* Whether two inputs were accumulated alike: kind, column, separator, knots, and the
 * curve's by-column and what varies by it (the design terms a pass adds for it). */
static int same_input(const opt_input *a, const opt_input *b)
{
    int va = a->vary == ER_VARY_KNOTS ? ER_VARY_KNOTS : ER_VARY_SLOPE;
    int vb = b->vary == ER_VARY_KNOTS ? ER_VARY_KNOTS : ER_VARY_SLOPE;
    return a->kind == b->kind && !strcmp(a->col, b->col) && !strcmp(a->sep, b->sep) &&
           a->n_knots == b->n_knots &&
           (!a->n_knots || !memcmp(a->knots, b->knots, a->n_knots * sizeof(double))) &&
           (a->by == NULL) == (b->by == NULL) && (!a->by || !strcmp(a->by, b->by)) &&
           (!a->by || va == vb);
}

static int same_inputs(const engrate_train_options *a, const engrate_train_options *b,
                       char *va, char *vb, size_t cap)
{
    opt_input sa[ER_DEFAULT_INPUTS], sb[ER_DEFAULT_INPUTS];
    size_t na, nb;
    int da, db;
    const opt_input *ia = er_options_inputs(a, &na, sa, &da);
    const opt_input *ib = er_options_inputs(b, &nb, sb, &db);
    for (size_t i = 0; i < na || i < nb; i++) {
        if (i < na && i < nb && same_input(&ia[i], &ib[i]))
            continue;
        snprintf(va, cap, "input %zu", i + 1);
        if (i < na)
            input_flag(&ia[i], va, cap);
        snprintf(vb, cap, "no input %zu", i + 1);
        if (i < nb)
            input_flag(&ib[i], vb, cap);
        return 0;
    }
    return 1;
}

/* The options that decide what was accumulated. */
static int same_options(const engrate_train_acc *x, const engrate_train_acc *y, engrate_error *err)
{
    const engrate_train_options *a = x->o, *b = y->o;
    const trainer *s = &x->t, *t = &y->t;
    char va[200], vb[200];
#define NUM(what, fa, fb)                                                                  \
    if ((fa) != (fb)) {                                                                     \
        snprintf(va, sizeof va, "%lld", (long long)(fa));                                   \
        snprintf(vb, sizeof vb, "%lld", (long long)(fb));                                   \
        return differ(err, x, y, what, va, vb);                                            \
    }
    if (strcmp(a->target, b->target))
        return differ(err, x, y, "--target", a->target, b->target);
    if ((a->weight == NULL) != (b->weight == NULL) || (a->weight && strcmp(a->weight, b->weight)))
        return differ(err, x, y, "--weight", a->weight ? a->weight : "none",
                      b->weight ? b->weight : "none");
    if (a->transform != b->transform)
        return differ(err, x, y, "--transform", a->transform ? "log" : "none",
                      b->transform ? "log" : "none");
    NUM("--missing (0 error, 1 skip, 2 impute)", a->missing, b->missing)
    NUM("--folds", s->K > 1 ? (long long)s->K : 0, t->K > 1 ? (long long)t->K : 0)
    NUM("--sample", a->sample, b->sample)
    if (!same_inputs(a, b, va, vb, sizeof va))
        return differ(err, x, y, "inputs", va, vb);
    if (a->levels_hash != b->levels_hash)
        return differ(err, x, y, "levels files", a->levels_hash ? "one" : "none",
                      b->levels_hash ? "another" : "none");
    if (s->schema_hash != t->schema_hash || s->schema_min_count != t->schema_min_count)
        return differ(err, x, y, "schemas", s->schema_hash ? "one" : "none",
                      t->schema_hash ? "another" : "none");
    if (x->kind != y->kind)
        return differ(err, x, y, "kinds", x->kind == 1 ? "a scan" : "a partial",
                      y->kind == 1 ? "a scan" : "a partial");
#undef NUM
    return 0;
}

/* The inputs' labels and ids, from the headers. */
static int same_headers(const engrate_train_acc *x, const engrate_train_acc *y,
                        engrate_error *err)
{
    const trainer *s = &x->t, *t = &y->t;
    for (size_t i = 0; i < s->n_in && i < t->n_in; i++)
        if (strcmp(s->in[i].label, t->in[i].label) || strcmp(s->in[i].id, t->in[i].id))
            return differ(err, x, y, "headers", s->in[i].label, t->in[i].label);
    return 0;
}

static int check_usable(const engrate_train_acc *a, engrate_error *err)
{
    if (!a)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no accumulator");
    if (a->broken)
        return er_error(err, ENGRATE_E_INVALID, a->t.source, 0, 0,
                        "this accumulator was left incomplete by a merge that failed");
    return 0;
}

/* A copy, through the file format (the one way a trainer's state is copied). */
static engrate_train_acc *copy_of(const engrate_train_acc *a, engrate_error *err)
{
    er_buf b;
    if (tr_acc_bytes(a, &b, err))
        return NULL;
    engrate_train_acc *c = tr_acc_from_bytes((const unsigned char *)b.s, b.len, a->t.source, err);
    free(b.s);
    return c;
}

ENGRATE_API int engrate_train_acc_merge(engrate_train_acc *into, const engrate_train_acc *from,
                                        engrate_error *err)
{
    er_error_clear(err);
    int rc = check_usable(into, err);
    if (rc || (rc = check_usable(from, err)) || (rc = same_options(into, from, err)) ||
        (rc = same_headers(into, from, err)))
        return rc;
    engrate_train_acc *c = copy_of(from, err);
    if (!c)
        return err ? err->code : ENGRATE_E_NOMEM;
    rc = tr_merge(&into->t, &c->t);
    if (rc) {
        into->broken = 1;
        if (err)
            *err = into->err;
    }
    engrate_train_acc_free(c);
    return rc;
}

/* ---- Finishing ----------------------------------------------------------------------------- */

/* An accumulation option the fit's options give explicitly must be the accumulator's. */
static int fit_agrees(const engrate_train_acc *a, const engrate_train_options *f,
                      engrate_error *err)
{
    const engrate_train_options *o = a->o;
    char va[200], vb[200];
    const char *bad = NULL;
    if (er_option_given(f, "target") && strcmp(f->target, o->target))
        bad = "--target";
    else if (er_option_given(f, "weight") && (!o->weight || strcmp(f->weight, o->weight)))
        bad = "--weight";
    else if (er_option_given(f, "transform") && f->transform != o->transform)
        bad = "--transform";
    else if (er_option_given(f, "missing") && f->missing != o->missing)
        bad = "--missing";
    else if (er_option_given(f, "folds") && (f->folds >= 2 ? (size_t)f->folds : 1) != a->t.K)
        bad = "--folds";
    else if (er_option_given(f, "folds-by") && f->folds_by != o->folds_by)
        bad = "--folds-by";
    else if (er_option_given(f, "sample") && f->sample != o->sample)
        bad = "--sample";
    else if ((er_option_given(f, "categorical") || er_option_given(f, "set") ||
              er_option_given(f, "numeric")) && !same_inputs(f, o, va, vb, sizeof va))
        bad = "inputs";
    else if (a->t.schema_hash && er_option_given(f, "min-count") &&
             f->min_count < a->t.schema_min_count)
        bad = "--min-count (below the schema's)";
    if (bad)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "the options say other %s than the accumulator was made with ('%s')",
                        bad, a->origin);
    if (er_option_given(f, "levels")) {
        unsigned char *data;
        size_t len;
        int rc = tr_read_file(f->levels, ER_MAX_FILE_BYTES, &data, &len, err);
        if (rc)
            return rc;
        uint64_t h = acc_fnv64(data, len) | 1;
        free(data);
        if (h != o->levels_hash)
            return er_error(err, ENGRATE_E_INVALID, f->levels, 0, 0,
                            "not the levels file the accumulator was made with");
    }
    return 0;
}

/* The options to finish with: the fit's, with what the sums were made with. */
static engrate_train_options *finish_options(const engrate_train_acc *a,
                                             const engrate_train_options *f, engrate_error *err)
{
    engrate_train_options *c = er_options_dup(f), *o = a->o;
    char *target = er_dup_str(o->target), *weight = o->weight ? er_dup_str(o->weight) : NULL;
    engrate_train_options *inputs = er_options_dup(o);
    if (!c || !target || (o->weight && !weight) || !inputs) {
        free(target);
        free(weight);
        engrate_train_options_free(c);
        engrate_train_options_free(inputs);
        er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    free(c->target);
    free(c->weight);
    free(c->levels);
    free(c->schema);
    c->target = target;
    c->weight = weight;
    c->levels = NULL;
    c->schema = NULL;
    c->schema_len = 0;
    /* the inputs: swapped with the copy of the accumulator's, which frees c's */
    opt_input *in = c->inputs;
    size_t n = c->n_inputs;
    c->inputs = inputs->inputs;
    c->n_inputs = inputs->n_inputs;
    inputs->inputs = in;
    inputs->n_inputs = n;
    engrate_train_options_free(inputs);
    c->transform = o->transform;
    c->missing = o->missing;
    c->folds = o->folds;
    c->folds_by = o->folds_by;
    c->sample = o->sample;
    c->levels_hash = o->levels_hash;
    if (a->t.schema_hash && !er_option_given(f, "min-count"))
        c->min_count = a->t.schema_min_count;
    return c;
}

engrate_model *tr_acc_finish(const engrate_train_acc *a, const engrate_train_options *fit,
                             engrate_train_report **report, engrate_error *err)
{
    if (report)
        *report = NULL;
    if (check_usable(a, err))
        return NULL;
    if (!fit)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no options"), NULL;
    if (a->kind != ACC_KIND_PARTIAL)
        return er_error(err, ENGRATE_E_INVALID, a->t.source, 0, 0,
                        "a scan has levels and counts but no sums: accumulate the data with "
                        "it as the schema (--partial --schema), then merge the partials"),
               NULL;
    engrate_train_options *c = fit_agrees(a, fit, err) ? NULL : finish_options(a, fit, err);
    engrate_train_acc *copy = c ? copy_of(a, err) : NULL;
    engrate_model *m = NULL;
    if (copy) {
        copy->t.o = c;
        m = tr_finish(&copy->t, report);
        if (!m && err)
            *err = copy->err;
        copy->t.o = copy->o;
    }
    engrate_train_acc_free(copy);
    engrate_train_options_free(c);
    return m;
}

ENGRATE_API engrate_model *engrate_train_acc_finish(const engrate_train_acc *a,
                                                    const engrate_train_options *opts,
                                                    engrate_train_report **report,
                                                    engrate_error *err)
{
    er_error_clear(err);
    return tr_acc_finish(a, opts, report, err);
}

/* ---- The schema option ------------------------------------------------------------------- */

/* The bytes of a scan, checked, as the options' schema. */
int tr_set_schema(engrate_train_options *o, const unsigned char *data, size_t len,
                  const char *source, engrate_error *err)
{
    engrate_train_acc *s = tr_acc_from_bytes(data, len, source, err);
    if (!s)
        return err ? err->code : ENGRATE_E_INVALID;
    int kind = s->kind;
    engrate_train_acc_free(s);
    if (kind != ACC_KIND_SCAN)
        return er_error(err, ENGRATE_E_INVALID, source, 0, 0,
                        "a schema is a scan (engrate-train --scan), not a partial");
    unsigned char *copy = malloc(len);
    if (!copy)
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    memcpy(copy, data, len);
    free(o->schema);
    o->schema = copy;
    o->schema_len = len;
    return 0;
}

ENGRATE_API int engrate_train_options_set_schema(engrate_train_options *opts,
                                                 const engrate_train_acc *scan,
                                                 engrate_error *err)
{
    er_error_clear(err);
    if (!opts)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no options");
    if (!scan) {
        free(opts->schema);
        opts->schema = NULL;
        opts->schema_len = 0;
        return 0;
    }
    er_buf b;
    int rc = tr_acc_bytes(scan, &b, err);
    if (rc == 0)
        rc = tr_set_schema(opts, (const unsigned char *)b.s, b.len, scan->t.source, err);
    free(b.s);
    return rc;
}
