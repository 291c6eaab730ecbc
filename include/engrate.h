/* engrate.h: the whole public interface of libengrate: loading, saving and introspecting
 * models, and estimating with them. Training is a library of its own, libengrate-train,
 * with its own header (engrate_train.h): programs that only estimate never load it.
 *
 * engrate estimates an IT engineer's monthly rate from role, skills, certifications and
 * years of experience with a regression model read from a model file (models/FORMAT.md).
 *
 * Conventions that hold for every function below:
 *  - A function that can fail and returns an int returns 0 on success and a negative
 *    ENGRATE_E_* code on failure, never a positive value: `if (rc < 0)` and `if (rc != 0)`
 *    mean the same. Outcomes that are not failures (a name the model does not know, in a
 *    lenient estimate) come back through flags. Functions that return a pointer return
 *    NULL on failure. Where a function takes an `engrate_error *err`, it may be NULL; when
 *    it is not, a failure fills it (code, line, column, source, text). (Three accessors
 *    return an int that is a value, not a status: engrate_version_major,
 *    engrate_model_transform and engrate_input_kind.)
 *  - Indexes of inputs, levels, contributions and names are size_t, in and out. A lookup
 *    that can fail returns its status and writes the index through a `size_t *`, so that
 *    `size_t i = engrate_model_input_index(m, "skills")` does not compile; an accessor
 *    that returns an index returns ENGRATE_NO_INDEX where there is none.
 *  - NaN means "not known" wherever a number is given: the input is left unset, as if not
 *    given. Infinities are errors.
 *  - Arrays of names are `const char *const *` (the callee changes neither the array nor
 *    the strings). C converts `char **` to it only with a cast, so pass a program's argv,
 *    or any array of `char *`, as `(const char *const *)argv`.
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

/* "No index": what an accessor that returns an index returns where there is none (the
 * base term's input, a numeric term's level, an index out of range). */
#define ENGRATE_NO_INDEX ((size_t)-1)
/* ENGRATE_NO_INDEX, for bindings that cannot read a macro. */
ENGRATE_API size_t engrate_no_index(void);

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

/* The reference profile (models/FORMAT.md, "The reference"): the typical row of the
 * training data, from which the breakdown is measured. engrate_model_has_reference gives
 * 1 when the model has one (format version 2, written by engrate-train), 0 when not (an
 * older file: the breakdown then starts from the intercept) or for NULL.
 * engrate_model_base gives the breakdown's base in currency: the reference's estimate, or
 * without a reference the inverse-transformed intercept; NaN for NULL. */
ENGRATE_API int engrate_model_has_reference(const engrate_model *model);
ENGRATE_API double engrate_model_base(const engrate_model *model);

/* ---- Inputs and levels: what a UI needs to build its pick-lists -------------------- */

ENGRATE_API size_t engrate_model_input_count(const engrate_model *model);
/* The index of the input with this id ("role", exact match) in *input. 0, or
 * ENGRATE_E_UNKNOWN_NAME when the model has no such input, ENGRATE_E_INVALID for NULL
 * model or id; *input is then ENGRATE_NO_INDEX. */
ENGRATE_API int engrate_model_input_index(const engrate_model *model, const char *id,
                                          size_t *input);
/* Input properties; NULL / 0 / NaN for an index out of range. */
ENGRATE_API const char *engrate_input_id(const engrate_model *model, size_t input);
ENGRATE_API int engrate_input_kind(const engrate_model *model, size_t input);
/* Display label in a language ("en", "ja"); falls back to the label as the training data
 * wrote it (models/FORMAT.md, format version 2), then to English, then to the id. */
ENGRATE_API const char *engrate_input_label(const engrate_model *model, size_t input,
                                            const char *lang);
/* Find an input by what people call it: its id (exact), else its id or any of its labels
 * compared after folding (engrate_fold_name), e.g. "職種" for an input trained from a
 * column named 職種, or "Role" for "role". 0 with *input set; ENGRATE_E_UNKNOWN_NAME when
 * none matches, ENGRATE_E_DUPLICATE when two inputs do (give the id), ENGRATE_E_UTF8,
 * ENGRATE_E_INVALID for NULL arguments. */
