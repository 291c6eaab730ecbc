/* engrate.h: the whole public interface of libengrate: loading, saving and introspecting
 * models, and estimating with them. Training is a library of its own, libengrate-train,
 * with its own header (engrate_train.h): programs that only estimate never load it.
 *
 * engrate estimates an IT engineer's monthly rate from role, skills, certifications and
 * years of experience with a regression model read from a model file (models/FORMAT.md).
 *
 * Conventions that hold for every function below:
 *  - Functions that return an int return 0 (or a documented non-negative value) on success
 *    and a negative ENGRATE_E* code on failure; functions that return a pointer return NULL
 *    on failure. Where a function takes an `engrate_error *err`, it may be NULL; when it is
 *    not, a failure fills it (code, line, column, source, text).
 *  - Strings are UTF-8, NUL-terminated, and borrowed: the library copies what it keeps.
 *    Strings the library returns as `const char *` belong to the object they came from and
 *    live as long as it does.
 *  - Everything the library allocates is released by its own engrate_*_free function, each
 *    of which accepts NULL. Never pass library memory to free().
 *  - Arrays are passed as (pointer, count). No structs are passed by value, there are no
 *    varargs and no callbacks, so Python's ctypes and Ruby's ffi can call everything.
 *  - The library never prints, never exits, never aborts on bad input, never calls
 *    setlocale() and keeps no global mutable state.
 *
 * Threads: a loaded engrate_model is immutable. Any number of threads may use one model at
 * once (queries, estimates, introspection) without locking. An engrate_query or
 * engrate_result belongs to one thread at a time. A model must outlive the queries and
 * results made from it.
 */
#ifndef ENGRATE_H
#define ENGRATE_H

#include <stddef.h>

#include "engrate_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ENGRATE_BUILDING) && defined(__GNUC__)
#define ENGRATE_API __attribute__((visibility("default")))
#else
#define ENGRATE_API
#endif

/* ---- Errors ------------------------------------------------------------------------ */

/* Error codes: 0 is success, failures are negative. Stable for the major version. */
enum {
    ENGRATE_OK = 0,
    ENGRATE_E_INVALID = -1,      /* bad argument: NULL, NaN, out of range, wrong kind   */
    ENGRATE_E_NOMEM = -2,        /* out of memory                                       */
    ENGRATE_E_IO = -3,           /* a file could not be opened, read or written         */
    ENGRATE_E_SYNTAX = -4,       /* a line of a model file or CSV is malformed          */
    ENGRATE_E_VERSION = -5,      /* not a model file, or a format version not supported */
    ENGRATE_E_LIMIT = -6,        /* a documented limit was exceeded                     */
    ENGRATE_E_DUPLICATE = -7,    /* a key, level, alias or input given twice            */
    ENGRATE_E_UNKNOWN_KEY = -8,  /* a section or key the format does not define         */
    ENGRATE_E_NUMBER = -9,       /* a value that should be a number is not, or not finite */
    ENGRATE_E_MISSING = -10,     /* a required key is absent, or a count does not match */
    ENGRATE_E_UTF8 = -11,        /* text that is not valid UTF-8                        */
    ENGRATE_E_UNKNOWN_NAME = -12,/* an input or level name the model does not know      */
    ENGRATE_E_DATA = -13,        /* training data that cannot be used (bad row, value)  */
    ENGRATE_E_SINGULAR = -14     /* a design too ill-conditioned to solve               */
};

#define ENGRATE_ERROR_SOURCE_MAX 160
#define ENGRATE_ERROR_TEXT_MAX 320

/* Where and what went wrong. `line` and `column` are 1-based and 0 when they do not apply
 * (column counts bytes). `source` is the file path, "<buffer>" or the name given to a
 * buffer load; `text` is a full message such as
 * "jp.model:41:17: unknown key 'coefs' in [level]". Both are NUL-terminated, truncated
 * to fit, and valid UTF-8 (bytes that are not become '?'). The first error of a call is
 * the one reported. */
typedef struct engrate_error {
    int code;
    int line;
    int column;
    char source[ENGRATE_ERROR_SOURCE_MAX];
    char text[ENGRATE_ERROR_TEXT_MAX];
} engrate_error;

/* A static English description of an error code ("unknown key", ...); never NULL. */
ENGRATE_API const char *engrate_strerror(int code);

/* sizeof(engrate_error), for bindings that allocate it themselves. */
ENGRATE_API size_t engrate_error_size(void);

