/* check_csv.c: the trainer's CSV reader (lib/csv.c): RFC 4180 edge cases (quotes, embedded
 * commas and line breaks, doubled quotes, CRLF, a byte order mark, empty lines, no final
 * line break), every error it reports with its line and byte column, recovery after a bad
 * record, and reading a file in chunks giving the same records as reading it whole. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "testutil.h"

/* Read all records of a buffer into "a|b|c\n" lines, fields' line:col appended as
 * "@line:col" when `where` is set. */
static char *dump(er_csv *c, int where, int *rc_out, engrate_error *err)
{
    static char out[8192];
    size_t o = 0;
    const er_csv_field *f;
    size_t n;
    int rc;
    out[0] = '\0';
    while ((rc = er_csv_next(c, &f, &n, err)) > 0) {
        for (size_t i = 0; i < n; i++) {
            o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", i ? "|" : "", f[i].s);
            if (where)
                o += (size_t)snprintf(out + o, sizeof out - o, "@%d:%d", f[i].line, f[i].col);
        }
        o += (size_t)snprintf(out + o, sizeof out - o, "\n");
    }
    *rc_out = rc;
    return out;
}

static char *dump_buf(const char *s, int where, int *rc, engrate_error *err)
{
    er_error_clear(err);
    er_csv *c = er_csv_open_buffer(s, strlen(s), "t.csv", err);
    ck_assert_ptr_nonnull(c);
    char *out = dump(c, where, rc, err);
    er_csv_close(c);
    return out;
}

START_TEST(plain_and_quoted)
{
    engrate_error err = {0};
    int rc;
    char *out = dump_buf("a,b,c\n1,\"x,y\",\"say \"\"hi\"\"\"\n", 0, &rc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "a|b|c\n1|x,y|say \"hi\"\n");
}
END_TEST

START_TEST(embedded_newlines_keep_physical_lines)
{
    engrate_error err = {0};
    int rc;
    char *out = dump_buf("h1,h2,h3\n\"two\nlines\",x,\"three\r\nmore\nlines\"\nlast,y,z", 1, &rc,
                         &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "h1@1:1|h2@1:4|h3@1:7\n"
                          "two\nlines@2:1|x@3:8|three\r\nmore\nlines@3:10\n"
                          "last@6:1|y@6:6|z@6:8\n");
}
END_TEST

START_TEST(crlf_bom_empty_lines_and_empty_fields)
{
    engrate_error err = {0};
    int rc;
    char *out = dump_buf("\xEF\xBB\xBFrole,skills\r\n\r\npm,\r\n,\"\"\r\n\n\"\"\r\n", 1, &rc, &err);
    ck_assert_int_eq(rc, 0);
    /* the BOM is not part of line 1's columns; records whose fields are all empty (blank
     * lines, ',""') are skipped, a line holding only "" is a record with one empty field */
    ck_assert_str_eq(out, "role@1:1|skills@1:6\npm@3:1|@3:4\n@6:1\n");
}
END_TEST

/* Blank lines and a spreadsheet's ",,,," rows are skipped and counted: lines 2, 4, 5. */
START_TEST(empty_records_are_counted)
{
    const char *s = "a,b,c\n\n1,2,3\n,,\n\n4,,\n";
    engrate_error err = {0};
    er_csv *c = er_csv_open_buffer(s, strlen(s), "t.csv", &err);
    int rc;
    ck_assert_str_eq(dump(c, 1, &rc, &err), "a@1:1|b@1:3|c@1:5\n1@3:1|2@3:3|3@3:5\n4@6:1|@6:3|@6:4\n");
    ck_assert_uint_eq(er_csv_empty_records(c), 3);
    er_csv_close(c);
}
END_TEST