ENGRATE_API int engrate_model_find_input(const engrate_model *model, const char *name,
                                         size_t *input);
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
/* The input's part of the reference profile: engrate_input_reference gives the number the
 * model file holds (numeric: the typical value, in [min, max]; categorical and set: the
 * typical effect, the population average of the levels' effects on the transformed
 * scale); engrate_input_reference_effect gives the effect on the transformed scale for
 * every kind (numeric: the curve at the typical value). NaN without a reference or for an
 * index out of range. */
ENGRATE_API double engrate_input_reference(const engrate_model *model, size_t input);
ENGRATE_API double engrate_input_reference_effect(const engrate_model *model, size_t input);

/* Curves that vary by a level (models/FORMAT.md, "Curves that vary by a level"): a
 * numeric input whose curve depends on the level that a categorical input has in the
 * profile, e.g. years of experience by country. Each level of that input may have a
 * deviation of its own, added to the input's coefficients (engrate_input_coef); a level
 * without one follows the input's own curve, as does a profile that does not give the
 * categorical input.
 * engrate_input_by: the index of the categorical input the curve varies by;
 * ENGRATE_NO_INDEX when it does not vary (and for an input that is not numeric, or an
 * index out of range).
 * engrate_input_deviation: coefficient k of level `level`'s deviation (k numbered as in
 * engrate_input_coef; `level` is a level of engrate_input_by's input), so that the
 * level's curve has coefficients engrate_input_coef(k) + deviation(k); NaN for a level
 * without a deviation of its own (it follows the input's curve), an input without `by`,
 * or an index out of range.
 * engrate_input_curve: the value on the transformed scale of the curve of level `level`
 * at x (clamped to [min, max], as an estimate clamps it): the level's own curve when it
 * has one, else the input's; `level` ENGRATE_NO_INDEX: the input's own curve, for every
 * numeric input. NaN for x NaN, an input that is not numeric, or a level out of range or
 * given for an input without `by`. */
ENGRATE_API size_t engrate_input_by(const engrate_model *model, size_t input);
ENGRATE_API double engrate_input_deviation(const engrate_model *model, size_t input,
                                           size_t level, size_t k);
ENGRATE_API double engrate_input_curve(const engrate_model *model, size_t input, size_t level,
                                       double x);

ENGRATE_API const char *engrate_level_id(const engrate_model *model, size_t input,
                                         size_t level);
/* Display name in a language; falls back to the name as the training data wrote it, then
 * to English, then to the id. */
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

/* What became of a name (engrate_model_find_level, engrate_query_add, and
 * engrate_query_add_list, which reports the union over its parts). */
enum {
    ENGRATE_NAME_UNKNOWN = 1u << 0, /* it matched no level                           */
    ENGRATE_NAME_ALIASED = 1u << 1, /* it matched through a display name or alias    */
    ENGRATE_NAME_BLANK = 1u << 2    /* it folds to nothing (empty, blanks only, only
                                     * separators): it names nothing and is ignored  */
};

/* Resolve a name to a level of a categorical or set input, with the matching rules of
 * engrate_fold_name (id, display names and aliases). Returns 0 with the level's index in
 * *level; ENGRATE_E_UNKNOWN_NAME when no level has that name (a blank name included);
 * ENGRATE_E_UTF8, or ENGRATE_E_INVALID for NULL arguments, an input out of range or a
 * numeric input. *level is ENGRATE_NO_INDEX unless a level was found. *flags (when flags is
 * not NULL) receives ENGRATE_NAME_ALIASED when the name matched something other than the
 * level's id, ENGRATE_NAME_UNKNOWN or ENGRATE_NAME_BLANK when it matched nothing. level
 * may be NULL. */
ENGRATE_API int engrate_model_find_level(const engrate_model *model, size_t input,
                                         const char *name, size_t *level, unsigned *flags);

