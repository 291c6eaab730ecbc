/* major1.c: a stand-in for a libengrate of another major version, for the bindings' tests
 * (examples/python/test_engrate.py, examples/ruby/test_engrate.rb): it says it is 1.0.0
 * and leaves every other function to the real library, which it is linked against, so a
 * binding that loads it finds all the symbols it looks for and must refuse it for its
 * version alone. */
#include "engrate.h"

/* The one reference to the real library, so that a linker that drops the libraries nothing
 * refers to (--as-needed) keeps it as this one's dependency. */
ENGRATE_API const char *(*volatile engrate_major1_strerror)(int) = engrate_strerror;

ENGRATE_API int engrate_version_major(void)
{
    return 1;
}

ENGRATE_API const char *engrate_version_string(void)
{
    return "1.0.0";
}
