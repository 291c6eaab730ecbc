/* check_acc.c: training in parts (lib/train/xacc.c, merge.c, shard.c, schema.c, the
 * accumulator file). The exact sums against a second method (128-bit integers); the model
 * from 1, 2, 4 and 7 shards (partials merged, through bytes and files, with and without a
 * schema) and from 1, 2, 3 and 7 threads against the single pass's, byte for byte; a
 * merge in another order to 1e-12; merges and finishes refused with what differs; and the
 * file: deterministic bytes, and located errors for a wrong version, magic, checksum, end
 * or section. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <iconv.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accfile.h"
#include "engrate.h"
#include "engrate_train.h"
#include "testutil.h"
#include "trainer.h"
#include "xacc.h"

/* ---- Data ---------------------------------------------------------------------------- */

static uint64_t rng_state;
static double unif(void)
{
    return test_unif(&rng_state);
}

typedef struct rows {
    char *header;
    char **row;
    size_t n;
} rows;

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->row[i]);
    free(r->row);
    free(r->header);
}

/* Rows with what makes parts differ: weights, levels seen once (dropped by --min-count),
 * look-alike spellings, a quoted label with a line break and a comma, decimal years and
 * some missing (imputed), rates in 万円. */
static rows generate(size_t n, uint64_t seed)
{
    static const char *const roles[] = {"pm", "PM", "dev", "qa", "infra", "pmo", "data"};
    static const char *const skills[] = {"Java", "java", "SQL", "\"Cloud (AWS, GCP)\"",
                                         "Go", "\"Big\nData\""};
    rows r = {strdup("role,skills,years,rate,weight\n"), calloc(n, sizeof(char *)), n};
    rng_state = seed;
    for (size_t i = 0; i < n; i++) {
        char line[400], sk[200] = "";
        size_t o = 0;
        for (size_t k = 0; k < 6; k++)
            if (unif() < 0.3)
                o += (size_t)snprintf(sk + o, sizeof sk - o, "%s%s", o ? ";" : "", skills[k]);
        int quoted = strchr(sk, '"') != NULL;
        if (quoted) { /* one quoted field: the inner quotes go */
            char plain[150];
            size_t p = 0;
            for (const char *c = sk; *c && p + 1 < sizeof plain; c++)
                if (*c != '"')
                    plain[p++] = *c;
            plain[p] = '\0';
            snprintf(sk, sizeof sk, "\"%s\"", plain);
        }
        double u = unif();
        char role[32];
        if (u < 0.01)
            snprintf(role, sizeof role, "rare%u", (unsigned)(unif() * 50));
        else
            snprintf(role, sizeof role, "%s", roles[(size_t)(u * 7) % 7]);
        char years[16];
        if (unif() < 0.05)
            snprintf(years, sizeof years, "NA");
        else
            snprintf(years, sizeof years, "%.1f", floor(unif() * 300) / 10);
        double rate = 50 + floor(unif() * 60) + (role[0] == 'p' ? 20 : 0);
        static const char *const weights[] = {"1", "0.5", "2", "1.25"};
        snprintf(line, sizeof line, "%s,%s,%s,%.0f万円,%s\n", role, sk, years, rate,
                 weights[(size_t)(unif() * 4) % 4]);
        r.row[i] = strdup(line);
    }
    return r;
}

/* Rows [from, to) with the header, as one CSV text. */
static char *csv_of(const rows *r, size_t from, size_t to, size_t *len)
{
    size_t n = strlen(r->header);
    for (size_t i = from; i < to; i++)
        n += strlen(r->row[i]);
    char *s = malloc(n + 1), *p = s;
    p += sprintf(p, "%s", r->header);
    for (size_t i = from; i < to; i++)
        p += sprintf(p, "%s", r->row[i]);
    *len = n;
    return s;
}

static const char *const base_opts[] = {
    "categorical", "role", "set", "skills", "numeric", "years:knots=5,15", "weight", "weight",
    "missing", "impute", "min-count", "3", "threads", "1", NULL};

static engrate_train_options *options(const char *const *kv, const char *const *more)
{
    engrate_train_options *o = engrate_train_options_new();
    engrate_error err;
    for (const char *const *k = kv; k && *k; k += 2)
        ck_assert_msg(engrate_train_options_set(o, k[0], k[1], &err) == 0, "%s", err.text);
    for (const char *const *k = more; k && *k; k += 2)
        ck_assert_msg(engrate_train_options_set(o, k[0], k[1], &err) == 0, "%s", err.text);
    return o;
}

static char *text_of(engrate_model *m, const engrate_error *err)
{
    ck_assert_msg(m != NULL, "%s", err->text);
    engrate_error e;
    char *s = engrate_model_to_string(m, NULL, &e);
    ck_assert_ptr_nonnull(s);
    engrate_model_free(m);
    return s;
}

static char *single(const char *csv, size_t len, const char *const *more)
{
    engrate_train_options *o = options(base_opts, more);
    engrate_error err;
    engrate_model *m = engrate_train_csv_buffer(csv, len, "data.csv", o, NULL, &err);
    engrate_train_options_free(o);
    return text_of(m, &err);
}

