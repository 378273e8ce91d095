/* Seeds the eflomal binary: preloaded with LD_PRELOAD by xlner.align.eflomal.
 *
 * eflomal 2.0 has no seed option; its sampler takes its 8-byte initial state from
 * fopen("/dev/urandom"). While XLNER_EFLOMAL_STATE holds 16 hex digits, this fopen() hands
 * those 8 bytes out instead; every other file is opened as usual.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seeded_state;

FILE *fopen(const char *path, const char *mode) {
    static FILE *(*real_fopen)(const char *, const char *);
    if (real_fopen == NULL)
        real_fopen = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
    const char *state = getenv("XLNER_EFLOMAL_STATE");
    if (state != NULL && path != NULL && strcmp(path, "/dev/urandom") == 0) {
        seeded_state = strtoull(state, NULL, 16);
        return fmemopen(&seeded_state, sizeof seeded_state, "rb");
    }
    return real_fopen(path, mode);
}
