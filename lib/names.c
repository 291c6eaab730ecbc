/* names.c: how a name someone typed finds its level: folding (case, full-width forms,
 * separators), the hash index from (input, folded name) to level, and "did you mean"
 * suggestions for names that match nothing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- Folding ----------------------------------------------------------------------- */

/* Decode one code point of valid-or-not UTF-8 at s[0..n). Returns its length, 0 when the
 * bytes are not valid UTF-8. */
static size_t decode(const unsigned char *s, size_t n, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = er_utf8_valid_prefix((const char *)s, n < 4 ? n : 4);
    size_t want = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
    if (len < want)
        return 0;
    unsigned c = s[0] & (0xFFu >> (want + 1));
    for (size_t k = 1; k < want; k++)
        c = (c << 6) | (s[k] & 0x3F);
    *cp = c;
    return want;
}

static int ascii_dropped(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
           c == '-' || c == '_' || c == '.' || c == '/';
}

int er_fold(const char *str, size_t n, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) { /* the common case: one ASCII byte */
            i++;
            if (ascii_dropped(c))
                continue;
            if (c >= 'A' && c <= 'Z')
                c += 'a' - 'A';
            if (o >= cap)
                return ENGRATE_E_LIMIT;
            out[o++] = (char)c;
            continue;
        }
        size_t len = decode(s + i, n - i, &c);
        if (len == 0)
            return ENGRATE_E_UTF8;
        if (c >= 0xFF01 && c <= 0xFF5E) { /* full-width ASCII */
            c -= 0xFEE0;
            i += len;
            if (ascii_dropped(c))
                continue;
            if (c >= 'A' && c <= 'Z')
                c += 'a' - 'A';
            if (o >= cap)
                return ENGRATE_E_LIMIT;
            out[o++] = (char)c;
            continue;
        }
        if (c == 0x3000 || c == 0x00A0 || c == 0x30FB || c == 0xFF65 ||
            (c >= 0x2010 && c <= 0x2015) || c == 0x2212) {
            i += len;
            continue;
        }
        if (cap - o < len)
            return ENGRATE_E_LIMIT;
        memcpy(out + o, s + i, len);
        o += len;
        i += len;
    }
    return (int)o;
}

ENGRATE_API int engrate_fold_name(const char *name, char *buf, size_t cap)
{
    if (!name || !buf || cap == 0)
        return ENGRATE_E_INVALID;
    int n = er_fold(name, strlen(name), buf, cap - 1);
    if (n < 0)
        return n;
    buf[n] = '\0';
    return n;
}

/* ---- The index --------------------------------------------------------------------- */

uint64_t er_hash(size_t input, const char *key, size_t len)
{
    /* FNV-1a, 64 bit, seeded with the input index; then a final mix so the low bits that
     * pick the slot depend on every byte. */
    uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)input * 0x9E3779B97F4A7C15ull);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h | 1; /* 0 marks an empty slot */
}

const er_slot *er_model_lookup(const engrate_model *m, size_t input, const char *key,
                               size_t key_len)
{
    if (!m->slots)
        return NULL;
    uint64_t h = er_hash(input, key, key_len);
    for (size_t i = h & m->slot_mask;; i = (i + 1) & m->slot_mask) {
        const er_slot *s = &m->slots[i];
        if (s->hash == 0)
            return NULL;
        if (s->hash == h && s->input == input && s->key_len == key_len &&
            memcmp(s->key, key, key_len) == 0)
            return s;
    }
}

static int index_grow(engrate_model *m, size_t n_slots)
{
    er_slot *slots = calloc(n_slots, sizeof *slots);
    if (!slots)
        return ENGRATE_E_NOMEM;
    size_t mask = n_slots - 1;
    if (m->slots) {
        for (size_t i = 0; i <= m->slot_mask; i++) {
            const er_slot *s = &m->slots[i];
            if (s->hash == 0)
                continue;
            size_t j = s->hash & mask;
            while (slots[j].hash != 0)
                j = (j + 1) & mask;
            slots[j] = *s;
        }
        free(m->slots);
    }
    m->slots = slots;
    m->slot_mask = mask;
    return 0;
}

static size_t index_count(const engrate_model *m)
{
    size_t n = 0;
    if (m->slots)
        for (size_t i = 0; i <= m->slot_mask; i++)
            n += m->slots[i].hash != 0;
    return n;
}

