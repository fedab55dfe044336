/* replay_value.c - the values of replay rows: null tokens, numbers, dates and
 * their order, timestamps, --from/--to ranges and symbols; see replay_value.h. */
#include "replay_value.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "tick.h"

#define NS_PER_DAY (86400LL * NS_PER_SEC)
/* Times are kept within whole years that int64 ns holds with room to spare,
 * so that day arithmetic downstream (lake_day_start) cannot overflow. */
#define MIN_NS (-9214560000LL * NS_PER_SEC) /* 1678-01-01T00:00:00Z */
#define END_NS (9214646400LL * NS_PER_SEC)  /* 2262-01-01T00:00:00Z, exclusive */

/* ---- small helpers ----------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n && lit[i]; i++)
        if (lower(s[i]) != lit[i])
            return false;
    return i == n && !lit[i];
}

/* ---- values ------------------------------------------------------------------ */

bool replay_is_null(const char *s, size_t n)
{
    static const char *const tokens[] = {"null", "nan", "n/a", "na", "none", "-", "#n/a"};
    trim_blanks(&s, &n);
    if (n == 0)
        return true;
    char c = lower(s[0]);
    if (n > 4 || (c != 'n' && c != '-' && c != '#'))
        return false;
    for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
        if (ieq(s, n, tokens[i]))
            return true;
    return false;
}