/* The level whose names are closest to an unknown `name`, in *level: the edit distance
 * between folded names, counted in code points (a kana or kanji is one edit, as a letter
 * is), at most a third of the folded name's length (at least 1); ties go to the lower
 * level index. 0, or ENGRATE_E_UNKNOWN_NAME when no level is that close (*level is then
 * ENGRATE_NO_INDEX), ENGRATE_E_INVALID as engrate_model_find_level. */
ENGRATE_API int engrate_model_suggest(const engrate_model *model, size_t input,
                                      const char *name, size_t *level);

/* Fold a name the way matching does, into buf (cap bytes, NUL-terminated); the folded
 * length in *len when len is not NULL. Returns 0, ENGRATE_E_UTF8 for invalid UTF-8,
 * ENGRATE_E_LIMIT when it does not fit in cap or folds to more than 1024 bytes (no name of
 * a model can), ENGRATE_E_INVALID for NULL name or buf or a cap of 0.
 * The rules (models/FORMAT.md, "Name matching"): Unicode's NFKC_Casefold (compatibility
 * forms become their plain forms: full-width ＰＭＰ is pmp, half-width ﾊﾟｲｿﾝ is パイソン,
 * ① is 1, ㈱ is (株); full case folding: Straße and STRASSE are both strasse; ignorable
 * code points such as soft hyphens and zero-width spaces are removed), and white space,
 * the separators - _ . /, the middle dot U+30FB (and so U+FF65) and the dashes U+2010..
 * U+2015 and U+2212 removed. Everything else is kept as it is: "C++", "C#" and "C" stay
 * apart, kana and kanji are compared as written, and the katakana long vowel mark is
 * kept (aliases cover its spelling variants). Folding a folded name changes nothing. */
ENGRATE_API int engrate_fold_name(const char *name, char *buf, size_t cap, size_t *len);

/* ---- Queries: what is asked ------------------------------------------------------- */

typedef struct engrate_query engrate_query;

/* A new, empty query for `model`. Free with engrate_query_free. */
ENGRATE_API engrate_query *engrate_query_new(const engrate_model *model, engrate_error *err);
ENGRATE_API void engrate_query_free(engrate_query *query);
/* Forget all values; the query can be reused without allocating again. */
ENGRATE_API void engrate_query_reset(engrate_query *query);

/* Give a categorical input its level (replacing any earlier one) or add a level to a set
 * input (a level given twice counts once), by input id and name. Returns 0 when the name
 * was taken: matched to a level, recorded as unknown, or ignored as blank; *flags (when
 * flags is not NULL) says which: 0 (matched its level's id), ENGRATE_NAME_ALIASED,
 * ENGRATE_NAME_UNKNOWN (then it is recorded in the query, ignored by a lenient estimate,
 * which lists it in the result, and refused by a strict one) or ENGRATE_NAME_BLANK (an
 * empty name, or one of blanks or separators only, names nothing and is ignored: a blank
 * form field is not an unknown name). Negative on error: unknown input id
 * (ENGRATE_E_UNKNOWN_NAME), a numeric input (ENGRATE_E_INVALID), a NULL name
 * (ENGRATE_E_INVALID), invalid UTF-8 (ENGRATE_E_UTF8), ENGRATE_E_NOMEM. */
ENGRATE_API int engrate_query_add(engrate_query *query, const char *input, const char *name,
                                  unsigned *flags, engrate_error *err);

/* A set given as one string, as people type it in one field: `text` is split at every
 * ',' ';' U+3001 '、' U+FF0C '，' U+FF1B '；' and U+FF64 '､' (never at '/' or spaces:
 * "C/C++", "Objective-C" and "Visual Basic" are names), each part's surrounding blanks are
 * trimmed, and each part is added as engrate_query_add adds a name; blank parts are
 * skipped. "Java、Python", "java; python" and "Java,Python," add Java and Python. Give
 * every set typed in one field to this function, so that every program splits alike.
 * *flags (when not NULL) receives the union of the parts' ENGRATE_NAME_* flags
 * (ENGRATE_NAME_BLANK when some part, or the whole text, was blank). A categorical input
 * takes at most one non-blank part (more: ENGRATE_E_INVALID, nothing added). The whole
 * text is checked (input, UTF-8) before any part is added, so a failure adds nothing,
 * except ENGRATE_E_NOMEM, after which the query may hold some of the parts: reset it. */
