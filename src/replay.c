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

static void trim(const char **s, size_t *n)
{
    while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
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
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return false;
            i++;
            continue;
        }
        size_t len;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0x80 && cp < 0xA0))
            return false;
        i += len;
    }
    return true;
}

/* s[0..n) for a message: at most VALUE_SHOW bytes, other than printable
 * ASCII as \xHH, "..." when cut. out needs VALUE_SHOW * 4 + 4 bytes. */
static const char *show(char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n && i < VALUE_SHOW; i++) {
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
    if (n > VALUE_SHOW) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

typedef char shown[VALUE_SHOW * 4 + 4];

/* ---- values ------------------------------------------------------------------ */

bool replay_is_null(const char *s, size_t n)
{
    static const char *const tokens[] = {"null", "nan", "n/a", "na", "none", "-", "#n/a"};
    trim(&s, &n);
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
    trim(&s, &n);
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
    trim(&s, &n);
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

/* Howard Hinnant's days_from_civil (as lakepath.c). */
static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Days since the epoch of a valid calendar date in years 1..9999, or -1. */
static int civil_days(int y, int m, int d, int64_t *days)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap))
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

/* "1" or "12" at s[*i], then sep; -1 if not. */
static int small_number(const char *s, size_t n, size_t *i, char sep)
{
    int v = 0;
    size_t start = *i;
    while (*i < n && is_digit(s[*i]) && *i - start < 2)
        v = v * 10 + (s[(*i)++] - '0');
    if (*i == start || *i >= n || s[*i] != sep)
        return -1;
    (*i)++;
    return v;
}

int replay_parse_date(const char *s, size_t n, int64_t *day_ns)
{
    trim(&s, &n);
    int y, m, d;
    if (n == 10 && s[4] == '-' && s[7] == '-') {
        y = four_digits(s);
        m = two_digits(s + 5);
        d = two_digits(s + 8);
    } else {
        size_t i = 0;
        d = small_number(s, n, &i, '/');
        m = d < 0 ? -1 : small_number(s, n, &i, '/');
        y = m < 0 || n - i != 4 ? -1 : four_digits(s + i);
    }
    int64_t days, ns;
    if (y < 0 || m < 0 || d < 0 || civil_days(y, m, d, &days) != 0 ||
        __builtin_mul_overflow(days, NS_PER_DAY, &ns) || ns < MIN_NS || ns >= END_NS)
        return -1;
    *day_ns = ns;
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
    trim(&s, &n);
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

static int parse_bound(const char *s, bool is_to, int64_t *out)
{
    size_t n = strlen(s);
    int64_t v;
    if (replay_parse_date(s, n, &v) == 0) {
        *out = is_to ? v + NS_PER_DAY : v; /* dates end in 2261: no overflow */
        return 0;
    }
    if (replay_parse_ts(s, n, REPLAY_TS_AUTO, &v) == 0) {
        *out = is_to ? v + 1 : v; /* timestamps end before 2262: no overflow */
        return 0;
    }
    return -1;
}

int replay_range_parse(replay_range *r, const char *from, const char *to, char *errstr,
                       size_t errstr_size)
{
    replay_range x;
    replay_range_all(&x);
    if (from && parse_bound(from, false, &x.from_ns) != 0)
        return set_err(errstr, errstr_size,
                       "bad --from '%s': expected YYYY-MM-DD, DD/MM/YYYY or a timestamp", from);
    if (to && parse_bound(to, true, &x.to_ns) != 0)
        return set_err(errstr, errstr_size,
                       "bad --to '%s': expected YYYY-MM-DD, DD/MM/YYYY or a timestamp", to);
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

enum { T_SYMBOL, T_TS, T_PRICE, T_SIZE, T_ID, T_VENUE, T_NFIELDS };
enum { D_INDEX, D_DATE, D_OPEN, D_HIGH, D_LOW, D_CLOSE, D_ADJ, D_VOLUME, D_USD, D_NFIELDS };
#define MAX_FIELDS 9

static const field_spec trade_fields[T_NFIELDS] = {
    {"symbol", {"ticker", "sym", NULL}, true},
    {"timestamp", {"ts", "time", "datetime", NULL}, true},
    {"price", {NULL}, true},
    {"size", {"qty", "quantity", NULL}, true},
    {"id", {"trade_id", NULL}, false},
    {"venue", {"mic", NULL}, false},
};

static const field_spec daily_fields[D_NFIELDS] = {
    {"index", {NULL}, true},      {"date", {NULL}, true},    {"open", {NULL}, true},
    {"high", {NULL}, true},       {"low", {NULL}, true},     {"close", {NULL}, true},
    {"adj_close", {NULL}, false}, {"volume", {NULL}, false}, {"close_usd", {NULL}, false},
};

struct replay_reader {
    char *name;
    csv_reader *csv;
    csv_header hdr;
    replay_format fmt;
    replay_options opt;
    replay_range range;
    bool decimal_comma;
    int col[MAX_FIELDS];             /* column of each field, -1 if absent */
    const char *colname[MAX_FIELDS]; /* its header name (trimmed copy) for messages */
    char *colnames;                  /* storage of colname */
    int64_t next_id;
    replay_stats st;
    bool done;
};

static bool spec_has(const field_spec *specs, size_t n, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (csv_name_eq(field, strlen(field), specs[i].name))
            return true;
    return false;
}

/* Finds the columns of specs in the header. 0; 1 if a required one is
 * missing (missing names it); -1 on another error (errstr). */
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
        if (c < 0 && specs[i].required && !*missing)
            *missing = specs[i].name;
    }
    return *missing ? 1 : 0;
}

