/* engrate-bench.c: how fast engrate estimates and loads models, next to the floor that
 * the arithmetic itself sets, and what what-if costs (docs/performance.md explains the
 * tables and the targets).
 *
 *   bench/engrate-bench [-q] [-r RUNS] [-t MS] [MODEL]
 *
 * Every figure is the median of RUNS runs (default 7) of at least MS milliseconds each
 * (default 20), timed with CLOCK_MONOTONIC; nothing is pinned. Estimates cycle through 64
 * random profiles so that branch predictors do not learn one profile; a processor's
 * predictors still learn part of a cycle that short, so one row takes 4,096 profiles,
 * each seen once per cycle, as when a database is re-priced. The last lines are
 * machine-readable, one figure each ("estimate_by_name_ns 123.4"). -q measures only the
 * estimates with MODEL on one thread, for quick before/after comparisons.
 *
 * The program replaces malloc, calloc and realloc with counting wrappers around glibc's
 * own (__libc_malloc ...): a definition in the executable interposes on the shared
 * library's calls too, so the allocations the library makes while estimating are counted. */
#define _GNU_SOURCE 1
#include "config.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engrate.h"

#ifndef ENGRATE_BENCH_MODEL /* the default model, as built by `make` */
#define ENGRATE_BENCH_MODEL "models/jp-freelance.model"
#endif

/* ---- Counting allocator ------------------------------------------------------------ */

/* Not with AddressSanitizer, whose malloc must see every allocation. */
#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define BENCH_ASAN 1
#elif defined(__has_feature) /* clang */
#if __has_feature(address_sanitizer)
#define BENCH_ASAN 1
#endif
#endif

#if defined(__GLIBC__) && !defined(BENCH_ASAN)
#define COUNTING_ALLOCATOR 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static atomic_ulong allocations;

void *malloc(size_t n)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_realloc(p, n);
}

static unsigned long allocation_count(void)
{
    return atomic_load_explicit(&allocations, memory_order_relaxed);
}
#else
#define COUNTING_ALLOCATOR 0
static unsigned long allocation_count(void) { return 0; }
#endif

/* ---- Timing ------------------------------------------------------------------------ */

static int runs = 7;
static double run_ms = 20;
static int quick;
static volatile double sink; /* keeps the floor's results, so the compiler cannot drop
                              * its work (estimates go to their context: threads share) */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Work that does `iters` operations; returns nonzero on failure. */
typedef int (*work_fn)(void *ctx, size_t iters);

/* Iterations that take about run_ms (at least 1). */
static size_t calibrate(work_fn fn, void *ctx)
{
    size_t iters = 1;
    for (;;) {
        double t0 = now_ns();
        if (fn(ctx, iters))
            return 0;
        double dt = now_ns() - t0;
        if (dt >= run_ms * 1e6 / 4 || iters >= ((size_t)1 << 40)) {
            double want = (double)iters * run_ms * 1e6 / (dt > 1 ? dt : 1);
            return want < 1 ? 1 : (size_t)want;
        }
        iters *= 4;
    }
}

/* Median ns per operation over `runs` runs; NAN if the work fails. */
static double measure(work_fn fn, void *ctx)
{
    size_t iters = calibrate(fn, ctx);
    if (iters == 0)
        return NAN;
    double v[64];
    for (int k = 0; k < runs; k++) {
        double t0 = now_ns();
        if (fn(ctx, iters))
            return NAN;
        v[k] = (now_ns() - t0) / (double)iters;
    }
    return median(v, runs);
}

/* Median ns per operation of each of n works (n <= 8), the works taking turns within each
 * run, so that a burst of noise from the rest of the machine falls on all of them alike
 * and their ratios stay fair. 0, or -1 if a work fails. */
static int measure_set(int n, work_fn *fns, void **ctxs, double *out)
{
    size_t iters[8];
    double v[8][64];
    for (int j = 0; j < n; j++)
        if ((iters[j] = calibrate(fns[j], ctxs[j])) == 0)
            return -1;
    for (int k = 0; k < runs; k++) {
        for (int j = 0; j < n; j++) {
            double t0 = now_ns();
            if (fns[j](ctxs[j], iters[j]))
                return -1;
            v[j][k] = (now_ns() - t0) / (double)iters[j];
        }
    }
    for (int j = 0; j < n; j++)
        out[j] = median(v[j], runs);
    return 0;
}

/* ---- Profiles ---------------------------------------------------------------------- */

#define N_PROFILES 64       /* profiles per row */
#define N_DISTINCT 4096     /* profiles of the row that the predictors cannot learn */
#define MAX_SET 20

typedef struct inputs {     /* the model's standard inputs; ENGRATE_NO_INDEX when it lacks one */
    size_t role, skills, certs, years;
} inputs;

typedef struct profile {
    const char *role;
    const char *skills[MAX_SET];
    const char *certs[MAX_SET];
    size_t n_skills, n_certs;
    double years;
    size_t role_level;
    size_t skill_levels[MAX_SET], cert_levels[MAX_SET];
} profile;

typedef struct profiles {
    const engrate_model *m;
    inputs in;
    size_t n;               /* N_PROFILES or N_DISTINCT */
    profile p[N_DISTINCT];
} profiles;

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint64_t rng(void) /* splitmix64: the same profiles on every run */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* k distinct random levels of `input`, as indexes. */
static void pick(const engrate_model *m, size_t input, size_t k, size_t *out)
{
    size_t n = engrate_input_level_count(m, input);
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx)
        abort();
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)(rng() % (n - i));
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        out[i] = idx[i];
    }
    free(idx);
}

static inputs find_inputs(const engrate_model *m)
{
    inputs in; /* each ENGRATE_NO_INDEX when the model lacks it */
    (void)engrate_model_input_index(m, "role", &in.role);
    (void)engrate_model_input_index(m, "skills", &in.skills);
    (void)engrate_model_input_index(m, "certs", &in.certs);
    (void)engrate_model_input_index(m, "years", &in.years);
    return in;
}

static size_t levels_of(const engrate_model *m, size_t input)
{
    return input == ENGRATE_NO_INDEX ? 0 : engrate_input_level_count(m, input);
}

