/* replay_value.h - the values of the rows that `ticklake ingest --source csv`
 * reads (replay.h): null tokens, numbers, dates of daily rows and the order of
 * their day and month, timestamps, the --from/--to range, and symbols.
 *
 * Values: null tokens (empty, null, NaN, N/A, NA, None, -, #N/A; any case)
 * stand for a missing number, date or timestamp, never for a symbol. Numbers
 * are [+-]digits[.digits][e[+-]digits] (or .digits), finite; a trailing '.'
 * ("2913.") is refused as a cut-off number; in ';'-delimited files a single
 * ',' is the decimal separator ("1,5").
 *
 * Dates of index daily rows (replay_parse_day): year first (YYYY-MM-DD,
 * YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD), year last (DD-MM-YY, DD/MM/YYYY,
 * MM/DD/YYYY, ...: '-', '/' or '.', a two- or four-digit year) or with an
 * English month name (02-Jan-2020, 2 Jan 2020, Jan 2, 2020); day and month
 * may have one digit; a two-digit year YY is 20YY when YY <= 68, else 19YY
 * (POSIX strptime's pivot). A time of day may follow the date only when it is
 * midnight ("2023-01-03 00:00:00-05:00", "1/3/2023 0:00", any zone): the day
 * is the date as written. The order of a year-last date's day and month is
 * the caller's (replay_date_order; the reader settles it per file).
 *
 * Pure: functions of their arguments, nothing kept between calls. Every
 * string is borrowed for the call; the results go to the caller's memory. */
#ifndef TICKLAKE_REPLAY_VALUE_H
#define TICKLAKE_REPLAY_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tick.h"
#include "util.h"

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
 * (replay_parse_ts, epoch numbers by magnitude). Under REPLAY_DATE_AUTO a
 * year-last date that reads as two different days (01/03/2020) is refused:
 * the files' rows, which decide their order, are not read yet. Both ends are
 * inclusive: a --to date includes that whole day, a --to timestamp that
 * instant. 0, or -1 with errstr (also when from > to). */
int replay_range_parse(replay_range *r, const char *from, const char *to, replay_date_order order,
                       char *errstr, size_t errstr_size);
bool replay_range_contains(const replay_range *r, int64_t ns);

/* ---- symbols ------------------------------------------------------------ */

/* Whether s can be a --symbol: 1..TICK_SYMBOL_MAX-1 bytes of printable UTF-8. */
bool replay_symbol_ok(const char *s);
/* The symbol a file name gives: the last path component without a .csv,
 * .tsv or .txt ending (any case), when that is 1..TICK_SYMBOL_MAX-1 ASCII
 * letters, digits and . - _ ^ = & $ ("data/^GSPC.csv" -> "^GSPC",
 * "BRK-B.csv" -> "BRK-B", "0700.HK.csv" -> "0700.HK"; "AAPL (1).csv", "-"
 * give none). out gets it (TICK_SYMBOL_MAX bytes). 0 or -1. */
int replay_symbol_from_name(const char *name, char *out);

#endif
