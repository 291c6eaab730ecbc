/* accsums.c: the rest of an accumulator file read back (docs/accumulator.md): the names
 * that fold alike claimed for one level each (as the pass claimed them), the rows and the
 * report's reasons and first notes, the exact sums of each fold (in canonical form only),
 * and the sample (in key order). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accfile.h"
#include "accload.h"

#define VALUE_FLAG 0x80000000u

/* ---- Names ---------------------------------------------------------------------------- */

static int claim(rd *r, trainer *t, uint32_t input, const char *name, size_t n, uint32_t ti)
{
    uint32_t other;
    int rc = tr_claim_folded(t, input, name, n, ti, &other);
    if (rc == ENGRATE_E_NOMEM)
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    if (rc == ENGRATE_E_DUPLICATE)
        return rd_fail(r, ENGRATE_E_DATA, "name '%.*s' belongs to terms %u and %u", (int)n,
                       name, other, ti);
    if (rc)
        return rd_fail(r, ENGRATE_E_DATA, "name '%.*s' folds to nothing", (int)n, name);
    return 0;
}

/* A levels file entry's label, names and aliases ('|'-separated), as levels.c claims them. */
static int claim_entry(rd *r, trainer *t, const lfentry *e)
{
    const char *names[3] = {e->level, e->name_en, e->name_ja};
    for (int k = 0; k < 3; k++)
        if (names[k] && claim(r, t, e->input, names[k], strlen(names[k]), e->term))
            return r->rc;
    for (const char *p = e->aliases; p && *p;) {
        const char *q = strchr(p, '|');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        const char *a = p;
        while (n && is_blank(*a)) {
            a++;
            n--;
        }
        while (n && is_blank(a[n - 1]))
            n--;
        if (!n)
            return rd_fail(r, ENGRATE_E_DATA, "an empty alias of level '%s'", e->level);
        if (claim(r, t, e->input, a, n, e->term))
            return r->rc;
        p = q ? q + 1 : p + strlen(p);
    }
    return 0;
}

int acc_claim_names(rd *r, trainer *t)
{
    for (size_t e = 0; e < t->n_lf; e++)
        if (claim_entry(r, t, &t->lf[e]))
            return r->rc;
    for (uint32_t j = 1; j < t->n_terms; j++) {
        const term *tm = &t->terms[j];
        if (t->in[tm->input].kind == ENGRATE_NUMERIC)
            continue;
        for (uint32_t s = tm->spellings; s != UINT32_MAX; s = t->spells[s].next)
            if (claim(r, t, tm->input, t->spells[s].text, strlen(t->spells[s].text), j))
                return r->rc;
    }
    return 0;
}

/* ---- Rows ------------------------------------------------------------------------------ */

static int read_notes(rd *r, trainer *t)
{
    engrate_train_report *rep = t->rep;
    size_t n = rd_count(r, ER_MAX_REASONS, 13, "reasons");
    for (size_t i = 0; i < n && !r->rc; i++) {
        const char *what = rd_str(r, &t->pool, ACC_MAX_NOTE, 1);
        uint64_t count = rd_u64(r);
        if (!r->rc && (!*what || !count))
            return rd_fail(r, ENGRATE_E_DATA, "a reason without a name or a row");
        if (!r->rc)
            er_report_reasons(rep, what, count);
    }
    t->n_setup_notes = rd_count(r, ER_TRAIN_MAX_NOTES, 4, "notes");
    for (size_t i = 0; i < t->n_setup_notes && !r->rc; i++) {
        const char *s = rd_str(r, &t->pool, 399, 1);
        if (s)
            er_report_note(rep, "%s", s);
    }
    size_t k = rd_count(r, TR_SKIP_NOTES, 12, "notes of skipped rows");
    for (size_t i = 0; i < k && !r->rc; i++) {
        uint64_t at = rd_u64(r);
        const char *s = rd_str(r, &t->pool, 399, 1);
        if (!r->rc && (at < 1 || at > t->rows_bad || at > TR_SKIP_NOTES ||
                       (i && at <= t->skip_note_at[i - 1])))
            return rd_fail(r, ENGRATE_E_DATA, "a note of skipped row %llu",
                           (unsigned long long)at);
        if (!r->rc) {
            t->skip_note_at[t->n_skip_notes++] = at;
            er_report_note(rep, "%s", s);
        }
    }
    if (!r->rc && rep->nomem)
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    return r->rc;
}

