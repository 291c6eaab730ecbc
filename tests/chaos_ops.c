/* chaos_ops.c: what the operations of tests/check_chaos.c share (chaos_ops.h): helpers,
 * the data they work on, and their list. Each operation makes what it works on with
 * nothing failing, arms the failing allocator (chaos_alloc.c) around the calls under test
 * only, and then, with nothing failing again, writes down what came out (a model's text,
 * a report's JSON, an estimate's numbers in hexadecimal), so that the run with nothing
 * failing is the reference for all the others; it frees everything before it returns. */
#define _GNU_SOURCE 1
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chaos_alloc.h"
#include "chaos_ops.h"
#include "testutil.h"

chaos_data chaos;

/* ---- Helpers ------------------------------------------------------------------------ */

void chaos_printf(chaos_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if (b->n + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + (size_t)n + 1)
            cap *= 2;
        if (!(b->s = realloc(b->s, cap)))
            abort();
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void chaos_begin(chaos_ctx *c) { chaos_arm(c->fail_at, c->persistent); }

void chaos_end(chaos_ctx *c)
{
    c->count = chaos_count();
    chaos_disarm();
}

int chaos_settle(chaos_ctx *c, char **ref, char *out)
{
    if (c->fail_at == 0) {
        free(*ref);
        *ref = out;
        return CHAOS_SAME;
    }
    int same = strcmp(*ref, out) == 0;
    if (!same) {
        size_t i = 0;
        while ((*ref)[i] && (*ref)[i] == out[i])
            i++;
        size_t from = i > 80 ? i - 80 : 0;
        fprintf(stderr,
                "  output differs from the reference at byte %zu:\n"
                "  reference: %.160s\n  this run:  %.160s\n",
                i, *ref + from, out + from);
    }
    free(out);
    return same ? CHAOS_SAME : CHAOS_BAD;
}

int chaos_expect_nomem(const char *what, int rc, const engrate_error *err)
{
    if (rc == ENGRATE_E_NOMEM && err->code == ENGRATE_E_NOMEM &&
        strstr(err->text, "out of memory"))
        return CHAOS_NOMEM;
    fprintf(stderr,
            "  %s: returned %d with error %d '%s' (expected ENGRATE_E_NOMEM, 'out of "
            "memory')\n",
            what, rc, err->code, err->text);
    return CHAOS_BAD;
}

int chaos_error_outcome(chaos_ctx *c, const engrate_error *err, int expect, char **ref)
{
    if (err->code == ENGRATE_E_NOMEM && c->fail_at)
        return chaos_expect_nomem("call", ENGRATE_E_NOMEM, err);
    if (c->fail_at == 0 && err->code != expect) {
        fprintf(stderr, "  reference run: error %d '%s', expected %d\n", err->code, err->text,
                expect);
        return CHAOS_BAD;
    }
    chaos_buf b = {0};
    chaos_printf(&b, "error %d %d:%d %s\n", err->code, err->line, err->column, err->text);
    int out = chaos_settle(c, ref, b.s);
    return out == CHAOS_SAME && c->fail_at ? CHAOS_SAME_ERROR : out;
}

char *chaos_model_text(const engrate_model *m)
{
    char *s = engrate_model_to_string(m, NULL, NULL);
    if (!s)
        abort();
    return s;
}

int chaos_write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(text, 1, len, f);
    return fclose(f) != 0 || w != len ? -1 : 0;
}

/* ---- The data ----------------------------------------------------------------------- */

/* A training file of 240 rows made here: five roles, sets of five skills and three
 * certifications, years on a curve, rates from known effects and a little noise, weights
 * 1..3, a copy of the years (collinear with them, when used), and two bad rows (a word
 * for the years, a negative rate under the log) that --skip-bad-rows turns into notes. */
static char *make_synth(size_t *len)
{
    static const char *const roles[] = {"pm", "se", "pg", "infra", "qa"};
    static const double role_eff[] = {0.3, 0.1, -0.1, 0.05, -0.15};
    static const char *const skills[] = {"java", "python", "go", "sql", "aws"};
    static const double skill_eff[] = {0.05, 0.08, 0.1, 0.0, 0.06};
    static const char *const certs[] = {"pmp", "aws-sa", "ipa-db"};
    static const double cert_eff[] = {0.04, 0.05, 0.02};
    chaos_buf b = {0};
    uint32_t x = 12345;
    chaos_printf(&b, "role,skills,certs,years,rate,weight,years2\n");
    for (unsigned i = 0; i < 240; i++) {
        if (i == 50)
            chaos_printf(&b, "pm,java,,abc,500000,1,1\n");
        if (i == 120)
            chaos_printf(&b, "se,,,3,-5,1,3\n");
        unsigned role = i % 5, smask = (i * 7 + 3) % 32, cmask = (i * 5) % 8;
        double years = (double)((i * 11) % 25) * 0.5, eta = 13 + role_eff[role];
        eta += 0.04 * (years < 10 ? years : 10);
        chaos_printf(&b, "%s,", roles[role]);
        for (unsigned k = 0, first = 1; k < 5; k++)
            if (smask & (1u << k)) {
                chaos_printf(&b, "%s%s", first ? "" : ";", skills[k]);
                eta += skill_eff[k];
                first = 0;
            }
        chaos_printf(&b, ",");
        for (unsigned k = 0, first = 1; k < 3; k++)
            if (cmask & (1u << k)) {
                chaos_printf(&b, "%s%s", first ? "" : ";", certs[k]);
                eta += cert_eff[k];
                first = 0;
            }
        x = x * 1664525u + 1013904223u;
        eta += ((double)(x >> 8) / 16777216.0 - 0.5) * 0.1;
        chaos_printf(&b, ",%g,%.0f,%u,%g\n", years, exp(eta), 1 + i % 3, years);
    }
    *len = b.n;
    return b.s;
}