ENGRATE_API int engrate_query_add_list(engrate_query *query, const char *input,
                                       const char *text, unsigned *flags, engrate_error *err);

/* Set a numeric input. NaN means "not known": the input is left unset (a value set
 * before is forgotten), so the estimate uses the model's default and carries
 * ENGRATE_FLAG_DEFAULTED, as in engrate_estimate_batch. An infinite value is
 * ENGRATE_E_INVALID. Outside the range seen in training a value is clamped to that range
 * and the estimate carries ENGRATE_FLAG_CLAMPED. */
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
    ENGRATE_FLAG_MISSING = 1u << 4,     /* a categorical input was not given            */
    /* Contributions only: the base is the model's reference profile (the typical
     * engagement), or the row takes an input's typical effect out of the breakdown
     * (see engrate_result_contribution_count). */
    ENGRATE_FLAG_REFERENCE = 1u << 5
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
 * certs are arrays of n names (NULL when n is 0), each name as engrate_query_add takes it
 * (blank names are ignored); `years` points to the years or is NULL when they are not
 * known (so is NaN). A model without one of these inputs refuses a value for it. */
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

/* The breakdown: contribution 0 is the base (its input is ENGRATE_NO_INDEX), then one per
 * matched level and one per numeric input, in input order. The amounts, in currency, add
 * up to the estimate (to rounding). With a log model each term's share is its log effect
 * times the logarithmic mean of estimate and base, so every amount has the sign of its
 * effect (models/FORMAT.md, "Contributions").
 * The base is engrate_model_base(): for a model with a reference profile (the typical
 * engagement of its training data; engrate_model_has_reference) the estimate of that
 * profile, flagged ENGRATE_FLAG_REFERENCE, and each amount is a difference from it:
 *  - a categorical input's level: its effect less the input's typical effect; an input not
 *    given gets a row of level ENGRATE_NO_INDEX (flags REFERENCE | MISSING) taking the
 *    typical effect out;
 *  - a numeric input: its curve at the value less the curve at the typical value, so the
 *    typical value adds 0;
 *  - a set input's levels keep their own effects, and one more row of level
 *    ENGRATE_NO_INDEX (flag REFERENCE), after them, takes the typical set's effect out.
 * Reference rows whose typical effect is 0 are left out. For a model without a reference
 * the base is the intercept (inverse-transformed) and there are no reference rows. */
ENGRATE_API size_t engrate_result_contribution_count(const engrate_result *result);
ENGRATE_API double engrate_result_contribution_amount(const engrate_result *result, size_t i);
/* Input index; ENGRATE_NO_INDEX for the base (and for i out of range). */
ENGRATE_API size_t engrate_result_contribution_input(const engrate_result *result, size_t i);
/* Level index for categorical and set inputs; ENGRATE_NO_INDEX for the base, numeric inputs
 * and reference rows. */
ENGRATE_API size_t engrate_result_contribution_level(const engrate_result *result, size_t i);
/* The number used for a numeric input (after clamping / defaulting), NaN otherwise. */
ENGRATE_API double engrate_result_contribution_value(const engrate_result *result, size_t i);
/* For a numeric input whose curve varies by a level (engrate_input_by): the level of that
 * input whose own curve the estimate used, e.g. Germany's for years by country, so that
 * a breakdown can say "Years of experience: 8 (Germany)". ENGRATE_NO_INDEX when the
 * input's own curve was used (the profile does not give the level, or the level has no
 * deviation of its own), and for every other term. The term's amount is that curve at
 * the value, less the same curve at the typical value when the model has a reference
 * profile; the level's own row then carries what its curve adds at the typical value
 * (models/FORMAT.md, "Curves that vary by a level"). */
ENGRATE_API size_t engrate_result_contribution_curve_level(const engrate_result *result,
                                                           size_t i);
