/* select.c: which terms are fitted: levels seen at least --min-count times and not
 * marked without evidence, a reference level per categorical input when lambda is 0, and
 * each term's penalty scale; and the refusal of a fit whose levels have all dropped out. */
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
    free(s->dev);
}

int32_t *tr_selection_positions(const trainer *t, const selection *sel)
{
    int32_t *pos = malloc((t->n_terms + 1) * sizeof *pos);
    if (!pos)
        return NULL;
    for (size_t j = 0; j < t->n_terms; j++)
        pos[j] = -1;
    for (size_t k = 0; k < sel->m; k++)
        pos[sel->cols[k]] = (int32_t)k;
    return pos;
}

static const char *term_name(trainer *t, uint32_t j)
{
    const term *tm = &t->terms[j];
    if (j == 0)
        return "(intercept)";
    const tinput *in = &t->in[tm->input];
    er_buf b = {0};
    if (in->kind == ENGRATE_NUMERIC) {
        er_buf_puts(&b, in->label);
        if (tm->piece == TR_MISSING_PIECE) {
            er_buf_puts(&b, " (missing)");
        } else if (tm->piece) {
            er_buf_puts(&b, ">");
            er_buf_double(&b, in->knots[tm->piece - 1]);
        }
        if (tm->by_term) { /* a level's deviation: years:country=Germany (curves.c) */
            er_buf_puts(&b, ":");
            er_buf_puts(&b, t->in[in->by].label);
            er_buf_puts(&b, "=");
            er_buf_puts(&b, t->terms[tm->by_term].label);
        }
    } else {
        er_buf_puts(&b, in->label);
        er_buf_puts(&b, "=");
        er_buf_puts(&b, tm->label);
    }
    if (b.failed)
        return NULL;
    char *s = er_pool_strndup(&t->pool, b.s, b.len);
    free(b.s);
    return s;
}

static int level_cmp_id(const trainer *t, uint32_t a, uint32_t b)
{
    return strcmp(t->terms[a].label, t->terms[b].label);
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
 * collinear with the intercept: drop its most frequent level (ties: the smallest label),
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
            if (tm->input != i || (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) || tm->dropped ||
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
                           t->in[i].label, t->terms[best].label);
        }
    }
}

/* Whether level term j is fitted: seen --min-count times, with evidence, and not the
 * reference level of lambda = 0. */
static int level_fitted(const trainer *t, const selection *s, uint32_t j)
{
    const term *tm = &t->terms[j];
    return !(tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) && tm->count >= (uint64_t)t->o->min_count &&
           s->reference[tm->input] != j;
}

/* One note per input for the levels of the data seen fewer than --min-count times: how
 * many, and which (as many as the note holds), in the order the data first gave them. */
static void note_dropped(trainer *t)
{
    for (size_t i = 0; i < t->n_in; i++) {
        er_buf b = {0};
        size_t n = 0;
        int cut = 0;
        for (size_t j = 1; j < t->n_terms; j++) {
            const term *tm = &t->terms[j];
            if (tm->input != i || tm->lf >= 0 || t->in[i].kind == ENGRATE_NUMERIC ||
                (tm->count >= (uint64_t)t->o->min_count && !tm->dropped))
                continue;
            if (b.len < 240)
                er_buf_printf(&b, "%s'%s' (%llu)", n ? ", " : "", tm->label,
                              (unsigned long long)tm->count);
            else if (!cut++)
                er_buf_puts(&b, ", ..."); /* a note holds a few hundred bytes */
            n++;
        }
        if (n && b.failed)
            t->rep->nomem = 1; /* the note is lost: the report must not render without it */
        else if (n)
            er_report_note(t->rep, "%s: %zu level%s seen fewer than %ld times (--min-count) "
                                   "dropped: %s",
                           t->in[i].label, n, n > 1 ? "s" : "", t->o->min_count, b.s);
        free(b.s);
    }
}

/* Inputs none of whose levels is fitted are noted; when that is every categorical and set
 * input, the model would know nothing but its numbers: an error, not a model. */
static int dropped_out(trainer *t, const selection *s)
{
    size_t with_levels = 0, left = 0;
    char names[200] = "";
    size_t o = 0;
    for (size_t i = 0; i < t->n_in; i++) {
        if (t->in[i].kind == ENGRATE_NUMERIC)
            continue;
        with_levels++;
        int kept = s->reference[i] != 0;
        for (size_t k = 0; k < s->m && !kept; k++)
            kept = t->terms[s->cols[k]].input == i;
        left += kept;
        if (!kept) {
            er_report_note(t->rep, "%s: no level seen at least %ld times (--min-count): the "
                                   "input has no effect",
                           t->in[i].label, t->o->min_count);
            if (o + 4 < sizeof names)
                o += (size_t)snprintf(names + o, sizeof names - o, "%s'%s'", o ? ", " : "",
                                      t->in[i].label);
        }
    }
    if (with_levels == 0 || left > 0)
        return 0;
    return er_error(t->err, ENGRATE_E_DATA, t->source, 0, 0,
                    "no level of %s is seen at least %ld times (--min-count) in the %llu rows "
                    "used: the model would know none of them; give more rows or a lower "
                    "--min-count",
                    names, t->o->min_count, (unsigned long long)t->rows_used);
}

int tr_select_terms(trainer *t, const er_acc *total, double lambda_if_fixed, selection *s)
{
    const engrate_train_options *o = t->o;
    memset(s, 0, sizeof *s);
    s->cols = malloc(t->n_terms * sizeof *s->cols);
    s->pen = malloc(t->n_terms * sizeof *s->pen);
    s->names = malloc(t->n_terms * sizeof *s->names);
    s->reference = calloc(t->n_in + 1, sizeof *s->reference);
    s->dev = calloc(t->n_terms, sizeof *s->dev);
    if (!s->cols || !s->pen || !s->names || !s->reference || !s->dev)
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    if (!o->lambda_auto && lambda_if_fixed == 0)
        pick_references(t, s);
    note_dropped(t);
    for (size_t j = 1; j < t->n_terms; j++) {
        const term *tm = &t->terms[j];
        const tinput *in = &t->in[tm->input];
        if (in->kind != ENGRATE_NUMERIC) {
            if ((tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) || tm->dropped)
                continue;
            if (tm->count < (uint64_t)o->min_count) {
                if (tm->lf >= 0)
                    er_report_note(t->rep, "%s level '%s' seen %llu times (--min-count %ld): "
                                           "kept without evidence (coefficient 0)",
                                   in->label, tm->label, (unsigned long long)tm->count,
                                   o->min_count);
                continue;
            }
            if (s->reference[tm->input] == j)
                continue;
        } else if (tm->by_term && (!tm->count || !level_fitted(t, s, tm->by_term))) {
            continue; /* a deviation of a level that is not fitted: it follows the curve */
        }
        size_t k = s->m++;
        s->cols[k] = (uint32_t)j;
        s->names[k] = term_name(t, (uint32_t)j);
        if (!s->names[k])
            return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        /* A deviation is penalised on the scale of the pooled piece it deviates from
         * (times the ratio chosen with lambda, curves.c). */
        s->pen[k] = in->kind == ENGRATE_NUMERIC && tm->piece != TR_MISSING_PIECE
                        ? variance(total, tm->by_term ? in->first + tm->piece : j,
                                   o->intercept)
                        : 1;
        s->dev[k] = tm->by_term != 0;
        s->n_dev += s->dev[k];
    }
    return dropped_out(t, s);
}