int replay_parse_double(const char *s, size_t n, bool decimal_comma, double *out)
{
    trim_blanks(&s, &n);
    if (n == 0 || n > 63)
        return -1;
    /* One pass: checks the form and gathers the digits as an integer (it may
     * wrap past 19 digits; it is used only for 15 or fewer). */
    size_t k = 0, int_digits = 0, frac_digits = 0, comma = n;
    uint64_t m = 0;
    if (s[k] == '+' || s[k] == '-')
        k++;
    while (k < n && is_digit(s[k])) {
        m = m * 10 + (uint64_t)(s[k] - '0');
        k++;
        int_digits++;
    }
    if (k < n && (s[k] == '.' || (decimal_comma && s[k] == ','))) {
        if (s[k] == ',')
            comma = k;
        k++;
        while (k < n && is_digit(s[k])) {
            m = m * 10 + (uint64_t)(s[k] - '0');
            k++;
            frac_digits++;
        }
        if (frac_digits == 0) /* "2913.": a number cut short */
            return -1;
    }
    if (int_digits + frac_digits == 0)
        return -1;
    bool exponent = false;
    if (k < n && (s[k] == 'e' || s[k] == 'E')) {
        exponent = true;
        k++;
        if (k < n && (s[k] == '+' || s[k] == '-'))
            k++;
        size_t exp_digits = 0;
        while (k < n && is_digit(s[k])) {
            k++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return -1;
    }
    if (k != n)
        return -1;
    if (!exponent && int_digits + frac_digits <= 15) {
        /* Clinger's fast path: the digits as an integer (< 2^53) and 10^frac
         * are exact doubles, so one correctly rounded division gives what
         * strtod would. */
        double v = (double)m / tl_pow10[frac_digits];
        *out = s[0] == '-' ? -v : v;
        return 0;
    }
    char tmp[64];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (comma < n)
        tmp[comma] = '.';
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + n || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int replay_parse_whole(const char *s, size_t n, int64_t *out)
{
    trim_blanks(&s, &n);
    size_t k = 0;
    bool neg = false;
    if (k < n && (s[k] == '+' || s[k] == '-')) {
        neg = s[k] == '-';
        k++;
    }
    if (k == n || !is_digit(s[k]))
        return -1;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; k < n && is_digit(s[k]); k++) {
        unsigned d = (unsigned)(s[k] - '0');
        if (v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (k < n && s[k] == '.') {
        k++;
        if (k == n)
            return -1;
        for (; k < n && s[k] == '0'; k++)
            ;
    }
    if (k != n)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* Days since the epoch of a valid calendar date in years 1..9999, or -1. */
static int civil_days(int y, int m, int d, int64_t *days)
{
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || (unsigned)d > civil_month_days(y, m))
        return -1;
    *days = days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

/* Two digits at s, or -1. */
static int two_digits(const char *s)
{
    return is_digit(s[0]) && is_digit(s[1]) ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

static int four_digits(const char *s)
{
    int a = two_digits(s), b = two_digits(s + 2);
    return a < 0 || b < 0 ? -1 : a * 100 + b;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The digits at s[i..n): their count, and in *v the value of the first 9. */
static size_t scan_num(const char *s, size_t n, size_t i, int *v)
{
    size_t k = 0;
    int x = 0;
    for (; i + k < n && is_digit(s[i + k]); k++)
        if (k < 9)
            x = x * 10 + (s[i + k] - '0');
    *v = x;
    return k;
}

static size_t skip_spaces(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] == ' ')
        i++;
    return i;
}

/* 1..12 for an English month name or its first three letters ("Sept" too),
 * any case; 0 if s[0..n) is none. */
static int month_of(const char *s, size_t n)
{
    static const char *const names[12] = {"january",   "february", "march",    "april",
                                          "may",       "june",     "july",     "august",
                                          "september", "october",  "november", "december"};
    for (int m = 0; m < 12; m++) {
        size_t full = strlen(names[m]);
        if (n != 3 && n != full && !(m == 8 && n == 4))
            continue;
        size_t i = 0;
        while (i < n && lower(s[i]) == names[m][i])
            i++;
        if (i == n)
            return m + 1;
    }
    return 0;
}

/* The text of a date: year first or with the month named (y, month a, day b),
 * or numeric with the year last (a and b in the file's order, unknown here). */
typedef struct date_text {
    int y, a, b;
    bool year_last, short_year;
    char sep;
} date_text;

/* Reads the date at the start of s[0..n): the bytes it takes, 0 if none. */
static size_t date_text_read(const char *s, size_t n, date_text *t)
{
    memset(t, 0, sizeof(*t));
    size_t i, k;
    int v;
    if (n && is_alpha(s[0])) { /* Jan 2, 2020 */
        for (k = 0; k < n && is_alpha(s[k]);)
            k++;
        if (!(t->a = month_of(s, k)))
            return 0;
        i = skip_spaces(s, n, k);
        if (i == k || (k = scan_num(s, n, i, &t->b)) < 1 || k > 2)
            return 0;
        i += k;
        size_t j = i < n && s[i] == ',' ? i + 1 : i;
        j = skip_spaces(s, n, j);
        if (j == i || scan_num(s, n, j, &t->y) != 4)
            return 0;
        return j + 4;
    }
    k = scan_num(s, n, 0, &v);
    if (k == 8) { /* YYYYMMDD */
        t->y = v / 10000;
        t->a = v / 100 % 100;
        t->b = v % 100;
        return 8;
    }
    if (k == 4) { /* YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD */
        t->y = v;
        char sep = k < n ? s[k] : '\0';
        if (sep != '-' && sep != '/' && sep != '.')
            return 0;
        i = k + 1;
        if ((k = scan_num(s, n, i, &t->a)) < 1 || k > 2 || i + k >= n || s[i + k] != sep)
            return 0;
        i += k + 1;
        if ((k = scan_num(s, n, i, &t->b)) < 1 || k > 2)
            return 0;
        return i + k;
    }
    if (k < 1 || k > 2 || k >= n)
        return 0;
    char sep = s[k];
    if (sep != '-' && sep != '/' && sep != '.' && sep != ' ')
        return 0;
    i = sep == ' ' ? skip_spaces(s, n, k) : k + 1;
    if (i < n && is_alpha(s[i])) { /* 02-Jan-2020, 2 Jan 2020 */
        size_t w = i;
        while (w < n && is_alpha(s[w]))
            w++;
        if (!(t->a = month_of(s + i, w - i)))
            return 0;
        t->b = v;
        if (w >= n || s[w] != sep)
            return 0;
        i = sep == ' ' ? skip_spaces(s, n, w) : w + 1;
        k = scan_num(s, n, i, &t->y);
        if (k != 2 && k != 4)
            return 0;
        if (k == 2)
            t->y += t->y <= 68 ? 2000 : 1900;
        return i + k;
    }
    if (sep == ' ') /* 01 02 2020: not a layout anyone writes */
        return 0;
    t->year_last = true;
    t->sep = sep;
    t->a = v;
    if ((k = scan_num(s, n, i, &t->b)) < 1 || k > 2 || i + k >= n || s[i + k] != sep)
        return 0;
    i += k + 1;
    k = scan_num(s, n, i, &t->y);
    if (k != 2 && k != 4)
        return 0;
    if (k == 2) { /* POSIX strptime's pivot */
        t->short_year = true;
        t->y += t->y <= 68 ? 2000 : 1900;
    }
    return i + k;
}

/* What follows a date: nothing, or spaces or 'T' and a time
 * H[H]:MM[:SS[(.|,)digits]][ AM| PM][ ][Z|(+|-)HH[[:]MM]]. 0 or -1. */
static int time_read(const char *s, size_t n, replay_time_kind *kind)
{
    *kind = REPLAY_TIME_NONE;
    if (n == 0)
        return 0;
    size_t i = s[0] == 'T' || s[0] == 't' ? 1 : skip_spaces(s, n, 0), k;
    int h, mi, sec = 0;
    bool zero_frac = true;
    if (i == 0 || (k = scan_num(s, n, i, &h)) < 1 || k > 2)
        return -1;
    i += k;
    if (i >= n || s[i] != ':' || scan_num(s, n, i + 1, &mi) != 2)
        return -1;
    i += 3;
    if (i < n && s[i] == ':') {
        if (scan_num(s, n, i + 1, &sec) != 2)
            return -1;
        i += 3;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            size_t start = ++i;
            for (; i < n && is_digit(s[i]); i++)
                zero_frac &= s[i] == '0';
            if (i == start)
                return -1;
        }
    }
    size_t j = skip_spaces(s, n, i); /* i: read up to; j: after spaces that may follow */
    if (n - j >= 2 && (ieq(s + j, 2, "am") || ieq(s + j, 2, "pm"))) {
        if (h < 1 || h > 12)
            return -1;
        h = h % 12 + (lower(s[j]) == 'p' ? 12 : 0);
        i = j + 2;
        j = skip_spaces(s, n, i);
    }
    if (j < n && (s[j] == 'Z' || s[j] == 'z')) {
        i = j + 1;
    } else if (j < n && (s[j] == '+' || s[j] == '-')) {
        int oh, om = 0;
        j++;
        k = scan_num(s, n, j, &oh);
        if (k == 4) {
            om = oh % 100;
            oh /= 100;
        } else if (k == 2 && j + 2 < n && s[j + 2] == ':') {
            if (scan_num(s, n, j + 3, &om) != 2)
                return -1;
            k = 5;
        } else if (k != 2) {
            return -1;
        }
        i = j + k;
        if (oh > 23 || om > 59)
            return -1;
    }
    if (i != n || h > 23 || mi > 59 || sec > 60)
        return -1;
    *kind = h == 0 && mi == 0 && sec == 0 && zero_frac ? REPLAY_TIME_MIDNIGHT : REPLAY_TIME_OTHER;
    return 0;
}

/* The ns at 00:00 UTC of a calendar date within 1678..2261, or -1. */
static int day_ns_of(int y, int m, int d, int64_t *ns)
{
    int64_t days, v;
    if (civil_days(y, m, d, &days) != 0 || __builtin_mul_overflow(days, NS_PER_DAY, &v) ||
        v < MIN_NS || v >= END_NS)
        return -1;
    *ns = v;
    return 0;
}

int replay_date_order_parse(const char *s, replay_date_order *order)
{
    static const char *const names[] = {"auto", "dmy", "mdy", "ymd"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *order = (replay_date_order)i;
            return 0;
        }
    }
    return -1;
}

const char *replay_date_order_name(replay_date_order order)
{
    return order == REPLAY_DATE_DMY   ? "dmy"
           : order == REPLAY_DATE_MDY ? "mdy"
           : order == REPLAY_DATE_YMD ? "ymd"
                                      : "auto";
}

int replay_parse_day(const char *s, size_t n, replay_date_order order, replay_day *d)
{
    memset(d, 0, sizeof(*d));
    trim_blanks(&s, &n);
    date_text t;
    size_t used = date_text_read(s, n, &t);
    if (!used || time_read(s + used, n - used, &d->time) != 0) {
        d->time = REPLAY_TIME_NONE;
        return -1; /* REPLAY_DAY_BAD */
    }
    int64_t ns;
    bool ok;
    if (!t.year_last) {
        if (day_ns_of(t.y, t.a, t.b, &ns) != 0)
            return -1;
        d->kind = REPLAY_DAY_PLAIN;
        ok = true;
    } else {
        int64_t dmy = 0, mdy = 0;
        bool dmy_ok = day_ns_of(t.y, t.b, t.a, &dmy) == 0,
             mdy_ok = day_ns_of(t.y, t.a, t.b, &mdy) == 0;
        if (!dmy_ok && !mdy_ok)
            return -1;
        d->kind = dmy_ok && mdy_ok ? REPLAY_DAY_EITHER : dmy_ok ? REPLAY_DAY_DMY : REPLAY_DAY_MDY;
        d->same_either = dmy_ok && mdy_ok && dmy == mdy;
        d->sep = t.sep;
        d->short_year = t.short_year;
        if (order == REPLAY_DATE_AUTO)
            order = dmy_ok ? REPLAY_DATE_DMY : REPLAY_DATE_MDY;
        ok = (order == REPLAY_DATE_DMY && dmy_ok) || (order == REPLAY_DATE_MDY && mdy_ok);
        ns = order == REPLAY_DATE_DMY ? dmy : mdy;
    }
    if (!ok || d->time == REPLAY_TIME_OTHER)
        return -1;
    d->ns = ns;
    return 0;
}

int replay_parse_date(const char *s, size_t n, replay_date_order order, int64_t *day_ns)
{
    replay_day d;
    if (replay_parse_day(s, n, order, &d) != 0 || d.time != REPLAY_TIME_NONE)
        return -1;
    *day_ns = d.ns;
    return 0;
}

int replay_ts_unit_parse(const char *s, replay_ts_unit *unit)
{
    static const char *const names[] = {"auto", "s", "ms", "us", "ns"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0) {
            *unit = (replay_ts_unit)i;
            return 0;
        }
    }
    return -1;
}

static int parse_iso(const char *s, size_t n, int64_t *out)
{
    if (n < 16)
        return -1;
    int y = four_digits(s), mo = two_digits(s + 5), d = two_digits(s + 8);
    int hh = two_digits(s + 11), mi = two_digits(s + 14), ss = 0;
    char t = s[10];
    if (y < 0 || mo < 0 || d < 0 || hh < 0 || mi < 0 || s[4] != '-' || s[7] != '-' ||
        (t != 'T' && t != 't' && t != ' ') || s[13] != ':')
        return -1;
    size_t i = 16;
    int64_t frac = 0;
    if (i < n && s[i] == ':') {
        if (n - i < 3 || (ss = two_digits(s + i + 1)) < 0)
            return -1;
        i += 3;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            size_t nd = 0;
            for (; i < n && is_digit(s[i]); i++, nd++)
                if (nd < 9)
                    frac = frac * 10 + (s[i] - '0');
            if (nd == 0)
                return -1;
            for (; nd < 9; nd++)
                frac *= 10;
        }
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1, oh, om = 0;
        i++;
        if (n - i < 2 || (oh = two_digits(s + i)) < 0)
            return -1;
        i += 2;
        if (i < n && s[i] == ':') {
            if (n - i < 3 || (om = two_digits(s + i + 1)) < 0)
                return -1;
            i += 3;
        } else if (n - i >= 2 && is_digit(s[i])) {
            if ((om = two_digits(s + i)) < 0)
                return -1;
            i += 2;
        }
        if (oh > 23 || om > 59)
            return -1;
        off = sign * (oh * 3600 + om * 60);
    }
    int64_t days, secs, ns;
    if (i != n || hh > 23 || mi > 59 || ss > 60 || civil_days(y, mo, d, &days) != 0)
        return -1;
    secs = days * 86400 + hh * 3600 + mi * 60 + ss - off;
    if (secs < 0 && frac > 0) { /* keep secs * 1e9 in range near the lower end */
        secs++;
        frac -= NS_PER_SEC;
    }
    if (__builtin_mul_overflow(secs, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, frac, &ns))
        return -1;
    *out = ns;
    return 0;
}