/* Whether the model can give a profile of 1 role, ns skills, nc certs and years. */
static int supports(const engrate_model *m, size_t ns, size_t nc)
{
    inputs in = find_inputs(m);
    return levels_of(m, in.role) > 0 && in.years != ENGRATE_NO_INDEX &&
           levels_of(m, in.skills) >= ns && levels_of(m, in.certs) >= nc;
}

/* n random profiles of 1 role, ns skills, nc certs and years. Names are the levels' ids,
 * or their English display names when `display` is set (names people type, "Project
 * manager", "C++", most of which match as aliases). */
static void make_profiles(profiles *ps, const engrate_model *m, size_t n, size_t ns,
                          size_t nc, int display)
{
    ps->m = m;
    ps->in = find_inputs(m);
    ps->n = n;
    for (size_t i = 0; i < n; i++) {
        profile *p = &ps->p[i];
        memset(p, 0, sizeof *p);
        pick(m, ps->in.role, 1, &p->role_level);
        p->n_skills = ns;
        p->n_certs = nc;
        if (ns)
            pick(m, ps->in.skills, ns, p->skill_levels);
        if (nc)
            pick(m, ps->in.certs, nc, p->cert_levels);
#define NAME(input, l)                                                                     \
    (display ? engrate_level_name(m, input, l, "en") : engrate_level_id(m, input, l))
        p->role = NAME(ps->in.role, p->role_level);
        for (size_t k = 0; k < ns; k++)
            p->skills[k] = NAME(ps->in.skills, p->skill_levels[k]);
        for (size_t k = 0; k < nc; k++)
            p->certs[k] = NAME(ps->in.certs, p->cert_levels[k]);
#undef NAME
        p->years = (double)(rng() % 250) / 10; /* 0 .. 24.9 */
    }
}

/* ---- The library, three ways -------------------------------------------------------- */

#define BATCH 1024 /* profiles per engrate_estimate_batch call */

typedef struct est_ctx {
    const profiles *ps;
    engrate_result *r;
    engrate_query *q;
    /* engrate_estimate_batch's arrays: the profiles, repeated to fill n_batch (BATCH, or
     * more to hold them all); each call takes the next BATCH of them. */
    size_t n_batch, next;
    const char **roles, **skills, **certs;
    size_t *skill_offsets, *cert_offsets;
    double *years, *estimate, *low, *high;
    unsigned *flags;
    int *status;
    double sink;   /* the estimates' sum, so that no call can be left out */
} est_ctx;

/* The usual call: names as strings. */
static int run_by_name(void *vctx, size_t iters)
{
    est_ctx *c = vctx;
    const engrate_model *m = c->ps->m;
    engrate_error err;
    double acc = 0;
    for (size_t i = 0; i < iters; i++) {
        const profile *p = &c->ps->p[i % c->ps->n];
        if (engrate_estimate_profile(m, p->role, p->skills, p->n_skills, p->certs, p->n_certs,
                                     &p->years, 0, c->r, &err) != 0) {
            fprintf(stderr, "engrate-bench: %s\n", err.text);
            return -1;
        }
        acc += engrate_result_estimate(c->r);
    }
    c->sink = acc;
    return 0;
}

/* Levels by index (what engrate_model_find_level resolves a name to, once), then a
 * query per estimate. */
static int run_by_id(void *vctx, size_t iters)
{
    est_ctx *c = vctx;
    const inputs *in = &c->ps->in;
    engrate_query *q = c->q;
    engrate_error err;
    double acc = 0;
    for (size_t i = 0; i < iters; i++) {
        const profile *p = &c->ps->p[i % c->ps->n];
        engrate_query_reset(q);
        int rc = engrate_query_add_level(q, in->role, p->role_level, &err);
        for (size_t k = 0; rc == 0 && k < p->n_skills; k++)
            rc = engrate_query_add_level(q, in->skills, p->skill_levels[k], &err);
        for (size_t k = 0; rc == 0 && k < p->n_certs; k++)
            rc = engrate_query_add_level(q, in->certs, p->cert_levels[k], &err);
        if (rc == 0)
            rc = engrate_query_set_number_at(q, in->years, p->years, &err);
        if (rc == 0)
            rc = engrate_estimate(q, 0, c->r, &err);
        if (rc != 0) {
            fprintf(stderr, "engrate-bench: %s\n", err.text);
            return -1;
        }
        acc += engrate_result_estimate(c->r);
    }
    c->sink = acc;
    return 0;
}

/* The batch call, BATCH profiles at a time (the last call takes what is left). */
static int run_batch(void *vctx, size_t iters)
{
    est_ctx *c = vctx;
    engrate_error err;
    double acc = 0;
    for (size_t done = 0; done < iters; done += BATCH) {
        size_t n = iters - done < BATCH ? iters - done : BATCH, at = c->next;
        c->next = (c->next + BATCH) % c->n_batch;
        int rc = engrate_estimate_batch(c->ps->m, n, c->roles + at, c->skills,
                                        c->skill_offsets + at, c->certs, c->cert_offsets + at,
                                        c->years + at, 0, c->estimate, c->low, c->high,
                                        c->flags, c->status, NULL, &err);
        if (rc != 0) {
            fprintf(stderr, "engrate-bench: batch: %s\n", err.text);
            return -1;
        }
        acc += c->estimate[n - 1];
    }
    c->sink = acc;
    return 0;
}

static void est_ctx_free(est_ctx *c)
{
    engrate_result_free(c->r);
    engrate_query_free(c->q);
    free(c->roles);
    free(c->skills);
    free(c->certs);
    free(c->skill_offsets);
    free(c->cert_offsets);
    free(c->years);
    free(c->estimate);
    free(c->low);
    free(c->high);
    free(c->flags);
    free(c->status);
}

