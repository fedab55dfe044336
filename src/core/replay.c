/* replay.c - typed rows from historical CSV files; see replay.h.
 *
 * Layers: value parsers (null tokens, numbers, dates, timestamps), the index
 * info table, the index_daily JSON codec, and the row reader, which resolves
 * the header into column indexes once and then decodes each record by index.
 * A row's checks run in a fixed order (field count, date or time, range,
 * then the other fields left to right) so that its reason is predictable. */
#include "replay.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "json.h"

#define NS_PER_DAY (86400LL * NS_PER_SEC)
/* Times are kept within whole years that int64 ns holds with room to spare,
 * so that day arithmetic downstream (lake_day_start) cannot overflow. */
#define MIN_NS (-9214560000LL * NS_PER_SEC) /* 1678-01-01T00:00:00Z */
#define END_NS (9214646400LL * NS_PER_SEC)  /* 2262-01-01T00:00:00Z, exclusive */
#define VALUE_SHOW 40                       /* bytes of a bad value quoted in a reason */

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

/* Printable UTF-8: no control characters, well-formed sequences only. */
static bool printable_utf8(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
            return false;
        i += len;
    }
    return true;
}

/* s[0..n) for a message: at most max bytes, other than printable ASCII as
 * \xHH, "..." when cut. out needs max * 4 + 4 bytes. */
static const char *show_max(char *out, const char *s, size_t n, size_t max)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (n > max) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* s[0..n) for a message, at most VALUE_SHOW bytes. */
static const char *show(char *out, const char *s, size_t n)
{
    return show_max(out, s, n, VALUE_SHOW);
}

typedef char shown[VALUE_SHOW * 4 + 4];

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
    size_t k = 0, int_digits = 0, frac_digits = 0, comma = n;
    if (s[k] == '+' || s[k] == '-')
        k++;
    while (k < n && is_digit(s[k])) {
        k++;
        int_digits++;
    }
    if (k < n && (s[k] == '.' || (decimal_comma && s[k] == ','))) {
        if (s[k] == ',')
            comma = k;
        k++;
        while (k < n && is_digit(s[k])) {
            k++;
            frac_digits++;
        }
        if (frac_digits == 0) /* "2913.": a number cut short */
            return -1;
    }
    if (int_digits + frac_digits == 0)
        return -1;
    if (k < n && (s[k] == 'e' || s[k] == 'E')) {
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
    if (k == int_digits + frac_digits + (s[0] == '+' || s[0] == '-') + (frac_digits > 0) &&
        int_digits + frac_digits <= 15) {
        /* Clinger's fast path: the digits as an integer (< 2^53) and 10^frac
         * are exact doubles, so one correctly rounded division gives what
         * strtod would. */
        static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        int64_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (is_digit(s[i]))
                m = m * 10 + (s[i] - '0');
        double v = (double)m / pow10[frac_digits];
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

static int parse_bound(const char *s, bool is_to, replay_date_order order, int64_t *out)
{
    size_t n = strlen(s);
    int64_t v;
    if (replay_parse_date(s, n, order, &v) == 0) {
        *out = is_to ? v + NS_PER_DAY : v; /* dates end in 2261: no overflow */
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
    if (from && parse_bound(from, false, order, &x.from_ns) != 0)
        return set_err(errstr, errstr_size,
                       "bad --from '%s': expected a date (YYYY-MM-DD, DD/MM/YYYY, ...) or a "
                       "timestamp",
                       from);
    if (to && parse_bound(to, true, order, &x.to_ns) != 0)
        return set_err(errstr, errstr_size,
                       "bad --to '%s': expected a date (YYYY-MM-DD, DD/MM/YYYY, ...) or a "
                       "timestamp",
                       to);
    if (x.from_ns >= x.to_ns)
        return set_err(errstr, errstr_size, "--from '%s' is after --to '%s'", from, to);
    *r = x;
    return 0;
}

bool replay_range_contains(const replay_range *r, int64_t ns)
{
    return ns >= r->from_ns && ns < r->to_ns;
}

/* ---- index info ---------------------------------------------------------------- */

/* Copies a text field into dst (dstsz bytes). -1 if too long or not printable. */
static int copy_text(char *dst, size_t dstsz, csv_field v)
{
    v = csv_trim(v);
    if (v.len >= dstsz || !printable_utf8(v.p, v.len))
        return -1;
    memcpy(dst, v.p, v.len);
    dst[v.len] = '\0';
    return 0;
}

int index_info_load(index_info *t, const char *name, const char *data, size_t len, char *errstr,
                    size_t errstr_size)
{
    static const char *const cols[] = {"index", "region", "exchange", "currency"};
    csv_reader *r = csv_reader_new_buffer(data, len, NULL);
    csv_header h = {0};
    csv_record rec;
    char e[160];
    int c[4], rc = -1;
    index_info out = {0};
    csv_status st;
    t->v = NULL;
    t->n = 0;
    while ((st = csv_next(r, &rec, e, sizeof(e))) == CSV_RECORD && rec.blank)
        ;
    if (st != CSV_RECORD) {
        if (st == CSV_EOF)
            set_err(errstr, errstr_size, "%s: empty file (no header)", name);
        else if (st == CSV_ERROR)
            set_err(errstr, errstr_size, "%s: %s", name, e);
        else
            set_err(errstr, errstr_size, "%s:%lld: %s", name, (long long)rec.line, e);
        goto out;
    }
    csv_header_set(&h, &rec);
    for (int i = 0; i < 4; i++) {
        c[i] = csv_header_find(&h, cols[i]);
        if (c[i] < 0) {
            set_err(errstr, errstr_size, "%s:%lld: %s column '%s'", name, (long long)rec.line,
                    c[i] == -1 ? "no" : "more than one", cols[i]);
            goto out;
        }
    }
    while ((st = csv_next(r, &rec, e, sizeof(e))) != CSV_EOF) {
        long long line = (long long)rec.line;
        if (st != CSV_RECORD) {
            set_err(errstr, errstr_size, "%s:%lld: %s", name, line, e);
            goto out;
        }
        if (rec.blank)
            continue;
        if (rec.nfields < h.n) {
            set_err(errstr, errstr_size, "%s:%lld: expected %zu fields, found %zu", name, line, h.n,
                    rec.nfields);
            goto out;
        }
        index_info_entry en;
        memset(&en, 0, sizeof(en));
        const char *what = NULL;
        if (copy_text(en.index, sizeof(en.index), rec.fields[c[0]]) != 0 || !en.index[0])
            what = "Index";
        else if (copy_text(en.region, sizeof(en.region), rec.fields[c[1]]) != 0)
            what = "Region";
        else if (copy_text(en.exchange, sizeof(en.exchange), rec.fields[c[2]]) != 0)
            what = "Exchange";
        else if (copy_text(en.currency, sizeof(en.currency), rec.fields[c[3]]) != 0)
            what = "Currency";
        if (what) {
            set_err(errstr, errstr_size, "%s:%lld: bad %s", name, line, what);
            goto out;
        }
        if (index_info_find(&out, en.index)) {
            set_err(errstr, errstr_size, "%s:%lld: index '%s' listed twice", name, line, en.index);
            goto out;
        }
        out.v = realloc(out.v, (out.n + 1) * sizeof(*out.v));
        if (!out.v) {
            fprintf(stderr, "out of memory\n");
            abort();
        }
        out.v[out.n++] = en;
    }
    *t = out;
    out.v = NULL;
    rc = 0;
out:
    free(out.v);
    csv_header_release(&h);
    csv_reader_free(r);
    return rc;
}

const index_info_entry *index_info_find(const index_info *t, const char *index)
{
    if (!t)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].index, index) == 0)
            return &t->v[i];
    return NULL;
}

