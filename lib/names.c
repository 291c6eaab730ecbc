/* names.c: how a name someone typed finds its level: the hash index from (input, folded
 * name) to level (folding itself is fold.c's), and "did you mean" suggestions for names
 * that match nothing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
    char key[ER_MAX_FOLDED_BYTES];
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

void er_fold_for_message(const char *name, char *buf, size_t cap)
{
    int k = er_fold(name, strlen(name), buf, cap - 1);
    if (k == ENGRATE_E_LIMIT) { /* too long to quote whole: as much as fits */
        char key[ER_MAX_FOLDED_BYTES];
        k = er_fold(name, strlen(name), key, sizeof key);
        size_t n = k > 0 ? (size_t)k : 0;
        if (n > cap - 4)
            n = cap - 4;
        while (n > 0 && ((unsigned char)key[n] & 0xC0) == 0x80) /* not inside a character */
            n--;
        memcpy(buf, key, n);
        memcpy(buf + n, "...", 3);
        k = (int)n + 3;
    }
    buf[k > 0 ? k : 0] = '\0';
}

/* Fold name[0..len) into out (cap bytes) as er_fold does, and hash it as er_hash does, in
 * one pass over the name when it is ASCII, as it usually is. A name that is not is folded
 * by er_fold from its start (an ASCII letter composes with a mark after it), then hashed. */
static int fold_and_hash(uint64_t seed, size_t input, const char *name, size_t len, char *out,
                         size_t cap, uint64_t *hash, uint64_t *head)
{
    const unsigned char *s = (const unsigned char *)name;
    hasher hs = hash_start(seed, input);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = s[i];
        if (c >= 0x80) {
            int k = er_fold(name, len, out, cap);
            if (k >= 0)
                *hash = key_hash(seed, input, out, (size_t)k, head);
            return k;
        }
        c = er_ascii_fold[c];
        if (c == 0) /* dropped */
            continue;
        if (o >= cap)
            return ENGRATE_E_LIMIT;
        out[o] = (char)c;
        hash_byte(&hs, o++, (unsigned char)c);
    }
    *hash = hash_end(&hs, o);
    *head = hs.head;
    return (int)o;
}

/* er_find_level's second try: the name folded. Not inlined: its buffer and calls would
 * make every lookup save registers and set up a frame, and most lookups never get here. */
static __attribute__((noinline)) int find_folded(const engrate_model *m, size_t input,
                                                 const char *name, size_t len,
                                                 const er_slot **found, unsigned *flags)
{
    char key[ER_MAX_FOLDED_BYTES];
    uint64_t h, head;
    int k = fold_and_hash(m->hash_seed, input, name, len, key, sizeof key, &h, &head);
    if (k == ENGRATE_E_LIMIT) { /* longer than any name the model can hold */
        if (er_utf8_valid_prefix(name, len) != len)
            return ENGRATE_E_UTF8;
        *flags = ENGRATE_NAME_UNKNOWN;
        return ENGRATE_E_UNKNOWN_NAME;
    }
    if (k < 0)
        return k;
    if (k == 0) { /* no name folds to nothing (er_index_add) */
        *flags = ENGRATE_NAME_BLANK;
        return ENGRATE_E_UNKNOWN_NAME;
    }
    *found = lookup(m, input, key, (size_t)k, h, head);
    if (*found)
        return 0;
    *flags = ENGRATE_NAME_UNKNOWN;
    return ENGRATE_E_UNKNOWN_NAME;
}

int er_find_level(const engrate_model *m, size_t input, const char *name, size_t len,
                  size_t *level, unsigned *flags)
{
    const er_slot *s = NULL;
    if (len <= ER_MAX_NAME_BYTES) { /* as given first (er_index_add) */
        uint64_t head, h = key_hash(m->hash_seed, input, name, len, &head);
        s = lookup(m, input, name, len, h, head);
    }
    if (!s) {
        int rc = find_folded(m, input, name, len, &s, flags);
        if (rc < 0)
            return rc;
    }
    *level = s->level;
    *flags = s->flags & ER_SLOT_ID ? 0 : ENGRATE_NAME_ALIASED;
    return 0;
}

ENGRATE_API int engrate_model_find_level(const engrate_model *m, size_t input,
                                         const char *name, size_t *level, unsigned *flags)
{
    size_t l = ENGRATE_NO_INDEX;
    unsigned f = 0;
    int rc = ENGRATE_E_INVALID;
    if (m && name && input < m->n_inputs && m->inputs[input].kind != ENGRATE_NUMERIC)
        rc = er_find_level(m, input, name, strlen(name), &l, &f);
    if (rc < 0)
        l = ENGRATE_NO_INDEX;
    if (level)
        *level = l;
    if (flags)
        *flags = f;
    return rc;
}

/* ---- Suggestions ------------------------------------------------------------------- */

/* Code points of folded text, for an edit distance that counts characters, not bytes. */
static size_t to_codepoints(const char *s, size_t n, unsigned *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n && o < cap) {
        unsigned c;
        size_t len = er_utf8_decode(s + i, &c);
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

ENGRATE_API int engrate_model_suggest(const engrate_model *m, size_t input, const char *name,
                                      size_t *level)
{
    if (level)
        *level = ENGRATE_NO_INDEX;
    if (!m || !name || input >= m->n_inputs || m->inputs[input].kind == ENGRATE_NUMERIC)
        return ENGRATE_E_INVALID;
    char key[ER_MAX_FOLDED_BYTES];
    int k = er_fold(name, strlen(name), key, sizeof key);
    if (k <= 0)
        return ENGRATE_E_UNKNOWN_NAME;
    /* Distances count code points, not bytes: a kana or kanji is one edit, as a letter is
     * (a byte count would triple the distance of "ジャバスクリプ" to "ジャバスクリプト"). */
    unsigned a[ER_MAX_FOLDED_BYTES], b[ER_MAX_FOLDED_BYTES];
    size_t row[ER_MAX_FOLDED_BYTES + 1];
    size_t na = to_codepoints(key, (size_t)k, a, ER_MAX_FOLDED_BYTES);
    size_t limit = na / 3 > 0 ? na / 3 : 1;
    size_t best = limit + 1, best_level = ENGRATE_NO_INDEX;
    for (size_t i = 0; i <= m->slot_mask && m->slots; i++) {
        const er_slot *s = &m->slots[i];
        if (s->hash == 0 || s->input != input || (s->flags & ER_SLOT_RAW))
            continue;
        size_t nb = to_codepoints(s->key, s->key_len, b, ER_MAX_FOLDED_BYTES);
        size_t diff = na > nb ? na - nb : nb - na;
        if (diff > best)
            continue;
        size_t d = edit_distance(a, na, b, nb, row);
        /* Ties go to the lower level index, so the answer does not depend on hash order. */
        if (d < best || (d == best && s->level < best_level)) {
            best = d;
            best_level = s->level;
        }
    }
    if (best > limit)
        return ENGRATE_E_UNKNOWN_NAME;
    if (level)
        *level = best_level;
    return 0;
}
