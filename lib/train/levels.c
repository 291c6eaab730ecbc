/* levels.c: the levels file (--levels): the display names, aliases, evidence and (if it
 * says) ids of known levels, each found by its label as the data write it, and the inputs'
 * labels; read before the data so that the model lists them first and in their order. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

enum { LF_INPUT, LF_LEVEL, LF_NAME_EN, LF_NAME_JA, LF_ALIASES, LF_EVIDENCE, LF_ID, LF_COLS };
static const char *const lf_cols[LF_COLS] = {"input",   "level",    "name_en", "name_ja",
                                             "aliases", "evidence", "id"};

static int lf_text(trainer *t, const er_csv_field *f, const char *what, const char **out)
{
    *out = NULL;
    if (f->len == 0)
        return 0;
    if (f->len > ER_MAX_NAME_BYTES || !er_one_line(f->s))
        return er_error(t->err, ENGRATE_E_DATA, t->source, f->line, f->col,
                        "%s: must be one line of at most %d bytes", what, ER_MAX_NAME_BYTES);
    *out = er_pool_strndup(&t->pool, f->s, f->len);
    return *out ? 0 : er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
}

static int lf_claim(trainer *t, uint32_t input, const char *name, uint32_t ti,
                    const er_csv_field *f)
{
    uint32_t other;
    int rc = tr_claim_folded(t, input, name, strlen(name), ti, &other);
    if (rc == ENGRATE_E_DUPLICATE)
        return er_error(t->err, rc, t->source, f->line, f->col,
                        "name '%s' of %s level '%s' is also level '%s''s", name,
                        t->in[input].label, t->terms[ti].label, t->terms[other].label);
    if (rc == ENGRATE_E_INVALID)
        return er_error(t->err, ENGRATE_E_DATA, t->source, f->line, f->col,
                        "name '%s' has no letters left after folding", name);
    return rc ? er_error(t->err, rc, t->source, f->line, f->col, "out of memory") : 0;
}

/* The header: which field holds which column (SIZE_MAX: absent). */
static int lf_header(trainer *t, const er_csv_field *f, size_t nf, size_t *map)
{
    for (size_t k = 0; k < LF_COLS; k++)
        map[k] = SIZE_MAX;
    for (size_t i = 0; i < nf; i++) {
        size_t k = 0;
        while (k < LF_COLS && strcmp(f[i].s, lf_cols[k]))
            k++;
        if (k == LF_COLS || map[k] != SIZE_MAX)
            return er_error(t->err, k == LF_COLS ? ENGRATE_E_UNKNOWN_KEY : ENGRATE_E_DUPLICATE,
                            t->source, f[i].line, f[i].col,
                            "%s column '%s' in the levels file (expected input, level, "
                            "name_en, name_ja, aliases, evidence, id)",
                            k == LF_COLS ? "unknown" : "repeated", f[i].s);
        map[k] = i;
    }
    if (map[LF_INPUT] == SIZE_MAX || map[LF_LEVEL] == SIZE_MAX)
        return er_error(t->err, ENGRATE_E_MISSING, t->source, 1, 0,
                        "the levels file needs the columns input and level");
    return 0;
}

/* A row without a level: the input's labels. */
static int lf_labels(trainer *t, tinput *ti, const er_csv_field *const *fe, const char *en,
                     const char *ja, const char *al, int none)
{
    const er_csv_field *fin = fe[LF_INPUT], *flv = fe[LF_LEVEL];
    if (al || none)
        return er_error(t->err, ENGRATE_E_DATA, t->source, flv->line, flv->col,
                        "a row without a level gives the input's labels only (no aliases, "
                        "no evidence)");
    if ((en && ti->label_en) || (ja && ti->label_ja))
        return er_error(t->err, ENGRATE_E_DUPLICATE, t->source, fin->line, fin->col,
                        "labels of input '%s' given twice", ti->label);
    if (en)
        ti->label_en = en;
    if (ja)
        ti->label_ja = ja;
    return 0;
}