static int setup_columns(replay_reader *rr, int64_t hline, char *errstr, size_t errstr_size)
{
    const csv_map *map = rr->opt.map;
    char e[256];
    const char *missing = NULL;
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
            return set_err(errstr, errstr_size, "%s:%lld: no column for '%s'; use --map %s=Column",
                           rr->name, (long long)hline, missing, missing);
    }
    if (fmt != REPLAY_FMT_INDEX_DAILY) {
        rc = resolve(rr, trade_fields, T_NFIELDS, &missing, e, sizeof(e));
        if (rc < 0)
            return set_err(errstr, errstr_size, "%s:%lld: %s", rr->name, (long long)hline, e);
        if (rc == 1 && fmt == REPLAY_FMT_TRADES)
            return set_err(errstr, errstr_size, "%s:%lld: no column for '%s'; use --map %s=Column",
                           rr->name, (long long)hline, missing, missing);
        if (rc == 1)
            return set_err(errstr, errstr_size,
                           "%s:%lld: the header is neither index daily (Index, Date, Open, High, "
                           "Low, Close, ...) nor trades (symbol, timestamp, price, size, ...); "
                           "use --format and --map",
                           rr->name, (long long)hline);
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
    return 0;
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
    csv_header_set(&rr->hdr, &rec);
    rr->decimal_comma = csv_reader_delim(csv) == ';';
    if (setup_columns(rr, rec.line, errstr, errstr_size) != 0)
        goto fail;
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

static csv_field field_of(const csv_record *rec, int col)
{
    return col >= 0 && (size_t)col < rec->nfields ? rec->fields[col] : (csv_field){"", 0};
}

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

static int decode_daily(replay_reader *rr, const csv_record *rec, index_daily *d, char *e,
                        size_t es)
{
    shown sv;
    if (check_count(rr, rec, e, es) != R_ROW)
        return R_BAD;
    csv_field v = field_of(rec, rr->col[D_DATE]);
    if (replay_is_null(v.p, v.len))
        return fail(e, es, R_BAD, "missing %s", rr->colname[D_DATE]);
    if (replay_parse_date(v.p, v.len, &d->date_ns) != 0)
        return fail(e, es, R_BAD, "bad %s '%s'", rr->colname[D_DATE], show(sv, v.p, v.len));
    if (!replay_range_contains(&rr->range, d->date_ns))
        return R_FILTERED;
    lake_date(d->date_ns, d->date);
    if (get_text(rr, rec, D_INDEX, d->index, sizeof(d->index), true, e, es) != 0)
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
    const index_info_entry *en = index_info_find(rr->opt.info, d->index);
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
    if (get_text(rr, rec, T_SYMBOL, t->symbol, sizeof(t->symbol), true, e, es) != 0)
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
        csv_status s = csv_next(rr->csv, &rec, e, sizeof(e));
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
