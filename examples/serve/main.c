/* engrate-serve: the engrate HTTP service and the 単価診断 page. This file reads the
 * options, loads the model, starts the HTTP daemon (http.c) and then waits for signals:
 * SIGHUP reloads the model, SIGINT and SIGTERM stop the server. The signal handler only
 * writes one byte to a pipe (write(2) is async-signal-safe); the main thread reads the
 * pipe and does the work in ordinary code. */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ENGRATE_SERVE_WWW
#define ENGRATE_SERVE_WWW "/usr/local/share/engrate/www"
#endif

static const char usage[] =
    "Usage: engrate-serve [--listen ADDR:PORT] [--model FILE] [--www DIR] [--threads N]\n"
    "                     [--access-log FILE | --quiet] [--max-body BYTES]\n"
    "                     [--max-connections N] [--timeout SECONDS]\n"
    "\n"
    "Serve engrate's JSON API (docs/api.md) and the 単価診断 page.\n"
    "\n"
    "  -l, --listen ADDR:PORT   where to listen (default 127.0.0.1:8080; port 0: any free\n"
    "                           port, printed at start; [::1]:8080 for IPv6)\n"
    "  -m, --model FILE         the model (default: $ENGRATE_MODEL, else the installed default)\n"
    "  -w, --www DIR            the page's files (default " ENGRATE_SERVE_WWW ")\n"
    "  -t, --threads N          worker threads (default 2)\n"
    "      --access-log FILE    append one line per request to FILE (default: standard error)\n"
    "  -q, --quiet              no access log\n"
    "      --max-body BYTES     largest request body (default 4194304)\n"
    "      --max-connections N  connections open at once (default 512)\n"
    "      --timeout SECONDS    close a connection idle this long (default 30)\n"
    "  -h, --help               this help\n"
    "  -V, --version            the version\n"
    "\n"
    "Signals: SIGHUP reloads the model file (a file that is refused leaves the old model\n"
    "serving); SIGINT and SIGTERM stop. Exit status: 0 stopped, 1 cannot start, 2 usage.\n";

static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    char c = sig == SIGHUP ? 'H' : 'T';
    /* If the pipe is full, a byte is already waiting: dropping this one loses nothing. */
    if (write(signal_pipe[1], &c, 1) < 0) {
    }
    errno = saved;
}

