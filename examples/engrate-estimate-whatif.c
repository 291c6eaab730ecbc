/* engrate-estimate-whatif.c: the estimator's what-if questions. --whatif [N] ranks the
 * single changes to the profile (a skill or certification added, another role, more
 * years) by what they do to the estimate; --target-rate R finds the fewest additions
 * (skills, certifications, years) that reach R. Both run before anything is printed, and print as text with bars (English or
 * Japanese) or as keys of the estimate's JSON object. Public API only. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <engrate.h>

#include "engrate-estimate.h"

/* A count for --whatif N and --max-changes K: digits only, 1 to 1000. */
static int parse_count(const char *s, long *out)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (!*s || *s < '0' || *s > '9' || *end || errno || n < 1 || n > 1000)
        return -1;
    *out = n;
    return 0;
}

/* A rate for --target-rate as people write one: "1000000", "1,000,000", "¥1,000,000", or
 * a number of 万 (10,000) with an optional 円: "100万", "100万円", "95.5万". */
static int parse_rate(const char *arg, double *out)
{
    char s[128];
    size_t n = 0;
    static const char *const yen[] = {"¥", "￥"}; /* U+00A5, full-width U+FFE5 */
    for (size_t k = 0; k < 2; k++)
        if (strncmp(arg, yen[k], strlen(yen[k])) == 0)
            arg += strlen(yen[k]);
    for (; *arg && n + 1 < sizeof s; arg++) {
        if (*arg != ',') {
            s[n++] = *arg;
            continue;
        }
        /* a thousands separator: a digit before it, three after, then no digit ("1,3" is
         * refused) */
        if (n == 0 || s[n - 1] < '0' || s[n - 1] > '9')
            return -1;
        for (int k = 1; k <= 4; k++)
            if ((k < 4) != (arg[k] >= '0' && arg[k] <= '9'))
                return -1;
    }
    s[n] = '\0';
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    if (*arg || end == s || errno == ERANGE || !isfinite(x) || x <= 0)
        return -1;
    if (strcmp(end, "万") == 0 || strcmp(end, "万円") == 0)
        x *= 10000;
    else if (strcmp(end, "円") != 0 && *end)
        return -1;
    *out = x;
    return 0;
}

/* The inputs named in --vary ("role,skills"; "roles" as --list takes it) as indexes. */
static int vary_inputs(const engrate_model *m, const char *spec, engrate_whatif *w)
{
    size_t idx[64], n = 0;
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf) {
        fprintf(stderr, "engrate-estimate: --vary: too long\n");
        return EXIT_USAGE;
    }
    for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", ")) {
        size_t i = 0;
        if (engrate_model_input_index(m, strcmp(tok, "roles") == 0 ? "role" : tok, &i) < 0 ||
            n == sizeof idx / sizeof idx[0]) {
            fprintf(stderr, "engrate-estimate: --vary: the model has no input '%s' (inputs:",
                    tok);
            for (size_t k = 0; k < engrate_model_input_count(m); k++)
                fprintf(stderr, " %s", engrate_input_id(m, k));
            fprintf(stderr, ")\n");
            return EXIT_USAGE;
        }
        idx[n++] = i;
    }
    if (n == 0) {
        fprintf(stderr, "engrate-estimate: --vary: give input ids, e.g. skills,certs\n");
        return EXIT_USAGE;
    }
    return engrate_whatif_set_inputs(w, idx, n, NULL) == 0 ? 0 : EXIT_USAGE;
}

/* The profile's value of a numeric input. */
static double given_value(const engrate_result *r, size_t input)
{
    for (size_t i = 0; i < engrate_result_contribution_count(r); i++)
        if (engrate_result_contribution_input(r, i) == input)
            return engrate_result_contribution_value(r, i);
    return NAN;
}

/* What change i does, as a reader says it: "add Python to Skills", "Role: PM", "Years of
 * experience: 11 (now 8)"; 「Pythonを追加すると」, 「職種をPMにすると」. `r` is the profile
 * the change starts from. */
static void change_label(const view *v, const engrate_whatif *w, size_t i,
                         const engrate_result *r, char *buf, size_t cap)
{
    size_t input = 0, level = 0;
    engrate_whatif_input(w, i, &input);
    const char *label = engrate_input_label(v->m, input, v->lang);
    int change = engrate_whatif_change(w, i);
    if (change == ENGRATE_CHANGE_NUMBER) {
        double was = given_value(r, input), now = engrate_whatif_value(w, i);
        if (v->ja)
            snprintf(buf, cap, "%sを%gにすると", label, now);
        else
            snprintf(buf, cap, "%s: %g (now %g)", label, now, was);
        return;
    }
    engrate_whatif_level(w, i, &level);
    const char *name = engrate_level_name(v->m, input, level, v->lang);
    if (change == ENGRATE_CHANGE_ADD && v->ja)
        snprintf(buf, cap, "%sを追加すると", name);
    else if (change == ENGRATE_CHANGE_ADD)
        snprintf(buf, cap, "add %s to %s", name, label);
    else if (v->ja)
        snprintf(buf, cap, "%sを%sにすると", label, name);
    else
        snprintf(buf, cap, "%s: %s", label, name);
}

