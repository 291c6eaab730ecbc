/* accfile.c: writing the accumulator file (docs/accumulator.md says what each byte is): a
 * text line naming the format, its version and kind, then sections of little-endian
 * binary (a tag, a length, a payload), and a checksum. Doubles are written as their bits,
 * the exact sums as their limbs, so that a file read on another machine is the same
 * state, bit for bit. The same state always gives the same bytes. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accfile.h"

uint64_t acc_fnv64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

int acc_is_file(const void *data, size_t len)
{
    size_t n = sizeof ACC_MAGIC - 1;
    return len > n && !memcmp(data, ACC_MAGIC, n) && ((const char *)data)[n] == ' ';
}

/* ---- Little-endian values ------------------------------------------------------------ */

static void w_u64(er_buf *b, uint64_t v)
{
    char s[8];
    for (int i = 0; i < 8; i++)
        s[i] = (char)(v >> (8 * i));
    er_buf_add(b, s, 8);
}

static void w_u32(er_buf *b, uint32_t v)
{
    char s[4];
    for (int i = 0; i < 4; i++)
        s[i] = (char)(v >> (8 * i));
    er_buf_add(b, s, 4);
}

static void w_u8(er_buf *b, unsigned v)
{
    char c = (char)v;
    er_buf_add(b, &c, 1);
}

static void w_i32(er_buf *b, int32_t v) { w_u32(b, (uint32_t)v); }

static void w_f64(er_buf *b, double x)
{
    uint64_t v;
    memcpy(&v, &x, sizeof v);
    w_u64(b, v);
}

static void w_str(er_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    w_u32(b, (uint32_t)n);
    er_buf_add(b, s ? s : "", n);
}

static void w_ostr(er_buf *b, const char *s)
{
    w_u8(b, s != NULL);
    if (s)
        w_str(b, s);
}

/* A section: its tag and a length filled in by end_section. */
static size_t begin_section(er_buf *b, const char *tag)
{
    er_buf_add(b, tag, 4);
    size_t at = b->len;
    w_u64(b, 0);
    return at;
}

static void end_section(er_buf *b, size_t at)
{
    if (b->failed)
        return;
    uint64_t n = b->len - at - 8;
    for (int i = 0; i < 8; i++)
        b->s[at + (size_t)i] = (char)(n >> (8 * i));
}

/* ---- Sections ---------------------------------------------------------------------------- */

static void write_opts(er_buf *b, const trainer *t, const engrate_train_options *o)
{
    size_t at = begin_section(b, ACC_OPTS);
    w_str(b, o->target);
    w_ostr(b, o->weight);
    w_u8(b, o->transform == ENGRATE_TRANSFORM_LOG ? 0 : 1);
    w_u8(b, (unsigned)o->missing);
    w_u8(b, (unsigned)o->folds_by);
    w_u32(b, (uint32_t)o->folds);
    w_u64(b, o->sample);
    w_u64(b, o->levels_hash);
    w_u64(b, t->schema_hash);
    w_u32(b, (uint32_t)t->schema_min_count);
    opt_input scratch[ER_DEFAULT_INPUTS];
    size_t n;
    int du;
    const opt_input *in = er_options_inputs(o, &n, scratch, &du);
    w_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        w_u8(b, (unsigned)in[i].kind);
        w_str(b, in[i].col);
        w_str(b, in[i].sep);
        w_u32(b, (uint32_t)in[i].n_knots);
        for (size_t k = 0; k < in[i].n_knots; k++)
            w_f64(b, in[i].knots[k]);
        w_u8(b, (unsigned)in[i].has_option);
        w_ostr(b, in[i].by);
        w_u8(b, (unsigned)in[i].vary);
    }
    end_section(b, at);
}

