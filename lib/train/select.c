/* select.c: which terms are fitted: levels seen at least --min-count times and not
 * marked without evidence, a reference level per categorical input when lambda is 0, and
 * each term's penalty scale. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

void tr_selection_free(selection *s)
{
    free(s->cols);
    free(s->pen);
    free(s->names);
    free(s->reference);
}

static const char *term_name(trainer *t, uint32_t j)
{
    const term *tm = &t->terms[j];
    if (j == 0)
        return "(intercept)";
    const tinput *in = &t->in[tm->input];
    er_buf b = {0};
    if (in->kind == ENGRATE_NUMERIC) {
        er_buf_puts(&b, in->id);
        if (tm->piece) {
            er_buf_puts(&b, ">");
            er_buf_double(&b, in->knots[tm->piece - 1]);
        }
    } else {
        er_buf_printf(&b, "%s=%s", in->id, tm->level);
    }
    if (b.failed)
        return NULL;
    char *s = er_pool_strndup(&t->pool, b.s, b.len);
    free(b.s);
    return s;
}

static int level_cmp_id(const trainer *t, uint32_t a, uint32_t b)
{
    return strcmp(t->terms[a].level, t->terms[b].level);
}

/* The penalty scale of a numeric term: its weighted variance (about the mean with an
 * intercept), so that the penalty acts on standardised coefficients; 1 when there is none.
 * Indicators have scale 1. */
static double variance(const er_acc *total, size_t j, int intercept)
{
    er_dd sw = total->g[0];
    if (j >= total->p || !(sw.hi > 0))
        return 1;
    er_dd g = total->g[ER_PK(j, j)];
    if (intercept)
        g = dd_sub(g, dd_div(dd_mul(total->g[ER_PK(0, j)], total->g[ER_PK(0, j)]), sw));
    double v = dd_to_d(dd_div(g, sw));
    return v > 0 && isfinite(v) ? v : 1;
}

/* With lambda = 0 a full set of indicators of a categorical input that every row gives is
 * collinear with the intercept: drop its most frequent level (ties: the smallest id),
 * which then has coefficient 0 and is the baseline (s->reference). */
static void pick_references(trainer *t, selection *s)
{
    const engrate_train_options *o = t->o;
    int absorbed = o->intercept;
    for (size_t i = 0; i < t->n_in; i++) {
        if (t->in[i].kind != ENGRATE_CATEGORICAL)
            continue;
        uint64_t rows = 0;
        uint32_t best = 0;
        for (size_t j = 1; j < t->n_terms; j++) {
            const term *tm = &t->terms[j];
            if (tm->input != i || (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) ||
                tm->count < (uint64_t)o->min_count)
                continue;
            rows += tm->count;
            if (!best || tm->count > t->terms[best].count ||
                (tm->count == t->terms[best].count && level_cmp_id(t, (uint32_t)j, best) < 0))
                best = (uint32_t)j;
        }
        if (best && rows == t->rows_used) {
            if (!absorbed) { /* without intercept the first such input keeps all levels */
                absorbed = 1;
                continue;
            }
            s->reference[i] = best;
            er_report_note(t->rep, "%s: level '%s' is the reference (coefficient 0) because "
                                   "lambda is 0",
                           t->in[i].id, t->terms[best].level);
        }
    }
}

int tr_select_terms(trainer *t, const er_acc *total, double lambda_if_fixed, selection *s)
{
    const engrate_train_options *o = t->o;
    memset(s, 0, sizeof *s);
    s->cols = malloc(t->n_terms * sizeof *s->cols);
    s->pen = malloc(t->n_terms * sizeof *s->pen);
    s->names = malloc(t->n_terms * sizeof *s->names);
    s->reference = calloc(t->n_in + 1, sizeof *s->reference);
    if (!s->cols || !s->pen || !s->names || !s->reference)
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    if (!o->lambda_auto && lambda_if_fixed == 0)
        pick_references(t, s);
    for (size_t j = 1; j < t->n_terms; j++) {
        const term *tm = &t->terms[j];
        const tinput *in = &t->in[tm->input];
        if (in->kind != ENGRATE_NUMERIC) {
            if (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE)
                continue;
            if (tm->count < (uint64_t)o->min_count) {
                if (tm->lf >= 0)
                    er_report_note(t->rep, "%s level '%s' seen %llu times (--min-count %ld): "
                                           "kept without evidence (coefficient 0)",
                                   in->id, tm->level, (unsigned long long)tm->count,
                                   o->min_count);
                else
                    er_report_note(t->rep, "%s level '%s' seen %llu times (--min-count %ld): "
                                           "dropped",
                                   in->id, tm->level, (unsigned long long)tm->count,
                                   o->min_count);
                continue;
            }
            if (s->reference[tm->input] == j)
                continue;
        }
        size_t k = s->m++;
        s->cols[k] = (uint32_t)j;
        s->names[k] = term_name(t, (uint32_t)j);
        if (!s->names[k])
            return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        s->pen[k] = in->kind == ENGRATE_NUMERIC ? variance(total, j, o->intercept) : 1;
    }
    return 0;
}