const index_info_entry *index_info_lookup(const index_info *t, const char *index)
{
    const index_info_entry *e = index_info_find(t, index);
    return e || index[0] != '^' ? e : index_info_find(t, index + 1);
}

void index_info_release(index_info *t)
{
    if (!t)
        return;
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

/* ---- index_daily JSON ------------------------------------------------------------- */

void index_daily_encode_json(const index_daily *d, buf *out)
{
    buf_puts(out, "{\"index\":");
    buf_put_json_str(out, d->index, strlen(d->index));
    buf_printf(out, ",\"date\":\"%s\",\"ts\":%lld,\"open\":", d->date, (long long)d->date_ns);
    buf_put_double(out, d->open);
    buf_puts(out, ",\"high\":");
    buf_put_double(out, d->high);
    buf_puts(out, ",\"low\":");
    buf_put_double(out, d->low);
    buf_puts(out, ",\"close\":");
    buf_put_double(out, d->close);
    buf_puts(out, ",\"adj_close\":");
    if (d->has_adj_close)
        buf_put_double(out, d->adj_close);
    else
        buf_puts(out, "null");
    if (d->has_volume)
        buf_printf(out, ",\"volume\":%lld", (long long)d->volume);
    else
        buf_puts(out, ",\"volume\":null");
    buf_puts(out, ",\"close_usd\":");
    if (d->has_close_usd)
        buf_put_double(out, d->close_usd);
    else
        buf_puts(out, "null");
    const char *names[] = {"region", "exchange", "currency"};
    const char *vals[] = {d->region, d->exchange, d->currency};
    for (int i = 0; i < 3; i++) {
        if (vals[i][0]) {
            buf_printf(out, ",\"%s\":", names[i]);
            buf_put_json_str(out, vals[i], strlen(vals[i]));
        }
    }
    buf_putc(out, '}');
}

static int json_text(const json_value *o, const char *key, char *dst, size_t dstsz, bool required)
{
    const json_value *v = json_get(o, key);
    dst[0] = '\0';
    if (!v || v->type == JSON_NULL)
        return required ? -1 : 0;
    if (v->type != JSON_STRING || v->len >= dstsz || !printable_utf8(v->str, v->len) ||
        (required && v->len == 0))
        return -1;
    memcpy(dst, v->str, v->len + 1);
    return 0;
}

/* An optional positive number: absent or null leaves *has false. */
static int json_opt_price(const json_value *o, const char *key, double *dst, bool *has)
{
    const json_value *v = json_get(o, key);
    *has = false;
    if (!v || v->type == JSON_NULL)
        return 0;
    if (v->type != JSON_NUMBER || !isfinite(v->num) || v->num <= 0)
        return -1;
    *dst = v->num;
    *has = true;
    return 0;
}

int index_daily_decode_json(const char *data, size_t len, index_daily *d, char *errstr,
                            size_t errstr_size)
{
    json_doc *doc = json_parse(data, len, errstr, errstr_size);
    if (!doc)
        return -1;
    const json_value *o = json_root(doc);
    const char *what = NULL;
    memset(d, 0, sizeof(*d));
    bool has_open, has_high, has_low, has_close;
    if (o->type != JSON_OBJECT)
        what = "record is not a JSON object";
    else if (json_text(o, "index", d->index, sizeof(d->index), true) != 0)
        what = "field 'index' missing or not 1..31 bytes of printable UTF-8";
    else if (json_get_int(o, "ts", &d->date_ns) != 0 || lake_day_start(d->date_ns) != d->date_ns)
        what = "field 'ts' missing or not 00:00 UTC of a day";
    else if (json_opt_price(o, "open", &d->open, &has_open) != 0 ||
             json_opt_price(o, "high", &d->high, &has_high) != 0 ||
             json_opt_price(o, "low", &d->low, &has_low) != 0 ||
             json_opt_price(o, "close", &d->close, &has_close) != 0 || !has_open || !has_high ||
             !has_low || !has_close || d->high < d->low)
        what = "fields 'open', 'high', 'low', 'close' missing or not positive with high >= low";
    else if (json_opt_price(o, "adj_close", &d->adj_close, &d->has_adj_close) != 0)
        what = "field 'adj_close' is not a positive number";
    else if (json_opt_price(o, "close_usd", &d->close_usd, &d->has_close_usd) != 0)
        what = "field 'close_usd' is not a positive number";
    else if (json_text(o, "region", d->region, sizeof(d->region), false) != 0 ||
             json_text(o, "exchange", d->exchange, sizeof(d->exchange), false) != 0 ||
             json_text(o, "currency", d->currency, sizeof(d->currency), false) != 0)
        what = "field 'region', 'exchange' or 'currency' is not a short string";
    if (!what) {
        const json_value *v = json_get(o, "volume");
        if (v && v->type != JSON_NULL) {
            if (json_get_int(o, "volume", &d->volume) != 0 || d->volume < 0)
                what = "field 'volume' is not an integer >= 0";
            else
                d->has_volume = true;
        }
    }
    json_doc_free(doc);
    if (what)
        return set_err(errstr, errstr_size, "%s", what);
    lake_date(d->date_ns, d->date);
    return 0;
}

/* ---- the row reader -------------------------------------------------------------- */

int replay_format_parse(const char *s, replay_format *f)
{
    if (strcmp(s, "auto") == 0)
        *f = REPLAY_FMT_AUTO;
    else if (strcmp(s, "index-daily") == 0 || strcmp(s, "index_daily") == 0)
        *f = REPLAY_FMT_INDEX_DAILY;
    else if (strcmp(s, "trades") == 0)
        *f = REPLAY_FMT_TRADES;
    else
        return -1;
    return 0;
}

const char *replay_format_name(replay_format f)
{
    return f == REPLAY_FMT_INDEX_DAILY ? "index-daily" : f == REPLAY_FMT_TRADES ? "trades" : "auto";
}

typedef struct field_spec {
    const char *name;
    const char *aliases[4]; /* NULL-terminated */
    bool required;
} field_spec;

/* The first field of both formats is the symbol: required unless the file
 * has one symbol (replay_options.symbol or the file name). */
enum { T_SYMBOL, T_TS, T_PRICE, T_SIZE, T_ID, T_VENUE, T_NFIELDS };
enum { D_INDEX, D_DATE, D_OPEN, D_HIGH, D_LOW, D_CLOSE, D_ADJ, D_VOLUME, D_USD, D_NFIELDS };
#define MAX_FIELDS 9
#define HEADER_SHOW 160 /* bytes of a header quoted in a message */

static const field_spec trade_fields[T_NFIELDS] = {
    {"symbol", {"ticker", "sym", NULL}, true},
    {"timestamp", {"ts", "time", "datetime", NULL}, true},
    {"price", {NULL}, true},
    {"size", {"qty", "quantity", NULL}, true},
    {"id", {"trade_id", NULL}, false},
    {"venue", {"mic", NULL}, false},
};

static const field_spec daily_fields[D_NFIELDS] = {
    {"index", {"symbol", "ticker", NULL}, true},
    {"date", {NULL}, true},
    {"open", {NULL}, true},
    {"high", {NULL}, true},
    {"low", {NULL}, true},
    {"close", {NULL}, true},
    {"adj_close", {NULL}, false},
    {"volume", {NULL}, false},
    {"close_usd", {NULL}, false},
};

/* A record read ahead at open (look-ahead for the date order), with its
 * fields and message stored in the reader's qbytes. */
typedef struct queued {
    csv_status s;
    int64_t line;
    bool eol, blank;
    size_t first, nfields; /* fields qf[first .. first + nfields) */
    size_t err;            /* offset in qbytes of the message (BAD, ERROR) */
} queued;

typedef struct queued_field {
    size_t off, len;
} queued_field;

struct replay_reader {
    char *name;
    csv_reader *csv;
    csv_header hdr;
    replay_format fmt;
    replay_options opt;
    replay_range range;
    bool decimal_comma;
    int col[MAX_FIELDS];                 /* column of each field, -1 if absent */
    const char *colname[MAX_FIELDS];     /* its header name (trimmed copy) for messages */
    char *colnames;                      /* storage of colname */
    char symbol[TICK_SYMBOL_MAX];        /* of every row when the file has no symbol column */
    replay_date_order order;             /* of year-last dates; AUTO until decided */
    char order_why[VALUE_SHOW * 4 + 64]; /* what decided it, for reasons */
    replay_note notes[REPLAY_MAX_NOTES];
    size_t nnotes;
    queued *q; /* records read ahead, q[qhead .. qn) still to deliver */
    size_t qn, qhead;
    queued_field *qf;
    size_t qfn;
    buf qbytes;
    csv_field *popped; /* the fields of the last record taken from q */
    size_t popped_cap;
    int64_t next_id;
    replay_stats st;
    bool done;
};

static void note(replay_reader *rr, bool warn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(replay_reader *rr, bool warn, const char *fmt, ...)
{
    if (rr->nnotes == REPLAY_MAX_NOTES)
        return;
    replay_note *n = &rr->notes[rr->nnotes++];
    n->warn = warn;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->text, sizeof(n->text), fmt, ap);
    va_end(ap);
}

size_t replay_reader_notes(const replay_reader *rr, const replay_note **notes)
{
    *notes = rr->notes;
    return rr->nnotes;
}

bool replay_symbol_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < TICK_SYMBOL_MAX && printable_utf8(s, n);
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

static bool spec_has(const field_spec *specs, size_t n, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (csv_name_eq(field, strlen(field), specs[i].name))
            return true;
    return false;
}

/* The header as read, fields joined by the delimiter, for messages. */
static const char *show_header(const replay_reader *rr, char *out)
{
    buf b = {0};
    char d = csv_reader_delim(rr->csv);
    for (size_t i = 0; i < rr->hdr.n && b.len <= HEADER_SHOW; i++) {
        if (i)
            buf_putc(&b, d ? d : ',');
        buf_puts(&b, rr->hdr.names[i]);
    }
    show_max(out, b.data ? b.data : "", b.len, HEADER_SHOW);
    buf_release(&b);
    return out;
}

typedef char shown_header[HEADER_SHOW * 4 + 4];

/* Finds the columns of specs in the header. 0; 1 if a required one is
 * missing (missing names it; the symbol field, specs[0], is never missing:
 * the caller sees to it); -1 on another error (errstr). */
static int resolve(replay_reader *rr, const field_spec *specs, size_t n, const char **missing,
                   char *errstr, size_t errstr_size)
{
    *missing = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *mapped = csv_map_column(rr->opt.map, specs[i].name);
        int c;
        if (mapped) {
            c = csv_header_find(&rr->hdr, mapped);
            if (c == -1)
                return set_err(errstr, errstr_size,
                               "column '%s' (--map %s=%s) is not in the header", mapped,
                               specs[i].name, mapped);
            if (c == -2)
                return set_err(errstr, errstr_size, "column '%s' appears more than once", mapped);
        } else {
            const char *nm = specs[i].name;
            c = csv_header_find(&rr->hdr, nm);
            for (size_t a = 0; c == -1 && specs[i].aliases[a]; a++)
                c = csv_header_find(&rr->hdr, nm = specs[i].aliases[a]);
            if (c == -2)
                return set_err(errstr, errstr_size,
                               "more than one column is named '%s'; use --map %s=Column", nm,
                               specs[i].name);
        }
        rr->col[i] = c;
        if (c < 0 && specs[i].required && i > 0 && !*missing)
            *missing = specs[i].name;
    }
    return *missing ? 1 : 0;
}

