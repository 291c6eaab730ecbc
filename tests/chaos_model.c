/* chaos_model.c: the operations of tests/check_chaos.c on the estimate library: loading
 * models (from buffers, from a file, one with an error at its end), writing and saving
 * them, saving a training report the same way, and queries, results, estimates and
 * batches on the jp-freelance model (chaos_ops.c says how an operation runs). */
#define _GNU_SOURCE 1
#include "config.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chaos_alloc.h"
#include "chaos_ops.h"
#include "testutil.h"

/* ---- Loading and writing models ----------------------------------------------------- */

static char *ref_load[5], *ref_write[3];

/* A model (its text is the output), or the error of a load that returned none. */
static int model_outcome(chaos_ctx *c, engrate_model *m, const engrate_error *err, int expect,
                         char **ref)
{
    if (!m)
        return chaos_error_outcome(c, err, expect, ref);
    char *s = chaos_model_text(m);
    engrate_model_free(m);
    if (c->fail_at == 0 && expect) {
        fprintf(stderr, "  reference run: loaded, expected error %d\n", expect);
        free(s);
        return CHAOS_BAD;
    }
    return chaos_settle(c, ref, s);
}

static int load_buffer(chaos_ctx *c, const char *text, size_t len, int expect, char **ref)
{
    engrate_error err;
    chaos_begin(c);
    engrate_model *m = engrate_model_load_buffer(text, len, "chaos.model", 0, &err);
    chaos_end(c);
    return model_outcome(c, m, &err, expect, ref);
}

static int op_load_example(chaos_ctx *c)
{
    return load_buffer(c, chaos.example, chaos.example_len, 0, &ref_load[0]);
}
static int op_load_messy(chaos_ctx *c)
{
    return load_buffer(c, chaos.messy, chaos.messy_len, 0, &ref_load[1]);
}
static int op_load_jp(chaos_ctx *c)
{
    return load_buffer(c, chaos.jp_text, strlen(chaos.jp_text), 0, &ref_load[2]);
}
/* The jp model with a bad number on its last line: the error path frees all of it. */
static int op_load_bad(chaos_ctx *c)
{
    return load_buffer(c, chaos.jp_bad, strlen(chaos.jp_bad), ENGRATE_E_NUMBER, &ref_load[4]);
}

static int op_load_file(chaos_ctx *c)
{
    engrate_error err;
    chaos_begin(c);
    engrate_model *m = engrate_model_load(chaos.jp_model_path, 0, &err);
    chaos_end(c);
    return model_outcome(c, m, &err, 0, &ref_load[3]);
}

static int op_to_string(chaos_ctx *c)
{
    engrate_error err;
    size_t len = 0;
    chaos_begin(c);
    char *s = engrate_model_to_string(chaos.jp_model, &len, &err);
    chaos_end(c);
    if (!s)
        return chaos_expect_nomem("engrate_model_to_string", ENGRATE_E_NOMEM, &err);
    if (len != strlen(s)) {
        fprintf(stderr, "  engrate_model_to_string: length %zu for %zu bytes\n", len,
                strlen(s));
        engrate_string_free(s);
        return CHAOS_BAD;
    }
    chaos_buf b = {0};
    chaos_printf(&b, "%s", s);
    engrate_string_free(s);
    return chaos_settle(c, &ref_write[0], b.s);
}

/* The directory must hold the target alone: no temporary file left beside it. */
static int dir_clean(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int ok = d != NULL;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, name)) {
            fprintf(stderr, "  left behind: %s/%s\n", dir, e->d_name);
            ok = 0;
        }
    if (d)
        closedir(d);
    return ok;
}

/* Saving: the target is the old file after a failure and the new one after success. */
static int save_outcome(chaos_ctx *c, int rc, const engrate_error *err, const char *path,
                        char **ref)
{
    char *now = test_read(path, NULL);
    const char *name = strrchr(path, '/') + 1;
    int clean = dir_clean(chaos.save_dir, name);
    if (!now || !clean) {
        free(now);
        return CHAOS_BAD;
    }
    if (rc == 0)
        return chaos_settle(c, ref, now);
    int ok = strcmp(now, "old\n") == 0;
    if (!ok)
        fprintf(stderr, "  a failed save changed the file\n");
    free(now);
    return ok ? chaos_expect_nomem("save", rc, err) : CHAOS_BAD;
}

