/* labels.c: labels as levels. Any text a categorical or set cell holds names a level: the
 * spellings that fold to one name (Java, java, ＪＡＶＡ) are one level, named after the
 * levels file or the data's most frequent spelling; each level gets an id made from its
 * label, stable from run to run, distinct from every other name of its input, and
 * readable where the label allows. Inputs get ids from their columns' names the same way. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

#define FOLD_CAP (4 * ER_MAX_NAME_BYTES + 8)
#define ID_READABLE 55 /* bytes of a label kept in its id: room for "-" and 8 hex digits */

/* ---- Text ---------------------------------------------------------------------------- */

int tr_normalise_label(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_space((char)c)) {
            space = o > 0;
            continue;
        }
        if (c < 0x20 || c == 0x7F)
            return ENGRATE_E_SYNTAX;
        if (o + space + 1 >= cap)
            return ENGRATE_E_LIMIT;
        if (space)
            out[o++] = ' ';
        space = 0;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    char key[FOLD_CAP];
    return o && tr_fold(out, key, sizeof key) > 0 ? (int)o : ENGRATE_E_INVALID;
}

/* The folded form of s[0..n) into buf (NUL-terminated): its length, or <= 0. */
static int fold(const char *s, size_t n, char *buf, size_t cap)
{
    char name[ER_MAX_NAME_BYTES + 1];
    if (n > ER_MAX_NAME_BYTES)
        return ENGRATE_E_LIMIT;
    memcpy(name, s, n);
    name[n] = '\0';
    return tr_fold(name, buf, cap);
}

int tr_claim_folded(trainer *t, uint32_t input, const char *name, size_t n, uint32_t term_i,
                    uint32_t *other)
{
    char buf[FOLD_CAP];
    int len = fold(name, n, buf, sizeof buf);
    *other = term_i;
    if (len <= 0)
        return len == 0 ? ENGRATE_E_INVALID : len;
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
    *s = (slot){h, input, term_i, k, (uint32_t)len};
    t->n_fslots_used++;
    return 0;
}

/* The term that (input, folded name) belongs to, or UINT32_MAX. */
static uint32_t folded_term(const trainer *t, uint32_t input, const char *key, size_t len)
{
    slot *s = tr_table_find(t->fslots, t->fslot_mask, tr_key_hash(input, key, len), input, key,
                            len);
    return s && s->hash ? s->term : UINT32_MAX;
}

uint32_t tr_label_term(const trainer *t, uint32_t input, const char *label)
{
    char key[FOLD_CAP];
    int k = fold(label, strlen(label), key, sizeof key);
    return k > 0 ? folded_term(t, input, key, (size_t)k) : UINT32_MAX;
}

/* ---- Spellings ----------------------------------------------------------------------- */

uint32_t tr_spelling_of(trainer *t, uint32_t ti, const char *text)
{
    uint32_t *link = &t->terms[ti].spellings;
    for (; *link != UINT32_MAX; link = &t->spells[*link].next)
        if (!strcmp(t->spells[*link].text, text))
            return *link;
    if (t->n_spells == t->spells_cap) {
        size_t cap = t->spells_cap ? 2 * t->spells_cap : 256;
        spelling *n = realloc(t->spells, cap * sizeof *n);
        if (!n)
            return UINT32_MAX;
        t->spells = n;
        t->spells_cap = cap;
        link = &t->terms[ti].spellings; /* find the end again: t->spells moved */
        while (*link != UINT32_MAX)
            link = &t->spells[*link].next;
    }
    const char *copy = er_pool_strndup(&t->pool, text, strlen(text));
    if (!copy)
        return UINT32_MAX;
    t->spells[t->n_spells] = (spelling){copy, ti, UINT32_MAX, 0};
    *link = (uint32_t)t->n_spells;
    return (uint32_t)t->n_spells++;
}

/* A label that cannot name a level: a row error (or the row skipped). */
static int bad_label(trainer *t, int why, uint32_t input, const char *s, size_t n,
                     const er_csv_field *f, int *skip)
{
    const char *col = t->in[input].label;
    int rc = why == ENGRATE_E_LIMIT
                 ? tr_bad_row(t, "label too long", ENGRATE_E_LIMIT, f->line, f->col,
                              "column '%s': a label longer than %d bytes", col,
                              ER_MAX_NAME_BYTES)
             : why == ENGRATE_E_SYNTAX
                 ? tr_bad_row(t, "control character in a label", ENGRATE_E_DATA, f->line,
                              f->col, "column '%s': a label holds a control character", col)
                 : tr_bad_row(t, "label without letters", ENGRATE_E_DATA, f->line, f->col,
                              "column '%s': '%.*s' has nothing to name a level by (only blanks "
                              "and separators); leave the cell empty for none",
                              col, (int)(n > 80 ? 80 : n), s);
    *skip = rc == 0;
    return rc;
}