static int est_ctx_init(est_ctx *c, const profiles *ps)
{
    engrate_error err;
    memset(c, 0, sizeof *c);
    c->ps = ps;
    c->r = engrate_result_new(ps->m, &err);
    c->q = engrate_query_new(ps->m, &err);
    if (!c->r || !c->q) {
        fprintf(stderr, "engrate-bench: %s\n", err.text);
        est_ctx_free(c);
        return -1;
    }
    size_t ns = ps->p[0].n_skills, nc = ps->p[0].n_certs;
    size_t nb = c->n_batch = ps->n > BATCH ? ps->n : BATCH; /* a multiple of BATCH */
    c->roles = malloc(nb * sizeof *c->roles);
    c->skills = malloc((nb * ns + 1) * sizeof *c->skills);
    c->certs = malloc((nb * nc + 1) * sizeof *c->certs);
    c->skill_offsets = malloc((nb + 1) * sizeof *c->skill_offsets);
    c->cert_offsets = malloc((nb + 1) * sizeof *c->cert_offsets);
    c->years = malloc(nb * sizeof *c->years);
    c->estimate = malloc(BATCH * sizeof *c->estimate);
    c->low = malloc(BATCH * sizeof *c->low);
    c->high = malloc(BATCH * sizeof *c->high);
    c->flags = malloc(BATCH * sizeof *c->flags);
    c->status = malloc(BATCH * sizeof *c->status);
    if (!c->roles || !c->skills || !c->certs || !c->skill_offsets || !c->cert_offsets ||
        !c->years || !c->estimate || !c->low || !c->high || !c->flags || !c->status) {
        est_ctx_free(c);
        return -1;
    }
    for (size_t i = 0; i < nb; i++) {
        const profile *p = &ps->p[i % ps->n];
        c->roles[i] = p->role;
        c->skill_offsets[i] = i * ns;
        c->cert_offsets[i] = i * nc;
        for (size_t k = 0; k < ns; k++)
            c->skills[i * ns + k] = p->skills[k];
        for (size_t k = 0; k < nc; k++)
            c->certs[i * nc + k] = p->certs[k];
        c->years[i] = p->years;
    }
    c->skill_offsets[nb] = nb * ns;
    c->cert_offsets[nb] = nb * nc;
    return 0;
}

/* ---- The floor ----------------------------------------------------------------------- */

/* The least an estimate by name can cost: for each name, the library's hash function
 * (a copy of key_hash in lib/names.c) over the name as given, a probe of an open-addressing
 * table keyed by the level ids, a key compare and an add; then the years curve and exp()
 * back to the rate. No folding, no interval, no breakdown, no flags, no checks. It does
 * the library's arithmetic in the library's order, so its estimate is the library's to
 * the bit, which bench_model checks. */

static uint64_t floor_mix(uint64_t h)
{
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);
}

