/* merge.c: one pass's results added to another's, as if one reader had read both parts
 * in turn: the parts of a file read by threads of their own (shard.c), and accumulators
 * from several files or machines (accum.c). Each part numbered its terms as it met them;
 * the merge finds each of the part's terms in the whole (the intercept and numeric pieces
 * by their place, levels of the levels file by their entry, other levels by their folded
 * name, a curve's deviation by its level and piece) or adds it, in the part's order, so
 * that merging parts in the data's order numbers the terms as one pass would have.
 * Spelling counts, rows, reasons and the first notes add up; the exact sums and the sample
 * merge (xacc.c, sample.c). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* dst's term for src's level term j, found by its first spelling or added. */
static int level_term(trainer *dst, const trainer *src, uint32_t j, uint32_t *out)
{
    const term *st = &src->terms[j];
    if (st->lf >= 0) {
        *out = dst->lf[st->lf].term;
        return 0;
    }
    const char *text = st->spellings != UINT32_MAX ? src->spells[st->spellings].text : st->label;
    uint32_t d = text ? tr_label_term(dst, st->input, text) : UINT32_MAX;
    if (d == UINT32_MAX && dst->closed)
        return ENGRATE_E_DATA; /* the schema has all the levels: another schema's */
    if (d == UINT32_MAX) {
        int rc = tr_new_term(dst, st->input, 0, NULL, -1);
        if (rc)
            return rc;
        d = (uint32_t)(dst->n_terms - 1);
        uint32_t other;
        if (text && (rc = tr_claim_folded(dst, st->input, text, strlen(text), d, &other)))
            return rc == ENGRATE_E_DUPLICATE ? ENGRATE_E_DATA : rc;
        dst->terms[d].flags = st->flags;
        dst->terms[d].dropped = st->dropped;
    }
    *out = d;
    return 0;
}

/* dst's term for each of src's (map), and their counts and spellings added. */
static int map_terms(trainer *dst, const trainer *src, uint32_t *map)
{
    map[0] = 0;
    for (uint32_t j = 1; j < src->n_terms; j++) {
        const term *st = &src->terms[j];
        tinput *in = &dst->in[st->input];
        int rc = 0;
        if (in->kind == ENGRATE_NUMERIC && st->piece == TR_MISSING_PIECE) {
            if (!in->miss && dst->closed)
                return ENGRATE_E_DATA;
            if (!in->miss && !(rc = tr_new_term(dst, st->input, TR_MISSING_PIECE, NULL, -1)))
                in->miss = (uint32_t)(dst->n_terms - 1);
            map[j] = in->miss;
        } else if (in->kind == ENGRATE_NUMERIC && st->by_term) {
            /* a level's deviation (curves.c): its level is mapped already (made first) */
            rc = tr_curves_piece(dst, st->input, map[st->by_term], st->piece, &map[j]);
        } else if (in->kind == ENGRATE_NUMERIC) {
            map[j] = in->first + st->piece;
        } else {
            rc = level_term(dst, src, j, &map[j]);
        }
        if (rc)
            return rc;
        term *dt = &dst->terms[map[j]];
        if (dt->dropped != st->dropped)
            return ENGRATE_E_DATA; /* schemas differ: tr_compatible says so first */
        dt->count += st->count;
        for (uint32_t s = st->spellings; s != UINT32_MAX; s = src->spells[s].next) {
            uint32_t ds = tr_spelling_of(dst, map[j], src->spells[s].text);
            if (ds == UINT32_MAX)
                return ENGRATE_E_NOMEM;
            dst->spells[ds].count += src->spells[s].count;
        }
    }
    return 0;
}

/* Numeric inputs' ranges and missing values; the scales src's sums must be multiplied by
 * to be in dst's (a column scaled by its first value beyond 2^+-100 in one part may have
 * another first value in the other): per src term in sx, the target's returned. */
static int merge_inputs(trainer *dst, const trainer *src, int *sx)
{
    for (size_t i = 0; i < dst->n_in; i++) {
        tinput *d = &dst->in[i];
        const tinput *s = &src->in[i];
        if (d->kind != ENGRATE_NUMERIC)
            continue;
        if (s->min < d->min)
            d->min = s->min;
        if (s->max > d->max)
            d->max = s->max;
        d->n_missing += s->n_missing;
        if (s->scale_set && d->scale_set)
            for (size_t k = 0; k <= s->n_knots; k++)
                sx[s->first + k] = s->scale - d->scale;
        else if (s->scale_set) {
            d->scale = s->scale;
            d->scale_set = 1;
        }
    }
    for (size_t j = 1; j < src->n_terms; j++) /* a deviation holds its piece's values */
        if (src->terms[j].by_term)
            sx[j] = sx[src->in[src->terms[j].input].first + src->terms[j].piece];
    if (src->y_scale_set && dst->y_scale_set)
        return src->y_scale - dst->y_scale;
    if (src->y_scale_set) {
        dst->y_scale = src->y_scale;
        dst->y_scale_set = 1;
    }
    return 0;
}

