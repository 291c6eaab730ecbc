/* csv.c: the streaming RFC 4180 reader (csv.h): a state machine over fixed-size chunks
 * that copies each record's unescaped fields into one growing buffer (runs of plain ASCII
 * at once, everything else byte by byte) and remembers where each field started
 * (physical line, byte column); and, for input in another encoding, the decoding of those
 * chunks to UTF-8 through iconv. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"

#define CHUNK (256u * 1024u)
#define RAW_CHUNK (64u * 1024u) /* undecoded bytes read at a time (at most twice this held) */

struct er_csv {
    FILE *fp;
    char *chunk;          /* owned chunk buffer (file), or the caller's data (buffer) */
    const char *p, *end;  /* unread bytes of the current chunk */
    uint64_t base;        /* file offset of chunk[0] */
    uint64_t size;
    int eof;              /* no more chunks */
    int fatal;            /* a final error happened: its code */
    int recoverable;
    int line;             /* current physical line */
    uint64_t line_start;  /* offset of its first byte */
    int record_line;
    char *rec;            /* field bytes, each NUL-terminated */
    size_t rec_len, rec_cap;
    er_csv_field *fields;
    size_t *starts;       /* offsets of the fields in rec */
    size_t n_fields, fields_cap;
    char source[ENGRATE_ERROR_SOURCE_MAX];
    char delim;
    unsigned char stop[256]; /* 1: a byte that ends a plain run (set_stops) */
    uint64_t empty;       /* records skipped because every field was empty */
    /* decoding (er_csv_set_encoding): undecoded bytes from fp or src into raw, decoded
     * into chunk; base and the offsets count decoded bytes */
    iconv_t cd;
    int decoding;
    const char *encoding;
    const char *src;
    size_t src_len, src_pos;
    char *raw;
    size_t raw_len;
    uint64_t raw_done;    /* input bytes decoded (or skipped) so far */
    int raw_eof;
    int bad;              /* decoding stopped: 1 + the byte it stopped at; -1: cut short */
    /* a byte range (er_csv_range) */
    const char *buf0;     /* a buffer's first byte */
    uint64_t rpos;        /* input offset of the next byte to read from fp or src */
    uint64_t limit;       /* the input ends here (UINT64_MAX: at its end) */
    int cut;              /* the range ended inside a quoted field */
    er_csv_claim_fn claim;/* the range's end may move (er_csv_set_claim) */
    void *claim_arg;
};

/* The bytes that end a run of plain text: NUL, bytes above ASCII, the quote, CR, LF and
 * the delimiter. */
static void set_stops(er_csv *c)
{
    for (int b = 0; b < 256; b++)
        c->stop[b] = b == 0 || b >= 0x80 || b == '"' || b == '\r' || b == '\n' ||
                     b == (unsigned char)c->delim;
}

static er_csv *csv_new(const char *source, engrate_error *err)
{
    er_csv *c = calloc(1, sizeof *c);
    if (!c) {
        er_error(err, ENGRATE_E_NOMEM, source, 0, 0, "out of memory");
        return NULL;
    }
    snprintf(c->source, sizeof c->source, "%s", source);
    c->line = 1;
    c->delim = ',';
    set_stops(c);
    c->limit = UINT64_MAX;
    return c;
}

er_csv *er_csv_open(const char *path, engrate_error *err)
{
    if (!path) {
        er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no CSV path given");
        return NULL;
    }
    er_csv *c = csv_new(path, err);
    if (!c)
        return NULL;
    c->fp = fopen(path, "rb");
    if (!c->fp) { /* fopen allocates: out of memory is not an I/O error */
        if (errno == ENOMEM)
            er_error(err, ENGRATE_E_NOMEM, path, 0, 0, "out of memory");
        else
            er_error(err, ENGRATE_E_IO, path, 0, 0, "cannot open: %s", strerror(errno));
        free(c);
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(c->fp), &st) == 0 && S_ISREG(st.st_mode))
        c->size = (uint64_t)st.st_size;
    c->chunk = malloc(CHUNK);
    if (!c->chunk) {
        er_error(err, ENGRATE_E_NOMEM, path, 0, 0, "out of memory");
        er_csv_close(c);
        return NULL;
    }
    c->p = c->end = c->chunk;
    return c;
}

