/* levels.c: the levels file (--levels): the ids, display names, aliases and evidence
 * of known levels, and the inputs' labels, read before the data so that the model lists
 * them first and in their order. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

enum { LF_INPUT, LF_LEVEL, LF_NAME_EN, LF_NAME_JA, LF_ALIASES, LF_EVIDENCE, LF_COLS };
static const char *const lf_cols[LF_COLS] = {"input",   "level",   "name_en",
                                             "name_ja", "aliases", "evidence"};

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
                        t->in[input].id, t->terms[ti].level, t->terms[other].level);
    return rc ? er_error(t->err, rc, t->source, f->line, f->col, "out of memory") : 0;
}

int tr_load_levels(trainer *t, const char *path)
{
    int rc;
    const er_csv_field *f;
    size_t nf;
    size_t map[LF_COLS];
    const char *saved = t->source;
    er_csv *c = er_csv_open(path, t->err);
    if (!c)
        return t->err ? t->err->code : ENGRATE_E_IO;
    t->source = er_csv_source(c);
    rc = er_csv_next(c, &f, &nf, t->err);
    if (rc == 0)
        rc = er_error(t->err, ENGRATE_E_MISSING, t->source, 1, 0, "the levels file is empty");
    if (rc < 0)
        goto done;
    for (size_t k = 0; k < LF_COLS; k++)
        map[k] = SIZE_MAX;
    for (size_t i = 0; i < nf; i++) {
        size_t k = 0;
        while (k < LF_COLS && strcmp(f[i].s, lf_cols[k]))
            k++;
        if (k == LF_COLS || map[k] != SIZE_MAX) {
            rc = er_error(t->err, k == LF_COLS ? ENGRATE_E_UNKNOWN_KEY : ENGRATE_E_DUPLICATE,
                          t->source, f[i].line, f[i].col,
                          "%s column '%s' in the levels file (expected input, level, name_en, "
                          "name_ja, aliases, evidence)",
                          k == LF_COLS ? "unknown" : "repeated", f[i].s);
            goto done;
        }
        map[k] = i;
    }
    if (map[LF_INPUT] == SIZE_MAX || map[LF_LEVEL] == SIZE_MAX) {
        rc = er_error(t->err, ENGRATE_E_MISSING, t->source, 1, 0,
                      "the levels file needs the columns input and level");
        goto done;
    }
    while ((rc = er_csv_next(c, &f, &nf, t->err)) > 0) {
        size_t want = 0;
        for (size_t k = 0; k < LF_COLS; k++)
            if (map[k] != SIZE_MAX && map[k] + 1 > want)
                want = map[k] + 1;
        if (nf < want) {
            rc = er_error(t->err, ENGRATE_E_SYNTAX, t->source, f[nf - 1].line, f[nf - 1].col,
                          "the row has %zu fields, the header more", nf);
            goto done;
        }
        const er_csv_field *fin = &f[map[LF_INPUT]], *flv = &f[map[LF_LEVEL]];
        const er_csv_field empty = {"", 0, fin->line, fin->col};
        const er_csv_field *fe[LF_COLS];
        for (size_t k = 0; k < LF_COLS; k++)
            fe[k] = map[k] == SIZE_MAX ? &empty : &f[map[k]];
        size_t in = 0;
        while (in < t->n_in && (strlen(t->in[in].id) != fin->len ||
                                memcmp(t->in[in].id, fin->s, fin->len)))
            in++;
        if (in == t->n_in) {
            rc = er_error(t->err, ENGRATE_E_UNKNOWN_NAME, t->source, fin->line, fin->col,
                          "'%s' is not one of the inputs being trained", fin->s);
            goto done;
        }
        tinput *ti = &t->in[in];
        const char *en, *ja, *al;
        if ((rc = lf_text(t, fe[LF_NAME_EN], "name_en", &en)) ||
            (rc = lf_text(t, fe[LF_NAME_JA], "name_ja", &ja)) ||
            (rc = lf_text(t, fe[LF_ALIASES], "aliases", &al)))
            goto done;
        const er_csv_field *fev = fe[LF_EVIDENCE];
        int none = fev->len == 4 && !memcmp(fev->s, "none", 4);
        if (fev->len && !none) {
            rc = er_error(t->err, ENGRATE_E_DATA, t->source, fev->line, fev->col,
                          "evidence must be empty or 'none', not '%s'", fev->s);
            goto done;
        }
        if (flv->len == 0) { /* the input's labels */
            if (al || none) {
                rc = er_error(t->err, ENGRATE_E_DATA, t->source, flv->line, flv->col,
                              "a row without a level gives the input's labels only (no "
                              "aliases, no evidence)");
                goto done;
            }
            if ((en && ti->label_en) || (ja && ti->label_ja)) {
                rc = er_error(t->err, ENGRATE_E_DUPLICATE, t->source, fin->line, fin->col,
                              "labels of input '%s' given twice", ti->id);
                goto done;
            }
            if (en)
                ti->label_en = en;
            if (ja)
                ti->label_ja = ja;
            continue;
        }
        if (ti->kind == ENGRATE_NUMERIC) {
            rc = er_error(t->err, ENGRATE_E_DATA, t->source, flv->line, flv->col,
                          "input '%s' is numeric and has no levels", ti->id);
            goto done;
        }
        if (!er_valid_id(flv->s, flv->len)) {
            rc = er_error(t->err, ENGRATE_E_DATA, t->source, flv->line, flv->col,
                          "'%s' is not a valid level id (1-%d bytes of A-Z a-z 0-9 _ + # . -)",
                          flv->s, ER_MAX_ID_BYTES);
            goto done;
        }
        uint64_t h = tr_key_hash((uint32_t)in, flv->s, flv->len);
        slot *sl = tr_table_find(t->slots, t->slot_mask, h, (uint32_t)in, flv->s, flv->len);
        if (sl && sl->hash) {
            rc = er_error(t->err, ENGRATE_E_DUPLICATE, t->source, flv->line, flv->col,
                          "level '%s' of input '%s' is listed twice", flv->s, ti->id);
            goto done;
        }
        if (t->n_lf % 64 == 0) {
            lfentry *n = realloc(t->lf, (t->n_lf + 64) * sizeof *n);
            if (!n) {
                rc = er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
                goto done;
            }
            t->lf = n;
        }
        const char *id = er_pool_strndup(&t->pool, flv->s, flv->len);
        if (!id || tr_table_grow(&t->slots, &t->slot_mask, t->n_slots_used)) {
            rc = er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
            goto done;
        }
        rc = tr_new_term(t, (uint32_t)in, 0, id, (int)t->n_lf);
        if (rc) {
            er_error(t->err, rc, t->source, flv->line, flv->col,
                     rc == ENGRATE_E_LIMIT ? "more than %d terms" : "out of memory",
                     ER_TRAIN_MAX_TERMS);
            goto done;
        }
        uint32_t tix = (uint32_t)(t->n_terms - 1);
        t->terms[tix].flags = none ? ENGRATE_LEVEL_NO_EVIDENCE : 0;
        sl = tr_table_find(t->slots, t->slot_mask, h, (uint32_t)in, flv->s, flv->len);
        sl->hash = h;
        sl->input = (uint32_t)in;
        sl->term = tix;
        sl->key = id;
        sl->len = (uint32_t)flv->len;
        t->n_slots_used++;
        lfentry *e = &t->lf[t->n_lf++];
        e->input = (uint32_t)in;
        e->level = id;
        e->name_en = en;
        e->name_ja = ja;
        e->aliases = al;
        e->no_evidence = none;
        e->term = tix;
        if ((rc = lf_claim(t, (uint32_t)in, id, tix, flv)) ||
            (en && (rc = lf_claim(t, (uint32_t)in, en, tix, fe[LF_NAME_EN]))) ||
            (ja && (rc = lf_claim(t, (uint32_t)in, ja, tix, fe[LF_NAME_JA]))))
            goto done;
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
            if (n == 0 || ++n_alias > ER_MAX_ALIASES) {
                rc = er_error(t->err, ENGRATE_E_DATA, t->source, fe[LF_ALIASES]->line,
                              fe[LF_ALIASES]->col,
                              n ? "more than %d aliases" : "an empty alias (aliases are "
                                                           "separated by '|')",
                              ER_MAX_ALIASES);
                goto done;
            }
            char *ad = er_pool_strndup(&t->pool, a, n);
            if (!ad) {
                rc = er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
                goto done;
            }
            if ((rc = lf_claim(t, (uint32_t)in, ad, tix, fe[LF_ALIASES])))
                goto done;
            p = q ? q + 1 : p + strlen(p);
        }
    }
done:
    er_csv_close(c);
    t->source = saved;
    return rc < 0 ? rc : 0;
}