/* ENGRATE_FLAG_* that apply to this term (CLAMPED, DEFAULTED, NO_EVIDENCE, REFERENCE,
 * MISSING). */
ENGRATE_API unsigned engrate_result_contribution_flags(const engrate_result *result, size_t i);

/* Names that matched no level, as given, with the input they were given for
 * (ENGRATE_NO_INDEX for i out of range). */
ENGRATE_API size_t engrate_result_unknown_count(const engrate_result *result);
ENGRATE_API const char *engrate_result_unknown_name(const engrate_result *result, size_t i);
ENGRATE_API size_t engrate_result_unknown_input(const engrate_result *result, size_t i);

/* Names that matched a level through a display name or alias rather than its id. */
ENGRATE_API size_t engrate_result_aliased_count(const engrate_result *result);
ENGRATE_API const char *engrate_result_aliased_given(const engrate_result *result, size_t i);
ENGRATE_API size_t engrate_result_aliased_input(const engrate_result *result, size_t i);
ENGRATE_API size_t engrate_result_aliased_level(const engrate_result *result, size_t i);

/* ---- Batches: many profiles in one call ------------------------------------------- */

/* Estimate n profiles in one call, so that a caller through an FFI (Python's ctypes,
 * Ruby's ffi) crosses into C once per batch instead of once per profile. Profile i is
 * what engrate_estimate_profile would be given, and its numbers are the same, bit for bit:
 *  - roles[i] is its role, or NULL for none; `roles` may be NULL (no profile has a role).
 *  - skills[skill_offsets[i]] .. skills[skill_offsets[i + 1] - 1] are its skills: the
 *    names of all profiles one after another and n + 1 non-decreasing offsets into them
 *    (the offsets need not start at 0, so part of a larger batch can be passed as it is).
 *    Both NULL: no profile has skills. certs and cert_offsets are the same for
 *    certifications. Blank names are ignored, as in engrate_query_add.
 *  - years[i] is its years of experience, or NaN when they are not known (the model's
 *    default is used and the estimate carries ENGRATE_FLAG_DEFAULTED, as everywhere);
 *    `years` may be NULL (no profile gives them). An infinite value is that profile's
 *    error.
 *  - flags, 0 or ENGRATE_STRICT, applies to every profile.
 * Outputs have n entries each and any of them may be NULL: estimate, low and high (NaN
 * for a profile that failed), result_flags (ENGRATE_FLAG_*, ENGRATE_FLAG_UNKNOWN when
 * unknown names were ignored; 0 for a profile that failed) and status: 0 estimated, or
 * the negative code of the profile's error (ENGRATE_E_UNKNOWN_NAME under ENGRATE_STRICT,
 * ENGRATE_E_INVALID for a NULL name or infinite years, ENGRATE_E_UTF8, ...). A profile
 * that fails does not stop the batch. *n_failed (when n_failed is not NULL) receives the
 * number of profiles that failed.
 * Returns 0 when every profile was estimated. When some failed, every output is still
 * written, *n_failed is at least 1, and the call returns the first failure's code, with
 * err holding it and its index: "profile 3: unknown skills 'jva' (did you mean 'Java'?)".
 * When the arguments themselves are wrong it returns a negative code, writes no output
 * and sets *n_failed to 0: model NULL, unknown flag bits, names without offsets, offsets
 * that decrease, an array missing for a non-zero count (ENGRATE_E_INVALID), or no memory
 * for the one result the call allocates and reuses for every profile (ENGRATE_E_NOMEM):
 * the number of allocations does not grow with n. So `rc < 0 && *n_failed == 0` is a
 * refused call. Like engrate_estimate, safe to call from many threads with one model. */
ENGRATE_API int engrate_estimate_batch(const engrate_model *model, size_t n,
                                       const char *const *roles,
                                       const char *const *skills, const size_t *skill_offsets,
                                       const char *const *certs, const size_t *cert_offsets,
                                       const double *years, unsigned flags, double *estimate,
                                       double *low, double *high, unsigned *result_flags,
                                       int *status, size_t *n_failed, engrate_error *err);

/* ---- What-if: which one change raises the estimate most --------------------------- */

