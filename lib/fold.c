/* fold.c: name folding, what makes the spellings people type of one name the same key:
 * Unicode's compatibility and case folding (utf8proc's tables) and the separators that
 * matching ignores (models/FORMAT.md, "Name matching"). ASCII, which most names are, is
 * folded a byte at a time through a table; the rest goes through utf8proc. */
#include "config.h"

#include <string.h>
#include <utf8proc.h>

#include "internal.h"

size_t er_utf8_decode(const char *str, unsigned *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0x80 ? 2 : 1;
    unsigned c = len == 1 ? s[0] : s[0] & (0xFFu >> (len + 1));
    for (size_t k = 1; k < len; k++)
        c = (c << 6) | (s[k] & 0x3F);
    *cp = c;
    return len;
}

/* The ASCII bytes folding removes: white space, - . / (a bit set over 0..63, so that the
 * test is a shift, not ten compares: it runs for every byte of every name) and _. */
#define ASCII_DROPPED_BELOW_64                                                             \
    ((1ull << ' ') | (1ull << '\t') | (1ull << '\n') | (1ull << '\r') | (1ull << '\v') |   \
     (1ull << '\f') | (1ull << '-') | (1ull << '.') | (1ull << '/'))

/* What folding makes of an ASCII byte: the byte, lower-cased, or 0 when it is dropped (and
 * for NUL, which ends the name before the table is asked). A table built at compile time,
 * because the fast paths look up every byte of every name an estimate is given. */
#define FOLD(c)                                                                            \
    ((c) < 64 && ((ASCII_DROPPED_BELOW_64 >> ((c) & 63)) & 1) ? 0                          \
     : (c) == '_'                                            ? 0                          \
     : (c) >= 'A' && (c) <= 'Z'                              ? (c) + ('a' - 'A')          \
                                                             : (c))
#define FOLD16(c)                                                                          \
    FOLD(c), FOLD(c + 1), FOLD(c + 2), FOLD(c + 3), FOLD(c + 4), FOLD(c + 5), FOLD(c + 6),   \
        FOLD(c + 7), FOLD(c + 8), FOLD(c + 9), FOLD(c + 10), FOLD(c + 11), FOLD(c + 12),    \
        FOLD(c + 13), FOLD(c + 14), FOLD(c + 15)
const unsigned char er_ascii_fold[128] = {FOLD16(0x00), FOLD16(0x10), FOLD16(0x20),
                                          FOLD16(0x30), FOLD16(0x40), FOLD16(0x50),
                                          FOLD16(0x60), FOLD16(0x70)};

/* Whether folding removes code point c of a name's compatibility decomposition: the ASCII
 * ones above, the middle dot U+30FB (U+FF65 decomposes to it), the dashes U+2010..U+2015
 * and U+2212, and every other space or line and paragraph separator (most spaces, U+3000
 * and U+00A0 among them, decompose to U+0020, but not all). */
static int dropped(utf8proc_int32_t c)
{
    if (c < 0x80)
        return er_ascii_fold[c] == 0;
    if (c == 0x30FB || (c >= 0x2010 && c <= 0x2015) || c == 0x2212)
        return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

/* Code points a name's decomposition may take while it is folded: twice the bytes the
 * folded form may have (a character decomposes canonically into at most 3 code points for
 * 2 bytes, 4 for 3), and room after that for the longest decomposition of one character
 * (18 code points, U+FDFA), so that a character whose code points are all dropped never
 * fails for want of room. */
#define FOLD_CP_MAX (2 * ER_MAX_FOLDED_BYTES)
#define FOLD_CP_SLACK 32
#define FOLD_DECOMPOSE (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

/* Canonical ordering (The Unicode Standard, 3.11): each run of combining marks sorted by combining
 * class, stably. utf8proc_decompose does this for a whole string; here the code points
 * come one character at a time, with the dropped ones taken out between them. */
static void canonical_order(utf8proc_int32_t *cp, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int ci = utf8proc_get_property(cp[i])->combining_class;
        if (ci == 0)
            continue;
        utf8proc_int32_t c = cp[i];
        size_t j = i;
        while (j > 0 && utf8proc_get_property(cp[j - 1])->combining_class > ci) {
            cp[j] = cp[j - 1];
            j--;
        }
        cp[j] = c;
    }
}