static uint64_t floor_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
           (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static uint64_t floor_le32(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

/* The name index's hash (key_hash in lib/names.c, with its loads of the last bytes): a
 * slot is its top bits. */
static uint64_t floor_hash(size_t input, const char *key, size_t len)
{
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = floor_mix(0xcbf29ce484222325ull ^ input), w = 0;
    size_t i = 0, r;
    for (; i + 8 <= len; i += 8)
        h = floor_mix(h ^ floor_le64(p + i));
    p += i;
    if ((r = len - i) >= 4)
        w = floor_le32(p) | floor_le32(p + r - 4) << (8 * (r - 4));
    else if (r >= 2)
        w = (uint64_t)(p[0] | p[1] << 8) | (uint64_t)(p[r - 2] | p[r - 1] << 8) << (8 * (r - 2));
    else if (r == 1)
        w = p[0];
    return ((h ^ w ^ len) * 0x9E3779B97F4A7C15ull) | 1;
}

typedef struct floor_slot {
    uint64_t hash;
    const char *key;
    uint32_t len, input;
    double coef;
} floor_slot;

typedef struct floor_ctx {
    const profiles *ps;
    floor_slot *slots;
    size_t mask;
    unsigned shift;
    char *keys;
    double intercept;
    int log;
    double min, max, knots[64], coefs[65];
    size_t n_knots;
} floor_ctx;

static int floor_init(floor_ctx *f, const profiles *ps)
{
    const engrate_model *m = ps->m;
    memset(f, 0, sizeof *f);
    f->ps = ps;
    size_t total = 0;
    for (size_t i = 0; i < engrate_model_input_count(m); i++)
        total += engrate_input_level_count(m, i);
    size_t n = 64;
    while (n < total * 2)
        n *= 2;
    f->slots = calloc(n, sizeof *f->slots);
    f->keys = malloc(total * 65 + 1);
    if (!f->slots || !f->keys)
        goto fail;
    f->mask = n - 1;
    f->shift = 64;
    for (size_t k = n; k > 1; k >>= 1)
        f->shift--;
    char *kp = f->keys;
    for (size_t i = 0; i < engrate_model_input_count(m); i++) {
        for (size_t l = 0; l < engrate_input_level_count(m, i); l++) {
            int len = snprintf(kp, 65, "%s", engrate_level_id(m, i, l));
            if (len <= 0 || len > 64)
                goto fail;
            uint64_t h = floor_hash(i, kp, (size_t)len);
            size_t j = h >> f->shift;
            while (f->slots[j].hash)
                j = (j + 1) & f->mask;
            f->slots[j] = (floor_slot){h, kp, (uint32_t)len, (uint32_t)i,
                                       engrate_level_coef(m, i, l)};
            kp += len + 1;
        }
    }
    f->intercept = engrate_model_intercept(m);
    f->log = engrate_model_transform(m) == ENGRATE_TRANSFORM_LOG;
    size_t y = ps->in.years;
    f->min = engrate_input_min(m, y);
    f->max = engrate_input_max(m, y);
    f->n_knots = engrate_input_knot_count(m, y);
    if (f->n_knots > 64)
        goto fail;
    for (size_t k = 0; k < f->n_knots; k++)
        f->knots[k] = engrate_input_knot(m, y, k);
    for (size_t k = 0; k <= f->n_knots; k++)
        f->coefs[k] = engrate_input_coef(m, y, k);
    return 0;
fail:
    free(f->slots);
    free(f->keys);
    return -1;
}

static void floor_free(floor_ctx *f)
{
    free(f->slots);
    free(f->keys);
}

static inline double floor_lookup(const floor_ctx *f, uint32_t input, const char *name)
{
    size_t len = strlen(name);
    uint64_t h = floor_hash(input, name, len);
    for (size_t j = h >> f->shift;; j = (j + 1) & f->mask) {
        const floor_slot *s = &f->slots[j];
        if (s->hash == 0)
            return 0;
        if (s->hash == h && s->input == input && s->len == len && memcmp(s->key, name, len) == 0)
            return s->coef;
    }
}

static inline double floor_estimate(const floor_ctx *f, const profile *p)
{
    const inputs *in = &f->ps->in;
    double eta = f->intercept + floor_lookup(f, (uint32_t)in->role, p->role);
    for (size_t k = 0; k < p->n_skills; k++)
        eta += floor_lookup(f, (uint32_t)in->skills, p->skills[k]);
    for (size_t k = 0; k < p->n_certs; k++)
        eta += floor_lookup(f, (uint32_t)in->certs, p->certs[k]);
    double x = p->years < f->min ? f->min : p->years > f->max ? f->max : p->years;
    double y = f->coefs[0] * x;
    for (size_t k = 0; k < f->n_knots; k++)
        if (x > f->knots[k])
            y += f->coefs[k + 1] * (x - f->knots[k]);
    eta += y;
    return f->log ? exp(eta) : eta;
}

static int run_floor(void *vctx, size_t iters)
{
    const floor_ctx *f = vctx;
    double acc = 0;
    for (size_t i = 0; i < iters; i++)
        acc += floor_estimate(f, &f->ps->p[i % f->ps->n]);
    sink = acc;
    return 0;
}

/* ---- Threads ------------------------------------------------------------------------- */

typedef struct thread_arg {
    const profiles *ps;
    work_fn fn;
    size_t iters;
    pthread_barrier_t *barrier;
    double start, end;   /* this thread's own clock readings */
    int failed;
} thread_arg;

static void *thread_main(void *varg)
{
    thread_arg *a = varg;
    est_ctx c;
    a->failed = est_ctx_init(&c, a->ps) != 0;
    pthread_barrier_wait(a->barrier);
    if (!a->failed) {
        a->start = now_ns();
        a->failed = a->fn(&c, a->iters) != 0;
        a->end = now_ns();
        est_ctx_free(&c);
    }
    return NULL;
}

/* n threads, each with its own result (and batch arrays), running fn with one shared
 * model: the median over runs of the mean per-thread ns per estimate and of the
 * aggregate rate. */
static int measure_threads(const profiles *ps, work_fn fn, int n, size_t iters,
                           double *ns_per_thread, double *per_s)
{
    double v_ns[64], v_rate[64];
    for (int k = 0; k < runs; k++) {
        pthread_t tid[8];
        thread_arg args[8];
        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, (unsigned)n + 1);
        for (int t = 0; t < n; t++) {
            args[t] = (thread_arg){ps, fn, iters, &barrier, 0, 0, 0};
            if (pthread_create(&tid[t], NULL, thread_main, &args[t]) != 0)
                return -1;
        }
        pthread_barrier_wait(&barrier);
        /* The span from the first start to the last end, as the threads saw it: this
         * thread may not run again until a worker is done (2 CPUs, 3 threads). */
        double sum = 0, first = INFINITY, last = -INFINITY;
        int failed = 0;
        for (int t = 0; t < n; t++) {
            pthread_join(tid[t], NULL);
            sum += (args[t].end - args[t].start) / (double)iters;
            first = fmin(first, args[t].start);
            last = fmax(last, args[t].end);
            failed |= args[t].failed;
        }
        double wall = last - first;
        pthread_barrier_destroy(&barrier);
        if (failed)
            return -1;
        v_ns[k] = sum / n;
        v_rate[k] = (double)n * (double)iters / wall * 1e9;
    }
    *ns_per_thread = median(v_ns, runs);
    *per_s = median(v_rate, runs);
    return 0;
}

/* ---- Synthetic models ------------------------------------------------------------ */

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (k < 0)
            abort();
        if ((size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        t->cap = t->cap ? t->cap * 2 : 1 << 16;
        if (!(t->s = realloc(t->s, t->cap)))
            abort();
    }
}

static void put_input(text *t, const char *id, const char *kind, const char *en,
                      const char *ja, const char *prefix, size_t n)
{
    put(t, "\n[input %s]\nkind = %s\nlabel.en = %s\nlabel.ja = %s\nlevels = %zu\n", id, kind,
        en, ja, n);
    for (size_t l = 0; l < n; l++) {
        double coef = (double)(int)(rng() % 2001 - 1000) / 10000; /* -0.1 .. 0.1 */
        put(t, "\n[level %s%zu]\ncoef = %.17g\nname.en = %s %s %zu\nname.ja = %s%zu\n"
               "alias = %.2s-%zu\n",
            prefix, l, coef, en, "level", l, ja, l, prefix, l);
    }
}

/* A model in the library's format with the given number of roles, skills and certs, each
 * level with an id, an English and a Japanese name and an alias, and a years curve with
 * two knots: shaped like the market models, with as many levels as asked for. */
static text synthetic_model(size_t roles, size_t skills, size_t certs)
{
    text t = {0};
    put(&t, "engrate-model 1\n\n[model]\nname = synthetic\ncurrency = JPY\nperiod = month\n"
            "transform = log\nintercept = 13.4\n\n[interval]\nlevel = 0.8\nlow = -0.2\n"
            "high = 0.2\n");
    put_input(&t, "role", "categorical", "Role", "職種", "role", roles);
    put_input(&t, "skills", "set", "Skills", "スキル", "skill", skills);
    put_input(&t, "certs", "set", "Certifications", "資格", "cert", certs);
    put(&t, "\n[input years]\nkind = numeric\nlabel.en = Years of experience\nmin = 0\n"
            "max = 40\ndefault = 5\nknots = 3 10\ncoef = 0.06 -0.04 -0.02\n");
    return t;
}

/* ---- Model loading ------------------------------------------------------------------- */

typedef struct load_ctx {
    const char *path;    /* a file, or */
    const text *buf;     /* a buffer   */
} load_ctx;

static int run_load(void *vctx, size_t iters)
{
    const load_ctx *c = vctx;
    for (size_t i = 0; i < iters; i++) {
        engrate_error err;
        engrate_model *m = c->path ? engrate_model_load(c->path, 0, &err)
                                   : engrate_model_load_buffer(c->buf->s, c->buf->n,
                                                               "synthetic", 0, &err);
        if (!m) {
            fprintf(stderr, "engrate-bench: %s\n", err.text);
            return -1;
        }
        engrate_model_free(m);
    }
    return 0;
}

static size_t model_levels(const engrate_model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < engrate_model_input_count(m); i++)
        n += engrate_input_level_count(m, i);
    return n;
}