/* A copy of an accumulator through the file format's bytes. */
static engrate_train_acc *through_bytes(engrate_train_acc *a)
{
    engrate_error err;
    size_t len;
    void *b = engrate_train_acc_to_buffer(a, &len, &err);
    ck_assert_msg(b != NULL, "%s", err.text);
    engrate_train_acc *c = engrate_train_acc_load_buffer(b, len, "copy.acc", &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    size_t len2;
    void *b2 = engrate_train_acc_to_buffer(c, &len2, &err);
    ck_assert(len2 == len && memcmp(b, b2, len) == 0); /* load -> save: the same bytes */
    engrate_train_acc_buffer_free(b);
    engrate_train_acc_buffer_free(b2);
    engrate_train_acc_free(a);
    return c;
}

/* The accumulators of n shards of the rows (scans when `scan`), optionally copied. */
static engrate_train_acc **shards(const rows *r, size_t n, int scan,
                                  const engrate_train_options *o, int copy)
{
    engrate_train_acc **a = calloc(n, sizeof *a);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *csv = csv_of(r, r->n * i / n, r->n * (i + 1) / n, &len);
        char name[32];
        snprintf(name, sizeof name, "shard%zu.csv", i);
        engrate_error err;
        a[i] = scan ? engrate_train_scan_buffer(csv, len, name, o, &err)
                    : engrate_train_partial_buffer(csv, len, name, o, &err);
        ck_assert_msg(a[i] != NULL, "%s", err.text);
        ck_assert_int_eq(engrate_train_acc_kind(a[i]), scan ? ENGRATE_ACC_SCAN
                                                            : ENGRATE_ACC_PARTIAL);
        if (copy)
            a[i] = through_bytes(a[i]);
        free(csv);
    }
    return a;
}

/* Merge a[1..n) into a[0] in the order given by order[] (NULL: 0..n-1); frees the rest. */
static engrate_train_acc *merged(engrate_train_acc **a, size_t n, const size_t *order)
{
    engrate_train_acc *all = a[order ? order[0] : 0];
    for (size_t i = 1; i < n; i++) {
        engrate_error err;
        engrate_train_acc *x = a[order ? order[i] : i];
        ck_assert_msg(engrate_train_acc_merge(all, x, &err) == 0, "%s", err.text);
        engrate_train_acc_free(x);
    }
    free(a);
    return all;
}

static char *finish(const engrate_train_acc *a, engrate_train_report **rep)
{
    engrate_train_options *o = options(base_opts, NULL);
    engrate_error err;
    engrate_model *m = engrate_train_acc_finish(a, o, rep, &err);
    engrate_train_options_free(o);
    return text_of(m, &err);
}

/* ---- Exact sums ------------------------------------------------------------------------- */

/* Sums of doubles m * 2^e (|m| < 2^40, |e| <= 20) in any order, split and merged any way,
 * against the same sum in 128-bit integers (units of 2^-20), rounded to double-double by
 * the compiler's exact conversions. */
START_TEST(exact_sums_any_order)
{
    enum { N = 4000 };
    static double v[N];
    __int128 exact = 0;
    rng_state = 42;
    for (int i = 0; i < N; i++) {
        int64_t m = (int64_t)(unif() * 0x1p40) * (unif() < 0.4 ? -1 : 1);
        int e = (int)(unif() * 41) - 20;
        v[i] = ldexp((double)m, e);
        exact += (__int128)m * ((__int128)1 << (e + 20)); /* not m << : m may be negative */
    }
    double hi = ldexp((double)exact, -20);
    double lo = ldexp((double)(exact - (__int128)ldexp(hi, 20)), -20);
    for (int split = 1; split <= 5; split += 2) {
        er_xacc part[5];
        uint32_t idx[1] = {0};
        double one[1] = {1};
        for (int s = 0; s < split; s++) {
            er_xacc_init(&part[s]);
            ck_assert_int_eq(er_xacc_reserve(&part[s], 1), 0);
        }
        for (int i = 0; i < N; i++) { /* backwards, dealt round the parts */
            int k = N - 1 - i;
            er_xacc_add(&part[(k * 7) % split], idx, one, 1, v[k], 1.0);
        }
        for (int s = 1; s < split; s++) {
            ck_assert_int_eq(er_xacc_merge(&part[0], &part[s], NULL), 0);
            er_xacc_free(&part[s]);
        }
        er_acc out;
        ck_assert_int_eq(er_xacc_round(&part[0], &out), 0);
        ck_assert_msg(out.xy[0].hi == hi && out.xy[0].lo == lo, "split %d: %a + %a, want %a + %a",
                      split, out.xy[0].hi, out.xy[0].lo, hi, lo);
        ck_assert(out.g[0].hi == N && out.g[0].lo == 0); /* the count, exactly */
        ck_assert_uint_eq(part[0].lost, 0);
        er_acc_free(&out);
        er_xacc_free(&part[0]);
    }
}
END_TEST

/* The Gram of rows mixing numbers (terms 1..12: more than the XS_SIDE that get side
 * rows, some values 1, which count as units in that row) and indicators (13..63, met
 * later and later so that the terms' room grows while side rows hold sums), against the
 * same products summed directly: small integers, whose sums doubles hold exactly. Then
 * the rows split between two accumulators, merged, against the same. */
