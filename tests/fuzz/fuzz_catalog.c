/* fuzz_catalog.c - libFuzzer target: catalog.json as read from a lake
 * (catalog_parse), where a damaged or hostile file in a shared bucket must
 * be an error, never a crash. A catalog that parses writes JSON that parses
 * again and writes the same JSON (the form is stable). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    catalog *c = NULL;
    if (catalog_parse((const char *)data, size, &c, err, sizeof(err)) != 0) {
        if (c || !err[0])
            abort();
        return 0;
    }
    buf once = {0}, twice = {0};
    catalog_to_json(c, &once);
    catalog *again = NULL;
    if (catalog_parse(once.data, once.len, &again, err, sizeof(err)) != 0)
        abort(); /* what it wrote, it cannot read */
    catalog_to_json(again, &twice);
    if (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0)
        abort();
    buf body = {0};
    catalog_body_to_json(again, &body);
    catalog_free(again);
    catalog_free(c);
    buf_release(&once);
    buf_release(&twice);
    buf_release(&body);
    return 0;
}
