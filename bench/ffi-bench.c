/* ffi-bench.c: the C side of bench/ffi-bench.sh. It times, on the profiles of a file
 * written by the driver, one engrate_estimate_profile call per profile and one
 * engrate_estimate_batch call for all of them, and prints the time per profile in
 * nanoseconds, as the Python and Ruby sides do:
 *
 *   ffi-bench MODEL PROFILES RUNS MS
 *
 * PROFILES has one profile a line: role TAB skills TAB certs TAB years, names separated by
 * ';', an empty field for none. Each figure is the median of RUNS runs of at least MS
 * milliseconds. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <engrate.h>

#define MAX_PROFILES 100000

typedef struct batch {
    size_t n;
    const char **roles;
    const char **skills, **certs;
    size_t *skill_offsets, *cert_offsets;
    double *years;
} batch;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Split s at c in place, appending the non-empty parts to out. */
static void split(char *s, char c, const char **out, size_t *n)
{
    while (s && *s) {
        char *end = strchr(s, c);
        if (end)
            *end++ = '\0';
        if (*s)
            out[(*n)++] = s;
        s = end;
    }
}

static int read_profiles(const char *path, batch *b)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    b->roles = calloc(MAX_PROFILES, sizeof *b->roles);
    b->skills = calloc(MAX_PROFILES * 8, sizeof *b->skills);
    b->certs = calloc(MAX_PROFILES * 8, sizeof *b->certs);
    b->skill_offsets = calloc(MAX_PROFILES + 1, sizeof *b->skill_offsets);
    b->cert_offsets = calloc(MAX_PROFILES + 1, sizeof *b->cert_offsets);
    b->years = calloc(MAX_PROFILES, sizeof *b->years);
    char line[4096];
    size_t ns = 0, nc = 0;
    while (b->n < MAX_PROFILES && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *field[4] = {line, NULL, NULL, NULL};
        for (int k = 1; k < 4 && field[k - 1]; k++) {
            field[k] = strchr(field[k - 1], '\t');
            if (field[k])
                *field[k]++ = '\0';
        }
        if (!field[3])
            continue;
        b->roles[b->n] = *field[0] ? strdup(field[0]) : NULL;
        b->skill_offsets[b->n] = ns;
        split(strdup(field[1]), ';', b->skills, &ns);
        b->cert_offsets[b->n] = nc;
        split(strdup(field[2]), ';', b->certs, &nc);
        b->years[b->n] = *field[3] ? strtod(field[3], NULL) : NAN;
        b->n++;
    }
    b->skill_offsets[b->n] = ns;
    b->cert_offsets[b->n] = nc;
    fclose(f);
    return 0;
}

static double sink;

/* Median over runs of the time per profile, in ns. */
static double time_single(const engrate_model *m, engrate_result *r, const batch *b, int runs,
                          double ms)
{
    double t[64];
    for (int k = 0; k < runs; k++) {
        size_t done = 0;
        double start = now(), el;
        do {
            for (size_t i = 0; i < b->n; i++) {
                size_t s0 = b->skill_offsets[i], c0 = b->cert_offsets[i];
                const double *y = isnan(b->years[i]) ? NULL : &b->years[i];
                engrate_estimate_profile(m, b->roles[i], b->skills + s0,
                                         b->skill_offsets[i + 1] - s0, b->certs + c0,
                                         b->cert_offsets[i + 1] - c0, y, 0, r, NULL);
                sink += engrate_result_estimate(r);
            }
            done += b->n;
        } while ((el = now() - start) < ms / 1000);
        t[k] = el / (double)done * 1e9;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp);
    return t[runs / 2];
}

static double time_batch(const engrate_model *m, const batch *b, double *out, int runs,
                         double ms)
{
    double t[64];
    for (int k = 0; k < runs; k++) {
        size_t done = 0;
        double start = now(), el;
        do {
            engrate_estimate_batch(m, b->n, b->roles, b->skills, b->skill_offsets, b->certs,
                                   b->cert_offsets, b->years, 0, out, NULL, NULL, NULL, NULL,
                                   NULL, NULL);
            sink += out[0];
            done += b->n;
        } while ((el = now() - start) < ms / 1000);
        t[k] = el / (double)done * 1e9;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp);
    return t[runs / 2];
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: ffi-bench MODEL PROFILES RUNS MS\n");
        return 2;
    }
    int runs = atoi(argv[3]);
    double ms = atof(argv[4]);
    runs = runs < 1 ? 1 : runs > 64 ? 64 : runs;
    engrate_error err;
    engrate_model *m = engrate_model_load(argv[1], 0, &err);
    if (!m) {
        fprintf(stderr, "ffi-bench: %s\n", err.text);
        return 1;
    }
    batch b = {0};
    if (read_profiles(argv[2], &b) != 0 || b.n == 0) {
        fprintf(stderr, "ffi-bench: cannot read profiles from %s\n", argv[2]);
        return 1;
    }
    engrate_result *r = engrate_result_new(m, &err);
    double *out = malloc(b.n * sizeof *out);
    if (!r || !out)
        return 1;
    printf("single %.1f\n", time_single(m, r, &b, runs, ms));
    printf("batch %.1f\n", time_batch(m, &b, out, runs, ms));
    engrate_result_free(r);
    engrate_model_free(m);
    return sink == 42 ? 3 : 0; /* keep the sums alive */
}