er_csv *er_csv_open_buffer(const char *data, size_t len, const char *source,
                           engrate_error *err)
{
    er_csv *c = csv_new(source ? source : "<buffer>", err);
    if (!c)
        return NULL;
    c->p = data ? data : "";
    c->buf0 = c->p;
    c->end = c->p + (data ? len : 0);
    c->size = len;
    c->eof = 1;
    if (len >= 3 && memcmp(c->p, "\xEF\xBB\xBF", 3) == 0) {
        c->p += 3; /* byte order mark: not part of line 1's columns */
        c->line_start = 3;
    }
    return c;
}

void er_csv_close(er_csv *c)
{
    if (!c)
        return;
    if (c->fp)
        fclose(c->fp);
    if (c->decoding)
        iconv_close(c->cd);
    free(c->chunk);
    free(c->raw);
    free(c->rec);
    free(c->fields);
    free(c->starts);
    free(c);
}

static const char *chunk_start(const er_csv *c)
{
    return c->chunk ? c->chunk : c->buf0;
}

int er_csv_recoverable(const er_csv *c) { return c->recoverable; }
int er_csv_cut(const er_csv *c) { return c->cut; }

uint64_t er_csv_input_offset(const er_csv *c)
{
    if (c->decoding)
        return c->raw_done;
    return er_csv_offset(c);
}

int er_csv_limit(er_csv *c, uint64_t end)
{
    if (c->decoding) { /* what was decoded came from before rpos */
        if (c->rpos > end || (!c->fp && c->src_pos > end))
            return -1;
        c->limit = end;
        if (!c->fp)
            c->src_len = (size_t)end;
        return 0;
    }
    if (end < c->base)
        return -1;
    if (c->fp && c->rpos <= end) {
        c->limit = end;
        return 0;
    }
    if (end - c->base > (uint64_t)(c->end - chunk_start(c)))
        return -1;
    const char *at = chunk_start(c) + (end - c->base);
    if (at < c->p)
        return -1;
    c->end = at; /* the bytes read beyond `end` are not this reader's */
    c->eof = 1;
    c->limit = end;
    c->rpos = end;
    return 0;
}

int er_csv_range(er_csv *c, uint64_t start, uint64_t end, int line, engrate_error *err)
{
    if (start > end || end > c->size)
        return er_error(err, ENGRATE_E_INVALID, c->source, 0, 0, "bad byte range");
    c->line = line;
    c->limit = end;
    c->rpos = start;
    c->eof = 0;
    if (c->fp && fseeko(c->fp, (off_t)start, SEEK_SET) != 0)
        return er_error(err, ENGRATE_E_IO, c->source, line, 0, "cannot seek: %s",
                        strerror(errno));
    if (c->decoding) { /* decoded offsets count from the range's start, a line's start */
        iconv(c->cd, NULL, NULL, NULL, NULL);
        c->src = c->buf0;
        c->src_pos = (size_t)start;
        c->src_len = c->fp ? 0 : (size_t)end;
        c->raw_len = 0;
        c->raw_done = start;
        c->raw_eof = 0;
        c->bad = 0;
        c->base = 0;
        c->line_start = 0;
        c->p = c->end = c->chunk;
        return 0;
    }
    c->line_start = start;
    if (c->fp) {
        c->base = start;
        c->p = c->end = c->chunk;
    } else {
        c->base = 0;
        c->p = c->buf0 + start;
        c->end = c->buf0 + end;
        c->eof = 1;
    }
    return 0;
}
void er_csv_set_claim(er_csv *c, er_csv_claim_fn claim, void *arg)
{
    c->claim = claim;
    c->claim_arg = arg;
}