/* Whether the report already has note `text`. */
static int has_note(const engrate_train_report *r, const char *text)
{
    for (size_t i = 0; i < r->n_notes; i++)
        if (!strcmp(r->notes[i], text))
            return 1;
    return 0;
}

/* Rows, reasons, the first skipped rows' notes (those among the first few of the whole)
 * and the notes of src's header that dst's lacks. */
static void merge_counts(trainer *dst, const trainer *src)
{
    const engrate_train_report *sr = src->rep;
    uint64_t before = dst->rows_bad;
    if (!dst->rows_bad && src->rows_bad)
        memcpy(dst->first_bad, src->first_bad, sizeof dst->first_bad);
    dst->rows_read += src->rows_read;
    dst->rows_used += src->rows_used;
    dst->rows_skipped += src->rows_skipped;
    dst->rows_bad += src->rows_bad;
    dst->rows_empty += src->rows_empty;
    for (size_t i = 0; i < sr->n_reasons; i++)
        er_report_reasons(dst->rep, sr->reasons[i].what, sr->reasons[i].count);
    for (size_t i = 0; i < src->n_setup_notes && i < sr->n_notes; i++)
        if (!has_note(dst->rep, sr->notes[i]))
            er_report_note(dst->rep, "%s", sr->notes[i]);
    for (size_t i = 0; i < src->n_skip_notes; i++) {
        size_t at = src->n_setup_notes + i;
        uint64_t n = before + src->skip_note_at[i];
        if (at >= sr->n_notes || n > TR_SKIP_NOTES || dst->n_skip_notes >= TR_SKIP_NOTES)
            break;
        dst->skip_note_at[dst->n_skip_notes++] = n;
        er_report_note(dst->rep, "%s", sr->notes[at]);
    }
}

/* The sums added; src's sample too unless later is given, which then keeps what the
 * sample's merge needs (its arrays handed over: the caller frees them). */
static int merge_sums(trainer *dst, trainer *src, uint32_t **map, int **sx, int sy,
                      tr_later *later)
{
    int scaled = sy != 0;
    for (size_t j = 0; j < src->n_terms && !scaled; j++)
        scaled = (*sx)[j] != 0;
    for (size_t k = 0; k < dst->K; k++) {
        if (scaled)
            er_xacc_scale(&src->xacc[k], *sx, sy);
        if (er_xacc_merge(&dst->xacc[k], &src->xacc[k], *map))
            return ENGRATE_E_NOMEM;
    }
    if (!later)
        return tr_sample_merge(dst, src, *map, scaled ? *sx : NULL, sy);
    *later = (tr_later){*map, scaled ? *sx : NULL, sy};
    if (!scaled)
        free(*sx);
    *map = NULL;
    *sx = NULL;
    return 0;
}

static int merge(trainer *dst, trainer *src, tr_later *later)
{
    uint32_t *map = malloc((src->n_terms + 1) * sizeof *map);
    int *sx = calloc(src->n_terms + 1, sizeof *sx);
    int rc = map && sx ? map_terms(dst, src, map) : ENGRATE_E_NOMEM;
    if (rc == 0) {
        int sy = merge_inputs(dst, src, sx);
        merge_counts(dst, src);
        if (!dst->scan_only)
            rc = merge_sums(dst, src, &map, &sx, sy, later);
    }
    free(map);
    free(sx);
    if (rc == ENGRATE_E_LIMIT)
        return er_error(dst->err, rc, dst->source, 0, 0,
                        "the data together have more than %d terms (levels and numeric "
                        "pieces); merge rare levels in the data",
                        ER_TRAIN_MAX_TERMS);
    if (rc == ENGRATE_E_DATA)
        return er_error(dst->err, rc, dst->source, 0, 0,
                        "the parts do not agree on their levels (accumulated with different "
                        "schemas or levels files)");
    return rc ? er_error(dst->err, rc, dst->source, 0, 0, "out of memory") : 0;
}

int tr_merge(trainer *dst, trainer *src)
{
    return merge(dst, src, NULL);
}

int tr_merge_later(trainer *dst, trainer *src, tr_later *later)
{
    *later = (tr_later){NULL, NULL, 0};
    return merge(dst, src, later);
}

void tr_later_free(tr_later *later)
{
    free(later->map);
    free(later->sx);
    *later = (tr_later){NULL, NULL, 0};
}