/* The symbol of a file without a symbol column: --symbol, else the file
 * name. 0, or -1 with errstr. */
static int fixed_symbol(replay_reader *rr, int64_t hline, char *errstr, size_t errstr_size)
{
    const char *column = rr->fmt == REPLAY_FMT_TRADES ? "symbol" : "Index";
    const char *given = rr->opt.symbol;
    shown_header sh;
    if (rr->col[0] >= 0) {
        if (!given)
            return 0;
        return set_err(errstr, errstr_size,
                       "%s:%lld: --symbol %s is for a file without a symbol column, and this one "
                       "has '%s'",
                       rr->name, (long long)hline, given, rr->colname[0]);
    }
    if (given) {
        if (!replay_symbol_ok(given))
            return set_err(errstr, errstr_size,
                           "bad --symbol '%s': expected 1..%d bytes of printable UTF-8", given,
                           TICK_SYMBOL_MAX - 1);
        memcpy(rr->symbol, given, strlen(given) + 1);
        note(rr, false, "%s: no %s column: every row gets symbol '%s' from --symbol", rr->name,
             column, rr->symbol);
        return 0;
    }
    if (replay_symbol_from_name(rr->name, rr->symbol) == 0) {
        note(rr, false, "%s: no %s column: every row gets symbol '%s' from the file name", rr->name,
             column, rr->symbol);
        return 0;
    }
    return set_err(errstr, errstr_size,
                   "%s:%lld: the header '%s' has no %s column and nothing names the instrument: "
                   "pass --symbol NAME (%s)",
                   rr->name, (long long)hline, show_header(rr, sh), column,
                   strcmp(rr->name, "-") == 0
                       ? "standard input has no file name to take it from"
                       : "a file name gives it only when it is one, e.g. AAPL.csv or ^GSPC.csv");
}

