/* cmd_version.c - `ticklake --version`: ticklake's version and those of the
 * libraries it runs with, as loaded (kcat -V style). */
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "engine.h"
#include "kafka.h"

#define TICKLAKE_VERSION "0.1.0"

/* The malloc the process runs with: jemalloc answers mallctl("version")
 * (found at run time, so a build with MALLOC_LIBS= says glibc's). */
static void print_malloc(void)
{
    typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
    mallctl_fn ctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    const char *v = NULL;
    size_t n = sizeof(v);
    if (ctl && ctl("version", &v, &n, NULL, 0) == 0 && v)
        printf("malloc: jemalloc %s\n", v);
    else
        printf("malloc: glibc %s\n", gnu_get_libc_version());
}

int cmd_version(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: ticklake --version\n");
        return 2;
    }
    printf("ticklake %s\n", TICKLAKE_VERSION);
    char features[512];
    kafka_library_features(features, sizeof(features));
    printf("librdkafka %s (builtin.features %s)\n", kafka_library_version(), features);
    char err[600];
    const char *path = NULL;
    const char *duck = engine_duckdb_version(&path, err, sizeof(err));
    if (!duck) {
        printf("DuckDB: not loaded\n");
        fprintf(stderr, "ticklake: %s\n", err);
        return 1;
    }
    printf("DuckDB %s (%s)\n", duck, path);
    print_malloc();
    return 0;
}