static int op_save(chaos_ctx *c)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/jp.model", chaos.save_dir);
    if (chaos_write_file(path, "old\n", 4))
        return CHAOS_BAD;
    engrate_error err;
    chaos_begin(c);
    int rc = engrate_model_save(chaos.jp_model, path, 0, &err);
    chaos_end(c);
    int out = save_outcome(c, rc, &err, path, &ref_write[1]);
    unlink(path);
    return out;
}

static int op_report_save(chaos_ctx *c)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/report.json", chaos.save_dir);
    if (chaos_write_file(path, "old\n", 4))
        return CHAOS_BAD;
    engrate_error err;
    chaos_begin(c);
    int rc = engrate_train_report_save(chaos.jp_report, path, &err);
    chaos_end(c);
    int out = save_outcome(c, rc, &err, path, &ref_write[2]);
    unlink(path);
    return out;
}

/* ---- Estimates ---------------------------------------------------------------------- */

static char *ref_est[5];

static void put_result(chaos_buf *b, const engrate_result *r)
{
    chaos_printf(b, "estimate %a low %a high %a level %a flags %u\n",
                 engrate_result_estimate(r), engrate_result_low(r), engrate_result_high(r),
                 engrate_result_level(r), engrate_result_flags(r));
    for (size_t i = 0; i < engrate_result_contribution_count(r); i++)
        chaos_printf(
            b, "term %zu %zu %a %a %u\n", engrate_result_contribution_input(r, i),
            engrate_result_contribution_level(r, i), engrate_result_contribution_amount(r, i),
            engrate_result_contribution_value(r, i), engrate_result_contribution_flags(r, i));
    for (size_t i = 0; i < engrate_result_unknown_count(r); i++)
        chaos_printf(b, "unknown %zu %s\n", engrate_result_unknown_input(r, i),
                     engrate_result_unknown_name(r, i));
    for (size_t i = 0; i < engrate_result_aliased_count(r); i++)
        chaos_printf(b, "aliased %zu %zu %s\n", engrate_result_aliased_input(r, i),
                     engrate_result_aliased_level(r, i), engrate_result_aliased_given(r, i));
}

static int op_query_new(chaos_ctx *c)
{
    engrate_error err;
    chaos_begin(c);
    engrate_query *q = engrate_query_new(chaos.jp_model, &err);
    chaos_end(c);
    if (!q)
        return chaos_expect_nomem("engrate_query_new", ENGRATE_E_NOMEM, &err);
    engrate_query_free(q);
    chaos_buf b = {0};
    chaos_printf(&b, "query");
    return chaos_settle(c, &ref_est[0], b.s);
}

static int op_result_new(chaos_ctx *c)
{
    engrate_error err;
    chaos_begin(c);
    engrate_result *r = engrate_result_new(chaos.jp_model, &err);
    chaos_end(c);
    if (!r)
        return chaos_expect_nomem("engrate_result_new", ENGRATE_E_NOMEM, &err);
    engrate_result_free(r);
    chaos_buf b = {0};
    chaos_printf(&b, "result");
    return chaos_settle(c, &ref_est[1], b.s);
}

/* Names as users give them: an alias in Japanese, ids in another case, an unknown skill. */
static const char *const q_names[][2] = {{"role", "プロマネ"},     {"skills", "Java"},
                                         {"skills", "python"},     {"skills", "謎のスキル"},
                                         {"skills", "AWS"},        {"certs", "PMP"},
                                         {"certs", "unknown-cert"}};

static int op_estimate(chaos_ctx *c)
{
    engrate_error err;
    engrate_query *q = engrate_query_new(chaos.jp_model, NULL);
    engrate_result *r = engrate_result_new(chaos.jp_model, NULL);
    if (!q || !r)
        abort();
    enum { N_NAMES = sizeof q_names / sizeof q_names[0] };
    int rcs[N_NAMES], rc = 0;
    size_t added = 0;
    chaos_begin(c);
    for (; added < N_NAMES && rc >= 0; added++)
        rc = rcs[added] = engrate_query_add(q, q_names[added][0], q_names[added][1], NULL, &err);
    if (rc >= 0)
        rc = engrate_query_set_number(q, "years", 7.5, &err);
    if (rc >= 0)
        rc = engrate_estimate(q, 0, r, &err);
    chaos_end(c);
    chaos_buf b = {0};
    for (size_t i = 0; i < added; i++)
        chaos_printf(&b, "add %s %d\n", q_names[i][1], rcs[i]);
    int out;
    if (rc < 0) {
        out = chaos_expect_nomem("query and estimate", rc, &err);
        if (engrate_result_contribution_count(r) != 0) {
            fprintf(stderr, "  a failed estimate left a result\n");
            out = CHAOS_BAD;
        }
        free(b.s);
    } else {
        put_result(&b, r);
        out = chaos_settle(c, &ref_est[2], b.s);
    }
    engrate_query_free(q);
    engrate_result_free(r);
    return out;
}