static char *read_data(const char *rel, size_t *len)
{
    size_t n = 0;
    char *s = test_read(test_path(rel), &n);
    if (!s)
        fprintf(stderr, "check_chaos: cannot read %s (srcdir?)\n", test_path(rel));
    if (len)
        *len = n;
    return s;
}

int chaos_setup(void)
{
    chaos_data *d = &chaos;
    snprintf(d->tmpdir, sizeof d->tmpdir, "/tmp/check_chaos.XXXXXX");
    if (!mkdtemp(d->tmpdir)) {
        perror("check_chaos: mkdtemp");
        return -1;
    }
    snprintf(d->synth_path, sizeof d->synth_path, "%.63s/synth.csv", d->tmpdir);
    snprintf(d->jp_model_path, sizeof d->jp_model_path, "%.63s/jp.model", d->tmpdir);
    snprintf(d->save_dir, sizeof d->save_dir, "%.63s/save", d->tmpdir);
    snprintf(d->levels_path, sizeof d->levels_path, "%s",
             test_path("models/jp-freelance/names.csv"));
    snprintf(d->train_path, sizeof d->train_path, "%s",
             test_path("models/jp-freelance/train.csv"));
    if (!(d->example = read_data("models/example.model", &d->example_len)) ||
        !(d->messy = read_data("tests/data/model/valid/messy/input.model", &d->messy_len)) ||
        !(d->jp_csv = read_data("models/jp-freelance/train.csv", &d->jp_csv_len)) ||
        !(d->sources = read_data("models/jp-freelance/sources.txt", NULL)))
        return -1;
    d->synth_csv = make_synth(&d->synth_len);
    engrate_error err;
    if (!(d->jp_model = chaos_train_jp(&d->jp_report, &err))) {
        fprintf(stderr, "check_chaos: training the jp-freelance model: %s\n", err.text);
        return -1;
    }
    d->jp_text = chaos_model_text(d->jp_model);
    /* The same with a bad number on its last line, for the loader's way out. */
    chaos_buf bad = {0};
    chaos_printf(&bad, "%s\n[input extra]\nkind = numeric\nmin = 1,5\n", d->jp_text);
    d->jp_bad = bad.s;
    if (chaos_write_file(d->synth_path, d->synth_csv, d->synth_len) ||
        chaos_write_file(d->jp_model_path, d->jp_text, strlen(d->jp_text)) ||
        mkdir(d->save_dir, 0700)) {
        fprintf(stderr, "check_chaos: cannot write in %s\n", d->tmpdir);
        return -1;
    }
    return 0;
}

void chaos_teardown(void)
{
    chaos_data *d = &chaos;
    chaos_model_free();
    chaos_whatif_free();
    chaos_train_free();
    chaos_acc_free();
    engrate_model_free(d->jp_model);
    engrate_train_report_free(d->jp_report);
    char *texts[] = {d->example, d->messy,   d->jp_csv, d->synth_csv,
                     d->sources, d->jp_text, d->jp_bad};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        free(texts[i]);
    unlink(d->synth_path);
    unlink(d->jp_model_path);
    rmdir(d->save_dir);
    rmdir(d->tmpdir);
}

/* ---- The list ----------------------------------------------------------------------- */

const chaos_op *chaos_ops(size_t *n)
{
    static chaos_op all[64];
    size_t k = 0;
    for (size_t i = 0; i < chaos_n_model_ops && k < 64; i++)
        all[k++] = chaos_model_ops[i];
    for (size_t i = 0; i < chaos_n_whatif_ops && k < 64; i++)
        all[k++] = chaos_whatif_ops[i];
    for (size_t i = 0; i < chaos_n_train_ops && k < 64; i++)
        all[k++] = chaos_train_ops[i];
    for (size_t i = 0; i < chaos_n_acc_ops && k < 64; i++)
        all[k++] = chaos_acc_ops[i];
    *n = k;
    return all;
}