static int setup_columns(replay_reader *rr, int64_t hline, char *errstr, size_t errstr_size)
{
    const csv_map *map = rr->opt.map;
    char e[256];
    shown_header sh;
    const char *missing = NULL, *daily_missing = NULL;
    replay_format fmt = rr->opt.format;
    if (fmt == REPLAY_FMT_AUTO && map && map->n > 0) /* the --map names tell */
        fmt = spec_has(daily_fields, D_NFIELDS, map->v[0].field) ? REPLAY_FMT_INDEX_DAILY
                                                                 : REPLAY_FMT_TRADES;
    for (size_t i = 0; map && i < map->n; i++) {
        const char *f = map->v[i].field;
        bool in_daily = spec_has(daily_fields, D_NFIELDS, f);
        bool in_trades = spec_has(trade_fields, T_NFIELDS, f);
        if ((fmt == REPLAY_FMT_INDEX_DAILY && !in_daily) ||
            (fmt == REPLAY_FMT_TRADES && !in_trades))
            return set_err(errstr, errstr_size, "%s: --map '%s' is not a field of %s (fields: %s)",
                           rr->name, f, replay_format_name(fmt),
                           fmt == REPLAY_FMT_TRADES
                               ? "symbol, timestamp, price, size, id, venue"
                               : "index, date, open, high, low, close, adj_close, volume, "
                                 "close_usd");
    }
    int rc;
    if (fmt != REPLAY_FMT_TRADES) {
        rc = resolve(rr, daily_fields, D_NFIELDS, &missing, e, sizeof(e));
        if (rc < 0)
            return set_err(errstr, errstr_size, "%s:%lld: %s", rr->name, (long long)hline, e);
        if (rc == 0)
            fmt = REPLAY_FMT_INDEX_DAILY;
        else if (fmt == REPLAY_FMT_INDEX_DAILY)
            return set_err(errstr, errstr_size,
                           "%s:%lld: no column for '%s' in the header '%s'; use --map %s=Column",
                           rr->name, (long long)hline, missing, show_header(rr, sh), missing);
        daily_missing = missing;
    }
    if (fmt != REPLAY_FMT_INDEX_DAILY) {
        rc = resolve(rr, trade_fields, T_NFIELDS, &missing, e, sizeof(e));
        if (rc < 0)
            return set_err(errstr, errstr_size, "%s:%lld: %s", rr->name, (long long)hline, e);
        if (rc == 1 && fmt == REPLAY_FMT_TRADES)
            return set_err(errstr, errstr_size,
                           "%s:%lld: no column for '%s' in the header '%s'; use --map %s=Column",
                           rr->name, (long long)hline, missing, show_header(rr, sh), missing);
        if (rc == 1)
            return set_err(errstr, errstr_size,
                           "%s:%lld: header not recognised: '%s'; expected index daily (Index, "
                           "Date, Open, High, Low, Close, ...; without Index for one instrument, "
                           "as in a Yahoo Finance export: no column for '%s' here) or trades "
                           "(symbol, timestamp, price, size, ...: no column for '%s' here); use "
                           "--format and --map",
                           rr->name, (long long)hline, show_header(rr, sh), daily_missing, missing);
        fmt = REPLAY_FMT_TRADES;
    }
    rr->fmt = fmt;
    /* Trimmed copies of the names of the columns in use, for messages. */
    size_t nf = fmt == REPLAY_FMT_TRADES ? T_NFIELDS : D_NFIELDS, total = 0;
    for (size_t i = 0; i < nf; i++)
        total += rr->col[i] >= 0 ? strlen(rr->hdr.names[rr->col[i]]) + 1 : 0;
    rr->colnames = malloc(total + 1);
    if (!rr->colnames)
        abort();
    char *p = rr->colnames;
    for (size_t i = 0; i < nf; i++) {
        rr->colname[i] = "";
        if (rr->col[i] < 0)
            continue;
        const char *h = rr->hdr.names[rr->col[i]];
        csv_field f = csv_trim((csv_field){h, strlen(h)});
        if (f.len >= 3 && memcmp(f.p, "\xEF\xBB\xBF", 3) == 0) {
            f.p += 3;
            f.len -= 3;
        }
        memcpy(p, f.p, f.len);
        p[f.len] = '\0';
        rr->colname[i] = p;
        p += f.len + 1;
    }
    return fixed_symbol(rr, hline, errstr, errstr_size);
}

