/* accload.c: reading an accumulator file (docs/accumulator.md), strictly: the magic line
 * and version first, the checksum over the whole before anything is believed, each
 * section's tag and length, every count checked against its limit and against the bytes
 * left before anything is allocated, every value checked for what it may be (term numbers,
 * folds, the sums' canonical form, labels that fold to one name per level), and one
 * release of everything on failure. An error names the file, the byte and what was being
 * read: "a.acc: byte 4211 (terms, term 17): spelling count beyond the section". */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accfile.h"
#include "accload.h"

/* ---- The reader ----------------------------------------------------------------------- */

int rd_fail(rd *r, int code, const char *fmt, ...)
{
    if (r->rc)
        return r->rc;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->rc = er_error(r->err, code, r->source, 0, 0, "byte %zu (%s%s%s): %s",
                     (size_t)(r->p - r->base), r->section, r->item[0] ? ", " : "", r->item,
                     msg);
    return r->rc;
}

void rd_item(rd *r, const char *what, size_t i)
{
    snprintf(r->item, sizeof r->item, "%s %zu", what, i);
}

static int need(rd *r, size_t n)
{
    if (r->rc)
        return 0;
    if ((size_t)(r->end - r->p) < n) {
        rd_fail(r, ENGRATE_E_DATA, "the section ends before its data do");
        return 0;
    }
    return 1;
}

uint64_t rd_u64(rd *r)
{
    if (!need(r, 8))
        return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | r->p[i];
    r->p += 8;
    return v;
}

uint32_t rd_u32(rd *r)
{
    if (!need(r, 4))
        return 0;
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

unsigned rd_u8(rd *r)
{
    if (!need(r, 1))
        return 0;
    return *r->p++;
}

double rd_f64(rd *r)
{
    uint64_t v = rd_u64(r);
    double x;
    memcpy(&x, &v, sizeof x);
    return x;
}

/* A number that says how many items follow: at most max, and at most as many as the bytes
 * left can hold at min_bytes each, so that nothing is allocated for items that are not
 * there. */
size_t rd_count(rd *r, size_t max, size_t min_bytes, const char *what)
{
    uint32_t n = rd_u32(r);
    if (r->rc)
        return 0;
    if (n > max) {
        rd_fail(r, ENGRATE_E_LIMIT, "%u %s, more than the %zu allowed", n, what, max);
        return 0;
    }
    if ((size_t)n * min_bytes > (size_t)(r->end - r->p)) {
        rd_fail(r, ENGRATE_E_DATA, "%u %s do not fit in the section", n, what);
        return 0;
    }
    return n;
}

/* A string of at most max bytes (UTF-8, no control character but TAB when one_line, no
 * NUL), copied into the pool. "" when empty. */
const char *rd_str(rd *r, er_pool *pool, size_t max, int one_line)
{
    uint32_t n = rd_u32(r);
    if (r->rc)
        return NULL;
    if (n > max) {
        rd_fail(r, ENGRATE_E_LIMIT, "a text of %u bytes, more than %zu", n, max);
        return NULL;
    }
    if (!need(r, n))
        return NULL;
    const char *s = (const char *)r->p;
    if (memchr(s, '\0', n) || er_utf8_valid_prefix(s, n) != n) {
        rd_fail(r, ENGRATE_E_UTF8, "a text that is not UTF-8");
        return NULL;
    }
    for (uint32_t i = 0; one_line && i < n; i++)
        if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
            rd_fail(r, ENGRATE_E_DATA, "a text with a control character");
            return NULL;
        }
    char *c = er_pool_strndup(pool, s, n);
    if (!c)
        rd_fail(r, ENGRATE_E_NOMEM, "out of memory");
    r->p += n;
    return c;
}

const char *rd_ostr(rd *r, er_pool *pool, size_t max)
{
    unsigned present = rd_u8(r);
    if (present > 1)
        rd_fail(r, ENGRATE_E_DATA, "an optional text marked %u", present);
    if (r->rc || !present)
        return NULL;
    const char *s = rd_str(r, pool, max, 1);
    if (s && !*s)
        rd_fail(r, ENGRATE_E_DATA, "an empty text where one is given");
    return s;
}

static const char *shown(const char *s, size_t n, char *out);

int rd_section(rd *r, const char *tag, const char *name)
{
    char show[21];
    r->section = name;
    r->item[0] = '\0';
    r->end = r->file_end;
    if (!need(r, 12))
        return r->rc;
    if (memcmp(r->p, tag, 4))
        return rd_fail(r, ENGRATE_E_DATA, "expected section %s, found '%s'", tag,
                       shown((const char *)r->p, 4, show));
    r->p += 4;
    uint64_t len = rd_u64(r);
    if (len > (uint64_t)(r->file_end - r->p))
        return rd_fail(r, ENGRATE_E_DATA, "a section of %llu bytes, beyond the file's end",
                       (unsigned long long)len);
    r->end = r->p + len;
    return 0;
}

