/* http.c: engrate-serve's HTTP side, on GNU libmicrohttpd: routes, request bodies and their
 * cap, static files from the www directory, the localhost-only reload, and one access-log
 * line and one metrics observation per request.
 *
 * Workers are libmicrohttpd's event-loop threads (epoll on Linux), not a thread per
 * connection: a slow client holds a connection slot (capped by --max-connections, freed
 * after --timeout idle seconds), never a worker. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

enum method { M_GET, M_HEAD, M_POST, M_OTHER };

/* An answer decided from the headers, given once the request has been read. */
typedef struct reject {
    int status;
    const char *type, *message, *allow;
} reject;

/* One request, from its headers to its completion. */
typedef struct request {
    reject reject;    /* status 0: none */
    enum route route;
    enum method method;
    int status;       /* 0 until answered */
    size_t bytes;     /* size of the answer's body */
    char *body;       /* the request body, for POST */
    size_t len, cap;
    size_t discarded; /* bytes past the cap, read and dropped */
    struct timespec start;
    char client[INET6_ADDRSTRLEN];
    char line[300];   /* "POST /api/v1/estimate HTTP/1.1", escaped, for the log */
} request;

static const struct {
    const char *path;
    enum route route;
    enum method method;
} routes[] = {{"/api/v1/model", ROUTE_MODEL, M_GET},
              {"/api/v1/estimate", ROUTE_ESTIMATE, M_POST},
              {"/api/v1/estimate/batch", ROUTE_BATCH, M_POST},
              {"/api/v1/whatif", ROUTE_WHATIF, M_POST},
              {"/api/v1/reload", ROUTE_RELOAD, M_POST},
              {"/healthz", ROUTE_HEALTHZ, M_GET},
              {"/metrics", ROUTE_METRICS, M_GET}};

static enum route route_of(const char *url, enum method *allowed)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(url, routes[i].path) == 0) {
            *allowed = routes[i].method;
            return routes[i].route;
        }
    *allowed = M_GET;
    /* Under /api/ only the routes above exist; everything else is the page's files. */
    return strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0 ? ROUTE_NONE
                                                                        : ROUTE_STATIC;
}

static enum method method_of(const char *m)
{
    return strcmp(m, "GET") == 0    ? M_GET
           : strcmp(m, "HEAD") == 0 ? M_HEAD
           : strcmp(m, "POST") == 0 ? M_POST
                                    : M_OTHER;
}

double serve_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void serve_iso_time(double t, char *buf, size_t cap)
{
    time_t s = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&s, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, cap, "?");
}

/* ---- Answers -------------------------------------------------------------------------- */

