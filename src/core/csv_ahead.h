/* csv_ahead.h - records read ahead from a csv_reader and delivered again:
 * a caller that must look at the first rows before it decides how to read
 * them (replay.c's order of year-last dates) reads them with csv_ahead_read,
 * then takes every record, those read ahead first, with csv_ahead_next.
 *
 * A csv_ahead keeps a copy of each record read ahead (status, line, eol,
 * blank, fields, and the message of a CSV_BAD or CSV_ERROR) in memory it
 * owns; the csv_reader stays the caller's. Zero-initialised is empty; free
 * with csv_ahead_release. Pure. */
#ifndef TICKLAKE_CSV_AHEAD_H
#define TICKLAKE_CSV_AHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "util.h"

typedef struct csv_ahead_rec csv_ahead_rec;
typedef struct csv_ahead_field csv_ahead_field;

/* The members are private to csv_ahead.c (the struct is here so that a
 * caller can hold one by value). */
typedef struct csv_ahead {
    csv_ahead_rec *q; /* records read ahead, q[head .. n) still to deliver */
    size_t n, head;
    csv_ahead_field *qf; /* their fields: offsets into bytes */
    size_t qfn;
    buf bytes;      /* the fields' bytes, each with a NUL, and the messages */
    csv_field *out; /* the fields of the last record delivered from q */
    size_t out_cap;
} csv_ahead;

/* Reads the next record from r as csv_next does (rec, e as it fills them) and
 * keeps a copy to deliver later. Call it only before the first csv_ahead_next. */
csv_status csv_ahead_read(csv_ahead *a, csv_reader *r, csv_record *rec, char *e, size_t es);
/* The next record: the oldest one read ahead and not yet delivered, else the
 * next from r (csv_next). A delivered copy's fields (with their NULs) point
 * into a and stay valid until the next call or csv_ahead_release; its
 * message goes to e. */
csv_status csv_ahead_next(csv_ahead *a, csv_reader *r, csv_record *rec, char *e, size_t es);
/* Bytes held for the records read ahead (fields and messages), to bound a look-ahead. */
size_t csv_ahead_bytes(const csv_ahead *a);
/* Frees what a holds; a is left empty. */
void csv_ahead_release(csv_ahead *a);

#endif