/* For one profile (a query), every single change from a candidate set, ranked by the
 * estimate it gives; or, the other way round, a short list of changes that reaches a
 * target rate. The candidates, for each input that may vary (engrate_whatif_set_inputs):
 *  - a set input (skills, certs): each level the profile does not have, added;
 *  - a categorical input (role): each other level in place of the one given (each level
 *    when none is given);
 *  - a numeric input (years): the value the estimate used (after clamping) plus each step
 *    (engrate_whatif_set_steps; 1, 3 and 5 by default), clamped to the training range as
 *    an estimate clamps it. A step that then changes nothing, or gives the value of an
 *    earlier step, is left out; a numeric input the profile does not give has no
 *    candidates (a step from an unknown value means nothing).
 * Levels without evidence (ENGRATE_LEVEL_NO_EVIDENCE) are left out unless the flags of the
 * run include ENGRATE_WHATIF_NO_EVIDENCE. A candidate's estimate, low and high are what
 * engrate_estimate gives for the profile with that change (a set's new level given after
 * the profile's own), bit for bit.
 *
 * An engrate_whatif is made for one model, holds its options and the last run's records,
 * and belongs to one thread at a time; any number of threads may use one model, each with
 * its own engrate_whatif. It is sized for the model when made: runs allocate nothing
 * (except that the profile's unknown or aliased names are copied into its result, whose
 * lists grow once and are then reused). */
typedef struct engrate_whatif engrate_whatif;

/* Kinds of change; engrate-estimate --json names them "add", "role" and "years". */
enum {
    ENGRATE_CHANGE_ADD = 1,   /* a level added to a set input          */
    ENGRATE_CHANGE_LEVEL = 2, /* a categorical input given another level */
    ENGRATE_CHANGE_NUMBER = 3 /* a numeric input raised by a step      */
};

/* Run flags, with ENGRATE_STRICT (which applies to the profile's own names). */
enum {
    ENGRATE_WHATIF_NO_EVIDENCE = 1u << 1 /* include levels without evidence */
};

/* The most steps engrate_whatif_set_steps takes. */
#define ENGRATE_WHATIF_MAX_STEPS 16

/* A new what-if for `model`, varying every input with the default steps. Free it with
 * engrate_whatif_free. NULL with ENGRATE_E_INVALID (model NULL) or ENGRATE_E_NOMEM. */
ENGRATE_API engrate_whatif *engrate_whatif_new(const engrate_model *model, engrate_error *err);
ENGRATE_API void engrate_whatif_free(engrate_whatif *whatif);

/* Vary only these inputs: n input indexes (n = 0: every input, the default). An index out
 * of range, or inputs NULL with n > 0: ENGRATE_E_INVALID, and the option is unchanged. */
ENGRATE_API int engrate_whatif_set_inputs(engrate_whatif *whatif, const size_t *inputs,
                                          size_t n, engrate_error *err);
/* The steps tried on numeric inputs, in this order: n finite numbers other than 0 (a
 * negative step lowers the value); n = 0 restores 1, 3, 5. More than
 * ENGRATE_WHATIF_MAX_STEPS: ENGRATE_E_LIMIT; a step that is 0, NaN or infinite, or steps
 * NULL with n > 0: ENGRATE_E_INVALID. On failure the option is unchanged. */
ENGRATE_API int engrate_whatif_set_steps(engrate_whatif *whatif, const double *steps,
                                         size_t n, engrate_error *err);

/* Rank every single change to the profile of `query` (made for the same model) by the
 * estimate it gives, highest first; ties in candidate order (inputs in model order, then
 * levels in model order or steps in the order set). Changes that lower the estimate are
 * ranked too, last. Keeps the best `limit` (0: all) as the records, whose delta and
 * delta_pct are measured from the profile's own estimate (engrate_whatif_result).
 * flags: 0, ENGRATE_STRICT, ENGRATE_WHATIF_NO_EVIDENCE. Returns 0, or a negative code with
 * no records: an argument NULL or for another model, unknown flags (ENGRATE_E_INVALID), or
 * what engrate_estimate gives for the profile (ENGRATE_E_UNKNOWN_NAME under
 * ENGRATE_STRICT ...). */