static csv_field field_of(const csv_record *rec, int col)
{
    return col >= 0 && (size_t)col < rec->nfields ? rec->fields[col] : (csv_field){"", 0};
}

/* ---- records read ahead ---------------------------------------------------------- */

static void *xgrow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, n * size);
    if (!q)
        abort();
    return q;
}

/* Keeps a copy of what csv_next gave, to deliver later. */
static void enqueue(replay_reader *rr, csv_status s, const csv_record *rec, const char *e)
{
    if ((rr->qn & (rr->qn - 1)) == 0) /* 0, 1, 2, 4, ...: grow at powers of two */
        rr->q = xgrow(rr->q, rr->qn ? rr->qn * 2 : 1, sizeof(*rr->q));
    queued *x = &rr->q[rr->qn++];
    memset(x, 0, sizeof(*x));
    x->s = s;
    x->line = rec->line;
    x->eol = rec->eol;
    x->blank = rec->blank;
    x->first = rr->qfn;
    x->nfields = s == CSV_RECORD ? rec->nfields : 0;
    for (size_t i = 0; i < x->nfields; i++) {
        if ((rr->qfn & (rr->qfn - 1)) == 0)
            rr->qf = xgrow(rr->qf, rr->qfn ? rr->qfn * 2 : 1, sizeof(*rr->qf));
        rr->qf[rr->qfn++] = (queued_field){rr->qbytes.len, rec->fields[i].len};
        buf_append(&rr->qbytes, rec->fields[i].p, rec->fields[i].len);
        buf_putc(&rr->qbytes, '\0');
    }
    x->err = rr->qbytes.len;
    buf_puts(&rr->qbytes, s == CSV_BAD || s == CSV_ERROR ? e : "");
    buf_putc(&rr->qbytes, '\0');
}

/* The next record: read ahead, else from the CSV reader. */
static csv_status next_record(replay_reader *rr, csv_record *rec, char *e, size_t es)
{
    if (rr->qhead == rr->qn)
        return csv_next(rr->csv, rec, e, es);
    const queued *x = &rr->q[rr->qhead++];
    if (x->nfields > rr->popped_cap) {
        rr->popped_cap = x->nfields;
        rr->popped = xgrow(rr->popped, rr->popped_cap, sizeof(*rr->popped));
    }
    for (size_t i = 0; i < x->nfields; i++) {
        const queued_field *f = &rr->qf[x->first + i];
        rr->popped[i] = (csv_field){rr->qbytes.data + f->off, f->len};
    }
    memset(rec, 0, sizeof(*rec));
    rec->fields = rr->popped;
    rec->nfields = x->nfields;
    rec->line = x->line;
    rec->eol = x->eol;
    rec->blank = x->blank;
    if (x->s == CSV_BAD || x->s == CSV_ERROR)
        set_err(e, es, "%s", rr->qbytes.data + x->err);
    return x->s;
}

/* ---- the order of year-last dates --------------------------------------------- */

/* "DD-MM-YY" and the like for a year-last date read in order. */
static const char *layout(const replay_day *d, replay_date_order order, char out[16])
{
    snprintf(out, 16, "%s%c%s%c%s", order == REPLAY_DATE_MDY ? "MM" : "DD", d->sep,
             order == REPLAY_DATE_MDY ? "DD" : "MM", d->sep, d->short_year ? "YY" : "YYYY");
    return out;
}

static const char *order_words(replay_date_order order)
{
    return order == REPLAY_DATE_MDY ? "month first" : "day first";
}

/* Settles the order from a date that reads one way only, d, on line. */
static void decide_by(replay_reader *rr, const replay_day *d, csv_field v, int64_t line, bool tell)
{
    shown sv;
    char lay[16];
    rr->order = d->kind == REPLAY_DAY_MDY ? REPLAY_DATE_MDY : REPLAY_DATE_DMY;
    snprintf(rr->order_why, sizeof(rr->order_why), "as '%s' on line %lld shows",
             show(sv, v.p, v.len), (long long)line);
    if (tell)
        note(rr, false, "%s: year-last dates are read %s (%s), %s", rr->name,
             order_words(rr->order), layout(d, rr->order, lay), rr->order_why);
}

/* Settles the default order, day first, for lack of a date that tells. */
static void decide_default(replay_reader *rr, const replay_day *d, csv_field v, int64_t line,
                           bool tell)
{
    shown sv;
    char lay[16];
    rr->order = REPLAY_DATE_DMY;
    snprintf(rr->order_why, sizeof(rr->order_why),
             "the default when no row tells; use --date-format");
    if (tell)
        note(rr, true,
             "%s: year-last dates such as '%s' (line %lld) are read day first (%s), the "
             "default: none of the first %d rows tells day from month; --date-format mdy "
             "reads them month first",
             rr->name, show(sv, v.p, v.len), (long long)line, layout(d, REPLAY_DATE_DMY, lay),
             REPLAY_DATE_LOOKAHEAD);
}

