/* accstate.c: the sections of an accumulator file read back into a trainer
 * (docs/accumulator.md): the options it was made with, its inputs, levels file, terms
 * with their spellings, rows, exact sums and sample; each value checked for what it may
 * be before it is used, and the tables a trainer derives (names folded, spelling chains)
 * rebuilt as the pass built them. accload.c has the reader. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accfile.h"
#include "accload.h"

#define VALUE_FLAG 0x80000000u

/* ---- Options ---------------------------------------------------------------------------- */

static int read_input_option(rd *r, er_pool *tmp, opt_input *in)
{
    unsigned kind = rd_u8(r);
    const char *col = rd_str(r, tmp, ER_MAX_NAME_BYTES, 1);
    const char *sep = rd_str(r, tmp, sizeof in->sep - 1, 1);
    if (r->rc)
        return r->rc;
    if (kind != ENGRATE_CATEGORICAL && kind != ENGRATE_SET && kind != ENGRATE_NUMERIC)
        return rd_fail(r, ENGRATE_E_DATA, "an input of kind %u", kind);
    if (!*col)
        return rd_fail(r, ENGRATE_E_DATA, "an input without a column");
    if ((kind == ENGRATE_SET) != (*sep != 0) || strpbrk(sep, "\"\r\n"))
        return rd_fail(r, ENGRATE_E_DATA, "separator '%s' for an input of kind %u", sep, kind);
    in->kind = (int)kind;
    strcpy(in->sep, sep);
    size_t nk = rd_count(r, kind == ENGRATE_NUMERIC ? ER_MAX_KNOTS : 0, 8, "knots");
    if (nk && !(in->knots = malloc(nk * sizeof *in->knots)))
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    for (size_t k = 0; k < nk && !r->rc; k++) {
        double v = rd_f64(r);
        if (!(fabs(v) <= ER_MAX_ABS_NUMERIC) || (k && !(v > in->knots[k - 1])))
            return rd_fail(r, ENGRATE_E_DATA, "knots that are not increasing numbers");
        in->knots[in->n_knots++] = v;
    }
    unsigned has = rd_u8(r);
    if (has > 1)
        return rd_fail(r, ENGRATE_E_DATA, "a flag of %u", has);
    in->has_option = (int)has;
    const char *by = rd_ostr(r, tmp, ER_MAX_NAME_BYTES);
    unsigned vary = rd_u8(r);
    if (r->rc)
        return r->rc;
    if (vary > ER_VARY_KNOTS || (by && kind != ENGRATE_NUMERIC) || (vary && !by))
        return rd_fail(r, ENGRATE_E_DATA, "a curve by '%s' that varies as %u", by ? by : "",
                       vary);
    in->vary = (int)vary;
    if (!(in->col = er_dup_str(col)) || (by && !(in->by = er_dup_str(by))))
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    return r->rc;
}

static int read_option_values(rd *r, er_pool *tmp, engrate_train_options *o)
{
    const char *target = rd_str(r, tmp, ER_MAX_NAME_BYTES, 1);
    const char *weight = rd_ostr(r, tmp, ER_MAX_NAME_BYTES);
    unsigned transform = rd_u8(r), missing = rd_u8(r), by = rd_u8(r);
    uint32_t folds = rd_u32(r);
    uint64_t sample = rd_u64(r);
    o->levels_hash = rd_u64(r);
    r->schema_hash = rd_u64(r);
    r->schema_min = rd_u32(r);
    if (r->rc)
        return r->rc;
    if (!*target || transform > 1 || missing > 2 || by > 0 || folds == 1 || folds > 100 ||
        sample < 100 || sample > ACC_MAX_SAMPLE || (!r->schema_hash) != (!r->schema_min))
        return rd_fail(r, ENGRATE_E_DATA, "an option out of its range (target '%s', transform "
                                          "%u, missing %u, folds-by %u, folds %u, sample %llu)",
                       target, transform, missing, by, folds, (unsigned long long)sample);
    free(o->target);
    if (!(o->target = er_dup_str(target)) || (weight && !(o->weight = er_dup_str(weight))))
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    o->transform = transform ? ENGRATE_TRANSFORM_NONE : ENGRATE_TRANSFORM_LOG;
    o->missing = (int)missing;
    o->folds_by = ER_FOLDS_BY_CONTENT;
    o->folds = (int)folds;
    o->sample = (size_t)sample;
    if (r->schema_min)
        o->min_count = (long)r->schema_min;
    return 0;
}