int er_index_add(engrate_model *m, size_t *count, size_t input, size_t level,
                 const char *name, size_t len, int is_id, size_t *other)
{
    char key[ER_MAX_NAME_BYTES];
    int k = er_fold(name, len, key, sizeof key);
    if (k < 0)
        return k;
    if (k == 0)
        return ENGRATE_E_INVALID;
    const er_slot *found = er_model_lookup(m, input, key, (size_t)k);
    if (found) {
        if (found->level == level)
            return 0;
        if (other)
            *other = found->level;
        return ENGRATE_E_DUPLICATE;
    }
    if (!m->slots || (*count + 1) * 2 > m->slot_mask + 1) {
        int rc = index_grow(m, m->slots ? (m->slot_mask + 1) * 2 : 64);
        if (rc)
            return rc;
    }
    char *stored = er_pool_strndup(&m->pool, key, (size_t)k);
    if (!stored)
        return ENGRATE_E_NOMEM;
    uint64_t h = er_hash(input, key, (size_t)k);
    size_t j = h & m->slot_mask;
    while (m->slots[j].hash != 0)
        j = (j + 1) & m->slot_mask;
    m->slots[j] = (er_slot){h, stored, (uint32_t)k, (uint16_t)input, (uint16_t)(is_id != 0),
                            (uint32_t)level};
    ++*count;
    return 0;
}

int er_index_build(engrate_model *m, size_t *dup_input, size_t *dup_level,
                   const char **dup_name)
{
    size_t count = index_count(m);
    for (size_t i = 0; i < m->n_inputs; i++) {
        const er_input *in = &m->inputs[i];
        for (size_t l = 0; l < in->n_levels; l++) {
            const er_level *lv = &in->levels[l];
            size_t other = 0;
            const char *name = lv->id;
            int rc = er_index_add(m, &count, i, l, name, strlen(name), 1, &other);
            for (size_t k = 0; rc == 0 && k < lv->n_names; k++) {
                name = lv->names[k].text;
                rc = er_index_add(m, &count, i, l, name, strlen(name), 0, &other);
            }
            for (size_t k = 0; rc == 0 && k < lv->n_aliases; k++) {
                name = lv->aliases[k];
                rc = er_index_add(m, &count, i, l, name, strlen(name), 0, &other);
            }
            if (rc) {
                if (dup_input)
                    *dup_input = i;
                if (dup_level)
                    *dup_level = l;
                if (dup_name)
                    *dup_name = name;
                return rc;
            }
        }
    }
    return 0;
}

ENGRATE_API int engrate_model_find_level(const engrate_model *m, size_t input,
                                         const char *name, int *aliased)
{
    if (!m || !name || input >= m->n_inputs || m->inputs[input].kind == ENGRATE_NUMERIC)
        return ENGRATE_E_INVALID;
    char key[ER_MAX_NAME_BYTES];
    size_t len = strlen(name);
    int k = er_fold(name, len, key, sizeof key);
    if (k == ENGRATE_E_LIMIT) /* longer than any name the model can hold */
        return er_utf8_valid_prefix(name, len) == len ? ENGRATE_E_UNKNOWN_NAME
                                                      : ENGRATE_E_UTF8;
    if (k < 0)
        return k;
    const er_slot *s = er_model_lookup(m, input, key, (size_t)k);
    if (!s)
        return ENGRATE_E_UNKNOWN_NAME;
    if (aliased)
        *aliased = !s->is_id;
    return (int)s->level;
}

/* ---- Suggestions ------------------------------------------------------------------- */

/* Code points of folded text, for an edit distance that counts characters, not bytes. */
static size_t to_codepoints(const char *s, size_t n, unsigned *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n && o < cap) {
        unsigned c;
        size_t len = decode((const unsigned char *)s + i, n - i, &c);
        if (len == 0)
            break;
        out[o++] = c;
        i += len;
    }
    return o;
}

static size_t edit_distance(const unsigned *a, size_t na, const unsigned *b, size_t nb,
                            size_t *row)
{
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

ENGRATE_API int engrate_model_suggest(const engrate_model *m, size_t input, const char *name)
{
    if (!m || !name || input >= m->n_inputs || m->inputs[input].kind == ENGRATE_NUMERIC)
        return ENGRATE_E_INVALID;
    char key[ER_MAX_NAME_BYTES];
    int k = er_fold(name, strlen(name), key, sizeof key);
    if (k <= 0)
        return ENGRATE_E_UNKNOWN_NAME;
    unsigned a[ER_MAX_NAME_BYTES], b[ER_MAX_NAME_BYTES];
    size_t row[ER_MAX_NAME_BYTES + 1];
    size_t na = to_codepoints(key, (size_t)k, a, ER_MAX_NAME_BYTES);
    size_t limit = na / 3 > 0 ? na / 3 : 1;
    size_t best = limit + 1;
    int best_level = ENGRATE_E_UNKNOWN_NAME;
    for (size_t i = 0; i <= m->slot_mask && m->slots; i++) {
        const er_slot *s = &m->slots[i];
        if (s->hash == 0 || s->input != input)
            continue;
        size_t nb = to_codepoints(s->key, s->key_len, b, ER_MAX_NAME_BYTES);
        size_t diff = na > nb ? na - nb : nb - na;
        if (diff > best)
            continue;
        size_t d = edit_distance(a, na, b, nb, row);
        /* Ties go to the lower level index, so the answer does not depend on hash order. */
        if (d < best || (d == best && (int)s->level < best_level)) {
            best = d;
            best_level = (int)s->level;
        }
    }
    return best <= limit ? best_level : ENGRATE_E_UNKNOWN_NAME;
}