START_TEST(other_delimiters)
{
    engrate_error err = {0};
    int rc;
    const char *s = "a\tb;c\n\"x\ty\"\t2\n";
    er_csv *c = er_csv_open_buffer(s, strlen(s), "t.tsv", &err);
    ck_assert_int_eq(er_csv_set_delimiter(c, '\t', &err), 0);
    ck_assert_str_eq(dump(c, 1, &rc, &err), "a@1:1|b;c@1:3\nx\ty@2:1|2@2:7\n");
    er_csv_close(c);
    const char *semi = "a\tb;c\n\"x;y\";2\n";
    c = er_csv_open_buffer(semi, strlen(semi), "t.csv", &err);
    ck_assert_int_eq(er_csv_set_delimiter(c, ';', &err), 0);
    ck_assert_str_eq(dump(c, 0, &rc, &err), "a\tb|c\nx;y|2\n");
    ck_assert_int_eq(er_csv_set_delimiter(c, '"', &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(er_csv_set_delimiter(c, '\n', &err), ENGRATE_E_INVALID);
    er_csv_close(c);
}
END_TEST

/* CP932 and EUC-JP bytes (written by Python's codecs) read as the UTF-8 text they are,
 * with lines and byte columns of that text; a UTF-8 byte order mark before them is
 * skipped. */
static const char cp932_text[] = "\357\273\277\220E\216\355,\214\216\212z\222P\211\277\015\012"
                                 "\202o\202l\202n,\04280\226\234\211~\042\015\012";
static const char utf8_text[] = "\350\201\267\347\250\256,\346\234\210\351\241\215\345\215\230"
                                "\344\276\241\015\012\357\274\260\357\274\255\357\274\257,"
                                "\04280\344\270\207\345\206\206\042\015\012";

START_TEST(decodes_cp932_and_euc_jp)
{
    engrate_error err = {0};
    int rc, known;
    er_csv *c = er_csv_open_buffer(cp932_text, sizeof cp932_text - 1, "t.csv", &err);
    ck_assert_int_eq(er_csv_set_encoding(c, "Shift_JIS", &err), 0);
    char want[256];
    snprintf(want, sizeof want, "%.6s@1:1|%.12s@1:8\n%.9s@2:1|%.8s@2:11\n", utf8_text,
             utf8_text + 7, utf8_text + 21, utf8_text + 32);
    ck_assert_str_eq(dump(c, 1, &rc, &err), want);
    ck_assert_int_eq(rc, 0);
    er_csv_close(c);
    const char euc[] = "\245\271\245\255\245\353\011\267\320\270\263\012"
                       "\243\312\243\341\243\366\243\341\0115\307\257\012";
    c = er_csv_open_buffer(euc, sizeof euc - 1, "t.tsv", &err);
    ck_assert_int_eq(er_csv_set_encoding(c, "euc-jp", &err), 0);
    ck_assert_int_eq(er_csv_set_delimiter(c, '\t', &err), 0);
    ck_assert_str_eq(dump(c, 0, &rc, &err), "スキル|経験\nＪａｖａ|5年\n");
    er_csv_close(c);
    ck_assert_str_eq(er_csv_encoding_name("sjis", &known), "CP932");
    ck_assert_int_eq(known, 1);
    ck_assert_ptr_null(er_csv_encoding_name("UTF8", &known));
    er_csv_encoding_name("no-such-encoding", &known);
    ck_assert_int_eq(known, 0);
}
END_TEST

/* A byte that is not CP932 stops reading where it is, in the decoded text's terms: line 2,
 * after "ab," (byte column 4); the file ending inside a character is refused too. */
START_TEST(undecodable_bytes_are_refused_where_they_are)
{
    engrate_error err = {0};
    int rc;
    const char bad[] = "x,y\nab,\201\040,c\n";
    er_csv *c = er_csv_open_buffer(bad, sizeof bad - 1, "t.csv", &err);
    ck_assert_int_eq(er_csv_set_encoding(c, "CP932", &err), 0);
    dump(c, 0, &rc, &err);
    ck_assert_int_eq(rc, ENGRATE_E_UTF8);
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.column, 4);
    ck_assert_ptr_nonnull(strstr(err.text, "0x81 cannot be read as CP932"));
    er_csv_close(c);
    const char cut[] = "x,y\n1,\202";
    c = er_csv_open_buffer(cut, sizeof cut - 1, "t.csv", &err);
    ck_assert_int_eq(er_csv_set_encoding(c, "CP932", &err), 0);
    er_error_clear(&err);
    dump(c, 0, &rc, &err);
    ck_assert_int_eq(rc, ENGRATE_E_UTF8);
    ck_assert_ptr_nonnull(strstr(err.text, "ends inside a character"));
    er_csv_close(c);
}
END_TEST

/* A CP932 file of ~280 KiB (~400 KiB as UTF-8: past a 256 KiB chunk of decoded text, and
 * several 64 KiB reads), read in chunks with characters cut at their edges, gives the
 * records of the same text in UTF-8. */
START_TEST(decoded_file_chunks_match_utf8)
{
    char path[] = "/tmp/check_csv_cp932.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    size_t cap = 1u << 22, len = 0;
    char *utf8 = malloc(cap);
    len += (size_t)snprintf(utf8, cap, "%s", utf8_text);
    fputs(cp932_text, f);
    for (int i = 0; len < (400u << 10); i++) {
        fputs(cp932_text + 3 + 15, f); /* the second line, again and again */
        len += (size_t)snprintf(utf8 + len, cap - len, "%s", utf8_text + 21);
    }
    fclose(f);
    engrate_error err = {0};
    er_csv *a = er_csv_open(path, &err), *b = er_csv_open_buffer(utf8, len, path, &err);
    ck_assert_int_eq(er_csv_set_encoding(a, "cp932", &err), 0);
    const er_csv_field *fa, *fb;
    size_t na, nb;
    long records = 0;
    for (;;) {
        int ra = er_csv_next(a, &fa, &na, &err), rb = er_csv_next(b, &fb, &nb, &err);
        ck_assert_int_eq(ra, rb);
        if (ra <= 0)
            break;
        ck_assert_uint_eq(na, nb);
        for (size_t i = 0; i < na; i++) {
            ck_assert_str_eq(fa[i].s, fb[i].s);
            ck_assert_int_eq(fa[i].line, fb[i].line);
            ck_assert_int_eq(fa[i].col, fb[i].col);
        }
        records++;
    }
    ck_assert_int_gt(records, 12000);
    ck_assert_double_eq(er_csv_progress(a), 1);
    er_csv_close(a);
    er_csv_close(b);
    free(utf8);
    unlink(path);
}
END_TEST

START_TEST(lone_cr_is_data)
{
    engrate_error err = {0};
    int rc;
    char *out = dump_buf("a\rb,c\n", 0, &rc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "a\rb|c\n");
}
END_TEST

/* One bad input: the code, line and column of the error, and a piece of its text. */
static void expect_error(const char *csv, int code, int line, int col, const char *text)
{
    engrate_error err = {0};
    int rc;
    dump_buf(csv, 0, &rc, &err);
    ck_assert_int_eq(rc, code);
    ck_assert_int_eq(err.code, code);
    ck_assert_int_eq(err.line, line);
    ck_assert_int_eq(err.column, col);
    ck_assert_msg(strstr(err.text, text), "'%s' lacks '%s'", err.text, text);
    ck_assert_msg(strncmp(err.text, "t.csv:", 6) == 0, "'%s' lacks the source", err.text);
}

START_TEST(errors_with_line_and_column)
{
    expect_error("a,b\n1,\"open\n2,3\n", ENGRATE_E_SYNTAX, 2, 3, "quoted field is never closed");
    expect_error("a,b\nx,ab\"c\n", ENGRATE_E_SYNTAX, 2, 5, "quote inside an unquoted field");
    expect_error("a,b\n\"x\"y,2\n", ENGRATE_E_SYNTAX, 2, 4, "after a closing quote");
    expect_error("a,b\n1,\xC3\x28\n", ENGRATE_E_UTF8, 2, 3, "not valid UTF-8");
    expect_error("a,b\n1,\"\xFF\"\n", ENGRATE_E_UTF8, 2, 3, "not valid UTF-8");
    {
        const char nul[] = "a,b\n1,x\0y\n";
        engrate_error err = {0};
        int rc;
        er_error_clear(&err);
        er_csv *c = er_csv_open_buffer(nul, sizeof nul - 1, "t.csv", &err);
        dump(c, 0, &rc, &err);
        er_csv_close(c);
        ck_assert_int_eq(rc, ENGRATE_E_SYNTAX);
        ck_assert_int_eq(err.line, 2);
        ck_assert_int_eq(err.column, 3);
        ck_assert_ptr_nonnull(strstr(err.text, "NUL"));
    }
}
END_TEST

START_TEST(recovers_after_a_bad_record)
{
    engrate_error err = {0};
    const er_csv_field *f;
    size_t n;
    er_error_clear(&err);
    const char *s = "a,b\nx,ab\"c\n\xFF,2\nok,3\n";
    er_csv *c = er_csv_open_buffer(s, strlen(s), "t.csv", &err);
    ck_assert_int_eq(er_csv_next(c, &f, &n, &err), 1);
    ck_assert_int_eq(er_csv_next(c, &f, &n, &err), ENGRATE_E_SYNTAX);
    ck_assert(er_csv_recoverable(c));
    ck_assert_int_eq(er_csv_record_line(c), 2);
    er_error_clear(&err);
    ck_assert_int_eq(er_csv_next(c, &f, &n, &err), ENGRATE_E_UTF8);
    ck_assert(er_csv_recoverable(c));
    er_error_clear(&err);
    ck_assert_int_eq(er_csv_next(c, &f, &n, &err), 1);
    ck_assert_str_eq(f[0].s, "ok");
    ck_assert_int_eq(f[0].line, 4);
    ck_assert_int_eq(er_csv_next(c, &f, &n, &err), 0);
    er_csv_close(c);
}
END_TEST

START_TEST(unterminated_quote_is_final)
{
    engrate_error err = {0};
    const er_csv_field *f;
    size_t n;
    const char *s = "a\n\"x\n";
    er_csv *c = er_csv_open_buffer(s, strlen(s), "t.csv", &err);
    ck_assert_int_eq(er_csv_next(c, &f, &n, &err), 1);
    ck_assert_int_eq(er_csv_next(c, &f, &n, &err), ENGRATE_E_SYNTAX);
    ck_assert(!er_csv_recoverable(c));
    ck_assert_int_lt(er_csv_next(c, &f, &n, &err), 0);
    er_csv_close(c);
}
END_TEST

START_TEST(record_too_long)
{
    size_t n = ER_CSV_MAX_RECORD + 10;
    char *s = malloc(n + 8);
    memcpy(s, "a\n", 2);
    memset(s + 2, 'x', n);
    memcpy(s + 2 + n, "\n", 2);
    engrate_error err = {0};
    int rc;
    er_error_clear(&err);
    er_csv *c = er_csv_open_buffer(s, strlen(s), "t.csv", &err);
    dump(c, 0, &rc, &err);
    er_csv_close(c);
    free(s);
    ck_assert_int_eq(rc, ENGRATE_E_LIMIT);
    ck_assert_int_eq(err.line, 2);
}
END_TEST

START_TEST(missing_file)
{
    engrate_error err = {0};
    er_error_clear(&err);
    ck_assert_ptr_null(er_csv_open("/nonexistent/dir/x.csv", &err));
    ck_assert_int_eq(err.code, ENGRATE_E_IO);
    ck_assert_ptr_nonnull(strstr(err.text, "/nonexistent/dir/x.csv"));
}
END_TEST

/* A file of ~1 MiB whose quoted fields with line breaks straddle the 256 KiB chunks reads
 * exactly as the same bytes read from memory. */
START_TEST(file_chunks_match_buffer)
{
    char path[] = "/tmp/check_csv.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    size_t cap = 1u << 21, len = 0;
    char *all = malloc(cap);
    len += (size_t)snprintf(all + len, cap - len, "\xEF\xBB\xBFid,text,n\r\n");
    for (int i = 0; len < (1u << 20) + 1000; i++)
        len += (size_t)snprintf(all + len, cap - len,
                                "%d,\"line %d\nwith \"\"quotes\"\", commas,\r\nand CRLF\",%d%s", i,
                                i, i * 7, i % 3 ? "\r\n" : "\n");
    fwrite(all, 1, len, f);
    fclose(f);
    engrate_error err = {0};
    er_csv *a = er_csv_open(path, &err), *b = er_csv_open_buffer(all, len, path, &err);
    ck_assert_ptr_nonnull(a);
    const er_csv_field *fa, *fb;
    size_t na, nb;
    long records = 0;
    for (;;) {
        int ra = er_csv_next(a, &fa, &na, &err);
        int rb = er_csv_next(b, &fb, &nb, &err);
        ck_assert_int_eq(ra, rb);
        if (ra <= 0)
            break;
        ck_assert_uint_eq(na, nb);
        for (size_t i = 0; i < na; i++) {
            ck_assert_uint_eq(fa[i].len, fb[i].len);
            ck_assert(memcmp(fa[i].s, fb[i].s, fa[i].len) == 0);
            ck_assert_int_eq(fa[i].line, fb[i].line);
            ck_assert_int_eq(fa[i].col, fb[i].col);
        }
        records++;
    }
    ck_assert_int_gt(records, 10000);
    ck_assert_uint_eq(er_csv_offset(a), len);
    er_csv_close(a);
    er_csv_close(b);
    free(all);
    unlink(path);
}
END_TEST

/* Random records, their fields written by the rules (quoted when they hold a delimiter, a
 * quote or a line break, quotes doubled), read back: each field as written, byte for byte.
 * Field lengths run across the reader's eight-byte steps, and the bytes that end a plain
 * run (delimiters, quotes, CR, LF, UTF-8 lead and trail bytes) fall at every offset. */
START_TEST(random_fields_read_back_as_written)
{
    static const char *const atoms[] = {"a", "Z", "7", " ", ".", "-", "_", "\xC3\xA9",
                                        "\xE3\x81\x82", ",", ";", "\t", "\"", "\n", "\r\n"};
    uint64_t rng = 7;
    const char delims[] = {',', ';', '\t'};
    for (int round = 0; round < 300; round++) {
        char delim = delims[round % 3];
        enum { RECS = 20, FIELDS = 6, FIELD_MAX = 120 };
        static char want[RECS][FIELDS][FIELD_MAX];
        size_t nf[RECS], cap = RECS * FIELDS * (2 * FIELD_MAX + 3) + 1, o = 0;
        char *text = malloc(cap);
        for (size_t r = 0; r < RECS; r++) {
            nf[r] = 1 + (size_t)(test_unif(&rng) * FIELDS);
            for (size_t f = 0; f < nf[r]; f++) {
                size_t n = 0, atoms_n = (size_t)(test_unif(&rng) * 40);
                for (size_t a = 0; a < atoms_n; a++) {
                    const char *at = atoms[(size_t)(test_unif(&rng) * 15)];
                    if (n + strlen(at) < FIELD_MAX)
                        n += (size_t)sprintf(want[r][f] + n, "%s", at);
                }
                if (f == 0 && n == 0) /* a record of empty fields is skipped: not this one */
                    n = (size_t)sprintf(want[r][f], "x");
                want[r][f][n] = '\0';
                int quote = strpbrk(want[r][f], "\"\r\n") || memchr(want[r][f], delim, n);
                if (f)
                    text[o++] = delim;
                if (quote)
                    text[o++] = '"';
                for (size_t k = 0; k < n; k++) {
                    if (want[r][f][k] == '"')
                        text[o++] = '"';
                    text[o++] = want[r][f][k];
                }
                if (quote)
                    text[o++] = '"';
            }
            text[o++] = '\n';
        }
        engrate_error err = {0};
        er_csv *c = er_csv_open_buffer(text, o, "r.csv", &err);
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(er_csv_set_delimiter(c, delim, &err), 0);
        const er_csv_field *f;
        size_t n;
        for (size_t r = 0; r < RECS; r++) {
            ck_assert_msg(er_csv_next(c, &f, &n, &err) == 1, "round %d record %zu: %s", round,
                          r, err.text);
            ck_assert_uint_eq(n, nf[r]);
            for (size_t k = 0; k < n; k++) {
                ck_assert_uint_eq(f[k].len, strlen(want[r][k]));
                ck_assert_msg(!memcmp(f[k].s, want[r][k], f[k].len), "round %d record %zu "
                              "field %zu: '%s', want '%s'", round, r, k, f[k].s, want[r][k]);
            }
        }
        ck_assert_int_eq(er_csv_next(c, &f, &n, &err), 0);
        er_csv_close(c);
        free(text);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, plain_and_quoted);
    tcase_add_test(tc, embedded_newlines_keep_physical_lines);
    tcase_add_test(tc, crlf_bom_empty_lines_and_empty_fields);
    tcase_add_test(tc, empty_records_are_counted);
    tcase_add_test(tc, other_delimiters);
    tcase_add_test(tc, decodes_cp932_and_euc_jp);
    tcase_add_test(tc, undecodable_bytes_are_refused_where_they_are);
    tcase_add_test(tc, decoded_file_chunks_match_utf8);
    tcase_add_test(tc, lone_cr_is_data);
    tcase_add_test(tc, errors_with_line_and_column);
    tcase_add_test(tc, recovers_after_a_bad_record);
    tcase_add_test(tc, unterminated_quote_is_final);
    tcase_add_test(tc, record_too_long);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, file_chunks_match_buffer);
    tcase_add_test(tc, random_fields_read_back_as_written);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
