/* fuzz_model.c: libFuzzer target for the model loader (engrate_model_load_buffer) on
 * arbitrary bytes. A failed load must explain itself (fuzz.h). A model that loads must
 * answer every accessor, find each level by each of its names, estimate, and save to
 * canonical text that loads back to the same bits and saves to the same bytes. */
#include <math.h>

#include "fuzz.h"

/* Equal values: the same bits, except that the writer spells -0 as 0 on purpose. */
static int same_double(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static void check_level_names(const engrate_model *m, size_t i, size_t l)
{
    int aliased = -1;
    FUZZ_CHECK(test_find(m, i, engrate_level_id(m, i, l), &aliased) == (int)l);
    const char *langs[] = {"en", "ja", NULL, "", "zz"};
    for (size_t k = 0; k < sizeof langs / sizeof langs[0]; k++) {
        const char *name = engrate_level_name(m, i, l, langs[k]);
        FUZZ_CHECK(name != NULL);
        FUZZ_CHECK(test_find(m, i, name, NULL) == (int)l);
    }
    size_t na = engrate_level_alias_count(m, i, l);
    for (size_t k = 0; k < na; k++) {
        const char *a = engrate_level_alias(m, i, l, k);
        FUZZ_CHECK(a != NULL);
        FUZZ_CHECK(test_find(m, i, a, &aliased) == (int)l);
    }
    FUZZ_CHECK(engrate_level_alias(m, i, l, na) == NULL);
    if (l < 4) /* suggestions scan the whole index: a few are enough */
        FUZZ_CHECK(test_suggest(m, i, engrate_level_id(m, i, l)) == (int)l);
}

static void exercise(const engrate_model *m)
{
    size_t n = engrate_model_input_count(m);
    FUZZ_CHECK(n <= 64);
    FUZZ_CHECK(engrate_input_id(m, n) == NULL);
    FUZZ_CHECK(engrate_model_meta(m, "name") != NULL);
    FUZZ_CHECK(engrate_model_meta(m, "currency") != NULL);
    for (size_t i = 0; i < engrate_model_source_count(m); i++)
        FUZZ_CHECK(engrate_model_source(m, i) != NULL);
    double level = engrate_model_interval_level(m);
    FUZZ_CHECK(level > 0 && level < 1);
    FUZZ_CHECK(engrate_model_interval_low(m) <= engrate_model_interval_high(m));
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id = engrate_input_id(m, i);
        FUZZ_CHECK(id != NULL);
        FUZZ_CHECK(test_input_index(m, id) == (int)i);
        FUZZ_CHECK(engrate_input_label(m, i, "ja") != NULL);
        FUZZ_CHECK(engrate_input_label(m, i, NULL) != NULL);
        int kind = engrate_input_kind(m, i);
        size_t nl = engrate_input_level_count(m, i);
        total += nl;
        if (kind == ENGRATE_NUMERIC) {
            double lo = engrate_input_min(m, i), hi = engrate_input_max(m, i);
            double def = engrate_input_default(m, i);
            FUZZ_CHECK(lo <= def && def <= hi && fabs(lo) <= 1e300 && fabs(hi) <= 1e300);
            FUZZ_CHECK(nl == 0);
            size_t nk = engrate_input_knot_count(m, i);
            FUZZ_CHECK(nk <= 64);
            for (size_t k = 1; k < nk; k++)
                FUZZ_CHECK(engrate_input_knot(m, i, k - 1) < engrate_input_knot(m, i, k));
            for (size_t k = 0; k <= nk; k++)
                FUZZ_CHECK(isfinite(engrate_input_coef(m, i, k)));
            FUZZ_CHECK(isnan(engrate_input_coef(m, i, nk + 1)));
            FUZZ_CHECK(test_find(m, i, "x", NULL) == ENGRATE_E_INVALID);
        } else {
            FUZZ_CHECK(kind == ENGRATE_CATEGORICAL || kind == ENGRATE_SET);
            FUZZ_CHECK(nl <= 100000);
            FUZZ_CHECK(isnan(engrate_input_coef(m, i, 0)));
            for (size_t l = 0; l < nl; l++) {
                FUZZ_CHECK(isfinite(engrate_level_coef(m, i, l)));
                if (engrate_level_flags(m, i, l) & ENGRATE_LEVEL_NO_EVIDENCE)
                    FUZZ_CHECK(engrate_level_coef(m, i, l) == 0);
                if (l < 256)
                    check_level_names(m, i, l);
            }
            FUZZ_CHECK(engrate_level_id(m, i, nl) == NULL);
        }
    }
    FUZZ_CHECK(total <= 1000000);

    /* One estimate with the first level of every input and each numeric at its default,
     * then the same at each input's extremes. */
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    FUZZ_CHECK(q && r);
    for (int pass = 0; pass < 3; pass++) {
        engrate_query_reset(q);
        for (size_t i = 0; i < n; i++) {
            if (engrate_input_kind(m, i) == ENGRATE_NUMERIC) {
                double x = pass == 0 ? engrate_input_default(m, i)
                           : pass == 1 ? -1e308 : 1e308;
                FUZZ_CHECK(engrate_query_set_number_at(q, i, x, &err) == 0);
            } else if (engrate_input_level_count(m, i) > 0) {
                size_t l = pass == 2 ? engrate_input_level_count(m, i) - 1 : 0;
                FUZZ_CHECK(engrate_query_add_level(q, i, l, &err) == 0);
            }
        }
        FUZZ_CHECK(engrate_estimate(q, ENGRATE_STRICT, r, &err) == 0);
        size_t nt = engrate_result_contribution_count(r);
        FUZZ_CHECK(nt >= 1 && nt <= 1 + 2 * n); /* a set's level and its reference row */
        (void)engrate_result_estimate(r);
    }
    engrate_query_free(q);
    engrate_result_free(r);
}