static void write_inputs(er_buf *b, const trainer *t)
{
    size_t at = begin_section(b, ACC_INPT);
    w_u32(b, (uint32_t)t->n_in);
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        w_str(b, in->label);
        w_str(b, in->id);
        w_u32(b, in->first);
        w_u32(b, in->miss);
        w_f64(b, in->min);
        w_f64(b, in->max);
        w_i32(b, in->scale);
        w_u8(b, (unsigned)in->scale_set);
        w_u64(b, in->n_missing);
        w_ostr(b, in->label_en);
        w_ostr(b, in->label_ja);
        w_u32(b, in->by == SIZE_MAX ? UINT32_MAX : (uint32_t)in->by);
    }
    end_section(b, at);
}

static void write_levels_file(er_buf *b, const trainer *t)
{
    size_t at = begin_section(b, ACC_LVLF);
    w_u32(b, (uint32_t)t->n_lf);
    for (size_t i = 0; i < t->n_lf; i++) {
        const lfentry *e = &t->lf[i];
        w_u32(b, e->input);
        w_str(b, e->level);
        w_ostr(b, e->id);
        w_ostr(b, e->name_en);
        w_ostr(b, e->name_ja);
        w_ostr(b, e->aliases);
        w_u8(b, (unsigned)e->no_evidence);
        w_u32(b, e->term);
    }
    end_section(b, at);
}

static void write_terms(er_buf *b, const trainer *t)
{
    size_t at = begin_section(b, ACC_TERM);
    w_u32(b, (uint32_t)t->n_terms);
    w_u32(b, (uint32_t)tr_sum_terms(t));
    for (size_t j = 0; j < t->n_terms; j++) {
        const term *tm = &t->terms[j];
        w_u32(b, tm->input);
        w_u32(b, tm->piece);
        w_i32(b, tm->lf);
        w_u32(b, tm->flags);
        w_u8(b, (unsigned)tm->dropped);
        w_u32(b, tm->by_term);
        w_u64(b, tm->count);
        uint32_t n = 0;
        for (uint32_t s = tm->spellings; s != UINT32_MAX; s = t->spells[s].next)
            n++;
        w_u32(b, n);
        for (uint32_t s = tm->spellings; s != UINT32_MAX; s = t->spells[s].next) {
            w_str(b, t->spells[s].text);
            w_u64(b, t->spells[s].count);
        }
    }
    end_section(b, at);
}

static void write_rows(er_buf *b, const trainer *t)
{
    const engrate_train_report *r = t->rep;
    size_t at = begin_section(b, ACC_ROWS);
    w_str(b, t->source);
    w_u64(b, t->rows_read);
    w_u64(b, t->rows_used);
    w_u64(b, t->rows_skipped);
    w_u64(b, t->rows_bad);
    w_u64(b, t->rows_empty);
    w_i32(b, t->y_scale);
    w_u8(b, (unsigned)t->y_scale_set);
    w_str(b, t->rows_bad ? t->first_bad : "");
    w_u32(b, (uint32_t)r->n_reasons);
    for (size_t i = 0; i < r->n_reasons; i++) {
        w_str(b, r->reasons[i].what);
        w_u64(b, r->reasons[i].count);
    }
    size_t setup = t->n_setup_notes < r->n_notes ? t->n_setup_notes : r->n_notes;
    size_t skip = t->n_skip_notes < r->n_notes - setup ? t->n_skip_notes : r->n_notes - setup;
    w_u32(b, (uint32_t)setup);
    for (size_t i = 0; i < setup; i++)
        w_str(b, r->notes[i]);
    w_u32(b, (uint32_t)skip);
    for (size_t i = 0; i < skip; i++) {
        w_u64(b, t->skip_note_at[i]);
        w_str(b, r->notes[setup + i]);
    }
    end_section(b, at);
}

static void write_sum(er_buf *b, uint32_t index, const er_xsum *s)
{
    w_u32(b, index);
    w_u8(b, s->nonfinite);
    w_i32(b, s->base);
    int n = XS_LIMBS;
    while (n > 0 && !s->limb[n - 1])
        n--;
    w_u8(b, (unsigned)n);
    for (int i = 0; i < n; i++)
        w_u64(b, (uint64_t)s->limb[i]);
}

