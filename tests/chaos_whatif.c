/* chaos_whatif.c: the operations of tests/check_chaos.c on what-if: making one, a ranking
 * and a path to a target on the jp-freelance model for a profile with unknown and aliased
 * names (which the profile's result copies on its first run), and a run after that first
 * one, which must allocate nothing at all (chaos_ops.c says how an operation runs). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaos_ops.h"

static char *ref_whatif[4];

/* The profile: an alias in Japanese, an unknown skill, years. */
static engrate_query *profile(void)
{
    engrate_query *q = engrate_query_new(chaos.jp_model, NULL);
    if (!q || engrate_query_add(q, "role", "プロマネ", NULL, NULL) < 0 ||
        engrate_query_add(q, "skills", "Java", NULL, NULL) < 0 ||
        engrate_query_add(q, "skills", "謎のスキル", NULL, NULL) < 0 ||
        engrate_query_add(q, "certs", "PMP", NULL, NULL) < 0 ||
        engrate_query_set_number(q, "years", 3, NULL) < 0)
        abort();
    return q;
}

static void put_records(chaos_buf *b, const engrate_whatif *w)
{
    chaos_printf(b, "count %zu reached %d\n", engrate_whatif_count(w), engrate_whatif_reached(w));
    for (size_t i = 0; i < engrate_whatif_count(w); i++) {
        size_t input = 0, level = 0;
        engrate_whatif_input(w, i, &input);
        int has_level = engrate_whatif_level(w, i, &level) == 0;
        chaos_printf(b, "%d %zu %zu %a %a %a %a %a %u\n", engrate_whatif_change(w, i), input,
                     has_level ? level : (size_t)-1, engrate_whatif_estimate(w, i),
                     engrate_whatif_low(w, i), engrate_whatif_high(w, i),
                     engrate_whatif_delta(w, i), engrate_whatif_value(w, i),
                     engrate_whatif_flags(w, i));
    }
    const engrate_result *r = engrate_whatif_result(w);
    for (size_t i = 0; i < engrate_result_unknown_count(r); i++)
        chaos_printf(b, "unknown %s\n", engrate_result_unknown_name(r, i));
}

static int op_whatif_new(chaos_ctx *c)
{
    engrate_error err;
    chaos_begin(c);
    engrate_whatif *w = engrate_whatif_new(chaos.jp_model, &err);
    chaos_end(c);
    if (!w)
        return chaos_expect_nomem("engrate_whatif_new", ENGRATE_E_NOMEM, &err);
    engrate_whatif_free(w);
    chaos_buf b = {0};
    chaos_printf(&b, "whatif");
    return chaos_settle(c, &ref_whatif[0], b.s);
}

/* A run (or, with target, a path to 1.3 times the estimate) on a new what-if, and with
 * `again` a second one after it: the second must not allocate. */
static int run(chaos_ctx *c, int target, int again, char **ref)
{
    engrate_error err;
    engrate_query *q = profile();
    engrate_whatif *w = engrate_whatif_new(chaos.jp_model, NULL);
    if (!w)
        abort();
    if (again && engrate_whatif_run(w, q, 0, ENGRATE_WHATIF_NO_EVIDENCE, NULL) != 0)
        abort();
    chaos_begin(c);
    int rc = target ? engrate_whatif_target(w, q, 1.3e6, 5, 0, &err)
                    : engrate_whatif_run(w, q, 10, ENGRATE_WHATIF_NO_EVIDENCE, &err);
    chaos_end(c);
    int out;
    if (again && c->fail_at == 0 && c->count != 0) {
        fprintf(stderr, "  a run after the first made %lu allocations\n", c->count);
        out = CHAOS_BAD;
    } else if (rc < 0) {
        out = chaos_expect_nomem(target ? "engrate_whatif_target" : "engrate_whatif_run", rc,
                                 &err);
        if (engrate_whatif_count(w) != 0) {
            fprintf(stderr, "  a failed run left records\n");
            out = CHAOS_BAD;
        }
    } else {
        chaos_buf b = {0};
        put_records(&b, w);
        out = chaos_settle(c, ref, b.s);
    }
    engrate_whatif_free(w);
    engrate_query_free(q);
    return out;
}

static int op_whatif_run(chaos_ctx *c) { return run(c, 0, 0, &ref_whatif[1]); }
static int op_whatif_target(chaos_ctx *c) { return run(c, 1, 0, &ref_whatif[2]); }
static int op_whatif_again(chaos_ctx *c) { return run(c, 0, 1, &ref_whatif[3]); }

const chaos_op chaos_whatif_ops[] = {
    {"whatif_new", op_whatif_new},
    {"whatif run", op_whatif_run},
    {"whatif target", op_whatif_target},
    {"whatif run again (no allocation)", op_whatif_again},
};
const size_t chaos_n_whatif_ops = sizeof chaos_whatif_ops / sizeof chaos_whatif_ops[0];

void chaos_whatif_free(void)
{
    for (size_t i = 0; i < sizeof ref_whatif / sizeof ref_whatif[0]; i++)
        free(ref_whatif[i]);
}