START_TEST(gram_of_numbers_and_indicators)
{
    enum { N = 3000, P = 64, NUM = 12 };
    static double want[P][P], want_xy[P];
    double want_yy = 0;
    size_t p = 0;
    memset(want, 0, sizeof want);
    memset(want_xy, 0, sizeof want_xy);
    er_xacc whole, part[2];
    er_xacc_init(&whole);
    er_xacc_init(&part[0]);
    er_xacc_init(&part[1]);
    rng_state = 7;
    for (int r = 0; r < N; r++) {
        uint32_t idx[P];
        double val[P];
        size_t nnz = 0;
        uint32_t top = 13 + (uint32_t)((P - 13) * (r + 1) / N); /* indicators met so far */
        for (uint32_t j = 0; j < top; j++) {
            if (j > 0 && unif() < (j <= NUM ? 0.7 : 0.15))
                continue;
            double v = 1;
            if (j >= 1 && j <= NUM)
                v = unif() < 0.2 ? 1 : (double)((int)(unif() * 19) - 9);
            if (v == 0)
                continue;
            idx[nnz] = j;
            val[nnz++] = v;
        }
        double y = (double)((int)(unif() * 200) - 100);
        for (size_t a = 0; a < nnz; a++) {
            for (size_t b = a; b < nnz; b++)
                want[idx[a]][idx[b]] += val[a] * val[b];
            want_xy[idx[a]] += val[a] * y;
        }
        want_yy += y * y;
        p = idx[nnz - 1] + 1u > p ? idx[nnz - 1] + 1u : p;
        er_xacc *dst[2] = {&whole, &part[r % 2]};
        for (int d = 0; d < 2; d++) {
            if (dst[d]->p < idx[nnz - 1] + 1u)
                ck_assert_int_eq(er_xacc_reserve(dst[d], idx[nnz - 1] + 1u), 0);
            er_xacc_add(dst[d], idx, val, nnz, y, 1.0);
        }
    }
    ck_assert_int_eq(er_xacc_merge(&part[0], &part[1], NULL), 0);
    er_xacc *got[2] = {&whole, &part[0]};
    for (int g = 0; g < 2; g++) {
        er_acc out;
        ck_assert_int_eq(er_xacc_round(got[g], &out), 0);
        ck_assert_uint_eq(out.p, p);
        ck_assert_uint_ge(p, P - 2);
        for (uint32_t i = 0; i < p; i++) {
            for (uint32_t j = i; j < p; j++)
                ck_assert_msg(out.g[ER_PK(i, j)].hi == want[i][j] && out.g[ER_PK(i, j)].lo == 0,
                              "%s: g(%u, %u) = %a, want %a", g ? "merged" : "whole", i, j,
                              out.g[ER_PK(i, j)].hi, want[i][j]);
            ck_assert(out.xy[i].hi == want_xy[i] && out.xy[i].lo == 0);
        }
        ck_assert(out.yy.hi == want_yy && out.yy.lo == 0);
        ck_assert_uint_eq(got[g]->lost, 0);
        er_acc_free(&out);
    }
    er_xacc_free(&whole);
    er_xacc_free(&part[0]);
    er_xacc_free(&part[1]);
}
END_TEST

/* A merge with terms renumbered, and a sum scaled by 2^k, against adding the rows so. */
START_TEST(merge_renumbers_and_scales)
{
    er_xacc a, b, direct;
    er_xacc_init(&a);
    er_xacc_init(&b);
    er_xacc_init(&direct);
    ck_assert_int_eq(er_xacc_reserve(&a, 3), 0);
    ck_assert_int_eq(er_xacc_reserve(&b, 3), 0);
    ck_assert_int_eq(er_xacc_reserve(&direct, 3), 0);
    rng_state = 7;
    for (int i = 0; i < 200; i++) {
        /* b's term 1 is an indicator and its term 2 holds x; the direct rows have them the
         * other way round, and x scaled by 2^3 */
        double x = floor(unif() * 1000) / 8 + 0.1, y = unif() * 10;
        uint32_t idx[3] = {0, 1, 2};
        double vb[3] = {1, 1, x}, vd[3] = {1, ldexp(x, 3), 1};
        er_xacc_add(&b, idx, vb, 3, y, 1.0);
        er_xacc_add(&direct, idx, vd, 3, y, 1.0);
    }
    int sx[3] = {0, 0, 3};
    er_xacc_scale(&b, sx, 0);
    uint32_t map[3] = {0, 2, 1};
    ck_assert_int_eq(er_xacc_merge(&a, &b, map), 0);
    er_acc ra, rd;
    ck_assert_int_eq(er_xacc_round(&a, &ra), 0);
    ck_assert_int_eq(er_xacc_round(&direct, &rd), 0);
    for (size_t i = 0; i < ER_PK(0, 3); i++)
        ck_assert(ra.g[i].hi == rd.g[i].hi && ra.g[i].lo == rd.g[i].lo);
    for (size_t i = 0; i < 3; i++)
        ck_assert(ra.xy[i].hi == rd.xy[i].hi && ra.xy[i].lo == rd.xy[i].lo);
    er_acc_free(&ra);
    er_acc_free(&rd);
    er_xacc_free(&a);
    er_xacc_free(&b);
    er_xacc_free(&direct);
}
END_TEST

/* ---- Splits ------------------------------------------------------------------------------ */

/* 1, 2, 4 and 7 shards: partials merged in order (directly, through bytes, through
 * files) finish as the single pass's model, byte for byte. */
