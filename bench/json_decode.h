/* json_decode.h - what bench/json_decode.c and bench/json_decode_jansson.c share. */
#ifndef TICKLAKE_BENCH_JSON_DECODE_H
#define TICKLAKE_BENCH_JSON_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { F_STR, F_INT, F_NUM } field_kind;
typedef struct field {
    const char *name;
    field_kind kind;
} field;
/* One decoded member. */
typedef union slot {
    int64_t i;
    double d;
    char s[32];
} slot;

/* jansson: parse p[0..n) and fill out[i] from f[i]; 0 or -1. */
int dec_jansson(const char *p, size_t n, const field *f, size_t nf, slot *out);

#endif
