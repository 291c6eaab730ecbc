/* design.c: from a CSV record to a sparse design row: the target and weight, the numeric
 * inputs (their pieces, scaled, and what a missing value does), the levels of categorical
 * and set inputs (labels.c finds their terms), the tables that find terms, and the row
 * errors that --skip-bad-rows counts instead. setup.c reads the header. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* ---- Hash tables ------------------------------------------------------------------- */

int tr_table_grow(slot **tab, size_t *mask, size_t used)
{
    size_t cap = *tab ? (*mask + 1) : 0;
    if (*tab && (used + 1) * 4 < cap * 3)
        return 0;
    size_t ncap = cap ? cap * 2 : 256;
    slot *t = calloc(ncap, sizeof *t);
    if (!t)
        return ENGRATE_E_NOMEM;
    for (size_t i = 0; i < cap; i++) {
        slot *s = &(*tab)[i];
        if (!s->hash)
            continue;
        size_t j = s->hash & (ncap - 1);
        while (t[j].hash)
            j = (j + 1) & (ncap - 1);
        t[j] = *s;
    }
    free(*tab);
    *tab = t;
    *mask = ncap - 1;
    return 0;
}

/* Whether a[0..n) and b[0..n) hold the same bytes: keys are short, and a loop here is
 * cheaper than a call. */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

slot *tr_table_find(slot *tab, size_t mask, uint64_t h, uint32_t input, const char *key,
                    size_t len)
{
    if (!tab)
        return NULL;
    size_t j = h & mask;
    while (tab[j].hash) {
        slot *s = &tab[j];
        if (s->hash == h && s->input == input && s->len == len && same_bytes(s->key, key, len))
            return s;
        j = (j + 1) & mask;
    }
    return &tab[j]; /* the empty slot where it would go */
}

uint64_t tr_key_hash(uint32_t input, const char *key, size_t len)
{
    uint64_t h = er_hash(input, key, len);
    return h ? h : 1;
}

/* ---- Terms ------------------------------------------------------------------------- */

int tr_new_term(trainer *t, uint32_t input, uint32_t piece, const char *label, int lf)
{
    if (t->n_terms >= ER_TRAIN_MAX_TERMS)
        return ENGRATE_E_LIMIT;
    if (t->n_terms == t->terms_cap) {
        size_t cap = t->terms_cap ? t->terms_cap * 2 : 64;
        term *n = realloc(t->terms, cap * sizeof *n);
        if (!n)
            return ENGRATE_E_NOMEM;
        t->terms = n;
        t->terms_cap = cap;
    }
    term *tm = &t->terms[t->n_terms++];
    memset(tm, 0, sizeof *tm);
    tm->input = input;
    tm->piece = piece;
    tm->label = label;
    tm->lf = lf;
    tm->spellings = UINT32_MAX;
    return 0;
}

/* ---- Row errors -------------------------------------------------------------------- */

int tr_bad_row(trainer *t, const char *reason, int code, int line, int col, const char *fmt,
               ...)
{
    va_list ap;
    if (!t->o->skip_bad) {
        va_start(ap, fmt);
        er_verror(t->err, code, t->source, line, col, fmt, ap);
        va_end(ap);
        return code;
    }
    engrate_error e;
    er_error_clear(&e);
    va_start(ap, fmt);
    er_verror(&e, code, t->source, line, col, fmt, ap);
    va_end(ap);
    tr_skip_row(t, reason, e.text);
    tr_note_skipped(t, e.text);
    return 0;
}

void tr_note_skipped(trainer *t, const char *text)
{
    if (t->rows_bad > TR_SKIP_NOTES || t->n_skip_notes >= TR_SKIP_NOTES)
        return;
    t->skip_note_at[t->n_skip_notes++] = t->rows_bad;
    er_report_note(t->rep, "skipped: %s", text);
}

void tr_skip_row(trainer *t, const char *reason, const char *why)
{
    t->rows_skipped++;
    if (t->rows_bad++ == 0)
        snprintf(t->first_bad, sizeof t->first_bad, "%s", why);
    er_report_reason(t->rep, reason);
}