START_TEST(shards_give_the_single_pass)
{
    rows r = generate(3000, 11);
    size_t len;
    char *csv = csv_of(&r, 0, r.n, &len);
    char *want = single(csv, len, NULL);
    engrate_train_options *o = options(base_opts, NULL);
    const size_t counts[] = {1, 2, 4, 7};
    for (size_t c = 0; c < 4; c++)
        for (int copy = 0; copy < 2; copy++) {
            engrate_train_acc *all = merged(shards(&r, counts[c], 0, o, copy), counts[c], NULL);
            ck_assert_double_eq(engrate_train_acc_value(all, "rows_read"), 3000);
            char *got = finish(all, NULL);
            ck_assert_msg(!strcmp(got, want), "%zu shards (copied %d): another model",
                          counts[c], copy);
            engrate_string_free(got);
            engrate_train_acc_free(all);
        }
    /* through files, and engrate_train_csv given the merged partial */
    engrate_train_acc *all = merged(shards(&r, 3, 0, o, 0), 3, NULL);
    engrate_error err;
    char path[] = "/tmp/check-acc-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(engrate_train_acc_save(all, path, &err) == 0, "%s", err.text);
    engrate_train_acc *back = engrate_train_acc_load(path, &err);
    ck_assert_msg(back != NULL, "%s", err.text);
    char *got = finish(back, NULL);
    ck_assert_str_eq(got, want);
    engrate_string_free(got);
    engrate_train_options *fo = options(base_opts, NULL);
    got = text_of(engrate_train_csv(path, fo, NULL, &err), &err);
    ck_assert_str_eq(got, want);
    engrate_string_free(got);
    engrate_train_options_free(fo);
    remove(path);
    engrate_train_acc_free(back);
    engrate_train_acc_free(all);
    engrate_train_options_free(o);
    engrate_string_free(want);
    free(csv);
    rows_free(&r);
}
END_TEST

/* Scans merged into a schema; partials made with it; finished: the same model. A level
 * the schema's scan did not see is a row error with its place. */
START_TEST(schema_gives_the_single_pass)
{
    rows r = generate(3000, 12);
    size_t len;
    char *csv = csv_of(&r, 0, r.n, &len);
    char *want = single(csv, len, NULL);
    engrate_train_options *o = options(base_opts, NULL);
    engrate_train_acc *scan = merged(shards(&r, 4, 1, o, 1), 4, NULL);
    engrate_error err;
    ck_assert_msg(engrate_train_options_set_schema(o, scan, &err) == 0, "%s", err.text);
    engrate_train_acc *all = merged(shards(&r, 4, 0, o, 1), 4, NULL);
    char *got = finish(all, NULL);
    ck_assert_str_eq(got, want);
    engrate_string_free(got);
    /* one pass with the schema: the same too */
    engrate_model *m = engrate_train_csv_buffer(csv, len, "data.csv", o, NULL, &err);
    got = text_of(m, &err);
    ck_assert_str_eq(got, want);
    engrate_string_free(got);
    const char *more = "role,skills,years,rate,weight\npm,Go,3,60万円,1\nnever seen,Go,3,60万円,1\n";
    engrate_train_acc *bad = engrate_train_partial_buffer(more, strlen(more), "more.csv", o, &err);
    ck_assert_ptr_null(bad);
    ck_assert_int_eq(err.code, ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 1);
    ck_assert_ptr_nonnull(strstr(err.text, "'never seen' is not in the schema"));
    engrate_train_acc_free(all);
    engrate_train_acc_free(scan);
    engrate_train_options_free(o);
    engrate_string_free(want);
    free(csv);
    rows_free(&r);
}
END_TEST

/* Merged in another order: the same sums; the model to 1e-12 (the columns are solved in
 * another order), the same lambda and interval. */
START_TEST(any_order_to_1e_12)
{
    rows r = generate(2000, 13);
    engrate_train_options *o = options(base_opts, NULL);
    const size_t order[] = {3, 1, 4, 0, 2};
    engrate_train_report *ra = NULL, *rb = NULL;
    engrate_train_acc *a = merged(shards(&r, 5, 0, o, 0), 5, NULL);
    engrate_train_acc *b = merged(shards(&r, 5, 0, o, 0), 5, order);
    char *ta = finish(a, &ra), *tb = finish(b, &rb);
    ck_assert_uint_eq(engrate_train_report_term_count(ra), engrate_train_report_term_count(rb));
    for (size_t i = 0; i < engrate_train_report_term_count(ra); i++) {
        ck_assert_str_eq(engrate_train_report_term(ra, i), engrate_train_report_term(rb, i));
        double x = engrate_train_report_estimate(ra, i), y = engrate_train_report_estimate(rb, i);
        ck_assert_msg(fabs(x - y) <= 1e-12 * fabs(x), "%s: %.17g and %.17g",
                      engrate_train_report_term(ra, i), x, y);
    }
    const char *keys[] = {"lambda", "interval_low", "interval_high", "cv_rmse", "coverage"};
    for (size_t k = 0; k < 5; k++) {
        double x = engrate_train_report_value(ra, keys[k]), y = engrate_train_report_value(rb, keys[k]);
        ck_assert_msg(fabs(x - y) <= 1e-12 * fabs(x), "%s: %.17g and %.17g", keys[k], x, y);
    }
    engrate_string_free(ta);
    engrate_string_free(tb);
    engrate_train_report_free(ra);
    engrate_train_report_free(rb);
    engrate_train_acc_free(a);
    engrate_train_acc_free(b);
    engrate_train_options_free(o);
    rows_free(&r);
}
END_TEST

/* ---- Threads --------------------------------------------------------------------------- */

static char *threads_model(const char *csv, size_t len, const char *threads,
                           const char *const *more)
{
    const char *const kv[] = {"threads", threads, NULL};
    engrate_train_options *o = options(base_opts, more);
    engrate_error err;
    ck_assert_int_eq(engrate_train_options_set(o, kv[0], kv[1], &err), 0);
    engrate_model *m = engrate_train_csv_buffer(csv, len, "big.csv", o, NULL, &err);
    engrate_train_options_free(o);
    return text_of(m, &err);
}

