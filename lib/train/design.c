/* design.c: from a CSV record to a sparse design row: the header and the inputs
 * (tr_setup), the terms (one per level seen, one per piece of a numeric curve), the tables
 * that find a level's term, and the row errors that --skip-bad-rows counts instead. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* ---- Numbers ----------------------------------------------------------------------- */

/* A number field: the model format's number grammar (er_parse_double), blanks around it
 * allowed. */
int tr_parse_number(const char *s, size_t n, double *out)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return er_parse_double(s, n, out);
}

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

slot *tr_table_find(slot *tab, size_t mask, uint64_t h, uint32_t input, const char *key,
                        size_t len)
{
    if (!tab)
        return NULL;
    size_t j = h & mask;
    while (tab[j].hash) {
        slot *s = &tab[j];
        if (s->hash == h && s->input == input && s->len == len && !memcmp(s->key, key, len))
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

int tr_new_term(trainer *t, uint32_t input, uint32_t piece, const char *level, int lf)
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
    tm->level = level;
    tm->lf = lf;
    return 0;
}

/* The folded form of a name, into buf (NUL-terminated), as the library folds names
 * (engrate_fold_name); its length or < 0. */
static int fold(const char *s, size_t n, char *buf, size_t cap)
{
    char name[ER_MAX_NAME_BYTES + 1];
    if (n > ER_MAX_NAME_BYTES)
        return ENGRATE_E_LIMIT;
    memcpy(name, s, n);
    name[n] = '\0';
    size_t len = 0;
    int rc = engrate_fold_name(name, buf, cap, &len);
    return rc < 0 ? rc : (int)len;
}

/* Record that (input, folded name) belongs to term; *other: the term that already has it
 * (or the new one). 0, ENGRATE_E_NOMEM, ENGRATE_E_DUPLICATE. */
int tr_claim_folded(trainer *t, uint32_t input, const char *name, size_t n, uint32_t term_i,
                        uint32_t *other)
{
    char buf[ER_MAX_FOLDED_BYTES + 1];
    int len = fold(name, n, buf, sizeof buf);
    *other = term_i;
    if (len <= 0)
        return 0; /* nothing to compare (the loader will complain if it matters) */
    if (tr_table_grow(&t->fslots, &t->fslot_mask, t->n_fslots_used))
        return ENGRATE_E_NOMEM;
    uint64_t h = tr_key_hash(input, buf, (size_t)len);
    slot *s = tr_table_find(t->fslots, t->fslot_mask, h, input, buf, (size_t)len);
    if (s->hash) {
        *other = s->term;
        return s->term == term_i ? 0 : ENGRATE_E_DUPLICATE;
    }
    char *k = er_pool_strndup(&t->pool, buf, (size_t)len);
    if (!k)
        return ENGRATE_E_NOMEM;
    s->hash = h;
    s->input = input;
    s->term = term_i;
    s->key = k;
    s->len = (uint32_t)len;
    t->n_fslots_used++;
    return 0;
}

/* ---- Row errors -------------------------------------------------------------------- */

/* Report a bad row: an error (returned) unless --skip-bad-rows, then counted (0). */
int tr_bad_row(trainer *t, const char *reason, int code, int line, int col,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int tr_bad_row(trainer *t, const char *reason, int code, int line, int col,
                   const char *fmt, ...)
{
    va_list ap;
    if (!t->o->skip_bad) {
        va_start(ap, fmt);
        er_verror(t->err, code, t->source, line, col, fmt, ap);
        va_end(ap);
        return code;
    }
    t->rows_skipped++;
    er_report_reason(t->rep, reason);
    if (t->rows_skipped <= 5) {
        engrate_error e;
        er_error_clear(&e);
        va_start(ap, fmt);
        er_verror(&e, code, t->source, line, col, fmt, ap);
        va_end(ap);
        er_report_note(t->rep, "skipped: %s", e.text);
    }
    return 0;
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

/* Find or make the term of a level. Returns 0 with *term_i set, or a row error code
 * (> 0 never). `skip`: set when the row was counted as skipped instead. */
static int level_term(trainer *t, uint32_t input, const char *s, size_t n,
                      const er_csv_field *f, uint32_t *term_i, int *skip)
{
    const tinput *in = &t->in[input];
    uint64_t h = tr_key_hash(input, s, n);
    slot *sl = tr_table_find(t->slots, t->slot_mask, h, input, s, n);
    if (sl && sl->hash) {
        term *tm = &t->terms[sl->term];
        if (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) {
            int rc = tr_bad_row(t, "level marked evidence=none", ENGRATE_E_DATA, f->line, f->col,
                             "column '%s': level '%.*s' is marked evidence=none in the levels "
                             "file but occurs in the data",
                             in->id, (int)n, s);
            *skip = rc == 0;
            return rc;
        }
        *term_i = sl->term;
        return 0;
    }
    if (!er_valid_id(s, n)) {
        int rc = tr_bad_row(t, "invalid level id", ENGRATE_E_DATA, f->line, f->col,
                         "column '%s': '%.*s' is not a valid level id (1-%d bytes of "
                         "A-Z a-z 0-9 _ + # . -)",
                         in->id, (int)(n > 80 ? 80 : n), s, ER_MAX_ID_BYTES);
        *skip = rc == 0;
        return rc;
    }
    uint32_t other;
    int rc = tr_claim_folded(t, input, s, n, (uint32_t)t->n_terms, &other);
    if (rc == ENGRATE_E_DUPLICATE) {
        const term *o = &t->terms[other];
        rc = tr_bad_row(t, "look-alike level", ENGRATE_E_DUPLICATE, f->line, f->col,
                     "column '%s': level '%.*s' differs from level '%s' only in case or "
                     "separators; use one spelling",
                     in->id, (int)n, s, o->level);
        *skip = rc == 0;
        return rc;
    }
    if (rc)
        return er_error(t->err, rc, t->source, f->line, f->col, "out of memory");
    const char *id = er_pool_strndup(&t->pool, s, n);
    if (!id || tr_table_grow(&t->slots, &t->slot_mask, t->n_slots_used))
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, f->line, f->col, "out of memory");
    rc = tr_new_term(t, input, 0, id, -1);
    if (rc == ENGRATE_E_LIMIT)
        return er_error(t->err, rc, t->source, f->line, f->col,
                        "column '%s': level '%s' would make more than %d terms (levels and "
                        "numeric pieces); raise nothing, merge rare levels in the data",
                        in->id, id, ER_TRAIN_MAX_TERMS);
    if (rc)
        return er_error(t->err, rc, t->source, f->line, f->col, "out of memory");
    sl = tr_table_find(t->slots, t->slot_mask, h, input, s, n);
    sl->hash = h;
    sl->input = input;
    sl->term = (uint32_t)(t->n_terms - 1);
    sl->key = id;
    sl->len = (uint32_t)n;
    t->n_slots_used++;
    *term_i = sl->term;
    return 0;
}

static int add_nz(trainer *t, size_t *nnz, uint32_t term_i, double v)
{
    if (row_reserve(t, *nnz + 1))
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    t->ridx[*nnz] = term_i;
    t->rval[*nnz] = v;
    (*nnz)++;
    return 0;
}


/* The target (transformed) and the weight of a record: 0, 1 when the row is skipped
 * (--skip-bad-rows, or a zero weight), < 0 on error. */
static int map_target(trainer *t, const er_csv_field *f, double *y, double *w)
{
    const er_csv_field *tf = &f[t->target_col];
    const char *tname = t->cols[t->target_col];
    double v;
    int rc;
    if (tf->len == 0) {
        rc = tr_bad_row(t, "target empty", ENGRATE_E_NUMBER, tf->line, tf->col,
                        "column '%s': the target is empty", tname);
        return rc ? rc : 1;
    }
    if (tr_parse_number(tf->s, tf->len, &v)) {
        rc = tr_bad_row(t, "target not a number", ENGRATE_E_NUMBER, tf->line, tf->col,
                        "column '%s': '%.*s' is not a number", tname,
                        (int)(tf->len > 80 ? 80 : tf->len), tf->s);
        return rc ? rc : 1;
    }
    if (t->o->transform == ENGRATE_TRANSFORM_LOG) {
        if (!(v > 0)) {
            rc = tr_bad_row(t, "target not positive", ENGRATE_E_DATA, tf->line, tf->col,
                            "column '%s': %.*s is not positive, and --transform log needs "
                            "rates > 0",
                            tname, (int)tf->len, tf->s);
            return rc ? rc : 1;
        }
        v = log(v);
    }
    *y = v;
    *w = 1;
    if (t->weight_col == SIZE_MAX)
        return 0;
    const er_csv_field *wf = &f[t->weight_col];
    if (tr_parse_number(wf->s, wf->len, w) || *w < 0) {
        rc = tr_bad_row(t, "bad weight", ENGRATE_E_NUMBER, wf->line, wf->col,
                        "column '%s': '%.*s' is not a weight (a number >= 0)",
                        t->cols[t->weight_col], (int)(wf->len > 80 ? 80 : wf->len), wf->s);
        return rc ? rc : 1;
    }
    if (*w == 0) {
        t->rows_skipped++;
        er_report_reason(t->rep, "zero weight");
        return 1;
    }
    return 0;
}

/* A numeric input's terms: the value, and its excess over each knot it passes. */
static int map_numeric(trainer *t, const tinput *in, const er_csv_field *cf, size_t *nnz)
{
    double x;
    int rc;
    if (cf->len == 0) {
        rc = tr_bad_row(t, "numeric value empty", ENGRATE_E_NUMBER, cf->line, cf->col,
                        "column '%s': empty; numeric inputs need a value", in->id);
        return rc ? rc : 1;
    }
    if (tr_parse_number(cf->s, cf->len, &x)) {
        rc = tr_bad_row(t, "not a number", ENGRATE_E_NUMBER, cf->line, cf->col,
                        "column '%s': '%.*s' is not a number", in->id,
                        (int)(cf->len > 80 ? 80 : cf->len), cf->s);
        return rc ? rc : 1;
    }
    if (x != 0 && (rc = add_nz(t, nnz, in->first, x)))
        return rc;
    for (size_t k = 0; k < in->n_knots; k++)
        if (x > in->knots[k] &&
            (rc = add_nz(t, nnz, in->first + 1 + (uint32_t)k, x - in->knots[k])))
            return rc;
    return 0;
}

/* One level given in s[0..n): its term added to the row. */
static int map_level(trainer *t, uint32_t input, const char *s, size_t n,
                     const er_csv_field *cf, size_t *nnz)
{
    uint32_t ti;
    int skip = 0;
    int rc = level_term(t, input, s, n, cf, &ti, &skip);
    if (rc)
        return rc;
    return skip ? 1 : add_nz(t, nnz, ti, 1.0);
}

/* A set input's levels: the items between separators, blanks around them dropped, empty
 * ones ignored. */
static int map_set(trainer *t, uint32_t input, const er_csv_field *cf, size_t *nnz)
{
    const tinput *in = &t->in[input];
    const char *p = cf->s, *end = cf->s + cf->len;
    while (p <= end) {
        const char *q = p;
        while (q < end && !(*q == in->sep[0] && end - q >= (ptrdiff_t)in->seplen &&
                            (in->seplen == 1 || !memcmp(q, in->sep, in->seplen))))
            q++;
        const char *a = p, *b = q;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        if (b > a) {
            int rc = map_level(t, input, a, (size_t)(b - a), cf, nnz);
            if (rc)
                return rc;
        }
        p = q + in->seplen;
    }
    return 0;
}

/* Sort the row by term (insertion sort: a row has a handful) and drop repeated set
 * levels; the new count. */
static size_t sort_row(trainer *t, size_t nnz)
{
    for (size_t i = 1; i < nnz; i++) {
        uint32_t ki = t->ridx[i];
        double vi = t->rval[i];
        size_t j = i;
        while (j > 0 && t->ridx[j - 1] > ki) {
            t->ridx[j] = t->ridx[j - 1];
            t->rval[j] = t->rval[j - 1];
            j--;
        }
        t->ridx[j] = ki;
        t->rval[j] = vi;
    }
    size_t u = 0;
    for (size_t i = 0; i < nnz; i++)
        if (u == 0 || t->ridx[i] != t->ridx[u - 1]) {
            t->ridx[u] = t->ridx[i];
            t->rval[u] = t->rval[i];
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
    if (nf != t->n_cols) {
        const er_csv_field *at = nf > t->n_cols ? &f[t->n_cols] : &f[nf - 1];
        rc = tr_bad_row(t, "wrong number of fields", ENGRATE_E_SYNTAX, at->line, at->col,
                        "the row has %zu fields, the header %zu", nf, t->n_cols);
        return rc ? rc : 1;
    }
    if ((rc = map_target(t, f, y, w)))
        return rc;
    size_t nnz = 0;
    if ((rc = add_nz(t, &nnz, 0, 1.0)))
        return rc;
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        const er_csv_field *cf = &f[in->col];
        if (in->kind == ENGRATE_NUMERIC)
            rc = map_numeric(t, in, cf, &nnz);
        else if (in->kind == ENGRATE_CATEGORICAL)
            rc = cf->len ? map_level(t, (uint32_t)i, cf->s, cf->len, cf, &nnz) : 0;
        else
            rc = map_set(t, (uint32_t)i, cf, &nnz);
        if (rc)
            return rc;
    }
    *nnz_out = sort_row(t, nnz);
    return 0;
}

/* ---- Setting up: header, inputs, numeric terms ------------------------------------- */

static size_t find_col(const trainer *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (!strcmp(t->cols[i], name))
            return i;
    return SIZE_MAX;
}

int tr_setup(trainer *t)
{
    const engrate_train_options *o = t->o;
    const er_csv_field *f;
    size_t nf;
    int rc = er_csv_next(t->csv, &f, &nf, t->err);
    if (rc == 0)
        return er_error(t->err, ENGRATE_E_MISSING, t->source, 1, 0,
                        "the file is empty: a header row is needed");
    if (rc < 0)
        return rc;
    t->n_cols = nf;
    t->cols = er_pool_alloc(&t->pool, nf * sizeof *t->cols);
    if (!t->cols)
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    for (size_t i = 0; i < nf; i++) {
        t->cols[i] = er_pool_strndup(&t->pool, f[i].s, f[i].len);
        if (!t->cols[i])
            return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->cols[j], t->cols[i]))
                return er_error(t->err, ENGRATE_E_DUPLICATE, t->source, f[i].line, f[i].col,
                                "column '%s' appears twice in the header", t->cols[i]);
    }
    static const opt_input defaults[] = {{ENGRATE_CATEGORICAL, (char *)"role", "", NULL, 0},
                                         {ENGRATE_SET, (char *)"skills", ";", NULL, 0},
                                         {ENGRATE_SET, (char *)"certs", ";", NULL, 0},
                                         {ENGRATE_NUMERIC, (char *)"years", "", NULL, 0}};
    const opt_input *oin = o->n_inputs ? o->inputs : defaults;
    size_t n_in = o->n_inputs ? o->n_inputs : sizeof defaults / sizeof defaults[0];
    t->target_col = find_col(t, o->target);
    if (t->target_col == SIZE_MAX)
        return er_error(t->err, ENGRATE_E_MISSING, t->source, f[0].line, 0,
                        "no column '%s' (the target) in the header", o->target);
    t->weight_col = SIZE_MAX;
    if (o->weight && (t->weight_col = find_col(t, o->weight)) == SIZE_MAX)
        return er_error(t->err, ENGRATE_E_MISSING, t->source, f[0].line, 0,
                        "no column '%s' (the weight) in the header", o->weight);
    t->in = er_pool_alloc(&t->pool, (n_in + 1) * sizeof *t->in);
    if (!t->in)
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    t->n_in = n_in;
    if ((rc = tr_new_term(t, UINT32_MAX, 0, NULL, -1)))
        return er_error(t->err, rc, t->source, 0, 0, "out of memory");
    for (size_t i = 0; i < n_in; i++) {
        tinput *in = &t->in[i];
        in->kind = oin[i].kind;
        in->id = oin[i].col;
        in->col = find_col(t, oin[i].col);
        if (in->col == SIZE_MAX)
            return er_error(t->err, ENGRATE_E_MISSING, t->source, f[0].line, 0,
                            "no column '%s' in the header%s", oin[i].col,
                            o->n_inputs ? "" : " (the default inputs are role, skills, certs "
                                               "and years: name yours with --categorical, "
                                               "--set, --numeric)");
        if (in->col == t->target_col || in->col == t->weight_col)
            return er_error(t->err, ENGRATE_E_INVALID, t->source, f[0].line, 0,
                            "column '%s' cannot be both an input and the target or weight",
                            in->id);
        in->sep = oin[i].sep;
        in->seplen = strlen(oin[i].sep);
        in->knots = oin[i].knots;
        in->n_knots = oin[i].n_knots;
        in->min = INFINITY;
        in->max = -INFINITY;
        if (in->kind == ENGRATE_NUMERIC) {
            in->first = (uint32_t)t->n_terms;
            for (size_t k = 0; k <= in->n_knots; k++)
                if ((rc = tr_new_term(t, (uint32_t)i, (uint32_t)k, NULL, -1)))
                    return er_error(t->err, rc, t->source, 0, 0, "too many terms");
        }
    }
    if (o->levels && (rc = tr_load_levels(t, o->levels)))
        return rc;
    return 0;
}
