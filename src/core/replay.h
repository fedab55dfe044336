/* replay.h - typed rows from historical CSV files, for `ticklake ingest
 * --source csv`: daily index bars (the `index.daily` topic) and generic
 * trades (the `trades` topic), with one status and reason per row.
 *
 * Two formats, told apart by the header unless the caller says which:
 *   index daily  Index,Date,Open,High,Low,Close[,Adj Close][,Volume][,CloseUSD]
 *                (the original project's indexProcessed.csv; indexData.csv,
 *                without CloseUSD, too), enriched with region, exchange and
 *                currency from an index_info table (indexInfo.csv);
 *   trades       symbol,timestamp,price,size[,id][,venue], other header names
 *                through a csv_map (--map price=Last) or the aliases below.
 * Header names match ignoring case, spaces, '_' and '-' (csv_name_eq); column
 * order is free and unknown columns are ignored.
 *
 * Single-instrument files: a header without the Index (or symbol) column,
 * such as a Yahoo Finance export (Date,Open,High,Low,Close,Adj Close,Volume),
 * gives every row one symbol: replay_options.symbol (--symbol), else the file
 * name when it is a symbol (replay_symbol_from_name: "^GSPC.csv" -> "^GSPC").
 * A file with its own symbol column and a replay_options.symbol is an error.
 *
 * Values (null tokens, numbers, dates, timestamps) read as replay_value.h
 * says. The order of a year-last date's day and month is one per file:
 * replay_options.date_order, or with REPLAY_DATE_AUTO found from the rows
 * when the reader opens (replay_open_*): the first of the first
 * REPLAY_DATE_LOOKAHEAD data rows whose year-last date reads only one way (a
 * first number over 12: day first; a second over 12: month first) decides;
 * when none does, day first, and the reader says so in a note. A later row
 * that reads only the other way is bad, and its reason says why.
 *
 * Row outcomes (replay_next):
 *   REPLAY_ROW   a good row;
 *   REPLAY_SKIP  a row left out on purpose, with a reason: an index row
 *                without prices ("no prices": the source's holidays, written
 *                as empty or null OHLC), a repeated header line;
 *   REPLAY_BAD   a row that cannot be used, with a reason: a --strict caller
 *                stops here, others log it and go on;
 *   silently counted, never returned: blank rows (empty lines, only spaces,
 *   or every field empty or a null token) and rows outside the range.
 * Reasons read "<name>:<line>: <what>", line being the physical line where
 * the record starts, e.g. "prices.csv:7: bad Open 'abc'".
 *
 * Missing values in an index row: all of Open/High/Low/Close/Adj Close
 * missing is "no prices" (skipped); some of Open/High/Low/Close missing is bad; Adj Close, Volume
 * and CloseUSD may each be missing and are then NULL (has_* false) - an empty Volume is unknown,
 * not 0 (the source writes 0.0 where it knows there was none). Prices must
 * be > 0 and High >= Low; Volume a whole number >= 0 ("1495365300.0" is fine).
 *
 * Parts: the values (replay_value.h), the index daily record and its JSON
 * (index_daily.h), the index info table (index_info.h); this header includes
 * them. The reader owns its CSV reader, its copy of the header and what it
 * read ahead; the options' pointers and the input stay the caller's.
 *
 * Pure: the only I/O is fread() on the caller's FILE* (replay_open_file), done
 * by csv.h's reader. */
#ifndef TICKLAKE_REPLAY_H
#define TICKLAKE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "csv.h"
#include "index_daily.h"
#include "index_info.h"
#include "replay_value.h"
#include "tick.h"
#include "util.h"

/* ---- the row reader ------------------------------------------------------ */

typedef enum { REPLAY_FMT_AUTO, REPLAY_FMT_INDEX_DAILY, REPLAY_FMT_TRADES } replay_format;

/* "auto", "index-daily" (or "index_daily"), "trades" -> format. 0 or -1. */
int replay_format_parse(const char *s, replay_format *f);
/* "auto", "index-daily", "trades". */
const char *replay_format_name(replay_format f);

/* Zero-initialised options are the defaults. Every pointer is borrowed and
 * must outlive the reader. */