/* A cell's text not seen before: its spelling (and term, made when its folded name is new),
 * and the cell's bytes indexed to it. */
static int learn_cell(trainer *t, uint32_t input, const char *s, size_t n, uint64_t h,
                      const er_csv_field *f, uint32_t *sp, int *skip)
{
    char key[FOLD_CAP], *lab = t->scratch;
    int len = n > 4 * ER_MAX_NAME_BYTES ? ENGRATE_E_LIMIT
                                        : tr_normalise_label(s, n, lab, ER_MAX_NAME_BYTES + 1);
    if (len < 0)
        return bad_label(t, len, input, s, n, f, skip);
    int k = tr_fold(lab, key, sizeof key);
    uint32_t ti = k > 0 ? folded_term(t, input, key, (size_t)k) : UINT32_MAX, other;
    int rc = 0;
    if (ti == UINT32_MAX && t->closed) {
        rc = tr_bad_row(t, "level not in the schema", ENGRATE_E_UNKNOWN_NAME, f->line, f->col,
                        "column '%s': level '%s' is not in the schema (scan the data you "
                        "train on, all of it, and merge the scans)",
                        t->in[input].label, lab);
        *skip = rc == 0;
        return rc;
    }
    if (ti == UINT32_MAX) {
        if ((rc = tr_new_term(t, input, 0, NULL, -1)) == ENGRATE_E_LIMIT)
            return er_error(t->err, rc, t->source, f->line, f->col,
                            "column '%s': level '%s' would make more than %d terms (levels "
                            "and numeric pieces); merge rare levels in the data",
                            t->in[input].label, lab, ER_TRAIN_MAX_TERMS);
        ti = (uint32_t)(t->n_terms - 1);
        if (!rc)
            rc = tr_claim_folded(t, input, lab, (size_t)len, ti, &other);
    }
    char *raw = rc ? NULL : er_pool_strndup(&t->pool, s, n);
    if (!raw || (*sp = tr_spelling_of(t, ti, lab)) == UINT32_MAX ||
        tr_table_grow(&t->slots, &t->slot_mask, t->n_slots_used))
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, f->line, f->col, "out of memory");
    slot *sl = tr_table_find(t->slots, t->slot_mask, h, input, s, n);
    *sl = (slot){h, input, *sp, raw, (uint32_t)n};
    t->n_slots_used++;
    return 0;
}

/* ---- Recent cells ---------------------------------------------------------------------
 * A cell of at most 16 bytes is its two 8-byte words and its length: a direct-mapped cache
 * of those finds its spelling and term in one entry, one cache line, where the table
 * costs a hash of the text, a slot, the key's bytes, the spelling and the term, each
 * elsewhere in memory. An entry is only ever a copy of what the table said for a level the
 * data may use (not one marked evidence=none), and the table only grows during a pass;
 * the cache is made or emptied before each (tr_level_cache_reset). */

#define LC_BITS 10
#define LC_MAX 16

struct lcache {
    uint64_t w0, w1;
    uint32_t len, input, sp, term; /* len 0: empty */
};

int tr_level_cache_reset(trainer *t)
{
    if (!t->lcache)
        return (t->lcache = calloc((size_t)1 << LC_BITS, sizeof *t->lcache)) ? 0
                                                                          : ENGRATE_E_NOMEM;
    memset(t->lcache, 0, (sizeof *t->lcache) << LC_BITS);
    return 0;
}

/* The cell's words (zero-padded; s[0..n) is in a CSV field, which may be read past its
 * end) and its entry. */
static struct lcache *lc_entry(trainer *t, uint32_t input, const char *s, size_t n,
                               uint64_t *w0, uint64_t *w1)
{
    uint64_t a = tr_word_le(s, n), b = n > 8 ? tr_word_le(s + 8, n - 8) : 0;
    *w0 = a;
    *w1 = b;
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)input << 40) ^ n) *
                 0xbf58476d1ce4e5b9ull;
    return &t->lcache[h >> (64 - LC_BITS)];
}

/* The level of s[0..n) for input: its spelling pushed on the row's, its term in *term_i;
 * from the table, learning the cell when it is new. 0, or a row error (*skip set when the
 * row is skipped). */