/* The aliases of a level, separated by '|': each claimed for its term. */
static int lf_aliases(trainer *t, uint32_t in, uint32_t tix, const char *al,
                      const er_csv_field *fal)
{
    size_t n_alias = 0;
    for (const char *p = al; p && *p;) {
        const char *q = strchr(p, '|');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        const char *a = p;
        while (n && is_blank(*a)) {
            a++;
            n--;
        }
        while (n && is_blank(a[n - 1]))
            n--;
        if (n == 0 || ++n_alias > ER_MAX_ALIASES)
            return er_error(t->err, ENGRATE_E_DATA, t->source, fal->line, fal->col,
                            n ? "more than %d aliases"
                              : "an empty alias (aliases are separated by '|')",
                            ER_MAX_ALIASES);
        char *ad = er_pool_strndup(&t->pool, a, n);
        if (!ad)
            return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
        int rc = lf_claim(t, in, ad, tix, fal);
        if (rc)
            return rc;
        p = q ? q + 1 : p + strlen(p);
    }
    return 0;
}

/* A new term for the level in flv, found by its label (folded), and its entry in t->lf. */
static int lf_term(trainer *t, uint32_t in, const er_csv_field *flv, uint32_t *tix_out)
{
    char lab[ER_MAX_NAME_BYTES + 1];
    int len = tr_normalise_label(flv->s, flv->len, lab, sizeof lab);
    if (len < 0)
        return er_error(t->err, ENGRATE_E_DATA, t->source, flv->line, flv->col,
                        "'%.80s' cannot name a level (one line of at most %d bytes, with "
                        "letters or digits)",
                        flv->s, ER_MAX_NAME_BYTES);
    if (t->n_lf % 64 == 0) {
        lfentry *n = realloc(t->lf, (t->n_lf + 64) * sizeof *n);
        if (!n)
            return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
        t->lf = n;
    }
    const char *label = er_pool_strndup(&t->pool, lab, (size_t)len);
    if (!label)
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    int rc = tr_new_term(t, in, 0, label, (int)t->n_lf);
    if (rc)
        return er_error(t->err, rc, t->source, flv->line, flv->col,
                        rc == ENGRATE_E_LIMIT ? "more than %d terms" : "out of memory",
                        ER_TRAIN_MAX_TERMS);
    uint32_t tix = (uint32_t)(t->n_terms - 1), other;
    rc = tr_claim_folded(t, in, label, (size_t)len, tix, &other);
    if (rc == ENGRATE_E_DUPLICATE)
        return er_error(t->err, rc, t->source, flv->line, flv->col,
                        t->terms[other].lf >= 0 && !strcmp(t->terms[other].label, label)
                            ? "level '%s' of input '%s' is listed twice"
                            : "level '%s' of input '%s' is already a name of another level",
                        label, t->in[in].label);
    if (rc)
        return er_error(t->err, rc, t->source, flv->line, flv->col, "out of memory");
    *tix_out = tix;
    return 0;
}