ENGRATE_API int engrate_whatif_run(engrate_whatif *whatif, const engrate_query *query,
                                   size_t limit, unsigned flags, engrate_error *err);

/* The reverse question: a smallest set of additions (at most max_changes; 0: no limit)
 * that brings the profile's estimate to `rate` or above. Additions are the candidates
 * that add to the profile: a level added to a set input, a numeric input raised by a step
 * (once: its best step is taken at once); a categorical input is not changed (rank the
 * roles with engrate_whatif_run). Found greedily: each step takes the addition that
 * raises the estimate most (ties in candidate order), until the estimate reaches the rate,
 * no addition raises it, or max_changes steps are taken. Because the model adds its
 * effects, the greedy path is also a shortest one for these candidates; it is not a search
 * over every combination. The records are the steps in order, each with the estimate
 * after it, its delta and delta_pct from the step before. engrate_whatif_reached then
 * says whether the rate was reached (a profile already at it: reached with no steps).
 * Returns 0 whether reached or not, or a negative code as engrate_whatif_run does (a rate
 * that is NaN or infinite: ENGRATE_E_INVALID). */
ENGRATE_API int engrate_whatif_target(engrate_whatif *whatif, const engrate_query *query,
                                      double rate, size_t max_changes, unsigned flags,
                                      engrate_error *err);
/* 1 when the last engrate_whatif_target reached its rate, else 0. */
ENGRATE_API int engrate_whatif_reached(const engrate_whatif *whatif);

/* The profile's own estimate from the last run, as engrate_estimate gives it (breakdown,
 * unknown and aliased names). Borrowed: it lives as long as the what-if and changes with
 * each run; empty after a run that failed. */
ENGRATE_API const engrate_result *engrate_whatif_result(const engrate_whatif *whatif);

/* The records of the last run: ranked changes, or the steps of a path. For i out of range:
 * ENGRATE_E_INVALID, NaN or 0. */
ENGRATE_API size_t engrate_whatif_count(const engrate_whatif *whatif);
/* ENGRATE_CHANGE_ADD, _LEVEL or _NUMBER. */
ENGRATE_API int engrate_whatif_change(const engrate_whatif *whatif, size_t i);
/* The input changed, in *input; 0 or ENGRATE_E_INVALID. */
ENGRATE_API int engrate_whatif_input(const engrate_whatif *whatif, size_t i, size_t *input);
/* The level added or chosen, in *level; 0, or ENGRATE_E_INVALID also for a numeric
 * change, which has no level. */
ENGRATE_API int engrate_whatif_level(const engrate_whatif *whatif, size_t i, size_t *level);
/* Numeric changes: the new value (clamped) and the step that gave it; NaN otherwise. */
ENGRATE_API double engrate_whatif_value(const engrate_whatif *whatif, size_t i);
ENGRATE_API double engrate_whatif_step(const engrate_whatif *whatif, size_t i);
/* The estimate and interval with the change, in currency. */
ENGRATE_API double engrate_whatif_estimate(const engrate_whatif *whatif, size_t i);
ENGRATE_API double engrate_whatif_low(const engrate_whatif *whatif, size_t i);
ENGRATE_API double engrate_whatif_high(const engrate_whatif *whatif, size_t i);
/* The change in the estimate, in currency and in percent (3.2 for +3.2%; NaN when the
 * estimate it is measured from is 0). */
ENGRATE_API double engrate_whatif_delta(const engrate_whatif *whatif, size_t i);
ENGRATE_API double engrate_whatif_delta_pct(const engrate_whatif *whatif, size_t i);
/* ENGRATE_FLAG_NO_EVIDENCE (the level has no evidence), ENGRATE_FLAG_CLAMPED (the step
 * was cut to the training range). */
ENGRATE_API unsigned engrate_whatif_flags(const engrate_whatif *whatif, size_t i);

#ifdef __cplusplus
}
#endif

#endif /* ENGRATE_H */
