/* csv.h: a streaming RFC 4180 reader for the trainer. It reads a file (or buffer) once,
 * in fixed-size chunks, and hands out one record at a time: memory depends on the longest
 * record, never on the number of rows. Accepted: a header row and data rows separated by
 * LF or CRLF, fields separated by ',' (or another delimiter), quoted fields ("...") that
 * may hold delimiters, line breaks and doubled quotes (""), a UTF-8 byte order mark at the
 * start. Text in another encoding (CP932, EUC-JP, ...) is decoded to UTF-8 through iconv
 * on the way in; lines and byte columns are then those of the decoded text. Records whose
 * every field is empty (blank lines, ",,,,") are skipped and counted. Refused, with the
 * physical line and byte column of the problem: a quote inside an unquoted field,
 * anything but the delimiter or a line end after a closing quote, a quoted field never
 * closed, a NUL byte, invalid UTF-8, bytes that are not text in the encoding given, a
 * record longer than ER_CSV_MAX_RECORD bytes. */
#ifndef ENGRATE_CSV_H
#define ENGRATE_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define ER_CSV_MAX_RECORD (1u << 20) /* bytes of one record, line breaks included */
#define ER_CSV_MAX_FIELDS 4096

/* Each field's text is followed, past its NUL, by at least this many bytes that may be
 * read (their values are unspecified): so a short text can be read as whole words. */
#define ER_CSV_PAD 16

typedef struct er_csv_field {
    const char *s;  /* the field's text, unquoted and unescaped, NUL-terminated, padded */
    size_t len;
    int line;       /* physical line (1-based) where the field starts */
    int col;        /* byte column (1-based) of its first byte (the quote, if quoted) */
} er_csv_field;

typedef struct er_csv er_csv;

/* Open a file / a buffer (copied by reference: it must outlive the reader). `source` names
 * the input in error messages. NULL on failure (err filled: ENGRATE_E_IO, _NOMEM). */
ER_HIDDEN er_csv *er_csv_open(const char *path, engrate_error *err);
ER_HIDDEN er_csv *er_csv_open_buffer(const char *data, size_t len, const char *source,
                                     engrate_error *err);
ER_HIDDEN void er_csv_close(er_csv *c);

/* Before the first record: the field delimiter (one ASCII byte other than a quote, CR or
 * LF; ',' by default), and the encoding of the input (an iconv name; NULL or UTF-8: none).
 * 0, or ENGRATE_E_INVALID / ENGRATE_E_NOMEM with err filled. */
ER_HIDDEN int er_csv_set_delimiter(er_csv *c, char delim, engrate_error *err);
ER_HIDDEN int er_csv_set_encoding(er_csv *c, const char *encoding, engrate_error *err);
/* The iconv name for an encoding as users write it ("Shift_JIS", "sjis", "cp932" are all
 * CP932, what Japanese Windows and Excel write; "euc-jp" is EUC-JP), NULL for UTF-8, or the
 * name itself for anything else. *known: whether this system's iconv can decode it. */
ER_HIDDEN const char *er_csv_encoding_name(const char *given, int *known);

/* Read the next record. Returns 1 with *fields / *n set (valid until the next call), 0 at
 * the end, or a negative code with err filled. After ENGRATE_E_SYNTAX for a stray quote,
 * or ENGRATE_E_UTF8, the reader has skipped to the end of the bad record and the next
 * call reads on (er_csv_recoverable says so); other errors are final. */
ER_HIDDEN int er_csv_next(er_csv *c, const er_csv_field **fields, size_t *n,
                          engrate_error *err);
ER_HIDDEN int er_csv_recoverable(const er_csv *c);
/* Physical line where the last record read (or attempted) starts. */
ER_HIDDEN int er_csv_record_line(const er_csv *c);
/* Bytes consumed so far and the total size (0 when unknown), for progress reports. */
ER_HIDDEN uint64_t er_csv_offset(const er_csv *c);
ER_HIDDEN uint64_t er_csv_size(const er_csv *c);
/* The share of the input read so far (0..1; 0 when the size is not known). */
ER_HIDDEN double er_csv_progress(const er_csv *c);
/* Read only the input's bytes [start, end) from now on (after the header has been read,
 * say), start being the beginning of physical line `line`: a part of the input that
 * another reader reads the rest of (shard.c). Offsets and the progress stay those of the
 * whole input; for decoded input, columns count from the range's start. 0, or
 * ENGRATE_E_IO / ENGRATE_E_INVALID with err filled. */
ER_HIDDEN int er_csv_range(er_csv *c, uint64_t start, uint64_t end, int line,
                           engrate_error *err);
/* The same for a reader that has read on from the start: it stops at input offset `end`.
 * 0, or -1 when it already read past `end` (decoded input: pulled bytes beyond it). */
ER_HIDDEN int er_csv_limit(er_csv *c, uint64_t end);
/* Whether the range ended inside a quoted field: the range did not start or end where a
 * record does (the reader then failed with "quoted field is never closed"). */
ER_HIDDEN int er_csv_cut(const er_csv *c);
/* Bytes of the input (before decoding) read so far, the range's start included. */
ER_HIDDEN uint64_t er_csv_input_offset(const er_csv *c);
/* A file's range whose end another thread may move down while it is read (shard.c):
 * before each read of the file, claim(arg, to) returns where the range now ends and
 * promises the reader the bytes up to the smaller of that end and `to`, which the end
 * then never moves below. For a reader of a file that does not decode. */
typedef uint64_t (*er_csv_claim_fn)(void *arg, uint64_t to);
ER_HIDDEN void er_csv_set_claim(er_csv *c, er_csv_claim_fn claim, void *arg);
/* Whether the reader decodes (er_csv_set_encoding), the file offset it has read up to
 * (bytes already in its buffer included), and the physical line it is on. */
ER_HIDDEN int er_csv_decodes(const er_csv *c);
ER_HIDDEN uint64_t er_csv_read_end(const er_csv *c);
ER_HIDDEN int er_csv_line(const er_csv *c);
/* Records skipped because every field was empty. */
ER_HIDDEN uint64_t er_csv_empty_records(const er_csv *c);
ER_HIDDEN const char *er_csv_source(const er_csv *c);

#endif
