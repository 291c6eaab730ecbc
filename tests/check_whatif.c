/* check_whatif.c: what-if (lib/whatif.c). For every profile of a test set, on every model
 * of the tree (the default model included), the ranking equals a brute-force loop over all
 * candidates through engrate_estimate, bit for bit; the greedy path to a target is checked
 * step by step the same way and against every smaller combination of changes; a linear
 * model's figures are worked out by hand; bad arguments; threads sharing a model. The
 * candidates are enumerated here from the rules in engrate.h, not from the library's. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>

#include <engrate.h>

#include "testutil.h"

/* ENGRATE_TEST_LIGHT=1 (make check-valgrind, tests/tsan.sh): fewer profiles. */
static int light(void)
{
    const char *v = getenv("ENGRATE_TEST_LIGHT");
    return v && *v && strcmp(v, "0") != 0;
}

static engrate_model *load(const char *path)
{
    engrate_error err;
    engrate_model *m = engrate_model_load(path, 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    return m;
}

/* A model of random coefficients of every size, whose sums depend on the order of their
 * terms in the last bits, so that a candidate summed in another order than the estimate's
 * shows: the models of the tree have coefficients that happen to add up the same in any
 * order. */
static uint64_t coef_state;
static double coef(double scale) /* in [-0.4, 0.6) * scale, every bit random */
{
    coef_state = coef_state * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(coef_state >> 11) * 0x1p-53 - 0.4) * scale;
}

typedef struct text {
    char s[16384];
    size_t n;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    t->n += (size_t)vsnprintf(t->s + t->n, sizeof t->s - t->n, fmt, ap);
    va_end(ap);
    ck_assert_uint_lt(t->n, sizeof t->s - 1);
}