/* ---- The row's content hash -----------------------------------------------------------
 * A row's fold and its key for the sample come from a hash of what the row says: the
 * target and weight as numbers, each input's value (a number, "missing", or the cell's
 * text without the blanks around it), in the order of the inputs. So the same row has
 * the same fold wherever it is read, in whatever part of the data, on whatever machine,
 * and "5" and "5.0" are the same value. The hash is fixed by its definition here (64-bit
 * words of the text, little-endian, with its length; doubles by their bits, 0 for -0;
 * splitmix64 on the result, pass.c), never by the run. */

#define RH_SEED 0x726f772d68617368ull    /* "row-hash" */
#define RH_MISSING 0x6d697373696e6721ull /* "missing!" */

static inline uint64_t rh_word(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

/* s[0..n) is a CSV field's text or a part of it: words may be read past its end. */
static inline uint64_t rh_bytes(uint64_t h, const char *s, size_t n)
{
    h = rh_word(h, n);
    for (; n >= 8; s += 8, n -= 8)
        h = rh_word(h, tr_word_le(s, 8));
    if (n)
        h = rh_word(h, tr_word_le(s, n));
    return h;
}

static uint64_t rh_number(uint64_t h, double x)
{
    uint64_t b = 0;
    if (x != 0)
        memcpy(&b, &x, sizeof b);
    return rh_word(h, b);
}

/* ---- Mapping a record to a sparse design row --------------------------------------- */

static int row_reserve(trainer *t, size_t n)
{
    if (n <= t->rcap)
        return 0;
    size_t cap = t->rcap ? t->rcap : 64;
    while (cap < n)
        cap *= 2;
    uint32_t *i = realloc(t->ridx, cap * sizeof *i);
    if (!i)
        return ENGRATE_E_NOMEM;
    t->ridx = i;
    double *v = realloc(t->rval, cap * sizeof *v);
    if (!v)
        return ENGRATE_E_NOMEM;
    t->rval = v;
    t->rcap = cap;
    return 0;
}

int tr_add_nz_grow(trainer *t, size_t *nnz, uint32_t term_i, double v)
{
    if (row_reserve(t, *nnz + 1))
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    t->ridx[*nnz] = term_i;
    t->rval[*nnz] = v;
    (*nnz)++;
    return 0;
}

#define SHOWN(f) (int)((f)->len > 80 ? 80 : (f)->len), (f)->s

/* For a number that is not one: what is accepted, when the cell looks like a spreadsheet's
 * (it has more than ASCII in it). */
static const char *number_hint(const er_csv_field *f)
{
    for (size_t i = 0; i < f->len; i++)
        if ((unsigned char)f->s[i] >= 0x80)
            return " (accepted: 800000, \"800,000\", ¥800,000, 80万円, 5年, 6ヶ月; see "
                   "docs/training.md)";
    return "";
}

/* A cell that says "no value": per --missing, a row error (1 when counted), or a row
 * skipped (1). Imputing is map_numeric's; a target or weight is never imputed. */
static int missing_cell(trainer *t, const er_csv_field *c, const char *col, int imputable)
{
    const char *how = imputable ? " or impute" : "";
    int rc;
    if (t->o->missing != ER_MISSING_ERROR) {
        char why[ENGRATE_ERROR_TEXT_MAX];
        snprintf(why, sizeof why, "%s:%d:%d: column '%s': no value", t->source, c->line,
                 c->col, col);
        tr_skip_row(t, imputable ? "missing value" : "target or weight missing", why);
        return 1;
    }
    if (c->len)
        rc = tr_bad_row(t, "missing value", ENGRATE_E_NUMBER, c->line, c->col,
                        "column '%s': '%.*s' means no value (give --missing skip%s, or fill "
                        "it in)",
                        col, SHOWN(c), how);
    else
        rc = tr_bad_row(t, "missing value", ENGRATE_E_NUMBER, c->line, c->col,
                        "column '%s': empty, no value (give --missing skip%s, or fill it in)",
                        col, how);
    return rc ? rc : 1;
}

/* The exponent a column's values are scaled by as they are summed: 0 for ordinary
 * magnitudes (which are then summed exactly as written), else that of the first value, so
 * that the sums of squares stay finite whatever the column's unit. */
static int scale_of(double x)
{
    double a = fabs(x);
    return a >= 0x1p-100 && a <= 0x1p100 ? 0 : ilogb(x);
}

/* The target, transformed and scaled: 0, 1 when the row is skipped, < 0 on error. */
static int map_target(trainer *t, const er_csv_field *f, double *y)
{
    const er_csv_field *tf = &f[t->target_col];
    const char *tname = t->cols[t->target_col];
    double v;
    int rc;
    if (tr_cell_missing(tf->s, tf->len))
        return missing_cell(t, tf, tname, 0);
    if (tr_cell_number(tf->s, tf->len, &v)) {
        rc = tr_bad_row(t, "target not a number", ENGRATE_E_NUMBER, tf->line, tf->col,
                        "column '%s': '%.*s' is not a number%s", tname, SHOWN(tf),
                        number_hint(tf));
        return rc ? rc : 1;
    }
    t->rhash = rh_number(t->rhash, v);
    if (t->o->transform == ENGRATE_TRANSFORM_LOG) {
        if (!(v > 0)) {
            rc = tr_bad_row(t, "target not positive", ENGRATE_E_DATA, tf->line, tf->col,
                            "column '%s': %.*s is not positive, and --transform log needs "
                            "rates > 0",
                            tname, SHOWN(tf));
            return rc ? rc : 1;
        }
        *y = log(v);
        return 0;
    }
    if (!t->y_scale_set && v != 0) {
        t->y_scale = scale_of(v);
        t->y_scale_set = 1;
    }
    *y = t->y_scale ? ldexp(v, -t->y_scale) : v;
    return 0;
}

/* The weight: 0, 1 when the row is skipped (a weight of 0 included), < 0 on error. */
static int map_weight(trainer *t, const er_csv_field *f, double *w)
{
    *w = 1;
    if (t->weight_col == SIZE_MAX)
        return 0;
    const er_csv_field *wf = &f[t->weight_col];
    if (tr_cell_missing(wf->s, wf->len))
        return missing_cell(t, wf, t->cols[t->weight_col], 0);
    if (tr_cell_number(wf->s, wf->len, w) || *w < 0) {
        int rc = tr_bad_row(t, "bad weight", ENGRATE_E_NUMBER, wf->line, wf->col,
                            "column '%s': '%.*s' is not a weight (a number >= 0)",
                            t->cols[t->weight_col], SHOWN(wf));
        return rc ? rc : 1;
    }
    t->rhash = rh_number(t->rhash, *w);
    if (*w == 0) {
        t->rows_skipped++;
        er_report_reason(t->rep, "zero weight");
        return 1;
    }
    return 0;
}

/* A numeric input's terms: the value, and its excess over each knot it passes, scaled;
 * or, imputing, the "was missing" indicator. */
static int map_numeric(trainer *t, size_t i, const er_csv_field *cf, size_t *nnz)
{
    tinput *in = &t->in[i];
    double x;
    int rc;
    if (tr_cell_missing(cf->s, cf->len)) {
        if (t->o->missing != ER_MISSING_IMPUTE)
            return missing_cell(t, cf, in->label, 1);
        t->rhash = rh_word(t->rhash, RH_MISSING);
        t->rx[i] = NAN;
        if (!in->miss && t->closed) {
            rc = tr_bad_row(t, "missing value", ENGRATE_E_NUMBER, cf->line, cf->col,
                            "column '%s': a missing value, which the schema's scan did not "
                            "see in this column",
                            in->label);
            return rc ? rc : 1;
        }
        if (!in->miss) {
            if ((rc = tr_new_term(t, (uint32_t)i, TR_MISSING_PIECE, NULL, -1)))
                return er_error(t->err, rc, t->source, cf->line, cf->col,
                                rc == ENGRATE_E_LIMIT ? "more than %d terms" : "out of memory",
                                ER_TRAIN_MAX_TERMS);
            in->miss = (uint32_t)(t->n_terms - 1);
        }
        return tr_add_nz(t, nnz, in->miss, 1.0);
    }
    if (tr_cell_number(cf->s, cf->len, &x)) {
        rc = tr_bad_row(t, "not a number", ENGRATE_E_NUMBER, cf->line, cf->col,
                        "column '%s': '%.*s' is not a number%s", in->label, SHOWN(cf),
                        number_hint(cf));
        return rc ? rc : 1;
    }
    t->rx[i] = x;
    t->rhash = rh_number(t->rhash, x);
    if (!in->scale_set && x != 0) {
        in->scale = scale_of(x);
        in->scale_set = 1;
    }
    if (x != 0 && (rc = tr_add_nz(t, nnz, in->first, in->scale ? ldexp(x, -in->scale) : x)))
        return rc;
    for (size_t k = 0; k < in->n_knots; k++)
        if (x > in->knots[k] && (rc = tr_add_nz(t, nnz, in->first + 1 + (uint32_t)k,
                                                ldexp(x - in->knots[k], -in->scale))))
            return rc;
    return 0;
}

/* One level named by s[0..n): its term added to the row. */
static int map_level(trainer *t, uint32_t input, const char *s, size_t n,
                     const er_csv_field *cf, size_t *nnz)
{
    uint32_t ti;
    int skip = 0;
    int rc = tr_level_term(t, input, s, n, cf, &ti, &skip);
    if (rc)
        return rc;
    return skip ? 1 : tr_add_nz(t, nnz, ti, 1.0);
}

/* s[0..*n) without white space around it. */
static inline const char *trim_space(const char *s, size_t *n)
{
    while (*n && is_space(*s)) {
        s++;
        (*n)--;
    }
    while (*n && is_space(s[*n - 1]))
        (*n)--;
    return s;
}

/* A categorical input's level, when the cell gives one. */
static int map_categorical(trainer *t, uint32_t input, const er_csv_field *cf, size_t *nnz)
{
    size_t n = cf->len;
    const char *s = trim_space(cf->s, &n);
    t->rhash = rh_bytes(t->rhash, s, n);
    return n ? map_level(t, input, s, n, cf, nnz) : 0;
}

/* A set input's levels: the items between separators, blanks around them dropped, empty
 * ones ignored. */
static int map_set(trainer *t, uint32_t input, const er_csv_field *cf, size_t *nnz)
{
    const tinput *in = &t->in[input];
    const char *p = cf->s, *end = cf->s + cf->len;
    size_t whole = cf->len;
    const char *trimmed = trim_space(cf->s, &whole);
    t->rhash = rh_bytes(t->rhash, trimmed, whole);
    while (p <= end) {
        const char *q = p;
        for (;;) { /* the next separator, or the end */
            q = memchr(q, in->sep[0], (size_t)(end - q));
            if (!q) {
                q = end;
                break;
            }
            if (in->seplen == 1 ||
                (end - q >= (ptrdiff_t)in->seplen && !memcmp(q, in->sep, in->seplen)))
                break;
            q++;
        }
        size_t n = (size_t)(q - p);
        const char *a = trim_space(p, &n);
        if (n) {
            int rc = map_level(t, input, a, n, cf, nnz);
            if (rc)
                return rc;
        }
        p = q + in->seplen;
    }
    return 0;
}

#define TERM_WORDS ((ER_TRAIN_MAX_TERMS + 63) / 64)

static inline unsigned lowest_bit(uint64_t b)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(b);
#else
    unsigned k = 0;
    while (!(b & 1)) {
        b >>= 1;
        k++;
    }
    return k;
#endif
}

