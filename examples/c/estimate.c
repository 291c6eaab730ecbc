/* estimate.c: the smallest complete program on libengrate, built the way a user builds one,
 * against the installed library:
 *
 *     cc estimate.c $(pkg-config --cflags --libs engrate) -o estimate
 *     ./estimate [ROLE [YEARS [SKILL...]]]
 *
 * It loads the default model ($ENGRATE_MODEL, else the installed default), estimates one
 * profile (pmo, 8 years, Java, PMP unless the arguments say otherwise) and prints the
 * estimate, its interval and the breakdown. Exit status 1 when the model cannot be loaded
 * or the estimate fails. make check builds and runs it from a temporary installation
 * (examples/c/install-check.sh). */
#include <stdio.h>
#include <stdlib.h>

#include <engrate.h>

int main(int argc, char **argv)
{
    const char *role = argc > 1 ? argv[1] : "pmo";
    double years = argc > 2 ? strtod(argv[2], NULL) : 8;
    const char *const default_skills[] = {"java"};
    /* Names are passed as const char *const *, which C reaches from argv only by a cast. */
    const char *const *skills = argc > 3 ? (const char *const *)argv + 3 : default_skills;
    size_t n_skills = argc > 3 ? (size_t)(argc - 3) : 1;
    const char *const certs[] = {"pmp"};

    engrate_error err;
    engrate_model *model = engrate_model_load_default(0, &err);
    if (!model) {
        fprintf(stderr, "estimate: %s\n", err.text);
        return 1;
    }
    engrate_result *r = engrate_result_new(model, &err);
    int status = 1;
    if (r && engrate_estimate_profile(model, role, skills, n_skills, certs, 1, &years, 0, r,
                                      &err) == 0) {
        printf("%s: %.0f %s per %s (%.0f%%: %.0f - %.0f)\n", engrate_model_meta(model, "name"),
               engrate_result_estimate(r), engrate_model_meta(model, "currency"),
               engrate_model_meta(model, "period"), engrate_result_level(r) * 100,
               engrate_result_low(r), engrate_result_high(r));
        for (size_t i = 0; i < engrate_result_contribution_count(r); i++) {
            size_t input = engrate_result_contribution_input(r, i);
            size_t level = engrate_result_contribution_level(r, i);
            printf("  %-12s %-16s %+10.0f\n",
                   input == ENGRATE_NO_INDEX ? "base" : engrate_input_id(model, input),
                   level == ENGRATE_NO_INDEX ? "" : engrate_level_id(model, input, level),
                   engrate_result_contribution_amount(r, i));
        }
        for (size_t i = 0; i < engrate_result_unknown_count(r); i++)
            printf("  unknown: %s\n", engrate_result_unknown_name(r, i));
        status = 0;
    } else {
        fprintf(stderr, "estimate: %s\n", err.text);
    }
    engrate_result_free(r);
    engrate_model_free(model);
    return status;
}