int er_csv_decodes(const er_csv *c) { return c->decoding; }
uint64_t er_csv_read_end(const er_csv *c) { return c->fp ? c->rpos : c->size; }
int er_csv_line(const er_csv *c) { return c->line; }
int er_csv_record_line(const er_csv *c) { return c->record_line; }
uint64_t er_csv_size(const er_csv *c) { return c->size; }
const char *er_csv_source(const er_csv *c) { return c->source; }

uint64_t er_csv_empty_records(const er_csv *c) { return c->empty; }


uint64_t er_csv_offset(const er_csv *c)
{
    return c->base + (uint64_t)(c->p - chunk_start(c));
}

double er_csv_progress(const er_csv *c)
{
    if (!c->size)
        return 0;
    double done = (double)(c->decoding ? c->raw_done : er_csv_offset(c)) / (double)c->size;
    return done < 1 ? done : 1;
}

int er_csv_set_delimiter(er_csv *c, char delim, engrate_error *err)
{
    if (delim == '"' || delim == '\r' || delim == '\n' || delim == '\0' ||
        (unsigned char)delim >= 0x80)
        return er_error(err, ENGRATE_E_INVALID, c->source, 0, 0,
                        "the delimiter must be one ASCII character other than a quote or a "
                        "line break");
    c->delim = delim;
    set_stops(c);
    return 0;
}

/* ---- Decoding ---------------------------------------------------------------------- */

static int name_in(const char *given, const char *const *names)
{
    for (; *names; names++) {
        size_t i = 0;
        while (given[i] && tolower((unsigned char)given[i]) == (*names)[i])
            i++;
        if (!given[i] && !(*names)[i])
            return 1;
    }
    return 0;
}

/* The iconv name of an encoding as users write it, or NULL for UTF-8. */
static const char *canonical_encoding(const char *given)
{
    static const char *const utf8[] = {"utf-8", "utf8", NULL};
    static const char *const cp932[] = {"cp932",  "shift_jis",   "shift-jis", "sjis",
                                        "ms932",  "windows-31j", "ms_kanji",  "x-sjis",
                                        "csshiftjis", NULL};
    static const char *const eucjp[] = {"euc-jp", "eucjp", "euc_jp", "x-euc-jp", NULL};
    if (!given || name_in(given, utf8))
        return NULL;
    return name_in(given, cp932) ? "CP932" : name_in(given, eucjp) ? "EUC-JP" : given;
}

const char *er_csv_encoding_name(const char *given, int *known)
{
    const char *name = canonical_encoding(given);
    *known = 1;
    if (!name)
        return NULL;
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        *known = 0;
    else
        iconv_close(cd);
    return name;
}

int er_csv_set_encoding(er_csv *c, const char *encoding, engrate_error *err)
{
    const char *name = canonical_encoding(encoding);
    if (!name)
        return 0;
    errno = 0;
    c->cd = iconv_open("UTF-8", name);
    if (c->cd == (iconv_t)-1 && errno == ENOMEM)
        return er_error(err, ENGRATE_E_NOMEM, c->source, 0, 0, "out of memory");
    if (c->cd == (iconv_t)-1)
        return er_error(err, ENGRATE_E_INVALID, c->source, 0, 0,
                        "cannot decode '%s' text (try CP932, EUC-JP or UTF-8)", encoding);
    c->decoding = 1;
    c->encoding = name;
    if (!c->fp && !(c->chunk = malloc(CHUNK))) /* a buffer's: a file's has one */
        return er_error(err, ENGRATE_E_NOMEM, c->source, 0, 0, "out of memory");
    if (!(c->raw = malloc(2 * RAW_CHUNK)))
        return er_error(err, ENGRATE_E_NOMEM, c->source, 0, 0, "out of memory");
    if (!c->fp) { /* a buffer: decode it from where the byte order mark left it */
        c->src = c->p;
        c->src_len = (size_t)(c->end - c->p);
        c->raw_done = c->line_start;
        c->line_start = 0;
        c->eof = 0;
    }
    c->p = c->end = c->chunk;
    return 0;
}