static int parse_epoch(const char *s, size_t n, replay_ts_unit unit, int64_t *out)
{
    size_t k = 0;
    bool neg = false;
    if (k < n && (s[k] == '+' || s[k] == '-')) {
        neg = s[k] == '-';
        k++;
    }
    uint64_t ip = 0;
    size_t nd = 0;
    for (; k < n && is_digit(s[k]); k++, nd++) {
        if (ip > (uint64_t)INT64_MAX / 10)
            return -1;
        ip = ip * 10 + (uint64_t)(s[k] - '0');
    }
    const char *fs = NULL;
    size_t fn = 0;
    if (k < n && s[k] == '.') {
        fs = s + ++k;
        for (; k < n && is_digit(s[k]); k++)
            fn++;
        if (fn == 0)
            return -1;
    }
    if (nd == 0 || k != n || ip > (uint64_t)INT64_MAX)
        return -1;
    if (unit == REPLAY_TS_AUTO)
        unit = ip < 100000000000ULL         ? REPLAY_TS_S
               : ip < 100000000000000ULL    ? REPLAY_TS_MS
               : ip < 100000000000000000ULL ? REPLAY_TS_US
                                            : REPLAY_TS_NS;
    int64_t mult = unit == REPLAY_TS_S    ? NS_PER_SEC
                   : unit == REPLAY_TS_MS ? 1000000
                   : unit == REPLAY_TS_US ? 1000
                                          : 1;
    int64_t v, f = 0, scale = mult;
    if (__builtin_mul_overflow((int64_t)ip, mult, &v))
        return -1;
    for (size_t i = 0; i < fn && scale >= 10; i++) {
        scale /= 10;
        f += (fs[i] - '0') * scale;
    }
    if (__builtin_add_overflow(v, f, &v))
        return -1;
    *out = neg ? -v : v;
    return 0;
}