/* The records of a run as a ranked list with bars, or the steps of a path. */
static void print_changes(const view *v, const engrate_whatif *w)
{
    const engrate_result *r = engrate_whatif_result(w);
    size_t n = engrate_whatif_count(w);
    char label[600], d[96], e[96], note[128];
    int width = 0;
    double biggest = 0;
    for (size_t i = 0; i < n; i++) {
        change_label(v, w, i, r, label, sizeof label);
        int lw = display_width(label);
        width = lw > width ? lw : width;
        double x = fabs(engrate_whatif_delta(w, i));
        biggest = x > biggest ? x : biggest;
    }
    for (size_t i = 0; i < n; i++) {
        double delta = engrate_whatif_delta(w, i);
        change_label(v, w, i, r, label, sizeof label);
        format_amount(v, d, sizeof d, delta, 1);
        format_amount(v, e, sizeof e, engrate_whatif_estimate(w, i), 0);
        printf("    %2zu. ", i + 1);
        pad_to(label, width + 2);
        printf("%*s %+7.1f%%  → %*s  ", 11 + (int)(strlen(d) - (size_t)display_width(d)), d,
               engrate_whatif_delta_pct(w, i),
               11 + (int)(strlen(e) - (size_t)display_width(e)), e);
        signed_bar(delta, biggest, 16);
        flag_notes(v, engrate_whatif_flags(w, i), note, sizeof note);
        printf("%s\n", note);
    }
}

static const char *change_name(int change)
{
    return change == ENGRATE_CHANGE_ADD ? "add" : change == ENGRATE_CHANGE_LEVEL ? "role"
                                                                                 : "years";
}

/* The records as a JSON array of {"change", "input", "level", "name", "estimate", "low",
 * "high", "delta", "delta_pct", "value", "no_evidence"}. */
static void json_changes(const view *v, const engrate_whatif *w)
{
    printf("[");
    for (size_t i = 0; i < engrate_whatif_count(w); i++) {
        size_t input = 0, level = 0;
        engrate_whatif_input(w, i, &input);
        int has_level = engrate_whatif_level(w, i, &level) == 0;
        printf("%s{\"change\": \"%s\", \"input\": ", i ? ", " : "",
               change_name(engrate_whatif_change(w, i)));
        json_string(stdout, engrate_input_id(v->m, input));
        printf(", \"level\": ");
        if (has_level)
            json_string(stdout, engrate_level_id(v->m, input, level));
        else
            printf("null");
        printf(", \"name\": ");
        json_string(stdout, has_level ? engrate_level_name(v->m, input, level, v->lang)
                                      : engrate_input_label(v->m, input, v->lang));
        static double (*const numbers[])(const engrate_whatif *, size_t) = {
            engrate_whatif_estimate, engrate_whatif_low,       engrate_whatif_high,
            engrate_whatif_delta,    engrate_whatif_delta_pct, engrate_whatif_value};
        static const char *const keys[] = {"estimate", "low",       "high",
                                           "delta",    "delta_pct", "value"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            printf(", \"%s\": ", keys[k]);
            json_number(stdout, numbers[k](w, i));
        }
        printf(", \"no_evidence\": %s}",
               engrate_whatif_flags(w, i) & ENGRATE_FLAG_NO_EVIDENCE ? "true" : "false");
    }
    printf("]");
}