/* by: years vary by role, the first six roles with curves of their own. */
static engrate_model *random_model(int transform_log, int by)
{
    static text t;
    double scale = transform_log ? 0.3 : 300;
    t.n = 0;
    coef_state = transform_log ? 0x243F6A8885A308D3ull : 0x13198A2E03707344ull;
    put(&t, "engrate-model 2\n[model]\nname = random\ncurrency = JPY\nperiod = month\n"
            "transform = %s\nintercept = %.17g\n[interval]\nlevel = 0.8\nlow = -0.2\n"
            "high = 0.3\n",
        transform_log ? "log" : "none", (transform_log ? 13 : 4000) + coef(scale));
    put(&t, "[input role]\nkind = categorical\nreference = %.17g\nlevels = 8\n", coef(scale));
    for (int l = 0; l < 8; l++)
        put(&t, "[level r%d]\ncoef = %.17g\n", l, coef(scale));
    put(&t, "[input skills]\nkind = set\nreference = %.17g\nlevels = 24\n", coef(scale));
    for (int l = 0; l < 24; l++) {
        if (l % 5 == 4)
            put(&t, "[level s%d]\ncoef = 0\nevidence = none\n", l);
        else
            put(&t, "[level s%d]\ncoef = %.17g\n", l, coef(scale));
    }
    double c0 = coef(scale), c1 = coef(scale), c2 = coef(scale);
    put(&t, "[input years]\nkind = numeric\nmin = 0\nmax = 30\ndefault = 5\nknots = 3 7.5\n"
            "coef = %.17g %.17g %.17g\nreference = 6\n", c0, c1, c2);
    if (by) {
        put(&t, "by = role\n");
        for (int l = 0; l < 6; l++) {
            double d0 = coef(scale / 3), d1 = coef(scale / 3), d2 = coef(scale / 3);
            put(&t, "by.r%d = %.17g %.17g %.17g\n", l, d0, d1, d2);
        }
    }
    put(&t, "[input tools]\nkind = set\nreference = %.17g\nlevels = 6\n", coef(scale));
    for (int l = 0; l < 6; l++)
        put(&t, "[level t%d]\ncoef = %.17g\n", l, coef(scale / 7));
    engrate_error err;
    engrate_model *m = engrate_model_load_buffer(t.s, t.n, "random", 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    return m;
}

/* The models: the ones in the source tree, the default model as built (make check runs in
 * the build directory; top_builddir says where it is), and four of random coefficients,
 * two of them with years that vary by role. */
#define N_TREE 6
static engrate_model *load_nth(int k)
{
    if (k > N_TREE)
        return random_model((k - N_TREE) % 2, k > N_TREE + 2);
    static const char *const rel[N_TREE] = {"models/example.model",
                                            "tests/data/model/valid/linear/input.model",
                                            "tests/data/model/valid/messy/input.model",
                                            "tests/data/model/valid/reference/input.model",
                                            "tests/data/model/valid/reference-log/input.model",
                                            "tests/data/model/valid/by-level/input.model"};
    if (k < N_TREE)
        return load(test_path(rel[k]));
    char path[4096];
    const char *b = getenv("top_builddir");
    snprintf(path, sizeof path, "%s/models/jp-freelance.model", b && *b ? b : ".");
    return load(path);
}
#define N_MODELS (N_TREE + 5)

/* ---- Profiles, estimated through the public query API ------------------------------- */

#define MAX_IN 8
#define MAX_SET 40

typedef struct profile {
    int level[MAX_IN];            /* categorical: level or -1 */
    size_t set[MAX_IN][MAX_SET];  /* set: levels, in the order given */
    size_t n_set[MAX_IN];
    int has_number[MAX_IN];
    double number[MAX_IN];
} profile;

typedef struct est {
    double estimate, low, high;
} est;

static est estimate(const engrate_model *m, const profile *p)
{
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_nonnull(r);
    for (size_t i = 0; i < engrate_model_input_count(m); i++) {
        if (p->level[i] >= 0)
            ck_assert_int_eq(engrate_query_add_level(q, i, (size_t)p->level[i], &err), 0);
        for (size_t k = 0; k < p->n_set[i]; k++)
            ck_assert_int_eq(engrate_query_add_level(q, i, p->set[i][k], &err), 0);
        if (p->has_number[i])
            ck_assert_int_eq(engrate_query_set_number_at(q, i, p->number[i], &err), 0);
    }
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    est e = {engrate_result_estimate(r), engrate_result_low(r), engrate_result_high(r)};
    engrate_query_free(q);
    engrate_result_free(r);
    return e;
}

static engrate_query *query_of(const engrate_model *m, const profile *p)
{
    engrate_query *q = engrate_query_new(m, NULL);
    ck_assert_ptr_nonnull(q);
    for (size_t i = 0; i < engrate_model_input_count(m); i++) {
        if (p->level[i] >= 0)
            engrate_query_add_level(q, i, (size_t)p->level[i], NULL);
        for (size_t k = 0; k < p->n_set[i]; k++)
            engrate_query_add_level(q, i, p->set[i][k], NULL);
        if (p->has_number[i])
            engrate_query_set_number_at(q, i, p->number[i], NULL);
    }
    return q;
}

static uint64_t rng_state = 0x5DEECE66Dull;
static uint64_t rnd(uint64_t n)
{
    uint64_t x = rng_state += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return (x ^ (x >> 31)) % n;
}

static int has(const profile *p, size_t i, size_t l)
{
    for (size_t k = 0; k < p->n_set[i]; k++)
        if (p->set[i][k] == l)
            return 1;
    return 0;
}

/* A random profile: no role one time in five, up to 6 set levels (evidence or not), years
 * not given one time in six, else anywhere from 3 below the range to 3 above it. */
static void random_profile(const engrate_model *m, profile *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < engrate_model_input_count(m); i++) {
        size_t nl = engrate_input_level_count(m, i);
        p->level[i] = -1;
        switch (engrate_input_kind(m, i)) {
        case ENGRATE_CATEGORICAL:
            if (nl && rnd(5))
                p->level[i] = (int)rnd(nl);
            break;
        case ENGRATE_SET: {
            size_t want = nl ? rnd(nl < 6 ? nl + 1 : 7) : 0;
            while (p->n_set[i] < want) {
                size_t l = rnd(nl);
                if (!has(p, i, l))
                    p->set[i][p->n_set[i]++] = l;
            }
            break;
        }
        default: {
            if (!rnd(6))
                break;
            double lo = engrate_input_min(m, i), hi = engrate_input_max(m, i);
            uint64_t how = rnd(4);
            p->has_number[i] = 1;
            p->number[i] = how == 0   ? hi
                           : how == 1 ? floor(lo + (double)rnd((uint64_t)(hi - lo) + 1))
                                      : lo - 3 + (hi - lo + 6) * (double)rnd(1000) / 999;
        }
        }
    }
}