/* Reads rows ahead until one settles the order of year-last dates. */
static void look_ahead(replay_reader *rr)
{
    csv_record rec;
    char e[512];
    bool ambiguous = false;
    replay_day first_day = {0};
    char first_text[VALUE_SHOW + 1];
    size_t first_len = 0;
    int64_t first_line = 0;
    for (int rows = 0; rows < REPLAY_DATE_LOOKAHEAD && rr->qbytes.len < REPLAY_LOOKAHEAD_BYTES;) {
        csv_status s = csv_next(rr->csv, &rec, e, sizeof(e));
        enqueue(rr, s, &rec, e);
        if (s == CSV_EOF || s == CSV_ERROR)
            break;
        if (s != CSV_RECORD || rec.blank)
            continue;
        rows++;
        csv_field v = field_of(&rec, rr->col[D_DATE]);
        replay_day d;
        replay_parse_day(v.p, v.len, REPLAY_DATE_AUTO, &d);
        if (d.time == REPLAY_TIME_OTHER) /* a bad row: it tells nothing */
            continue;
        if (d.kind == REPLAY_DAY_DMY || d.kind == REPLAY_DAY_MDY) {
            decide_by(rr, &d, csv_trim(v), rec.line, true);
            return;
        }
        if (d.kind == REPLAY_DAY_EITHER && !d.same_either && !ambiguous) {
            ambiguous = true;
            first_day = d;
            v = csv_trim(v);
            first_len = v.len < VALUE_SHOW ? v.len : VALUE_SHOW;
            memcpy(first_text, v.p, first_len);
            first_line = rec.line;
        }
    }
    if (ambiguous)
        decide_default(rr, &first_day, (csv_field){first_text, first_len}, first_line, true);
}

static replay_reader *open_common(const char *name, csv_reader *csv, const replay_options *opt,
                                  char *errstr, size_t errstr_size)
{
    replay_reader *rr = calloc(1, sizeof(*rr));
    if (!rr)
        abort();
    rr->csv = csv;
    rr->name = strdup(name ? name : "-");
    if (!rr->name)
        abort();
    if (opt)
        rr->opt = *opt;
    if (rr->opt.range)
        rr->range = *rr->opt.range;
    else
        replay_range_all(&rr->range);
    if (!rr->opt.source)
        rr->opt.source = "csv";
    rr->next_id = rr->opt.first_id;
    rr->order = rr->opt.date_order;
    if (rr->order != REPLAY_DATE_AUTO)
        snprintf(rr->order_why, sizeof(rr->order_why), "as --date-format %s says",
                 replay_date_order_name(rr->order));
    if (strlen(rr->opt.source) >= TICK_SOURCE_MAX ||
        !printable_utf8(rr->opt.source, strlen(rr->opt.source))) {
        set_err(errstr, errstr_size, "source '%s' is longer than %d bytes or not printable",
                rr->opt.source, TICK_SOURCE_MAX - 1);
        goto fail;
    }
    csv_record rec;
    char e[256];
    for (;;) {
        csv_status s = csv_next(csv, &rec, e, sizeof(e));
        if (s == CSV_EOF) {
            set_err(errstr, errstr_size, "%s: empty file (no header)", rr->name);
            goto fail;
        }
        if (s == CSV_ERROR) {
            set_err(errstr, errstr_size, "%s: %s", rr->name, e);
            goto fail;
        }
        if (s == CSV_BAD) {
            set_err(errstr, errstr_size, "%s:%lld: bad header: %s", rr->name, (long long)rec.line,
                    e);
            goto fail;
        }
        if (!rec.blank)
            break;
    }
    bool mojibake = csv_reader_bom(csv) == CSV_BOM_MOJIBAKE;
    if (mojibake)
        note(rr, true,
             "%s:1: the header starts with a UTF-8 byte-order mark decoded as Latin-1 "
             "(\xC3\xAF\xC2\xBB\xC2\xBF): the file was re-saved in another encoding; ignored",
             rr->name);
    csv_header_set(&rr->hdr, &rec);
    rr->decimal_comma = csv_reader_delim(csv) == ';';
    if (setup_columns(rr, rec.line, errstr, errstr_size) != 0) {
        if (mojibake) {
            size_t l = strlen(errstr);
            snprintf(errstr + l, errstr_size - l,
                     " (the file starts with a UTF-8 byte-order mark decoded as Latin-1, "
                     "\xC3\xAF\xC2\xBB\xC2\xBF: it was re-saved in another encoding)");
        }
        goto fail;
    }
    if (rr->fmt == REPLAY_FMT_INDEX_DAILY && rr->order == REPLAY_DATE_AUTO)
        look_ahead(rr);
    return rr;
fail:
    replay_close(rr);
    return NULL;
}

replay_reader *replay_open_buffer(const char *name, const char *data, size_t len,
                                  const replay_options *opt, char *errstr, size_t errstr_size)
{
    csv_options co = {.delim = opt ? opt->delim : 0, .max_record = opt ? opt->max_record : 0};
    return open_common(name, csv_reader_new_buffer(data, len, &co), opt, errstr, errstr_size);
}

replay_reader *replay_open_file(const char *name, FILE *f, const replay_options *opt, char *errstr,
                                size_t errstr_size)
{
    csv_options co = {.delim = opt ? opt->delim : 0, .max_record = opt ? opt->max_record : 0};
    return open_common(name, csv_reader_new_file(f, &co), opt, errstr, errstr_size);
}

void replay_close(replay_reader *rr)
{
    if (!rr)
        return;
    csv_reader_free(rr->csv);
    csv_header_release(&rr->hdr);
    free(rr->colnames);
    free(rr->q);
    free(rr->qf);
    free(rr->popped);
    buf_release(&rr->qbytes);
    free(rr->name);
    free(rr);
}

replay_format replay_reader_format(const replay_reader *rr)
{
    return rr->fmt;
}

const replay_stats *replay_reader_stats(const replay_reader *rr)
{
    return &rr->st;
}

int64_t replay_reader_next_id(const replay_reader *rr)
{
    return rr->next_id;
}

/* Outcomes of decoding one record. */
enum { R_ROW, R_BLANK, R_FILTERED, R_SKIP, R_BAD };

static int fail(char *e, size_t es, int outcome, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *e, size_t es, int outcome, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e, es, fmt, ap);
    va_end(ap);
    return outcome;
}

static int check_count(const replay_reader *rr, const csv_record *rec, char *e, size_t es)
{
    size_t n = rr->hdr.n;
    if (rec->nfields < n)
        return fail(e, es, R_BAD, "expected %zu fields, found %zu", n, rec->nfields);
    for (size_t i = n; i < rec->nfields; i++)
        if (csv_trim(rec->fields[i]).len)
            return fail(e, es, R_BAD, "expected %zu fields, found %zu", n, rec->nfields);
    return R_ROW;
}