/* One row of the levels file, its fields by column in fe. */
static int lf_row(trainer *t, const er_csv_field *const *fe)
{
    const er_csv_field *fin = fe[LF_INPUT], *flv = fe[LF_LEVEL], *fev = fe[LF_EVIDENCE];
    const er_csv_field *fid = fe[LF_ID];
    size_t in = tr_find_input(t, fin->s);
    if (in == SIZE_MAX)
        return er_error(t->err, ENGRATE_E_UNKNOWN_NAME, t->source, fin->line, fin->col,
                        "'%s' is not one of the inputs being trained", fin->s);
    if (fid->len && !er_valid_id(fid->s, fid->len))
        return er_error(t->err, ENGRATE_E_DATA, t->source, fid->line, fid->col,
                        "'%.80s' is not an id (1-%d bytes of A-Z a-z 0-9 _ + # . -)", fid->s,
                        ER_MAX_ID_BYTES);
    tinput *ti = &t->in[in];
    const char *en, *ja, *al;
    int rc;
    if ((rc = lf_text(t, fe[LF_NAME_EN], "name_en", &en)) ||
        (rc = lf_text(t, fe[LF_NAME_JA], "name_ja", &ja)) ||
        (rc = lf_text(t, fe[LF_ALIASES], "aliases", &al)))
        return rc;
    int none = fev->len == 4 && !memcmp(fev->s, "none", 4);
    if (fev->len && !none)
        return er_error(t->err, ENGRATE_E_DATA, t->source, fev->line, fev->col,
                        "evidence must be empty or 'none', not '%s'", fev->s);
    if (flv->len == 0)
        return fid->len ? er_error(t->err, ENGRATE_E_DATA, t->source, fid->line, fid->col,
                                   "an id without a level")
                        : lf_labels(t, ti, fe, en, ja, al, none);
    if (ti->kind == ENGRATE_NUMERIC)
        return er_error(t->err, ENGRATE_E_DATA, t->source, flv->line, flv->col,
                        "input '%s' is numeric and has no levels", ti->id);
    uint32_t tix = 0;
    if ((rc = lf_term(t, (uint32_t)in, flv, &tix)))
        return rc;
    t->terms[tix].flags = none ? ENGRATE_LEVEL_NO_EVIDENCE : 0;
    lfentry *e = &t->lf[t->n_lf++];
    const char *id = fid->len ? er_pool_strndup(&t->pool, fid->s, fid->len) : NULL;
    if (fid->len && !id)
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    *e = (lfentry){(uint32_t)in, t->terms[tix].label, id, en, ja, al, none, tix};
    if ((en && (rc = lf_claim(t, (uint32_t)in, en, tix, fe[LF_NAME_EN]))) ||
        (ja && (rc = lf_claim(t, (uint32_t)in, ja, tix, fe[LF_NAME_JA]))))
        return rc;
    return lf_aliases(t, (uint32_t)in, tix, al, fe[LF_ALIASES]);
}

int tr_load_levels(trainer *t, const char *path)
{
    const er_csv_field *f;
    size_t nf, map[LF_COLS] = {0};
    const char *saved = t->source;
    er_csv *c = er_csv_open(path, t->err);
    if (!c)
        return t->err ? t->err->code : ENGRATE_E_IO;
    engrate_train_options plain = *t->o; /* the data's encoding; a delimiter of its own */
    plain.delimiter = 0;
    if (tr_csv_format(c, &plain, path, t->err)) {
        er_csv_close(c);
        return t->err ? t->err->code : ENGRATE_E_INVALID;
    }
    t->source = er_csv_source(c);
    int rc = er_csv_next(c, &f, &nf, t->err);
    if (rc == 0)
        rc = er_error(t->err, ENGRATE_E_MISSING, t->source, 1, 0, "the levels file is empty");
    if (rc > 0)
        rc = lf_header(t, f, nf, map);
    size_t want = 0;
    for (size_t k = 0; rc == 0 && k < LF_COLS; k++)
        if (map[k] != SIZE_MAX && map[k] + 1 > want)
            want = map[k] + 1;
    while (rc >= 0 && (rc = er_csv_next(c, &f, &nf, t->err)) > 0) {
        if (nf < want) {
            rc = er_error(t->err, ENGRATE_E_SYNTAX, t->source, f[nf - 1].line, f[nf - 1].col,
                          "the row has %zu fields, the header more", nf);
            break;
        }
        const er_csv_field empty = {"", 0, f[map[LF_INPUT]].line, f[map[LF_INPUT]].col};
        const er_csv_field *fe[LF_COLS];
        for (size_t k = 0; k < LF_COLS; k++)
            fe[k] = map[k] == SIZE_MAX ? &empty : &f[map[k]];
        rc = lf_row(t, fe);
        if (rc == 0)
            rc = 1;
    }
    er_csv_close(c);
    t->source = saved;
    return rc < 0 ? rc : 0;
}
