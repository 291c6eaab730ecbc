/* train-bench.c: the training benchmark (not a test). For 10^5, 10^6 and 10^7 rows it
 * writes a synthetic CSV (20 roles, 100 skills, 25 certs, years with 3 knots: 150 terms),
 * trains on it in a child process with the library's defaults (lambda auto, 5 folds), once
 * per thread count (1 and 2 unless --threads says others), and prints rows per second,
 * wall time and the child's peak memory, so the growth with rows and the gain of a second
 * thread are visible (the ratio of two runs next to each other: the machine's noise
 * touches both alike). It ends with machine-readable lines:
 *   train_wall_s ROWS THREADS N
 *   train_peak_rss_mb ROWS THREADS N
 * Usage: engrate-train-bench [--dir DIR] [--keep] [--threads N[,N...]] [ROWS...] */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <engrate.h>
#include <engrate_train.h>

#define N_ROLES 20
#define N_SKILLS 100
#define N_CERTS 25

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rng(void)
{
    uint64_t x = rng_state += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static double unif(void) { return (double)(rng() >> 11) * 0x1p-53; }

static double gauss(void)
{
    double u = unif(), v = unif();
    return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(6.283185307179586 * v);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Rates from known effects: log rate = 13.2 + role + skills + certs + years curve + noise. */
static int write_csv(const char *path, long rows)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    double role_eff[N_ROLES], skill_eff[N_SKILLS], cert_eff[N_CERTS];
    for (int i = 0; i < N_ROLES; i++)
        role_eff[i] = 0.4 * unif() - 0.2;
    for (int i = 0; i < N_SKILLS; i++)
        skill_eff[i] = 0.1 * unif() - 0.03;
    for (int i = 0; i < N_CERTS; i++)
        cert_eff[i] = 0.05 * unif();
    fputs("role,skills,certs,years,rate\n", f);
    for (long r = 0; r < rows; r++) {
        int role = (int)(rng() % N_ROLES);
        double eta = 13.2 + role_eff[role];
        fprintf(f, "role%02d,", role);
        int ns = (int)(rng() % 10), nc = (int)(rng() % 3);
        for (int k = 0; k < ns; k++) {
            int s = (int)(rng() % N_SKILLS);
            eta += skill_eff[s];
            fprintf(f, k ? ";skill%03d" : "skill%03d", s);
        }
        fputc(',', f);
        for (int k = 0; k < nc; k++) {
            int c = (int)(rng() % N_CERTS);
            eta += cert_eff[c];
            fprintf(f, k ? ";cert%02d" : "cert%02d", c);
        }
        double years = (double)(rng() % 401) / 10;
        eta += 0.05 * years - 0.03 * fmax(0, years - 5) - 0.015 * fmax(0, years - 15) -
               0.004 * fmax(0, years - 25);
        fprintf(f, ",%.1f,%.0f\n", years, exp(eta + 0.15 * gauss()));
    }
    return fclose(f);
}

/* In the child: train and save; exit status 0 on success. */
static int train_child(const char *csv, const char *model, const char *threads)
{
    engrate_error err;
    engrate_train_options *o = engrate_train_options_new();
    if (!o || engrate_train_options_set(o, "numeric", "years:knots=5,15,25", &err) ||
        engrate_train_options_set(o, "categorical", "role", &err) ||
        engrate_train_options_set(o, "set", "skills", &err) ||
        engrate_train_options_set(o, "set", "certs", &err) ||
        engrate_train_options_set(o, "threads", threads, &err)) {
        fprintf(stderr, "options: %s\n", err.text);
        return 1;
    }
    engrate_train_report *rep = NULL;
    engrate_model *m = engrate_train_csv(csv, o, &rep, &err);
    if (!m || engrate_model_save(m, model, 0, &err)) {
        fprintf(stderr, "train: %s\n", err.text);
        return 1;
    }
    fprintf(stderr, "  p=%.0f lambda=%.4g cv_rmse=%.4f coverage=%.3f\n",
            engrate_train_report_value(rep, "p"), engrate_train_report_value(rep, "lambda"),
            engrate_train_report_value(rep, "cv_rmse"),
            engrate_train_report_value(rep, "coverage"));
    engrate_model_free(m);
    engrate_train_report_free(rep);
    engrate_train_options_free(o);
    return 0;
}

/* One training of csv with `threads` in a child: its wall time and peak memory; 0 or -1. */
static int run(const char *csv, const char *model, const char *threads, double *wall,
               double *rss)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0)
        _exit(train_child(csv, model, threads));
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
        perror("fork");
        return -1;
    }
    *wall = now() - t0;
    *rss = (double)ru.ru_maxrss / 1024.0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

