/* cmd_version.c - `ticklake --version`: ticklake's version and those of the
 * libraries it runs with, as loaded (kcat -V style). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "engine.h"
#include "kafka.h"

#define TICKLAKE_VERSION "0.1.0"

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
    return 0;
}
