/* engrate-train: fit an engrate model file from a CSV file. A thin layer over the
 * library's engrate_train_* API: the flags become training options, the library reads and
 * fits, and this program prints the summary, writes the JSON report and saves the model
 * (atomically, through engrate_model_save); with --report-html it hands the JSON report to
 * engrate-report (report-html.c). In parts (--scan, --partial, --merge): train-parts.c. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <engrate.h>
#include <engrate_train.h>

#include "train-parts.h"

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 }; /* 3: only the HTML report failed (write_outputs) */

static const char usage[] =
    "Usage: engrate-train -o MODEL [--target COL] [--transform log|none] [--weight COL]\n"
    "                     [--categorical COL]... [--set COL[:SEP]]...\n"
    "                     [--numeric COL[:knots=K1,K2,...][:by=COL[:vary=slope|knots]]]...\n"
    "                     [--no-intercept] [--lambda auto|VALUE] [--by-penalty auto|R]\n"
    "                     [--folds K] [--min-count N]\n"
    "                     [--interval LEVEL] [--name NAME] [--skip-bad-rows]\n"
    "                     [--max-skipped SHARE] [--missing error|skip|impute]\n"
    "                     [--encoding NAME] [--delimiter C] [--levels FILE]\n"
    "                     [--meta KEY=VALUE]... [--source TEXT]...\n"
    "                     [--threads N] [--folds-by content|order] [--schema SCAN]\n"
    "                     [--report-json FILE] [--report-html FILE] [--report-lang en|ja]\n"
    "                     [--quiet] DATA.csv...\n"
    "       engrate-train --scan OUT.scan [options] DATA.csv...\n"
    "       engrate-train --partial OUT.acc [-o MODEL] [options] DATA.csv...\n"
    "       engrate-train --merge (-o MODEL | --partial OUT.acc | --scan OUT.scan) [options]\n"
    "                     FILE.acc...\n"
    "\n"
    "Fit an engrate model (ridge-penalised weighted least squares) from CSV files, in one\n"
    "pass or in parts that merge (docs/distributed.md).\n"
    "\n"
    "  -o, --output MODEL     the model file to write (atomically)\n"
    "      --target COL       the rate column (default: rate)\n"
    "      --transform T      log (default) or none\n"
    "      --weight COL       a column of row weights (default: all 1)\n"
    "      --categorical COL  a column with one level per row (default: role)\n"
    "      --set COL[:SEP]    a column of levels separated by SEP (default: skills, certs; ;)\n"
    "      --numeric COL[:knots=K1,...]  a number, linear or piecewise linear (default: years)\n"
    "                         (columns named in these flags are the inputs; a flag that only\n"
    "                         changes a default input's SEP or knots keeps the defaults)\n"
    "                         :by=CAT  a curve that varies by the level of the categorical\n"
    "                         input CAT: each level's own slope, or with :vary=knots its own\n"
    "                         change of slope at every knot too\n"
    "      --no-intercept     fit without an intercept\n"
    "      --lambda L         auto (default: chosen by cross-validation) or a penalty >= 0\n"
    "      --by-penalty R     a curve's per-level deviations are penalised R times lambda:\n"
    "                         auto (default: chosen with lambda by cross-validation) or R\n"
    "      --folds K          cross-validation folds (default 5; 0: none)\n"
    "      --min-count N      drop levels seen fewer than N times (default 3)\n"
    "      --interval LEVEL   prediction interval level (default 0.8)\n"
    "      --name NAME        the model's name (default: MODEL's base name)\n"
    "      --skip-bad-rows    skip and count malformed rows instead of stopping\n"
    "      --max-skipped SHARE  fail when more rows are skipped (default 0.05)\n"
    "      --missing HOW      an empty or NA number: error (default), skip the row, or\n"
    "                         impute (the mean, with a \"was missing\" term)\n"
    "      --encoding NAME    the file's encoding: UTF-8 (default), CP932 (Shift_JIS), EUC-JP\n"
    "      --delimiter C      the field separator (default ',', TAB for .tsv; 'tab')\n"
    "      --levels FILE      display names, aliases and evidence of levels (CSV)\n"
    "      --meta KEY=VALUE   description, currency, period, basis or as_of\n"
    "      --source TEXT      a provenance line for the model (repeatable)\n"
    "      --threads N        threads reading the file: 0 (as many as processors), 1 to 64\n"
    "      --folds-by HOW     a row's fold from its content (default) or its number (order)\n"
    "      --scan OUT         write the levels and counts of the data (a scan), no model\n"
    "      --schema SCAN      use the levels of SCAN (a scan, merged): levels seen fewer than\n"
    "                         --min-count times in it get no sums; others are errors\n"
    "      --partial OUT      write the sums of the data (a partial), to merge later\n"
    "      --merge            the inputs are scans or partials: merge them in order\n"
    "      --report-json FILE write the training report as JSON\n"
    "      --report-html FILE draw it as one HTML page with figures (needs engrate-report,\n"
    "                         installed with the Python binding and python3-matplotlib)\n"
    "      --report-lang L    the page's language: en (default) or ja\n"
    "  -q, --quiet            no summary, no progress bar\n"
    "  -h, --help             this help\n"
    "  -V, --version          the version\n"
    "\n"
    "Exit status: 0 success, 1 the data cannot be read or fitted or the model not written,\n"
    "2 usage error, 3 the model was written but the HTML report was not.\n";

