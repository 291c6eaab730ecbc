/* chaos_train.c: the operations of tests/check_chaos.c on the training library: making
 * options, and whole training runs, each with its report but the one from a file:
 * models/jp-freelance with its levels file, on one thread (5-fold cross-validation
 * choosing lambda) and on two (3 folds, lambda given); made-up data with bad rows
 * skipped and lambda by GCV, and from a file on two threads; runs that fail, on a bad row
 * and on a collinear design; a curve that varies by role (its deviations, the search of
 * their penalty, the report's level curves); and a spreadsheet export as it comes: EUC-JP, Japanese
 * labels, look-alike spellings, 80万円, missing values imputed (chaos_ops.c says how an
 * operation runs). */
#define _GNU_SOURCE 1
#include "config.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaos_ops.h"

/* ---- Options ------------------------------------------------------------------------ */

typedef struct train_case {
    const char *name;
    int jp; /* models/jp-freelance with its levels file; else make_synth */
    const char *threads, *folds, *lambda;
    int from_file; /* engrate_train_csv rather than engrate_train_csv_buffer */
    int with_report;
    int skip_bad;      /* synthetic data: skip its bad rows (notes) or fail on the first */
    const char *extra; /* one more numeric input */
    int expect;        /* the error the run gives, or 0 */
} train_case;

/* Set the options of a case; 0, or the first code that is not 0. */
static int set_options(engrate_train_options *o, const train_case *tc, engrate_error *err)
{
    static const char *const jp[][2] = {
        {"weight", "weight"}, {"categorical", "role"}, {"set", "skills"}, {"set", "certs"},
        {"numeric", "years:knots=1.5,3,4.5"}, {"min-count", "1"}, {"interval", "0.8"},
        {"name", "jp-freelance"}, {"meta", "description=Japan's freelance IT market"},
        {"meta", "currency=JPY"}, {"meta", "period=month"}, {"meta", "basis=listing"},
        {"meta", "as_of=2026-01"}};
    /* sample: fewer rows kept for the interval than there are, so that the reservoir
     * replaces some */
    static const char *const synth[][2] = {
        {"weight", "weight"}, {"categorical", "role"}, {"set", "skills"}, {"set", "certs"},
        {"numeric", "years:knots=5,10"}, {"name", "synthetic"},
        {"source", "made by tests/chaos_ops.c"}, {"interval", "0.9"}, {"sample", "100"}};
    const char *const(*kv)[2] = tc->jp ? jp : synth;
    size_t n = tc->jp ? sizeof jp / sizeof jp[0] : sizeof synth / sizeof synth[0];
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = engrate_train_options_set(o, kv[i][0], kv[i][1], err);
    if (tc->jp) { /* one source line per line of sources.txt, and the levels file */
        for (char *s = chaos.sources; rc == 0 && *s;) {
            char *e = strchr(s, '\n');
            size_t l = e ? (size_t)(e - s) : strlen(s);
            char line[1024];
            snprintf(line, sizeof line, "%.*s", (int)l, s);
            if (l)
                rc = engrate_train_options_set(o, "source", line, err);
            s += l + (e ? 1 : 0);
        }
        if (rc == 0)
            rc = engrate_train_options_set(o, "levels", chaos.levels_path, err);
    }
    if (rc == 0 && tc->skip_bad)
        rc = engrate_train_options_set(o, "skip-bad-rows", NULL, err);
    if (rc == 0 && tc->extra)
        rc = engrate_train_options_set(o, "numeric", tc->extra, err);
    if (rc == 0 && tc->threads)
        rc = engrate_train_options_set(o, "threads", tc->threads, err);
    if (rc == 0 && tc->folds)
        rc = engrate_train_options_set(o, "folds", tc->folds, err);
    if (rc == 0 && tc->lambda)
        rc = engrate_train_options_set(o, "lambda", tc->lambda, err);
    return rc;
}

static engrate_model *train(const train_case *tc, const engrate_train_options *o,
                            engrate_train_report **rep, engrate_error *err)
{
    if (tc->from_file)
        return engrate_train_csv(tc->jp ? chaos.train_path : chaos.synth_path, o,
                                 tc->with_report ? rep : NULL, err);
    return engrate_train_csv_buffer(
        tc->jp ? chaos.jp_csv : chaos.synth_csv, tc->jp ? chaos.jp_csv_len : chaos.synth_len,
        tc->jp ? "train.csv" : "synth.csv", o, tc->with_report ? rep : NULL, err);
}

/* ---- Runs --------------------------------------------------------------------------- */

static char *ref_train[8]; /* options, then each case */

