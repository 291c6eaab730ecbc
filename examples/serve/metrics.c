/* metrics.c: what /metrics shows, in Prometheus's text format (version 0.0.4): requests by
 * route and status, a latency histogram by route, estimates, model reloads and the model
 * being served. Counters are relaxed atomics bumped by the worker threads; a scrape reads
 * them without stopping anyone, so one scrape may see a request counted in one series and
 * not yet in another, which Prometheus tolerates. */
#include "serve.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int statuses[METRICS_STATUSES] = {200, 400, 403, 404, 405, 408,
                                               413, 422, 500, 503, 304, 0};
/* Upper bounds in seconds; the last bucket is +Inf. */
static const double bounds[METRICS_BUCKETS - 1] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                   0.005,  0.01,    0.025,  0.05,  0.1,
                                                   0.25,   1,       5};

static const char *const route_names[ROUTE_COUNT] = {
    "static",         "/api/v1/model", "/api/v1/estimate", "/api/v1/estimate/batch",
    "/api/v1/whatif", "/api/v1/reload", "/healthz",        "/metrics",
    "none"};

const char *metrics_route_name(enum route r)
{
    return r < ROUTE_COUNT ? route_names[r] : "none";
}

void metrics_init(metrics *m, double now)
{
    memset(m, 0, sizeof *m);
    m->started_at = now;
}

void metrics_observe(metrics *m, enum route r, int status, double seconds)
{
    if (r >= ROUTE_COUNT)
        r = ROUTE_NONE;
    size_t s = METRICS_STATUSES - 1; /* "other" */
    for (size_t i = 0; i + 1 < METRICS_STATUSES; i++)
        if (statuses[i] == status)
            s = i;
    size_t b = 0;
    while (b < METRICS_BUCKETS - 1 && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&m->requests[r][s], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->buckets[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->count[r], 1, memory_order_relaxed);
    unsigned long ns = seconds > 0 ? (unsigned long)(seconds * 1e9) : 0;
    atomic_fetch_add_explicit(&m->sum_ns[r], ns, memory_order_relaxed);
}

/* A growing text buffer; after a failed append it stays failed and render returns NULL. */
typedef struct text {
    char *p;
    size_t len, cap;
    int failed;
} text;

__attribute__((format(printf, 2, 3))) static void add(text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 8192;
        while (cap <= t->len + (size_t)n)
            cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p) {
            t->failed = 1;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
}

/* A label value with \, " and newline escaped, as the format requires. */
static void add_label(text *t, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"')
            add(t, "\\%c", *s);
        else if (*s == '\n')
            add(t, "\\n");
        else
            add(t, "%c", *s);
    }
}

static void render_requests(text *t, metrics *m)
{
    add(t, "# HELP engrate_http_requests_total HTTP requests answered, by route and status.\n"
           "# TYPE engrate_http_requests_total counter\n");
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (int s = 0; s < METRICS_STATUSES; s++) {
            unsigned long n = atomic_load_explicit(&m->requests[r][s], memory_order_relaxed);
            if (!n)
                continue;
            add(t, "engrate_http_requests_total{route=\"%s\",status=\"", route_names[r]);
            if (statuses[s])
                add(t, "%d\"} %lu\n", statuses[s], n);
            else
                add(t, "other\"} %lu\n", n);
        }
    add(t, "# HELP engrate_http_request_duration_seconds Time from a request's headers to "
           "its answer.\n# TYPE engrate_http_request_duration_seconds histogram\n");
    for (int r = 0; r < ROUTE_COUNT; r++) {
        unsigned long count = atomic_load_explicit(&m->count[r], memory_order_relaxed);
        if (!count)
            continue;
        unsigned long cum = 0;
        for (int b = 0; b < METRICS_BUCKETS; b++) {
            cum += atomic_load_explicit(&m->buckets[r][b], memory_order_relaxed);
            add(t, "engrate_http_request_duration_seconds_bucket{route=\"%s\",le=\"",
                route_names[r]);
            if (b < METRICS_BUCKETS - 1)
                add(t, "%g\"} %lu\n", bounds[b], cum);
            else
                add(t, "+Inf\"} %lu\n", cum);
        }
        double sum = (double)atomic_load_explicit(&m->sum_ns[r], memory_order_relaxed) / 1e9;
        add(t, "engrate_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n",
            route_names[r], sum);
        /* The count is the +Inf bucket: buckets were read after count, so cum >= count. */
        add(t, "engrate_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
            route_names[r], cum);
    }
}

static void render_model(text *t, holder *h)
{
    served_model *sm = holder_acquire(h);
    reload_status st;
    holder_get_status(h, &st);
    const char *name = engrate_model_meta(sm->model, "name");
    const char *as_of = engrate_model_meta(sm->model, "as_of");
    add(t, "# HELP engrate_model_info The model being served (value 1).\n"
           "# TYPE engrate_model_info gauge\nengrate_model_info{name=\"");
    add_label(t, name ? name : "");
    add(t, "\",as_of=\"");
    add_label(t, as_of ? as_of : "");
    add(t, "\",path=\"");
    add_label(t, holder_path(h));
    add(t, "\",generation=\"%lu\"} 1\n", sm->generation);
    add(t, "# HELP engrate_model_loaded_timestamp_seconds When the model being served was "
           "loaded.\n# TYPE engrate_model_loaded_timestamp_seconds gauge\n"
           "engrate_model_loaded_timestamp_seconds %.3f\n", sm->loaded_at);
    add(t, "# HELP engrate_model_reloads_total Reloads of the model file, by result.\n"
           "# TYPE engrate_model_reloads_total counter\n"
           "engrate_model_reloads_total{result=\"ok\"} %lu\n"
           "engrate_model_reloads_total{result=\"failed\"} %lu\n", st.ok, st.failed);
    add(t, "# HELP engrate_model_reload_failed 1 when the last reload was refused; the old "
           "model is still served and the label says why.\n"
           "# TYPE engrate_model_reload_failed gauge\n");
    add(t, "engrate_model_reload_failed{error=\"");
    add_label(t, st.last_failed ? st.last_error : "");
    add(t, "\"} %d\n", st.last_failed);
    add(t, "# HELP engrate_model_last_reload_timestamp_seconds When the last reload was "
           "tried (0: never).\n# TYPE engrate_model_last_reload_timestamp_seconds gauge\n"
           "engrate_model_last_reload_timestamp_seconds %.3f\n", st.last_at);
    served_model_release(sm);
}

char *metrics_render(metrics *m, holder *h, size_t *len)
{
    text t = {0};
    render_requests(&t, m);
    add(&t, "# HELP engrate_estimates_total Profiles estimated (a batch counts each, a what-if "
            "one).\n"
            "# TYPE engrate_estimates_total counter\nengrate_estimates_total %lu\n",
        atomic_load_explicit(&m->estimates, memory_order_relaxed));
    render_model(&t, h);
    add(&t, "# HELP engrate_start_time_seconds When the server started.\n"
            "# TYPE engrate_start_time_seconds gauge\nengrate_start_time_seconds %.3f\n",
        m->started_at);
    if (t.failed) {
        free(t.p);
        return NULL;
    }
    *len = t.len;
    return t.p;
}
