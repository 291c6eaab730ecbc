/* fuzz_acc.c: libFuzzer target for the accumulator file's loader (lib/train/accload.c,
 * accstate.c, accsums.c) and what follows a load. Arbitrary bytes are loaded; when they end
 * with an END! section its checksum is made right first, so that the fuzzer gets past the
 * checksum to the sections' meaning (a damaged checksum is tested by check_acc). The load
 * succeeds or gives an explained error. What loads must write bytes that load back to the
 * same bytes, merge with itself, and (a partial of a few terms) finish into a model that
 * saves and loads back to the same text, or into an explained error. */
#include <math.h>

#include "accfile.h"
#include "engrate_train.h"
#include "fuzz.h"

/* Save, load, save: the same bytes. */
static void round_trip(const engrate_train_acc *a)
{
    engrate_error err;
    size_t len, len2;
    void *b = engrate_train_acc_to_buffer(a, &len, &err);
    FUZZ_CHECK(b != NULL);
    engrate_train_acc *c = engrate_train_acc_load_buffer(b, len, "again.acc", &err);
    if (!c)
        fprintf(stderr, "a saved accumulator does not load: %s\n", err.text);
    FUZZ_CHECK(c != NULL);
    void *b2 = engrate_train_acc_to_buffer(c, &len2, &err);
    FUZZ_CHECK(b2 != NULL && len2 == len && memcmp(b, b2, len) == 0);
    engrate_train_acc_buffer_free(b);
    engrate_train_acc_buffer_free(b2);
    engrate_train_acc_free(c);
}

static void finish(const engrate_train_acc *a)
{
    engrate_error err;
    engrate_train_options *o = engrate_train_options_new();
    FUZZ_CHECK(o != NULL);
    engrate_train_report *rep = NULL;
    engrate_model *m = engrate_train_acc_finish(a, o, &rep, &err);
    engrate_train_options_free(o);
    if (rep) {
        FUZZ_CHECK(engrate_train_report_json(rep) != NULL);
        engrate_train_report_free(rep);
    }
    if (!m) {
        fuzz_check_error(&err, 0);
        return;
    }
    char *text = engrate_model_to_string(m, NULL, &err);
    FUZZ_CHECK(text != NULL);
    engrate_model *m2 = engrate_model_load_buffer(text, strlen(text), "finished.model", 0, &err);
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
    uint8_t *buf = malloc(size ? size : 1);
    FUZZ_CHECK(buf != NULL);
    memcpy(buf, data, size);
    if (size >= 20 && memcmp(buf + size - 20, ACC_END, 4) == 0) {
        uint64_t h = acc_fnv64(buf, size - 20);
        for (int i = 0; i < 8; i++)
            buf[size - 8 + (size_t)i] = (uint8_t)(h >> (8 * i));
    }
    engrate_error err;
    memset(&err, 0x5A, sizeof err);
    engrate_train_acc *a = engrate_train_acc_load_buffer(buf, size, "fuzz.acc", &err);
    free(buf);
    if (!a) {
        fuzz_check_error(&err, 0);
        FUZZ_CHECK(strcmp(err.source, "fuzz.acc") == 0);
        return 0;
    }
    int kind = engrate_train_acc_kind(a);
    FUZZ_CHECK(kind == ENGRATE_ACC_SCAN || kind == ENGRATE_ACC_PARTIAL);
    FUZZ_CHECK(engrate_train_acc_value(a, "rows_used") <= engrate_train_acc_value(a, "rows_read"));
    round_trip(a);
    engrate_train_acc *twice = engrate_train_acc_load_buffer(data, 0, "x", &err);
    FUZZ_CHECK(twice == NULL); /* nothing is not an accumulator */
    size_t len;
    void *b = engrate_train_acc_to_buffer(a, &len, &err);
    FUZZ_CHECK(b != NULL);
    twice = engrate_train_acc_load_buffer(b, len, "twice.acc", &err);
    engrate_train_acc_buffer_free(b);
    FUZZ_CHECK(twice != NULL);
    int rc = engrate_train_acc_merge(twice, a, &err);
    if (rc)
        fuzz_check_error(&err, rc);
    else
        FUZZ_CHECK(engrate_train_acc_value(twice, "rows_read") ==
                   2 * engrate_train_acc_value(a, "rows_read"));
    if (kind == ENGRATE_ACC_PARTIAL && engrate_train_acc_value(a, "terms") <= 64 &&
        engrate_train_acc_value(a, "folds") <= 10)
        finish(rc ? a : twice);
    engrate_train_acc_free(twice);
    engrate_train_acc_free(a);
    return 0;
}