static const char *const p_skills[] = {"Java", "python", "謎のスキル"};
static const char *const p_certs[] = {"PMP"};

static int op_profile(chaos_ctx *c)
{
    engrate_error err;
    engrate_result *r = engrate_result_new(chaos.jp_model, NULL);
    if (!r)
        abort();
    double years = 4;
    chaos_begin(c);
    int rc = engrate_estimate_profile(chaos.jp_model, "プロマネ", p_skills, 3, p_certs, 1,
                                      &years, 0, r, &err);
    chaos_end(c);
    int out;
    if (rc < 0) {
        out = chaos_expect_nomem("engrate_estimate_profile", rc, &err);
    } else {
        chaos_buf b = {0};
        chaos_printf(&b, "rc %d\n", rc);
        put_result(&b, r);
        out = chaos_settle(c, &ref_est[3], b.s);
    }
    engrate_result_free(r);
    return out;
}

/* A batch: a profile that runs out of memory fails alone (status ENGRATE_E_NOMEM, NaN
 * outputs) and the others are the reference's; the call fails as a whole only when its one
 * result cannot be made. */
enum { B_N = 3 };
static const char *const b_roles[B_N] = {"プロマネ", "se", NULL};
static const char *const b_skills[] = {"Java", "謎のスキル", "AWS", "Go"};
static const size_t b_skill_off[B_N + 1] = {0, 2, 3, 4};
static const char *const b_certs[] = {"PMP", "unknown-cert"};
static const size_t b_cert_off[B_N + 1] = {0, 1, 1, 2};
static const double b_years[B_N] = {10, NAN, 2};
static char *ref_batch[B_N];
static int ref_batch_rc;
static size_t ref_batch_failed;

static int op_batch(chaos_ctx *c)
{
    engrate_error err;
    double est[B_N], lo[B_N], hi[B_N];
    unsigned fl[B_N];
    int st[B_N];
    size_t n_failed = 0;
    chaos_begin(c);
    int rc =
        engrate_estimate_batch(chaos.jp_model, B_N, b_roles, b_skills, b_skill_off, b_certs,
                               b_cert_off, b_years, 0, est, lo, hi, fl, st, &n_failed, &err);
    chaos_end(c);
    if (rc < 0 && n_failed == 0) /* the call itself failed: nothing written */
        return chaos_expect_nomem("engrate_estimate_batch", rc, &err);
    int nomem = 0, bad = 0;
    for (size_t i = 0; i < B_N; i++) {
        chaos_buf b = {0};
        chaos_printf(&b, "%d %a %a %a %u", st[i], est[i], lo[i], hi[i], fl[i]);
        if (c->fail_at == 0) {
            free(ref_batch[i]);
            ref_batch[i] = b.s;
            continue;
        }
        if (st[i] == ENGRATE_E_NOMEM && isnan(est[i]) && fl[i] == 0)
            nomem++;
        else if (strcmp(b.s, ref_batch[i]) != 0) {
            fprintf(stderr, "  profile %zu: %s, reference %s\n", i, b.s, ref_batch[i]);
            bad = 1;
        }
        free(b.s);
    }
    if (c->fail_at == 0) {
        ref_batch_rc = rc;
        ref_batch_failed = n_failed;
    }
    /* The call returns its first failure's code and counts the failures. */
    int want_rc = ref_batch_rc ? ref_batch_rc : nomem ? ENGRATE_E_NOMEM : 0;
    if (bad || n_failed != ref_batch_failed + (size_t)nomem ||
        (ref_batch_rc == 0 && rc != want_rc)) {
        fprintf(stderr, "  batch returned %d with %zu failed, reference %d with %zu, %d out of "
                        "memory\n", rc, n_failed, ref_batch_rc, ref_batch_failed, nomem);
        return CHAOS_BAD;
    }
    if (nomem && ref_batch_rc == 0)
        return chaos_expect_nomem("engrate_estimate_batch's first failure", err.code, &err);
    return nomem ? CHAOS_NOMEM : CHAOS_SAME;
}

/* ---- Growth ------------------------------------------------------------------------- */