int acc_read_options(rd *r, engrate_train_options **out)
{
    if (rd_section(r, ACC_OPTS, "options"))
        return r->rc;
    engrate_train_options *o = engrate_train_options_new();
    if (!(*out = o))
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    er_pool tmp = {0};
    if (read_option_values(r, &tmp, o) == 0) {
        size_t n = rd_count(r, ER_MAX_INPUTS, 14, "inputs");
        if (n && !(o->inputs = calloc(n, sizeof *o->inputs)))
            rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
        for (size_t i = 0; i < n && !r->rc; i++) {
            rd_item(r, "input", i + 1);
            read_input_option(r, &tmp, &o->inputs[i]);
            o->n_inputs++;
            for (size_t j = 0; j < i && !r->rc; j++)
                if (!strcmp(o->inputs[j].col, o->inputs[i].col))
                    rd_fail(r, ENGRATE_E_DATA, "column '%s' is two inputs", o->inputs[i].col);
        }
        if (!r->rc && !n)
            rd_fail(r, ENGRATE_E_DATA, "no inputs");
    }
    er_pool_free(&tmp);
    return rd_section_end(r);
}

/* ---- Inputs and the levels file ----------------------------------------------------------- */

/* Input i's curve by another input (curves.c): `by`, that input's number, or UINT32_MAX
 * when its options give no by-column; the other input is categorical, read or not yet. */
static int read_curve(rd *r, trainer *t, size_t i, size_t n, uint32_t by)
{
    tinput *in = &t->in[i];
    const opt_input *oi = &t->o->inputs[i];
    in->by = SIZE_MAX;
    in->by_col = oi->by;
    in->vary = oi->vary == ER_VARY_KNOTS ? ER_VARY_KNOTS : ER_VARY_SLOPE;
    if (!oi->by && by == UINT32_MAX)
        return 0;
    if (!oi->by || by >= n || by == i || t->o->inputs[by].kind != ENGRATE_CATEGORICAL ||
        t->o->missing == ER_MISSING_IMPUTE) /* which a pass refuses (curves.c) */
        return rd_fail(r, ENGRATE_E_DATA, "input '%s' varies by input %lu, not one its "
                                          "options let it",
                       in->label, (unsigned long)by);
    in->by = by;
    t->curves_by = 1;
    return 0;
}

static int read_inputs(rd *r, trainer *t)
{
    const engrate_train_options *o = t->o;
    if (rd_section(r, ACC_INPT, "inputs"))
        return r->rc;
    size_t n = rd_count(r, ER_MAX_INPUTS, 43, "inputs");
    if (!r->rc && n != o->n_inputs)
        return rd_fail(r, ENGRATE_E_DATA, "%zu inputs, the options %zu", n, o->n_inputs);
    t->in = er_pool_alloc(&t->pool, (n + 1) * sizeof *t->in);
    t->rx = er_pool_alloc(&t->pool, (n + 1) * sizeof *t->rx);
    if (!r->rc && (!t->in || !t->rx))
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !r->rc; i++) {
        tinput *in = &t->in[i];
        const opt_input *oi = &o->inputs[i];
        rd_item(r, "input", i + 1);
        *in = (tinput){.kind = oi->kind, .col = SIZE_MAX, .sep = oi->sep,
                       .seplen = strlen(oi->sep), .knots = oi->knots, .n_knots = oi->n_knots};
        in->label = rd_str(r, &t->pool, ER_MAX_NAME_BYTES, 1);
        in->id = rd_str(r, &t->pool, ER_MAX_ID_BYTES, 1);
        in->first = rd_u32(r);
        in->miss = rd_u32(r);
        in->min = rd_f64(r);
        in->max = rd_f64(r);
        in->scale = (int32_t)rd_u32(r);
        unsigned set = rd_u8(r);
        in->n_missing = rd_u64(r);
        in->label_en = rd_ostr(r, &t->pool, ER_MAX_NAME_BYTES);
        in->label_ja = rd_ostr(r, &t->pool, ER_MAX_NAME_BYTES);
        uint32_t by = rd_u32(r);
        in->scale_set = (int)set;
        if (r->rc)
            break;
        if (read_curve(r, t, i, n, by))
            break;
        int range_ok = (in->min == INFINITY && in->max == -INFINITY) ||
                       (isfinite(in->min) && isfinite(in->max) && in->min <= in->max);
        if (!*in->label || !er_valid_id(in->id, strlen(in->id)) || set > 1 || !range_ok ||
            in->scale < -1100 || in->scale > 1100 || (oi->kind != ENGRATE_NUMERIC && in->miss))
            return rd_fail(r, ENGRATE_E_DATA, "input '%s' (id '%s') is not one a pass makes",
                           in->label, in->id);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->in[j].id, in->id))
                return rd_fail(r, ENGRATE_E_DATA, "two inputs have the id '%s'", in->id);
    }
    t->n_in = r->rc ? 0 : n;
    /* A curve's by-input is the one its options name, as a pass finds it (curves.c): all
     * the inputs are read now, so a later one can be looked up too. */
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        if (in->by != SIZE_MAX && tr_find_input(t, in->by_col) != in->by) {
            rd_item(r, "input", i + 1);
            t->n_in = 0;
            return rd_fail(r, ENGRATE_E_DATA, "input '%s' varies by '%s', not by '%s' as its "
                                              "options say",
                           in->label, t->in[in->by].label, in->by_col);
        }
    }
    return rd_section_end(r);
}