/* ---- Version ----------------------------------------------------------------------- */

/* The release version ("0.1.0") and its major number, as built into the library (which may
 * differ from the ENGRATE_VERSION macros a program was compiled with). */
ENGRATE_API const char *engrate_version_string(void);
ENGRATE_API int engrate_version_major(void);

/* ---- Models ------------------------------------------------------------------------ */

typedef struct engrate_model engrate_model;

/* Kinds of model input. */
enum {
    ENGRATE_CATEGORICAL = 1, /* exactly one level, e.g. role                  */
    ENGRATE_SET = 2,         /* any number of levels, e.g. skills, certs      */
    ENGRATE_NUMERIC = 3      /* a number, e.g. years, linear or piecewise     */
};

/* Target transforms: the model predicts t(rate), t = log or identity. */
enum { ENGRATE_TRANSFORM_NONE = 0, ENGRATE_TRANSFORM_LOG = 1 };

/* Level flags. */
enum {
    /* The model recognises the level but has no evidence for a premium: its coefficient
     * is 0 and estimates that use it carry ENGRATE_FLAG_NO_EVIDENCE. */
    ENGRATE_LEVEL_NO_EVIDENCE = 1u << 0
};

/* Load flags: none are defined yet; pass 0. Unknown bits are refused (ENGRATE_E_INVALID)
 * so that flags added later can never be silently ignored by an older library. */
#define ENGRATE_LOAD_DEFAULT 0u

/* Load a model file. Returns a new model (free with engrate_model_free) or NULL, with
 * code, line and column of the first problem in err. The loader is strict: see
 * models/FORMAT.md for the grammar and the limits it enforces. */
ENGRATE_API engrate_model *engrate_model_load(const char *path, unsigned flags,
                                              engrate_error *err);

/* Load a model from memory: `len` bytes at `data` (no NUL needed). `source` names the
 * buffer in error messages and may be NULL ("<buffer>"). */
ENGRATE_API engrate_model *engrate_model_load_buffer(const char *data, size_t len,
                                                     const char *source, unsigned flags,
                                                     engrate_error *err);

/* Load the default model: the file named by the environment variable ENGRATE_MODEL if it
 * is set and not empty, else the installed default (engrate_model_default_path()). */
ENGRATE_API engrate_model *engrate_model_load_default(unsigned flags, engrate_error *err);

/* The path of the installed default model ($(pkgdatadir)/default.model). */
ENGRATE_API const char *engrate_model_default_path(void);

ENGRATE_API void engrate_model_free(engrate_model *model);

/* Write the model in canonical form (models/FORMAT.md): the same model always gives the
 * same bytes, and doubles are written so that they read back exactly. The file is
 * written to a temporary name in the same directory and renamed over `path`, so a
 * failure never leaves a partial file and never damages an existing one. flags: 0. */
ENGRATE_API int engrate_model_save(const engrate_model *model, const char *path,
                                   unsigned flags, engrate_error *err);

/* The canonical text of the model, NUL-terminated; its length (without the NUL) in *len
 * when len is not NULL. Free it with engrate_string_free. */
ENGRATE_API char *engrate_model_to_string(const engrate_model *model, size_t *len,
                                          engrate_error *err);
ENGRATE_API void engrate_string_free(char *s);

/* Metadata from the [model] section by key: "name", "description", "currency",
 * "period", "basis", "as_of". NULL when the model does not have it or the key
 * is not one of these. */
ENGRATE_API const char *engrate_model_meta(const engrate_model *model, const char *key);
ENGRATE_API int engrate_model_transform(const engrate_model *model);
ENGRATE_API double engrate_model_intercept(const engrate_model *model);
/* Provenance: the model's `source` lines, in order. */
ENGRATE_API size_t engrate_model_source_count(const engrate_model *model);
ENGRATE_API const char *engrate_model_source(const engrate_model *model, size_t i);
/* Training summary from [training] by key ("rows", "terms", "lambda", "folds",
 * "r_squared", "residual_sd", "cv_rmse", "cv_mape", "coverage"); NaN when absent. */
ENGRATE_API double engrate_model_training(const engrate_model *model, const char *key);
/* The prediction interval's nominal level (e.g. 0.8) and its bounds on the transformed
 * scale (residual quantiles added to the linear predictor). */
ENGRATE_API double engrate_model_interval_level(const engrate_model *model);
ENGRATE_API double engrate_model_interval_low(const engrate_model *model);
ENGRATE_API double engrate_model_interval_high(const engrate_model *model);