/* ---- The table --------------------------------------------------------------------- */

typedef struct figures {  /* what the machine-readable lines report */
    double by_name_ns, floor_ns, batch_per_s, load_default_ms, allocations;
    double by_name_distinct_ns, floor_distinct_ns, batch_distinct_per_s;
    double whatif_all_us, whatif_top5_us, whatif_target_us, whatif_candidates;
    double whatif_allocations;
} figures;

static const struct {
    size_t skills, certs;
} shapes[] = {{0, 0}, {0, 3}, {5, 0}, {5, 2}, {5, 3}, {20, 0}, {20, 3}};

/* A figure in a column of `width` with `digits` decimals, or "-" when not measured. */
static void cell(int width, int digits, double x)
{
    if (isnan(x))
        printf(" %*s", width, "-");
    else
        printf(" %*.*f", width, digits, x);
}

static int bench_model(const engrate_model *m, const char *label, figures *fig)
{
    inputs in = find_inputs(m);
    printf("\nEstimates with %s: %zu roles, %zu skills, %zu certs\n", label,
           levels_of(m, in.role), levels_of(m, in.skills), levels_of(m, in.certs));
    printf("  %-34s ---------------------- 1 thread --------------------- "
           "------ 2 threads -----\n", "");
    printf("  %-34s %8s %6s %7s %7s %6s %7s %6s %8s %6s %6s\n", "profile: 1 role, years and",
           "by name", "", "by id", "batch", "", "floor", "/floor", "by name", "", "batch");
    printf("  %-34s %8s %6s %7s %7s %6s %7s %6s %8s %6s %6s\n", "", "ns", "M/s", "ns", "ns",
           "M/s", "ns", "", "ns/thr", "M/s", "M/s");
    int skipped = 0;
    /* The last rows: display names, and ids in 4,096 profiles. */
    size_t n_shapes = sizeof shapes / sizeof shapes[0], n_rows = n_shapes + 2;
    for (size_t s = 0; s < n_rows; s++) {
        int typed = s == n_shapes, distinct = s == n_shapes + 1;
        size_t ns = s >= n_shapes ? 5 : shapes[s].skills, nc = s >= n_shapes ? 2 : shapes[s].certs;
        if (!supports(m, ns, nc)) {
            skipped = 1;
            continue;
        }
        static profiles ps;
        make_profiles(&ps, m, distinct ? N_DISTINCT : N_PROFILES, ns, nc, typed);
        est_ctx c;
        floor_ctx f;
        if (est_ctx_init(&c, &ps) || floor_init(&f, &ps))
            return -1;
        if (!typed) { /* the floor must do the library's work: the same estimates */
            const profile *p = &ps.p[1];
            engrate_error err;
            if (engrate_estimate_profile(m, p->role, p->skills, p->n_skills, p->certs,
                                         p->n_certs, &p->years, 0, c.r, &err) != 0 ||
                engrate_result_estimate(c.r) != floor_estimate(&f, p))
                fprintf(stderr, "engrate-bench: the floor's estimate is not the library's\n");
        }
        /* by name, batch, and for level ids by id and the floor, taking turns */
        work_fn fns[4] = {run_by_name, run_batch, run_by_id, run_floor};
        void *ctxs[4] = {&c, &c, &c, &f};
        double t[4] = {NAN, NAN, NAN, NAN};
        if (measure_set(typed ? 2 : 4, fns, ctxs, t))
            return -1;
        double by_name = t[0], batch = t[1], by_id = t[2], floor_ns = t[3];
        double t_ns = NAN, t_rate = NAN, tb_ns = NAN, tb_rate = NAN;
        if (!quick && (measure_threads(&ps, run_by_name, 2, calibrate(run_by_name, &c), &t_ns,
                                       &t_rate) ||
                       measure_threads(&ps, run_batch, 2, calibrate(run_batch, &c), &tb_ns,
                                       &tb_rate)))
            return -1;
        floor_free(&f);
        est_ctx_free(&c);
        char name[64];
        snprintf(name, sizeof name, "%zu skill%s, %zu cert%s%s", ns, ns == 1 ? "" : "s", nc,
                 nc == 1 ? "" : "s",
                 typed ? " (display names)" : distinct ? " (4,096 profiles)" : "");
        printf("  %-34s", name);
        cell(8, 1, by_name);
        cell(6, 2, 1e3 / by_name); /* millions of estimates a second */
        cell(7, 1, by_id);
        cell(7, 1, batch);
        cell(6, 2, 1e3 / batch);
        cell(7, 1, floor_ns);
        cell(6, 2, by_name / floor_ns);
        cell(8, 1, t_ns);
        cell(6, 2, t_rate / 1e6);
        cell(6, 2, tb_rate / 1e6);
        printf("\n");
        if (fig && ns == 5 && nc == 2 && !typed && !distinct) {
            fig->by_name_ns = by_name;
            fig->floor_ns = floor_ns;
            fig->batch_per_s = 1e9 / batch;
        }
        if (fig && distinct) {
            fig->by_name_distinct_ns = by_name;
            fig->floor_distinct_ns = floor_ns;
            fig->batch_distinct_per_s = 1e9 / batch;
        }
    }
    if (skipped)
        printf("  (rows that need more levels than the model has are left out)\n");
    return 0;
}

/* Allocations per estimate after warm-up, over by-name, by-id, display-name and
 * unknown-name estimates (the last two fill the result's name lists); and per batch call
 * in *per_batch. */