static int install_signals(void)
{
    if (pipe(signal_pipe) != 0)
        return -1;
    for (int k = 0; k < 2; k++)
        fcntl(signal_pipe[k], F_SETFD, FD_CLOEXEC);
    fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    int sigs[] = {SIGHUP, SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* A whole number from 1 to max. */
static int parse_unsigned(const char *opt, const char *arg, unsigned long max,
                          unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (!*arg || *end || errno || v < 1 || v > max || arg[0] == '-') {
        fprintf(stderr, "engrate-serve: %s takes a whole number from 1 to %lu, not '%s'\n", opt,
                max, arg);
        return -1;
    }
    *out = v;
    return 0;
}

/* Options into s->cfg; 0 to run, 1 when done (help, version), 2 on a usage error. */
static int parse_options(int argc, char **argv, serve_config *cfg)
{
    enum { O_LOG = 256, O_BODY, O_CONN, O_TIMEOUT };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'}, {"model", required_argument, NULL, 'm'},
        {"www", required_argument, NULL, 'w'},    {"threads", required_argument, NULL, 't'},
        {"access-log", required_argument, NULL, O_LOG}, {"quiet", no_argument, NULL, 'q'},
        {"max-body", required_argument, NULL, O_BODY},
        {"max-connections", required_argument, NULL, O_CONN},
        {"timeout", required_argument, NULL, O_TIMEOUT}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    unsigned long v;
    int c;
    while ((c = getopt_long(argc, argv, "l:m:w:t:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'l': cfg->listen = optarg; break;
        case 'm': cfg->model_path = optarg; break;
        case 'w': cfg->www = optarg; break;
        case O_LOG: cfg->access_log = optarg; break;
        case 'q': cfg->quiet = 1; break;
        case 't':
            if (parse_unsigned("--threads", optarg, 64, &v))
                return 2;
            cfg->threads = (unsigned)v;
            break;
        case O_BODY:
            if (parse_unsigned("--max-body", optarg, 1ul << 30, &v))
                return 2;
            cfg->max_body = v;
            break;
        case O_CONN:
            if (parse_unsigned("--max-connections", optarg, 65536, &v))
                return 2;
            cfg->max_connections = (unsigned)v;
            break;
        case O_TIMEOUT:
            if (parse_unsigned("--timeout", optarg, 86400, &v))
                return 2;
            cfg->timeout = (unsigned)v;
            break;
        case 'h': fputs(usage, stdout); return 1;
        case 'V': printf("engrate-serve %s\n", engrate_version_string()); return 1;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "engrate-serve: unexpected argument '%s'\n%s", argv[optind], usage);
        return 2;
    }
    return 0;
}

/* The access log and the www directory; 0, or -1 with a message. */
static int open_outputs(server *s)
{
    s->log_fd = -1;
    if (!s->cfg.quiet && s->cfg.access_log) {
        s->log_fd = open(s->cfg.access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (s->log_fd < 0) {
            fprintf(stderr, "engrate-serve: cannot open the access log %s: %s\n",
                    s->cfg.access_log, strerror(errno));
            return -1;
        }
    } else if (!s->cfg.quiet) {
        s->log_fd = STDERR_FILENO;
    }
    char real[PATH_MAX];
    if (realpath(s->cfg.www, real) && (s->www_real = strdup(real)))
        return 0;
    /* The API works without the page: say so and go on. */
    fprintf(stderr, "engrate-serve: no page: cannot open %s: %s\n", s->cfg.www,
            strerror(errno));
    return 0;
}

/* Wait for signals until SIGINT or SIGTERM. */
static void run(server *s)
{
    for (;;) {
        /* poll() first: a thread blocked in read() does not run its signal handlers under
         * ThreadSanitizer, which delays them to the next call it intercepts as blocking. */
        struct pollfd pfd = {signal_pipe[0], POLLIN, 0};
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        /* Signals that came together make one reload: a burst of SIGHUPs reads the file
         * once more, not once per signal. */
        char buf[64];
        ssize_t n = read(signal_pipe[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || memchr(buf, 'T', (size_t)n))
            return;
        engrate_error err;
        if (holder_reload(&s->models, &err) == 0)
            fprintf(stderr, "engrate-serve: SIGHUP: reloaded %s\n", holder_path(&s->models));
        else
            fprintf(stderr, "engrate-serve: SIGHUP: reload refused, the old model stays: %s\n",
                    err.text);
    }
}

int main(int argc, char **argv)
{
    static server s;
    s.cfg = (serve_config){"127.0.0.1:8080", NULL, ENGRATE_SERVE_WWW, NULL, 0, 2, 512, 30,
                           4u << 20};
    arena_install();
    int rc = parse_options(argc, argv, &s.cfg);
    if (rc)
        return rc == 1 ? 0 : 2;
    engrate_error err;
    if (holder_init(&s.models, s.cfg.model_path, &err) != 0) {
        fprintf(stderr, "engrate-serve: %s\n", err.text);
        return 1;
    }
    metrics_init(&s.stats, serve_now());
    if (install_signals() != 0 || open_outputs(&s) != 0 || http_start(&s) != 0) {
        holder_destroy(&s.models);
        free(s.www_real);
        return 1;
    }
    served_model *sm = holder_acquire(&s.models);
    const char *name = engrate_model_meta(sm->model, "name");
    int host_len = (int)(strrchr(s.cfg.listen, ':') - s.cfg.listen);
    fprintf(stderr, "engrate-serve: serving model %s (%s) at http://%.*s:%u/\n",
            name ? name : "?", holder_path(&s.models), host_len ? host_len : 9,
            host_len ? s.cfg.listen : "localhost", s.port);
    served_model_release(sm);
    run(&s);
    fprintf(stderr, "engrate-serve: stopping\n");
    http_stop(&s);
    holder_destroy(&s.models);
    if (s.log_fd > STDERR_FILENO)
        close(s.log_fd);
    free(s.www_real);
    return 0;
}
