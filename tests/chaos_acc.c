/* chaos_acc.c: the operations of tests/check_chaos.c on training in parts: partials of
 * three shards (one through the file format's bytes) merged and finished; scans merged
 * into a schema, then partials with it; an accumulator file loaded and saved again; and a
 * file read by three threads (the cuts, the parts, their merge). Each must give the
 * reference's model, report or bytes, or ENGRATE_E_NOMEM. */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaos_ops.h"

/* ---- Data -------------------------------------------------------------------------------- */

/* n rows of three inputs with weights; levels seen once; one shard per `parts` of them,
 * each with the header. Made with nothing failing. */
static char *make_rows(unsigned n, unsigned from, unsigned to, size_t *len)
{
    static const char *const roles[] = {"pm", "se", "pg", "qa", "PM"};
    static const char *const skills[] = {"java", "go", "sql", "aws"};
    chaos_buf b = {0};
    chaos_printf(&b, "role,skills,years,rate,weight\n");
    for (unsigned i = from; i < to && i < n; i++) {
        unsigned mask = (i * 7 + 3) % 16;
        if (i % 97 == 13)
            chaos_printf(&b, "once%u,", i);
        else
            chaos_printf(&b, "%s,", roles[i % 5]);
        for (unsigned k = 0, first = 1; k < 4; k++)
            if (mask & (1u << k)) {
                chaos_printf(&b, "%s%s", first ? "" : ";", skills[k]);
                first = 0;
            }
        chaos_printf(&b, ",%.1f,%u,%s\n", (double)((i * 11) % 250) / 10,
                     400000 + (i * 7919) % 300000, i % 3 ? "1" : "0.5");
    }
    *len = b.n;
    return b.s;
}

static const char *const kv[][2] = {{"categorical", "role"}, {"set", "skills"},
                                    {"numeric", "years:knots=5"}, {"weight", "weight"},
                                    {"folds", "3"}, {"sample", "100"}, {"threads", "1"}};

static engrate_train_options *options(void)
{
    engrate_error err;
    engrate_train_options *o = engrate_train_options_new();
    for (size_t i = 0; o && i < sizeof kv / sizeof kv[0]; i++)
        if (engrate_train_options_set(o, kv[i][0], kv[i][1], &err))
            abort();
    if (!o)
        abort();
    return o;
}

static char *shard[3], *ref_parts, *ref_schema, *ref_load, *ref_threads, *big, *saved;
static size_t shard_len[3], big_len, saved_len;

static void make_data(void)
{
    if (shard[0])
        return;
    for (unsigned i = 0; i < 3; i++)
        shard[i] = make_rows(300, i * 100, (i + 1) * 100, &shard_len[i]);
    big = make_rows(13000, 0, 13000, &big_len); /* past two parts of 256 KiB */
}

/* What a run gives: the model's text and the report, or the error. */
static int outcome(chaos_ctx *c, engrate_model *m, engrate_train_report *rep,
                   const engrate_error *err, char **ref)
{
    if (!m) {
        engrate_train_report_free(rep);
        return chaos_error_outcome(c, err, 0, ref);
    }
    chaos_buf b = {0};
    char *s = chaos_model_text(m);
    chaos_printf(&b, "%s--- report\n%s", s, rep ? engrate_train_report_json(rep) : "");
    engrate_string_free(s);
    engrate_model_free(m);
    engrate_train_report_free(rep);
    return chaos_settle(c, ref, b.s);
}

/* ---- Runs ------------------------------------------------------------------------------ */

/* The shards' accumulators (scans or partials with o), merged in order: NULL on error. */
static engrate_train_acc *gather(int scan, const engrate_train_options *o, engrate_error *err)
{
    engrate_train_acc *all = NULL;
    for (unsigned i = 0; i < 3; i++) {
        engrate_train_acc *a = scan ? engrate_train_scan_buffer(shard[i], shard_len[i], "s.csv", o, err)
                                    : engrate_train_partial_buffer(shard[i], shard_len[i], "s.csv", o, err);
        if (a && i == 1) { /* one through the bytes of its file */
            size_t len;
            void *b = engrate_train_acc_to_buffer(a, &len, err);
            engrate_train_acc_free(a);
            a = b ? engrate_train_acc_load_buffer(b, len, "s.acc", err) : NULL;
            engrate_train_acc_buffer_free(b);
        }
        if (!a || (all && engrate_train_acc_merge(all, a, err))) {
            engrate_train_acc_free(a);
            engrate_train_acc_free(all);
            return NULL;
        }
        if (!all)
            all = a;
        else
            engrate_train_acc_free(a);
    }
    return all;
}