static double count_allocations(const engrate_model *m, double *per_batch)
{
    static profiles ps;
    inputs in = find_inputs(m);
    size_t ns = levels_of(m, in.skills) < 5 ? levels_of(m, in.skills) : 5;
    size_t nc = levels_of(m, in.certs) < 2 ? levels_of(m, in.certs) : 2;
    est_ctx c;
    make_profiles(&ps, m, N_PROFILES, ns, nc, 1);
    if (est_ctx_init(&c, &ps))
        return NAN;
    const char *unknown[2] = {"no such skill", "COBOL-85"};
    engrate_error err;
    unsigned long before = 0;
    size_t n = 0;
    for (int phase = 0; phase < 2; phase++) { /* 0: warm-up, 1: counted */
        before = allocation_count();
        n = 0;
        for (int rep = 0; rep < 1000; rep++) {
            if (run_by_name(&c, N_PROFILES) || run_by_id(&c, N_PROFILES))
                return NAN;
            if (in.skills != ENGRATE_NO_INDEX) /* lenient: the unknown names go to the result */
                (void)engrate_estimate_profile(m, ps.p[0].role, unknown, 2, NULL, 0, NULL, 0,
                                               c.r, &err);
            n += 2 * N_PROFILES + (in.skills != ENGRATE_NO_INDEX);
        }
    }
    unsigned long count = allocation_count() - before;
    before = allocation_count();
    if (run_batch(&c, 100 * BATCH))
        return NAN;
    *per_batch = (double)(allocation_count() - before) / 100;
    est_ctx_free(&c);
    return (double)count / (double)n;
}

/* ---- What-if ---------------------------------------------------------------------- */

typedef struct whatif_ctx {
    const engrate_model *m;
    engrate_query *q[N_PROFILES]; /* the profiles, made once: what-if's cost alone */
    engrate_whatif *w;
    double target[N_PROFILES];    /* per profile: 1.2 times its estimate */
    double sink;
} whatif_ctx;

/* Every single change of every level, evidence or not, all ranked. */
static int run_whatif_all(void *vctx, size_t iters)
{
    whatif_ctx *c = vctx;
    double acc = 0;
    for (size_t i = 0; i < iters; i++) {
        if (engrate_whatif_run(c->w, c->q[i % N_PROFILES], 0, ENGRATE_WHATIF_NO_EVIDENCE,
                               NULL) != 0)
            return -1;
        acc += engrate_whatif_estimate(c->w, 0);
    }
    c->sink = acc;
    return 0;
}

/* The estimator's default: levels with evidence, the best 5. */
static int run_whatif_top5(void *vctx, size_t iters)
{
    whatif_ctx *c = vctx;
    double acc = 0;
    for (size_t i = 0; i < iters; i++) {
        if (engrate_whatif_run(c->w, c->q[i % N_PROFILES], 5, 0, NULL) != 0)
            return -1;
        acc += engrate_whatif_estimate(c->w, 0);
    }
    c->sink = acc;
    return 0;
}

/* The fewest additions to 1.2 times the estimate, at most 5. */
static int run_whatif_target(void *vctx, size_t iters)
{
    whatif_ctx *c = vctx;
    double acc = 0;
    for (size_t i = 0; i < iters; i++) {
        size_t k = i % N_PROFILES;
        if (engrate_whatif_target(c->w, c->q[k], c->target[k], 5, 0, NULL) != 0)
            return -1;
        acc += (double)engrate_whatif_count(c->w);
    }
    c->sink = acc;
    return 0;
}

static void whatif_ctx_free(whatif_ctx *c)
{
    for (size_t k = 0; k < N_PROFILES; k++)
        engrate_query_free(c->q[k]);
    engrate_whatif_free(c->w);
}

/* The 64 profiles of 1 role, 5 skills, 2 certs and years, as queries. */
static int whatif_ctx_init(whatif_ctx *c, const engrate_model *m)
{
    static profiles ps;
    memset(c, 0, sizeof *c);
    c->m = m;
    make_profiles(&ps, m, N_PROFILES, 5, 2, 0);
    engrate_result *r = engrate_result_new(m, NULL);
    if (!(c->w = engrate_whatif_new(m, NULL)) || !r)
        goto fail;
    for (size_t k = 0; k < N_PROFILES; k++) {
        const profile *p = &ps.p[k];
        engrate_query *q = c->q[k] = engrate_query_new(m, NULL);
        int rc = q ? engrate_query_add_level(q, (size_t)ps.in.role, (size_t)p->role_level, NULL)
                   : -1;
        for (size_t j = 0; rc == 0 && j < p->n_skills; j++)
            rc = engrate_query_add_level(q, (size_t)ps.in.skills, (size_t)p->skill_levels[j],
                                         NULL);
        for (size_t j = 0; rc == 0 && j < p->n_certs; j++)
            rc = engrate_query_add_level(q, (size_t)ps.in.certs, (size_t)p->cert_levels[j],
                                         NULL);
        if (rc == 0)
            rc = engrate_query_set_number_at(q, (size_t)ps.in.years, p->years, NULL);
        if (rc == 0)
            rc = engrate_estimate(q, 0, r, NULL);
        if (rc != 0)
            goto fail;
        c->target[k] = 1.2 * engrate_result_estimate(r);
    }
    engrate_result_free(r);
    return 0;
fail:
    engrate_result_free(r);
    whatif_ctx_free(c);
    return -1;
}

/* What-if on MODEL's profiles of 1 role, 5 skills, 2 certs and years: all single changes
 * ranked, the best 5 of those with evidence, and the path to 1.2 times the estimate; then
 * the allocations of those runs after warm-up. */
