/* fuzz_csv.c: libFuzzer target for the CSV reader (lib/train/csv.c) and the trainer on
 * arbitrary bytes. The reader must hand out records whose fields are NUL-terminated, of
 * the length it says, at a line and column that exist, and end with 0 or an explained
 * error. The trainer must give a model or an explained error; a model it gives must save
 * to text that the loader reads back to the same text. A first byte below 0x08 picks one
 * of a few option sets (and is skipped); anything else trains with the defaults. */
#include <math.h>

#include "csv.h"
#include "engrate_train.h"
#include "fuzz.h"

static void read_all(const uint8_t *data, size_t size)
{
    engrate_error err;
    er_csv *c = er_csv_open_buffer((const char *)data, size, "fuzz.csv", &err);
    FUZZ_CHECK(c != NULL);
    int prev_line = 0;
    for (int records = 0; records < 100000; records++) {
        const er_csv_field *f;
        size_t n;
        er_error_clear(&err);
        int rc = er_csv_next(c, &f, &n, &err);
        if (rc == 0)
            break;
        if (rc < 0) {
            fuzz_check_error(&err, rc);
            fuzz_check_position(data, size, &err);
            if (!er_csv_recoverable(c))
                break;
            continue;
        }
        FUZZ_CHECK(rc == 1 && n >= 1 && n <= ER_CSV_MAX_FIELDS);
        int line = er_csv_record_line(c);
        FUZZ_CHECK(line > prev_line);
        prev_line = line;
        for (size_t k = 0; k < n; k++) {
            FUZZ_CHECK(f[k].s != NULL && strlen(f[k].s) == f[k].len);
            FUZZ_CHECK(test_utf8_ok(f[k].s, f[k].len));
            FUZZ_CHECK(f[k].line >= line && f[k].col >= 1);
            engrate_error where = {0};
            where.line = f[k].line;
            where.column = f[k].col;
            fuzz_check_position(data, size, &where);
        }
        FUZZ_CHECK(er_csv_offset(c) <= size);
    }
    er_csv_close(c);
}

static const char *const option_sets[][12] = {
    {NULL},
    {"transform", "none", "folds", "0", "lambda", "0.5", NULL},
    {"categorical", "role", "set", "skills:;", "numeric", "years:knots=3,10", "target", "rate",
     "skip-bad-rows", NULL, NULL},
    {"weight", "weight", "min-count", "1", "folds", "2", "interval", "0.5", NULL},
    {"numeric", "years", "numeric", "rate", "target", "weight", "no-intercept", NULL, NULL},
};

static void train(const uint8_t *data, size_t size)
{
    size_t which = 0;
    if (size > 0 && data[0] < 0x08) {
        which = data[0] % (sizeof option_sets / sizeof option_sets[0]);
        data++;
        size--;
    }
    engrate_error err;
    engrate_train_options *o = engrate_train_options_new();
    FUZZ_CHECK(o != NULL);
    for (size_t i = 0; option_sets[which][i]; i += 2)
        FUZZ_CHECK(engrate_train_options_set(o, option_sets[which][i],
                                             option_sets[which][i + 1], &err) == 0);
    FUZZ_CHECK(engrate_train_options_set(o, "threads", "1", &err) == 0);
    engrate_train_report *rep = (engrate_train_report *)&err; /* must be overwritten */
    memset(&err, 0x5A, sizeof err);
    engrate_model *m =
        engrate_train_csv_buffer((const char *)data, size, "fuzz.csv", o, &rep, &err);
    engrate_train_options_free(o);
    if (rep) {
        FUZZ_CHECK(rep != (engrate_train_report *)&err);
        const char *json = engrate_train_report_json(rep);
        FUZZ_CHECK(json != NULL && test_utf8_ok(json, strlen(json)));
        const char *summary = engrate_train_report_summary(rep);
        FUZZ_CHECK(summary != NULL);
        for (size_t i = 0; i < engrate_train_report_note_count(rep); i++)
            FUZZ_CHECK(engrate_train_report_note(rep, i) != NULL);
        for (size_t i = 0; i < engrate_train_report_term_count(rep); i++)
            FUZZ_CHECK(engrate_train_report_term(rep, i) != NULL);
        engrate_train_report_free(rep);
    }
    if (!m) {
        fuzz_check_error(&err, 0);
        fuzz_check_position(data, size, &err);
        return;
    }
    FUZZ_CHECK(err.code == 0);
    size_t len = 0;
    char *text = engrate_model_to_string(m, &len, &err);
    FUZZ_CHECK(text != NULL);
    engrate_model *m2 = engrate_model_load_buffer(text, len, "trained.model", 0, &err);
    if (!m2)
        fprintf(stderr, "a trained model does not load: %s\n", err.text);
    FUZZ_CHECK(m2 != NULL);
    char *text2 = engrate_model_to_string(m2, NULL, &err);
    FUZZ_CHECK(text2 != NULL && strcmp(text, text2) == 0);
    engrate_string_free(text);
    engrate_string_free(text2);
    engrate_model_free(m2);
    engrate_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_all(data, size);
    train(data, size);
    return 0;
}