/* Read more undecoded bytes into c->raw, after those left over. */
static int read_raw(er_csv *c, engrate_error *err)
{
    if (c->raw_eof || c->raw_len >= RAW_CHUNK)
        return 0;
    size_t want = 2 * RAW_CHUNK - c->raw_len, n;
    if (c->limit - c->rpos < want)
        want = (size_t)(c->limit - c->rpos);
    if (c->fp) {
        n = want ? fread(c->raw + c->raw_len, 1, want, c->fp) : 0;
        if (n < want && ferror(c->fp))
            return er_error(err, ENGRATE_E_IO, c->source, c->line, 0, "read error: %s",
                            strerror(errno));
        c->rpos += n;
        c->raw_eof = n < want || c->rpos == c->limit;
    } else {
        n = c->src_len - c->src_pos < want ? c->src_len - c->src_pos : want;
        memcpy(c->raw + c->raw_len, c->src + c->src_pos, n);
        c->src_pos += n;
        c->raw_eof = c->src_pos == c->src_len;
    }
    int first = c->raw_done == 0 && c->raw_len == 0;
    c->raw_len += n;
    if (first && c->fp && c->raw_len >= 3 && memcmp(c->raw, "\xEF\xBB\xBF", 3) == 0) {
        memmove(c->raw, c->raw + 3, c->raw_len - 3); /* a byte order mark, whatever follows */
        c->raw_len -= 3;
        c->raw_done = 3;
    }
    return 0;
}

static int fail(er_csv *c, engrate_error *err, int code, int line, int col, const char *msg);

static int decode_error(er_csv *c, engrate_error *err)
{
    char msg[160];
    int col = (int)(er_csv_offset(c) - c->line_start + 1);
    if (c->bad < 0)
        snprintf(msg, sizeof msg, "the file ends inside a character: is it %s text?",
                 c->encoding);
    else
        snprintf(msg, sizeof msg, "byte 0x%02X cannot be read as %s text: is the file in "
                                  "another encoding?",
                 (unsigned)(c->bad - 1), c->encoding);
    return fail(c, err, ENGRATE_E_UTF8, c->line, col, msg);
}

/* fill() for decoded input: the next chunk of UTF-8. */
static int fill_decoded(er_csv *c, engrate_error *err)
{
    c->base += (uint64_t)(c->end - c->chunk);
    c->p = c->end = c->chunk;
    for (;;) {
        if (c->bad)
            return decode_error(c, err);
        int rc = read_raw(c, err);
        if (rc < 0)
            return rc;
        char *in = c->raw, *out = c->chunk;
        size_t inleft = c->raw_len, outleft = CHUNK;
        size_t r = inleft ? iconv(c->cd, &in, &inleft, &out, &outleft) : 0;
        int e = errno;
        if (c->raw_eof && inleft == 0)
            iconv(c->cd, NULL, NULL, &out, &outleft); /* the end of a stateful encoding */
        c->raw_done += c->raw_len - inleft;
        memmove(c->raw, in, inleft);
        c->raw_len = inleft;
        if (r == (size_t)-1 && e == EILSEQ)
            c->bad = 1 + (unsigned char)c->raw[0];
        else if (r == (size_t)-1 && e == EINVAL && c->raw_eof)
            c->bad = -1;
        c->end = out;
        if (c->end > c->chunk)
            return 1;
        if (!c->bad && c->raw_eof && c->raw_len == 0) {
            c->eof = 1;
            return 0;
        }
    }
}