/* --target-rate, in text: the steps, then whether they reach the rate. */
static void print_target(const view *v, const engrate_whatif *w, const whatif_opts *o)
{
    char a[96], b[96], c[96];
    size_t n = engrate_whatif_count(w);
    format_amount(v, a, sizeof a, o->target, 0);
    if (v->ja)
        printf("\n  %sへの道筋 (追加は最大%ld件、毎回いちばん上がるものを選択)\n", a,
               o->max_changes);
    else
        printf("\n  Path to %s (at most %ld additions, each the one that raises it most)\n",
               a, o->max_changes);
    print_changes(v, w);
    double last = n ? engrate_whatif_estimate(w, n - 1)
                    : engrate_result_estimate(engrate_whatif_result(w));
    format_amount(v, b, sizeof b, last, 0);
    if (engrate_whatif_reached(w) && n == 0)
        printf(v->ja ? "    すでに%s以上です (%s)\n" : "    Already at %s or above (%s)\n", a, b);
    else if (engrate_whatif_reached(w))
        printf(v->ja ? "  到達: %s (%zu件の追加)\n" : "  Reached: %s with %zu addition%s\n", b,
               n, n == 1 ? "" : "s");
    else {
        format_amount(v, c, sizeof c, o->target - last, 0);
        if (v->ja)
            printf("  届きません: %zu件の追加で%s (あと%s)\n", n, b, c);
        else
            printf("  Not reached: %s with %zu addition%s, %s short\n", b, n,
                   n == 1 ? "" : "s", c);
    }
}

/* Run what --whatif and --target-rate ask for on the profile q, before anything is
 * printed, so that a failure prints only its message. 0 or an exit status. */
int compute_whatif(const view *v, const whatif_opts *o, const engrate_query *q,
                   unsigned flags, whatif_out *out)
{
    engrate_error err;
    engrate_whatif **ws[2] = {&out->top, &out->path};
    int wanted[2] = {o->top > 0, !isnan(o->target)};
    if (o->with_no_evidence)
        flags |= ENGRATE_WHATIF_NO_EVIDENCE;
    for (int k = 0; k < 2; k++) {
        if (!wanted[k])
            continue;
        engrate_whatif *w = *ws[k] = engrate_whatif_new(v->m, &err);
        if (!w) {
            fprintf(stderr, "engrate-estimate: %s\n", err.text);
            return EXIT_LOAD;
        }
        int status = o->vary ? vary_inputs(v->m, o->vary, w) : 0;
        if (status)
            return status;
        int rc = k == 0 ? engrate_whatif_run(w, q, (size_t)o->top, flags, &err)
                        : engrate_whatif_target(w, q, o->target, (size_t)o->max_changes, flags,
                                                &err);
        if (rc < 0) {
            fprintf(stderr, "engrate-estimate: %s\n", err.text);
            return rc == ENGRATE_E_NOMEM ? EXIT_LOAD : EXIT_USAGE;
        }
    }
    return 0;
}

/* Print what compute_whatif found: text after the breakdown, or the JSON keys "whatif"
 * and "target" inside the estimate's object. */
void print_whatif(const view *v, const whatif_opts *o, const whatif_out *out, int json)
{
    if (out->top && json) {
        printf(", \"whatif\": ");
        json_changes(v, out->top);
    } else if (out->top) {
        printf(v->ja ? "\n  もしも1つだけ変えると (上位%ld件)\n"
                     : "\n  What one change does (top %ld)\n",
               o->top);
        print_changes(v, out->top);
        if (engrate_whatif_count(out->top) == 0)
            printf("    %s\n", v->ja ? "(変えられるものがありません)" : "(nothing to change)");
    }
    if (out->path && json) {
        printf(", \"target\": {\"rate\": ");
        json_number(stdout, o->target);
        printf(", \"reached\": %s, \"max_changes\": %ld, \"path\": ",
               engrate_whatif_reached(out->path) ? "true" : "false", o->max_changes);
        json_changes(v, out->path);
        printf("}");
    } else if (out->path) {
        print_target(v, out->path, o);
    }
}

/* One of the what-if options into wo; 0, or -1 after saying what is wrong. --whatif takes
 * its count as --whatif=N or as the next argument when that is a number. */
int whatif_option(int c, const char *arg, int argc, char **argv, whatif_opts *wo)
{
    switch (c) {
    case 'W':
        if (!arg && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
            arg = argv[optind++];
        wo->top = 5;
        if (arg && parse_count(arg, &wo->top) != 0) {
            fprintf(stderr, "engrate-estimate: --whatif takes a count from 1 to 1000, not '%s'\n",
                    arg);
            return -1;
        }
        return 0;
    case 'T':
        if (parse_rate(arg, &wo->target) != 0) {
            fprintf(stderr, "engrate-estimate: --target-rate '%s' is not a positive amount "
                            "(e.g. 1000000 or 100万)\n", arg);
            return -1;
        }
        return 0;
    case 'K':
        if (parse_count(arg, &wo->max_changes) != 0) {
            fprintf(stderr, "engrate-estimate: --max-changes takes a count from 1 to 1000, "
                            "not '%s'\n", arg);
            return -1;
        }
        return 0;
    case 'v':
        wo->vary = arg;
        return 0;
    default: /* 'E' */
        wo->with_no_evidence = 1;
        return 0;
    }
}
