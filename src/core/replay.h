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
 * Dates of index daily rows (replay_parse_day): year first (YYYY-MM-DD,
 * YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD), year last (DD-MM-YY, DD/MM/YYYY,
 * MM/DD/YYYY, ...: '-', '/' or '.', a two- or four-digit year) or with an
 * English month name (02-Jan-2020, 2 Jan 2020, Jan 2, 2020); day and month
 * may have one digit; a two-digit year YY is 20YY when YY <= 68, else 19YY
 * (POSIX strptime's pivot). A time of day may follow the date only when it is
 * midnight ("2023-01-03 00:00:00-05:00", "1/3/2023 0:00", any zone): the day
 * is the date as written. The order of a year-last date's day and month is
 * one per file: replay_options.date_order, or with REPLAY_DATE_AUTO found
 * from the rows when the reader opens (replay_open_*): the first of the first
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
 * Values: null tokens (empty, null, NaN, N/A, NA, None, -, #N/A; any case)
 * stand for a missing number, date or timestamp, never for a symbol. Numbers
 * are [+-]digits[.digits][e[+-]digits] (or .digits), finite; a trailing '.'
 * ("2913.") is refused as a cut-off number; in ';'-delimited files a single
 * ',' is the decimal separator ("1,5"). Missing values in an index row: all
 * of Open/High/Low/Close/Adj Close missing is "no prices" (skipped); some of
 * Open/High/Low/Close missing is bad; Adj Close, Volume and CloseUSD may each
 * be missing and are then NULL (has_* false) - an empty Volume is unknown,
 * not 0 (the source writes 0.0 where it knows there was none). Prices must
 * be > 0 and High >= Low; Volume a whole number >= 0 ("1495365300.0" is fine).
 *
 * Pure: the only I/O is fread() on the caller's FILE* (replay_open_file). */
#ifndef TICKLAKE_REPLAY_H
#define TICKLAKE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "csv.h"
#include "lakepath.h"
#include "tick.h"
#include "util.h"

/* ---- values ------------------------------------------------------------ */

/* Whether s[0..n), spaces and tabs trimmed, is a null token (above). */
bool replay_is_null(const char *s, size_t n);

/* Parses a finite number (grammar above; spaces around allowed, at most 63
 * bytes). decimal_comma accepts one ',' as the decimal point. 0 or -1. */
int replay_parse_double(const char *s, size_t n, bool decimal_comma, double *out);

/* Parses a whole number: digits with an optional sign and an optional
 * fraction of zeros ("100", "1495365300.0"), within int64. 0 or -1. */
int replay_parse_whole(const char *s, size_t n, int64_t *out);

/* The order of day and month in dates with the year last. */
typedef enum {
    REPLAY_DATE_AUTO, /* found from the file's rows (above); one date alone: its own
                         numbers, else day first */
    REPLAY_DATE_DMY,  /* day first: 02/01/2020 is 2 January */
    REPLAY_DATE_MDY,  /* month first: 02/01/2020 is 1 February */
    REPLAY_DATE_YMD   /* year first only: a numeric year-last date is refused */
} replay_date_order;

/* "auto", "dmy", "mdy", "ymd" -> order. 0 or -1. */
int replay_date_order_parse(const char *s, replay_date_order *order);
const char *replay_date_order_name(replay_date_order order);

/* How a date's text reads, whatever the order. */
typedef enum {
    REPLAY_DAY_BAD,    /* no date in any order (or not in 1678..2261) */
    REPLAY_DAY_PLAIN,  /* one reading: year first, or the month by name */
    REPLAY_DAY_DMY,    /* year last, a date only day first (13/01/2020) */
    REPLAY_DAY_MDY,    /* year last, a date only month first (01/13/2020) */
    REPLAY_DAY_EITHER, /* year last, a date both ways (01/02/2020; 05/05/2020 is the same day) */
} replay_day_kind;

typedef enum {
    REPLAY_TIME_NONE,     /* a date alone */
    REPLAY_TIME_MIDNIGHT, /* a time of 00:00 (any zone) follows */
    REPLAY_TIME_OTHER     /* another time of day follows */
} replay_time_kind;

typedef struct replay_day {
    replay_day_kind kind;
    replay_time_kind time;
    int64_t ns;       /* 00:00 UTC of the day read in the order asked (replay_parse_day 0) */
    char sep;         /* of a year-last date: '-', '/' or '.' */
    bool short_year;  /* of a year-last date: YY */
    bool same_either; /* EITHER, and both readings are the same day */
} replay_day;

/* Reads a date of a daily row (layouts above) into d. 0 when it is a date in
 * order, with no time or a midnight one (AUTO: any date; an EITHER one day
 * first); -1 otherwise: d->kind and d->time tell why (not a date at all, a
 * date only in another order, a time of day). Checks the calendar (no 31/02,
 * 29/02 only in leap years) and the years, 1678..2261 (int64 ns reach
 * 1677-09-21 to 2262-04-11; whole years keep day arithmetic downstream from
 * overflowing). */
int replay_parse_day(const char *s, size_t n, replay_date_order order, replay_day *d);

/* A date alone, no time (replay_parse_day in order), into the ns at 00:00 UTC
 * of that day. 0 or -1. */
int replay_parse_date(const char *s, size_t n, replay_date_order order, int64_t *day_ns);

typedef enum {
    REPLAY_TS_AUTO, /* epoch unit from the magnitude: < 1e11 s, < 1e14 ms, < 1e17 us, else ns */
    REPLAY_TS_S,
    REPLAY_TS_MS,
    REPLAY_TS_US,
    REPLAY_TS_NS
} replay_ts_unit;

/* "auto", "s", "ms", "us", "ns" -> unit. 0 or -1. */
int replay_ts_unit_parse(const char *s, replay_ts_unit *unit);

/* Parses a timestamp into ns since the epoch, UTC:
 *   ISO 8601 / RFC 3339: YYYY-MM-DD(T|t| )HH:MM[:SS[(.|,)fraction]][Z|z|(+|-)HH[[:]MM]],
 *     no zone meaning UTC; fraction digits past 9 are dropped; second 60 (a
 *     leap second) counts as the first second of the next minute;
 *   epoch numbers: [+-]digits[.digits] in `unit`; the fraction is exact down
 *     to the ns and dropped below it.
 * 0 or -1 (malformed, impossible date or time, before 1678 or after 2261). */
int replay_parse_ts(const char *s, size_t n, replay_ts_unit unit, int64_t *ns);

/* ---- --from / --to ------------------------------------------------------ */

/* Event times in [from_ns, to_ns). */
typedef struct replay_range {
    int64_t from_ns;
    int64_t to_ns; /* exclusive */
} replay_range;

/* The range holding every time. */
void replay_range_all(replay_range *r);
/* Sets r from --from and --to, either of which may be NULL (open). Each is a
 * date (replay_parse_date in order, the --date-format) or a timestamp
 * (replay_parse_ts, epoch numbers by magnitude). Both ends are inclusive: a
 * --to date includes that whole day, a --to timestamp that instant. 0, or -1
 * with errstr (also when from > to). */
int replay_range_parse(replay_range *r, const char *from, const char *to, replay_date_order order,
                       char *errstr, size_t errstr_size);
bool replay_range_contains(const replay_range *r, int64_t ns);

/* ---- index info (indexInfo.csv) ------------------------------------------ */

#define INDEX_REGION_MAX 64 /* bytes, including the NUL */
#define INDEX_EXCHANGE_MAX 64
#define INDEX_CURRENCY_MAX 8

typedef struct index_info_entry {
    char index[TICK_SYMBOL_MAX];
    char region[INDEX_REGION_MAX];
    char exchange[INDEX_EXCHANGE_MAX];
    char currency[INDEX_CURRENCY_MAX];
} index_info_entry;

typedef struct index_info {
    index_info_entry *v;
    size_t n;
} index_info;

/* Loads a table with columns Region, Exchange, Index, Currency (any order,
 * more allowed; BOM, CRLF, quoting, delimiters as csv.h) from data[0..len)
 * into t, which must be zero-initialised or released. name is used in
 * messages. Blank rows are skipped; any other bad row, a missing column or a
 * duplicate index is an error: 0, or -1 with errstr "<name>:<line>: <what>"
 * and t left empty. */
int index_info_load(index_info *t, const char *name, const char *data, size_t len, char *errstr,
                    size_t errstr_size);
/* The entry for index (exact match), or NULL. t may be NULL. */
const index_info_entry *index_info_find(const index_info *t, const char *index);
/* The entry for a row's index: an exact match, else for "^HSI" (Yahoo's
 * prefix of an index) the one of "HSI". NULL if neither. t may be NULL. */
const index_info_entry *index_info_lookup(const index_info *t, const char *index);
/* Frees the entries; t is left empty. Accepts NULL. */
void index_info_release(index_info *t);

/* ---- index daily rows ------------------------------------------------------ */

typedef struct index_daily {
    char index[TICK_SYMBOL_MAX];   /* e.g. "HSI", 1..31 bytes of printable UTF-8 */
    int64_t date_ns;               /* 00:00 UTC of the trading day, ns since the epoch */
    char date[LAKE_DATE_LEN];      /* the same day as YYYY-MM-DD */
    double open, high, low, close; /* finite, > 0, high >= low */
    double adj_close;              /* valid if has_adj_close; finite, > 0 */
    int64_t volume;                /* valid if has_volume; >= 0 */
    double close_usd;              /* valid if has_close_usd; finite, > 0 */
    bool has_adj_close, has_volume, has_close_usd;
    /* From the index_info table (index_info_lookup); all "" when the index is not in it. */
    char region[INDEX_REGION_MAX];
    char exchange[INDEX_EXCHANGE_MAX];
    char currency[INDEX_CURRENCY_MAX];
} index_daily;

/* Appends the JSON encoding of d (the `index.daily` record) to out:
 * {"index":"HSI","date":"1986-12-31","ts":536371200000000000,"open":2568.300049,
 *  "high":...,"low":...,"close":...,"adj_close":...,"volume":0,"close_usd":...,
 *  "region":"Hong Kong","exchange":"Hong Kong Stock Exchange","currency":"HKD"}
 * Missing adj_close, volume and close_usd are written as null; empty region,
 * exchange and currency are left out. */
void index_daily_encode_json(const index_daily *d, buf *out);
/* Decodes one such record (ts is authoritative; date is derived from it).
 * Unknown members are ignored. 0, or -1 with errstr. */
int index_daily_decode_json(const char *data, size_t len, index_daily *d, char *errstr,
                            size_t errstr_size);

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

/* Whether s can be a --symbol: 1..TICK_SYMBOL_MAX-1 bytes of printable UTF-8. */
bool replay_symbol_ok(const char *s);
/* The symbol a file name gives: the last path component without a .csv,
 * .tsv or .txt ending (any case), when that is 1..TICK_SYMBOL_MAX-1 ASCII
 * letters, digits and . - _ ^ = & $ ("data/^GSPC.csv" -> "^GSPC",
 * "BRK-B.csv" -> "BRK-B", "0700.HK.csv" -> "0700.HK"; "AAPL (1).csv", "-"
 * give none). out gets it (TICK_SYMBOL_MAX bytes). 0 or -1. */
int replay_symbol_from_name(const char *name, char *out);

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