/* The exact sums of each fold: the entries that are not 0, in canonical form. */
static void write_sums(er_buf *b, const trainer *t)
{
    size_t at = begin_section(b, ACC_SUMS);
    size_t p = tr_sum_terms(t), ng = ER_PK(0, p);
    w_u32(b, (uint32_t)t->K);
    for (size_t k = 0; k < t->K; k++) {
        const er_xacc *a = &t->xacc[k];
        w_u64(b, a->n);
        w_u64(b, a->lost);
        size_t count_at = b->len, n = 0;
        w_u64(b, 0);
        for (size_t i = 0; i <= ng + p; i++) {
            er_xsum s = {XS_EMPTY, 0, {0}};
            if (i < ng && i < ER_PK(0, a->p)) {
                s = a->g[i];
                er_xsum_add_count(&s, er_xacc_count(a, i), NULL);
            } else if (i >= ng && i < ng + p && i - ng < a->p) {
                s = a->xy[i - ng];
            } else if (i == ng + p) {
                s = a->yy;
            }
            er_xsum_canonical(&s);
            if (s.base == XS_EMPTY && !s.nonfinite)
                continue;
            write_sum(b, (uint32_t)i, &s);
            n++;
        }
        if (!b->failed)
            for (int i = 0; i < 8; i++)
                b->s[count_at + (size_t)i] = (char)((uint64_t)n >> (8 * i));
    }
    end_section(b, at);
}

/* The sample, in the order of its keys: the same sample gives the same bytes whatever
 * order the sample holds it in. */
static int by_key(const void *a, const void *b)
{
    const srow *x = *(const srow *const *)a, *y = *(const srow *const *)b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->y < y->y ? -1 : x->y > y->y ? 1 : x->w < y->w ? -1 : x->w > y->w;
}

static void write_sample(er_buf *b, const trainer *t)
{
    size_t at = begin_section(b, ACC_SAMP);
    srow **rows = malloc((t->sample_n + 1) * sizeof *rows);
    size_t n = 0;
    if (!rows) {
        b->failed = 1;
        return;
    }
    for (size_t i = 0; i < t->sample_n; i++)
        if (t->sample[i])
            rows[n++] = t->sample[i];
    qsort(rows, n, sizeof *rows, by_key);
    w_u64(b, n);
    for (size_t i = 0; i < n; i++) {
        const srow *r = rows[i];
        w_u64(b, r->key);
        w_f64(b, r->y);
        w_f64(b, r->w);
        w_u32(b, r->fold);
        w_u32(b, r->nnz);
        w_u32(b, r->nval);
        for (uint32_t v = 0; v < r->nval; v++)
            w_f64(b, r->data[v]);
        const uint32_t *ix = (const uint32_t *)(r->data + r->nval);
        for (uint32_t k = 0; k < r->nnz; k++)
            w_u32(b, ix[k]);
    }
    free(rows);
    end_section(b, at);
}

void acc_write(const trainer *t, const engrate_train_options *o, er_buf *b)
{
    char line[64];
    snprintf(line, sizeof line, "%s %d %s\n", ACC_MAGIC, ACC_VERSION,
             t->scan_only ? "scan" : "partial");
    er_buf_puts(b, line);
    write_opts(b, t, o);
    write_inputs(b, t);
    write_levels_file(b, t);
    write_terms(b, t);
    write_rows(b, t);
    if (!t->scan_only) {
        write_sums(b, t);
        write_sample(b, t);
    }
    if (b->failed)
        return;
    uint64_t sum = acc_fnv64(b->s, b->len);
    er_buf_add(b, ACC_END, 4);
    w_u64(b, 8);
    w_u64(b, sum);
}
