/* report-html.c: engrate-train's --report-html. The JSON report goes to engrate-report
 * (installed with the Python binding), which draws the page; this program only finds it,
 * runs it and says how to get it when it is not there. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report-html.h"

/* Where `make install` put engrate-report (with the Python binding), or "" when it did
 * not install it (tools/local.mk). */
#ifndef ENGRATE_REPORT_PROGRAM
#define ENGRATE_REPORT_PROGRAM ""
#endif

/* The program that draws the report: $ENGRATE_REPORT when set (a path, or a name to
 * look up in PATH), else the engrate-report that make install put beside this program.
 * *where: what was looked for ("" when nothing could be). NULL when it is not there. */
static const char *report_program(const char **where)
{
    const char *p = getenv("ENGRATE_REPORT");
    if (!p || !*p)
        p = ENGRATE_REPORT_PROGRAM;
    *where = p;
    if (!*p || (strchr(p, '/') && access(p, X_OK) != 0))
        return NULL;
    return p;
}

/* Say how to get the HTML report when engrate-report is not there. */
static void no_report_program(const char *where, const char *json_path)
{
    fprintf(stderr,
            "engrate-train: --report-html: engrate-report is not installed%s%s%s. It comes "
            "with the Python binding (make install with python3 found by configure) and "
            "needs matplotlib (Debian: apt-get install python3-matplotlib). ",
            *where ? " (looked for " : "", where, *where ? ")" : "");
    if (json_path)
        fprintf(stderr, "The JSON report is in %s: `python3 -m engrate.report %s -o "
                        "REPORT.html` draws it.\n",
                json_path, json_path);
    else
        fprintf(stderr, "Give --report-json FILE too, and `python3 -m engrate.report FILE -o "
                        "REPORT.html` draws it.\n");
}

/* Run `PROGRAM - -o html --lang lang` with the JSON report on its standard input. 0, or
 * -1 after saying why. */
static int write_html(const char *program, const char *json, const char *html,
                      const char *lang)
{
    int fd[2];
    if (pipe(fd) < 0) {
        fprintf(stderr, "engrate-train: --report-html: %s\n", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[0], STDIN_FILENO);
        close(fd[0]);
        close(fd[1]);
        execlp(program, program, "-", "-o", html, "--lang", lang, (char *)NULL);
        fprintf(stderr, "engrate-train: --report-html: cannot run %s: %s\n", program,
                strerror(errno));
        _exit(127);
    }
    close(fd[0]);
    if (pid < 0) {
        close(fd[1]);
        fprintf(stderr, "engrate-train: --report-html: %s\n", strerror(errno));
        return -1;
    }
    /* A program that stops reading early (it failed) must not kill us with SIGPIPE. */
    struct sigaction ign = {0}, old;
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old);
    size_t len = strlen(json), off = 0;
    while (off < len) {
        ssize_t w = write(fd[1], json + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd[1]);
    sigaction(SIGPIPE, &old, NULL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && off == len)
        return 0;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 127))
        fprintf(stderr, "engrate-train: --report-html: %s failed (%s %d); %s was not written\n",
                program, WIFEXITED(status) ? "exit status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), html);
    return -1;
}

int report_html(const engrate_train_report *report, const char *html, const char *lang,
                const char *json_path, int quiet)
{
    const char *where, *program = report_program(&where);
    if (!program) {
        no_report_program(where, json_path);
        return -1;
    }
    if (write_html(program, engrate_train_report_json(report), html, lang) < 0)
        return -1;
    if (!quiet)
        fprintf(stderr, "report drawn in %s\n", html);
    return 0;
}
