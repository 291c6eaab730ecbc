/* api-misuse.c: what include/engrate.h lets a C program get wrong, one mistake per CASE,
 * and (CASE 0) the same calls made right. tests/api-misuse.test compiles each with
 * -Wall -Wextra -Wconversion -Werror: CASE 0 must compile cleanly and every other CASE
 * must fail, with the diagnostic that names the mistake. Never linked or run. */
#include <stddef.h>

#include <engrate.h>

#ifndef CASE
#define CASE 0
#endif

int use(engrate_model *m, engrate_query *q, engrate_result *r, int argc, char **argv);

int use(engrate_model *m, engrate_query *q, engrate_result *r, int argc, char **argv)
{
    engrate_error err;
    int rc = 0;
#if CASE == 0
    /* Indexes are size_t, lookups return a status and write the index. */
    size_t skills = ENGRATE_NO_INDEX, level = ENGRATE_NO_INDEX;
    unsigned flags = 0;
    rc |= engrate_model_input_index(m, "skills", &skills);
    rc |= engrate_model_find_level(m, skills, "java", &level, &flags);
    rc |= engrate_model_suggest(m, skills, "jva", &level);
    for (size_t i = 0; i < engrate_result_contribution_count(r); i++) {
        size_t input = engrate_result_contribution_input(r, i);
        if (input == ENGRATE_NO_INDEX) /* the base */
            continue;
        level = engrate_result_contribution_level(r, i);
        rc |= level == ENGRATE_NO_INDEX && engrate_input_kind(m, input) != ENGRATE_NUMERIC;
    }
    /* Statuses are 0 or negative; what became of a name is in flags. */
    rc |= engrate_query_add(q, "skills", "java", &flags, &err);
    rc |= engrate_query_add_list(q, "skills", "Java、Python", NULL, &err);
    /* argv reaches const char *const * by a cast. */
    const char *const *names = (const char *const *)argv;
    rc |= engrate_estimate_profile(m, NULL, names, (size_t)argc, NULL, 0, NULL, 0, r, &err);
    size_t failed = 0;
    double estimate[1];
    rc |= engrate_estimate_batch(m, 1, NULL, NULL, NULL, NULL, NULL, NULL, 0, estimate, NULL,
                                 NULL, NULL, NULL, &failed, &err);
    rc |= failed > 0;
#elif CASE == 1
    /* The index as the return value: there is none, it is written through size_t *. */
    size_t in = engrate_model_input_index(m, "skills");
    rc = (int)in;
#elif CASE == 2
    /* The status taken for the index: a negative code would wrap to a huge index. */
    size_t i;
    size_t in = engrate_model_input_index(m, "skills", &i);
    rc = (int)(in + i);
#elif CASE == 3
    /* An index kept in an int. */
    int level = engrate_result_contribution_level(r, 0);
    rc = level;
#elif CASE == 4
    /* "No index" tested as a negative number: never true. */
    if (engrate_result_contribution_input(r, 0) < 0)
        rc = 1;
#elif CASE == 5
    /* An int where the index is written. */
    int level;
    rc = engrate_model_find_level(m, 0, "java", (size_t *)0, NULL);
    rc |= engrate_model_suggest(m, 0, "jva", &level);
#elif CASE == 6
    /* argv passed without the cast. */
    rc = engrate_estimate_profile(m, NULL, argv, (size_t)argc, NULL, 0, NULL, 0, r, &err);
#elif CASE == 7
    /* engrate_query_add as it was: no flags. */
    rc = engrate_query_add(q, "skills", "java", &err);
#endif
    (void)m, (void)q, (void)r, (void)argc, (void)argv, (void)err;
    return rc;
}