static int level_from_table(trainer *t, uint32_t input, const char *s, size_t n,
                            const er_csv_field *f, uint32_t *sp, uint32_t *term_i, int *skip)
{
    uint64_t h = tr_key_hash(input, s, n);
    slot *sl = tr_table_find(t->slots, t->slot_mask, h, input, s, n);
    if (sl && sl->hash) {
        *sp = sl->term;
    } else {
        int rc = learn_cell(t, input, s, n, h, f, sp, skip);
        if (rc || *skip)
            return rc;
    }
    const term *tm = &t->terms[t->spells[*sp].term];
    if (tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) {
        int rc = tr_bad_row(t, "level marked evidence=none", ENGRATE_E_DATA, f->line, f->col,
                            "column '%s': level '%s' is marked evidence=none in the levels "
                            "file but occurs in the data",
                            t->in[input].label, tm->label);
        *skip = rc == 0;
        return rc;
    }
    *term_i = t->spells[*sp].term;
    return 0;
}

int tr_level_term(trainer *t, uint32_t input, const char *s, size_t n, const er_csv_field *f,
                  uint32_t *term_i, int *skip)
{
    struct lcache *e = NULL;
    uint64_t w0 = 0, w1 = 0;
    uint32_t sp;
    if (n <= LC_MAX && t->lcache)
        e = lc_entry(t, input, s, n, &w0, &w1);
    if (e && e->len == n && e->w0 == w0 && e->w1 == w1 && e->input == input) {
        sp = e->sp;
        *term_i = e->term;
    } else {
        int rc = level_from_table(t, input, s, n, f, &sp, term_i, skip);
        if (rc || *skip)
            return rc;
        if (e && n) /* a level the data may use: the same answer next time */
            *e = (struct lcache){w0, w1, (uint32_t)n, input, sp, *term_i};
    }
    if (t->rsp_n == t->rsp_cap) {
        size_t cap = t->rsp_cap ? 2 * t->rsp_cap : 32;
        uint32_t *r = realloc(t->rsp, cap * sizeof *r);
        if (!r)
            return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
        t->rsp = r;
        t->rsp_cap = cap;
    }
    t->rsp[t->rsp_n++] = sp;
    return 0;
}

/* ---- Naming the levels ----------------------------------------------------------------- */

/* A note for a level the data spell in more than one way (or otherwise than the levels
 * file), with the spellings and their rows. */
static void note_spellings(trainer *t, const term *tm)
{
    char list[300];
    size_t o = 0, n = 0, other = 0;
    for (uint32_t s = tm->spellings; s != UINT32_MAX; s = t->spells[s].next) {
        const spelling *sp = &t->spells[s];
        if (!sp->count)
            continue;
        n++;
        other += strcmp(sp->text, tm->label) != 0;
        if (o + 8 < sizeof list)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s'%s' (%llu)", o ? ", " : "",
                                  sp->text, (unsigned long long)sp->count);
    }
    if (n >= 2 || (tm->lf >= 0 && other))
        er_report_note(t->rep, "%s: %s %s one level, '%s'%s", t->in[tm->input].label, list,
                       n >= 2 ? "are" : "is", tm->label,
                       tm->lf >= 0 ? " of the levels file" : ", its most frequent spelling");
}

int tr_name_levels(trainer *t)
{
    for (size_t j = 1; j < t->n_terms; j++) {
        term *tm = &t->terms[j];
        if (tm->input == UINT32_MAX || t->in[tm->input].kind == ENGRATE_NUMERIC)
            continue;
        if (tm->lf < 0) { /* the most frequent spelling; ties: the first seen */
            const spelling *best = NULL;
            for (uint32_t s = tm->spellings; s != UINT32_MAX; s = t->spells[s].next)
                if (!best || t->spells[s].count > best->count)
                    best = &t->spells[s];
            tm->label = best->text;
        }
        note_spellings(t, tm);
    }
    return 0;
}

/* ---- Ids ------------------------------------------------------------------------------ */

/* 32 bits of FNV-1a: fixed by its definition, so ids do not change between runs,
 * machines or versions. */
static uint32_t stable_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (uint32_t)(h ^ (h >> 32));
}

static int folds_to_something(const char *s)
{
    char key[FOLD_CAP];
    return tr_fold(s, key, sizeof key) > 0;
}

/* The label itself when it is an id; else its id characters, each run of others one '_'
 * ("Mobile developer - iOS" -> Mobile_developer_-_iOS), with the hash of hash_of appended
 * when that dropped more than blanks and punctuation (text in other scripts, or past 55
 * bytes); else 'x' and the hash (x1f3a9c02 for システムエンジニア). */