/* Options made with allocations failing must train the model the reference ones do. */
static int op_options(chaos_ctx *c)
{
    engrate_error err;
    train_case tc = {"options", 0, "1", "3", NULL, 0, 0, 1, NULL, 0};
    err.code = 0;
    chaos_begin(c);
    engrate_train_options *o = engrate_train_options_new();
    int rc = o ? set_options(o, &tc, &err) : ENGRATE_E_NOMEM;
    chaos_end(c);
    if (!o || rc) {
        engrate_train_options_free(o);
        if (!o) /* the one call without an error out-parameter: NULL is its whole answer */
            return CHAOS_NOMEM;
        return chaos_expect_nomem("engrate_train_options_set", rc, &err);
    }
    engrate_model *m = train(&tc, o, NULL, &err);
    engrate_train_options_free(o);
    if (!m) {
        fprintf(stderr, "  training with these options: %s\n", err.text);
        return CHAOS_BAD;
    }
    char *s = chaos_model_text(m);
    engrate_model_free(m);
    return chaos_settle(c, &ref_train[0], s);
}

static int train_op(chaos_ctx *c, const train_case *tc, char **ref, char **ref_report)
{
    engrate_error err;
    engrate_train_options *o = engrate_train_options_new();
    if (!o || set_options(o, tc, &err))
        abort();
    engrate_train_report *rep = NULL;
    chaos_begin(c);
    engrate_model *m = train(tc, o, &rep, &err);
    chaos_end(c);
    engrate_train_options_free(o);
    int out;
    if (!m) {
        out = chaos_error_outcome(c, &err, tc->expect, ref);
        /* A report comes back when the data were read and fitted, and is then whole. */
        if (rep && (!*ref_report || strcmp(engrate_train_report_json(rep), *ref_report))) {
            fprintf(stderr, "  the report of a failed run is not the reference's\n");
            out = CHAOS_BAD;
        }
    } else if (c->fail_at == 0 && tc->expect) {
        fprintf(stderr, "  reference run: trained, expected error %d\n", tc->expect);
        engrate_model_free(m);
        out = CHAOS_BAD;
    } else {
        chaos_buf b = {0};
        char *s = chaos_model_text(m);
        chaos_printf(&b, "%s", s);
        engrate_string_free(s);
        if (tc->with_report) {
            if (!rep)
                abort();
            if (c->fail_at == 0) {
                free(*ref_report);
                *ref_report = strdup(engrate_train_report_json(rep));
            }
            chaos_printf(&b, "--- report\n%s--- summary\n%s", engrate_train_report_json(rep),
                         engrate_train_report_summary(rep));
        }
        engrate_model_free(m);
        out = chaos_settle(c, ref, b.s);
    }
    engrate_train_report_free(rep);
    return out;
}

static const train_case train_cases[] = {
    {"train jp levels t1", 1, "1", NULL, NULL, 0, 1, 0, NULL, 0},
    {"train jp levels t2", 1, "2", "3", "0.01", 0, 1, 0, NULL, 0},
    {"train synth gcv", 0, "1", "0", NULL, 0, 1, 1, NULL, 0},
    {"train synth file t2", 0, "2", "3", "0.5", 1, 0, 1, NULL, 0},
    {"train synth bad row", 0, "1", NULL, NULL, 0, 1, 0, NULL, ENGRATE_E_NUMBER},
    {"train synth collinear", 0, "1", "0", "0", 0, 1, 1, "years2", ENGRATE_E_SINGULAR},
    /* a curve that varies by role: its deviations, their penalty's search, their report */
    {"train synth by role", 0, "1", "3", "0.5", 0, 1, 1, "years2:knots=5:by=role", 0},
};
static char *ref_train_report[7];

static int op_train0(chaos_ctx *c)
{
    return train_op(c, &train_cases[0], &ref_train[1], &ref_train_report[0]);
}
static int op_train1(chaos_ctx *c)
{
    return train_op(c, &train_cases[1], &ref_train[2], &ref_train_report[1]);
}
static int op_train2(chaos_ctx *c)
{
    return train_op(c, &train_cases[2], &ref_train[3], &ref_train_report[2]);
}
static int op_train3(chaos_ctx *c)
{
    return train_op(c, &train_cases[3], &ref_train[4], &ref_train_report[3]);
}
static int op_train4(chaos_ctx *c)
{
    return train_op(c, &train_cases[4], &ref_train[5], &ref_train_report[4]);
}
static int op_train5(chaos_ctx *c)
{
    return train_op(c, &train_cases[5], &ref_train[6], &ref_train_report[5]);
}
static int op_train6(chaos_ctx *c)
{
    return train_op(c, &train_cases[6], &ref_train[7], &ref_train_report[6]);
}

