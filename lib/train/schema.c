/* schema.c: the levels agreed before the pass (the "schema" option: a scan of all the
 * data, merged from the scans of its parts). Before any row is read the trainer takes the
 * scan's terms in the scan's order: first the levels seen at least --min-count times in
 * the whole scan (and the numeric inputs' "was missing" terms), which get sums, then the
 * others, which are counted but get none ("dropped"), so that every part accumulates the
 * same columns and --min-count is the whole data's. A level the scan did not see is then a
 * row error: the schema must come from a scan of the same data. A curve's deviations for
 * a level (curves.c) come with their level, kept or dropped with it, in the scan's order,
 * which merging the scans in the data's order makes the single pass's. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accfile.h"
#include "accum.h"

/* The scan was made from these data's columns with these options. */
static int schema_fits(trainer *t, const engrate_train_acc *s)
{
    const engrate_train_options *o = t->o, *so = s->o;
    const char *what = NULL;
    if (strcmp(o->target, so->target))
        what = "target";
    else if ((o->weight == NULL) != (so->weight == NULL) ||
             (o->weight && strcmp(o->weight, so->weight)))
        what = "weight";
    else if (o->transform != so->transform || o->missing != so->missing)
        what = "--transform or --missing";
    else if (s->t.n_in != t->n_in)
        what = "inputs";
    for (size_t i = 0; !what && i < t->n_in; i++) {
        const tinput *a = &t->in[i], *b = &s->t.in[i];
        if (a->kind != b->kind || strcmp(a->label, b->label) || strcmp(a->sep, b->sep) ||
            a->n_knots != b->n_knots || a->by != b->by ||
            (a->by != SIZE_MAX && a->vary != b->vary) ||
            (a->n_knots && memcmp(a->knots, b->knots, a->n_knots * sizeof *a->knots)))
            what = "inputs";
    }
    if (!what && t->n_lf != s->t.n_lf)
        what = "levels file";
    for (size_t j = 0; !what && j < t->n_terms; j++) { /* what setup made: the same */
        const term *a = &t->terms[j], *b = &s->t.terms[j];
        if (j >= s->t.n_terms || a->input != b->input || a->piece != b->piece || a->lf != b->lf)
            what = "levels file";
    }
    if (!what)
        return 0;
    return er_error(t->err, ENGRATE_E_INVALID, t->source, 0, 0,
                    "the schema was scanned with another %s than these options and data "
                    "have",
                    what);
}

/* Scan term j as a term of t (dropped or not), with its names and spellings; map: t's
 * term for each of the scan's taken so far. */
static int take_term(trainer *t, const trainer *s, uint32_t j, int dropped, uint32_t *map)
{
    const term *st = &s->terms[j];
    int rc = tr_new_term(t, st->input, st->piece, NULL, -1);
    if (rc)
        return rc;
    uint32_t ti = (uint32_t)(t->n_terms - 1), other;
    map[j] = ti;
    t->terms[ti].dropped = dropped;
    if (st->piece == TR_MISSING_PIECE) {
        t->in[st->input].miss = ti;
        return 0;
    }
    if (st->by_term) { /* a curve's deviation: its level was taken before it */
        t->terms[ti].by_term = map[st->by_term];
        return tr_curves_take(t, ti) == ENGRATE_E_NOMEM ? ENGRATE_E_NOMEM : 0;
    }
    for (uint32_t k = st->spellings; k != UINT32_MAX; k = s->spells[k].next) {
        const char *text = s->spells[k].text;
        if ((rc = tr_claim_folded(t, st->input, text, strlen(text), ti, &other)) &&
            rc != ENGRATE_E_DUPLICATE)
            return rc;
        if (tr_spelling_of(t, ti, text) == UINT32_MAX)
            return ENGRATE_E_NOMEM;
    }
    return 0;
}

/* Whether scan term j keeps its sums: the missing terms and the levels seen often enough;
 * the levels file's are t's already. */
static int kept(const trainer *s, uint32_t j, long min_count)
{
    const term *st = &s->terms[j];
    if (st->by_term) /* a curve's deviation keeps its sums when its level does */
        st = &s->terms[st->by_term];
    return st->piece == TR_MISSING_PIECE || st->count >= (uint64_t)min_count;
}

int tr_apply_schema(trainer *t)
{
    const engrate_train_options *o = t->o;
    engrate_error serr;
    er_error_clear(&serr);
    if (t->scan_only)
        return er_error(t->err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "a scan finds the levels itself: --schema is for the sums (--partial) "
                        "and for training");
    engrate_train_acc *s = tr_acc_from_bytes(o->schema, o->schema_len, "the schema", &serr);
    if (!s)
        return er_error(t->err, serr.code, NULL, 0, 0, "%s", serr.text);
    size_t setup = t->n_terms;
    uint32_t *map = malloc((s->t.n_terms + 1) * sizeof *map);
    int rc = map ? schema_fits(t, s) : ENGRATE_E_NOMEM;
    for (uint32_t j = 0; rc == 0 && j < setup; j++)
        map[j] = j;
    for (int pass = 0; pass < 2 && rc == 0; pass++) /* the kept first, then the dropped */
        for (uint32_t j = (uint32_t)setup; j < s->t.n_terms && rc == 0; j++)
            if (kept(&s->t, j, o->min_count) == !pass)
                rc = take_term(t, &s->t, j, pass, map);
    free(map);
    engrate_train_acc_free(s);
    if (rc == ENGRATE_E_LIMIT || rc == ENGRATE_E_NOMEM)
        return er_error(t->err, rc, NULL, 0, 0,
                        rc == ENGRATE_E_LIMIT ? "the schema has more than %d terms"
                                              : "out of memory",
                        ER_TRAIN_MAX_TERMS);
    if (rc)
        return rc;
    t->p_sums = t->n_terms;
    for (size_t j = setup; j < t->n_terms; j++)
        if (t->terms[j].dropped) {
            t->p_sums = j;
            break;
        }
    t->closed = 1;
    t->schema_hash = acc_fnv64(o->schema, o->schema_len) | 1;
    t->schema_min_count = o->min_count;
    return 0;
}
