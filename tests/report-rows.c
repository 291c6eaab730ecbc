/* report-rows.c: a synthetic training file for the report's large test
 * (tests/report-1m.test): ROWS rows of role (20 levels, and 3 more seen once or twice, so
 * that --min-count drops them), skills (100, up to 9 distinct a row), certs (25, up to 2)
 * and years (a curve that bends at 5, 15 and 25), the rate log-normal around them; one
 * row in 2,000 has no years (NA) and one in 50,000 a rate that is no number (n/a), so
 * that the report has rows skipped by reason. A fixed seed: the same bytes every time.
 * Usage: report-rows ROWS FILE */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 17;

static uint64_t next(void)
{
    uint64_t x = state += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static double unif(void) { return ((double)(next() >> 11) + 0.5) * 0x1p-53; }
static double gauss(void) { return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif()); }

/* n distinct numbers below m (n <= m), by a partial shuffle of perm. */
static void pick(int *perm, int m, int n)
{
    for (int i = 0; i < n; i++) {
        int j = i + (int)(next() % (uint64_t)(m - i));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3 || atol(argv[1]) <= 0) {
        fprintf(stderr, "usage: report-rows ROWS FILE\n");
        return 2;
    }
    long rows = atol(argv[1]);
    FILE *f = fopen(argv[2], "w");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    double role_eff[23], skill_eff[100], cert_eff[25];
    int skills[100], certs[25];
    for (int i = 0; i < 23; i++)
        role_eff[i] = 0.4 * unif() - 0.2;
    for (int i = 0; i < 100; i++) {
        skill_eff[i] = 0.1 * unif() - 0.03;
        skills[i] = i;
    }
    for (int i = 0; i < 25; i++) {
        cert_eff[i] = 0.05 * unif();
        certs[i] = i;
    }
    fputs("role,skills,certs,years,rate\n", f);
    for (long r = 0; r < rows; r++) {
        int role = (int)(next() % 20);
        if (r == 11 || r == 18)
            role = 20;
        else if (r == 12)
            role = 21;
        else if (r == 4013)
            role = 22;
        double eta = 13.2 + role_eff[role];
        int ns = (int)(next() % 10), nc = (int)(next() % 3);
        fprintf(f, "role%02d,", role);
        pick(skills, 100, ns);
        for (int k = 0; k < ns; k++) {
            eta += skill_eff[skills[k]];
            fprintf(f, k ? ";skill%03d" : "skill%03d", skills[k]);
        }
        fputc(',', f);
        pick(certs, 25, nc);
        for (int k = 0; k < nc; k++) {
            eta += cert_eff[certs[k]];
            fprintf(f, k ? ";cert%02d" : "cert%02d", certs[k]);
        }
        double years = (double)(next() % 401) / 10;
        eta += 0.05 * years - 0.03 * fmax(0, years - 5) - 0.015 * fmax(0, years - 15) -
               0.004 * fmax(0, years - 25) + 0.15 * gauss();
        if (r % 2000 == 1999)
            fputs(",NA", f);
        else
            fprintf(f, ",%.1f", years);
        if (r % 50000 == 49999)
            fputs(",n/a\n", f);
        else
            fprintf(f, ",%.0f\n", exp(eta));
    }
    if (fclose(f)) {
        perror(argv[2]);
        return 1;
    }
    return 0;
}
