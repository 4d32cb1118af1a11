#ifndef RING_FUZZ_COMMON_H
#define RING_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

/*
 * Helpers shared by the fuzz targets. A broken invariant aborts, so that
 * libFuzzer saves the input as a crash and prints the message with it.
 */

#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__,      \
                    __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
