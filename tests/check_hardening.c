/* check_hardening.c: bad input from outside, and misuse from callers. Every valid model
 * truncated at every byte and with bytes flipped at every offset loads or fails with a
 * code, a line and a column that point into the file; each documented limit of
 * models/FORMAT.md is accepted at the limit and refused past it (a hostile size before it
 * is read); every public function given NULL, NaN, infinities, absurd
 * numbers, empty, 1 MB and invalid UTF-8 names, 100,000 skills or a name twice answers
 * with an error code or its documented result; and a save killed at any moment leaves the
 * old file or the new one, whole.
 *
 * No assertion here depends on how fast anything runs (a busy machine must not turn a
 * correct build red): what is large is counted, not timed. ENGRATE_TEST_LIGHT=1 (set by
 * `make check-valgrind` and tests/tsan.sh) shrinks the large inputs. */
#define _GNU_SOURCE 1
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <engrate.h>
#include <engrate_train.h>

#include "testutil.h"

/* ck_assert_msg without its cost when it holds: check records the place of every passing
 * assertion (a write to a pipe), which the loops below would do millions of times. */
#define REQUIRE(cond, ...)                                                                \
    do {                                                                                  \
        if (!(cond))                                                                      \
            ck_abort_msg(__VA_ARGS__);                                                    \
    } while (0)

static int light(void)
{
    const char *v = getenv("ENGRATE_TEST_LIGHT");
    return v && *v && strcmp(v, "0") != 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* xorshift64*, fixed seeds: every run tries the same inputs. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

/* ---- A growing text buffer for generated models ---------------------------------- */

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        ck_assert_int_ge(k, 0);
        if (t->s && (size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        size_t cap = t->cap ? t->cap : 4096;
        while (cap - t->n <= (size_t)k)
            cap *= 2;
        t->s = realloc(t->s, cap);
        ck_assert_ptr_nonnull(t->s);
        t->cap = cap;
    }
}

static void add_head(text *t)
{
    add(t, "engrate-model 1\n[model]\nname = gen\ncurrency = JPY\nperiod = month\n"
           "transform = log\nintercept = 13\n[interval]\nlevel = 0.8\nlow = -0.2\nhigh = 0.2\n");
}

/* Load `len` bytes from a copy of exactly that size, so that reading past the end is an
 * error AddressSanitizer and valgrind see. */
static engrate_model *load_exact(const char *data, size_t len, const char *source,
                                 engrate_error *err)
{
    char *copy = malloc(len ? len : 1);
    REQUIRE(copy != NULL, "out of memory");
    memcpy(copy, data, len);
    engrate_model *m = engrate_model_load_buffer(copy, len, source, 0, err);
    free(copy);
    return m;
}

static int utf8_ok(const char *str)
{
    return test_utf8_ok(str, strlen(str));
}

/* A failed load explains itself: a code a file can cause, a line of the data (>= 1) and
 * a column at most one past that line's last byte, and a message that starts with
 * "source:line:" and is valid UTF-8. */
static void check_failure(const char *data, size_t len, const engrate_error *err,
                          const char *source, const char *what)
{
    int c = err->code;
    REQUIRE(c == ENGRATE_E_INVALID || c == ENGRATE_E_SYNTAX || c == ENGRATE_E_VERSION ||
                      c == ENGRATE_E_LIMIT || c == ENGRATE_E_DUPLICATE ||
                      c == ENGRATE_E_UNKNOWN_KEY || c == ENGRATE_E_NUMBER ||
                      c == ENGRATE_E_MISSING || c == ENGRATE_E_UTF8,
                  "%s: code %d (%s)", what, c, err->text);
    REQUIRE(err->line >= 1, "%s: line %d: %s", what, err->line, err->text);
    size_t start = 0;
    for (int line = 1; line < err->line; line++) {
        const char *nl = memchr(data + start, '\n', len - start);
        REQUIRE(nl != NULL, "%s: line %d is past the end: %s", what, err->line,
                      err->text);
        start = (size_t)(nl - data) + 1;
    }
    const char *nl = memchr(data + start, '\n', len - start);
    size_t line_len = nl ? (size_t)(nl - data) - start : len - start;
    REQUIRE(err->column >= 0 && (size_t)err->column <= line_len + 1,
                  "%s: column %d of a line of %zu bytes: %s", what, err->column, line_len,
                  err->text);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s:%d:", source, err->line);
    REQUIRE(strncmp(err->text, prefix, strlen(prefix)) == 0, "%s: '%s'", what,
                  err->text);
    REQUIRE(utf8_ok(err->text), "%s: message not UTF-8", what);
}

/* A model that loaded saves to text that loads back and saves to the same text. */
static void check_round_trip(engrate_model *m, const char *what)
{
    engrate_error err;
    size_t len = 0;
    char *s = engrate_model_to_string(m, &len, &err);
    REQUIRE(s != NULL, "%s: cannot save", what);
    engrate_model *m2 = engrate_model_load_buffer(s, len, "saved", 0, &err);
    REQUIRE(m2 != NULL, "%s: the saved form does not load: %s", what, err.text);
    char *s2 = engrate_model_to_string(m2, NULL, &err);
    REQUIRE(strcmp(s, s2) == 0, "%s: saving is not a fixed point", what);
    engrate_string_free(s);
    engrate_string_free(s2);
    engrate_model_free(m2);
}

static void check_load(const char *data, size_t len, const char *what)
{
    engrate_error err;
    engrate_model *m = load_exact(data, len, "cut.model", &err);
    if (m) {
        REQUIRE(err.code == 0, "%s: loaded with an error set", what);
        check_round_trip(m, what);
        engrate_model_free(m);
    } else {
        check_failure(data, len, &err, "cut.model", what);
    }
}

/* The valid model files the project has: the .model files in models/ and the valid
 * test cases. */
static size_t valid_files(char paths[][4400], size_t cap)
{
    size_t n = 0;
    const char *dirs[] = {"models", "tests/data/model/valid"};
    for (size_t d = 0; d < 2; d++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", test_path(dirs[d]));
        DIR *dp = opendir(dir);
        ck_assert_msg(dp != NULL, "cannot open %s", dir);
        struct dirent *e;
        while ((e = readdir(dp)) && n < cap) {
            size_t l = strlen(e->d_name);
            if (e->d_name[0] == '.')
                continue;
            if (d == 0 && (l < 6 || strcmp(e->d_name + l - 6, ".model") != 0))
                continue;
            if (d == 0)
                snprintf(paths[n++], 4400, "%s/%s", dir, e->d_name);
            else
                snprintf(paths[n++], 4400, "%s/%s/input.model", dir, e->d_name);
        }
        closedir(dp);
    }
    return n;
}

/* ---- Every byte offset ----------------------------------------------------------- */

START_TEST(truncated_at_every_offset)
{
    static char paths[64][4400];
    size_t n = valid_files(paths, 64);
    ck_assert_uint_ge(n, 3);
    size_t loads = 0;
    for (size_t f = 0; f < n; f++) {
        size_t len = 0;
        char *data = test_read(paths[f], &len);
        ck_assert_ptr_nonnull(data);
        /* Every offset of a small file; of a large one every offset near a line break and
         * 2000 others. */
        for (size_t cut = 0; cut <= len; cut++) {
            int near_break = (cut > 0 && data[cut - 1] == '\n') || data[cut] == '\n' ||
                             (cut + 1 <= len && data[cut + 1] == '\n');
            if (len > 16384 && !near_break && next_random() % (len / 2000 + 1) != 0)
                continue;
            if (light() && len > 16384 && next_random() % 8 != 0)
                continue;
            char what[4600];
            snprintf(what, sizeof what, "%.4300s cut at %zu", paths[f], cut);
            check_load(data, cut, what);
            loads++;
        }
        free(data);
    }
    ck_assert_uint_ge(loads, 1000);
}
END_TEST

START_TEST(bytes_flipped_at_every_offset)
{
    static char paths[64][4400];
    size_t n = valid_files(paths, 64);
    for (size_t f = 0; f < n; f++) {
        size_t len = 0;
        char *data = test_read(paths[f], &len);
        ck_assert_ptr_nonnull(data);
        char *copy = malloc(len);
        ck_assert_ptr_nonnull(copy);
        const unsigned char values[] = {0x00, 0xFF, '\n', '[', '=', 0};
        for (size_t off = 0; off < len; off++) {
            /* every offset of the small files; of a large one 1000 of them */
            if (len > 16384 && next_random() % (len / 1000 + 1) != 0)
                continue;
            if (light() && len > 16384 && next_random() % 8 != 0)
                continue;
            for (size_t v = 0; v < sizeof values; v++) {
                memcpy(copy, data, len);
                copy[off] = (char)(v + 1 < sizeof values ? values[v] : next_random() & 0xFF);
                char what[4600];
                snprintf(what, sizeof what, "%.4300s with byte %zu set to 0x%02x", paths[f], off,
                         (unsigned char)copy[off]);
                check_load(copy, len, what);
            }
        }
        /* And a few hundred files with several bytes changed at once. */
        for (int k = 0; k < 300; k++) {
            memcpy(copy, data, len);
            for (int j = 0; j < 4; j++)
                copy[next_random() % len] = (char)(next_random() & 0xFF);
            check_load(copy, len, paths[f]);
        }
        free(copy);
        free(data);
    }
}
END_TEST

/* Every invalid case of the data-driven suite: the message is UTF-8 and its place is in
 * the file (check_model asserts the code, line and column themselves). */
START_TEST(invalid_cases_explain_themselves)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_path("tests/data/model/invalid"));
    DIR *dp = opendir(dir);
    ck_assert_ptr_nonnull(dp);
    struct dirent *e;
    size_t n = 0;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s/input.model", dir, e->d_name);
        size_t len = 0;
        char *data = test_read(path, &len);
        ck_assert_ptr_nonnull(data);
        engrate_error err;
        engrate_model *m = load_exact(data, len, "case.model", &err);
        ck_assert_msg(m == NULL, "%s loads", e->d_name);
        ck_assert_msg(utf8_ok(err.text), "%s: message not UTF-8: %s", e->d_name, err.text);
        if (err.line > 0)
            check_failure(data, len, &err, "case.model", e->d_name);
        free(data);
        n++;
    }
    closedir(dp);
    ck_assert_uint_ge(n, 80);
}
END_TEST