/* ---- Candidates, enumerated here from engrate.h's rules ---------------------------- */

typedef struct cand {
    int change;
    size_t input, level; /* level: SIZE_MAX for a numeric change */
    double value, step;
    unsigned flags;
    est e;
} cand;

#define MAX_CANDS 600

typedef struct options {
    const unsigned char *vary; /* per input, NULL: all */
    const double *steps;
    size_t n_steps;
    int all_levels;            /* ENGRATE_WHATIF_NO_EVIDENCE */
    const unsigned char *done; /* per input changed along a path, NULL: none */
    int additions;             /* a path's candidates: no categorical input */
} options;

static double clamp(const engrate_model *m, size_t i, double x)
{
    double lo = engrate_input_min(m, i), hi = engrate_input_max(m, i);
    return x < lo ? lo : x > hi ? hi : x;
}

static size_t enumerate(const engrate_model *m, const profile *p, const options *o, cand *c)
{
    size_t n = 0;
    for (size_t i = 0; i < engrate_model_input_count(m); i++) {
        int kind = engrate_input_kind(m, i);
        if ((o->vary && !o->vary[i]) || (o->done && o->done[i]) ||
            (o->additions && kind == ENGRATE_CATEGORICAL))
            continue;
        if (kind == ENGRATE_NUMERIC) {
            if (!p->has_number[i])
                continue;
            double x0 = clamp(m, i, p->number[i]);
            for (size_t s = 0; s < o->n_steps; s++) {
                double x = x0 + o->steps[s], xc = clamp(m, i, x);
                int seen = xc == x0;
                for (size_t k = 0; k < n; k++)
                    seen |= c[k].input == i && c[k].value == xc;
                if (seen)
                    continue;
                profile q = *p;
                q.number[i] = x; /* the estimate clamps it */
                c[n++] = (cand){ENGRATE_CHANGE_NUMBER, i, SIZE_MAX, xc, o->steps[s],
                                xc != x ? ENGRATE_FLAG_CLAMPED : 0u, estimate(m, &q)};
            }
            continue;
        }
        for (size_t l = 0; l < engrate_input_level_count(m, i); l++) {
            unsigned f = engrate_level_flags(m, i, l) & ENGRATE_LEVEL_NO_EVIDENCE
                             ? ENGRATE_FLAG_NO_EVIDENCE : 0u;
            if ((f && !o->all_levels) ||
                (kind == ENGRATE_CATEGORICAL ? p->level[i] == (int)l : has(p, i, l)))
                continue;
            profile q = *p;
            if (kind == ENGRATE_CATEGORICAL)
                q.level[i] = (int)l;
            else
                q.set[i][q.n_set[i]++] = l;
            c[n++] = (cand){kind == ENGRATE_SET ? ENGRATE_CHANGE_ADD : ENGRATE_CHANGE_LEVEL, i, l,
                            NAN, NAN, f, estimate(m, &q)};
        }
    }
    ck_assert_uint_le(n, MAX_CANDS);
    return n;
}