/* A buffer big enough to be cut (quoted line breaks near every cut), read by 1, 2, 3 and 7
 * threads; then one whose stray quote (a skipped row) misleads the cuts, which must fall
 * back to one reader; then the same rows in CP932. The same model each time. */
START_TEST(threads_give_the_single_pass)
{
    rows r = generate(17000, 21);
    size_t len;
    char *csv = csv_of(&r, 0, r.n, &len);
    ck_assert_uint_gt(len, 512 * 1024); /* two parts of 256 KiB at least */
    char *want = threads_model(csv, len, "1", NULL);
    const char *const counts[] = {"2", "3", "7"};
    for (size_t c = 0; c < 3; c++) {
        char *got = threads_model(csv, len, counts[c], NULL);
        ck_assert_msg(!strcmp(got, want), "%s threads: another model", counts[c]);
        engrate_string_free(got);
    }
    /* a stray quote at the start: every later cut's count is odd */
    free(r.row[1]);
    r.row[1] = strdup("pm,Go\"x,3,60万円,1\n");
    free(csv);
    csv = csv_of(&r, 0, r.n, &len);
    const char *const skip[] = {"skip-bad-rows", "1", NULL};
    engrate_string_free(want);
    want = threads_model(csv, len, "1", skip);
    char *got = threads_model(csv, len, "3", skip);
    ck_assert_str_eq(got, want);
    engrate_string_free(got);
    /* CP932 */
    iconv_t cd = iconv_open("CP932", "UTF-8");
    ck_assert(cd != (iconv_t)-1);
    char *sj = malloc(2 * len), *in = csv, *out = sj;
    size_t inleft = len, outleft = 2 * len;
    ck_assert(iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1);
    iconv_close(cd);
    const char *const enc[] = {"skip-bad-rows", "1", "encoding", "CP932", NULL};
    got = threads_model(sj, (size_t)(out - sj), "3", enc);
    ck_assert_str_eq(got, want);
    engrate_string_free(got);
    free(sj);
    engrate_string_free(want);
    free(csv);
    rows_free(&r);
}
END_TEST

/* Where the cuts go: quotes and line breaks counted a word at a time, against a byte at a
 * time, on buffers of every length up to a few blocks of 255 words, at every alignment,
 * made mostly of one of the two (so that a word's counters fill) or of random bytes. */
START_TEST(cuts_count_every_quote_and_line_break)
{
    static char buf[3 * 255 * 8 + 64];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int it = 0; it < 3000; it++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = (size_t)(x >> 33) % sizeof buf, off = (size_t)(x >> 20) % 8;
        int kind = it % 4;
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(x >> 56);
            buf[i] = kind == 0   ? '"'
                     : kind == 1 ? '\n'
                     : kind == 2 ? (r & 1 ? '"' : '\n')
                                 : (char)r;
        }
        off = off < n ? off : n;
        uint64_t q = 7, l = 3, wq = 7, wl = 3; /* added to what is there */
        tr_count_bytes(buf + off, n - off, &q, &l);
        for (size_t i = off; i < n; i++) {
            wq += buf[i] == '"';
            wl += buf[i] == '\n';
        }
        ck_assert_msg(q == wq && l == wl, "%zu bytes at %zu: %llu/%llu quotes, %llu/%llu lines",
                      n - off, off, (unsigned long long)q, (unsigned long long)wq,
                      (unsigned long long)l, (unsigned long long)wl);
    }
}
END_TEST

/* The bytes of a partial of csv made with the base options and `more`. */
static unsigned char *partial_bytes(const char *csv, size_t len, const char *const *more,
                                    size_t *n)
{
    engrate_train_options *o = options(base_opts, more);
    engrate_error err;
    engrate_train_acc *a = engrate_train_partial_buffer(csv, len, "big.csv", o, &err);
    ck_assert_msg(a != NULL, "%s", err.text);
    unsigned char *b = engrate_train_acc_to_buffer(a, n, &err);
    ck_assert_ptr_nonnull(b);
    engrate_train_acc_free(a);
    engrate_train_options_free(o);
    return b;
}

static size_t section_at(const unsigned char *b, size_t len, const char *tag);

/* Section `tag`'s payload in *at and its length (u64 little-endian before it). */
static size_t section_len(const unsigned char *b, size_t len, const char *tag, size_t *at)
{
    *at = section_at(b, len, tag);
    ck_assert_msg(*at != 0, "no %s section", tag);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | b[*at - 8 + (size_t)i];
    return (size_t)n;
}

/* The sample is the first `sample` rows in key order, however it is read: partials that
 * keep 500 of 17,000 rows (read by 1 and by 3 threads, and from 7 shards merged) hold the
 * same rows, and they are the first 500 of a partial that keeps every row (no row dropped
 * there), which the file writes in key order. */