/* Work that must grow in proportion to the input, counted rather than timed (a busy
 * machine stretches times at will; bench/engrate-bench gives the times): loading 1,000,
 * 10,000 and 100,000 levels of three names each, and a profile of 1,000, 10,000 and
 * 100,000 skills (six names over and over, two of them unknown). Ten times the input may
 * take at most 20 times the allocations and the bytes asked for: linear work gives 10 (up
 * to 16 where a table doubles once more), work that is quadratic in the input 100. */

typedef struct work {
    unsigned long allocations;
    unsigned long long bytes;
} work;

static int load_levels(int n, work *w)
{
    chaos_buf b = {0};
    chaos_printf(&b, "engrate-model 1\n[model]\nname = many\ncurrency = JPY\nperiod = month\n"
                     "transform = log\nintercept = 13\n[interval]\nlevel = 0.8\nlow = -0.2\n"
                     "high = 0.2\n[input skills]\nkind = set\nlevels = %d\n",
                 n);
    for (int l = 0; l < n; l++)
        chaos_printf(&b, "[level s%d]\ncoef = 0.001\nname.en = Skill %d\nalias = alias %d\n", l,
                     l, l);
    engrate_error err;
    chaos_arm(0, 0);
    engrate_model *m = engrate_model_load_buffer(b.s, b.n, "many", 0, &err);
    w->allocations = chaos_count();
    w->bytes = chaos_bytes();
    chaos_disarm();
    free(b.s);
    if (!m)
        fprintf(stderr, "  %d levels: %s\n", n, err.text);
    engrate_model_free(m);
    return m ? 0 : -1;
}

static int profile_skills(size_t n, work *w)
{
    static const char *const pool[] = {"java", "Python", "Ｊａｖａ", "cobol", "", " java "};
    const char **skills = malloc(n * sizeof *skills);
    engrate_result *r = engrate_result_new(chaos.jp_model, NULL);
    if (!skills || !r)
        abort();
    for (size_t i = 0; i < n; i++)
        skills[i] = pool[i % 6];
    engrate_error err;
    double years = 5;
    chaos_arm(0, 0);
    int rc = engrate_estimate_profile(chaos.jp_model, "pm", skills, n, NULL, 0, &years, 0, r,
                                      &err);
    w->allocations = chaos_count();
    w->bytes = chaos_bytes();
    chaos_disarm();
    if (rc < 0)
        fprintf(stderr, "  %zu skills: %s\n", n, err.text);
    engrate_result_free(r);
    free(skills);
    return rc < 0 ? -1 : 0;
}

static int grows_linearly(const char *what, const int *sizes, const work *w, size_t k)
{
    int bad = 0;
    printf("%-22s", what);
    for (size_t i = 0; i < k; i++)
        printf(" %d: %lu allocations, %llu bytes%s", sizes[i], w[i].allocations, w[i].bytes,
               i + 1 < k ? ";" : "\n");
    for (size_t i = 1; i < k; i++) {
        if (w[i].allocations > 20 * w[i - 1].allocations + 20 ||
            w[i].bytes > 20 * w[i - 1].bytes + 4096) {
            fprintf(stderr, "FAIL: %s: 10 times the input took more than 20 times the work\n",
                    what);
            bad = 1;
        }
    }
    return bad;
}

int chaos_growth(void)
{
    static const int sizes[] = {1000, 10000, 100000};
    work load[3], profile[3];
    for (size_t i = 0; i < 3; i++)
        if (load_levels(sizes[i], &load[i]) || profile_skills((size_t)sizes[i], &profile[i]))
            return 1;
    int bad = grows_linearly("growth: load, levels", sizes, load, 3);
    bad |= grows_linearly("growth: profile, skills", sizes, profile, 3);
    return bad;
}

/* ---- The list ----------------------------------------------------------------------- */

const chaos_op chaos_model_ops[] = {
    {"load buffer example", op_load_example},
    {"load buffer messy", op_load_messy},
    {"load buffer jp", op_load_jp},
    {"load buffer bad number", op_load_bad},
    {"load file jp", op_load_file},
    {"to_string jp", op_to_string},
    {"save jp", op_save},
    {"report_save", op_report_save},
    {"query_new", op_query_new},
    {"result_new", op_result_new},
    {"query and estimate", op_estimate},
    {"estimate_profile", op_profile},
    {"estimate_batch", op_batch},
};
const size_t chaos_n_model_ops = sizeof chaos_model_ops / sizeof chaos_model_ops[0];

void chaos_model_free(void)
{
    char **all[] = {ref_load, ref_write, ref_est, ref_batch};
    size_t counts[] = {5, 3, 5, B_N};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        for (size_t i = 0; i < counts[k]; i++)
            free(all[k][i]);
}
