/* serve.h: how the parts of engrate-serve meet. The server is four parts, one file each:
 *   holder.c   the model being served, swapped whole on reload and freed by its last user;
 *   api.c      the JSON API: a request body in, a status and a JSON body out (with
 *              api_json.c, which writes the JSON, and api_whatif.c, the what-if route);
 *   metrics.c  counters and latency histograms, and their Prometheus text;
 *   http.c     libmicrohttpd: routing, bodies and limits, static files, the access log;
 * and main.c, which reads the options, handles signals and runs the daemon. */
#ifndef ENGRATE_SERVE_H
#define ENGRATE_SERVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <engrate.h>

#define SERVE_BATCH_MAX 10000

/* ---- holder.c ------------------------------------------------------------------------ */

/* One loaded model and what is derived from it once, shared by every request that
 * started while it was current. It is freed when the last of them lets go. */
typedef struct served_model {
    engrate_model *model;
    atomic_uint refs;
    unsigned long generation; /* 1 for the first model, +1 for each accepted reload */
    double loaded_at;         /* Unix time of the load */
    char *model_json;         /* the body of GET /api/v1/model */
    size_t model_json_len;
} served_model;

/* The outcome of the last reload, for /healthz and /metrics. */
typedef struct reload_status {
    unsigned long ok, failed; /* reloads accepted and refused since the start */
    int last_failed;          /* 1 when the most recent reload was refused */
    double last_at;           /* Unix time of the most recent reload, 0 if none */
    char last_error[ENGRATE_ERROR_TEXT_MAX];
} reload_status;

typedef struct holder {
    pthread_mutex_t lock;        /* guards current and status */
    pthread_mutex_t reload_lock; /* one reload at a time */
    served_model *current;
    char *path;
    reload_status status;
} holder;

/* Load the model at path (NULL: the default model, where engrate_model_load_default
 * would find it) and make it current. 0, or a negative code with err filled. */
int holder_init(holder *h, const char *path, engrate_error *err);
void holder_destroy(holder *h);
/* The current model, with a reference the caller gives back with served_model_release. */
served_model *holder_acquire(holder *h);
/* Another reference to a model the caller holds; released the same way. */
served_model *served_model_retain(served_model *sm);
void served_model_release(served_model *sm);
/* Load the file again. On success the new model becomes current (requests holding the old
 * one finish on it); on failure the old one stays and err says where and what. */
int holder_reload(holder *h, engrate_error *err);
void holder_get_status(holder *h, reload_status *out);
const char *holder_path(const holder *h);

/* ---- api.c --------------------------------------------------------------------------- */

/* A reply: an HTTP status and a JSON body (malloc'd, NUL-terminated, owned by the caller). */
typedef struct api_reply {
    int status;
    char *body;
    size_t len;
    unsigned long estimates; /* profiles estimated, for the metrics */
} api_reply;

/* GET /api/v1/model's body for a model: NULL when out of memory. */
char *api_model_json(const engrate_model *m, unsigned long generation, double loaded_at,
                     size_t *len);
/* POST /api/v1/estimate and /api/v1/estimate/batch. Always fill `out`; return 0, or -1
 * when even the error body could not be made (out of memory). */
int api_estimate(const served_model *sm, const char *body, size_t len, api_reply *out);
int api_batch(const served_model *sm, const char *body, size_t len, api_reply *out);
/* POST /api/v1/whatif (api_whatif.c), the same way. */
int api_whatif(const served_model *sm, const char *body, size_t len, api_reply *out);
/* GET /healthz and POST /api/v1/reload. */
int api_health(const served_model *sm, const reload_status *st, api_reply *out);
int api_reloaded(const served_model *sm, int rc, const engrate_error *err, api_reply *out);
/* {"error": {"status": ..., "type": ..., "message": ...}} */
int api_error(api_reply *out, int status, const char *type, const char *message);

/* ---- arena.c ------------------------------------------------------------------------- */

/* arena_install() once at start, before any JSON is made; arena_begin() and arena_end()
 * around the JSON of one request, in the thread that handles it (arena.c says why). */
void arena_install(void);
void arena_begin(void);
void arena_end(void);

/* ---- metrics.c ----------------------------------------------------------------------- */

enum route {
    ROUTE_STATIC,
    ROUTE_MODEL,
    ROUTE_ESTIMATE,
    ROUTE_BATCH,
    ROUTE_WHATIF,
    ROUTE_RELOAD,
    ROUTE_HEALTHZ,
    ROUTE_METRICS,
    ROUTE_NONE, /* no such route: 404, or 405 for a method we never accept */
    ROUTE_COUNT
};

#define METRICS_STATUSES 12
#define METRICS_BUCKETS 14

typedef struct metrics {
    atomic_ulong requests[ROUTE_COUNT][METRICS_STATUSES];
    atomic_ulong buckets[ROUTE_COUNT][METRICS_BUCKETS]; /* not cumulative; the last is +Inf */
    atomic_ulong count[ROUTE_COUNT];
    atomic_ulong sum_ns[ROUTE_COUNT];
    atomic_ulong estimates;
    double started_at;
} metrics;

void metrics_init(metrics *m, double now);
void metrics_observe(metrics *m, enum route r, int status, double seconds);
const char *metrics_route_name(enum route r);
/* The Prometheus text exposition; malloc'd, NULL when out of memory. */
char *metrics_render(metrics *m, holder *h, size_t *len);

/* ---- http.c -------------------------------------------------------------------------- */

typedef struct serve_config {
    const char *listen;     /* ADDR:PORT */
    const char *model_path; /* NULL: the default model */
    const char *www;        /* the page's directory */
    const char *access_log; /* NULL: standard error */
    int quiet;              /* no access log */
    unsigned threads;
    unsigned max_connections;
    unsigned timeout; /* seconds a connection may stay idle */
    size_t max_body;
} serve_config;

typedef struct server {
    serve_config cfg;
    holder models;
    metrics stats;
    int log_fd;      /* the access log, -1 for none */
    char *www_real;  /* the www directory with symlinks resolved, NULL if it is missing */
    struct MHD_Daemon *daemon;
    unsigned port;   /* the port bound, after http_start */
} server;

/* Start serving; 0, or -1 with a message on standard error. */
int http_start(server *s);
void http_stop(server *s);

/* Unix time now, as a double. */
double serve_now(void);
/* Format Unix time as "2026-01-31T12:34:56Z" into buf (at least 21 bytes). */
void serve_iso_time(double t, char *buf, size_t cap);

#endif