#define MAX_RUNS 16

int main(int argc, char **argv)
{
    const char *dir = NULL;
    char *threads[MAX_RUNS], tlist[64] = "1,2";
    size_t n_threads = 0;
    int keep = 0;
    long sizes[MAX_RUNS];
    size_t n_sizes = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            snprintf(tlist, sizeof tlist, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--child") && i + 3 < argc)
            return train_child(argv[i + 1], argv[i + 2], argv[i + 3]);
        else if (n_sizes < MAX_RUNS && atol(argv[i]) > 0)
            sizes[n_sizes++] = atol(argv[i]);
        else {
            fprintf(stderr, "usage: %s [--dir DIR] [--keep] [--threads N[,N...]] [ROWS...]\n",
                    argv[0]);
            return 2;
        }
    }
    for (char *t = strtok(tlist, ","); t && n_threads < MAX_RUNS; t = strtok(NULL, ","))
        threads[n_threads++] = t;
    if (!n_sizes) {
        sizes[0] = 100000;
        sizes[1] = 1000000;
        sizes[2] = 10000000;
        n_sizes = 3;
    }
    char tmpl[] = "/tmp/engrate-train-bench.XXXXXX";
    if (!dir && !(dir = mkdtemp(tmpl))) {
        perror("mkdtemp");
        return 1;
    }
    double walls[MAX_RUNS][MAX_RUNS], rss[MAX_RUNS][MAX_RUNS];
    printf("%10s %8s %12s %10s %10s %12s\n", "rows", "threads", "rows/s", "wall s", "peak MB",
           "vs first");
    for (size_t s = 0; s < n_sizes; s++) {
        char csv[4096], model[4096];
        snprintf(csv, sizeof csv, "%s/bench-%ld.csv", dir, sizes[s]);
        snprintf(model, sizeof model, "%s/bench-%ld.model", dir, sizes[s]);
        if (access(csv, R_OK) != 0) {
            fprintf(stderr, "writing %s ...\n", csv);
            if (write_csv(csv, sizes[s])) {
                perror(csv);
                return 1;
            }
        }
        for (size_t k = 0; k < n_threads; k++) {
            if (run(csv, model, threads[k], &walls[s][k], &rss[s][k])) {
                fprintf(stderr, "training %ld rows with %s threads failed\n", sizes[s],
                        threads[k]);
                return 1;
            }
            printf("%10ld %8s %12.0f %10.2f %10.1f %11.2fx\n", sizes[s], threads[k],
                   (double)sizes[s] / walls[s][k], walls[s][k], rss[s][k],
                   walls[s][0] / walls[s][k]);
            fflush(stdout);
        }
        if (!keep) {
            remove(csv);
            remove(model);
        }
    }
    for (size_t s = 0; s < n_sizes; s++)
        for (size_t k = 0; k < n_threads; k++)
            printf("train_wall_s %ld %s %.3f\n", sizes[s], threads[k], walls[s][k]);
    for (size_t s = 0; s < n_sizes; s++)
        for (size_t k = 0; k < n_threads; k++)
            printf("train_peak_rss_mb %ld %s %.1f\n", sizes[s], threads[k], rss[s][k]);
    if (!keep)
        rmdir(dir);
    return 0;
}