int replay_parse_ts(const char *s, size_t n, replay_ts_unit unit, int64_t *ns)
{
    int64_t v;
    trim_blanks(&s, &n);
    int rc = n >= 5 && four_digits(s) >= 0 && s[4] == '-' ? parse_iso(s, n, &v)
                                                          : parse_epoch(s, n, unit, &v);
    if (rc != 0 || v < MIN_NS || v >= END_NS)
        return -1;
    *ns = v;
    return 0;
}

/* ---- range ------------------------------------------------------------------- */

void replay_range_all(replay_range *r)
{
    r->from_ns = INT64_MIN;
    r->to_ns = INT64_MAX;
}

/* One bound: 0, -1 if it is neither a date nor a timestamp, -2 if it is a
 * year-last date that reads as two days and order is auto. A file's rows
 * decide its order under auto, but the bounds are read before any row and
 * apply to every file: reading 01/03/2020 day first here and the file month
 * first filtered by another day than meant (and --from 01/03/2020 --to
 * 01/13/2020 was "--from is after --to", one bound read each way). */
static int parse_bound(const char *s, bool is_to, replay_date_order order, int64_t *out)
{
    size_t n = strlen(s);
    int64_t v;
    replay_day d;
    if (replay_parse_day(s, n, order, &d) == 0 && d.time == REPLAY_TIME_NONE) {
        if (order == REPLAY_DATE_AUTO && d.kind == REPLAY_DAY_EITHER && !d.same_either)
            return -2;
        *out = is_to ? d.ns + NS_PER_DAY : d.ns; /* dates end in 2261: no overflow */
        return 0;
    }
    if (replay_parse_ts(s, n, REPLAY_TS_AUTO, &v) == 0) {
        *out = is_to ? v + 1 : v; /* timestamps end before 2262: no overflow */
        return 0;
    }
    return -1;
}