static int read_levels_file(rd *r, trainer *t)
{
    if (rd_section(r, ACC_LVLF, "levels file"))
        return r->rc;
    size_t n = rd_count(r, ER_TRAIN_MAX_TERMS, 14, "levels");
    if (n && !(t->lf = calloc(n, sizeof *t->lf)))
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !r->rc; i++) {
        lfentry *e = &t->lf[i];
        char lab[ER_MAX_NAME_BYTES + 1];
        rd_item(r, "level", i + 1);
        e->input = rd_u32(r);
        e->level = rd_str(r, &t->pool, ER_MAX_NAME_BYTES, 1);
        e->id = rd_ostr(r, &t->pool, ER_MAX_ID_BYTES);
        e->name_en = rd_ostr(r, &t->pool, ER_MAX_NAME_BYTES);
        e->name_ja = rd_ostr(r, &t->pool, ER_MAX_NAME_BYTES);
        e->aliases = rd_ostr(r, &t->pool, ER_MAX_NAME_BYTES);
        unsigned none = rd_u8(r);
        e->term = rd_u32(r);
        e->no_evidence = (int)none;
        if (r->rc)
            break;
        int len = tr_normalise_label(e->level, strlen(e->level), lab, sizeof lab);
        if (e->input >= t->n_in || t->in[e->input].kind == ENGRATE_NUMERIC || none > 1 ||
            len < 0 || strcmp(lab, e->level) || (e->id && !er_valid_id(e->id, strlen(e->id))))
            return rd_fail(r, ENGRATE_E_DATA, "level '%s' is not one a levels file gives",
                           e->level);
        t->n_lf++;
    }
    return rd_section_end(r);
}

/* ---- Terms ------------------------------------------------------------------------------- */

/* Term j's spellings: normalised labels, distinct, chained in their order. */
static int read_spellings(rd *r, trainer *t, uint32_t j, size_t *total)
{
    size_t n = rd_count(r, ACC_MAX_SPELLINGS - *total, 12, "spellings");
    *total += n;
    for (size_t s = 0; s < n && !r->rc; s++) {
        char lab[ER_MAX_NAME_BYTES + 1];
        const char *text = rd_str(r, &t->pool, ER_MAX_NAME_BYTES, 1);
        uint64_t count = rd_u64(r);
        if (r->rc)
            break;
        int len = tr_normalise_label(text, strlen(text), lab, sizeof lab);
        if (len < 0 || strcmp(lab, text))
            return rd_fail(r, ENGRATE_E_DATA, "spelling '%s' is not a label", text);
        size_t before = t->n_spells;
        uint32_t sp = tr_spelling_of(t, j, text);
        if (sp == UINT32_MAX)
            return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
        if (t->n_spells == before)
            return rd_fail(r, ENGRATE_E_DATA, "spelling '%s' given twice", text);
        t->spells[sp].count = count;
    }
    return r->rc;
}

