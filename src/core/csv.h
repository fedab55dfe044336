/* csv.h - a streaming CSV record reader (RFC 4180 and the usual deviations),
 * header lookup by name, and --map renames.
 *
 * A csv_reader yields one record at a time as an array of fields. It reads
 * either a caller's buffer (borrowed, never modified) or a FILE* in chunks, so
 * input of any size streams in bounded memory (one record plus one chunk).
 * What it accepts:
 *   - a UTF-8 byte-order mark at the start of the input (skipped), and the
 *     same mark decoded as Latin-1 or cp1252 and saved again as UTF-8, "ï»¿"
 *     (bytes C3 AF C2 BB C2 BF, common in files re-saved by an editor), alone
 *     or after a real mark (skipped too; csv_reader_bom tells which); a
 *     UTF-16 mark is a fatal error (CSV_ERROR) naming the encoding;
 *   - line ends \n, \r\n or a lone \r, in any mix; the last record may end
 *     without one (csv_record.eol tells);
 *   - the delimiter given in the options, or detected from the first line:
 *     whichever of ',' '\t' ';' occurs most often outside quotes (ties and
 *     none: ',');
 *   - quoted fields with delimiters, "" (one quote) and line breaks inside;
 *     spaces (and tabs unless tab is the delimiter) before the opening and
 *     after the closing quote; a quote inside an unquoted field is kept as a
 *     literal character.
 * What it reports as a bad record (CSV_BAD, then reading goes on):
 *   - text after a closing quote ("ab"c): the rest of that physical line is
 *     skipped;
 *   - a quoted field still open at the end of input, or a record longer than
 *     max_record bytes (a stray quote swallowing the file): the record's first
 *     physical line is skipped and reading resumes on the next one, so one
 *     stray quote costs one line, not the rest of the file;
 *   - more than CSV_MAX_FIELDS fields: the rest of that line is skipped.
 * Line numbers are physical lines (1-based) of the input, counting the line
 * breaks inside quoted fields, and a record's line is the line it starts on.
 * Pure apart from fread() on the caller's FILE*. Not thread-safe per reader. */
#ifndef TICKLAKE_CSV_H
#define TICKLAKE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CSV_MAX_FIELDS 1024
#define CSV_DEFAULT_MAX_RECORD (1024 * 1024) /* bytes */
#define CSV_CHUNK (64 * 1024)                /* bytes read from a FILE* at a time */

/* One field: p[0..len) are its bytes with quoting removed, and p[len] is a
 * NUL (the field may also hold NULs of its own: len is what counts). Points
 * into the reader's memory, valid until the next csv_next() or csv_reader_free(). */
typedef struct csv_field {
    const char *p;
    size_t len;
} csv_field;

typedef struct csv_record {
    const csv_field *fields; /* nfields entries, owned by the reader */
    size_t nfields;          /* >= 1: an empty line is one empty field */
    int64_t line;            /* physical line where the record starts, 1-based */
    int64_t last_line;       /* where it ends: > line when a quoted field spans lines */
    bool eol;                /* ended by a line break (false: by the end of input) */
    bool blank;              /* every field is empty or only spaces and tabs */
} csv_record;

typedef enum {
    CSV_RECORD, /* rec holds a record */
    CSV_BAD,    /* rec.line is where a malformed record starts and errstr says why; call again */
    CSV_EOF,    /* no more records */
    CSV_ERROR   /* cannot go on (read error, UTF-16 input): errstr says why */
} csv_status;

typedef struct csv_options {
    char delim;        /* 0: detect from the first line; never '"', '\r', '\n' (taken as 0) */
    size_t max_record; /* 0: CSV_DEFAULT_MAX_RECORD */
    size_t chunk;      /* bytes per fread() in file mode; 0: CSV_CHUNK (small values test
                          records that straddle reads) */
} csv_options;

typedef struct csv_reader csv_reader;