int rd_section_end(rd *r)
{
    if (r->rc)
        return r->rc;
    r->item[0] = '\0';
    if (r->p != r->end)
        return rd_fail(r, ENGRATE_E_DATA, "%zu bytes left over at the section's end",
                       (size_t)(r->end - r->p));
    return 0;
}

/* ---- The file ------------------------------------------------------------------------ */

/* Up to 20 bytes as printable ASCII ('?' for the others: they may be anything). */
static const char *shown(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (; k < n && k < 20; k++)
        out[k] = s[k] >= 0x20 && s[k] < 0x7f ? s[k] : '?';
    out[k] = '\0';
    return out;
}

/* The first line: "engrate-accumulator VERSION KIND\n". The kind, or 0 with the error. */
static int read_magic(rd *r)
{
    const char *s = (const char *)r->p;
    size_t n = (size_t)(r->file_end - r->p), m = sizeof ACC_MAGIC - 1;
    r->section = "the first line";
    char show[21];
    if (!acc_is_file(s, n)) {
        rd_fail(r, ENGRATE_E_SYNTAX, "not an engrate accumulator file (it begins '%s')",
                shown(s, n, show));
        return 0;
    }
    const char *nl = memchr(s, '\n', n < 64 ? n : 64);
    unsigned long v = 0;
    const char *q = s + m + 1;
    while (q < s + n && *q >= '0' && *q <= '9' && v < 1000000)
        v = v * 10 + (unsigned long)(*q++ - '0');
    if (q == s + m + 1 || !nl || *q != ' ') {
        rd_fail(r, ENGRATE_E_SYNTAX, "a malformed first line");
        return 0;
    }
    if (v != ACC_VERSION) { /* an accumulator is an intermediate: made again, not converted */
        rd_fail(r, v ? ENGRATE_E_VERSION : ENGRATE_E_SYNTAX,
                "format version %lu; this engrate reads version %d%s", v, ACC_VERSION,
                !v                ? ""
                : v > ACC_VERSION ? " (the file was written by a newer engrate)"
                                  : " (the file was written by an older engrate: accumulate "
                                    "the data again)");
        return 0;
    }
    q++;
    int kind = (size_t)(nl - q) == 4 && !memcmp(q, "scan", 4)      ? ACC_KIND_SCAN
               : (size_t)(nl - q) == 7 && !memcmp(q, "partial", 7) ? ACC_KIND_PARTIAL
                                                                   : 0;
    if (!kind)
        rd_fail(r, ENGRATE_E_SYNTAX, "unknown kind '%s' (scan or partial)",
                shown(q, (size_t)(nl - q), show));
    r->p = (const unsigned char *)nl + 1;
    return kind;
}

/* The END! section is the last 20 bytes, its checksum that of all before it. */
static int check_sum(rd *r)
{
    size_t len = (size_t)(r->file_end - r->base);
    r->section = "the checksum";
    if (len < 20 || memcmp(r->file_end - 20, ACC_END, 4))
        return rd_fail(r, ENGRATE_E_DATA, "no END! section at the end: the file is cut short");
    const unsigned char *p = r->file_end - 16;
    uint64_t n = 0, sum = 0;
    for (int i = 7; i >= 0; i--) {
        n = n << 8 | p[i];
        sum = sum << 8 | p[8 + i];
    }
    if (n != 8)
        return rd_fail(r, ENGRATE_E_DATA, "an END! section of %llu bytes", (unsigned long long)n);
    if (sum != acc_fnv64(r->base, len - 20))
        return rd_fail(r, ENGRATE_E_DATA, "the checksum does not match: the file is damaged");
    r->file_end -= 20;
    return 0;
}

int acc_read(const unsigned char *data, size_t len, const char *source, trainer *t,
             engrate_train_options **o, engrate_error *err)
{
    rd r;
    memset(&r, 0, sizeof r);
    r.base = r.p = data;
    r.end = r.file_end = data + len;
    r.source = source ? source : "<accumulator>";
    r.err = err;
    r.section = "";
    *o = NULL;
    memset(t, 0, sizeof *t);
    int kind = read_magic(&r);
    if (!kind || check_sum(&r))
        return r.rc;
    r.p = (const unsigned char *)memchr(data, '\n', len) + 1;
    if (acc_read_options(&r, o) || tr_init(t, *o, err))
        return r.rc ? r.rc : err->code;
    t->scan_only = kind == ACC_KIND_SCAN;
    if (acc_read_state(&r, t))
        return r.rc;
    if (kind == ACC_KIND_PARTIAL && (acc_read_sums(&r, t) || acc_read_sample(&r, t)))
        return r.rc;
    r.section = "the end";
    if (r.p != r.file_end)
        return rd_fail(&r, ENGRATE_E_DATA, "%zu bytes after the last section",
                       (size_t)(r.file_end - r.p));
    return 0;
}