START_TEST(sample_is_the_first_in_key_order)
{
    rows r = generate(17000, 23);
    size_t len, flen, slen;
    char *csv = csv_of(&r, 0, r.n, &len);
    static const char *const all[] = {"sample", "20000", NULL},
                             *const few[] = {"sample", "500", NULL},
                             *const few3[] = {"sample", "500", "threads", "3", NULL};
    unsigned char *fb = partial_bytes(csv, len, all, &flen);
    unsigned char *sb = partial_bytes(csv, len, few, &slen);
    size_t fat, sat, fn = section_len(fb, flen, "SAMP", &fat),
                     sn = section_len(sb, slen, "SAMP", &sat);
    uint64_t fk = 0, sk = 0;
    for (int i = 7; i >= 0; i--) {
        fk = fk << 8 | fb[fat + (size_t)i];
        sk = sk << 8 | sb[sat + (size_t)i];
    }
    ck_assert_uint_gt(fk, 16000); /* every row used, but the few the data make bad */
    ck_assert_uint_eq(sk, 500);
    ck_assert_uint_lt(sn, fn);
    ck_assert_msg(!memcmp(fb + fat + 8, sb + sat + 8, sn - 8),
                  "the kept rows are not the first 500 of all in key order");
    size_t tlen, tat;
    unsigned char *tb = partial_bytes(csv, len, few3, &tlen);
    ck_assert_uint_eq(section_len(tb, tlen, "SAMP", &tat), sn);
    ck_assert_msg(!memcmp(tb + tat, sb + sat, sn), "3 threads: another sample");
    engrate_train_options *o = options(base_opts, few);
    engrate_train_acc *m = merged(shards(&r, 7, 0, o, 0), 7, NULL);
    engrate_error err;
    size_t mlen, mat;
    unsigned char *mb = engrate_train_acc_to_buffer(m, &mlen, &err);
    ck_assert_ptr_nonnull(mb);
    ck_assert_uint_eq(section_len(mb, mlen, "SAMP", &mat), sn);
    ck_assert_msg(!memcmp(mb + mat, sb + sat, sn), "7 shards: another sample");
    engrate_train_acc_buffer_free(mb);
    engrate_train_acc_free(m);
    engrate_train_options_free(o);
    engrate_train_acc_buffer_free(tb);
    engrate_train_acc_buffer_free(sb);
    engrate_train_acc_buffer_free(fb);
    free(csv);
    rows_free(&r);
}
END_TEST

/* Rows of many terms: about half hold some 45 tags (more than a sample's slot of 160
 * bytes holds, so they have an allocation of their own), the others a few, so that a place
 * in the sample holds a short row, then a long one, then a short one. Read by 1 and by 3
 * threads (whose parts meet the tags in other orders: merging renumbers them) and from 7
 * shards merged through bytes, the sample is the same rows and the model the same. */
START_TEST(long_rows_in_the_sample)
{
    enum { N = 12000, TAGS = 64 };
    static const char *const opts[] = {"categorical", "role", "set", "tags", "numeric",
                                       "years:knots=5,15", "weight", "weight", "min-count",
                                       "3", "sample", "300", NULL};
    rows r = {strdup("role,tags,years,rate,weight\n"), calloc(N, sizeof(char *)), N};
    rng_state = 31;
    size_t longer = 0;
    for (size_t i = 0; i < N; i++) {
        char tags[TAGS * 4 + 1] = "", line[TAGS * 4 + 100];
        size_t o = 0, n = 0;
        double share = unif() < 0.5 ? 0.1 : 0.7;
        for (int k = 0; k < TAGS; k++)
            if (unif() < share) {
                o += (size_t)snprintf(tags + o, sizeof tags - o, "%st%02d", o ? ";" : "",
                                      (k * 37 + (int)(i % 7)) % TAGS);
                n++;
            }
        longer += n > 32;
        snprintf(line, sizeof line, "r%u,%s,%.1f,%.0f,%s\n", (unsigned)(unif() * 5), tags,
                 floor(unif() * 300) / 10, 50 + floor(unif() * 60) + (double)n,
                 unif() < 0.5 ? "1" : "0.5");
        r.row[i] = strdup(line);
    }
    ck_assert_uint_gt(longer, N / 3);
    size_t len;
    char *csv = csv_of(&r, 0, r.n, &len);
    ck_assert_uint_gt(len, 3 * 256 * 1024); /* three parts */
    unsigned char *b[3];
    size_t blen[3], at[3], sn[3];
    char *model[3];
    for (int t = 0; t < 3; t++) {
        engrate_train_options *o = options(opts, NULL);
        engrate_error err;
        ck_assert_int_eq(engrate_train_options_set(o, "threads", t == 1 ? "3" : "1", &err), 0);
        engrate_train_acc *a;
        if (t < 2) {
            a = engrate_train_partial_buffer(csv, len, "long.csv", o, &err);
            ck_assert_msg(a != NULL, "%s", err.text);
        } else {
            a = merged(shards(&r, 7, 0, o, 1), 7, NULL);
        }
        b[t] = engrate_train_acc_to_buffer(a, &blen[t], &err);
        ck_assert_ptr_nonnull(b[t]);
        sn[t] = section_len(b[t], blen[t], "SAMP", &at[t]);
        model[t] = text_of(engrate_train_acc_finish(a, o, NULL, &err), &err);
        engrate_train_acc_free(a);
        engrate_train_options_free(o);
    }
    for (int t = 1; t < 3; t++) {
        const char *how = t == 1 ? "3 threads" : "7 shards";
        ck_assert_msg(sn[t] == sn[0] && !memcmp(b[t] + at[t], b[0] + at[0], sn[0]),
                      "%s: another sample", how);
        ck_assert_msg(!strcmp(model[t], model[0]), "%s: another model", how);
    }
    for (int t = 0; t < 3; t++) {
        engrate_train_acc_buffer_free(b[t]);
        engrate_string_free(model[t]);
    }
    free(csv);
    rows_free(&r);
}
END_TEST

/* ---- Refusals ----------------------------------------------------------------------------- */