void tr_make_id(const char *label, const char *hash_of, char *out)
{
    size_t n = strlen(label), o = 0;
    if (er_valid_id(label, n) && folds_to_something(label)) {
        memcpy(out, label, n + 1);
        return;
    }
    int lost = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
        int keep = er_valid_id((const char *)p, 1);
        lost |= *p >= 0x80 || (keep && o >= ID_READABLE);
        if (keep && o < ID_READABLE)
            out[o++] = (char)*p;
        else if (!keep && o && out[o - 1] != '_' && o < ID_READABLE)
            out[o++] = '_';
    }
    while (o && out[o - 1] == '_')
        o--;
    out[o] = '\0';
    if (o && folds_to_something(out) && !lost)
        return;
    uint32_t h = stable_hash(hash_of);
    if (o && folds_to_something(out))
        snprintf(out + o, ER_MAX_ID_BYTES + 1 - o, "-%08x", (unsigned)h);
    else
        snprintf(out, ER_MAX_ID_BYTES + 1, "x%08x", (unsigned)h);
}

/* base-HASH, then base-HASH-2, base-HASH-3 ...: the candidates after a taken id. */
static void with_hash(char *id, size_t cap, const char *base, uint32_t h, unsigned tries)
{
    char suffix[32];
    if (tries)
        snprintf(suffix, sizeof suffix, "-%08x-%u", (unsigned)h, tries + 1);
    else
        snprintf(suffix, sizeof suffix, "-%08x", (unsigned)h);
    size_t keep = strlen(base), room = ER_MAX_ID_BYTES - strlen(suffix);
    snprintf(id, cap, "%.*s%s", (int)(keep < room ? keep : room), base, suffix);
}

/* Term ti's id: made from its label (or the levels file's id), then made distinct from
 * every name its input already has by a hash and, at worst, a counter. */
static int level_id(trainer *t, uint32_t ti)
{
    term *tm = &t->terms[ti];
    char key[FOLD_CAP], id[ER_MAX_ID_BYTES + 16], base[ER_MAX_ID_BYTES + 1];
    const char *given = tm->lf >= 0 ? t->lf[tm->lf].id : NULL;
    int k = tr_fold(tm->label, key, sizeof key);
    if (given)
        snprintf(id, sizeof id, "%s", given);
    else
        tr_make_id(tm->label, k > 0 ? key : tm->label, id);
    size_t bn = strlen(id) > ID_READABLE ? ID_READABLE : strlen(id);
    memcpy(base, id, bn);
    base[bn] = '\0';
    uint32_t other;
    for (unsigned tries = 0;; tries++) {
        int rc = tr_claim_folded(t, tm->input, id, strlen(id), ti, &other);
        if (rc == 0)
            break;
        if (rc != ENGRATE_E_DUPLICATE)
            return er_error(t->err, rc, NULL, 0, 0, "out of memory");
        if (given)
            return er_error(t->err, rc, t->source, 0, 0,
                            "id '%s' of level '%s' in the levels file is already a name of "
                            "level '%s'",
                            given, tm->label, t->terms[other].label);
        with_hash(id, sizeof id, base, stable_hash(tm->label), tries);
    }
    return (tm->id = er_pool_strndup(&t->pool, id, strlen(id)))
               ? 0
               : er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
}

int tr_assign_ids(trainer *t)
{
    for (size_t i = 0; i < t->n_in; i++) {
        if (t->in[i].kind == ENGRATE_NUMERIC)
            continue;
        ordered ol = {NULL, 0};
        if (tr_order_levels(t, i, &ol))
            return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        int rc = 0;
        for (size_t k = 0; rc == 0 && k < ol.n; k++)
            rc = level_id(t, ol.terms[k]);
        free(ol.terms);
        if (rc)
            return rc;
    }
    return 0;
}

int tr_input_ids(trainer *t)
{
    for (size_t i = 0; i < t->n_in; i++) {
        char id[ER_MAX_ID_BYTES + 16], base[ID_READABLE + 1];
        if (t->in[i].id)
            continue; /* a default input's: its own name */
        tr_make_id(t->in[i].label, t->in[i].label, id);
        size_t bn = strlen(id) > ID_READABLE ? ID_READABLE : strlen(id);
        memcpy(base, id, bn);
        base[bn] = '\0';
        for (unsigned tries = 0;; tries++) {
            size_t j = 0;
            while (j < i && strcmp(t->in[j].id, id))
                j++;
            if (j == i)
                break;
            with_hash(id, sizeof id, base, stable_hash(t->in[i].label), tries);
        }
        if (!(t->in[i].id = er_pool_strndup(&t->pool, id, strlen(id))))
            return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    return 0;
}