/* Make at least one byte available. 1: yes; 0: end of input; <0: read error. */
static int fill(er_csv *c, engrate_error *err)
{
    if (c->p < c->end)
        return 1;
    if (c->eof)
        return 0;
    if (c->decoding)
        return fill_decoded(c, err);
    c->base += (uint64_t)(c->end - c->chunk);
    if (c->claim && c->rpos < c->limit) {
        uint64_t end = c->claim(c->claim_arg, c->rpos + CHUNK);
        c->limit = end > c->rpos ? end : c->rpos;
    }
    size_t want = c->limit - c->rpos < CHUNK ? (size_t)(c->limit - c->rpos) : CHUNK;
    size_t n = want ? fread(c->chunk, 1, want, c->fp) : 0;
    c->rpos += n;
    if (n < want && ferror(c->fp))
        return er_error(err, ENGRATE_E_IO, c->source, c->line, 0, "read error: %s",
                        strerror(errno));
    if (n < CHUNK)
        c->eof = 1;
    if (c->base == 0 && n >= 3 && memcmp(c->chunk, "\xEF\xBB\xBF", 3) == 0) {
        c->p = c->chunk + 3; /* byte order mark: not part of line 1's columns */
        c->line_start = 3;
    } else {
        c->p = c->chunk;
    }
    c->end = c->chunk + n;
    return c->p < c->end;
}

/* Peek at the next byte: the byte (0..255), -1 at the end, or < -1 on error (code - 1). */
static int peek(er_csv *c, engrate_error *err)
{
    if (c->p < c->end)
        return (unsigned char)*c->p;
    int rc = fill(c, err);
    if (rc < 0)
        return rc - 1;
    return rc ? (unsigned char)*c->p : -1;
}

/* Room for n more bytes and the field's NUL, as n calls of emit() would make it. */
static int emit_room(er_csv *c, size_t n)
{
    while (c->rec_len + n >= c->rec_cap) {
        if (c->rec_cap >= ER_CSV_MAX_RECORD)
            return ENGRATE_E_LIMIT;
        size_t cap = c->rec_cap ? c->rec_cap * 2 : 4096;
        char *r = realloc(c->rec, cap + ER_CSV_PAD);
        if (!r)
            return ENGRATE_E_NOMEM;
        /* Defined bytes everywhere, the pad included, for readers of whole words. */
        memset(r + c->rec_cap, 0, cap + ER_CSV_PAD - c->rec_cap);
        c->rec = r;
        c->rec_cap = cap;
    }
    return 0;
}

static inline int emit(er_csv *c, char ch)
{
    if (c->rec_len + 1 >= c->rec_cap) {
        int rc = emit_room(c, 1);
        if (rc)
            return rc;
    }
    c->rec[c->rec_len++] = ch;
    return 0;
}

static void newline(er_csv *c)
{
    c->line++;
    c->line_start = er_csv_offset(c);
}

/* Remember the first problem of the record; it is reported when the record is done. */
typedef struct pending {
    int code, line, col;
    char text[200];
} pending;

static void problem(pending *pe, int code, int line, int col, const char *text)
{
    if (pe->code)
        return;
    pe->code = code;
    pe->line = line;
    pe->col = col;
    snprintf(pe->text, sizeof pe->text, "%s", text);
}

static int start_field(er_csv *c)
{
    if (c->n_fields == c->fields_cap) {
        if (c->fields_cap >= ER_CSV_MAX_FIELDS)
            return ENGRATE_E_LIMIT;
        size_t cap = c->fields_cap ? c->fields_cap * 2 : 32;
        er_csv_field *f = realloc(c->fields, cap * sizeof *f);
        if (!f)
            return ENGRATE_E_NOMEM;
        c->fields = f;
        size_t *s = realloc(c->starts, cap * sizeof *s);
        if (!s)
            return ENGRATE_E_NOMEM;
        c->starts = s;
        c->fields_cap = cap;
    }
    er_csv_field *f = &c->fields[c->n_fields];
    f->line = c->line;
    f->col = (int)(er_csv_offset(c) - c->line_start + 1);
    c->starts[c->n_fields] = c->rec_len;
    c->n_fields++;
    return 0;
}

/* The field's NUL; then, unless it is known to be ASCII without NUL bytes (`plain`), the
 * checks of its text. */