static const char *const other_knots[] = {
    "categorical", "role", "set", "skills", "numeric", "years:knots=5,20", "weight", "weight",
    "missing", "impute", "min-count", "3", "threads", "1", NULL};

/* A partial of rows 0..300 made with the base options (or other knots) and `more`. */
static engrate_train_acc *made_with(const rows *r, const char *const *more, int scan)
{
    size_t len;
    char *csv = csv_of(r, 0, 300, &len);
    int knots = more && !strcmp(more[0], "knots");
    engrate_train_options *o = options(knots ? other_knots : base_opts, knots ? NULL : more);
    engrate_error err;
    engrate_train_acc *a = scan ? engrate_train_scan_buffer(csv, len, "d.csv", o, &err)
                                : engrate_train_partial_buffer(csv, len, "d.csv", o, &err);
    ck_assert_msg(a != NULL, "%s", err.text);
    engrate_train_options_free(o);
    free(csv);
    return a;
}

START_TEST(merges_refused_with_what_differs)
{
    rows r = generate(300, 31);
    static const char *const folds[] = {"folds", "10", NULL}, *const knots[] = {"knots", NULL}, *const target[] = {"transform", "none", NULL};
    const struct {
        const char *const *more;
        int scan;
        const char *says;
    } cases[] = {{folds, 0, "different --folds: 5 for 'd.csv', 10 for 'd.csv'"},
                 {knots, 0, "different inputs"},
                 {target, 0, "different --transform"},
                 {NULL, 1, "different kinds: a partial for 'd.csv', a scan"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        engrate_train_acc *a = made_with(&r, NULL, 0), *b = made_with(&r, cases[i].more,
                                                                      cases[i].scan);
        engrate_error err;
        ck_assert_int_eq(engrate_train_acc_merge(a, b, &err), ENGRATE_E_INVALID);
        ck_assert_msg(strstr(err.text, cases[i].says), "case %zu: %s", i, err.text);
        /* refused before anything moved: a is whole */
        ck_assert_double_eq(engrate_train_acc_value(a, "rows_read"), 300);
        char *t = finish(a, NULL);
        engrate_string_free(t);
        engrate_train_acc_free(a);
        engrate_train_acc_free(b);
    }
    /* finishing: a scan, and options that contradict the sums */
    engrate_train_acc *s = made_with(&r, NULL, 1), *p = made_with(&r, NULL, 0);
    engrate_train_options *o = options(base_opts, folds);
    engrate_error err;
    ck_assert_ptr_null(engrate_train_acc_finish(s, o, NULL, &err));
    ck_assert_ptr_nonnull(strstr(err.text, "a scan has levels and counts but no sums"));
    ck_assert_ptr_null(engrate_train_acc_finish(p, o, NULL, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_nonnull(strstr(err.text, "other --folds than the accumulator"));
    const char *const order[] = {"folds-by", "order", NULL};
    engrate_train_options *oo = options(base_opts, order);
    size_t len;
    char *csv = csv_of(&r, 0, 10, &len);
    ck_assert_ptr_null(engrate_train_partial_buffer(csv, len, "d.csv", oo, &err));
    ck_assert_ptr_nonnull(strstr(err.text, "--folds-by order"));
    ck_assert_ptr_null(engrate_train_acc_load_buffer(NULL, 3, NULL, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_acc_merge(NULL, p, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_acc_kind(NULL), 0);
    ck_assert(isnan(engrate_train_acc_value(p, "no such key")));
    engrate_train_acc_free(NULL);
    free(csv);
    engrate_train_options_free(oo);
    engrate_train_options_free(o);
    engrate_train_acc_free(s);
    engrate_train_acc_free(p);
    rows_free(&r);
}
END_TEST

/* ---- The file ------------------------------------------------------------------------------ */

/* The payload of section `tag` in an accumulator file: its offset, or 0. */
static size_t section_at(const unsigned char *b, size_t len, const char *tag)
{
    const unsigned char *nl = memchr(b, '\n', len);
    size_t at = (size_t)(nl - b) + 1;
    while (at + 12 <= len) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--)
            n = n << 8 | b[at + 4 + (size_t)i];
        if (!memcmp(b + at, tag, 4))
            return at + 12;
        at += 12 + (size_t)n;
    }
    return 0;
}

/* The checksum made right again after a change, as a damaged file would not have it. */
static void reseal(unsigned char *b, size_t len)
{
    uint64_t h = acc_fnv64(b, len - 20);
    for (int i = 0; i < 8; i++)
        b[len - 8 + (size_t)i] = (unsigned char)(h >> (8 * i));
}

START_TEST(file_errors_are_located)
{
    rows r = generate(300, 41);
    engrate_train_acc *a = made_with(&r, NULL, 0);
    engrate_error err;
    size_t len;
    unsigned char *good = engrate_train_acc_to_buffer(a, &len, &err);
    ck_assert_ptr_nonnull(good);
    size_t len2;
    void *again = engrate_train_acc_to_buffer(a, &len2, &err);
    ck_assert(len2 == len && !memcmp(good, again, len)); /* the same state, the same bytes */
    engrate_train_acc_buffer_free(again);
    ck_assert(!memcmp(good, "engrate-accumulator 2 partial\n", 30));
    unsigned char *b = malloc(len);
    const struct {
        const char *tag;   /* the section changed, or NULL: the first line */
        size_t at;         /* offset in it */
        unsigned char to;  /* the byte written there */
        int reseal;
        int code;
        const char *says;
    } cases[] = {
        {NULL, 20, '3', 1, ENGRATE_E_VERSION, "format version 3; this engrate reads version 2"},
        {NULL, 20, '1', 1, ENGRATE_E_VERSION, "format version 1; this engrate reads version 2 "
                                              "(the file was written by an older engrate"},
        {NULL, 0, 'E', 1, ENGRATE_E_SYNTAX, "not an engrate accumulator file"},
        {NULL, 22, 'x', 1, ENGRATE_E_SYNTAX, "unknown kind 'xartial'"},
        {"ROWS", 40, 0xff, 0, ENGRATE_E_DATA, "the checksum does not match"},
        {"OPTS", 19, 3, 1, ENGRATE_E_DATA, "an option out of its range"},
        {"SUMS", 0, 9, 1, ENGRATE_E_DATA, "(sums): 9 folds, the options 5"},
        {"TERM", 1, 0xff, 1, ENGRATE_E_LIMIT, "terms, more than the 1000 allowed"},
        {"ROWS", 9, 0x7f, 1, ENGRATE_E_DATA, "(rows): rows that do not add up"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(b, good, len);
        size_t at = cases[i].tag ? section_at(b, len, cases[i].tag) : 0;
        ck_assert(!cases[i].tag || at);
        b[at + cases[i].at] = cases[i].to;
        if (cases[i].reseal)
            reseal(b, len);
        ck_assert_ptr_null(engrate_train_acc_load_buffer(b, len, "bad.acc", &err));
        ck_assert_msg(err.code == cases[i].code && strstr(err.text, cases[i].says),
                      "case %zu: %d %s", i, err.code, err.text);
        ck_assert_str_eq(err.source, "bad.acc");
    }
    ck_assert_ptr_null(engrate_train_acc_load_buffer(good, len - 1, "cut.acc", &err));
    ck_assert_ptr_nonnull(strstr(err.text, "cut short"));
    ck_assert_ptr_null(engrate_train_acc_load("/nonexistent/x.acc", &err));
    ck_assert_int_eq(err.code, ENGRATE_E_IO);
    free(b);
    engrate_train_acc_buffer_free(good);
    engrate_train_acc_free(a);
    rows_free(&r);
}
END_TEST

/* A curve varying by one categorical input, in a file whose options name another of the
 * same length: the loader refuses it, naming both (the options are what a merge compares,
 * so they must say what the sums were made with). */
START_TEST(curve_by_is_the_one_its_options_name)
{
    char csv[4096];
    size_t o = (size_t)sprintf(csv, "role,area,years,rate\n");
    for (int i = 0; i < 60; i++)
        o += (size_t)sprintf(csv + o, "%s,%s,%d,%d\n", i % 3 ? "pm" : "dev",
                             i % 2 ? "east" : "west", i % 11, 500 + 9 * i + 40 * (i % 2));
    static const char *const kv[] = {"categorical", "role", "categorical", "area", "numeric",
                                     "years:by=area", "min-count", "1", "threads", "1", NULL};
    engrate_train_options *opt = options(kv, NULL);
    engrate_error err;
    engrate_train_acc *a = engrate_train_partial_buffer(csv, o, "d.csv", opt, &err);
    ck_assert_msg(a != NULL, "%s", err.text);
    size_t len;
    unsigned char *b = engrate_train_acc_to_buffer(a, &len, &err);
    ck_assert_ptr_nonnull(b);
    engrate_train_acc *back = engrate_train_acc_load_buffer(b, len, "good.acc", &err);
    ck_assert_msg(back != NULL, "%s", err.text); /* as written, it loads */
    engrate_train_acc_free(back);
    /* OPTS: the last "area" as an ostr (u8 1, u32 4, the bytes) is years' by. */
    size_t at = section_at(b, len, "OPTS"), end = section_at(b, len, "INPT") - 12, last = 0;
    ck_assert(at && end > at);
    for (size_t i = at; i + 9 <= end; i++)
        if (!memcmp(b + i, "\1\4\0\0\0area", 9))
            last = i;
    ck_assert(last != 0);
    memcpy(b + last + 5, "role", 4);
    reseal(b, len);
    ck_assert_ptr_null(engrate_train_acc_load_buffer(b, len, "bad.acc", &err));
    ck_assert_int_eq(err.code, ENGRATE_E_DATA);
    ck_assert_msg(strstr(err.text, "input 'years' varies by 'area', not by 'role'"), "%s",
                  err.text);
    engrate_train_acc_buffer_free(b);
    engrate_train_acc_free(a);
    engrate_train_options_free(opt);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acc");
    TCase *tc = tcase_create("sums");
    tcase_add_test(tc, exact_sums_any_order);
    tcase_add_test(tc, gram_of_numbers_and_indicators);
    tcase_add_test(tc, merge_renumbers_and_scales);
    suite_add_tcase(s, tc);
    tc = tcase_create("splits");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, shards_give_the_single_pass);
    tcase_add_test(tc, schema_gives_the_single_pass);
    tcase_add_test(tc, any_order_to_1e_12);
    tcase_add_test(tc, threads_give_the_single_pass);
    tcase_add_test(tc, cuts_count_every_quote_and_line_break);
    tcase_add_test(tc, sample_is_the_first_in_key_order);
    tcase_add_test(tc, long_rows_in_the_sample);
    suite_add_tcase(s, tc);
    tc = tcase_create("refusals");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, merges_refused_with_what_differs);
    tcase_add_test(tc, file_errors_are_located);
    tcase_add_test(tc, curve_by_is_the_one_its_options_name);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