/* Highest estimate first, ties in candidate order (a stable insertion sort). */
static void sort(cand *c, size_t n)
{
    for (size_t a = 1; a < n; a++) {
        cand v = c[a];
        size_t b = a;
        while (b > 0 && c[b - 1].e.estimate < v.e.estimate) {
            c[b] = c[b - 1];
            b--;
        }
        c[b] = v;
    }
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Record i of w is candidate c, to the bit, measured from `from`. */
static void check_record(const engrate_whatif *w, size_t i, const cand *c, double from)
{
    size_t input = 99, level = 99;
    ck_assert_int_eq(engrate_whatif_change(w, i), c->change);
    ck_assert_int_eq(engrate_whatif_input(w, i, &input), 0);
    ck_assert_uint_eq(input, c->input);
    if (c->change == ENGRATE_CHANGE_NUMBER) {
        ck_assert_int_eq(engrate_whatif_level(w, i, &level), ENGRATE_E_INVALID);
        ck_assert(same_bits(engrate_whatif_value(w, i), c->value));
        ck_assert(same_bits(engrate_whatif_step(w, i), c->step));
    } else {
        ck_assert_int_eq(engrate_whatif_level(w, i, &level), 0);
        ck_assert_uint_eq(level, c->level);
        ck_assert(isnan(engrate_whatif_value(w, i)));
    }
    ck_assert_uint_eq(engrate_whatif_flags(w, i), c->flags);
    ck_assert_msg(same_bits(engrate_whatif_estimate(w, i), c->e.estimate), "%.17g != %.17g",
                  engrate_whatif_estimate(w, i), c->e.estimate);
    ck_assert(same_bits(engrate_whatif_low(w, i), c->e.low));
    ck_assert(same_bits(engrate_whatif_high(w, i), c->e.high));
    double delta = c->e.estimate - from;
    ck_assert(same_bits(engrate_whatif_delta(w, i), delta));
    ck_assert(same_bits(engrate_whatif_delta_pct(w, i), delta / from * 100));
}

/* ---- Rankings against brute force --------------------------------------------------- */

static const double default_steps[] = {1, 3, 5};

/* One profile: every candidate with and without no-evidence levels, the top 3, and with
 * other steps and some inputs only. */
static void check_profile(const engrate_model *m, engrate_whatif *w, const profile *p)
{
    static cand c[MAX_CANDS];
    engrate_error err;
    engrate_query *q = query_of(m, p);
    double from = estimate(m, p).estimate;
    for (int all = 0; all < 2; all++) {
        options o = {NULL, default_steps, 3, all, NULL, 0};
        size_t n = enumerate(m, p, &o, c);
        sort(c, n);
        unsigned flags = all ? ENGRATE_WHATIF_NO_EVIDENCE : 0;
        ck_assert_int_eq(engrate_whatif_run(w, q, 0, flags, &err), 0);
        ck_assert_uint_eq(engrate_whatif_count(w), n);
        ck_assert(same_bits(engrate_result_estimate(engrate_whatif_result(w)), from));
        for (size_t i = 0; i < n; i++)
            check_record(w, i, &c[i], from);
        ck_assert_int_eq(engrate_whatif_run(w, q, 3, flags, &err), 0);
        ck_assert_uint_eq(engrate_whatif_count(w), n < 3 ? n : 3);
        for (size_t i = 0; i < engrate_whatif_count(w); i++)
            check_record(w, i, &c[i], from);
    }
    /* Other steps (one negative, one that may clamp), on the inputs of even index. */
    static const double steps[] = {-2, 0.5, 40, 3};
    unsigned char vary[MAX_IN] = {0};
    size_t idx[MAX_IN], ni = 0;
    for (size_t i = 0; i < engrate_model_input_count(m); i += 2)
        vary[idx[ni++] = i] = 1;
    ck_assert_int_eq(engrate_whatif_set_steps(w, steps, 4, &err), 0);
    ck_assert_int_eq(engrate_whatif_set_inputs(w, idx, ni, &err), 0);
    options o = {vary, steps, 4, 0, NULL, 0};
    size_t n = enumerate(m, p, &o, c);
    sort(c, n);
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, 0, &err), 0);
    ck_assert_uint_eq(engrate_whatif_count(w), n);
    for (size_t i = 0; i < n; i++)
        check_record(w, i, &c[i], from);
    ck_assert_int_eq(engrate_whatif_set_steps(w, NULL, 0, &err), 0); /* back to 1, 3, 5 */
    ck_assert_int_eq(engrate_whatif_set_inputs(w, NULL, 0, &err), 0);
    engrate_query_free(q);
}

START_TEST(ranking_equals_brute_force)
{
    engrate_model *m = load_nth(_i);
    engrate_whatif *w = engrate_whatif_new(m, NULL);
    ck_assert_ptr_nonnull(w);
    ck_assert_uint_le(engrate_model_input_count(m), MAX_IN);
    for (int k = 0; k < (light() ? 12 : 150); k++) {
        profile p;
        random_profile(m, &p);
        check_profile(m, w, &p);
    }
    engrate_whatif_free(w);
    engrate_model_free(m);
}
END_TEST

/* ---- Paths to a target -------------------------------------------------------------- */

static void apply(profile *p, const cand *c)
{
    if (c->change == ENGRATE_CHANGE_NUMBER)
        p->number[c->input] = c->value;
    else if (c->change == ENGRATE_CHANGE_LEVEL)
        p->level[c->input] = (int)c->level;
    else
        p->set[c->input][p->n_set[c->input]++] = c->level;
}