/* One term's fields, checked against the inputs and the levels file. */
static int read_term(rd *r, trainer *t, uint32_t j, size_t p, size_t *total)
{
    term *tm = &t->terms[j];
    memset(tm, 0, sizeof *tm);
    tm->spellings = UINT32_MAX;
    tm->input = rd_u32(r);
    tm->piece = rd_u32(r);
    tm->lf = (int32_t)rd_u32(r);
    tm->flags = rd_u32(r);
    unsigned dropped = rd_u8(r);
    tm->by_term = rd_u32(r);
    tm->count = rd_u64(r);
    tm->dropped = (int)dropped;
    if (r->rc)
        return r->rc;
    int bad = dropped > 1 || (dropped != 0) != (j >= p) || tm->lf < -1 ||
              tm->lf >= (int)t->n_lf || (tm->flags & ~(unsigned)ENGRATE_LEVEL_NO_EVIDENCE) ||
              (j > 0 && tm->input >= t->n_in);
    if (bad)
        ;
    else if (j == 0)
        bad |= tm->input != UINT32_MAX || tm->piece || tm->lf != -1 || tm->flags || tm->by_term;
    else if (t->in[tm->input].kind == ENGRATE_NUMERIC && tm->by_term) {
        /* a level's deviation: after its level, dropped with it, one per level and piece */
        bad |= tm->lf != -1 || tm->flags || tm->by_term >= j ||
               (int)dropped != t->terms[tm->by_term].dropped;
        int rc = bad ? 0 : tr_curves_take(t, j);
        if (rc == ENGRATE_E_NOMEM)
            return rd_fail(r, rc, "out of memory");
        bad |= rc != 0;
    }
    else if (t->in[tm->input].kind == ENGRATE_NUMERIC)
        bad |= tm->lf != -1 || tm->flags || dropped ||
               (tm->piece > t->in[tm->input].n_knots && tm->piece != TR_MISSING_PIECE);
    else
        bad |= tm->by_term || tm->piece != 0 || (tm->lf >= 0 && t->lf[tm->lf].term != j) ||
               (tm->flags && (tm->lf < 0 || !t->lf[tm->lf].no_evidence));
    if (bad)
        return rd_fail(r, ENGRATE_E_DATA, "a term that is not one a pass makes");
    if (tm->lf >= 0)
        tm->label = t->lf[tm->lf].level;
    return read_spellings(r, t, j, total);
}

/* The numeric inputs' terms where their inputs say, each level term with a name, and the
 * names that fold alike claimed by one level each, as the pass claimed them. */
static int check_terms(rd *r, trainer *t)
{
    r->item[0] = '\0';
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        if (in->kind != ENGRATE_NUMERIC)
            continue;
        for (size_t k = 0; k <= in->n_knots; k++) {
            size_t j = (size_t)in->first + k;
            if (j >= t->n_terms || t->terms[j].input != i || t->terms[j].piece != k)
                return rd_fail(r, ENGRATE_E_DATA, "input '%s' has not its terms", in->label);
        }
        if (in->miss && (in->miss >= t->n_terms || t->terms[in->miss].input != i ||
                         t->terms[in->miss].piece != TR_MISSING_PIECE))
            return rd_fail(r, ENGRATE_E_DATA, "input '%s' has not its missing term", in->label);
    }
    for (size_t e = 0; e < t->n_lf; e++)
        if (t->lf[e].term >= t->n_terms || t->terms[t->lf[e].term].lf != (int)e)
            return rd_fail(r, ENGRATE_E_DATA, "level '%s' has no term", t->lf[e].level);
    for (uint32_t j = 1; j < t->n_terms; j++) {
        const term *tm = &t->terms[j];
        const tinput *in = &t->in[tm->input];
        if (in->kind == ENGRATE_NUMERIC && tm->by_term)
            continue; /* a deviation, checked as it was read (tr_curves_take) */
        if (in->kind == ENGRATE_NUMERIC) {
            if (tm->piece == TR_MISSING_PIECE ? in->miss != j : in->first + tm->piece != j)
                return rd_fail(r, ENGRATE_E_DATA, "term %u of '%s' is out of place", j,
                               in->label);
            continue;
        }
        if (tm->lf < 0 && tm->spellings == UINT32_MAX)
            return rd_fail(r, ENGRATE_E_DATA, "term %u has no name", j);
    }
    return acc_claim_names(r, t);
}

static int read_terms(rd *r, trainer *t, size_t *p)
{
    if (rd_section(r, ACC_TERM, "terms"))
        return r->rc;
    size_t n = rd_count(r, ER_TRAIN_MAX_TERMS, 29, "terms");
    *p = rd_u32(r);
    if (!r->rc && (n == 0 || *p == 0 || *p > n))
        return rd_fail(r, ENGRATE_E_DATA, "%zu terms, %zu with sums", n, *p);
    if (n && !(t->terms = calloc(n, sizeof *t->terms)))
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    t->terms_cap = n;
    size_t total = 0;
    for (uint32_t j = 0; j < n && !r->rc; j++) {
        rd_item(r, "term", j);
        if (read_term(r, t, j, *p, &total) == 0)
            t->n_terms++;
    }
    if (r->rc || check_terms(r, t))
        return r->rc;
    t->closed = *p < n || r->schema_hash != 0;
    t->p_sums = *p;
    t->schema_hash = r->schema_hash;
    t->schema_min_count = (long)r->schema_min;
    return rd_section_end(r);
}

int acc_read_state(rd *r, trainer *t)
{
    size_t p = 0;
    if (read_inputs(r, t) || read_levels_file(r, t) || read_terms(r, t, &p))
        return r->rc;
    return acc_read_rows(r, t);
}