int tr_row_scratch(trainer *t)
{
    if (!t->tval && !(t->tval = malloc(ER_TRAIN_MAX_TERMS * sizeof *t->tval)))
        return ENGRATE_E_NOMEM;
    return 0;
}

/* Sorted and unique by a bitmap of the terms present, read a word at a time: no
 * comparison between the row's terms, where an insertion sort mispredicts about once a
 * term. The first value of a repeated term is kept (written last). 0, or -1 without the
 * values' room (tr_row_scratch) or for a term beyond it: the caller sorts otherwise. */
static int sort_by_bits(trainer *t, size_t nnz, size_t *out)
{
    uint32_t *ix = t->ridx;
    double *v = t->rval;
    if (!t->tval)
        return -1;
    uint32_t top = 0;
    for (size_t i = 0; i < nnz; i++)
        top = ix[i] > top ? ix[i] : top;
    if (top >= ER_TRAIN_MAX_TERMS)
        return -1;
    for (size_t i = nnz; i-- > 0;) {
        t->tbits[ix[i] >> 6] |= 1ull << (ix[i] & 63);
        t->tval[ix[i]] = v[i];
    }
    size_t u = 0;
    for (size_t w = 0; w <= top >> 6; w++) {
        uint64_t b = t->tbits[w];
        t->tbits[w] = 0;
        while (b) {
            uint32_t k = (uint32_t)(w * 64 + lowest_bit(b));
            b &= b - 1;
            ix[u] = k;
            v[u++] = t->tval[k];
        }
    }
    *out = u;
    return 0;
}