static int bench_whatif(const engrate_model *m, const char *label, figures *fig)
{
    whatif_ctx c;
    if (!supports(m, 5, 2) || whatif_ctx_init(&c, m) != 0) {
        printf("\nWhat-if: not measured (%s cannot give 1 role, 5 skills, 2 certs and years)\n",
               label);
        return 0;
    }
    double candidates = 0;
    for (size_t k = 0; k < N_PROFILES; k++) {
        if (engrate_whatif_run(c.w, c.q[k], 0, ENGRATE_WHATIF_NO_EVIDENCE, NULL) != 0)
            return -1;
        candidates += (double)engrate_whatif_count(c.w) / N_PROFILES;
    }
    work_fn fns[3] = {run_whatif_all, run_whatif_top5, run_whatif_target};
    void *ctxs[3] = {&c, &c, &c};
    double t[3];
    if (measure_set(3, fns, ctxs, t))
        return -1;
    unsigned long count = 0;
    for (int phase = 0; COUNTING_ALLOCATOR && phase < 2; phase++) { /* warm-up, counted */
        unsigned long before = allocation_count();
        for (int rep = 0; rep < 100; rep++)
            if (fns[rep % 3](&c, N_PROFILES))
                return -1;
        count = allocation_count() - before;
    }
    printf("\nWhat-if with %s, profiles of 1 role, 5 skills, 2 certs and years\n", label);
    printf("  %-58s %9s %9s\n", "", "us/run", "ns/cand.");
    printf("  %-58s %9.2f %9.1f\n", "all single changes ranked (every level, evidence or not)",
           t[0] / 1e3, t[0] / candidates);
    printf("  %-58s %9.2f\n", "the best 5 of the levels with evidence (--whatif)", t[1] / 1e3);
    printf("  %-58s %9.2f\n", "the fewest additions to 1.2 x the estimate, at most 5",
           t[2] / 1e3);
    if (COUNTING_ALLOCATOR)
        printf("  %.1f candidates a profile on average; allocations after warm-up: %g per run "
               "(%lu in %d runs)\n",
               candidates, (double)count / (100 * N_PROFILES), count, 100 * N_PROFILES);
    else
        printf("  %.1f candidates a profile on average; allocations: not counted\n",
               candidates);
    fig->whatif_all_us = t[0] / 1e3;
    fig->whatif_top5_us = t[1] / 1e3;
    fig->whatif_target_us = t[2] / 1e3;
    fig->whatif_candidates = candidates;
    fig->whatif_allocations = COUNTING_ALLOCATOR ? (double)count / (100 * N_PROFILES) : NAN;
    whatif_ctx_free(&c);
    return 0;
}

static void print_command(char **argv, const char *model)
{
    /* Under libtool the program runs as bench/.libs/engrate-bench: show the wrapper. */
    char prog[4096];
    snprintf(prog, sizeof prog, "%s", argv[0]);
    char *libs = strstr(prog, ".libs/");
    if (libs) {
        const char *base = libs + 6;
        if (strncmp(base, "lt-", 3) == 0)
            base += 3;
        memmove(libs, base, strlen(base) + 1);
    }
    printf("# %s%s -r %d -t %g %s\n", prog, quick ? " -q" : "", runs, run_ms, model);
}

static const char *library_path(void)
{
    Dl_info info;
    if (dladdr((void *)(uintptr_t)engrate_estimate, &info) && info.dli_fname)
        return info.dli_fname;
    return "?";
}

static int usage(void)
{
    fprintf(stderr, "usage: engrate-bench [-q] [-r RUNS] [-t MS] [MODEL]\n"
                    "  RUNS runs of at least MS ms per figure (default 7, 20); -q: only "
                    "MODEL's estimates,\n  on one thread. MODEL defaults to %s\n",
            ENGRATE_BENCH_MODEL);
    return 2;
}

/* Load times: the model from its file, and synthetic models of 1,000 to 100,000 levels
 * from memory, to show that loading is linear in the size. */
static int bench_load(const char *path, const engrate_model *m, figures *fig)
{
    printf("\nModel load                               levels      bytes    median  ns/level\n");
    load_ctx c = {path, NULL};
    double ns = measure(run_load, &c);
    FILE *fp = fopen(path, "rb");
    long bytes = -1;
    if (fp && fseek(fp, 0, SEEK_END) == 0)
        bytes = ftell(fp);
    if (fp)
        fclose(fp);
    size_t lv = model_levels(m);
    printf("  %-36s %8zu %10ld %7.3f ms %8.0f\n", "MODEL, from its file", lv, bytes,
           ns / 1e6, ns / (double)lv);
    fig->load_default_ms = ns / 1e6;
    if (isnan(ns))
        return -1;
    static const size_t sizes[] = {1000, 10000, 100000};
    for (size_t k = 0; k < 3; k++) {
        size_t n = sizes[k];
        text t = synthetic_model(n / 10, n * 6 / 10, n - n / 10 - n * 6 / 10);
        load_ctx cs = {NULL, &t};
        ns = measure(run_load, &cs);
        char what[64];
        snprintf(what, sizeof what, "synthetic, %zu levels, from memory", n);
        printf("  %-36s %8zu %10zu %7.3f ms %8.0f\n", what, n, t.n, ns / 1e6, ns / (double)n);
        free(t.s);
        if (isnan(ns))
            return -1;
    }
    return 0;
}

/* A profile of 100,000 skills, six names over and over (two of them unknown): the work
 * per name stays flat as the list grows (tests/check_hardening.c checks the answer,
 * tests/check_chaos.c counts the allocations; the time is here). */
typedef struct large_ctx {
    const engrate_model *m;
    engrate_result *r;
    const char **skills;
    size_t n;
} large_ctx;

static int run_large(void *vctx, size_t iters)
{
    large_ctx *c = vctx;
    double years = 5;
    for (size_t i = 0; i < iters; i++)
        if (engrate_estimate_profile(c->m, NULL, c->skills, c->n, NULL, 0, &years, 0, c->r,
                                     NULL) < 0)
            return -1;
    return 0;
}