enum {
    OPT_TARGET = 256, OPT_TRANSFORM, OPT_WEIGHT, OPT_CATEGORICAL, OPT_SET, OPT_NUMERIC,
    OPT_NO_INTERCEPT, OPT_LAMBDA, OPT_FOLDS, OPT_MIN_COUNT, OPT_INTERVAL, OPT_NAME,
    OPT_SKIP, OPT_LEVELS, OPT_META, OPT_SOURCE, OPT_THREADS, OPT_REPORT, OPT_SAMPLE,
    OPT_MAX_SKIPPED, OPT_MISSING, OPT_ENCODING, OPT_DELIMITER, OPT_FOLDS_BY, OPT_SCHEMA,
    OPT_BY_PENALTY, OPT_SCAN, OPT_PARTIAL, OPT_MERGE, OPT_HTML,
    OPT_LANG
};

static const struct option longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"target", required_argument, NULL, OPT_TARGET},
    {"transform", required_argument, NULL, OPT_TRANSFORM},
    {"weight", required_argument, NULL, OPT_WEIGHT},
    {"categorical", required_argument, NULL, OPT_CATEGORICAL},
    {"set", required_argument, NULL, OPT_SET},
    {"numeric", required_argument, NULL, OPT_NUMERIC},
    {"no-intercept", no_argument, NULL, OPT_NO_INTERCEPT},
    {"lambda", required_argument, NULL, OPT_LAMBDA},
    {"by-penalty", required_argument, NULL, OPT_BY_PENALTY},
    {"folds", required_argument, NULL, OPT_FOLDS},
    {"folds-by", required_argument, NULL, OPT_FOLDS_BY},
    {"schema", required_argument, NULL, OPT_SCHEMA},
    {"scan", required_argument, NULL, OPT_SCAN},
    {"partial", required_argument, NULL, OPT_PARTIAL},
    {"merge", no_argument, NULL, OPT_MERGE},
    {"min-count", required_argument, NULL, OPT_MIN_COUNT},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"name", required_argument, NULL, OPT_NAME},
    {"skip-bad-rows", no_argument, NULL, OPT_SKIP},
    {"max-skipped", required_argument, NULL, OPT_MAX_SKIPPED},
    {"missing", required_argument, NULL, OPT_MISSING},
    {"encoding", required_argument, NULL, OPT_ENCODING},
    {"delimiter", required_argument, NULL, OPT_DELIMITER},
    {"levels", required_argument, NULL, OPT_LEVELS},
    {"meta", required_argument, NULL, OPT_META},
    {"source", required_argument, NULL, OPT_SOURCE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"report-json", required_argument, NULL, OPT_REPORT},
    {"report-html", required_argument, NULL, OPT_HTML},
    {"report-lang", required_argument, NULL, OPT_LANG},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* ---- Progress bar ------------------------------------------------------------------ */

typedef struct progress {
    double last_shown;
    struct timespec last;
    int shown;
} progress;

static void show_progress(double done, void *user)
{
    progress *p = user;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (double)(now.tv_sec - p->last.tv_sec) + 1e-9 * (double)(now.tv_nsec - p->last.tv_nsec);
    if (done < 1 && p->shown && dt < 0.2)
        return;
    p->last = now;
    p->shown = 1;
    int width = 40, fill = (int)(done * width + 0.5);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\rreading [%s] %3.0f%%", bar, 100 * done);
    if (done >= 1)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- Helpers ----------------------------------------------------------------------- */

/* The model's default name: MODEL's base name without ".model". */
static char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 6 && strcmp(b + n - 6, ".model") == 0)
        n -= 6;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = '\0';
    }
    return s;
}