/* ---- Data as it comes ---------------------------------------------------------------- */

/* A spreadsheet export in EUC-JP: Japanese column names and labels, spellings that fold
 * alike (PMO, ＰＭＯ; Java, java), a label with blanks and parentheses, numbers written
 * 80万円 and 5年, and years missing, imputed. Made once, with nothing failing. */
static char *spreadsheet(size_t *len)
{
    static const char *const roles[] = {"システムエンジニア", "PMO", "ＰＭＯ", "Project Manager"};
    static const char *const skills[] = {"Java", "java;Cloud (AWS)", "", "Cloud (AWS);SQL"};
    chaos_buf b = {0};
    chaos_printf(&b, "職種,スキル,経験年数,月額単価\r\n");
    for (unsigned i = 0; i < 60; i++) {
        chaos_printf(&b, "%s,\"%s\",", roles[i % 4], skills[(i / 4) % 4]);
        if (i % 9 == 4)
            chaos_printf(&b, "NA");
        else
            chaos_printf(&b, "%u年", (i * 7) % 15);
        chaos_printf(&b, ",%u万円\r\n", 50 + (i * 13) % 40);
    }
    char *out = malloc(2 * b.n + 1), *in = b.s, *o = out;
    size_t inleft = b.n, outleft = 2 * b.n;
    iconv_t cd = iconv_open("EUC-JP", "UTF-8");
    if (!out || cd == (iconv_t)-1 || iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1)
        abort();
    iconv_close(cd);
    free(b.s);
    *len = (size_t)(o - out);
    return out;
}

static char *ref_sheet, *sheet;
static size_t sheet_len;

static int op_train_spreadsheet(chaos_ctx *c)
{
    static const char *const kv[][2] = {
        {"encoding", "EUC-JP"}, {"categorical", "職種"}, {"set", "スキル"},
        {"numeric", "経験年数:knots=5"}, {"target", "月額単価"}, {"missing", "impute"},
        {"min-count", "1"}, {"folds", "3"}, {"threads", "1"}};
    engrate_error err;
    engrate_train_options *o = engrate_train_options_new();
    for (size_t i = 0; o && i < sizeof kv / sizeof kv[0]; i++)
        if (engrate_train_options_set(o, kv[i][0], kv[i][1], &err))
            abort();
    if (!o || (!sheet && !(sheet = spreadsheet(&sheet_len))))
        abort();
    engrate_train_report *rep = NULL;
    chaos_begin(c);
    engrate_model *m = engrate_train_csv_buffer(sheet, sheet_len, "export.csv", o, &rep, &err);
    chaos_end(c);
    engrate_train_options_free(o);
    int out;
    if (!m) {
        out = chaos_error_outcome(c, &err, 0, &ref_sheet);
    } else {
        chaos_buf b = {0};
        char *s = chaos_model_text(m);
        chaos_printf(&b, "%s--- report\n%s--- summary\n%s", s, engrate_train_report_json(rep),
                     engrate_train_report_summary(rep));
        engrate_string_free(s);
        engrate_model_free(m);
        out = chaos_settle(c, &ref_sheet, b.s);
    }
    engrate_train_report_free(rep);
    return out;
}

/* ---- The list ----------------------------------------------------------------------- */

engrate_model *chaos_train_jp(engrate_train_report **report, engrate_error *err)
{
    engrate_train_options *o = engrate_train_options_new();
    engrate_model *m = NULL;
    if (o && set_options(o, &train_cases[0], err) == 0)
        m = train(&train_cases[0], o, report, err);
    engrate_train_options_free(o);
    return m;
}

const chaos_op chaos_train_ops[] = {
    {"train options", op_options},        {"train jp levels t1", op_train0},
    {"train jp levels t2", op_train1},    {"train synth gcv", op_train2},
    {"train synth file t2", op_train3},   {"train synth bad row", op_train4},
    {"train synth collinear", op_train5}, {"train synth by role", op_train6},
    {"train spreadsheet euc-jp", op_train_spreadsheet},
};
const size_t chaos_n_train_ops = sizeof chaos_train_ops / sizeof chaos_train_ops[0];

void chaos_train_free(void)
{
    free(ref_sheet);
    free(sheet);
    for (size_t i = 0; i < sizeof ref_train / sizeof ref_train[0]; i++)
        free(ref_train[i]);
    for (size_t i = 0; i < sizeof ref_train_report / sizeof ref_train_report[0]; i++)
        free(ref_train_report[i]);
}