static int bench_large(const engrate_model *m)
{
    static const char *const pool[] = {"java", "Python", "Ｊａｖａ", "cobol", "", " java "};
    size_t at;
    if (engrate_model_input_index(m, "skills", &at) < 0 ||
        engrate_model_input_index(m, "years", &at) < 0)
        return 0;
    printf("\nA profile of many skills (six names over and over, two unknown)  median  "
           "ns/name\n");
    large_ctx c = {m, engrate_result_new(m, NULL), malloc(100000 * sizeof(char *)), 0};
    if (!c.r || !c.skills)
        return -1;
    for (size_t i = 0; i < 100000; i++)
        c.skills[i] = pool[i % 6];
    int rc = 0;
    for (size_t n = 1000; n <= 100000 && rc == 0; n *= 10) {
        c.n = n;
        double ns = measure(run_large, &c);
        printf("  %-54zu %7.3f ms %8.1f\n", n, ns / 1e6, ns / (double)n);
        rc = isnan(ns) ? -1 : 0;
    }
    engrate_result_free(c.r);
    free(c.skills);
    return rc;
}

int main(int argc, char **argv)
{
    const char *model_path = ENGRATE_BENCH_MODEL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-q") == 0)
            quick = 1;
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
            run_ms = atof(argv[++i]);
        else
            return usage();
    }
    if (i < argc)
        model_path = argv[i++];
    if (i < argc || runs < 1 || runs > 64 || !(run_ms > 0))
        return usage();

    print_command(argv, model_path);
    const char *lib = library_path();
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 0)
        load[0] = load[1] = load[2] = NAN;
    printf("# engrate %s, %s (%s), %ld CPUs online, load average %.2f %.2f %.2f\n",
           engrate_version_string(), lib, strstr(lib, ".so") ? "shared library" : "static",
           sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
    printf("# each figure: the median of %d runs of >= %g ms; estimates cycle through %d "
           "random profiles\n# with level ids as names; batch calls take %d profiles\n",
           runs, run_ms, N_PROFILES, BATCH);

    figures fig = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    engrate_error err;
    engrate_model *m = engrate_model_load(model_path, 0, &err);
    if (!m) {
        fprintf(stderr, "engrate-bench: %s\n", err.text);
        return 1;
    }
    if (!quick && (bench_load(model_path, m, &fig) || bench_large(m)))
        return 1;
    int headline = supports(m, 5, 2); /* else the synthetic model gives the figures */
    int all_rows = 1;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        all_rows &= supports(m, shapes[k].skills, shapes[k].certs);
    if (bench_model(m, model_path, headline ? &fig : NULL))
        return 1;
    if (!quick && !all_rows) { /* the rows MODEL is too small for */
        text t = synthetic_model(25, 50, 25);
        engrate_model *syn = engrate_model_load_buffer(t.s, t.n, "synthetic", 0, &err);
        free(t.s);
        if (!syn) {
            fprintf(stderr, "engrate-bench: synthetic model: %s\n", err.text);
            return 1;
        }
        int rc = bench_model(syn, "a synthetic model",
                             headline ? NULL : &fig);
        engrate_model_free(syn);
        if (rc)
            return 1;
    }
    printf("\nby name: engrate_estimate_profile; by id: engrate_query_add_level ... "
           "engrate_estimate;\nbatch: engrate_estimate_batch; floor: the same hash lookups "
           "(the library's hash,\nnames as given) and multiply-adds in a bare loop, then exp(); "
           "/floor = by name / floor.\n2 threads share the model, each with its own result: "
           "ns per estimate in each thread,\nand estimates per second of both together.\n");

    if (!quick && bench_whatif(m, model_path, &fig))
        return 1;

    double per_batch = NAN;
    fig.allocations = COUNTING_ALLOCATOR ? count_allocations(m, &per_batch) : NAN;
    if (COUNTING_ALLOCATOR)
        printf("\nAllocations after warm-up: %g per estimate (by name, by id, display and "
               "unknown names);\n%g per batch call of %d profiles\n",
               fig.allocations, per_batch, BATCH);
    else
        printf("\nAllocations: not counted (no counting allocator on this C library)\n");

    printf("\n");
    printf(isnan(fig.by_name_ns) ? "estimate_by_name_ns NA\n" : "estimate_by_name_ns %.1f\n",
           fig.by_name_ns);
    printf(isnan(fig.floor_ns) ? "floor_ns NA\n" : "floor_ns %.1f\n", fig.floor_ns);
    printf(isnan(fig.batch_per_s) ? "batch_profiles_per_s NA\n" : "batch_profiles_per_s %.0f\n",
           fig.batch_per_s);
    printf(isnan(fig.load_default_ms) ? "load_default_ms NA\n" : "load_default_ms %.4f\n",
           fig.load_default_ms);
    printf(isnan(fig.allocations) ? "estimate_allocations NA\n" : "estimate_allocations %g\n",
           fig.allocations);
    /* The same profile shape over 4,096 profiles (see the top of this file). */
    printf(isnan(fig.by_name_distinct_ns) ? "estimate_by_name_4096_ns NA\n"
                                          : "estimate_by_name_4096_ns %.1f\n",
           fig.by_name_distinct_ns);
    printf(isnan(fig.floor_distinct_ns) ? "floor_4096_ns NA\n" : "floor_4096_ns %.1f\n",
           fig.floor_distinct_ns);
    printf(isnan(fig.batch_distinct_per_s) ? "batch_4096_profiles_per_s NA\n"
                                           : "batch_4096_profiles_per_s %.0f\n",
           fig.batch_distinct_per_s);
    /* What-if on the same profile shape, in microseconds a run. */
    printf(isnan(fig.whatif_all_us) ? "whatif_all_us NA\n" : "whatif_all_us %.2f\n",
           fig.whatif_all_us);
    printf(isnan(fig.whatif_top5_us) ? "whatif_top5_us NA\n" : "whatif_top5_us %.2f\n",
           fig.whatif_top5_us);
    printf(isnan(fig.whatif_target_us) ? "whatif_target_us NA\n" : "whatif_target_us %.2f\n",
           fig.whatif_target_us);
    printf(isnan(fig.whatif_candidates) ? "whatif_candidates NA\n"
                                        : "whatif_candidates %.1f\n",
           fig.whatif_candidates);
    printf(isnan(fig.whatif_allocations) ? "whatif_allocations NA\n"
                                         : "whatif_allocations %g\n",
           fig.whatif_allocations);
    engrate_model_free(m);
    return 0;
}
