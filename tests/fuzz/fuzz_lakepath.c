/* fuzz_lakepath.c - libFuzzer target: lake file names (sink and compacted)
 * and the covering rule accept or refuse any names without crashing; a
 * parsed compacted name formats back to a name that parses to the same id. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lakepath.h"

#define MAX_NAMES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The input is up to 16 file names, one a line. */
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *names[MAX_NAMES];
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(copy, "\n", &save); tok && n < MAX_NAMES;
         tok = strtok_r(NULL, "\n", &save))
        names[n++] = tok;
    for (size_t i = 0; i < n; i++) {
        lake_file_id id, again;
        if (lake_parse_any_name(names[i], &id) == 0) {
            if (id.first > id.last)
                abort();
            if (id.compacted) {
                char out[LAKE_TOPIC_MAX + 80];
                if (lake_compacted_name(id.topic, id.partition, id.first, id.last, out,
                                        sizeof(out)) == 0 &&
                    (lake_parse_any_name(out, &again) != 0 || again.first != id.first ||
                     again.last != id.last || again.partition != id.partition ||
                     strcmp(again.topic, id.topic) != 0))
                    abort();
            }
        }
        lake_name_covered(names[i], names, n);
    }
    free(copy);
    return 0;
}