/* ---- Inputs and levels: what a UI needs to build its pick-lists -------------------- */

ENGRATE_API size_t engrate_model_input_count(const engrate_model *model);
/* Index of the input with this id ("role"), or ENGRATE_E_UNKNOWN_NAME. Exact match. */
ENGRATE_API int engrate_model_input_index(const engrate_model *model, const char *id);
/* Input properties; NULL / 0 / NaN for an index out of range. */
ENGRATE_API const char *engrate_input_id(const engrate_model *model, size_t input);
ENGRATE_API int engrate_input_kind(const engrate_model *model, size_t input);
/* Display label in a language ("en", "ja"); falls back to English, then to the id. */
ENGRATE_API const char *engrate_input_label(const engrate_model *model, size_t input,
                                            const char *lang);
ENGRATE_API size_t engrate_input_level_count(const engrate_model *model, size_t input);
/* Numeric inputs: the range seen in training, the value used when none is given, and the
 * piecewise-linear knots (0 knots: linear). */
ENGRATE_API double engrate_input_min(const engrate_model *model, size_t input);
ENGRATE_API double engrate_input_max(const engrate_model *model, size_t input);
ENGRATE_API double engrate_input_default(const engrate_model *model, size_t input);
ENGRATE_API size_t engrate_input_knot_count(const engrate_model *model, size_t input);
ENGRATE_API double engrate_input_knot(const engrate_model *model, size_t input, size_t k);
/* Numeric inputs: coefficient k; k = 0 is the slope, k = 1.. the change of slope after
 * knot k-1. Categorical and set inputs: NaN (use engrate_level_coef). */
ENGRATE_API double engrate_input_coef(const engrate_model *model, size_t input, size_t k);

ENGRATE_API const char *engrate_level_id(const engrate_model *model, size_t input,
                                         size_t level);
/* Display name in a language; falls back to English, then to the id. */
ENGRATE_API const char *engrate_level_name(const engrate_model *model, size_t input,
                                           size_t level, const char *lang);
ENGRATE_API double engrate_level_coef(const engrate_model *model, size_t input,
                                      size_t level);
ENGRATE_API unsigned engrate_level_flags(const engrate_model *model, size_t input,
                                         size_t level);
ENGRATE_API size_t engrate_level_alias_count(const engrate_model *model, size_t input,
                                             size_t level);
ENGRATE_API const char *engrate_level_alias(const engrate_model *model, size_t input,
                                            size_t level, size_t k);

/* Resolve a name to a level of a categorical or set input, with the matching rules of
 * engrate_fold_name (id, display names and aliases). Returns the level index, or
 * ENGRATE_E_UNKNOWN_NAME, or ENGRATE_E_UTF8 / ENGRATE_E_INVALID for bad arguments.
 * If `aliased` is not NULL it is set to 1 when the name matched something other than
 * the level's id. */
ENGRATE_API int engrate_model_find_level(const engrate_model *model, size_t input,
                                         const char *name, int *aliased);

/* The level whose names are closest to an unknown `name` (edit distance on folded text,
 * at most a third of its length), or ENGRATE_E_UNKNOWN_NAME when none is close. */
ENGRATE_API int engrate_model_suggest(const engrate_model *model, size_t input,
                                      const char *name);

/* Fold a name the way matching does, into buf (cap bytes, NUL-terminated). Returns the
 * folded length, ENGRATE_E_UTF8 for invalid UTF-8, ENGRATE_E_LIMIT when it does not fit.
 * The rules (models/FORMAT.md, "Name matching"): full-width ASCII U+FF01..U+FF5E becomes
 * ASCII and U+3000 a space; ASCII letters become lower case; white space and the
 * separators - _ . / and the middle dots U+30FB, U+FF65, and the dashes U+2010..U+2015,
 * U+2212 are removed. Everything else is kept as it is: "C++", "C#" and "C" stay apart,
 * and the katakana long vowel mark is kept (aliases cover its spelling variants). */
ENGRATE_API int engrate_fold_name(const char *name, char *buf, size_t cap);

/* ---- Queries: what is asked ------------------------------------------------------- */

typedef struct engrate_query engrate_query;

/* A new, empty query for `model`. Free with engrate_query_free. */
ENGRATE_API engrate_query *engrate_query_new(const engrate_model *model, engrate_error *err);
ENGRATE_API void engrate_query_free(engrate_query *query);
/* Forget all values; the query can be reused without allocating again. */
ENGRATE_API void engrate_query_reset(engrate_query *query);

