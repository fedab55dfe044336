/* arrow_ipc.h - query results as an Arrow IPC stream: the "streaming format" of
 * https://arrow.apache.org/docs/format/Columnar.html#ipc-streaming-format, which pyarrow
 * (pa.ipc.open_stream), Arrow JS, Polars, DuckDB's arrow extension and Spark read.
 *
 * The input is arrays in the Arrow C data interface (DuckDB's C API converts its result chunks
 * to them); the output is the stream's messages, appended to a buf: a Schema message, then one
 * RecordBatch message per batch, then the end-of-stream marker. Metadata is written as
 * FlatBuffers by hand (Message.fbs, Schema.fbs of Arrow format version V5), bodies uncompressed
 * with every buffer 8-byte aligned, little-endian. Pure: no I/O, nothing kept between calls.
 *
 * Types: null, bool, the integers, half/float/double, decimal (32 to 256 bits), utf8 and
 * binary (and their large forms), fixed-size binary, date, time, timestamp (with its time
 * zone), duration, the three interval kinds, list, large list, fixed-size list, struct and
 * map, nested to any depth. Dictionary-encoded columns, views, unions and run-end encoding are
 * refused with an error naming the column. Arrays must have offset 0 (DuckDB's do). Field and
 * schema metadata (DuckDB's extension type names) are kept as custom_metadata. */
#ifndef TICKLAKE_ARROW_IPC_H
#define TICKLAKE_ARROW_IPC_H

#include <stdint.h>

#include "util.h"

/* The Arrow C data interface, as the specification gives it (the guard lets
 * another definition of the same ABI stand in its place). */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

#endif

/* Appends the Schema message for schema, a struct ("+s") whose children are the columns.
 * 0, or -1 with errstr naming the column whose type cannot be written. */
int arrow_ipc_schema(const struct ArrowSchema *schema, buf *out, char *errstr, size_t errstr_size);

/* Appends one RecordBatch message: the first rows rows of batch (all of them when rows is
 * -1 or more than it has), a struct array of the columns of schema. Null counts are counted
 * from the validity bitmaps, not taken from the arrays. 0, or -1 with errstr (an array that
 * does not match schema, or has an offset). */
int arrow_ipc_batch(const struct ArrowSchema *schema, const struct ArrowArray *batch, int64_t rows,
                    buf *out, char *errstr, size_t errstr_size);

/* Appends the end-of-stream marker. */
void arrow_ipc_end(buf *out);

#endif