static int op_parts(chaos_ctx *c)
{
    make_data();
    engrate_train_options *o = options();
    engrate_error err;
    engrate_train_report *rep = NULL;
    engrate_model *m = NULL;
    chaos_begin(c);
    engrate_train_acc *all = gather(0, o, &err);
    if (all)
        m = engrate_train_acc_finish(all, o, &rep, &err);
    engrate_train_acc_free(all);
    chaos_end(c);
    engrate_train_options_free(o);
    return outcome(c, m, rep, &err, &ref_parts);
}

static int op_schema(chaos_ctx *c)
{
    make_data();
    engrate_train_options *o = options();
    engrate_error err;
    engrate_train_report *rep = NULL;
    engrate_model *m = NULL;
    chaos_begin(c);
    engrate_train_acc *scan = gather(1, o, &err), *all = NULL;
    if (scan && engrate_train_options_set_schema(o, scan, &err) == 0 &&
        (all = gather(0, o, &err)) != NULL)
        m = engrate_train_acc_finish(all, o, &rep, &err);
    engrate_train_acc_free(scan);
    engrate_train_acc_free(all);
    chaos_end(c);
    engrate_train_options_free(o);
    return outcome(c, m, rep, &err, &ref_schema);
}

/* An accumulator file loaded and written again: the same bytes (as a digest). */
static int op_load(chaos_ctx *c)
{
    make_data();
    engrate_error err;
    if (!saved) {
        engrate_train_options *o = options();
        engrate_train_acc *a = gather(0, o, &err);
        void *b = a ? engrate_train_acc_to_buffer(a, &saved_len, &err) : NULL;
        if (!b)
            abort();
        saved = malloc(saved_len);
        memcpy(saved, b, saved_len);
        engrate_train_acc_buffer_free(b);
        engrate_train_acc_free(a);
        engrate_train_options_free(o);
    }
    size_t len = 0;
    chaos_begin(c);
    engrate_train_acc *a = engrate_train_acc_load_buffer(saved, saved_len, "saved.acc", &err);
    void *b = a ? engrate_train_acc_to_buffer(a, &len, &err) : NULL;
    engrate_train_acc_free(a);
    chaos_end(c);
    if (!b)
        return chaos_error_outcome(c, &err, 0, &ref_load);
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ ((const unsigned char *)b)[i]) * 0x100000001b3ull;
    engrate_train_acc_buffer_free(b);
    chaos_buf out = {0};
    chaos_printf(&out, "%zu bytes, FNV-1a %016llx, saved %zu\n", len, (unsigned long long)h,
                 saved_len);
    return chaos_settle(c, &ref_load, out.s);
}

static int op_threads(chaos_ctx *c)
{
    make_data();
    engrate_train_options *o = options();
    engrate_error err;
    if (engrate_train_options_set(o, "threads", "3", &err))
        abort();
    engrate_train_report *rep = NULL;
    chaos_begin(c);
    engrate_model *m = engrate_train_csv_buffer(big, big_len, "big.csv", o, &rep, &err);
    chaos_end(c);
    engrate_train_options_free(o);
    return outcome(c, m, rep, &err, &ref_threads);
}

const chaos_op chaos_acc_ops[] = {
    {"acc partials merged", op_parts},
    {"acc scans, schema, partials", op_schema},
    {"acc file loaded and saved", op_load},
    {"acc threads cut a file", op_threads},
};
const size_t chaos_n_acc_ops = sizeof chaos_acc_ops / sizeof chaos_acc_ops[0];

void chaos_acc_free(void)
{
    char *all[] = {shard[0], shard[1], shard[2], ref_parts, ref_schema, ref_load, ref_threads,
                   big, saved};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
}
