/* file.c: replacing a file atomically, for models (engrate_model_save) and training
 * reports alike: readers see the old file or the whole new one, and a process stopped
 * while writing leaves nothing partial behind. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* Write all of text to fd. 0, or -1 with errno set. */
static int write_all(int fd, const char *text, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

/* The new file is first written without a name (O_TMPFILE, in the target's directory), so
 * that a process killed while writing leaves nothing behind, then linked under a fresh
 * name beside the target (the template tmp, ending in XXXXXX) and renamed over it. Returns
 * the fd of the named file; -1 when the system cannot do this (no O_TMPFILE on this file
 * system, no /proc): the caller then writes a named temporary file the usual way; or -2
 * when out of memory, which is no reason to give up the guarantee. */
static int write_unnamed(const char *path, char *tmp, const char *text, size_t len)
{
#if defined(O_TMPFILE) && defined(AT_SYMLINK_FOLLOW)
    size_t plen = strlen(path), dlen = plen;
    while (dlen > 0 && path[dlen - 1] != '/')
        dlen--;
    char *dir = malloc(dlen + 2);
    if (!dir)
        return -2;
    if (dlen == 0)
        memcpy(dir, ".", 2);
    else {
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
    }
    int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    free(dir);
    if (fd < 0)
        return -1;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (write_all(fd, text, len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        close(fd);
        return -1;
    }
    /* A fresh name: six letters from the pid, the clock and the attempt. */
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20;
    size_t tl = strlen(tmp);
    for (int attempt = 0; attempt < 100; attempt++) {
        for (int k = 0; k < 6; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            tmp[tl - 6 + (size_t)k] = letters[(x >> 33) % (sizeof letters - 1)];
        }
        if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
            return fd;
        if (errno != EEXIST)
            break;
    }
    close(fd);
    return -1;
#else
    (void)path;
    (void)tmp;
    (void)text;
    (void)len;
    return -1;
#endif
}

int er_save_text(const char *path, const char *text, size_t len, engrate_error *err)
{
    /* Write beside the target, flush to disk, then rename over it: readers see the old
     * file or the new one, never a part. */
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return er_error(err, ENGRATE_E_NOMEM, path, 0, 0, "out of memory");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int rc = 0;
    int fd = write_unnamed(path, tmp, text, len);
    if (fd == -2) {
        free(tmp);
        return er_error(err, ENGRATE_E_NOMEM, path, 0, 0, "out of memory");
    }
    if (fd < 0) { /* no O_TMPFILE here: a named temporary file, written the usual way */
        if ((fd = mkstemp(tmp)) < 0)
            rc = er_error(err, ENGRATE_E_IO, path, 0, 0, "cannot create a temporary file: %s",
                          strerror(errno));
        else if (write_all(fd, text, len) != 0)
            rc = er_error(err, ENGRATE_E_IO, path, 0, 0, "cannot write: %s", strerror(errno));
        else if (fchmod(fd, 0644) != 0)
            rc = er_error(err, ENGRATE_E_IO, path, 0, 0, "cannot set permissions: %s",
                          strerror(errno));
        else if (fsync(fd) != 0)
            rc = er_error(err, ENGRATE_E_IO, path, 0, 0, "cannot flush: %s", strerror(errno));
    }
    if (fd >= 0) {
        if (close(fd) != 0 && rc == 0)
            rc = er_error(err, ENGRATE_E_IO, path, 0, 0, "cannot close: %s", strerror(errno));
        if (rc == 0 && rename(tmp, path) != 0)
            rc = er_error(err, ENGRATE_E_IO, path, 0, 0, "cannot rename into place: %s",
                          strerror(errno));
        if (rc)
            unlink(tmp);
    }
    free(tmp);
    return rc;
}