/* ---- Limits ---------------------------------------------------------------------- */

static engrate_model *load_text(const text *t, engrate_error *err)
{
    return engrate_model_load_buffer(t->s, t->n, "gen.model", 0, err);
}

static void expect_limit(const text *t, int line, const char *what)
{
    engrate_error err;
    engrate_model *m = load_text(t, &err);
    ck_assert_msg(m == NULL, "%s: loads", what);
    ck_assert_msg(err.code == ENGRATE_E_LIMIT && err.line == line,
                  "%s: want a limit at line %d, got %d at %d: %s", what, line, err.code,
                  err.line, err.text);
}

/* One model with every limit met exactly: it loads, saves and loads back. */
START_TEST(everything_at_its_limit_loads)
{
    text t = {0};
    add(&t, "engrate-model 1\n# %04094d\n", 0); /* a line of 4096 bytes */
    add(&t, "[model]\nname = limits\ncurrency = JPY\nperiod = month\ntransform = log\n"
            "intercept = 13\n");
    for (int k = 0; k < 256; k++)
        add(&t, "source = %d\n", k);
    add(&t, "[interval]\nlevel = 0.8\nlow = -0.2\nhigh = 0.2\n");
    for (int i = 0; i < 64; i++) { /* 64 inputs */
        if (i == 0) { /* numeric, 64 knots, ranges at +-1e9 */
            add(&t, "[input %064d]\nkind = numeric\nmin = -1e9\nmax = 1e9\ndefault = 1e9\n"
                    "knots =", 0);
            for (int k = 0; k < 64; k++)
                add(&t, " %d", k * 1000 - 1000000000);
            add(&t, "\ncoef =");
            for (int k = 0; k < 65; k++)
                add(&t, " 1e-12");
            add(&t, "\n");
            continue;
        }
        add(&t, "[input i%d]\nkind = set\n", i);
        for (int l = 0; l < 16; l++) /* 16 labels */
            add(&t, "label.%c%c = %0256d\n", 'a' + l / 4, 'a' + l % 4, 0);
        add(&t, "levels = 1\n[level %064d]\ncoef = 0\n", i);
        for (int l = 0; l < 16; l++) /* 16 display names of 256 bytes */
            add(&t, "name.%c%c = %c%0255d\n", 'a' + l / 4, 'a' + l % 4, 'a' + l, i);
        for (int k = 0; k < 64; k++) /* 64 aliases */
            add(&t, "alias = x%d-%d\n", i, k);
    }
    engrate_error err;
    engrate_model *m = load_text(&t, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_uint_eq(engrate_model_input_count(m), 64);
    ck_assert_uint_eq(engrate_model_source_count(m), 256);
    ck_assert_uint_eq(engrate_input_knot_count(m, 0), 64);
    ck_assert_uint_eq(engrate_level_alias_count(m, 63, 0), 64);
    check_round_trip(m, "at the limits");
    engrate_model_free(m);
    free(t.s);
}
END_TEST

START_TEST(long_lines)
{
    for (int extra = 0; extra <= 1; extra++) {
        text t = {0};
        /* line 2: a comment of 4096 + extra bytes; line 4: a value line of 4096 bytes */
        add(&t, "engrate-model 1\n#%0*d\n[model]\ndescription = %0*d\n", 4095 + extra, 0,
            4096 - 14, 0);
        add(&t, "name = gen\ncurrency = JPY\nperiod = month\ntransform = log\n"
                "intercept = 13\n[interval]\nlevel = 0.8\nlow = -0.2\nhigh = 0.2\n");
        engrate_error err;
        engrate_model *m = load_text(&t, &err);
        if (!extra) {
            ck_assert_msg(m != NULL, "%s", err.text);
            ck_assert_uint_eq(strlen(engrate_model_meta(m, "description")), 4096 - 14);
        } else {
            ck_assert_msg(m == NULL && err.code == ENGRATE_E_LIMIT && err.line == 2 &&
                              err.column == 4097,
                          "%d %d %d", err.code, err.line, err.column);
        }
        engrate_model_free(m);
        free(t.s);
    }
    /* A line of 1 MB, and one with CRLF at exactly the limit. */
    text t = {0};
    add_head(&t);
    add(&t, "# %01048576d\n", 0);
    expect_limit(&t, 12, "1 MB line");
    free(t.s);
    t = (text){0};
    add_head(&t);
    add(&t, "#%04095d\r\n", 0);
    engrate_error err;
    engrate_model *m = load_text(&t, &err);
    ck_assert_msg(m != NULL, "4096 bytes and CRLF: %s", err.text);
    engrate_model_free(m);
    free(t.s);
}
END_TEST

/* 1,000,000 levels in all load (10 inputs of 100,000); one more is refused. */
START_TEST(total_levels)
{
    if (light())
        return; /* 20 MB of model: minutes under valgrind; the ASan build runs it */
    text t = {0};
    add_head(&t);
    size_t at_limit = 0;
    for (int i = 0; i < 11; i++) {
        int levels = i < 10 ? 100000 : 1;
        if (i == 10)
            at_limit = t.n; /* the text up to here is the model at the limit */
        add(&t, "[input i%d]\nkind = set\nlevels = %d\n", i, levels);
        for (int l = 0; l < levels; l++)
            add(&t, "[level %x]\ncoef=0\n", l);
    }
    engrate_error err;
    engrate_model *m = engrate_model_load_buffer(t.s, at_limit, "gen.model", 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_uint_eq(engrate_input_level_count(m, 9), 100000);
    ck_assert_int_eq(test_find(m, 9, "1869f", NULL), 99999);
    engrate_model_free(m);
    m = load_text(&t, &err);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(err.code, ENGRATE_E_LIMIT);
    ck_assert_ptr_nonnull(strstr(err.text, "1000001 levels"));
    free(t.s);
}
END_TEST

/* 2,000,000 names in all (ids, display names, aliases) load; one more is refused, at its
 * line. The limit bounds the name index: at it, this model takes about 370 MB. */
START_TEST(total_names)
{
    if (light())
        return; /* 25 MB of model: minutes under valgrind; the ASan build runs it */
    text t = {0};
    add_head(&t);
    add(&t, "[input skills]\nkind = set\nlevels = 31250\n");
    for (int l = 0; l < 31250; l++) { /* 31,250 levels of an id and 63 aliases */
        add(&t, "[level l%x]\ncoef=0\n", l);
        for (int a = 0; a < 63; a++)
            add(&t, "alias=a%x\n", l * 64 + a);
    }
    size_t at_limit = t.n;
    int line = 1;
    for (size_t i = 0; i < at_limit; i++)
        line += t.s[i] == '\n';
    add(&t, "name.en = one too many\n");
    engrate_error err;
    engrate_model *m = engrate_model_load_buffer(t.s, at_limit, "gen.model", 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_int_eq(test_find(m, 0, "a1e847e", NULL), 31249);
    engrate_model_free(m);
    m = load_text(&t, &err);
    ck_assert_msg(m == NULL && err.code == ENGRATE_E_LIMIT && err.line == line,
                  "2,000,001 names: want a limit at line %d, got %d at %d: %s", line,
                  err.code, err.line, err.text);
    ck_assert_ptr_nonnull(strstr(err.text, "more than 2000000 names"));
    free(t.s);
}
END_TEST

/* A model of 100,000 levels with a name and an alias each: `n` levels. */
static void many_levels(text *t, int n)
{
    add_head(t);
    add(t, "[input skills]\nkind = set\nlevels = %d\n", n);
    for (int l = 0; l < n; l++)
        add(t, "[level s%d]\ncoef = 0.001\nname.en = Skill %d\nalias = alias %d\n", l, l, l);
}

/* 100,000 levels (300,000 names, 5 MB) load and are found. How the work grows with the
 * model is counted in check_names (the name index's probes per name stay flat from 1,000
 * to 100,000 levels) and check_chaos (allocations and bytes allocated grow in proportion),
 * not timed: a busy machine stretches times at will (the times are bench/engrate-bench's,
 * docs/performance.md). */
START_TEST(hundred_thousand_levels_load)
{
    text big = {0};
    int n = light() ? 10000 : 100000;
    many_levels(&big, n);
    engrate_error err;
    engrate_model *m = load_text(&big, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_uint_eq(engrate_input_level_count(m, 0), (size_t)n);
    const int probe[] = {0, n / 3, n - 1};
    for (size_t i = 0; i < 3; i++) {
        char name[64];
        size_t level = ENGRATE_NO_INDEX;
        unsigned flags = 0;
        snprintf(name, sizeof name, "alias %d", probe[i]);
        ck_assert_int_eq(engrate_model_find_level(m, 0, name, &level, &flags), 0);
        ck_assert_uint_eq(level, (size_t)probe[i]);
        ck_assert_uint_eq(flags, ENGRATE_NAME_ALIASED);
        snprintf(name, sizeof name, "SKILL %d", probe[i]);
        level = ENGRATE_NO_INDEX;
        ck_assert_int_eq(engrate_model_find_level(m, 0, name, &level, &flags), 0);
        ck_assert_uint_eq(level, (size_t)probe[i]);
        ck_assert_uint_eq(flags, ENGRATE_NAME_ALIASED);
    }
    engrate_model_free(m);
    /* The same count declared one more than given, and a file too small for its count,
     * are refused before anything is allocated for them. */
    text lie = {0};
    add_head(&lie);
    add(&lie, "[input s]\nkind = set\nlevels = 100000\n");
    ck_assert_ptr_null(load_text(&lie, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_LIMIT);
    free(lie.s);
    free(big.s);
}
END_TEST

START_TEST(file_size)
{
    engrate_error err;
    /* A buffer one byte over 64 MiB is refused before it is read: it is memory that cannot
     * be read at all (PROT_NONE), so that reading one byte of it would end the test. */
    size_t over = (64u << 20) + 1;
    char *none = mmap(NULL, over, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert_ptr_ne(none, MAP_FAILED);
    ck_assert_ptr_null(engrate_model_load_buffer(none, over, "big", 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_LIMIT);
    ck_assert_int_eq(err.line, 0);
    munmap(none, over);
    /* Exactly 64 MiB of a valid model loads (comment lines after the head). */
    if (!light()) {
        char *big = malloc(64u << 20);
        ck_assert_ptr_nonnull(big);
        text t = {0};
        add_head(&t);
        memcpy(big, t.s, t.n);
        size_t pos = t.n, size = 64u << 20;
        while (pos < size) {
            size_t n = size - pos > 4000 ? 4000 : size - pos;
            memset(big + pos, ' ', n);
            big[pos] = '#';
            big[pos + n - 1] = '\n';
            pos += n;
        }
        engrate_model *m = engrate_model_load_buffer(big, size, "64MiB", 0, &err);
        ck_assert_msg(m != NULL, "%s", err.text);
        engrate_model_free(m);
        free(t.s);
        free(big);
    }
    /* A file one byte over, and an endless one: refused after reading one byte past. */
    char path[] = "/tmp/engrate-big-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)over), 0);
    close(fd);
    ck_assert_ptr_null(engrate_model_load(path, 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_LIMIT);
    unlink(path);
    ck_assert_ptr_null(engrate_model_load("/dev/zero", 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_LIMIT);
    ck_assert_ptr_nonnull(strstr(err.text, "/dev/zero"));
}
END_TEST

/* ---- API misuse ------------------------------------------------------------------- */

static engrate_model *example(void)
{
    engrate_error err;
    engrate_model *m = engrate_model_load(test_path("models/example.model"), 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    return m;
}

static char *mb_name(char fill)
{
    size_t n = 1 << 20;
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, fill, n);
    s[n] = '\0';
    return s;
}

START_TEST(misuse_errors_versions_and_loading)
{
    engrate_error err;
    int codes[] = {INT_MIN, -15, -14, -13, -1, 0, 1, INT_MAX};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        ck_assert_ptr_nonnull(engrate_strerror(codes[i]));
    ck_assert_str_eq(engrate_strerror(ENGRATE_E_SINGULAR), "design too ill-conditioned to solve");
    ck_assert_uint_eq(engrate_error_size(), sizeof(engrate_error));
    ck_assert_ptr_nonnull(engrate_version_string());
    ck_assert_int_ge(engrate_version_major(), 0);

    /* Loading: NULL, empty, a directory, flags, a huge source name, err NULL. */
    ck_assert_ptr_null(engrate_model_load(NULL, 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_model_load("", 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_IO);
    ck_assert_ptr_null(engrate_model_load("/", 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_IO);
    ck_assert_ptr_null(engrate_model_load(test_path("models/example.model"), 1u << 31, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_model_load_buffer(NULL, 0, NULL, 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_VERSION); /* an empty model file */
    ck_assert_ptr_null(engrate_model_load_buffer(NULL, 1, NULL, 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_model_load_buffer("x", SIZE_MAX, NULL, 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_LIMIT); /* refused on its size, never read */
    ck_assert_ptr_null(engrate_model_load_buffer("engrate-model 1\n", 16, NULL, 3, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    char *huge = mb_name('s');
    ck_assert_ptr_null(engrate_model_load_buffer("x", 1, huge, 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_VERSION);
    ck_assert_uint_lt(strlen(err.source), sizeof err.source);
    ck_assert_uint_lt(strlen(err.text), sizeof err.text);
    ck_assert_ptr_null(engrate_model_load(huge, 0, &err)); /* a path of 1 MB */
    ck_assert_int_eq(err.code, ENGRATE_E_IO);
    free(huge);
    ck_assert_ptr_null(engrate_model_load_buffer("\xff\xfe", 2, "\xff\xfe.model", 0, &err));
    ck_assert(utf8_ok(err.text) && utf8_ok(err.source));
    ck_assert_ptr_null(engrate_model_load_buffer("x", 1, NULL, 0, NULL));
    ck_assert_ptr_null(engrate_model_load("/nonexistent", 0, NULL));
    /* The default model: an empty variable means "not set". */
    setenv("ENGRATE_MODEL", "", 1);
    engrate_model *m = engrate_model_load_default(0, &err);
    if (!m)
        ck_assert_ptr_nonnull(strstr(err.text, engrate_model_default_path()));
    engrate_model_free(m);
    setenv("ENGRATE_MODEL", "/nonexistent/x.model", 1);
    ck_assert_ptr_null(engrate_model_load_default(0, NULL));
    ck_assert_ptr_null(engrate_model_load_default(9, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    unsetenv("ENGRATE_MODEL");
    engrate_model_free(NULL);
    engrate_string_free(NULL);
}
END_TEST

START_TEST(misuse_saving_and_accessors)
{
    engrate_model *m = example();
    engrate_error err;
    ck_assert_int_eq(engrate_model_save(NULL, "/tmp/x", 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_model_save(m, NULL, 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_model_save(m, "/tmp/x", 2, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_model_save(m, "", 0, &err), ENGRATE_E_IO);
    char dir[] = "/tmp/engrate-misuse-XXXXXX"; /* a directory as the target */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(engrate_model_save(m, dir, 0, &err), ENGRATE_E_IO);
    char pattern[64];
    snprintf(pattern, sizeof pattern, "%s.tmp.*", dir);
    glob_t g;
    ck_assert_int_eq(glob(pattern, 0, NULL, &g), GLOB_NOMATCH); /* nothing left beside it */
    ck_assert_int_eq(rmdir(dir), 0);
    ck_assert_int_eq(engrate_model_save(m, "/nonexistent/dir/x.model", 0, NULL), ENGRATE_E_IO);
    char *huge = mb_name('p');
    ck_assert_int_eq(engrate_model_save(m, huge, 0, &err), ENGRATE_E_IO);
    ck_assert_ptr_null(engrate_model_to_string(NULL, NULL, &err));
    char *s = engrate_model_to_string(m, NULL, NULL);
    ck_assert_ptr_nonnull(s);
    engrate_string_free(s);

    /* Accessors: NULL model, NULL and unknown keys, indexes past the end and SIZE_MAX. */
    ck_assert_ptr_null(engrate_model_meta(NULL, "name"));
    ck_assert_ptr_null(engrate_model_meta(m, NULL));
    ck_assert_ptr_null(engrate_model_meta(m, ""));
    ck_assert_ptr_null(engrate_model_meta(m, huge));
    ck_assert_int_eq(engrate_model_transform(NULL), ENGRATE_E_INVALID);
    ck_assert(isnan(engrate_model_intercept(NULL)));
    ck_assert_uint_eq(engrate_model_source_count(NULL), 0);
    ck_assert_ptr_null(engrate_model_source(NULL, 0));
    ck_assert_ptr_null(engrate_model_source(m, SIZE_MAX));
    ck_assert(isnan(engrate_model_training(NULL, "rows")));
    ck_assert(isnan(engrate_model_training(m, NULL)));
    ck_assert(isnan(engrate_model_training(m, "rows"))); /* the example has no [training] */
    ck_assert(isnan(engrate_model_interval_level(NULL)));
    ck_assert(isnan(engrate_model_interval_low(NULL)));
    ck_assert(isnan(engrate_model_interval_high(NULL)));
    ck_assert_uint_eq(engrate_model_input_count(NULL), 0);
    ck_assert_int_eq(test_input_index(NULL, "role"), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_input_index(m, NULL), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_input_index(m, ""), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_input_index(m, huge), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_input_index(m, "ro\xffle"), ENGRATE_E_UNKNOWN_NAME);
    size_t bad[] = {4, 5, 64, SIZE_MAX / 2, SIZE_MAX};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        size_t i = bad[k];
        ck_assert_ptr_null(engrate_input_id(m, i));
        ck_assert_int_eq(engrate_input_kind(m, i), 0);
        ck_assert_ptr_null(engrate_input_label(m, i, "en"));
        ck_assert_uint_eq(engrate_input_level_count(m, i), 0);
        ck_assert(isnan(engrate_input_min(m, i)) && isnan(engrate_input_max(m, i)) &&
                  isnan(engrate_input_default(m, i)));
        ck_assert_uint_eq(engrate_input_knot_count(m, i), 0);
        ck_assert(isnan(engrate_input_knot(m, i, 0)) && isnan(engrate_input_coef(m, i, 0)));
        ck_assert(isnan(engrate_input_knot(m, 3, i)) && isnan(engrate_input_coef(m, 3, i)));
        ck_assert_ptr_null(engrate_level_id(m, i, 0));
        ck_assert_ptr_null(engrate_level_id(m, 0, i));
        ck_assert_ptr_null(engrate_level_name(m, 0, i, "en"));
        ck_assert(isnan(engrate_level_coef(m, 0, i)));
        ck_assert_uint_eq(engrate_level_flags(m, i, 0), 0);
        ck_assert_uint_eq(engrate_level_alias_count(m, 0, i), 0);
        ck_assert_ptr_null(engrate_level_alias(m, 0, 0, i));
        ck_assert_int_eq(test_find(m, i, "pm", NULL), ENGRATE_E_INVALID);
        ck_assert_int_eq(test_suggest(m, i, "pm"), ENGRATE_E_INVALID);
    }
    ck_assert_ptr_null(engrate_input_id(NULL, 0));
    ck_assert_ptr_null(engrate_level_name(NULL, 0, 0, "en"));
    ck_assert_ptr_null(engrate_level_alias(NULL, 0, 0, 0));
    /* Languages: NULL, empty, unknown, 1 MB: the English name, then the id. */
    ck_assert_str_eq(engrate_input_label(m, 0, NULL), "Role");
    ck_assert_str_eq(engrate_input_label(m, 0, ""), "Role");
    ck_assert_str_eq(engrate_input_label(m, 0, huge), "Role");
    ck_assert_str_eq(engrate_level_name(m, 0, 0, "\xff"), "Project manager");
    /* Numeric-only accessors on a set input, level accessors on a numeric one. */
    ck_assert(isnan(engrate_input_min(m, 1)) && isnan(engrate_input_coef(m, 1, 0)));
    ck_assert_uint_eq(engrate_input_level_count(m, 3), 0);
    ck_assert_ptr_null(engrate_level_id(m, 3, 0));
    ck_assert(isnan(engrate_input_coef(m, 3, 3)));
    free(huge);
    engrate_model_free(m);
}
END_TEST

START_TEST(misuse_names)
{
    engrate_model *m = example();
    char *huge = mb_name('j'), *spaces = mb_name(' ');
    char *huge_bad = mb_name('j');
    huge_bad[(1 << 20) - 1] = '\xff'; /* invalid UTF-8 at the very end */
    const char *bad_utf8[] = {"\xff", "ja\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                              "\xe3\x81", "\x80", "\xf8\x88\x80\x80\x80"};
    /* find_level: NULL, numeric input, empty, 1 MB, invalid UTF-8 anywhere. */
    ck_assert_int_eq(test_find(NULL, 0, "pm", NULL), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_find(m, 0, NULL, NULL), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_find(m, 3, "5", NULL), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_find(m, 0, "", NULL), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_find(m, 1, huge, NULL), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_find(m, 1, spaces, NULL), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_find(m, 1, huge_bad, NULL), ENGRATE_E_UTF8);
    for (size_t k = 0; k < sizeof bad_utf8 / sizeof bad_utf8[0]; k++) {
        ck_assert_int_eq(test_find(m, 1, bad_utf8[k], NULL), ENGRATE_E_UTF8);
        ck_assert_int_eq(test_suggest(m, 1, bad_utf8[k]), ENGRATE_E_UNKNOWN_NAME);
        char buf[64];
        ck_assert_int_eq(test_fold(bad_utf8[k], buf, sizeof buf), ENGRATE_E_UTF8);
    }
    int aliased = 42;
    ck_assert_int_eq(test_find(m, 0, "ＰＭ", &aliased), 0);
    ck_assert_int_eq(aliased, 0);
    /* suggest: NULL, empty, 1 MB. */
    ck_assert_int_eq(test_suggest(NULL, 0, "pm"), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_suggest(m, 0, NULL), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_suggest(m, 3, "x"), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_suggest(m, 1, ""), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_suggest(m, 1, huge), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_suggest(m, 1, spaces), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_suggest(m, 1, "javaa"), 0);
    /* fold: every small capacity, exactly filled; 1 MB into a small buffer. */
    char buf[16];
    ck_assert_int_eq(test_fold("", buf, 1), 0);
    ck_assert_int_eq(test_fold("a", buf, 1), ENGRATE_E_LIMIT);
    ck_assert_int_eq(test_fold("a", buf, 2), 1);
    ck_assert_int_eq(test_fold("ＰＭＰ", buf, 4), 3);
    ck_assert_str_eq(buf, "pmp");
    ck_assert_int_eq(test_fold("あ", buf, 3), ENGRATE_E_LIMIT);
    ck_assert_int_eq(test_fold("あ", buf, 4), 3);
    ck_assert_int_eq(test_fold(huge, buf, sizeof buf), ENGRATE_E_LIMIT);
    ck_assert_int_eq(test_fold(spaces, buf, sizeof buf), 0);
    ck_assert_int_eq(test_fold(NULL, buf, sizeof buf), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_fold("a", NULL, 8), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_fold("a", buf, 0), ENGRATE_E_INVALID);
    /* A folded name has at most 1024 bytes (no name of a model can have more), whatever
     * the buffer: 1024 ASCII letters fit, 1025 do not, nor 342 kana (1026 bytes). */
    char *out = malloc((1 << 20) + 1);
    ck_assert_int_eq(test_fold(huge, out, (1 << 20) + 1), ENGRATE_E_LIMIT);
    char *letters = malloc(3 * 1025 + 1);
    memset(letters, 'k', 1025);
    letters[1025] = '\0';
    ck_assert_int_eq(test_fold(letters, out, 4096), ENGRATE_E_LIMIT);
    letters[1024] = '\0';
    ck_assert_int_eq(test_fold(letters, out, 4096), 1024);
    for (int i = 0; i < 342; i++)
        memcpy(letters + 3 * i, "\xe3\x81\x82", 3); /* あ */
    letters[3 * 342] = '\0';
    ck_assert_int_eq(test_fold(letters, out, 4096), ENGRATE_E_LIMIT);
    letters[3 * 341] = '\0';
    ck_assert_int_eq(test_fold(letters, out, 4096), 3 * 341);
    free(letters);
    free(out);
    free(huge);
    free(spaces);
    free(huge_bad);
    engrate_model_free(m);
}
END_TEST

START_TEST(misuse_queries)
{
    engrate_model *m = example(), *other = example();
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err), *r_other = engrate_result_new(other, &err);
    ck_assert(q && r && r_other);
    ck_assert_ptr_null(engrate_query_new(NULL, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_query_new(NULL, NULL));
    ck_assert_ptr_null(engrate_result_new(NULL, NULL));
    engrate_query_free(NULL);
    engrate_query_reset(NULL);
    engrate_result_free(NULL);
    char *huge = mb_name('k');

    /* add: NULL anywhere, unknown input, numeric input, bad UTF-8, empty and 1 MB names. */
    ck_assert_int_eq(engrate_query_add(NULL, "skills", "java", NULL, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add(q, NULL, "java", NULL, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add(q, "skills", NULL, NULL, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add(q, "nope", "java", NULL, &err), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(engrate_query_add(q, huge, "java", NULL, &err), ENGRATE_E_UNKNOWN_NAME);
    ck_assert(utf8_ok(err.text) && strlen(err.text) < 200);
    ck_assert_int_eq(engrate_query_add(q, "sk\xffills", "java", NULL, &err), ENGRATE_E_UNKNOWN_NAME);
    ck_assert(utf8_ok(err.text));
    ck_assert_int_eq(engrate_query_add(q, "years", "5", NULL, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add(q, "skills", "ja\xffva", NULL, &err), ENGRATE_E_UTF8);
    unsigned nf = 0;
    ck_assert_int_eq(engrate_query_add(q, "skills", "", &nf, &err), 0); /* blank: ignored */
    ck_assert_uint_eq(nf, ENGRATE_NAME_BLANK);
    ck_assert_int_eq(engrate_query_add(q, "skills", huge, &nf, &err), 0);
    ck_assert_uint_eq(nf, ENGRATE_NAME_UNKNOWN);
    ck_assert_int_eq(engrate_query_add(q, "skills", " \xe3\x80\x80-", &nf, &err), 0);
    ck_assert_uint_eq(nf, ENGRATE_NAME_BLANK);
    ck_assert_int_eq(engrate_query_add(q, "skills", "java", NULL, NULL), 0);
    ck_assert_int_eq(engrate_query_add(q, "skills", "JAVA", NULL, NULL), 0); /* twice: once */
    /* by index: past the end, SIZE_MAX, numeric input */
    ck_assert_int_eq(engrate_query_add_level(NULL, 0, 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add_level(q, SIZE_MAX, 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add_level(q, 1, SIZE_MAX, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add_level(q, 1, 5, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add_level(q, 3, 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add_level(q, 1, 0, &err), 0); /* java a third time */
    /* numbers: infinities refused, NaN "not known"; absurd and negative years clamped */
    double refused[] = {INFINITY, -INFINITY};
    for (size_t k = 0; k < 2; k++) {
        ck_assert_int_eq(engrate_query_set_number(q, "years", refused[k], &err),
                         ENGRATE_E_INVALID);
        ck_assert_int_eq(engrate_query_set_number_at(q, 3, refused[k], &err),
                         ENGRATE_E_INVALID);
    }
    ck_assert_int_eq(engrate_query_set_number(NULL, "years", 1, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_set_number(q, NULL, 1, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_set_number(q, "skills", 1, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_set_number(q, "nope", 1, &err), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(engrate_query_set_number_at(q, SIZE_MAX, 1, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_set_number_at(NULL, 3, 1, &err), ENGRATE_E_INVALID);
    double absurd[] = {-1, -2026, 1e308, -1e308, DBL_MAX, -DBL_MAX, DBL_MIN, 4.9e-324,
                       -0.0, 1e15, 2026, 40.000000000000007};
    for (size_t k = 0; k < sizeof absurd / sizeof absurd[0]; k++) {
        ck_assert_int_eq(engrate_query_set_number(q, "years", absurd[k], &err), 0);
        ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
        double e = engrate_result_estimate(r);
        ck_assert_msg(isfinite(e) && e > 0, "years %g: %g", absurd[k], e);
        double x = engrate_result_contribution_value(r, engrate_result_contribution_count(r) - 1);
        ck_assert(x >= 0 && x <= 40);
        unsigned clamped = absurd[k] < 0 || absurd[k] > 40 ? ENGRATE_FLAG_CLAMPED : 0;
        ck_assert_uint_eq(engrate_result_flags(r) & ENGRATE_FLAG_CLAMPED, clamped);
    }
    /* java counted once; the unknown name kept whole (1 MB), the blank ones not at all */
    ck_assert_uint_eq(engrate_result_contribution_count(r), 3);
    ck_assert_uint_eq(engrate_result_unknown_count(r), 1);
    ck_assert_uint_eq(strlen(engrate_result_unknown_name(r, 0)), 1 << 20);

    /* estimate: NULLs, flags, a result of another model; a failure empties the result */
    ck_assert_int_eq(engrate_estimate(NULL, 0, r, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_estimate(q, 0, NULL, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_estimate(q, 0, r_other, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_estimate(q, ENGRATE_STRICT, r, &err), ENGRATE_E_UNKNOWN_NAME);
    ck_assert(isnan(engrate_result_estimate(r)));
    ck_assert_int_eq(engrate_estimate(q, 0, r, NULL), 0);
    ck_assert_int_eq(engrate_estimate(q, 0x80000000u, r, &err), ENGRATE_E_INVALID);
    ck_assert_msg(isnan(engrate_result_estimate(r)), "bad flags left the last estimate");
    ck_assert_uint_eq(engrate_result_contribution_count(r), 0);

    /* result accessors: NULL, past the end */
    ck_assert(isnan(engrate_result_estimate(NULL)) && isnan(engrate_result_low(NULL)) &&
              isnan(engrate_result_high(NULL)) && isnan(engrate_result_level(NULL)));
    ck_assert_uint_eq(engrate_result_flags(NULL), 0);
    ck_assert_uint_eq(engrate_result_contribution_count(NULL), 0);
    ck_assert_uint_eq(engrate_result_unknown_count(NULL), 0);
    ck_assert_uint_eq(engrate_result_aliased_count(NULL), 0);
    size_t idx[] = {0, 7, SIZE_MAX};
    for (size_t k = 0; k < 3; k++) {
        size_t i = idx[k];
        ck_assert(isnan(engrate_result_contribution_amount(r, i)));
        ck_assert_uint_eq(engrate_result_contribution_input(r, i), ENGRATE_NO_INDEX);
        ck_assert_uint_eq(engrate_result_contribution_level(r, i), ENGRATE_NO_INDEX);
        ck_assert(isnan(engrate_result_contribution_value(r, i)));
        ck_assert_uint_eq(engrate_result_contribution_flags(r, i), 0);
        ck_assert_ptr_null(engrate_result_unknown_name(r, i));
        ck_assert_uint_eq(engrate_result_unknown_input(r, i), ENGRATE_NO_INDEX);
        ck_assert_ptr_null(engrate_result_aliased_given(r, i));
        ck_assert_uint_eq(engrate_result_aliased_input(r, i), ENGRATE_NO_INDEX);
        ck_assert_uint_eq(engrate_result_aliased_level(r, i), ENGRATE_NO_INDEX);
        ck_assert(isnan(engrate_result_contribution_amount(NULL, i)));
        ck_assert_ptr_null(engrate_result_unknown_name(NULL, i));
        ck_assert_ptr_null(engrate_result_aliased_given(NULL, i));
    }
    free(huge);
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_result_free(r_other);
    engrate_model_free(m);
    engrate_model_free(other);
}
END_TEST

START_TEST(misuse_profiles)
{
    engrate_model *m = example(), *other = example();
    engrate_error err;
    engrate_result *r = engrate_result_new(m, &err), *r_other = engrate_result_new(other, &err);
    double years = 8;
    /* A good estimate first, so that a failure that leaves it behind is seen. */
#define PRIME() ck_assert_int_eq(engrate_estimate_profile(m, "pm", NULL, 0, NULL, 0, &years, \
                                                          0, r, &err), 0)
#define EMPTIED() ck_assert_msg(isnan(engrate_result_estimate(r)), "stale result kept")
    ck_assert_int_eq(engrate_estimate_profile(NULL, "pm", NULL, 0, NULL, 0, NULL, 0, r, &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", NULL, 0, NULL, 0, NULL, 0, NULL, &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(
        engrate_estimate_profile(m, "pm", NULL, 0, NULL, 0, NULL, 0, r_other, &err),
        ENGRATE_E_INVALID);
    PRIME();
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", NULL, 3, NULL, 0, NULL, 0, r, &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", NULL, 0, NULL, 1, NULL, 0, r, &err),
                     ENGRATE_E_INVALID);
    const char *with_null[] = {"java", NULL};
    PRIME();
    ck_assert_int_eq(
        engrate_estimate_profile(m, "pm", with_null, 2, NULL, 0, NULL, 0, r, &err),
        ENGRATE_E_INVALID);
    EMPTIED();
    double nan = NAN, inf = -INFINITY;
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", NULL, 0, NULL, 0, &nan, 0, r, &err), 0);
    ck_assert_uint_eq(engrate_result_flags(r) & ENGRATE_FLAG_DEFAULTED, ENGRATE_FLAG_DEFAULTED);
    PRIME();
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", NULL, 0, NULL, 0, &inf, 0, r, &err),
                     ENGRATE_E_INVALID);
    EMPTIED();
    PRIME();
    ck_assert_int_eq(engrate_estimate_profile(m, "p\xffm", NULL, 0, NULL, 0, NULL, 0, r, &err),
                     ENGRATE_E_UTF8);
    EMPTIED();
    PRIME();
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", NULL, 0, NULL, 0, NULL, 4, r, &err),
                     ENGRATE_E_INVALID);
    EMPTIED();

    /* 100,000 skills: the same few over and over, an unknown one, a blank one. */
    size_t n = 100000;
    const char **skills = malloc(n * sizeof *skills);
    ck_assert_ptr_nonnull(skills);
    const char *pool[] = {"java", "Python", "Ｊａｖａ", "cobol", "", " java "};
    for (size_t i = 0; i < n; i++)
        skills[i] = pool[i % 6];
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", skills, n, NULL, 0, &years, 0, r, &err),
                     0);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 1 + 1 + 2 + 1); /* java, python */
    size_t unknown = 0;
    for (size_t i = 0; i < n; i++)
        unknown += i % 6 == 3; /* "" is blank: ignored, not unknown */
    ck_assert_uint_eq(engrate_result_unknown_count(r), unknown);
    ck_assert(isfinite(engrate_result_estimate(r)));
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", skills, n, NULL, 0, &years,
                                              ENGRATE_STRICT, r, &err),
                     ENGRATE_E_UNKNOWN_NAME);
    EMPTIED();
    /* Strict with only known names, repeated: the same as one of each. */
    for (size_t i = 0; i < n; i++)
        skills[i] = pool[i % 3];
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", skills, n, skills, 0, &years,
                                              ENGRATE_STRICT, r, &err),
                     0);
    double many = engrate_result_estimate(r);
    const char *once[] = {"java", "python"};
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", once, 2, NULL, 0, &years, 0, r, &err), 0);
    ck_assert(engrate_result_estimate(r) == many);
    free(skills);

    /* A model without the profile's inputs refuses a value for them, and empties. */
    engrate_model *lin = NULL;
    lin = engrate_model_load(test_path("tests/data/model/valid/linear/input.model"), 0, &err);
    ck_assert_ptr_nonnull(lin);
    engrate_result *rl = engrate_result_new(lin, &err);
    ck_assert_int_eq(engrate_estimate_profile(lin, "dev", NULL, 0, NULL, 0, &years, 0, rl, &err),
                     0);
    const char *one[] = {"java"};
    ck_assert_int_eq(engrate_estimate_profile(lin, "dev", one, 1, NULL, 0, &years, 0, rl, &err),
                     ENGRATE_E_UNKNOWN_NAME);
    ck_assert_msg(isnan(engrate_result_estimate(rl)), "stale result kept");
    engrate_result_free(rl);
    engrate_model_free(lin);
#undef PRIME
#undef EMPTIED
    engrate_result_free(r);
    engrate_result_free(r_other);
    engrate_model_free(m);
    engrate_model_free(other);
}
END_TEST

START_TEST(misuse_batch)
{
    engrate_model *m = example();
    engrate_error err;
    const char *roles[] = {"pm", NULL, "p\xffm"};
    const char *skills[] = {"java", "cobol", "java"};
    size_t offs[] = {0, 2, 3, 3}, bad_offs[] = {0, 2, 1, 3};
    double years[] = {8, NAN, INFINITY}, est[3], low[3], high[3];
    unsigned flags[3];
    int status[3];
    size_t failed = 99;
    /* Refused calls: a negative code, no failed profile counted, nothing written. */
#define REFUSED(call)                                                                      \
    do {                                                                                   \
        failed = 99;                                                                       \
        status[0] = 42;                                                                    \
        ck_assert_int_eq(call, ENGRATE_E_INVALID);                                         \
        ck_assert_uint_eq(failed, 0);                                                      \
        ck_assert_int_eq(status[0], 42);                                                   \
    } while (0)
    REFUSED(engrate_estimate_batch(NULL, 3, roles, skills, offs, NULL, NULL, years, 0, est, low,
                                   high, flags, status, &failed, &err));
    REFUSED(engrate_estimate_batch(m, 3, roles, skills, NULL, NULL, NULL, years, 0, est, low,
                                   high, flags, status, &failed, &err));
    REFUSED(engrate_estimate_batch(m, 3, roles, skills, bad_offs, NULL, NULL, years, 0, est, low,
                                   high, flags, status, &failed, &err));
    REFUSED(engrate_estimate_batch(m, 3, roles, NULL, offs, NULL, NULL, years, 0, est, low, high,
                                   flags, status, &failed, &err));
    REFUSED(engrate_estimate_batch(m, 3, roles, skills, offs, NULL, NULL, years, 2, est, low,
                                   high, flags, status, &failed, &err));
#undef REFUSED
    ck_assert_int_eq(engrate_estimate_batch(m, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,
                                            NULL, NULL, NULL, NULL, NULL, NULL),
                     0);
    /* profile 0 fine (with an unknown skill), 1 fine, 2 has bad UTF-8 and infinite years:
     * the first failure's code, every output written, one failure counted */
    int rc = engrate_estimate_batch(m, 3, roles, skills, offs, NULL, NULL, years, 0, est, low,
                                    high, flags, status, &failed, &err);
    ck_assert_int_eq(rc, status[2]);
    ck_assert_uint_eq(failed, 1);
    ck_assert_int_eq(status[0], 0);
    ck_assert_uint_eq(flags[0] & ENGRATE_FLAG_UNKNOWN, ENGRATE_FLAG_UNKNOWN);
    ck_assert_int_eq(status[1], 0);
    ck_assert_int_lt(status[2], 0);
    ck_assert_int_eq(err.code, status[2]);
    ck_assert(isnan(est[2]) && isfinite(est[0]) && isfinite(est[1]));
    ck_assert_ptr_nonnull(strstr(err.text, "profile 2"));
    ck_assert(utf8_ok(err.text));
    /* every output NULL */
    ck_assert_int_lt(engrate_estimate_batch(m, 3, roles, skills, offs, NULL, NULL, years, 0,
                                            NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                     0);
    engrate_model_free(m);
}
END_TEST

static void progress(double done, void *user)
{
    ck_assert(done >= 0 && done <= 1);
    ++*(int *)user;
}

START_TEST(misuse_training)
{
    engrate_error err;
    engrate_train_options_free(NULL);
    engrate_train_report_free(NULL);
    ck_assert_int_eq(engrate_train_options_set(NULL, "folds", "2", &err), ENGRATE_E_INVALID);
    engrate_train_options *o = engrate_train_options_new();
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(engrate_train_options_set(o, NULL, "2", &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "", "2", &err), ENGRATE_E_UNKNOWN_KEY);
    ck_assert_int_lt(engrate_train_options_set(o, "folds", NULL, &err), 0);
    ck_assert_int_lt(engrate_train_options_set(o, "folds", "-1", &err), 0);
    ck_assert_int_lt(engrate_train_options_set(o, "folds", "99999999999999999999", &err), 0);
    ck_assert_int_lt(engrate_train_options_set(o, "lambda", "nan", &err), 0);
    ck_assert_int_lt(engrate_train_options_set(o, "lambda", "inf", &err), 0);
    ck_assert_int_lt(engrate_train_options_set(o, "interval", "1e308", &err), 0);
    ck_assert_int_lt(engrate_train_options_set(o, "numeric", "years:knots=nan", &err), 0);
    (void)engrate_train_options_set(o, "target", "\xff", &err); /* no crash; may be taken */
    char *huge = mb_name('c');
    ck_assert_int_lt(engrate_train_options_set(o, huge, "1", &err), 0);
    ck_assert(utf8_ok(err.text));
    (void)engrate_train_options_set(o, "source", huge, &err); /* a 1 MB value: no crash */
    free(huge);
    ck_assert_int_eq(engrate_train_options_set_progress(NULL, progress, NULL), ENGRATE_E_INVALID);
    int calls = 0;
    ck_assert_int_eq(engrate_train_options_set_progress(o, progress, &calls), 0);

    engrate_train_report *rep = (engrate_train_report *)&err;
    ck_assert_ptr_null(engrate_train_csv(NULL, o, &rep, &err));
    ck_assert_ptr_null(rep);
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_train_csv("/nonexistent.csv", o, NULL, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_IO);
    ck_assert_ptr_null(engrate_train_csv("/", o, NULL, &err));
    ck_assert_int_lt(err.code, 0);
    ck_assert_ptr_null(engrate_train_csv_buffer(NULL, 5, NULL, o, NULL, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_train_csv_buffer("x", 1, NULL, NULL, NULL, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_train_csv_buffer(NULL, 0, NULL, o, NULL, &err));
    ck_assert_int_lt(err.code, 0);
    const char *bad[] = {"role,skills,certs,years,rate\npm,,,1,\xff\n",
                         "role,skills,certs,years,rate\npm,,,nan,5\n",
                         "role,skills,certs,years,rate\npm,,,1e400,5\n",
                         "role,skills,certs,years,rate\npm,,,1,-5\n",
                         "role,skills,certs,years,rate\n\"pm,,,1,5\n",
                         "role,role,role\n1,2,3\n",
                         "\xef\xbb\xbf\n\n\n"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_ptr_null(engrate_train_csv_buffer(bad[k], strlen(bad[k]), NULL, o, &rep, &err));
        ck_assert_int_lt(err.code, 0);
        ck_assert(utf8_ok(err.text));
        engrate_train_report_free(rep);
    }
    /* Report accessors: NULL, unknown keys, past the end. */
    ck_assert(isnan(engrate_train_report_value(NULL, "n")));
    ck_assert_uint_eq(engrate_train_report_term_count(NULL), 0);
    ck_assert_ptr_null(engrate_train_report_term(NULL, 0));
    ck_assert(isnan(engrate_train_report_estimate(NULL, 0)));
    ck_assert(isnan(engrate_train_report_std_error(NULL, SIZE_MAX)));
    ck_assert_uint_eq(engrate_train_report_note_count(NULL), 0);
    ck_assert_ptr_null(engrate_train_report_note(NULL, 0));
    ck_assert_ptr_null(engrate_train_report_json(NULL));
    ck_assert_ptr_null(engrate_train_report_summary(NULL));
    engrate_train_options_free(o);
}
END_TEST

/* ---- Saving, killed -------------------------------------------------------------- */

/* A model of about `levels` * 300 bytes, the same shape each time, different numbers for
 * different `seed`s. */
static engrate_model *big_model(int levels, int seed, char **text_out, size_t *len)
{
    text t = {0};
    add_head(&t);
    add(&t, "[input skills]\nkind = set\nlevels = %d\n", levels);
    for (int l = 0; l < levels; l++)
        add(&t, "[level s%d]\ncoef = %d.%d\nname.en = Skill number %d of a big model\n"
                "name.ja = スキル%d\nalias = skill-%d-alias\nalias = another alias %d\n",
            l, seed, l, l, l, l, l);
    engrate_error err;
    engrate_model *m = load_text(&t, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    free(t.s);
    *text_out = engrate_model_to_string(m, len, &err);
    return m;
}

/* The directory holds the target, whole (old or new text), and nothing else when
 * `alone`; a leftover temporary file must at least be whole. Leftovers are removed. */
static int check_dir(const char *dir, const char *target, const char *a, size_t na,
                     const char *b, size_t nb, int alone)
{
    size_t len = 0;
    char *got = test_read(target, &len);
    ck_assert_msg(got != NULL, "the target is gone");
    int is_a = len == na && memcmp(got, a, na) == 0, is_b = len == nb && memcmp(got, b, nb) == 0;
    ck_assert_msg(is_a || is_b, "the target holds %zu bytes, neither file", len);
    engrate_error err;
    engrate_model *m = engrate_model_load_buffer(got, len, target, 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    engrate_model_free(m);
    free(got);
    DIR *dp = opendir(dir);
    struct dirent *e;
    int leftovers = 0;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "m.model") == 0)
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ck_assert_msg(strstr(e->d_name, "m.model.tmp.") == e->d_name, "stray file %s",
                      e->d_name);
        char *tmp = test_read(path, &len);
        int whole = tmp && ((len == na && memcmp(tmp, a, na) == 0) ||
                            (len == nb && memcmp(tmp, b, nb) == 0));
        free(tmp);
        ck_assert_msg(!alone || whole, "a partial temporary file %s (%zu bytes) was left",
                      e->d_name, len);
        unlink(path);
        leftovers++;
    }
    closedir(dp);
    return leftovers;
}

/* Whether this file system can make unnamed files (O_TMPFILE): then a save killed while
 * writing leaves nothing behind. Elsewhere it may leave a partial temporary file, never
 * under the target's name. */
static int unnamed_files_work(const char *dir)
{
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_WRONLY, 0600);
    if (fd >= 0) {
        close(fd);
        return 1;
    }
#endif
    (void)dir;
    return 0;
}

START_TEST(save_killed_at_random_times)
{
    char dir[] = "/tmp/engrate-kill-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char target[256];
    snprintf(target, sizeof target, "%s/m.model", dir);
    int levels = light() ? 500 : 20000;
    char *ta, *tb;
    size_t na, nb;
    engrate_model *a = big_model(levels, 1, &ta, &na), *b = big_model(levels, 2, &tb, &nb);
    engrate_error err;
    ck_assert_int_eq(engrate_model_save(a, target, 0, &err), 0);
    double t0 = now();
    ck_assert_int_eq(engrate_model_save(b, target, 0, &err), 0);
    double one_save = now() - t0;
    int alone = unnamed_files_work(dir), leftovers = 0;
    int rounds = light() ? 4 : 16;
    for (int k = 0; k < rounds; k++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            for (int i = 0;; i++)
                engrate_model_save(i & 1 ? a : b, target, 0, NULL);
        }
        /* Anywhere in the first few saves: while writing, linking, renaming. */
        useconds_t us = (useconds_t)(next_random() % (uint64_t)(3e6 * one_save + 1000));
        usleep(us);
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        leftovers += check_dir(dir, target, ta, na, tb, nb, alone);
    }
    /* Only a kill between link and rename (microseconds) can leave a file, and it is whole. */
    ck_assert_int_le(leftovers, alone ? rounds / 4 : rounds);
    engrate_string_free(ta);
    engrate_string_free(tb);
    engrate_model_free(a);
    engrate_model_free(b);
    unlink(target);
    rmdir(dir);
}
END_TEST

/* Killed exactly while writing, at chosen bytes: with a file size limit the kernel stops
 * the process (SIGXFSZ) at that byte of the new file. */
START_TEST(save_killed_while_writing)
{
    char dir[] = "/tmp/engrate-xfsz-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char target[256];
    snprintf(target, sizeof target, "%s/m.model", dir);
    char *ta, *tb;
    size_t na, nb;
    int levels = light() ? 200 : 2000;
    engrate_model *a = big_model(levels, 1, &ta, &na), *b = big_model(levels, 2, &tb, &nb);
    engrate_error err;
    ck_assert_int_eq(engrate_model_save(a, target, 0, &err), 0);
    int alone = unnamed_files_work(dir);
    rlim_t cuts[] = {1, 4096, (rlim_t)nb / 2, (rlim_t)nb - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            struct rlimit rl = {cuts[k], cuts[k]};
            signal(SIGXFSZ, SIG_DFL);
            struct rlimit no_core = {0, 0};
            setrlimit(RLIMIT_CORE, &no_core);
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(3);
            engrate_model_save(b, target, 0, NULL);
            _exit(4); /* not reached: the write past the limit stops the process */
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ,
                      "the save was not stopped at byte %lu (status 0x%x)",
                      (unsigned long)cuts[k], status);
        check_dir(dir, target, ta, na, ta, na, alone); /* still the old file, whole */
    }
    engrate_string_free(ta);
    engrate_string_free(tb);
    engrate_model_free(a);
    engrate_model_free(b);
    unlink(target);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hardening");
    TCase *tc = tcase_create("offsets");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, truncated_at_every_offset);
    tcase_add_test(tc, bytes_flipped_at_every_offset);
    tcase_add_test(tc, invalid_cases_explain_themselves);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, everything_at_its_limit_loads);
    tcase_add_test(tc, long_lines);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits-size");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, total_levels);
    tcase_add_test(tc, total_names);
    tcase_add_test(tc, file_size);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits-time");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, hundred_thousand_levels_load);
    suite_add_tcase(s, tc);
    tc = tcase_create("misuse");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, misuse_errors_versions_and_loading);
    tcase_add_test(tc, misuse_saving_and_accessors);
    tcase_add_test(tc, misuse_names);
    tcase_add_test(tc, misuse_queries);
    tcase_add_test(tc, misuse_profiles);
    tcase_add_test(tc, misuse_batch);
    tcase_add_test(tc, misuse_training);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, save_killed_at_random_times);
    tcase_add_test(tc, save_killed_while_writing);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
