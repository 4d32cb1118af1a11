#include "check.h"

#include <stdio.h>
#include <string.h>

static int passed;
static int failed;

int check_report(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        passed++;
        printf("ok - %s\n", what);
    } else {
        failed++;
        printf("FAIL - %s (%s:%d)\n", what, file, line);
    }
    fflush(stdout);
    return ok;
}

int check_strings(const char *actual, const char *expected, const char *file,
                  int line, const char *what)
{
    int ok = (!actual && !expected) ||
             (actual && expected && strcmp(actual, expected) == 0);

    if (!check_report(ok, file, line, what))
        printf("    expected: %s\n    actual:   %s\n",
               expected ? expected : "(null)", actual ? actual : "(null)");
    return ok;
}

int check_contains(const char *haystack, const char *needle, int want,
                   const char *file, int line, const char *what)
{
    int found = haystack && strstr(haystack, needle) != NULL;

    if (!check_report(found == want, file, line, what))
        printf("    %s \"%s\" in:\n%s\n", want ? "missing" : "unexpected",
               needle, haystack ? haystack : "(null)");
    return found == want;
}

int check_finish(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
