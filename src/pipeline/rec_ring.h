/* rec_ring.h - encoded Kafka records handed from one thread to another in
 * chunks, so that encoding and producing run on two cores.
 *
 * A filler thread appends records to a chunk, each for one of two topics:
 * the key and then the value it encodes straight into the chunk's one buffer
 * (no allocation per record). A full chunk goes round a ring of
 * REC_RING_CHUNKS to the drainer, which hands each topic's records to
 * kafka_produce_batch and gives the chunk back. The filler runs at most the
 * ring's length ahead, and the records keep their order.
 *
 * The ring owns its chunks; a chunk is the filler's between fill_begin and
 * fill_end, then the drainer's between drain_begin and drain_end. One filler
 * and one drainer. */
#ifndef TICKLAKE_REC_RING_H
#define TICKLAKE_REC_RING_H

#include <stddef.h>

#include "kafka_producer.h"
#include "util.h"

#define REC_CHUNK_RECS 4096
#define REC_RING_CHUNKS 4

typedef struct rec_chunk {
    buf data;                          /* keys and values of every record */
    size_t n[2];                       /* records for topic 0 and topic 1 */
    kafka_rec recs[2][REC_CHUNK_RECS]; /* offsets into data while filling, then pointers */
} rec_chunk;

typedef struct rec_ring rec_ring;

/* A ring of empty chunks; NULL when out of memory. */
rec_ring *rec_ring_new(void);
void rec_ring_free(rec_ring *r);

/* Filler: the next chunk, emptied, once the ring has room; NULL when the
 * drainer has quit (rec_ring_quit), and then the filler stops. */
rec_chunk *rec_ring_fill_begin(rec_ring *r);
/* Starts a record for topic k (0 or 1) with its key; returns the buffer to
 * append its value to. The chunk must not be full. */
buf *rec_chunk_begin(rec_chunk *c, int k, const char *key, size_t key_len);
/* Ends the record begun last: its value is what was appended since. */
void rec_chunk_end(rec_chunk *c, int k);
/* Whether either topic's records have reached REC_CHUNK_RECS. */
int rec_chunk_full(const rec_chunk *c);
/* Passes the chunk begun last to the drainer (also when it holds nothing). */
void rec_ring_fill_end(rec_ring *r);
/* The filler has finished: once the chunks passed are drained, drain_begin
 * returns NULL. */
void rec_ring_fill_done(rec_ring *r);

/* Drainer: the oldest full chunk, waiting for one; NULL when the filler has
 * finished and every chunk has been drained. */
rec_chunk *rec_ring_drain_begin(rec_ring *r);
/* Gives the chunk from drain_begin back to the filler. */
void rec_ring_drain_end(rec_ring *r);
/* The drainer stops taking chunks: fill_begin returns NULL from now on. */
void rec_ring_quit(rec_ring *r);

#endif