/* Reads price field i of the row. 1 if null/absent, 0 if set, R_BAD-coded -1 on error. */
static int get_price(const replay_reader *rr, const csv_record *rec, int i, double *out, char *e,
                     size_t es)
{
    csv_field v = field_of(rec, rr->col[i]);
    shown sv;
    if (rr->col[i] < 0 || replay_is_null(v.p, v.len))
        return 1;
    if (replay_parse_double(v.p, v.len, rr->decimal_comma, out) != 0) {
        fail(e, es, R_BAD, "bad %s '%s'", rr->colname[i], show(sv, v.p, v.len));
        return -1;
    }
    if (*out <= 0) {
        fail(e, es, R_BAD, "bad %s '%s' (not > 0)", rr->colname[i], show(sv, v.p, v.len));
        return -1;
    }
    return 0;
}

/* Reads whole-number field i. 1 if null/absent, 0 if set, -1 on error (min: lowest allowed). */
static int get_whole(const replay_reader *rr, const csv_record *rec, int i, int64_t min,
                     int64_t *out, char *e, size_t es)
{
    csv_field v = field_of(rec, rr->col[i]);
    shown sv;
    double dv;
    if (rr->col[i] < 0 || replay_is_null(v.p, v.len))
        return 1;
    if (replay_parse_whole(v.p, v.len, out) != 0) {
        bool num = replay_parse_double(v.p, v.len, rr->decimal_comma, &dv) == 0;
        fail(e, es, R_BAD, "bad %s '%s'%s", rr->colname[i], show(sv, v.p, v.len),
             num ? " (not a whole number)" : "");
        return -1;
    }
    if (*out < min) {
        fail(e, es, R_BAD, "bad %s '%s' (not >= %lld)", rr->colname[i], show(sv, v.p, v.len),
             (long long)min);
        return -1;
    }
    return 0;
}

/* Copies text field i into dst; -1 with e if empty (when required), too long or not printable. */
static int get_text(const replay_reader *rr, const csv_record *rec, int i, char *dst, size_t dstsz,
                    bool required, char *e, size_t es)
{
    csv_field v = csv_trim(field_of(rec, rr->col[i]));
    shown sv;
    if (v.len == 0) {
        dst[0] = '\0';
        return required ? fail(e, es, -1, "missing %s", rr->colname[i]) : 0;
    }
    if (v.len >= dstsz)
        return fail(e, es, -1, "bad %s '%s' (longer than %zu bytes)", rr->colname[i],
                    show(sv, v.p, v.len), dstsz - 1);
    if (!printable_utf8(v.p, v.len))
        return fail(e, es, -1, "bad %s '%s' (not printable UTF-8)", rr->colname[i],
                    show(sv, v.p, v.len));
    memcpy(dst, v.p, v.len);
    dst[v.len] = '\0';
    return 0;
}

/* Reads the date v of a daily row on line, settling the file's order of
 * year-last dates if the look-ahead left it open. 0, or -1 with e. */
static int get_day(replay_reader *rr, csv_field v, int64_t line, int64_t *day_ns, char *e,
                   size_t es)
{
    replay_day d;
    shown sv;
    int rc = replay_parse_day(v.p, v.len, rr->order, &d);
    if (rr->order == REPLAY_DATE_AUTO && d.kind != REPLAY_DAY_PLAIN && d.kind != REPLAY_DAY_BAD &&
        !d.same_either && d.time != REPLAY_TIME_OTHER) {
        /* Past the look-ahead: the first year-last date settles the order. */
        if (d.kind == REPLAY_DAY_EITHER)
            decide_default(rr, &d, csv_trim(v), line, false);
        else
            decide_by(rr, &d, csv_trim(v), line, false);
    }
    if (rc == 0) {
        *day_ns = d.ns;
        return 0;
    }
    const char *name = rr->colname[D_DATE];
    v = csv_trim(v);
    if (d.kind == REPLAY_DAY_BAD)
        return fail(e, es, -1, "bad %s '%s'", name, show(sv, v.p, v.len));
    if (d.time == REPLAY_TIME_OTHER)
        return fail(e, es, -1, "bad %s '%s' (a time of day: daily rows are one a day, at 00:00)",
                    name, show(sv, v.p, v.len));
    if (rr->order == REPLAY_DATE_YMD)
        return fail(e, es, -1, "bad %s '%s' (year last, and --date-format ymd takes year first)",
                    name, show(sv, v.p, v.len));
    return fail(e, es, -1, "bad %s '%s' (not a date %s, %s)", name, show(sv, v.p, v.len),
                order_words(rr->order), rr->order_why);
}

static int decode_daily(replay_reader *rr, const csv_record *rec, index_daily *d, char *e,
                        size_t es)
{
    shown sv;
    if (check_count(rr, rec, e, es) != R_ROW)
        return R_BAD;
    csv_field v = field_of(rec, rr->col[D_DATE]);
    if (replay_is_null(v.p, v.len))
        return fail(e, es, R_BAD, "missing %s", rr->colname[D_DATE]);
    if (get_day(rr, v, rec->line, &d->date_ns, e, es) != 0)
        return R_BAD;
    if (!replay_range_contains(&rr->range, d->date_ns))
        return R_FILTERED;
    lake_date(d->date_ns, d->date);
    if (rr->col[D_INDEX] < 0)
        memcpy(d->index, rr->symbol, sizeof(d->index));
    else if (get_text(rr, rec, D_INDEX, d->index, sizeof(d->index), true, e, es) != 0)
        return R_BAD;
    double px[D_USD + 1] = {0};
    bool has[D_USD + 1] = {false};
    int present = 0;
    for (int i = D_OPEN; i <= D_USD; i++) {
        if (i == D_VOLUME)
            continue;
        int rc = get_price(rr, rec, i, &px[i], e, es);
        if (rc < 0)
            return R_BAD;
        has[i] = rc == 0;
        present += has[i] && i != D_USD;
    }
    if (present == 0)
        return fail(e, es, R_SKIP, "no prices");
    for (int i = D_OPEN; i <= D_CLOSE; i++)
        if (!has[i])
            return fail(e, es, R_BAD, "missing %s", rr->colname[i]);
    if (px[D_HIGH] < px[D_LOW]) {
        csv_field h = csv_trim(field_of(rec, rr->col[D_HIGH]));
        csv_field l = csv_trim(field_of(rec, rr->col[D_LOW]));
        shown sl;
        return fail(e, es, R_BAD, "%s '%s' is below %s '%s'", rr->colname[D_HIGH],
                    show(sv, h.p, h.len), rr->colname[D_LOW], show(sl, l.p, l.len));
    }
    int vr = get_whole(rr, rec, D_VOLUME, 0, &d->volume, e, es);
    if (vr < 0)
        return R_BAD;
    d->has_volume = vr == 0;
    d->open = px[D_OPEN];
    d->high = px[D_HIGH];
    d->low = px[D_LOW];
    d->close = px[D_CLOSE];
    d->has_adj_close = has[D_ADJ];
    d->adj_close = has[D_ADJ] ? px[D_ADJ] : 0;
    d->has_close_usd = has[D_USD];
    d->close_usd = has[D_USD] ? px[D_USD] : 0;
    const index_info_entry *en = index_info_lookup(rr->opt.info, d->index);
    if (en) {
        memcpy(d->region, en->region, sizeof(d->region));
        memcpy(d->exchange, en->exchange, sizeof(d->exchange));
        memcpy(d->currency, en->currency, sizeof(d->currency));
    } else if (rr->opt.info) {
        rr->st.unenriched++;
    }
    return R_ROW;
}