/* Give a categorical input its level (replacing any earlier one) or add a level to a set
 * input (a level given twice counts once), by input id and name. Returns 0 when the
 * name matched a level, 1 when it is unknown: then it is recorded in the query, ignored
 * by a lenient estimate and refused by a strict one. Negative on error: unknown input id
 * (ENGRATE_E_UNKNOWN_NAME), a numeric input (ENGRATE_E_INVALID), invalid UTF-8. */
ENGRATE_API int engrate_query_add(engrate_query *query, const char *input, const char *name,
                                  engrate_error *err);

/* Set a numeric input. The value must be finite (NaN and infinities: ENGRATE_E_INVALID).
 * Outside the range seen in training it is clamped to that range and the estimate carries
 * ENGRATE_FLAG_CLAMPED. A numeric input not set takes the model's default value
 * (ENGRATE_FLAG_DEFAULTED). */
ENGRATE_API int engrate_query_set_number(engrate_query *query, const char *input,
                                         double value, engrate_error *err);

/* The same by index, for callers that resolved names once (engrate_model_input_index,
 * engrate_model_find_level). Range-checked; no name matching. */
ENGRATE_API int engrate_query_add_level(engrate_query *query, size_t input, size_t level,
                                        engrate_error *err);
ENGRATE_API int engrate_query_set_number_at(engrate_query *query, size_t input, double value,
                                            engrate_error *err);

/* ---- Results: the answer and why -------------------------------------------------- */

typedef struct engrate_result engrate_result;

/* Estimate flags. */
enum {
    /* Fail with ENGRATE_E_UNKNOWN_NAME, naming the first unknown name, instead of
     * ignoring unknown names and listing them in the result. */
    ENGRATE_STRICT = 1u << 0
};

/* Result flags (engrate_result_flags; contribution flags use the same bits). */
enum {
    ENGRATE_FLAG_UNKNOWN = 1u << 0,     /* some names were unknown and ignored          */
    ENGRATE_FLAG_CLAMPED = 1u << 1,     /* a number was outside the training range      */
    ENGRATE_FLAG_DEFAULTED = 1u << 2,   /* a numeric input was not given: default used  */
    ENGRATE_FLAG_NO_EVIDENCE = 1u << 3, /* a level the model has no evidence for        */
    ENGRATE_FLAG_MISSING = 1u << 4      /* a categorical input was not given            */
};

/* A result sized for `model`; reused across estimates without allocating. */
ENGRATE_API engrate_result *engrate_result_new(const engrate_model *model, engrate_error *err);
ENGRATE_API void engrate_result_free(engrate_result *result);

/* Estimate the query into `result`. flags: 0 or ENGRATE_STRICT. Returns 0, or a negative
 * code (the result is then emptied). Safe to call from many threads with one model, each
 * with its own query and result. */
ENGRATE_API int engrate_estimate(const engrate_query *query, unsigned flags,
                                 engrate_result *result, engrate_error *err);

/* Convenience: estimate one profile with the model's inputs named "role" (categorical),
 * "skills" and "certs" (sets) and "years" (numeric). `role` may be NULL; skills and
 * certs are arrays of n names (NULL when n is 0); `years` points to the years or is NULL
 * when they are not known. A model without one of these inputs refuses a value for it. */
ENGRATE_API int engrate_estimate_profile(const engrate_model *model, const char *role,
                                         const char *const *skills, size_t n_skills,
                                         const char *const *certs, size_t n_certs,
                                         const double *years, unsigned flags,
                                         engrate_result *result, engrate_error *err);

/* The estimate: the median rate in the model's currency per period. */
ENGRATE_API double engrate_result_estimate(const engrate_result *result);
/* The prediction interval [low, high] and its nominal level (e.g. 0.8). */
ENGRATE_API double engrate_result_low(const engrate_result *result);
ENGRATE_API double engrate_result_high(const engrate_result *result);
ENGRATE_API double engrate_result_level(const engrate_result *result);
ENGRATE_API unsigned engrate_result_flags(const engrate_result *result);

/* The breakdown: contribution 0 is the base (the intercept; input -1), then one per
 * matched level and one per numeric input, in input order. The amounts, in currency,
 * add up to the estimate (to rounding). With a log model each term's share is its log
 * effect times the logarithmic mean of estimate and base, so every amount has the sign
 * of its effect (models/FORMAT.md, "Contributions"). */