/* Whether some `k` of the additions c[from..n), at most one per numeric input, bring p to
 * `rate`. */
static int reachable(const engrate_model *m, const profile *p, const cand *c, size_t n,
                     size_t from, size_t k, double rate, unsigned char *used)
{
    if (estimate(m, p).estimate >= rate)
        return 1;
    if (k == 0)
        return 0;
    for (size_t j = from; j < n; j++) {
        if (c[j].change != ENGRATE_CHANGE_ADD && used[c[j].input])
            continue;
        profile q = *p;
        apply(&q, &c[j]);
        used[c[j].input]++;
        int ok = reachable(m, &q, c, n, j + 1, k - 1, rate, used);
        used[c[j].input]--;
        if (ok)
            return 1;
    }
    return 0;
}

/* The path: each step is the best addition to the profile so far (brute force: no role
 * changes, a numeric input raised once), its numbers are the estimate call's for the
 * changes so far, and no fewer additions reach the rate (every combination tried, on the
 * smaller models). */
static void check_path(const engrate_model *m, engrate_whatif *w, const profile *p0,
                       double rate, size_t max_changes, int exhaustive)
{
    static cand c[MAX_CANDS];
    engrate_error err;
    engrate_query *q = query_of(m, p0);
    ck_assert_int_eq(engrate_whatif_target(w, q, rate, max_changes, 0, &err), 0);
    size_t n = engrate_whatif_count(w);
    profile p = *p0;
    unsigned char done[MAX_IN] = {0};
    double now = estimate(m, &p).estimate;
    for (size_t s = 0; s < n; s++) {
        ck_assert(now < rate);
        options o = {NULL, default_steps, 3, 0, done, 1};
        size_t nc = enumerate(m, &p, &o, c);
        sort(c, nc);
        ck_assert(nc > 0 && c[0].e.estimate > now);
        check_record(w, s, &c[0], now);
        apply(&p, &c[0]);
        if (c[0].change != ENGRATE_CHANGE_ADD)
            done[c[0].input] = 1;
        ck_assert(same_bits(estimate(m, &p).estimate, c[0].e.estimate));
        now = c[0].e.estimate;
    }
    ck_assert_int_eq(engrate_whatif_reached(w), now >= rate);
    if (!(now >= rate) && (max_changes == 0 || n < max_changes)) { /* stopped: nothing helps */
        options o = {NULL, default_steps, 3, 0, done, 1};
        size_t nc = enumerate(m, &p, &o, c);
        sort(c, nc);
        ck_assert(nc == 0 || !(c[0].e.estimate > now));
    }
    if (exhaustive && n > 0) {
        options o = {NULL, default_steps, 3, 0, NULL, 1};
        size_t nc = enumerate(m, p0, &o, c);
        unsigned char used[MAX_IN] = {0};
        size_t fewer = now >= rate ? n - 1 : n; /* not reached: not even with n */
        ck_assert_msg(!reachable(m, p0, c, nc, 0, fewer, rate, used),
                      "fewer than %zu changes reach %g", n, rate);
    }
    engrate_query_free(q);
}

START_TEST(path_to_target)
{
    engrate_model *m = load_nth(_i);
    engrate_whatif *w = engrate_whatif_new(m, NULL);
    int small = _i < N_TREE; /* every combination on the small models only */
    static const double factors[] = {0.9, 1.05, 1.3, 2, 1e6};
    for (int k = 0; k < (light() ? 4 : small ? 40 : 15); k++) {
        profile p;
        random_profile(m, &p);
        double e = estimate(m, &p).estimate;
        for (size_t f = 0; f < sizeof factors / sizeof factors[0]; f++) {
            check_path(m, w, &p, e * factors[f], 0, small);
            check_path(m, w, &p, e * factors[f], 2, small);
        }
    }
    engrate_whatif_free(w);
    engrate_model_free(m);
}
END_TEST

/* ---- Figures worked out by hand ------------------------------------------------------ */

