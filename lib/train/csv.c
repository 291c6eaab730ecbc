/* csv.c: the streaming RFC 4180 reader (csv.h): a byte-at-a-time state machine over
 * fixed-size chunks that copies each record's unescaped fields into one growing buffer
 * and remembers where each field started (physical line, byte column). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"

#define CHUNK (256u * 1024u)

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
};

static er_csv *csv_new(const char *source, engrate_error *err)
{
    er_csv *c = calloc(1, sizeof *c);
    if (!c) {
        er_error(err, ENGRATE_E_NOMEM, source, 0, 0, "out of memory");
        return NULL;
    }
    snprintf(c->source, sizeof c->source, "%s", source);
    c->line = 1;
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
    if (c->fp) {
        fclose(c->fp);
        free(c->chunk);
    }
    free(c->rec);
    free(c->fields);
    free(c->starts);
    free(c);
}

int er_csv_recoverable(const er_csv *c) { return c->recoverable; }
int er_csv_record_line(const er_csv *c) { return c->record_line; }
uint64_t er_csv_size(const er_csv *c) { return c->size; }
const char *er_csv_source(const er_csv *c) { return c->source; }

static const char *chunk_start(const er_csv *c)
{
    return c->fp ? c->chunk : c->end - c->size;
}

uint64_t er_csv_offset(const er_csv *c)
{
    return c->base + (uint64_t)(c->p - chunk_start(c));
}

/* Make at least one byte available. 1: yes; 0: end of input; <0: read error. */
static int fill(er_csv *c, engrate_error *err)
{
    if (c->p < c->end)
        return 1;
    if (c->eof)
        return 0;
    c->base += (uint64_t)(c->end - c->chunk);
    size_t n = fread(c->chunk, 1, CHUNK, c->fp);
    if (n < CHUNK) {
        if (ferror(c->fp))
            return er_error(err, ENGRATE_E_IO, c->source, c->line, 0, "read error: %s",
                            strerror(errno));
        c->eof = 1;
    }
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

static int grow_emit(er_csv *c, char ch);

static inline int emit(er_csv *c, char ch)
{
    if (c->rec_len + 1 < c->rec_cap) {
        c->rec[c->rec_len++] = ch;
        return 0;
    }
    return grow_emit(c, ch);
}

static int grow_emit(er_csv *c, char ch)
{
    if (c->rec_len + 1 >= c->rec_cap) {
        if (c->rec_cap >= ER_CSV_MAX_RECORD)
            return ENGRATE_E_LIMIT;
        size_t cap = c->rec_cap ? c->rec_cap * 2 : 4096;
        char *r = realloc(c->rec, cap);
        if (!r)
            return ENGRATE_E_NOMEM;
        c->rec = r;
        c->rec_cap = cap;
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

static int end_field(er_csv *c, pending *pe)
{
    int rc = emit(c, '\0');
    if (rc)
        return rc;
    er_csv_field *f = &c->fields[c->n_fields - 1];
    size_t start = c->starts[c->n_fields - 1];
    f->len = c->rec_len - 1 - start;
    if (memchr(c->rec + start, '\0', f->len))
        problem(pe, ENGRATE_E_SYNTAX, f->line, f->col, "NUL byte in field");
    else if (er_utf8_valid_prefix(c->rec + start, f->len) != f->len)
        problem(pe, ENGRATE_E_UTF8, f->line, f->col, "field is not valid UTF-8");
    return 0;
}

static int fail(er_csv *c, engrate_error *err, int code, int line, int col, const char *msg)
{
    c->fatal = code;
    c->recoverable = 0;
    return er_error(err, code, c->source, line, col, "%s", msg);
}

int er_csv_next(er_csv *c, const er_csv_field **fields, size_t *n, engrate_error *err)
{
    int ch, rc, first_quoted = 0;
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
    for (;;) { /* one field per iteration */
        if ((rc = start_field(c)))
            return fail(c, err, rc, c->line, 0,
                        rc == ENGRATE_E_LIMIT ? "too many fields in one record"
                                              : "out of memory");
        er_csv_field *f = &c->fields[c->n_fields - 1];
        int fline = f->line, fcol = f->col;
        int quoted = 0;
        ch = peek(c, err);
        if (c->n_fields == 1)
            first_quoted = ch == '"';
        if (ch == '"') {
            quoted = 1;
            c->p++;
            for (;;) {
                ch = peek(c, err);
                if (ch < -1)
                    return c->fatal = ch + 1;
                if (ch == -1)
                    return fail(c, err, ENGRATE_E_SYNTAX, fline, fcol,
                                "quoted field is never closed");
                c->p++;
                if (ch == '"') {
                    int nx = peek(c, err);
                    if (nx != '"')
                        break;
                    c->p++;
                } else if (ch == '\n') {
                    newline(c);
                }
                if ((rc = emit(c, (char)ch)))
                    return fail(c, err, rc, fline, fcol,
                                rc == ENGRATE_E_LIMIT ? "record longer than 1 MiB"
                                                      : "out of memory");
            }
        }
        /* Unquoted text (or what follows a closing quote, which must be a separator). */
        int ended = 0;
        for (;;) {
            if (c->p == c->end) {
                ch = peek(c, err);
                if (ch < -1)
                    return c->fatal = ch + 1;
                if (ch == -1) {
                    ended = 1;
                    break;
                }
            }
            ch = (unsigned char)*c->p;
            if (ch == ',') {
                c->p++;
                break;
            }
            if (ch == '\n') {
                c->p++;
                newline(c);
                ended = 1;
                break;
            }
            if (ch == '\r') {
                c->p++;
                int nx = peek(c, err);
                if (nx == '\n') {
                    c->p++;
                    newline(c);
                    ended = 1;
                    break;
                }
            } else {
                c->p++;
            }
            if (quoted) {
                char msg[80];
                snprintf(msg, sizeof msg, "unexpected character after a closing quote");
                uint64_t off = er_csv_offset(c) - 1;
                problem(&pe, ENGRATE_E_SYNTAX, c->line, (int)(off - c->line_start + 1), msg);
            } else if (ch == '"') {
                uint64_t off = er_csv_offset(c) - 1;
                problem(&pe, ENGRATE_E_SYNTAX, c->line, (int)(off - c->line_start + 1),
                        "quote inside an unquoted field (quote the whole field and "
                        "double the quote)");
            }
            if ((rc = emit(c, (char)ch)))
                return fail(c, err, rc, fline, fcol,
                            rc == ENGRATE_E_LIMIT ? "record longer than 1 MiB"
                                                  : "out of memory");
        }
        if ((rc = end_field(c, &pe)))
            return fail(c, err, rc, fline, fcol,
                        rc == ENGRATE_E_LIMIT ? "record longer than 1 MiB" : "out of memory");
        if (ended)
            break;
    }
    if (c->n_fields == 1 && c->fields[0].len == 0 && !first_quoted && !pe.code)
        goto again; /* an empty line */
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
