/* rec_ring.h - encoded Kafka records in chunks, and a ring that hands them
 * from one thread to another, so that encoding and producing run on two
 * cores.
 *
 * A chunk holds records for up to two topics: each one's key and then the
 * value its writer encodes straight into the chunk's one buffer (no
 * allocation per record), offsets while the buffer may move, pointers once
 * sealed. A feed source batches the messages of one read in a chunk of its
 * own; the unpaced ingests (simulator, CSV replay) run rec_ring_pump: a
 * filler thread fills chunks, a full one goes round a ring of
 * REC_RING_CHUNKS to the calling thread, which hands each topic's records to
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
#include "pipeline.h"
#include "publish_tally.h"
#include "util.h"

#define REC_CHUNK_RECS 4096
#define REC_RING_CHUNKS 4

typedef struct rec_chunk {
    buf data;                          /* keys and values of every record */
    size_t n[2];                       /* records for topic 0 and topic 1 */
    kafka_rec recs[2][REC_CHUNK_RECS]; /* offsets into data while filling, then pointers */
} rec_chunk;

/* Empties c, keeping its memory. */
void rec_chunk_clear(rec_chunk *c);
/* Starts a record for topic k (0 or 1) with its key and stamp (as
 * kafka_rec's); returns the buffer to append its value to. The chunk must
 * not be full. */
buf *rec_chunk_begin(rec_chunk *c, int k, const char *key, size_t key_len, int64_t stamp);
/* Ends the record begun last: its value is what was appended since. */
void rec_chunk_end(rec_chunk *c, int k);
/* Whether either topic's records have reached REC_CHUNK_RECS. */
int rec_chunk_full(const rec_chunk *c);
/* Turns the offsets into pointers: the buffer must not move again until the
 * next clear. */
void rec_chunk_seal(rec_chunk *c);
/* Enqueues a sealed chunk's records, topic k's to topics[k] (kafka_produce_batch). */
int rec_chunk_produce(const rec_chunk *c, kafka_producer *p, const char *const topics[2],
                      char *errstr, size_t errstr_size);
/* Frees what c holds; c is left empty. */
void rec_chunk_release(rec_chunk *c);

typedef struct rec_ring rec_ring;

/* A ring of empty chunks; NULL when out of memory. */
rec_ring *rec_ring_new(void);
void rec_ring_free(rec_ring *r);

/* Filler: the next chunk, emptied, once the ring has room; NULL when the
 * drainer has quit (rec_ring_quit), and then the filler stops. */
rec_chunk *rec_ring_fill_begin(rec_ring *r);
/* Seals the chunk begun last and passes it to the drainer (also when it
 * holds nothing). */
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

/* An unpaced ingest: fill(r, arg) runs on a thread of its own, filling
 * chunks (fill_begin, rec_chunk_*, fill_end) until it is done or
 * fill_begin returns NULL; the calling thread produces each chunk's topic k
 * to topics[k], updating the producer's counts in st after each (tally), until the
 * filler has finished, stop is set (NULL: every chunk filled goes out), or
 * an error (a produce, or the producer's fatal one, with errstr). sent[k]
 * gets the records of topic k enqueued. */
typedef struct rec_pump {
    kafka_producer *p;
    const char *const *topics;
    void (*fill)(rec_ring *r, void *arg);
    void *arg;
    const atomic_int *stop;
    pipeline_stats *st;
    publish_tally *tally;
} rec_pump;
int rec_ring_pump(const rec_pump *pp, int64_t sent[2], char *errstr, size_t errstr_size);

#endif
