/* batch.c: engrate_estimate_batch, many profiles in one call for callers that pay for each
 * crossing into C (Python's ctypes, Ruby's ffi). It checks the arrays once, then runs
 * engrate_estimate_profile's own steps (er_estimate_profile) on each profile with one
 * result it reuses, so its numbers are the single call's, bit for bit, and it allocates
 * once per call, not once per profile. */
#include "config.h"

#include <math.h>

#include "internal.h"

/* Names with CSR offsets: both NULL, or offsets[0..n] non-decreasing (and names not NULL
 * when there is at least one). */
static int check_names(const char *what, const char *const *names, const size_t *offsets,
                       size_t n, engrate_error *err)
{
    if (!offsets) {
        if (names)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "%s given without %s offsets", what, what);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (offsets[i + 1] < offsets[i])
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "%s offsets decrease at profile %zu (%zu, then %zu)", what, i,
                            offsets[i], offsets[i + 1]);
    if (!names && offsets[n] > offsets[0])
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "%s is NULL with %zu names in the offsets", what,
                        offsets[n] - offsets[0]);
    return 0;
}

/* Write profile i's outputs (those not NULL) from r, or as failed when rc < 0. */
static void put_outputs(size_t i, int rc, const engrate_result *r, double *estimate,
                        double *low, double *high, unsigned *result_flags, int *status)
{
    double e = NAN, lo = NAN, hi = NAN;
    unsigned f = 0;
    if (rc == 0)
        er_result_summary(r, &e, &lo, &hi, &f);
    if (estimate)
        estimate[i] = e;
    if (low)
        low[i] = lo;
    if (high)
        high[i] = hi;
    if (result_flags)
        result_flags[i] = f;
    if (status)
        status[i] = rc;
}

ENGRATE_API int engrate_estimate_batch(const engrate_model *m, size_t n,
                                       const char *const *roles,
                                       const char *const *skills, const size_t *skill_offsets,
                                       const char *const *certs, const size_t *cert_offsets,
                                       const double *years, unsigned flags, double *estimate,
                                       double *low, double *high, unsigned *result_flags,
                                       int *status, size_t *n_failed, engrate_error *err)
{
    er_error_clear(err);
    if (n_failed)
        *n_failed = 0;
    if (!m)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "model is NULL");
    if (flags & ~(unsigned)ENGRATE_STRICT)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "unknown estimate flags 0x%x",
                        flags);
    int rc = check_names("skills", skills, skill_offsets, n, err);
    if (rc == 0)
        rc = check_names("certs", certs, cert_offsets, n, err);
    if (rc < 0 || n == 0)
        return rc;

    engrate_result *r = engrate_result_new(m, err);
    if (!r)
        return err ? err->code : ENGRATE_E_NOMEM;
    size_t failed = 0;
    int first = 0;
    for (size_t i = 0; i < n; i++) {
        const char *const *s = skill_offsets ? skills + skill_offsets[i] : NULL;
        size_t ns = skill_offsets ? skill_offsets[i + 1] - skill_offsets[i] : 0;
        const char *const *c = cert_offsets ? certs + cert_offsets[i] : NULL;
        size_t nc = cert_offsets ? cert_offsets[i + 1] - cert_offsets[i] : 0;
        const double *y = years && !isnan(years[i]) ? &years[i] : NULL;
        /* Only the first failure's message is kept: the others are not even written. */
        engrate_error one, *want = NULL;
        if (failed == 0 && err) {
            er_error_clear(&one);
            want = &one;
        }
        rc = er_estimate_profile(m, roles ? roles[i] : NULL, ns ? s : NULL, ns, nc ? c : NULL,
                                 nc, y, flags, r, want);
        if (rc < 0 && failed++ == 0) {
            first = rc;
            if (want)
                er_error(err, rc, NULL, 0, 0, "profile %zu: %s", i,
                         one.text[0] ? one.text : engrate_strerror(rc));
        }
        put_outputs(i, rc, r, estimate, low, high, result_flags, status);
    }
    engrate_result_free(r);
    if (n_failed)
        *n_failed = failed;
    return first;
}
