/* rowbuf.h - rows of one table buffered column by column in C, and their
 * sort order.
 *
 * The sink keeps one per input partition. Every column is a plain array:
 * int64 for BIGINT, TIMESTAMP_NS and DATE (ns since the epoch, as
 * engine_value), double for DOUBLE, and for VARCHAR a uint32 id into the
 * buffer's string dictionary (each distinct string is stored, hashed and
 * UTF-8-checked once; ticker symbols, venues and sources repeat). Each row
 * also carries a group, an int64 chosen by the caller (the sink's UTC day or
 * year), which sorts before every column.
 *
 * rowbuf_sort orders the rows by (group, the table's order_by columns) as
 * DuckDB's ORDER BY would (strings by their bytes, NULLs last), keeping rows
 * that tie in the order they were appended. It counts rows into buckets by
 * group and first string key (the symbol), then sorts each bucket by the
 * remaining keys only if it is not already in order: the records of one
 * symbol of one Kafka partition arrive in time order, so that is rare.
 * engine_write_parquet_rows (engine.h) writes a sorted range to Parquet.
 *
 * Pure: no I/O. Errors return -1 with errstr; a failed append leaves nothing
 * behind. */
#ifndef TICKLAKE_ROWBUF_H
#define TICKLAKE_ROWBUF_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Table layouts and row values, as the engine writes them to Parquet: pure
 * descriptions, so the sink's tables and buffers need no SQL engine. */
/* ENGINE_DATE takes ns since the epoch (any time of the day) and stores its UTC date. */
typedef enum {
    ENGINE_VARCHAR,
    ENGINE_BIGINT,
    ENGINE_DOUBLE,
    ENGINE_TIMESTAMP_NS,
    ENGINE_DATE
} engine_type;

typedef struct engine_column {
    const char *name;
    engine_type type;
} engine_column;

/* A table layout: name, columns, and the order of its rows in a file (sorted
 * by rowbuf_sort). Buffers keep the pointer: the definition must outlive them
 * (static tables in practice). */
typedef struct engine_table {
    const char *name;
    const engine_column *columns;
    size_t ncolumns;
    const char *order_by; /* e.g. "symbol, ts, id" */
} engine_table;

/* One value of a row being appended; the member read depends on the column's
 * type. A NULL s for a VARCHAR column, a NaN d for a DOUBLE column and
 * ENGINE_NULL_INT for a BIGINT or TIMESTAMP_NS column append SQL NULL. */
#define ENGINE_NULL_INT INT64_MIN
typedef union engine_value {
    const char *s;
    int64_t i; /* BIGINT, and TIMESTAMP_NS as ns since the epoch */
    double d;
} engine_value;

typedef struct rowbuf rowbuf;

/* The id of a NULL string. */
#define ROWBUF_NULL_STR UINT32_MAX

/* One column's values, row by row; exactly one array is set (by type). */
typedef struct rowbuf_column {
    engine_type type;
    int64_t *i;  /* BIGINT, TIMESTAMP_NS (ENGINE_NULL_INT is NULL) and DATE in ns */
    double *d;   /* DOUBLE (NaN is NULL) */
    uint32_t *s; /* VARCHAR: dictionary ids (ROWBUF_NULL_STR is NULL) */
} rowbuf_column;

/* A buffer for rows of table t (which must outlive it). Fails (NULL with
 * errstr) if t's order_by names a column t does not have. */
rowbuf *rowbuf_new(const engine_table *t, char *errstr, size_t errstr_size);
/* Accepts NULL. */
void rowbuf_free(rowbuf *rb);

/* Appends one row (t->ncolumns values in column order, as engine.h defines
 * them) in group `group`. Strings are copied. Rejects invalid UTF-8, naming
 * the column. */
int rowbuf_append(rowbuf *rb, const engine_value *values, int64_t group, char *errstr,
                  size_t errstr_size);

size_t rowbuf_rows(const rowbuf *rb);
const engine_table *rowbuf_table(const rowbuf *rb);
const rowbuf_column *rowbuf_col(const rowbuf *rb, size_t column);
/* The group of a row. */
int64_t rowbuf_group(const rowbuf *rb, size_t row);
/* The bytes of dictionary string id (not NUL-terminated in general) and its length. */
const char *rowbuf_str(const rowbuf *rb, uint32_t id, size_t *len);

/* Sorts the rows (see above) and returns the row indices in order in *order
 * (rowbuf_rows() of them, owned by rb, valid until the next append, sort or
 * clear). 0, or -1 with errstr when out of memory. */
int rowbuf_sort(rowbuf *rb, const uint32_t **order, char *errstr, size_t errstr_size);

/* Removes every row and string, keeping the memory for the next rows. */
void rowbuf_clear(rowbuf *rb);

#endif
