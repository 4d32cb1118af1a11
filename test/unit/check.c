#include "check.h"

#include <stdio.h>
#include <string.h>

static int passed;
static int failed;

int check_report(int ok, const char *file, int line, const char *label)
{
    if (ok) {
        passed++;
        printf("ok - %s\n", label);
    } else {
        failed++;
        printf("FAIL - %s (%s:%d)\n", label, file, line);
    }
    fflush(stdout);
    return ok;
}

int check_strings(const char *actual, const char *expected, const char *file,
                  int line, const char *label)
{
    int ok = (!actual && !expected) ||
             (actual && expected && strcmp(actual, expected) == 0);

    if (!check_report(ok, file, line, label))
        printf("    expected: %s\n    actual:   %s\n",
               expected ? expected : "(null)", actual ? actual : "(null)");
    return ok;
}

int check_contains(const char *haystack, const char *needle, int want,
                   const char *file, int line, const char *label)
{
    int found = haystack && strstr(haystack, needle) != NULL;

    if (!check_report(found == want, file, line, label))
        printf("    %s \"%s\" in:\n%s\n", want ? "missing" : "unexpected",
               needle, haystack ? haystack : "(null)");
    return found == want;
}

int check_finish(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