ENGRATE_API size_t engrate_result_contribution_count(const engrate_result *result);
ENGRATE_API double engrate_result_contribution_amount(const engrate_result *result, size_t i);
/* Input index, or -1 for the base. */
ENGRATE_API int engrate_result_contribution_input(const engrate_result *result, size_t i);
/* Level index for categorical and set inputs, -1 otherwise. */
ENGRATE_API int engrate_result_contribution_level(const engrate_result *result, size_t i);
/* The number used for a numeric input (after clamping / defaulting), NaN otherwise. */
ENGRATE_API double engrate_result_contribution_value(const engrate_result *result, size_t i);
/* ENGRATE_FLAG_* that apply to this term (CLAMPED, DEFAULTED, NO_EVIDENCE). */
ENGRATE_API unsigned engrate_result_contribution_flags(const engrate_result *result, size_t i);

/* Names that matched no level, as given, with the input they were given for. */
ENGRATE_API size_t engrate_result_unknown_count(const engrate_result *result);
ENGRATE_API const char *engrate_result_unknown_name(const engrate_result *result, size_t i);
ENGRATE_API int engrate_result_unknown_input(const engrate_result *result, size_t i);

/* Names that matched a level through a display name or alias rather than its id. */
ENGRATE_API size_t engrate_result_aliased_count(const engrate_result *result);
ENGRATE_API const char *engrate_result_aliased_given(const engrate_result *result, size_t i);
ENGRATE_API int engrate_result_aliased_input(const engrate_result *result, size_t i);
ENGRATE_API int engrate_result_aliased_level(const engrate_result *result, size_t i);

/* ---- Batches: many profiles in one call ------------------------------------------- */

/* Estimate n profiles in one call, so that a caller through an FFI (Python's ctypes,
 * Ruby's ffi) crosses into C once per batch instead of once per profile. Profile i is
 * what engrate_estimate_profile would be given, and its numbers are the same, bit for bit:
 *  - roles[i] is its role, or NULL for none; `roles` may be NULL (no profile has a role).
 *  - skills[skill_offsets[i]] .. skills[skill_offsets[i + 1] - 1] are its skills: the
 *    names of all profiles one after another and n + 1 non-decreasing offsets into them
 *    (the offsets need not start at 0, so part of a larger batch can be passed as it is).
 *    Both NULL: no profile has skills. certs and cert_offsets are the same for
 *    certifications.
 *  - years[i] is its years of experience, or NaN when they are not known (the model's
 *    default is used and the estimate carries ENGRATE_FLAG_DEFAULTED, as with a NULL
 *    `years` in engrate_estimate_profile); `years` may be NULL (no profile gives them).
 *    An infinite value is that profile's error.
 *  - flags, 0 or ENGRATE_STRICT, applies to every profile.
 * Outputs have n entries each and any of them may be NULL: estimate, low and high (NaN
 * for a profile that failed), result_flags (ENGRATE_FLAG_*, 0 for a profile that failed)
 * and status: 0 estimated, 1 estimated with unknown names ignored, or the negative code of
 * the profile's error (ENGRATE_E_UNKNOWN_NAME under ENGRATE_STRICT, ENGRATE_E_INVALID for
 * a NULL name or infinite years, ENGRATE_E_UTF8, ...). A profile that fails does not stop
 * the batch.
 * Returns the number of profiles that failed, 0 when every one was estimated; err then
 * holds the first failure, with its index: "profile 3: unknown skills 'jva' (did you mean
 * 'Java'?)" (code 0 when none failed). Returns a negative code, and writes no output, when
 * the arguments themselves are wrong: model NULL, unknown flag bits, names without
 * offsets, offsets that decrease, an array missing for a non-zero count
 * (ENGRATE_E_INVALID), n above INT_MAX (ENGRATE_E_LIMIT; split the batch), or no memory
 * for the one result the call allocates and reuses for every profile (ENGRATE_E_NOMEM):
 * the number of allocations does not grow with n. Like engrate_estimate, safe to call
 * from many threads with one model. */
ENGRATE_API int engrate_estimate_batch(const engrate_model *model, size_t n,
                                       const char *const *roles,
                                       const char *const *skills, const size_t *skill_offsets,
                                       const char *const *certs, const size_t *cert_offsets,
                                       const double *years, unsigned flags, double *estimate,
                                       double *low, double *high, unsigned *result_flags,
                                       int *status, engrate_error *err);

#ifdef __cplusplus
}
#endif

#endif /* ENGRATE_H */