int acc_read_rows(rd *r, trainer *t)
{
    if (rd_section(r, ACC_ROWS, "rows"))
        return r->rc;
    t->source = rd_str(r, &t->pool, ENGRATE_ERROR_SOURCE_MAX - 1, 1);
    t->rows_read = rd_u64(r);
    t->rows_used = rd_u64(r);
    t->rows_skipped = rd_u64(r);
    t->rows_bad = rd_u64(r);
    t->rows_empty = rd_u64(r);
    t->y_scale = (int32_t)rd_u32(r);
    unsigned set = rd_u8(r);
    const char *first = rd_str(r, &t->pool, sizeof t->first_bad - 1, 1);
    if (r->rc)
        return r->rc;
    t->y_scale_set = (int)set;
    if (t->rows_used > t->rows_read || t->rows_read - t->rows_used != t->rows_skipped ||
        t->rows_bad > t->rows_skipped || set > 1 || t->y_scale < -1100 || t->y_scale > 1100 ||
        (*first != 0) != (t->rows_bad != 0))
        return rd_fail(r, ENGRATE_E_DATA, "rows that do not add up (%llu read, %llu used, "
                                          "%llu skipped, %llu bad)",
                       (unsigned long long)t->rows_read, (unsigned long long)t->rows_used,
                       (unsigned long long)t->rows_skipped, (unsigned long long)t->rows_bad);
    for (size_t j = 0; j < t->n_terms; j++)
        if (t->terms[j].count > t->rows_used)
            return rd_fail(r, ENGRATE_E_DATA, "term %zu in more rows than were used", j);
    snprintf(t->first_bad, sizeof t->first_bad, "%s", first);
    if (read_notes(r, t))
        return r->rc;
    return rd_section_end(r);
}

/* ---- Sums ------------------------------------------------------------------------------ */

/* One sum: its index (after *prev, below total), its canonical limbs. */
static int read_sum(rd *r, er_xacc *a, size_t p, int64_t *prev)
{
    size_t ng = ER_PK(0, p), total = ng + p + 1;
    uint32_t at = rd_u32(r);
    unsigned nonfinite = rd_u8(r);
    er_xsum s = {(int32_t)rd_u32(r), nonfinite, {0}};
    unsigned nl = rd_u8(r);
    if (!r->rc && nl > XS_LIMBS)
        return rd_fail(r, ENGRATE_E_DATA, "a sum of %u limbs", nl);
    for (unsigned i = 0; i < nl && !r->rc; i++)
        s.limb[i] = (int64_t)rd_u64(r);
    if (r->rc)
        return r->rc;
    if ((int64_t)at <= *prev || at >= total || !er_xsum_valid(&s) ||
        (s.base == XS_EMPTY && !nonfinite) || (nl && s.limb[nl - 1] == 0))
        return rd_fail(r, ENGRATE_E_DATA, "sum %u is not a sum in canonical form", at);
    *prev = at;
    if (at < ng)
        a->g[at] = s;
    else if (at < ng + p)
        a->xy[at - ng] = s;
    else
        a->yy = s;
    return 0;
}

int acc_read_sums(rd *r, trainer *t)
{
    if (rd_section(r, ACC_SUMS, "sums"))
        return r->rc;
    size_t p = tr_sum_terms(t);
    uint32_t K = rd_u32(r);
    if (!r->rc && K != t->K)
        return rd_fail(r, ENGRATE_E_DATA, "%u folds, the options %zu", K, t->K);
    uint64_t rows = 0;
    for (size_t k = 0; k < t->K && !r->rc; k++) {
        er_xacc *a = &t->xacc[k];
        rd_item(r, "fold", k + 1);
        uint64_t n = rd_u64(r), lost = rd_u64(r), entries = rd_u64(r);
        if (r->rc)
            break;
        if (entries > ER_PK(0, p) + p + 1 || entries * 10 > (uint64_t)(r->end - r->p))
            return rd_fail(r, ENGRATE_E_DATA, "%llu sums do not fit",
                           (unsigned long long)entries);
        if (er_xacc_reserve(a, p))
            return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
        a->n = n;
        a->lost = lost;
        rows += n;
        int64_t prev = -1;
        for (uint64_t e = 0; e < entries && !r->rc; e++)
            read_sum(r, a, p, &prev);
    }
    if (!r->rc && rows != t->rows_used)
        return rd_fail(r, ENGRATE_E_DATA, "the folds hold %llu rows, %llu were used",
                       (unsigned long long)rows, (unsigned long long)t->rows_used);
    return rd_section_end(r);
}