/* Sort the row by term and drop repeated set levels (keeping the first); the new count. */
static size_t sort_row(trainer *t, size_t nnz)
{
    uint32_t *ix = t->ridx;
    double *v = t->rval;
    size_t u = 0;
    if (sort_by_bits(t, nnz, &u) == 0)
        return u;
    for (size_t i = 1; i < nnz; i++) { /* insertion sort: stable */
        uint32_t ki = ix[i];
        double vi = v[i];
        size_t j = i;
        while (j > 0 && ix[j - 1] > ki) {
            ix[j] = ix[j - 1];
            v[j] = v[j - 1];
            j--;
        }
        ix[j] = ki;
        v[j] = vi;
    }
    for (size_t i = 0; i < nnz; i++)
        if (u == 0 || ix[i] != ix[u - 1]) {
            ix[u] = ix[i];
            v[u] = v[i];
            u++;
        }
    return u;
}

/* Map one record. Returns 0 with *nnz terms in t->ridx/t->rval (sorted, unique, term 0
 * first), y and w set; 1 when the row was skipped (--skip-bad-rows); < 0 on error. */
int tr_map_row(trainer *t, const er_csv_field *f, size_t nf, size_t *nnz_out, double *y,
               double *w)
{
    int rc;
    t->rsp_n = 0;
    t->rhash = RH_SEED;
    if (nf != t->n_cols) {
        const er_csv_field *at = nf > t->n_cols ? &f[t->n_cols] : &f[nf - 1];
        rc = tr_bad_row(t, "wrong number of fields", ENGRATE_E_SYNTAX, at->line, at->col,
                        "the row has %zu fields, the header %zu", nf, t->n_cols);
        return rc ? rc : 1;
    }
    if ((rc = map_target(t, f, y)) || (rc = map_weight(t, f, w)))
        return rc;
    size_t nnz = 0;
    if ((rc = tr_add_nz(t, &nnz, 0, 1.0)))
        return rc;
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        const er_csv_field *cf = &f[in->col];
        if (in->kind == ENGRATE_NUMERIC)
            rc = map_numeric(t, i, cf, &nnz);
        else if (in->kind == ENGRATE_CATEGORICAL)
            rc = map_categorical(t, (uint32_t)i, cf, &nnz);
        else
            rc = map_set(t, (uint32_t)i, cf, &nnz);
        if (rc)
            return rc;
    }
    if (t->curves_by && (rc = tr_curves_row(t, &nnz, f)))
        return rc;
    *nnz_out = sort_row(t, nnz);
    return 0;
}