static int end_field(er_csv *c, pending *pe, int plain)
{
    int rc = emit(c, '\0');
    if (rc)
        return rc;
    er_csv_field *f = &c->fields[c->n_fields - 1];
    size_t start = c->starts[c->n_fields - 1];
    f->len = c->rec_len - 1 - start;
    if (plain)
        return 0;
    if (memchr(c->rec + start, '\0', f->len))
        problem(pe, ENGRATE_E_SYNTAX, f->line, f->col, "NUL byte in field");
    else if (er_utf8_valid_prefix(c->rec + start, f->len) != f->len)
        problem(pe, ENGRATE_E_UTF8, f->line, f->col,
                c->decoding ? "field is not valid UTF-8"
                            : "field is not valid UTF-8 (if the file is in another encoding, "
                              "say which: e.g. --encoding CP932 or EUC-JP)");
    return 0;
}

static int fail(er_csv *c, engrate_error *err, int code, int line, int col, const char *msg)
{
    c->fatal = code;
    c->recoverable = 0;
    return er_error(err, code, c->source, line, col, "%s", msg);
}

static int all_empty(const er_csv *c)
{
    for (size_t i = 0; i < c->n_fields; i++)
        if (c->fields[i].len)
            return 0;
    return 1;
}

/* A failure to store a byte of the record: final. */
static int emit_failed(er_csv *c, engrate_error *err, int rc, int line, int col)
{
    return fail(c, err, rc, line, col,
                rc == ENGRATE_E_LIMIT ? "record longer than 1 MiB" : "out of memory");
}

/* A quoted field's text, after its opening quote, up to and with its closing quote. 0, or
 * a final error. */
static int read_quoted(er_csv *c, engrate_error *err, int fline, int fcol)
{
    for (;;) {
        int ch = peek(c, err), rc;
        if (ch < -1)
            return c->fatal = ch + 1;
        if (ch == -1) {
            c->cut = c->limit != UINT64_MAX; /* a range that ends inside quotes: split wrong */
            return fail(c, err, ENGRATE_E_SYNTAX, fline, fcol, "quoted field is never closed");
        }
        c->p++;
        if (ch == '"') {
            if (peek(c, err) != '"')
                return 0;
            c->p++;
        } else if (ch == '\n') {
            newline(c);
        }
        if ((rc = emit(c, (char)ch)))
            return emit_failed(c, err, rc, fline, fcol);
    }
}