START_TEST(linear_model_by_hand)
{
    /* tests/data/model/valid/linear: 400 + role (dev 100, ops -25) + 20x - 10(x-2)+ -
     * 5(x-10)+, x in [0, 30]. Ops with 1 year: 400 - 25 + 20 = 395. The changes: dev
     * 400 + 100 + 20 = 520 (+125, +31.6455...%); 6 years 400 - 25 + 80 = 455 (+60); 4 years
     * 400 - 25 + 60 = 435 (+40); 2 years 400 - 25 + 40 = 415 (+20). */
    engrate_model *m = load(test_path("tests/data/model/valid/linear/input.model"));
    engrate_error err;
    engrate_whatif *w = engrate_whatif_new(m, &err);
    engrate_query *q = engrate_query_new(m, &err);
    ck_assert_int_eq(engrate_query_add(q, "role", "ops", NULL, &err), 0);
    ck_assert_int_eq(engrate_query_set_number(q, "years", 1, &err), 0);
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, 0, &err), 0);
    ck_assert_uint_eq(engrate_whatif_count(w), 4);
    const double want[] = {520, 455, 435, 415}, delta[] = {125, 60, 40, 20};
    const int change[] = {ENGRATE_CHANGE_LEVEL, ENGRATE_CHANGE_NUMBER, ENGRATE_CHANGE_NUMBER,
                          ENGRATE_CHANGE_NUMBER};
    const double value[] = {NAN, 6, 4, 2}, step[] = {NAN, 5, 3, 1};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_double_eq(engrate_whatif_estimate(w, i), want[i]);
        ck_assert_double_eq(engrate_whatif_low(w, i), want[i] - 50);
        ck_assert_double_eq(engrate_whatif_high(w, i), want[i] + 60);
        ck_assert_double_eq(engrate_whatif_delta(w, i), delta[i]);
        ck_assert_double_eq_tol(engrate_whatif_delta_pct(w, i), delta[i] / 395 * 100, 1e-12);
        ck_assert_int_eq(engrate_whatif_change(w, i), change[i]);
        if (i > 0) {
            ck_assert_double_eq(engrate_whatif_value(w, i), value[i]);
            ck_assert_double_eq(engrate_whatif_step(w, i), step[i]);
        }
    }
    ck_assert_double_eq_tol(engrate_whatif_delta_pct(w, 0), 31.645569620253164, 1e-12);
    /* 28 years: curve 560 - 260 - 90 = 210. +1: 29, curve 215; +3: 31, clamped to 30,
     * curve 220; +5: 30 again, left out. */
    ck_assert_int_eq(engrate_query_set_number(q, "years", 28, &err), 0);
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, 0, &err), 0);
    ck_assert_uint_eq(engrate_whatif_count(w), 3);
    ck_assert_double_eq(engrate_whatif_estimate(w, 0), 400 + 100 + 210);
    ck_assert_double_eq(engrate_whatif_value(w, 1), 30);
    ck_assert_double_eq(engrate_whatif_delta(w, 1), 10);
    ck_assert_uint_eq(engrate_whatif_flags(w, 1), ENGRATE_FLAG_CLAMPED);
    ck_assert_double_eq(engrate_whatif_value(w, 2), 29);
    ck_assert_uint_eq(engrate_whatif_flags(w, 2), 0);
    /* Paths from ops, 1 year (395), by additions only (the role stays): to 450, 6 years
     * (455, +60, +15.19%); to 500, the same and no more (years change once): not reached;
     * to 395, nothing to do. */
    ck_assert_int_eq(engrate_query_set_number(q, "years", 1, &err), 0);
    ck_assert_int_eq(engrate_whatif_target(w, q, 450, 0, 0, &err), 0);
    ck_assert_uint_eq(engrate_whatif_count(w), 1);
    ck_assert_int_eq(engrate_whatif_change(w, 0), ENGRATE_CHANGE_NUMBER);
    ck_assert_double_eq(engrate_whatif_value(w, 0), 6);
    ck_assert_double_eq(engrate_whatif_estimate(w, 0), 455);
    ck_assert_double_eq(engrate_whatif_delta(w, 0), 60);
    ck_assert_double_eq_tol(engrate_whatif_delta_pct(w, 0), 60.0 / 395 * 100, 1e-12);
    ck_assert_int_eq(engrate_whatif_reached(w), 1);
    ck_assert_int_eq(engrate_whatif_target(w, q, 500, 0, 0, &err), 0);
    ck_assert_uint_eq(engrate_whatif_count(w), 1);
    ck_assert_int_eq(engrate_whatif_reached(w), 0);
    ck_assert_int_eq(engrate_whatif_target(w, q, 395, 0, 0, &err), 0); /* already there */
    ck_assert_uint_eq(engrate_whatif_count(w), 0);
    ck_assert_int_eq(engrate_whatif_reached(w), 1);
    /* Years only, in steps of 10: 11 years, 220 - 90 - 5 = 125: 400 - 25 + 125 = 500. */
    size_t years = 1;
    const double ten = 10;
    ck_assert_int_eq(engrate_whatif_set_inputs(w, &years, 1, &err), 0);
    ck_assert_int_eq(engrate_whatif_set_steps(w, &ten, 1, &err), 0);
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, 0, &err), 0);
    ck_assert_uint_eq(engrate_whatif_count(w), 1);
    ck_assert_double_eq(engrate_whatif_estimate(w, 0), 500);
    /* Years not given: no step means anything, so no candidates. */
    engrate_query_reset(q);
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, 0, &err), 0);
    ck_assert_uint_eq(engrate_whatif_count(w), 0);
    engrate_query_free(q);
    engrate_whatif_free(w);
    engrate_model_free(m);
}
END_TEST