typedef struct replay_options {
    replay_format format;         /* REPLAY_FMT_AUTO: index daily if the header has Date, Open,
                                     High, Low and Close (and Index, or a symbol for the file),
                                     else trades */
    const char *symbol;           /* the symbol of every row of a file without a symbol column
                                     (--symbol); NULL: from the file name */
    replay_date_order date_order; /* of year-last dates in daily rows */
    char delim;                   /* 0: detect (',' '\t' ';') */
    const csv_map *map;           /* field -> column renames; NULL: none */
    replay_ts_unit ts_unit;       /* unit of epoch numbers in the timestamp column */
    const replay_range *range;    /* rows outside are counted as filtered; NULL: all */
    const index_info *info;       /* enriches index rows; NULL: none */
    const char *source;           /* trade.source; NULL: "csv" */
    int64_t first_id;             /* trade.id of the first good row when there is no id column;
                                     each later good row gets the next id */
    size_t max_record;            /* 0: CSV_DEFAULT_MAX_RECORD */
} replay_options;

/* Field names for --map and their built-in aliases (first match wins):
 *   trades: symbol (ticker, sym), timestamp (ts, time, datetime), price,
 *           size (qty, quantity), id (trade_id), venue (mic); id and venue
 *           optional, symbol too when the file has one symbol (above);
 *   index daily: index (symbol, ticker), date, open, high, low, close,
 *           adj_close, volume, close_usd; the last three optional, index too
 *           when the file has one symbol. */

/* Data rows the reader reads ahead at open to find the order of year-last
 * dates (REPLAY_DATE_AUTO), or fewer when they hold more than
 * REPLAY_LOOKAHEAD_BYTES of fields. */
#define REPLAY_DATE_LOOKAHEAD 1000
#define REPLAY_LOOKAHEAD_BYTES (1024 * 1024)

typedef struct replay_stats {
    int64_t records;    /* records after the header, including bad and blank ones */
    int64_t rows;       /* REPLAY_ROW */
    int64_t skipped;    /* REPLAY_SKIP */
    int64_t bad;        /* REPLAY_BAD */
    int64_t blank;      /* blank rows, skipped silently */
    int64_t filtered;   /* good-dated rows outside the range, skipped silently */
    int64_t unenriched; /* index rows whose index is not in the info table (still ROW) */
} replay_stats;

typedef struct replay_row {
    int64_t line;         /* physical line where the record starts */
    replay_format format; /* which of the two below is filled */
    index_daily daily;
    trade trade;
} replay_row;

typedef enum {
    REPLAY_ROW,  /* row holds a good row */
    REPLAY_SKIP, /* a row left out on purpose; reason says why */
    REPLAY_BAD,  /* an unusable row; reason says why */
    REPLAY_EOF,  /* no more rows */
    REPLAY_FATAL /* cannot go on (read error); reason says why */
} replay_status;

typedef struct replay_reader replay_reader;

/* Opens a reader over data[0..len) (borrowed), reads the header and, for
 * daily rows with REPLAY_DATE_AUTO, reads ahead to find the date order. name
 * is the file name used in reasons (and for the symbol: above). On a header
 * problem (empty input, UTF-16, a header not recognised, a required column
 * missing or ambiguous, a --map name not in the header or not a field of the
 * format, no symbol for a file without a symbol column) returns NULL with
 * errstr "<name>:<line>: <what>", which shows the header as read when it
 * lacks a column. */
replay_reader *replay_open_buffer(const char *name, const char *data, size_t len,
                                  const replay_options *opt, char *errstr, size_t errstr_size);
/* The same over f (borrowed; read in chunks, never closed here). */
replay_reader *replay_open_file(const char *name, FILE *f, const replay_options *opt, char *errstr,
                                size_t errstr_size);
/* Reads the next row. reason is set for SKIP, BAD and FATAL. row->line is
 * set for ROW, SKIP and BAD. */
replay_status replay_next(replay_reader *rr, replay_row *row, char *reason, size_t reason_size);
/* The format in use (never REPLAY_FMT_AUTO after a successful open). */
replay_format replay_reader_format(const replay_reader *rr);

/* What the reader noticed at open, for the caller to log: a byte-order mark
 * re-saved in another encoding (a warning), the symbol given to every row and
 * where it came from, the date order and what decided it (a warning when it
 * is the default for lack of evidence). Texts start with "<name>" and do not
 * end with a newline. */
typedef struct replay_note {
    bool warn;
    char text[384];
} replay_note;
#define REPLAY_MAX_NOTES 4
/* The notes (*notes points into the reader) and how many. */
size_t replay_reader_notes(const replay_reader *rr, const replay_note **notes);
const replay_stats *replay_reader_stats(const replay_reader *rr);
/* The id the next good trade row would get: pass it as first_id to the reader
 * of the next file so ids stay unique within the source across files. */
int64_t replay_reader_next_id(const replay_reader *rr);
/* Frees the reader. Accepts NULL. */
void replay_close(replay_reader *rr);

#endif
