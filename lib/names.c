/* names.c: how a name someone typed finds its level: folding (case, full-width forms,
 * separators), the hash index from (input, folded name) to level, and "did you mean"
 * suggestions for names that match nothing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- Folding ----------------------------------------------------------------------- */

/* Decode the code point of valid UTF-8 at s (the caller has checked). Returns its length. */
static size_t decode_valid(const unsigned char *s, unsigned *cp)
{
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0x80 ? 2 : 1;
    unsigned c = len == 1 ? s[0] : s[0] & (0xFFu >> (len + 1));
    for (size_t k = 1; k < len; k++)
        c = (c << 6) | (s[k] & 0x3F);
    *cp = c;
    return len;
}

/* Decode one code point of valid-or-not UTF-8 at s[0..n). Returns its length, 0 when the
 * bytes are not valid UTF-8. */
static size_t decode(const unsigned char *s, size_t n, unsigned *cp)
{
    if (s[0] >= 0x80 && er_utf8_valid_prefix((const char *)s, n < 4 ? n : 4) == 0)
        return 0;
    return decode_valid(s, cp);
}

/* The ASCII bytes folding removes: white space, - . / (a bit set over 0..63, so that the
 * test is a shift, not ten compares: it runs for every byte of every name) and _. */
#define ASCII_DROPPED_BELOW_64                                                             \
    ((1ull << ' ') | (1ull << '\t') | (1ull << '\n') | (1ull << '\r') | (1ull << '\v') |   \
     (1ull << '\f') | (1ull << '-') | (1ull << '.') | (1ull << '/'))

static inline int ascii_dropped(unsigned c)
{
    return c < 64 ? (int)((ASCII_DROPPED_BELOW_64 >> c) & 1) : c == '_';
}

int er_fold(const char *str, size_t n, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0, valid = 0; /* s[0..valid) is known to be valid UTF-8 */
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
        if (i >= valid) { /* check the next characters at once, not one call each */
            valid = i + er_utf8_valid_prefix(str + i, n - i < 64 ? n - i : 64);
            if (valid == i)
                return ENGRATE_E_UTF8;
        }
        size_t len = decode_valid(s + i, &c);
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
        for (size_t k = 0; k < len; k++) /* 2 to 4 bytes: no call to memcpy */
            out[o + k] = (char)s[i + k];
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

/* The hash of (input, key). Each estimate hashes every name it is given, so the hash is
 * kept short: the bytes are packed into 64-bit words and each word costs one multiply,
 * where FNV-1a, which this replaced, put a multiply per byte in one long dependency chain.
 * A name as given is hashed a word at a time (key_hash); a name that must be folded is
 * hashed as it is folded, in the same pass (fold_and_hash): the two agree. The last multiply
 * leaves its best-mixed bits at the top, and the index takes a slot from those (hash >>
 * slot_shift, Fibonacci hashing), so no final mix is needed. The length goes in last, so
 * the zeros that pad the last word are unambiguous. The values are never stored in a
 * file: only this process's hash tables depend on them. */
static inline uint64_t mix(uint64_t h)
{
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);
}

typedef struct hasher {
    uint64_t h;      /* the words so far                           */
    uint64_t word;   /* the bytes of this word                     */
    uint64_t head;   /* the first word, once complete (key_hash) */
} hasher;

/* seed is the model's own random key (engrate_model.hash_seed): without it, a hostile
 * model file could choose names that all land in one run of slots and make loading
 * quadratic. */
static inline hasher hash_start(uint64_t seed, size_t input)
{
    return (hasher){mix(0xcbf29ce484222325ull ^ seed ^ input), 0, 0};
}

/* Add byte c, the i-th of the key. */
static inline void hash_byte(hasher *hs, size_t i, unsigned char c)
{
    hs->word |= (uint64_t)c << (8 * (i & 7));
    if ((i & 7) == 7) {
        if (i == 7)
            hs->head = hs->word;
        hs->h = mix(hs->h ^ hs->word);
        hs->word = 0;
    }
}

static inline uint64_t hash_end(hasher *hs, size_t len)
{
    if (len < 8)
        hs->head = hs->word;
    return ((hs->h ^ hs->word ^ len) * 0x9E3779B97F4A7C15ull) | 1; /* 0: an empty slot */
}

/* Eight bytes in little-endian order, whatever the machine's (compilers make this one
 * load where they can), as hash_byte packs them. */