/* ---- The sample ------------------------------------------------------------------------- */

/* One sampled row as the pass stores it: values other than 1 (finite, not 0), then term
 * numbers increasing from 1, those with a value flagged. */
static srow *read_row(rd *r, trainer *t, size_t p)
{
    uint64_t key = rd_u64(r);
    double y = rd_f64(r), w = rd_f64(r);
    uint32_t fold = rd_u32(r), nnz = rd_u32(r), nval = rd_u32(r);
    if (r->rc)
        return NULL;
    if (!isfinite(y) || !(w > 0) || !isfinite(w) || fold >= t->K || nnz >= p || nval > nnz ||
        (uint64_t)nval * 8 + (uint64_t)nnz * 4 > (uint64_t)(r->end - r->p)) {
        rd_fail(r, ENGRATE_E_DATA, "a sampled row that is not one a pass keeps");
        return NULL;
    }
    size_t bytes = sizeof(srow) + nval * sizeof(double) + nnz * sizeof(uint32_t);
    srow *row = tr_sample_row(t, NULL, bytes);
    if (!row) {
        rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
        return NULL;
    }
    *row = (srow){y, w, key, nnz, nval, fold, row->room};
    uint32_t *ix = (uint32_t *)(row->data + nval), flagged = 0, prev = 0;
    int bad = 0;
    for (uint32_t v = 0; v < nval; v++) {
        row->data[v] = rd_f64(r);
        bad |= !isfinite(row->data[v]) || row->data[v] == 0 || row->data[v] == 1.0;
    }
    for (uint32_t k = 0; k < nnz; k++) {
        ix[k] = rd_u32(r);
        uint32_t ti = ix[k] & ~VALUE_FLAG;
        flagged += (ix[k] & VALUE_FLAG) != 0;
        bad |= ti <= prev || ti >= p;
        prev = ti;
    }
    if (!r->rc && (bad || flagged != nval))
        rd_fail(r, ENGRATE_E_DATA, "a sampled row's terms are not in order or its values not "
                                   "as the pass keeps them");
    if (r->rc) {
        tr_sample_unrow(row);
        return NULL;
    }
    return row;
}

int acc_read_sample(rd *r, trainer *t)
{
    if (rd_section(r, ACC_SAMP, "sample"))
        return r->rc;
    size_t p = tr_sum_terms(t);
    uint64_t n = rd_u64(r);
    if (!r->rc && (n > t->sample_cap || n * 36 > (uint64_t)(r->end - r->p)))
        return rd_fail(r, ENGRATE_E_DATA, "%llu sampled rows (the sample holds %zu)",
                       (unsigned long long)n, t->sample_cap);
    if (!r->rc && n && tr_sample_room(t, (size_t)n))
        return rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !r->rc; i++) {
        rd_item(r, "sampled row", i + 1);
        srow *row = read_row(r, t, p);
        if (!row)
            break;
        const srow *prev = i ? t->sample[i - 1] : NULL;
        t->skeys[t->sample_n] = (skey){row->key, row->y, row->w};
        t->sample[t->sample_n++] = row;
        if (prev && (row->key < prev->key ||
                     (row->key == prev->key &&
                      (row->y < prev->y || (row->y == prev->y && row->w < prev->w)))))
            return rd_fail(r, ENGRATE_E_DATA, "the sample is not in the order of its keys");
    }
    if (!r->rc)
        tr_sample_settle(t);
    return rd_section_end(r);
}