/* A stray byte in a field: after a closing quote, or a quote in an unquoted field. */
static void stray(er_csv *c, pending *pe, int quoted, int ch)
{
    int col = (int)(er_csv_offset(c) - 1 - c->line_start + 1);
    if (quoted)
        problem(pe, ENGRATE_E_SYNTAX, c->line, col, "unexpected character after a closing quote");
    else if (ch == '"')
        problem(pe, ENGRATE_E_SYNTAX, c->line, col,
                "quote inside an unquoted field (quote the whole field and double the quote)");
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* The bytes of w equal to b (b * ONES in pat) marked by their high bit; a mark above the
 * lowest may be false (a borrow), the lowest never is. */
static inline uint64_t bytes_equal(uint64_t w, uint64_t pat)
{
    uint64_t x = w ^ pat;
    return (x - ONES) & ~x & HIGHS;
}

/* Bytes of unquoted text that end nothing and need no check: ASCII other than NUL, the
 * quote, CR, LF and the delimiter. Eight bytes at a time where eight are left: the lowest
 * byte marked as a stop is the first. */
static size_t plain_run(const er_csv *c)
{
    const unsigned char *p = (const unsigned char *)c->p, *end = (const unsigned char *)c->end;
    const unsigned char *q = p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
    const uint64_t delim = (unsigned char)c->delim * ONES;
    while (end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        uint64_t stop = (w & HIGHS) | bytes_equal(w, 0) | bytes_equal(w, '"' * ONES) |
                        bytes_equal(w, '\n' * ONES) | bytes_equal(w, '\r' * ONES) |
                        bytes_equal(w, delim);
        if (stop)
            return (size_t)(q - p) + (size_t)__builtin_ctzll(stop) / 8;
        q += 8;
    }
#endif
    while (q < end && !c->stop[*q])
        q++;
    return (size_t)(q - p);
}

/* Unquoted text (or what follows a closing quote, which must be the delimiter) up to the
 * delimiter (0) or the end of the record (1); < 0 for a final error. *plain is cleared by
 * a byte that is not plain ASCII (the field's text is then checked). */
static int read_rest(er_csv *c, engrate_error *err, pending *pe, int quoted, int fline,
                     int fcol, int *plain)
{
    for (;;) {
        int ch, rc;
        size_t run = quoted ? 0 : plain_run(c);
        if (run) { /* the common case: copied at once, not byte by byte */
            if (c->rec_len + run >= c->rec_cap && (rc = emit_room(c, run)))
                return emit_failed(c, err, rc, fline, fcol);
            memcpy(c->rec + c->rec_len, c->p, run);
            c->rec_len += run;
            c->p += run;
        }
        if (c->p == c->end) {
            ch = peek(c, err);
            if (ch < -1)
                return c->fatal = ch + 1;
            if (ch == -1)
                return 1;
        }
        ch = (unsigned char)*c->p++;
        if (ch == (unsigned char)c->delim)
            return 0;
        if (ch == '\n') {
            newline(c);
            return 1;
        }
        if (ch == '\r' && peek(c, err) == '\n') {
            c->p++;
            newline(c);
            return 1;
        }
        stray(c, pe, quoted, ch);
        *plain &= ch - 1u < 0x7Fu;
        if ((rc = emit(c, (char)ch)))
            return emit_failed(c, err, rc, fline, fcol);
    }
}

/* One field of the record: 0 when another follows, 1 at the end of the record, < 0 for a
 * final error. *quoted: whether it began with a quote. */
static int read_field(er_csv *c, engrate_error *err, pending *pe, int *quoted)
{
    int rc = start_field(c);
    if (rc)
        return fail(c, err, rc, c->line, 0,
                    rc == ENGRATE_E_LIMIT ? "too many fields in one record" : "out of memory");
    const er_csv_field *f = &c->fields[c->n_fields - 1];
    int fline = f->line, fcol = f->col;
    *quoted = peek(c, err) == '"';
    if (*quoted) {
        c->p++;
        if ((rc = read_quoted(c, err, fline, fcol)))
            return rc;
    }
    int plain = !*quoted;
    int ended = read_rest(c, err, pe, *quoted, fline, fcol, &plain);
    if (ended < 0)
        return ended;
    if ((rc = end_field(c, pe, plain)))
        return emit_failed(c, err, rc, fline, fcol);
    return ended;
}

int er_csv_next(er_csv *c, const er_csv_field **fields, size_t *n, engrate_error *err)
{
    int ch, rc, quoted = 0, first_quoted = 0;
    pending pe = {0, 0, 0, ""};
    c->recoverable = 0;
    if (c->fatal)
        return er_error(err, c->fatal, c->source, c->line, 0, "the CSV reader already failed");
again:
    ch = peek(c, err);
    if (ch < -1)
        return c->fatal = ch + 1;
    if (ch == -1)
        return 0;
    c->record_line = c->line;
    c->rec_len = 0;
    c->n_fields = 0;
    do {
        rc = read_field(c, err, &pe, &quoted);
        if (rc < 0)
            return rc;
        if (c->n_fields == 1)
            first_quoted = quoted;
    } while (rc == 0);
    if (!pe.code && all_empty(c) && !(c->n_fields == 1 && first_quoted)) {
        c->empty++; /* a blank line, or a spreadsheet's ",,,," */
        goto again;
    }
    for (size_t i = 0; i < c->n_fields; i++)
        c->fields[i].s = c->rec + c->starts[i];
    if (pe.code) {
        c->recoverable = 1;
        return er_error(err, pe.code, c->source, pe.line, pe.col, "%s", pe.text);
    }
    *fields = c->fields;
    *n = c->n_fields;
    return 1;
}