static inline uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
           (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline uint32_t load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The r bytes at p (0 < r < 8) as a little-endian number, zero above them, without
 * reading p[r] or beyond (a name as given may end at the end of its page): two loads that
 * overlap, whose common bytes are the same. */
static inline uint64_t load_le_short(const unsigned char *p, size_t r)
{
    if (r >= 4)
        return load_le32(p) | (uint64_t)load_le32(p + r - 4) << (8 * (r - 4));
    if (r >= 2)
        return (uint64_t)(p[0] | p[1] << 8) | (uint64_t)(p[r - 2] | p[r - 1] << 8) << (8 * (r - 2));
    return p[0];
}

/* The hash of a key, as the hasher makes it a byte at a time, here a word at a time, and
 * in *head its first 8 bytes, little-endian and zero-padded, as the hasher packs them.
 * Slots keep the head so that a key of 8 bytes or fewer, the usual name, is compared as one
 * number in a register: memcmp against the buffer a name was just folded into, a byte at
 * a time, waited for those stores (a wide load cannot take its bytes from several narrow
 * stores still in flight) and cost as much as the rest of the lookup.
 *
 * Names differ in length, so every branch on the length is a branch the processor may
 * mispredict (some 15 to 20 cycles each): a key of 8 bytes or more takes its last bytes
 * from the 8 that end where it ends, with a shift and no branch, which leaves the test of
 * len < 8 and, below 8, load_le_short's. */
static inline __attribute__((always_inline)) uint64_t key_hash(uint64_t seed, size_t input,
                                                              const char *key, size_t len,
                                                              uint64_t *head)
{
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = hash_start(seed, input).h, tail;
    if (len < 8) {
        tail = *head = len ? load_le_short(p, len) : 0;
    } else {
        *head = load_le64(p);
        size_t i = 0;
        for (; i + 8 <= len; i += 8)
            h = mix(h ^ load_le64(p + i));
        /* The len - i (0 to 7) bytes after the last whole word: the top ones of the word
         * that ends at len, shifted down (in two steps, as a shift of 64 is undefined). */
        tail = (load_le64(p + len - 8) >> 1) >> (63 - 8 * (len - i));
    }
    return ((h ^ tail ^ len) * 0x9E3779B97F4A7C15ull) | 1; /* as hash_end */
}

/* Whether key and name, both len > 8 bytes long and the same in their first 8, are the
 * same: compared a word at a time, the last word ending at len (it may overlap the one
 * before), so that nothing past len is read. */
static inline int same_tail(const char *key, const char *name, size_t len)
{
    uint64_t x, y;
    for (size_t i = 8; i + 8 < len; i += 8) {
        memcpy(&x, key + i, 8);
        memcpy(&y, name + i, 8);
        if (x != y)
            return 0;
    }
    memcpy(&x, key + len - 8, 8);
    memcpy(&y, name + len - 8, 8);
    return x == y;
}

/* The slot of key (folded or as given) with hash h and head as key_hash gives them, or
 * NULL. */
static inline const er_slot *lookup(const engrate_model *m, size_t input, const char *key,
                                    size_t key_len, uint64_t h, uint64_t head)
{
    if (!m->slots)
        return NULL;
    for (size_t i = h >> m->slot_shift;; i = (i + 1) & m->slot_mask) {
        const er_slot *s = &m->slots[i];
        if (s->hash == 0)
            return NULL;
        if (s->hash == h && s->head == head && s->input == input && s->key_len == key_len &&
            (key_len <= 8 || same_tail(s->key, key, key_len)))
            return s;
    }
}

/* Move the index to a table of n_slots slots, leaving out the keys of names as written
 * when drop_raw is set (*dropped: how many). */
static int index_rebuild(engrate_model *m, size_t n_slots, int drop_raw, size_t *dropped)
{
    er_slot *slots = calloc(n_slots, sizeof *slots);
    if (!slots)
        return ENGRATE_E_NOMEM;
    size_t mask = n_slots - 1;
    unsigned shift = 64;
    for (size_t n = n_slots; n > 1; n >>= 1) /* n_slots is a power of 2 */
        shift--;
    if (m->slots) {
        for (size_t i = 0; i <= m->slot_mask; i++) {
            const er_slot *s = &m->slots[i];
            if (s->hash == 0)
                continue;
            if (drop_raw && (s->flags & ER_SLOT_RAW)) {
                ++*dropped;
                continue;
            }
            size_t j = s->hash >> shift;
            while (slots[j].hash != 0)
                j = (j + 1) & mask;
            slots[j] = *s;
        }
        free(m->slots);
    }
    m->slots = slots;
    m->slot_mask = mask;
    m->slot_shift = shift;
    return 0;
}

size_t er_index_probes(const engrate_model *m, size_t *keys)
{
    size_t probes = 0, n = 0;
    if (m->slots)
        for (size_t i = 0; i <= m->slot_mask; i++) {
            const er_slot *s = &m->slots[i];
            if (s->hash == 0)
                continue;
            n++;
            probes += ((i - (size_t)(s->hash >> m->slot_shift)) & m->slot_mask) + 1;
        }
    *keys = n;
    return probes;
}

static size_t index_count(const engrate_model *m)
{
    size_t n = 0;
    if (m->slots)
        for (size_t i = 0; i <= m->slot_mask; i++)
            n += m->slots[i].hash != 0;
    return n;
}

/* Put key (len bytes) in the index for (input, level) unless it is there already; *flags
 * (ER_SLOT_*) are the new slot's, and become those of the slot that has the key. */
static int index_put(engrate_model *m, size_t *count, size_t input, size_t level,
                     const char *key, size_t len, unsigned *flags, size_t *other)
{
    uint64_t head, h = key_hash(m->hash_seed, input, key, len, &head);
    const er_slot *found = lookup(m, input, key, len, h, head);
    if (found) {
        *flags = found->flags;
        if (found->level == level)
            return 0;
        if (other)
            *other = found->level;
        return ENGRATE_E_DUPLICATE;
    }
    if (!m->slots || (*count + 1) * 2 > m->slot_mask + 1) { /* at most half full */
        size_t n_slots = m->slots ? (m->slot_mask + 1) * 2 : 64, dropped = 0;
        if ((*flags & ER_SLOT_RAW) && n_slots > ER_RAW_KEYS_MAX_SLOTS)
            return 0; /* not worth growing for (er_index_add) */
        int drop = n_slots > ER_RAW_KEYS_MAX_SLOTS && !m->raw_keys_off;
        if (drop) { /* too big for them now: without them, it may not need to grow */
            m->raw_keys_off = 1;
            int rc = index_rebuild(m, m->slot_mask + 1, 1, &dropped);
            if (rc)
                return rc;
            *count -= dropped;
        }
        if ((*count + 1) * 2 > (m->slots ? m->slot_mask + 1 : 0)) {
            int rc = index_rebuild(m, n_slots, 0, &dropped);
            if (rc)
                return rc;
        }
    }
    char *stored = er_pool_strndup(&m->pool, key, len);
    if (!stored)
        return ENGRATE_E_NOMEM;
    size_t j = h >> m->slot_shift;
    while (m->slots[j].hash != 0)
        j = (j + 1) & m->slot_mask;
    m->slots[j] = (er_slot){h, head, stored, (uint32_t)len, (uint16_t)input, (uint16_t)*flags,
                            (uint32_t)level};
    ++*count;
    return 0;
}

/* Each name goes in folded, which is what a lookup of any spelling of it comes down to,
 * and, when folding changes it, also as written: most callers give names exactly as the
 * model writes them (ids from their own lists, display names they were shown), and
 * er_find_level tries a name as given first, which costs a hash of its words and no
 * folding. A name as written can only ever match its own level: if it were another
 * level's key, the two would fold to the same key, which the folded entry refuses. And it
 * is the id (not aliased) when its folded form is: "Python" as written is the id "python",
 * as it is when folded, even if it came in as a display name. These keys only save time,
 * so the index keeps them only while it has at most ER_RAW_KEYS_MAX_SLOTS slots: before it
 * grows past that, it drops them and takes no more, so that a big model's index is the
 * size its folded names need, as if these keys had never been, and its names are found by
 * folding. */
int er_index_add(engrate_model *m, size_t *count, size_t input, size_t level,
                 const char *name, size_t len, int is_id, size_t *other)
{
    char key[ER_MAX_NAME_BYTES];
    int k = er_fold(name, len, key, sizeof key);
    if (k < 0)
        return k;
    if (k == 0)
        return ENGRATE_E_INVALID;
    unsigned flags = is_id ? ER_SLOT_ID : 0;
    int rc = index_put(m, count, input, level, key, (size_t)k, &flags, other);
    if (rc == 0 && !m->raw_keys_off && ((size_t)k != len || memcmp(key, name, len) != 0)) {
        flags = (flags & ER_SLOT_ID) | ER_SLOT_RAW;
        rc = index_put(m, count, input, level, name, len, &flags, other);
    }
    return rc;
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

/* What folding makes of an ASCII byte: the byte, lower-cased, or 0 when it is dropped (and
 * for NUL, which ends the name before the table is asked). A table built at compile time,
 * because fold_and_hash looks up every byte of every name an estimate is given. */
#define FOLD(c)                                                                            \
    ((c) < 64 && ((ASCII_DROPPED_BELOW_64 >> ((c) & 63)) & 1) ? 0                          \
     : (c) == '_'                                            ? 0                          \
     : (c) >= 'A' && (c) <= 'Z'                              ? (c) + ('a' - 'A')          \
                                                             : (c))
#define FOLD16(c)                                                                          \
    FOLD(c), FOLD(c + 1), FOLD(c + 2), FOLD(c + 3), FOLD(c + 4), FOLD(c + 5), FOLD(c + 6),   \
        FOLD(c + 7), FOLD(c + 8), FOLD(c + 9), FOLD(c + 10), FOLD(c + 11), FOLD(c + 12),    \
        FOLD(c + 13), FOLD(c + 14), FOLD(c + 15)
static const unsigned char ascii_fold[128] = {FOLD16(0x00), FOLD16(0x10), FOLD16(0x20),
                                              FOLD16(0x30), FOLD16(0x40), FOLD16(0x50),
                                              FOLD16(0x60), FOLD16(0x70)};

/* Fold a NUL-terminated name into out (cap bytes) as er_fold does, and hash it as er_hash
 * does, in one pass over the name and without measuring it first: the ASCII prefix, which
 * is usually all of it, is folded here; the rest goes to er_fold. */
static int fold_and_hash(uint64_t seed, size_t input, const char *name, char *out, size_t cap,
                         uint64_t *hash, uint64_t *head)
{
    const unsigned char *s = (const unsigned char *)name;
    hasher hs = hash_start(seed, input);
    size_t o = 0;
    for (;; s++) {
        unsigned c = *s;
        if (c == 0 || c >= 0x80)
            break;
        c = ascii_fold[c];
        if (c == 0) /* dropped */
            continue;
        if (o >= cap)
            return ENGRATE_E_LIMIT;
        out[o] = (char)c;
        hash_byte(&hs, o++, (unsigned char)c);
    }
    if (*s) {
        int k = er_fold((const char *)s, strlen((const char *)s), out + o, cap - o);
        if (k < 0)
            return k;
        for (int j = 0; j < k; j++, o++)
            hash_byte(&hs, o, (unsigned char)out[o]);
    }
    *hash = hash_end(&hs, o);
    *head = hs.head;
    return (int)o;
}

/* er_find_level's second try: the name folded. Not inlined: its buffer and calls would
 * make every lookup save registers and set up a frame, and most lookups never get here. */
static __attribute__((noinline)) int find_folded(const engrate_model *m, size_t input,
                                                 const char *name, size_t len,
                                                 const er_slot **found)
{
    char key[ER_MAX_NAME_BYTES];
    uint64_t h, head;
    int k = fold_and_hash(m->hash_seed, input, name, key, sizeof key, &h, &head);
    if (k == ENGRATE_E_LIMIT) /* longer than any name the model can hold */
        return er_utf8_valid_prefix(name, len) == len ? ENGRATE_E_UNKNOWN_NAME : ENGRATE_E_UTF8;
    if (k < 0)
        return k;
    *found = lookup(m, input, key, (size_t)k, h, head);
    return *found ? 0 : ENGRATE_E_UNKNOWN_NAME;
}

int er_find_level(const engrate_model *m, size_t input, const char *name, int *aliased)
{
    size_t len = strlen(name);
    const er_slot *s = NULL;
    if (len <= ER_MAX_NAME_BYTES) { /* as given first (er_index_add) */
        uint64_t head, h = key_hash(m->hash_seed, input, name, len, &head);
        s = lookup(m, input, name, len, h, head);
    }
    if (!s) {
        int rc = find_folded(m, input, name, len, &s);
        if (rc < 0)
            return rc;
    }
    if (aliased)
        *aliased = !(s->flags & ER_SLOT_ID);
    return (int)s->level;
}

ENGRATE_API int engrate_model_find_level(const engrate_model *m, size_t input,
                                         const char *name, int *aliased)
{
    if (!m || !name || input >= m->n_inputs || m->inputs[input].kind == ENGRATE_NUMERIC)
        return ENGRATE_E_INVALID;
    return er_find_level(m, input, name, aliased);
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
        if (s->hash == 0 || s->input != input || (s->flags & ER_SLOT_RAW))
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
