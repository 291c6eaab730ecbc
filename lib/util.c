/* util.c: error reporting, the memory pool that owns a model's text, UTF-8 validation,
 * number conversion that does not depend on the process locale, and the format's
 * vocabulary (common.h: both libraries use them). */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- Errors ------------------------------------------------------------------------ */

void er_error_clear(engrate_error *err)
{
    if (!err)
        return;
    err->code = 0;
    err->line = 0;
    err->column = 0;
    err->source[0] = '\0';
    err->text[0] = '\0';
}

/* Make s valid UTF-8 in place: each byte that does not start a valid sequence becomes '?'.
 * Messages quote tokens from the input (a bad first line, a name given at run time) and
 * are cut to fit, which can split a character; bindings decode them as UTF-8. */
static void utf8_repair(char *s)
{
    size_t n = strlen(s), i = 0;
    while ((i += er_utf8_valid_prefix(s + i, n - i)) < n)
        s[i++] = '?';
}

int er_verror(engrate_error *err, int code, const char *source, int line, int col,
              const char *fmt, va_list ap)
{
    if (!err || err->code != 0)
        return code;
    err->code = code;
    err->line = line;
    err->column = col;
    snprintf(err->source, sizeof err->source, "%s", source ? source : "");
    size_t used = 0;
    int n = 0;
    if (source && line > 0 && col > 0)
        n = snprintf(err->text, sizeof err->text, "%s:%d:%d: ", source, line, col);
    else if (source && line > 0)
        n = snprintf(err->text, sizeof err->text, "%s:%d: ", source, line);
    else if (source && *source)
        n = snprintf(err->text, sizeof err->text, "%s: ", source);
    if (n > 0)
        used = (size_t)n < sizeof err->text ? (size_t)n : sizeof err->text - 1;
    vsnprintf(err->text + used, sizeof err->text - used, fmt, ap);
    utf8_repair(err->source);
    utf8_repair(err->text);
    return code;
}

int er_error(engrate_error *err, int code, const char *source, int line, int col,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    er_verror(err, code, source, line, col, fmt, ap);
    va_end(ap);
    return code;
}

/* ---- Pool -------------------------------------------------------------------------- */