/* Everything the model holds, compared bit for bit through the public accessors. */
static void check_same(const engrate_model *a, const engrate_model *b)
{
    FUZZ_CHECK(same_double(engrate_model_intercept(a), engrate_model_intercept(b)));
    FUZZ_CHECK(engrate_model_transform(a) == engrate_model_transform(b));
    FUZZ_CHECK(engrate_model_has_reference(a) == engrate_model_has_reference(b));
    FUZZ_CHECK(same_double(engrate_model_base(a), engrate_model_base(b)));
    FUZZ_CHECK(same_double(engrate_model_interval_low(a), engrate_model_interval_low(b)));
    FUZZ_CHECK(same_double(engrate_model_interval_high(a), engrate_model_interval_high(b)));
    FUZZ_CHECK(same_double(engrate_model_interval_level(a), engrate_model_interval_level(b)));
    size_t n = engrate_model_input_count(a);
    FUZZ_CHECK(n == engrate_model_input_count(b));
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(engrate_input_id(a, i), engrate_input_id(b, i)) == 0);
        FUZZ_CHECK(engrate_input_kind(a, i) == engrate_input_kind(b, i));
        size_t nk = engrate_input_knot_count(a, i);
        FUZZ_CHECK(nk == engrate_input_knot_count(b, i));
        for (size_t k = 0; k <= nk; k++) {
            FUZZ_CHECK(same_double(engrate_input_knot(a, i, k), engrate_input_knot(b, i, k)));
            FUZZ_CHECK(same_double(engrate_input_coef(a, i, k), engrate_input_coef(b, i, k)));
        }
        FUZZ_CHECK(same_double(engrate_input_min(a, i), engrate_input_min(b, i)));
        FUZZ_CHECK(same_double(engrate_input_max(a, i), engrate_input_max(b, i)));
        FUZZ_CHECK(same_double(engrate_input_default(a, i), engrate_input_default(b, i)));
        FUZZ_CHECK(same_double(engrate_input_reference(a, i), engrate_input_reference(b, i)));
        size_t nl = engrate_input_level_count(a, i);
        FUZZ_CHECK(nl == engrate_input_level_count(b, i));
        for (size_t l = 0; l < nl; l++) {
            FUZZ_CHECK(strcmp(engrate_level_id(a, i, l), engrate_level_id(b, i, l)) == 0);
            FUZZ_CHECK(same_double(engrate_level_coef(a, i, l), engrate_level_coef(b, i, l)));
            FUZZ_CHECK(engrate_level_flags(a, i, l) == engrate_level_flags(b, i, l));
            FUZZ_CHECK(engrate_level_alias_count(a, i, l) == engrate_level_alias_count(b, i, l));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    engrate_error err;
    memset(&err, 0x5A, sizeof err); /* the loader must clear it, not rely on the caller */
    engrate_model *m = engrate_model_load_buffer((const char *)data, size, "fuzz.model", 0, &err);
    if (!m) {
        fuzz_check_error(&err, 0);
        fuzz_check_position(data, size, &err);
        /* The same bytes through a NULL err: the same answer, no crash. */
        FUZZ_CHECK(engrate_model_load_buffer((const char *)data, size, NULL, 0, NULL) == NULL);
        return 0;
    }
    FUZZ_CHECK(err.code == 0);
    exercise(m);
    size_t len = 0;
    char *text = engrate_model_to_string(m, &len, &err);
    FUZZ_CHECK(text != NULL && strlen(text) == len);
    engrate_model *m2 = engrate_model_load_buffer(text, len, "saved.model", 0, &err);
    if (!m2)
        fprintf(stderr, "saved model does not load: %s\n", err.text);
    FUZZ_CHECK(m2 != NULL);
    check_same(m, m2);
    size_t len2 = 0;
    char *text2 = engrate_model_to_string(m2, &len2, &err);
    FUZZ_CHECK(text2 != NULL && len2 == len && memcmp(text, text2, len) == 0);
    engrate_string_free(text);
    engrate_string_free(text2);
    engrate_model_free(m2);
    engrate_model_free(m);
    return 0;
}