START_TEST(bad_arguments)
{
    engrate_model *m = load(test_path("models/example.model"));
    engrate_model *other = load(test_path("tests/data/model/valid/linear/input.model"));
    engrate_error err;
    ck_assert_ptr_null(engrate_whatif_new(NULL, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    engrate_whatif *w = engrate_whatif_new(m, &err);
    engrate_query *q = engrate_query_new(m, &err), *q2 = engrate_query_new(other, &err);
    ck_assert_int_eq(engrate_query_add(q, "role", "pm", NULL, &err), 0);
    ck_assert_int_eq(engrate_query_set_number(q, "years", 3, &err), 0);
    /* options refused leave the options as they were */
    size_t bad = 4, two[] = {0, 9};
    ck_assert_int_eq(engrate_whatif_set_inputs(w, &bad, 1, &err), ENGRATE_E_INVALID);
    ck_assert_ptr_nonnull(strstr(err.text, "no input 4"));
    ck_assert_int_eq(engrate_whatif_set_inputs(w, two, 2, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_set_inputs(w, NULL, 1, &err), ENGRATE_E_INVALID);
    double steps[ENGRATE_WHATIF_MAX_STEPS + 1] = {0};
    for (size_t k = 0; k <= ENGRATE_WHATIF_MAX_STEPS; k++)
        steps[k] = (double)k + 1;
    ck_assert_int_eq(engrate_whatif_set_steps(w, steps, ENGRATE_WHATIF_MAX_STEPS + 1, &err),
                     ENGRATE_E_LIMIT);
    ck_assert_int_eq(engrate_whatif_set_steps(w, steps, ENGRATE_WHATIF_MAX_STEPS, &err), 0);
    ck_assert_int_eq(engrate_whatif_set_steps(w, NULL, 0, &err), 0);
    const double nan_step[] = {1, NAN}, zero[] = {0}, inf[] = {INFINITY};
    ck_assert_int_eq(engrate_whatif_set_steps(w, nan_step, 2, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_set_steps(w, zero, 1, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_set_steps(w, inf, 1, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_set_steps(w, NULL, 2, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, 0, &err), 0);
    /* every input, steps 1, 3, 5: 3 other roles, 5 skills, ipa_pm (pmp has no evidence),
     * 3 years */
    size_t n = engrate_whatif_count(w);
    ck_assert_uint_eq(n, 3 + 5 + 1 + 3);
    /* runs refused: no records, the result emptied */
    ck_assert_int_eq(engrate_whatif_run(w, NULL, 0, 0, &err), ENGRATE_E_INVALID);
    ck_assert_uint_eq(engrate_whatif_count(w), 0);
    ck_assert(isnan(engrate_result_estimate(engrate_whatif_result(w))));
    ck_assert_int_eq(engrate_whatif_run(w, q2, 0, 0, &err), ENGRATE_E_INVALID);
    ck_assert_str_eq(err.text, "the query was made for another model");
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, 1u << 7, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_run(NULL, q, 0, 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_target(w, q, NAN, 0, 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_target(w, q, INFINITY, 0, 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_reached(w), 0);
    ck_assert_int_eq(engrate_whatif_target(NULL, q, 1, 0, 0, &err), ENGRATE_E_INVALID);
    /* unknown names: ignored, or under ENGRATE_STRICT the run's error */
    ck_assert_int_ge(engrate_query_add(q, "skills", "Jva", NULL, &err), 0); /* not known */
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, 0, &err), 0);
    ck_assert_uint_eq(engrate_whatif_count(w), n);
    ck_assert_uint_eq(engrate_result_unknown_count(engrate_whatif_result(w)), 1);
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, ENGRATE_STRICT, &err), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_str_eq(err.text, "unknown skills 'Jva' (did you mean 'Java'?)");
    ck_assert_uint_eq(engrate_whatif_count(w), 0);
    /* accessors out of range */
    size_t out = 7;
    ck_assert_int_eq(engrate_whatif_change(w, 0), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_input(w, 0, &out), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_level(w, 0, &out), ENGRATE_E_INVALID);
    ck_assert_uint_eq(out, 7);
    ck_assert(isnan(engrate_whatif_estimate(w, 0)));
    ck_assert(isnan(engrate_whatif_delta_pct(NULL, 0)));
    ck_assert_uint_eq(engrate_whatif_flags(w, 0), 0);
    ck_assert_uint_eq(engrate_whatif_count(NULL), 0);
    ck_assert_ptr_null(engrate_whatif_result(NULL));
    ck_assert_int_eq(engrate_whatif_run(w, q, 0, 0, &err), 0);
    ck_assert_int_eq(engrate_whatif_input(w, 0, NULL), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_set_inputs(NULL, NULL, 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_whatif_set_steps(NULL, NULL, 0, &err), ENGRATE_E_INVALID);
    engrate_whatif_free(NULL);
    engrate_query_free(q);
    engrate_query_free(q2);
    engrate_whatif_free(w);
    engrate_model_free(m);
    engrate_model_free(other);
}
END_TEST

/* ---- Threads ------------------------------------------------------------------------ */

#define GRID 32

typedef struct job {
    const engrate_model *m;
    const profile *profiles;
    const double *best;   /* per profile: the top record's estimate */
    int mismatches;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    engrate_whatif *w = engrate_whatif_new(j->m, NULL);
    for (int round = 0; round < (light() ? 5 : 100); round++)
        for (int k = 0; k < GRID; k++) {
            engrate_query *q = query_of(j->m, &j->profiles[k]);
            engrate_whatif_run(w, q, 1, ENGRATE_WHATIF_NO_EVIDENCE, NULL);
            double got = engrate_whatif_estimate(w, 0);
            if (!same_bits(got, j->best[k]))
                j->mismatches++;
            engrate_query_free(q);
        }
    engrate_whatif_free(w);
    return NULL;
}

START_TEST(threads_share_one_model)
{
    engrate_model *m = load_nth(5);
    static profile profiles[GRID];
    double best[GRID];
    engrate_whatif *w = engrate_whatif_new(m, NULL);
    for (int k = 0; k < GRID; k++) {
        random_profile(m, &profiles[k]);
        engrate_query *q = query_of(m, &profiles[k]);
        ck_assert_int_eq(engrate_whatif_run(w, q, 1, ENGRATE_WHATIF_NO_EVIDENCE, NULL), 0);
        best[k] = engrate_whatif_estimate(w, 0);
        engrate_query_free(q);
    }
    engrate_whatif_free(w);
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    job jobs[THREADS];
    for (int k = 0; k < THREADS; k++) {
        jobs[k] = (job){m, profiles, best, 0};
        ck_assert_int_eq(pthread_create(&t[k], NULL, worker, &jobs[k]), 0);
    }
    for (int k = 0; k < THREADS; k++) {
        pthread_join(t[k], NULL);
        ck_assert_int_eq(jobs[k].mismatches, 0);
    }
    engrate_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("whatif");
    TCase *tc = tcase_create("whatif");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, ranking_equals_brute_force, 0, N_MODELS);
    tcase_add_loop_test(tc, path_to_target, 0, N_MODELS);
    tcase_add_test(tc, linear_model_by_hand);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, threads_share_one_model);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