/* The folding of valid UTF-8 that is not all ASCII: the NFKC_Casefold of Unicode (UAX
 * #15, utf8proc's tables: compatibility decomposition with full case folding and default
 * ignorables removed, then canonical composition) with the dropped code points taken out
 * before composing, so that what a removed separator kept apart composes ("ハ゛", a
 * spacing voiced mark after a space, is "バ"), and folding a folded name changes nothing. */
static int fold_unicode(const char *str, size_t n, char *out, size_t cap)
{
    utf8proc_int32_t cp[FOLD_CP_MAX + FOLD_CP_SLACK];
    size_t k = 0; /* code points kept */
    for (size_t i = 0; i < n;) {
        unsigned c;
        i += er_utf8_decode(str + i, &c);
        size_t room = FOLD_CP_MAX + FOLD_CP_SLACK - k, got = 1;
        if (c < 0x80) {
            cp[k] = er_ascii_fold[c];
        } else {
            int boundclass = 0;
            utf8proc_ssize_t d = utf8proc_decompose_char((utf8proc_int32_t)c, cp + k,
                                                         (utf8proc_ssize_t)room,
                                                         FOLD_DECOMPOSE, &boundclass);
            if (d < 0)
                return ENGRATE_E_UTF8;
            got = (size_t)d;
            if (got > room)
                return ENGRATE_E_LIMIT;
        }
        size_t end = k + got;
        for (size_t j = k; j < end; j++)
            if (!dropped(cp[j]))
                cp[k++] = cp[j];
        if (k > FOLD_CP_MAX)
            return ENGRATE_E_LIMIT;
    }
    canonical_order(cp, k);
    utf8proc_ssize_t m = utf8proc_normalize_utf32(cp, (utf8proc_ssize_t)k,
                                                  UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (m < 0)
        return ENGRATE_E_UTF8;
    size_t o = 0;
    for (utf8proc_ssize_t j = 0; j < m; j++) {
        utf8proc_uint8_t bytes[4];
        size_t len = (size_t)utf8proc_encode_char(cp[j], bytes);
        if (cap - o < len)
            return ENGRATE_E_LIMIT;
        memcpy(out + o, bytes, len);
        o += len;
    }
    return (int)o;
}

int er_fold(const char *str, size_t n, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0;
    if (cap > ER_MAX_FOLDED_BYTES) /* one limit, whatever the path */
        cap = ER_MAX_FOLDED_BYTES;
    for (; i < n; i++) { /* the common case: ASCII, a table look-up a byte */
        unsigned c = s[i];
        if (c >= 0x80)
            break;
        if ((c = er_ascii_fold[c]) == 0)
            continue;
        if (o >= cap)
            return ENGRATE_E_LIMIT;
        out[o++] = (char)c;
    }
    if (i == n)
        return (int)o;
    /* From the start: a mark after an ASCII letter composes with it ("e" U+0301 is "é"). */
    if (er_utf8_valid_prefix(str, n) != n)
        return ENGRATE_E_UTF8;
    return fold_unicode(str, n, out, cap);
}

ENGRATE_API int engrate_fold_name(const char *name, char *buf, size_t cap, size_t *len)
{
    if (len)
        *len = 0;
    if (!name || !buf || cap == 0)
        return ENGRATE_E_INVALID;
    int n = er_fold(name, strlen(name), buf, cap - 1);
    if (n < 0) {
        buf[0] = '\0';
        return n;
    }
    buf[n] = '\0';
    if (len)
        *len = (size_t)n;
    return 0;
}