/* The model's name from -o when no --name or --meta name= says it: 0, or the exit status. */
static int name_from_output(engrate_train_options *opts, const char *output)
{
    engrate_error err;
    char *name = base_name(output);
    if (!name || !*name || engrate_train_options_set(opts, "name", name, &err) < 0) {
        fprintf(stderr, "engrate-train: cannot make a model name from '%s'; give --name\n",
                output);
        free(name);
        return EXIT_USAGE;
    }
    free(name);
    return 0;
}

/* One CSV file, one model: the single pass. */
static int train_one(const parts_job *job, engrate_train_options *opts)
{
    const char *data = job->inputs[0];
    engrate_error err;
    progress prog = {0, {0, 0}, 0};
    struct stat st;
    if (!job->quiet && isatty(STDERR_FILENO) && stat(data, &st) == 0 && st.st_size > (16 << 20))
        engrate_train_options_set_progress(opts, show_progress, &prog);
    engrate_train_report *report = NULL;
    engrate_model *model = engrate_train_csv(data, opts, &report, &err);
    return write_outputs(job, model, report, &err);
}

/* What the outputs and inputs allow, or the usage error's message. */
static const char *check_job(const parts_job *job)
{
    if (job->scan && (job->model || job->partial))
        return "--scan writes a scan only: no -o or --partial with it";
    if (!job->scan && !job->partial && !job->model)
        return "-o MODEL (or --scan OUT, or --partial OUT) is required";
    if (job->n_inputs < 1)
        return job->merge ? "--merge needs accumulator files" : "a DATA.csv is required";
    return NULL;
}

int main(int argc, char **argv)
{
    parts_job job = {0};
    job.lang = "en";
    int named = 0, c;
    engrate_error err;
    engrate_train_options *opts = engrate_train_options_new();
    if (!opts) {
        fprintf(stderr, "engrate-train: out of memory\n");
        return EXIT_FAIL;
    }
    int li = 0, status = -1;
    while (status < 0 && (c = getopt_long(argc, argv, "o:qhV", longopts, &li)) != -1) {
        /* every other long option is the training option of the same name */
        const char *key = c >= OPT_TARGET && c < OPT_SCAN && c != OPT_REPORT ? longopts[li].name
                                                                          : NULL;
        named |= c == OPT_NAME || (c == OPT_META && strncmp(optarg, "name=", 5) == 0);
        switch (c) {
        case 'o': job.model = optarg; continue;
        case 'q': job.quiet = 1; continue;
        case 'h': fputs(usage, stdout); status = 0; continue;
        case 'V': printf("engrate-train %s\n", engrate_version_string()); status = 0; continue;
        case OPT_REPORT: job.report = optarg; continue;
        case OPT_SCAN: job.scan = optarg; continue;
        case OPT_PARTIAL: job.partial = optarg; continue;
        case OPT_MERGE: job.merge = 1; continue;
        case OPT_HTML: job.html = optarg; continue;
        case OPT_LANG:
            job.lang = optarg;
            if (strcmp(optarg, "en") && strcmp(optarg, "ja")) {
                fprintf(stderr, "engrate-train: --report-lang: '%s' is not en or ja\n", optarg);
                status = EXIT_USAGE;
            }
            continue;
        default:
            if (key)
                break;
            fputs(usage, stderr);
            status = EXIT_USAGE;
            continue;
        }
        if (engrate_train_options_set(opts, key, optarg, &err) < 0) {
            fprintf(stderr, "engrate-train: %s\n", err.text);
            status = EXIT_USAGE;
        }
    }
    job.inputs = argv + optind;
    job.n_inputs = argc - optind;
    const char *bad = status < 0 ? check_job(&job) : NULL;
    if (bad) {
        fprintf(stderr, "engrate-train: %s\n%s", bad, usage);
        status = EXIT_USAGE;
    }
    if (status < 0 && job.model && !named)
        status = name_from_output(opts, job.model) ? EXIT_USAGE : -1;
    if (status < 0 && !job.scan && !job.partial && !job.merge && job.n_inputs == 1)
        status = train_one(&job, opts);
    else if (status < 0)
        status = run_parts(&job, opts);
    engrate_train_options_free(opts);
    return status;
}