struct er_pool_chunk {
    er_pool_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

#define ER_POOL_CHUNK (64u * 1024u)

void *er_pool_alloc(er_pool *pool, size_t size)
{
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    er_pool_chunk *c = pool->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > ER_POOL_CHUNK ? size : ER_POOL_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        /* A large block gets a chunk of its own behind the head, so that the head's free
         * space stays usable for the small strings that follow. */
        if (pool->head && size > ER_POOL_CHUNK / 2) {
            c->next = pool->head->next;
            pool->head->next = c;
        } else {
            c->next = pool->head;
            pool->head = c;
        }
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *er_pool_strndup(er_pool *pool, const char *s, size_t n)
{
    char *p = er_pool_alloc(pool, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void er_pool_free(er_pool *pool)
{
    er_pool_chunk *c = pool->head;
    while (c) {
        er_pool_chunk *next = c->next;
        free(c);
        c = next;
    }
    pool->head = NULL;
}

/* ---- UTF-8 ------------------------------------------------------------------------- */

size_t er_utf8_valid_prefix(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned min;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            min = 0x10000;
        } else {
            return i;
        }
        if (n - i < len)
            return i;
        unsigned cp = c & (0xFFu >> (len + 1));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

/* ---- Numbers ----------------------------------------------------------------------- */

/* strtod and snprintf follow LC_NUMERIC. Rather than touch the process locale, switch this
 * thread alone to the "C" locale for the conversion (POSIX uselocale), then switch back. */
#if defined(HAVE_NEWLOCALE) && defined(HAVE_USELOCALE)
#define ER_C_LOCALE_BEGIN                                                                  \
    locale_t er_c_ = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);                         \
    locale_t er_old_ = er_c_ ? uselocale(er_c_) : (locale_t)0;
#define ER_C_LOCALE_END                                                                    \
    if (er_c_) {                                                                           \
        uselocale(er_old_);                                                                \
        freelocale(er_c_);                                                                 \
    }
#else
#define ER_C_LOCALE_BEGIN
#define ER_C_LOCALE_END
#endif

static int is_digit(char c) { return c >= '0' && c <= '9'; }

const double er_pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The digits of a decimal as the grammar reads them: the first 19 significant digits as
 * an integer `mant`, the power of ten that scales it, and how many significant digits
 * there were. Returns 0 when s[0..n) is a number of the grammar, ENGRATE_E_NUMBER when
 * not. */
typedef struct decimal {
    uint64_t mant;
    int sig, e10, neg;
} decimal;

static int scan_decimal(const char *s, size_t n, decimal *d)
{
    size_t i = 0;
    int digits = 0, scale = 0;
    d->mant = 0;
    d->sig = 0;
    d->neg = 0;
    if (s[i] == '-' || s[i] == '+')
        d->neg = s[i++] == '-';
    for (int frac = 0; frac < 2; frac++) {
        if (frac) {
            if (i >= n || s[i] != '.')
                break;
            i++;
        }
        for (; i < n && is_digit(s[i]); i++, digits++) {
            if (d->sig || s[i] != '0')
                d->sig++;
            if (d->sig <= 19) {
                d->mant = d->mant * 10 + (uint64_t)(s[i] - '0');
                scale -= frac;
            } else {
                scale += !frac;
            }
        }
    }
    if (digits == 0)
        return ENGRATE_E_NUMBER;
    int ex = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0, ed = 0;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        for (; i < n && is_digit(s[i]); i++, ed++)
            if (ex < 10000)
                ex = ex * 10 + (s[i] - '0');
        if (!ed)
            return ENGRATE_E_NUMBER;
        ex = eneg ? -ex : ex;
    }
    d->e10 = scale + ex;
    return i == n ? 0 : ENGRATE_E_NUMBER;
}

int er_parse_double(const char *s, size_t n, double *out)
{
    decimal d;
    if (n == 0 || n >= 64 || scan_decimal(s, n, &d))
        return ENGRATE_E_NUMBER;
    /* Exact and fast when the digits fit in 2^53 and the power of ten is exact: one
     * correctly rounded operation. Otherwise strtod, in the "C" locale. */
    if (d.sig <= 15 && d.mant < (1ull << 53) && d.e10 >= -22 && d.e10 <= 22) {
        double v = (double)d.mant;
        v = d.e10 >= 0 ? v * er_pow10_exact[d.e10] : v / er_pow10_exact[-d.e10];
        if (isfinite(v)) {
            *out = d.neg ? -v : v;
            return 0;
        }
    }
    char buf[64];
    memcpy(buf, s, n);
    buf[n] = '\0';
    double v;
    {
        ER_C_LOCALE_BEGIN
        errno = 0;
        v = strtod(buf, NULL);
        ER_C_LOCALE_END
    }
    if (!isfinite(v))
        return ENGRATE_E_NUMBER;
    *out = v;
    return 0;
}

int er_format_double(double x, char *buf)
{
    int n = 0;
    if (x == 0) { /* one spelling for zero, whatever its sign */
        buf[0] = '0';
        buf[1] = '\0';
        return 1;
    }
    ER_C_LOCALE_BEGIN
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    ER_C_LOCALE_END
    return n;
}

/* ---- Text buffers -------------------------------------------------------------------- */

void er_buf_add(er_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->failed = 1;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void er_buf_puts(er_buf *b, const char *s) { er_buf_add(b, s, strlen(s)); }

void er_buf_printf(er_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        er_buf_add(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    er_buf_add(b, big, (size_t)n);
    free(big);
}

void er_buf_double(er_buf *b, double x)
{
    char tmp[32];
    if (!isfinite(x)) {
        er_buf_puts(b, "null");
        return;
    }
    er_format_double(x, tmp);
    er_buf_puts(b, tmp);
}

void er_buf_json_string(er_buf *b, const char *s)
{
    er_buf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            er_buf_add(b, e, 2);
        } else if (*p < 0x20) {
            er_buf_printf(b, "\\u%04x", *p);
        } else {
            er_buf_add(b, (const char *)p, 1);
        }
    }
    er_buf_add(b, "\"", 1);
}

void er_buf_kv(er_buf *b, const char *key, const char *value)
{
    er_buf_puts(b, key);
    er_buf_puts(b, " = ");
    er_buf_puts(b, value);
    er_buf_puts(b, "\n");
}

void er_buf_kn(er_buf *b, const char *key, double x)
{
    er_buf_kns(b, key, &x, 1);
}

void er_buf_kns(er_buf *b, const char *key, const double *x, size_t n)
{
    er_buf_puts(b, key);
    er_buf_puts(b, " =");
    for (size_t k = 0; k < n; k++) {
        er_buf_puts(b, " ");
        er_buf_double(b, x[k]);
    }
    er_buf_puts(b, "\n");
}

/* ---- The format's vocabulary ------------------------------------------------------- */

const char *const er_meta_keys[ER_META_COUNT] = {"name",   "description", "currency",
                                                 "period", "basis",       "as_of"};
const char *const er_training_keys[ER_TRAIN_COUNT] = {
    "rows", "terms", "lambda", "folds", "r_squared", "residual_sd", "cv_rmse", "cv_mape",
    "coverage"};

int er_valid_id(const char *s, size_t n)
{
    if (n == 0 || n > ER_MAX_ID_BYTES)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '#' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

uint64_t er_hash(size_t input, const char *key, size_t len)
{
    /* Eight bytes a step, each step one multiply; the length and the input go in too,
     * then a final avalanche so that the low bits depend on every byte. */
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)input << 32) ^ (uint64_t)len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 29;
    }
    unsigned char tail[8] = {0}; /* a fixed-size copy: no call for the last bytes */
    for (size_t k = 0; i + k < len; k++)
        tail[k] = (unsigned char)key[i + k];
    uint64_t w;
    memcpy(&w, tail, 8);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h ? h : 1; /* 0 marks an empty slot; every other bit is the hash's */
}
