/* replay.c - the row reader of historical CSV files; see replay.h.
 *
 * The reader resolves the header into column indexes once and then decodes
 * each record by index with the value parsers of replay_value.h. With
 * REPLAY_DATE_AUTO, daily rows are read ahead at open (csv_ahead.h) to find
 * the order of year-last dates. A row's checks run in a fixed order (field
 * count, date or time, range, then the other fields left to right) so that
 * its reason is predictable. */
#include "replay.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "csv_ahead.h"

#define VALUE_SHOW 40 /* bytes of a bad value quoted in a reason */

/* ---- messages ---------------------------------------------------------------- */

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
    csv_ahead ahead; /* records read ahead at open, delivered first */
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
    for (int rows = 0;
         rows < REPLAY_DATE_LOOKAHEAD && csv_ahead_bytes(&rr->ahead) < REPLAY_LOOKAHEAD_BYTES;) {
        csv_status s = csv_ahead_read(&rr->ahead, rr->csv, &rec, e, sizeof(e));
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
        !utf8_printable(rr->opt.source, strlen(rr->opt.source))) {
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
    csv_ahead_release(&rr->ahead);
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
    if (!utf8_printable(v.p, v.len))
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

/* Field i's text as written, for a reason that names the value. */
static const char *shown_field(const replay_reader *rr, const csv_record *rec, int i, shown sv)
{
    csv_field v = field_of(rec, rr->col[i]);
    return show(sv, v.p, v.len);
}

/* The ranges the processor and the sink hold every trade to
 * (trade_check_range): a row outside them would be delivered only to be
 * counted bad downstream, so it is unusable here, named by its column and
 * value as written. */
static int check_trade_range(const replay_reader *rr, const csv_record *rec, const trade *t,
                             char *e, size_t es)
{
    shown sv;
    if (t->ts < TICK_TS_MIN || t->ts > TICK_TS_MAX)
        return fail(e, es, R_BAD, "bad %s '%s' (outside 1800-01-01 to 2200-01-01)",
                    rr->colname[T_TS], shown_field(rr, rec, T_TS, sv));
    if (t->price > TICK_PRICE_MAX)
        return fail(e, es, R_BAD, "bad %s '%s' (above 1e12)", rr->colname[T_PRICE],
                    shown_field(rr, rec, T_PRICE, sv));
    if (t->size > TICK_SIZE_MAX)
        return fail(e, es, R_BAD, "bad %s '%s' (above 1e15)", rr->colname[T_SIZE],
                    shown_field(rr, rec, T_SIZE, sv));
    /* Whatever else trade_check_range may come to hold. */
    if (trade_check_range(t, e, es) != 0)
        return R_BAD;
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
    if (check_trade_range(rr, rec, t, e, es) != R_ROW)
        return R_BAD;
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
        csv_status s = csv_ahead_next(&rr->ahead, rr->csv, &rec, e, sizeof(e));
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
        if (rec.last_line > rec.line)
            /* A quoted field spans lines: a stray opening quote takes every
             * line up to the next quote into this one record. */
            set_err(reason, reason_size,
                    "%s:%lld-%lld: %s%s (one record: a quoted field spans lines %lld to %lld; a "
                    "stray quote?)",
                    rr->name, (long long)rec.line, (long long)rec.last_line, e, cut,
                    (long long)rec.line, (long long)rec.last_line);
        else
            set_err(reason, reason_size, "%s:%lld: %s%s", rr->name, (long long)rec.line, e, cut);
        if (rc == R_SKIP) {
            rr->st.skipped++;
            return REPLAY_SKIP;
        }
        rr->st.bad++;
        return REPLAY_BAD;
    }
}
