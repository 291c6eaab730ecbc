/* version.c: what libengrate says of itself: its version, and a description of each
 * error code. In libengrate only: libengrate-train reports the same codes and uses these
 * through the public interface. */
#include "config.h"

#include "internal.h"

static const char *const messages[] = {
    "success",
    "invalid argument",
    "out of memory",
    "input/output error",
    "syntax error",
    "unsupported format or version",
    "limit exceeded",
    "duplicate",
    "unknown key or section",
    "bad number",
    "missing value or count mismatch",
    "invalid UTF-8",
    "unknown name",
    "unusable data",
    "design too ill-conditioned to solve",
};

ENGRATE_API const char *engrate_strerror(int code)
{
    if (code > 0 || -code >= (int)(sizeof messages / sizeof messages[0]))
        return "unknown error code";
    return messages[-code];
}

ENGRATE_API size_t engrate_error_size(void) { return sizeof(engrate_error); }

ENGRATE_API const char *engrate_version_string(void) { return ENGRATE_VERSION_STRING; }
ENGRATE_API int engrate_version_major(void) { return ENGRATE_VERSION_MAJOR; }