static int decode_trade(replay_reader *rr, const csv_record *rec, trade *t, char *e, size_t es)
{
    shown sv;
    if (check_count(rr, rec, e, es) != R_ROW)
        return R_BAD;
    csv_field v = field_of(rec, rr->col[T_TS]);
    if (replay_is_null(v.p, v.len))
        return fail(e, es, R_BAD, "missing %s", rr->colname[T_TS]);
    if (replay_parse_ts(v.p, v.len, rr->opt.ts_unit, &t->ts) != 0)
        return fail(e, es, R_BAD, "bad %s '%s'", rr->colname[T_TS], show(sv, v.p, v.len));
    if (!replay_range_contains(&rr->range, t->ts))
        return R_FILTERED;
    if (rr->col[T_SYMBOL] < 0)
        memcpy(t->symbol, rr->symbol, sizeof(t->symbol));
    else if (get_text(rr, rec, T_SYMBOL, t->symbol, sizeof(t->symbol), true, e, es) != 0)
        return R_BAD;
    int rc = get_price(rr, rec, T_PRICE, &t->price, e, es);
    if (rc < 0)
        return R_BAD;
    if (rc == 1)
        return fail(e, es, R_BAD, "missing %s", rr->colname[T_PRICE]);
    rc = get_whole(rr, rec, T_SIZE, 1, &t->size, e, es);
    if (rc < 0)
        return R_BAD;
    if (rc == 1)
        return fail(e, es, R_BAD, "missing %s", rr->colname[T_SIZE]);
    if (rr->col[T_ID] >= 0) {
        rc = get_whole(rr, rec, T_ID, INT64_MIN, &t->id, e, es);
        if (rc < 0)
            return R_BAD;
        if (rc == 1)
            return fail(e, es, R_BAD, "missing %s", rr->colname[T_ID]);
    } else {
        t->id = rr->next_id;
    }
    if (rr->col[T_VENUE] >= 0) {
        v = field_of(rec, rr->col[T_VENUE]);
        if (!replay_is_null(v.p, v.len) &&
            get_text(rr, rec, T_VENUE, t->venue, sizeof(t->venue), false, e, es) != 0)
            return R_BAD;
    }
    memcpy(t->source, rr->opt.source, strlen(rr->opt.source) + 1);
    if (rr->col[T_ID] < 0)
        rr->next_id++;
    return R_ROW;
}

/* Whether every field is empty or a null token. */
static bool all_null(const csv_record *rec)
{
    for (size_t i = 0; i < rec->nfields; i++)
        if (!replay_is_null(rec->fields[i].p, rec->fields[i].len))
            return false;
    return true;
}

replay_status replay_next(replay_reader *rr, replay_row *row, char *reason, size_t reason_size)
{
    for (;;) {
        if (rr->done)
            return REPLAY_EOF;
        csv_record rec;
        char e[512];
        csv_status s = next_record(rr, &rec, e, sizeof(e));
        if (s == CSV_EOF) {
            rr->done = true;
            return REPLAY_EOF;
        }
        if (s == CSV_ERROR) {
            rr->done = true;
            set_err(reason, reason_size, "%s: %s", rr->name, e);
            return REPLAY_FATAL;
        }
        rr->st.records++;
        row->line = rec.line;
        row->format = rr->fmt;
        if (s == CSV_BAD) {
            rr->st.bad++;
            set_err(reason, reason_size, "%s:%lld: %s", rr->name, (long long)rec.line, e);
            return REPLAY_BAD;
        }
        if (rec.blank) {
            rr->st.blank++;
            continue;
        }
        int rc;
        if (rr->fmt == REPLAY_FMT_INDEX_DAILY) {
            memset(&row->daily, 0, sizeof(row->daily));
            rc = decode_daily(rr, &rec, &row->daily, e, sizeof(e));
        } else {
            memset(&row->trade, 0, sizeof(row->trade));
            rc = decode_trade(rr, &rec, &row->trade, e, sizeof(e));
        }
        if (rc == R_ROW) {
            rr->st.rows++;
            return REPLAY_ROW;
        }
        if (rc == R_FILTERED) {
            rr->st.filtered++;
            continue;
        }
        if (all_null(&rec)) {
            rr->st.blank++;
            continue;
        }
        if (csv_header_is_repeat(&rr->hdr, &rec)) {
            rc = R_SKIP;
            snprintf(e, sizeof(e), "repeated header");
        }
        const char *cut =
            rc == R_BAD && !rec.eol ? " (the last line has no line break: file cut short?)" : "";
        set_err(reason, reason_size, "%s:%lld: %s%s", rr->name, (long long)rec.line, e, cut);
        if (rc == R_SKIP) {
            rr->st.skipped++;
            return REPLAY_SKIP;
        }
        rr->st.bad++;
        return REPLAY_BAD;
    }
}