int replay_range_parse(replay_range *r, const char *from, const char *to, replay_date_order order,
                       char *errstr, size_t errstr_size)
{
    replay_range x;
    replay_range_all(&x);
    const char *name[2] = {"--from", "--to"}, *val[2] = {from, to};
    int64_t *dst[2] = {&x.from_ns, &x.to_ns};
    for (int i = 0; i < 2; i++) {
        int rc = val[i] ? parse_bound(val[i], i == 1, order, dst[i]) : 0;
        if (rc == -2)
            return set_err(errstr, errstr_size,
                           "%s '%s' reads day first or month first: give --date-format dmy or "
                           "mdy, or the date as YYYY-MM-DD",
                           name[i], val[i]);
        if (rc != 0)
            return set_err(errstr, errstr_size,
                           "bad %s '%s': expected a date (YYYY-MM-DD, DD/MM/YYYY, ...) or a "
                           "timestamp",
                           name[i], val[i]);
    }
    if (x.from_ns >= x.to_ns)
        return set_err(errstr, errstr_size, "--from '%s' is after --to '%s'", from, to);
    *r = x;
    return 0;
}

bool replay_range_contains(const replay_range *r, int64_t ns)
{
    return ns >= r->from_ns && ns < r->to_ns;
}

/* ---- symbols ------------------------------------------------------------------ */

bool replay_symbol_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < TICK_SYMBOL_MAX && utf8_printable(s, n);
}

int replay_symbol_from_name(const char *name, char *out)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strlen(base);
    if (n >= 4 && base[n - 4] == '.' &&
        (ieq(base + n - 3, 3, "csv") || ieq(base + n - 3, 3, "tsv") || ieq(base + n - 3, 3, "txt")))
        n -= 4;
    bool alnum = false;
    if (n == 0 || n >= TICK_SYMBOL_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(base[i]) && !is_alpha(base[i]) && !strchr(".-_^=&$", base[i]))
            return -1;
        alnum |= is_digit(base[i]) || is_alpha(base[i]);
    }
    if (!alnum) /* "-" (standard input), "..." */
        return -1;
    memcpy(out, base, n);
    out[n] = '\0';
    return 0;
}