/* A reader over data[0..len), which it borrows: data must outlive the reader.
 * opt may be NULL (defaults). Allocation failure aborts, as buf does. */
csv_reader *csv_reader_new_buffer(const char *data, size_t len, const csv_options *opt);
/* A reader over f, read with fread() in chunks (CSV_CHUNK bytes by default); f is borrowed (the
 * caller closes it). opt may be NULL. */
csv_reader *csv_reader_new_file(FILE *f, const csv_options *opt);
/* Frees the reader and every record it returned. Accepts NULL. */
void csv_reader_free(csv_reader *r);

/* Reads the next record into rec. See csv_status. errstr gets the reason for
 * CSV_BAD and CSV_ERROR; it does not include the line: rec->line has it (for
 * CSV_BAD the line where the bad record starts; otherwise the current line),
 * and rec has no fields unless the status is CSV_RECORD. After CSV_ERROR every
 * call returns CSV_ERROR. */
csv_status csv_next(csv_reader *r, csv_record *rec, char *errstr, size_t errstr_size);

/* The delimiter in use: the option, or the one detected (0 before the first
 * csv_next()). */
char csv_reader_delim(const csv_reader *r);

typedef enum {
    CSV_BOM_NONE,
    CSV_BOM_UTF8,    /* a UTF-8 byte-order mark, EF BB BF */
    CSV_BOM_MOJIBAKE /* the mark decoded as Latin-1/cp1252 and re-encoded, "ï»¿" */
} csv_bom;

/* The byte-order mark skipped at the start of the input (CSV_BOM_NONE before
 * the first csv_next()). */
csv_bom csv_reader_bom(const csv_reader *r);

/* The field without leading and trailing spaces and tabs. */
csv_field csv_trim(csv_field f);

/* Whether a column name matches name the way headers are looked up: ignoring
 * case, a leading UTF-8 byte-order mark, and every ' ', '_' and '-'
 * ("Adj Close" == "adj_close" == "ADJCLOSE", "CloseUSD" == "close_usd"). */
bool csv_name_eq(const char *col, size_t col_len, const char *name);

/* A header: the column names of the first record, copied. */
typedef struct csv_header {
    char **names; /* n NUL-terminated names, as in the file (untrimmed) */
    size_t n;
} csv_header;

/* Copies the names of rec into h (which must be zero-initialised or
 * released). */
void csv_header_set(csv_header *h, const csv_record *rec);
/* Frees the names; h is left empty and reusable. Accepts NULL. */
void csv_header_release(csv_header *h);
/* The index of the column whose name matches name (csv_name_eq), -1 if none,
 * -2 if more than one does. */
int csv_header_find(const csv_header *h, const char *name);
/* Whether rec repeats the header (every field matches the header name in the
 * same position), e.g. where two files were concatenated. */
bool csv_header_is_repeat(const csv_header *h, const csv_record *rec);

/* Renames from --map: field -> column of the file. */
typedef struct csv_map_entry {
    char *field;  /* the name the decoder knows, e.g. "price" */
    char *column; /* the column name in the file, e.g. "Last" */
} csv_map_entry;

typedef struct csv_map {
    csv_map_entry *v;
    size_t n;
} csv_map;

/* Adds the pairs of spec, "field=Column[,field=Column...]" (spaces around
 * names are trimmed; names cannot contain ',' or '='), to m, which must be
 * zero-initialised or hold earlier pairs: --map may be given more than once.
 * A later pair for the same field replaces the earlier one. 0, or -1 with
 * errstr (m unchanged). */
int csv_map_parse(csv_map *m, const char *spec, char *errstr, size_t errstr_size);
/* The column mapped to field (csv_name_eq on the field name), or NULL. m may be NULL. */
const char *csv_map_column(const csv_map *m, const char *field);
/* Frees the pairs; m is left empty and reusable. Accepts NULL. */
void csv_map_release(csv_map *m);

#endif
