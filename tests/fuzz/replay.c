/* replay.c: a main() for the fuzz targets without libFuzzer, so that `make check` (plain,
 * ASan+UBSan, valgrind) runs every seed and every input that once broke something through
 * the same code as the fuzzer. Arguments are files or directories (walked recursively);
 * without arguments it reads the directories in FUZZ_DIRS (':'-separated, relative to
 * $srcdir). Exit status 0 when every input ran; a broken invariant aborts. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t ran;

static int run_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type != FTW_F || st->st_size > (64 << 20) + 1)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    size_t cap = (size_t)st->st_size + 1, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return 1;
    }
    n = fread(buf, 1, cap, f);
    fclose(f);
    /* An exact-size copy, so that reading one byte past the end is caught. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return 1;
    }
    memcpy(exact, buf, n);
    free(buf);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "replay: %s\n", path);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    ran++;
    return 0;
}

static int run_path(const char *path)
{
    return nftw(path, run_file, 16, FTW_PHYS) != 0;
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    int failed = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            failed |= run_path(argv[i]);
    } else {
        const char *src = getenv("srcdir");
        char dirs[] = FUZZ_DIRS;
        for (char *d = strtok(dirs, ":"); d; d = strtok(NULL, ":")) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", src && *src ? src : ".", d);
            struct stat st;
            if (stat(path, &st) != 0)
                continue; /* a regressions directory may not exist yet */
            failed |= run_path(path);
        }
    }
    printf("replay: %zu inputs\n", ran);
    return failed || ran == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