/* Queue body (len bytes, malloc'd; taken) with its type. */
static enum MHD_Result send_body(struct MHD_Connection *c, request *rq, int status,
                                 char *body, size_t len, const char *type, const char *allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    if (ok == MHD_YES) {
        rq->status = status;
        rq->bytes = len;
    }
    return ok;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, request *rq, api_reply *r,
                                  int rc)
{
    if (rc != 0 || !r->body)
        return MHD_NO; /* not even an error body could be made: drop the connection */
    return send_body(c, rq, r->status, r->body, r->len, "application/json; charset=utf-8",
                     NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *c, request *rq, int status,
                                  const char *type, const char *message, const char *allow)
{
    api_reply r = {0};
    if (api_error(&r, status, type, message) != 0)
        return MHD_NO;
    return send_body(c, rq, r.status, r.body, r.len, "application/json; charset=utf-8", allow);
}

/* ---- Static files --------------------------------------------------------------------- */

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
                 {".png", "image/png"}, {".ico", "image/x-icon"},
                 {".json", "application/json; charset=utf-8"},
                 {".txt", "text/plain; charset=utf-8"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* The file under www for a URL path, opened, or -1. libmicrohttpd has already decoded
 * %XX. No segment may start with '.' (no "..", no hidden files), and the path with its
 * symlinks resolved must still be under the www directory's. */
static int open_static(const server *s, const char *url, char *real, struct stat *st)
{
    if (!s->www_real || url[0] != '/' || strlen(url) > 512 || strstr(url, "/.") ||
        strchr(url, '\\'))
        return -1;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return -1;
    char joined[PATH_MAX];
    int n = snprintf(joined, sizeof joined, "%s%s", s->www_real,
                     strcmp(url, "/") == 0 ? "/index.html" : url);
    if (n < 0 || (size_t)n >= sizeof joined || !realpath(joined, real))
        return -1;
    size_t root = strlen(s->www_real);
    if (strncmp(real, s->www_real, root) != 0 || real[root] != '/')
        return -1;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

static enum MHD_Result answer_static(server *s, struct MHD_Connection *c, request *rq,
                                     const char *url)
{
    char real[PATH_MAX];
    struct stat st;
    int fd = open_static(s, url, real, &st);
    if (fd < 0)
        return send_error(c, rq, 404, "not_found", "no such page", NULL);
    struct MHD_Response *resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    const char *type = content_type(real);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* The page loads nothing from elsewhere: say so, so a browser enforces it. */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                            "base-uri 'none'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    if (ok == MHD_YES) {
        rq->status = 200;
        rq->bytes = (size_t)st.st_size;
    }
    return ok;
}

/* ---- The API's answers ---------------------------------------------------------------- */

static enum MHD_Result answer_get(server *s, struct MHD_Connection *c, request *rq,
                                  const char *url)
{
    api_reply r = {0};
    int rc = 0;
    if (rq->route == ROUTE_STATIC)
        return answer_static(s, c, rq, url);
    if (rq->route == ROUTE_METRICS) {
        size_t len = 0;
        char *text = metrics_render(&s->stats, &s->models, &len);
        if (!text)
            return send_error(c, rq, 503, "unavailable", "out of memory", NULL);
        return send_body(c, rq, 200, text, len, "text/plain; version=0.0.4; charset=utf-8",
                         NULL);
    }
    served_model *sm = holder_acquire(&s->models);
    if (rq->route == ROUTE_MODEL) {
        /* A copy: the answer may still be sending when a reload frees this model. */
        char *copy = malloc(sm->model_json_len);
        if (copy)
            memcpy(copy, sm->model_json, sm->model_json_len);
        r = (api_reply){copy ? 200 : 503, copy, sm->model_json_len, 0};
        rc = copy ? 0 : api_error(&r, 503, "unavailable", "out of memory");
    } else {
        reload_status st;
        holder_get_status(&s->models, &st);
        rc = api_health(sm, &st, &r);
    }
    served_model_release(sm);
    return send_reply(c, rq, &r, rc);
}

static int is_loopback(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

static enum MHD_Result answer_reload(server *s, struct MHD_Connection *c, request *rq)
{
    if (!is_loopback(c))
        return send_error(c, rq, 403, "forbidden", "reload is allowed from localhost only",
                          NULL);
    engrate_error err;
    int rc = holder_reload(&s->models, &err);
    served_model *sm = holder_acquire(&s->models);
    if (rc == 0)
        fprintf(stderr, "engrate-serve: reloaded %s (generation %lu)\n",
                holder_path(&s->models), sm->generation);
    else
        fprintf(stderr, "engrate-serve: reload refused, still serving generation %lu: %s\n",
                sm->generation, err.text);
    api_reply r = {0};
    int made = api_reloaded(sm, rc, &err, &r);
    served_model_release(sm);
    return send_reply(c, rq, &r, made);
}

static enum MHD_Result answer_post(server *s, struct MHD_Connection *c, request *rq)
{
    if (rq->discarded) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is larger than %zu bytes", s->cfg.max_body);
        return send_error(c, rq, 413, "too_large", msg, NULL);
    }
    if (rq->route == ROUTE_RELOAD)
        return answer_reload(s, c, rq);
    api_reply r = {0};
    served_model *sm = holder_acquire(&s->models);
    const char *body = rq->body ? rq->body : "";
    int rc = rq->route == ROUTE_BATCH    ? api_batch(sm, body, rq->len, &r)
             : rq->route == ROUTE_WHATIF ? api_whatif(sm, body, rq->len, &r)
                                         : api_estimate(sm, body, rq->len, &r);
    served_model_release(sm);
    atomic_fetch_add_explicit(&s->stats.estimates, r.estimates, memory_order_relaxed);
    return send_reply(c, rq, &r, rc);
}

/* ---- Requests ------------------------------------------------------------------------- */

/* The request line for the log, with anything unprintable or a quote as \xNN. */
static void describe(request *rq, struct MHD_Connection *c, const char *method,
                     const char *url, const char *version)
{
    size_t o = 0, cap = sizeof rq->line;
    const char *parts[3] = {method, url, version};
    for (int k = 0; k < 3; k++)
        for (const unsigned char *p = (const unsigned char *)parts[k]; *p && o + 8 < cap; p++) {
            if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
                o += (size_t)snprintf(rq->line + o, cap - o, "\\x%02x", *p);
            else
                rq->line[o++] = (char)*p;
            if (!p[1] && k < 2 && o + 1 < cap)
                rq->line[o++] = ' ';
        }
    rq->line[o] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const void *addr = !sa                       ? NULL
                       : sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
                       : sa->sa_family == AF_INET6
                           ? (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr
                           : NULL;
    if (!addr || !inet_ntop(sa->sa_family, addr, rq->client, sizeof rq->client))
        snprintf(rq->client, sizeof rq->client, "-");
}

/* The first call for a request: what can be decided from its headers. Errors are kept for
 * the last call (answering before the request is read would cost the connection its
 * keep-alive), except a body too large by its Content-Length, which is refused at once. */
static enum MHD_Result begin(server *s, struct MHD_Connection *c, request *rq, const char *url)
{
    enum method allowed;
    rq->route = route_of(url, &allowed);
    int want_post = allowed == M_POST;
    if (rq->method == M_OTHER) {
        rq->reject = (reject){405, "method_not_allowed", "only GET, HEAD and POST are served",
                              rq->route == ROUTE_NONE ? NULL : want_post ? "POST" : "GET, HEAD"};
    } else if (rq->route == ROUTE_NONE) {
        rq->reject = (reject){404, "not_found", "no such API route (see docs/api.md)", NULL};
    } else if (want_post != (rq->method == M_POST)) {
        rq->reject = (reject){405, "method_not_allowed",
                              want_post ? "this route takes POST" : "this route takes GET",
                              want_post ? "POST" : "GET, HEAD"};
    }
    if (rq->reject.status || rq->method != M_POST)
        return MHD_YES;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno == ERANGE || n > s->cfg.max_body) {
            char msg[96];
            snprintf(msg, sizeof msg, "the body is larger than %zu bytes", s->cfg.max_body);
            return send_error(c, rq, 413, "too_large", msg, NULL);
        }
    }
    return MHD_YES;
}

/* Keep what fits under the cap (and nothing of a request already refused); count what
 * is dropped, and hang up on a client that keeps sending long past the cap (a chunked
 * body has no length to refuse up front). */
static enum MHD_Result take_body(server *s, request *rq, const char *data, size_t n)
{
    if (rq->reject.status || rq->discarded || rq->len + n > s->cfg.max_body) {
        rq->discarded += n;
        return rq->discarded > 4 * s->cfg.max_body + 65536 ? MHD_NO : MHD_YES;
    }
    if (rq->len + n + 1 > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 1024;
        while (cap < rq->len + n + 1)
            cap *= 2;
        char *p = realloc(rq->body, cap);
        if (!p)
            return MHD_NO;
        rq->body = p;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    server *s = cls;
    request *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        clock_gettime(CLOCK_MONOTONIC, &rq->start);
        rq->method = method_of(method);
        if (s->log_fd >= 0)
            describe(rq, c, method, url, version);
        return begin(s, c, rq, url);
    }
    if (rq->status) {
        *upload_size = 0; /* answered early (413): the rest of the body is dropped */
        return MHD_YES;
    }
    if (*upload_size) {
        enum MHD_Result ok = take_body(s, rq, upload, *upload_size);
        *upload_size = 0;
        return ok;
    }
    if (rq->reject.status)
        return send_error(c, rq, rq->reject.status, rq->reject.type, rq->reject.message,
                          rq->reject.allow);
    return rq->method == M_POST ? answer_post(s, c, rq) : answer_get(s, c, rq, url);
}

/* After the answer went out (or the client went away): the metrics and the log line. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)c;
    server *s = cls;
    request *rq = *con_cls;
    if (!rq)
        return;
    *con_cls = NULL;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double took = (double)(end.tv_sec - rq->start.tv_sec) +
                  (double)(end.tv_nsec - rq->start.tv_nsec) / 1e9;
    metrics_observe(&s->stats, rq->route, rq->status, took);
    if (s->log_fd >= 0) {
        char when[32], line[512];
        serve_iso_time(serve_now(), when, sizeof when);
        int n = snprintf(line, sizeof line, "%s %s \"%s\" %d %zu %.6f%s\n", when, rq->client,
                         rq->line, rq->status, rq->bytes, took,
                         toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ""
                         : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " timeout"
                                                                         : " aborted");
        /* One write per line: lines from different threads do not interleave. */
        if (n > 0 && write(s->log_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) {
            /* A full disk must not stop the service; the metrics still count. */
        }
    }
    free(rq->body);
    free(rq);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("engrate-serve: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* ADDR:PORT, [ADDR6]:PORT or :PORT (all addresses) into an address to bind. */
static int resolve(const char *listen, struct addrinfo **ai)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || !colon[1] || (size_t)(colon - listen) >= sizeof host) {
        fprintf(stderr, "engrate-serve: --listen '%s' is not ADDR:PORT\n", listen);
        return -1;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *h = host;
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = '\0';
        h++;
    }
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(*h ? h : NULL, colon + 1, &hints, ai);
    if (rc != 0) {
        fprintf(stderr, "engrate-serve: --listen '%s': %s\n", listen, gai_strerror(rc));
        return -1;
    }
    return 0;
}

int http_start(server *s)
{
    struct addrinfo *ai = NULL;
    if (resolve(s->cfg.listen, &ai) != 0)
        return -1;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem pool[] = {
        {s->cfg.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, s->cfg.threads,
         NULL},
        {MHD_OPTION_END, 0, NULL}};
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
        MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        s->cfg.timeout, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_ARRAY, pool,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->daemon) {
        fprintf(stderr, "engrate-serve: cannot listen on %s: %s\n", s->cfg.listen,
                errno ? strerror(errno) : "libmicrohttpd refused to start");
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    return 0;
}

void http_stop(server *s)
{
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
}
