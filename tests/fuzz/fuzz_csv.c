/* fuzz_csv.c - libFuzzer target: the CSV record reader, the replay row
 * decoders and the value parsers accept or reject any bytes without crashing,
 * and:
 *   - a buffer and a FILE* read in small chunks yield the same records, rows
 *     and reasons;
 *   - every good index row encodes to JSON and decodes back to the same row,
 *     every good trade likewise through the trades codec;
 *   - a date, timestamp or number the parsers accept reads back the same
 *     after formatting.
 *   - a daily date read in any order is the day its ISO form reads back as,
 *     and a date that reads in an order is not BAD;
 *   - a symbol taken from a file name is one --symbol accepts.
 * The first input byte chooses the options (format, epoch unit, chunk size,
 * delimiter, --map, --from/--to, --symbol, --date-format); the rest is the
 * file. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "lakepath.h"
#include "replay.h"
#include "tick.h"

static const char INFO[] = "\xEF\xBB\xBFRegion,Exchange,Index,Currency\r\n"
                           "United States,New York Stock Exchange,NYA,USD\r\n"
                           "Hong Kong,Hong Kong Stock Exchange,HSI,HKD\r\n"
                           "Japan,Tokyo Stock Exchange,N225,JPY\r\n";

static void csv_transcript(csv_reader *r, buf *out)
{
    csv_record rec;
    char err[256];
    for (;;) {
        csv_status s = csv_next(r, &rec, err, sizeof(err));
        buf_printf(out, "%d:", (int)s);
        if (s == CSV_EOF)
            return;
        if (s == CSV_ERROR) {
            buf_puts(out, err);
            return;
        }
        buf_printf(out, "%lld:", (long long)rec.line);
        if (s == CSV_BAD) {
            buf_printf(out, "%s\n", err);
            continue;
        }
        if (rec.nfields < 1)
            abort();
        for (size_t i = 0; i < rec.nfields; i++) {
            if (rec.fields[i].p[rec.fields[i].len] != '\0')
                abort();
            buf_printf(out, "%zu=", rec.fields[i].len);
            buf_append(out, rec.fields[i].p, rec.fields[i].len);
        }
        buf_printf(out, "%d%d\n", rec.eol, rec.blank);
    }
}

static void check_daily(const index_daily *d, buf *out)
{
    char err[256];
    buf b = {0};
    index_daily e;
    index_daily_encode_json(d, &b);
    if (!(d->open > 0 && d->high >= d->low && isfinite(d->high)))
        abort();
    if (index_daily_decode_json(b.data, b.len, &e, err, sizeof(err)) != 0 ||
        strcmp(d->index, e.index) != 0 || strcmp(d->date, e.date) != 0 || d->date_ns != e.date_ns ||
        d->open != e.open || d->high != e.high || d->low != e.low || d->close != e.close ||
        d->has_adj_close != e.has_adj_close || (d->has_adj_close && d->adj_close != e.adj_close) ||
        d->has_volume != e.has_volume || (d->has_volume && d->volume != e.volume) ||
        d->has_close_usd != e.has_close_usd || (d->has_close_usd && d->close_usd != e.close_usd) ||
        strcmp(d->region, e.region) != 0 || strcmp(d->exchange, e.exchange) != 0 ||
        strcmp(d->currency, e.currency) != 0)
        abort();
    buf_append(out, b.data, b.len);
    buf_release(&b);
}

static void check_trade(const trade *t, buf *out)
{
    char err[256];
    buf b = {0};
    trade u;
    trade_encode_json(t, &b);
    if (trade_decode_json(b.data, b.len, &u, err, sizeof(err)) != 0 ||
        memcmp(t, &u, sizeof(u)) != 0)
        abort();
    buf_append(out, b.data, b.len);
    buf_release(&b);
}

static void replay_transcript(replay_reader *rr, buf *out)
{
    replay_row row;
    char reason[512];
    replay_status s;
    while ((s = replay_next(rr, &row, reason, sizeof(reason))) != REPLAY_EOF) {
        buf_printf(out, "%d:", (int)s);
        if (s == REPLAY_FATAL) {
            buf_puts(out, reason);
            break;
        }
        buf_printf(out, "%lld:", (long long)row.line);
        if (s != REPLAY_ROW)
            buf_puts(out, reason);
        else if (row.format == REPLAY_FMT_INDEX_DAILY)
            check_daily(&row.daily, out);
        else if (row.format == REPLAY_FMT_TRADES)
            check_trade(&row.trade, out);
        else
            abort();
        buf_putc(out, '\n');
    }
    const replay_stats *st = replay_reader_stats(rr);
    if (st->rows + st->bad + st->skipped + st->blank + st->filtered != st->records)
        abort();
    buf_printf(out, "%lld %lld %lld %lld %lld %lld %lld %lld", (long long)st->records,
               (long long)st->rows, (long long)st->bad, (long long)st->skipped,
               (long long)st->blank, (long long)st->filtered, (long long)st->unenriched,
               (long long)replay_reader_next_id(rr));
}

static FILE *open_mem(const char *data, size_t size)
{
    return size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
}

static void fuzz_csv_reader(const char *data, size_t size, uint8_t sel)
{
    /* Small reads put record boundaries everywhere; the reader parses a record
     * again from its start after each read, so keep them moderate on long input. */
    static const size_t chunks[8] = {1, 2, 3, 7, 16, 61, 256, 4096};
    size_t chunk = chunks[sel >> 5];
    if (size > 512 && chunk < 16)
        chunk += 16;
    csv_options o = {.delim = (sel & 3) == 1 ? ';' : 0, .chunk = chunk};
    buf a = {0}, b = {0};
    csv_reader *r = csv_reader_new_buffer(data, size, &o);
    csv_transcript(r, &a);
    csv_reader_free(r);
    FILE *f = open_mem(data, size);
    if (f) {
        r = csv_reader_new_file(f, &o);
        csv_transcript(r, &b);
        csv_reader_free(r);
        fclose(f);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            abort();
    }
    buf_release(&a);
    buf_release(&b);
}

static void fuzz_replay(const char *data, size_t size, uint8_t sel, const index_info *info)
{
    static csv_map trade_map, daily_map;
    static int maps_ready;
    char err[512];
    if (!maps_ready) {
        if (csv_map_parse(&trade_map, "symbol=s,price=p", err, sizeof(err)) != 0 ||
            csv_map_parse(&daily_map, "index=i,volume=v", err, sizeof(err)) != 0)
            abort();
        maps_ready = 1;
    }
    replay_range range;
    if (replay_range_parse(&range, "1990-01-01", "2030-12-31", REPLAY_DATE_AUTO, err,
                           sizeof(err)) != 0)
        abort();
    /* --symbol, --date-format and the file name: the selector's bits mixed,
     * so that every combination comes with some of the others. */
    unsigned mix = (sel * 167u + 13u) % 256u;
    replay_options o = {
        .symbol = mix % 5 == 0 ? "^GSPC" : NULL,
        .date_order = (replay_date_order)(mix / 5 % 4),
        .format = (replay_format)(sel % 3),
        .ts_unit = (replay_ts_unit)((sel >> 2) % 5),
        .info = info,
        .first_id = 1,
        .range = (sel & 0x20) ? &range : NULL,
        .map = (sel & 0xC0) == 0x40   ? &trade_map
               : (sel & 0xC0) == 0x80 ? &daily_map
                                      : NULL,
    };
    buf a = {0}, b = {0};
    char err_a[512] = "", err_b[512] = "";
    /* The name gives a symbol for files without a symbol column, or not. */
    const char *name = mix / 20 % 2 ? "^F.csv" : "-";
    replay_reader *rr = replay_open_buffer(name, data, size, &o, err_a, sizeof(err_a));
    if (rr) {
        const replay_note *notes;
        size_t nn = replay_reader_notes(rr, &notes);
        if (replay_reader_format(rr) == REPLAY_FMT_AUTO || nn > REPLAY_MAX_NOTES)
            abort();
        for (size_t i = 0; i < nn; i++)
            if (strncmp(notes[i].text, name, strlen(name)) != 0)
                abort();
        replay_transcript(rr, &a);
        replay_close(rr);
    }
    FILE *f = open_mem(data, size);
    if (f) {
        replay_reader *rf = replay_open_file(name, f, &o, err_b, sizeof(err_b));
        if (!rf != !rr || strcmp(err_a, err_b) != 0)
            abort();
        if (rf) {
            replay_transcript(rf, &b);
            replay_close(rf);
            if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
                abort();
        }
        fclose(f);
    }
    buf_release(&a);
    buf_release(&b);
}

static void fuzz_values(const char *s, size_t n)
{
    char tmp[128];
    int64_t v, w;
    double d, e;
    bool null = replay_is_null(s, n);
    if (replay_parse_date(s, n, REPLAY_DATE_AUTO, &v) == 0) {
        char date[LAKE_DATE_LEN];
        lake_date(v, date);
        if (null || replay_parse_date(date, strlen(date), REPLAY_DATE_YMD, &w) != 0 || v != w)
            abort();
    }
    for (int order = 0; order < 4; order++) {
        replay_day d;
        int rc = replay_parse_day(s, n, (replay_date_order)order, &d);
        if (rc == 0) {
            char date[LAKE_DATE_LEN];
            lake_date(d.ns, date);
            if (d.kind == REPLAY_DAY_BAD || d.time == REPLAY_TIME_OTHER ||
                replay_parse_date(date, strlen(date), REPLAY_DATE_YMD, &w) != 0 || d.ns != w ||
                lake_day_start(d.ns) != d.ns)
                abort();
        }
        if (order == REPLAY_DATE_AUTO && rc != 0 && d.kind != REPLAY_DAY_BAD &&
            d.time != REPLAY_TIME_OTHER)
            abort(); /* AUTO reads every date */
    }
    if (n < 64) {
        char name[64], sym[TICK_SYMBOL_MAX];
        memcpy(name, s, n);
        name[n] = '\0';
        if (strlen(name) == n && replay_symbol_from_name(name, sym) == 0 && !replay_symbol_ok(sym))
            abort();
    }
    if (replay_parse_ts(s, n, REPLAY_TS_AUTO, &v) == 0) {
        /* Write it back as RFC 3339 with all nine fraction digits. */
        int64_t day = lake_day_start(v), tod = v - day;
        char date[LAKE_DATE_LEN];
        lake_date(v, date);
        snprintf(tmp, sizeof(tmp), "%sT%02lld:%02lld:%02lld.%09lldZ", date,
                 (long long)(tod / (3600 * NS_PER_SEC)), (long long)(tod / (60 * NS_PER_SEC) % 60),
                 (long long)(tod / NS_PER_SEC % 60), (long long)(tod % NS_PER_SEC));
        if (null || replay_parse_ts(tmp, strlen(tmp), REPLAY_TS_S, &w) != 0 || v != w)
            abort();
    }
    if (replay_parse_double(s, n, n & 1, &d) == 0) {
        snprintf(tmp, sizeof(tmp), "%.17g", d);
        if (!isfinite(d) || replay_parse_double(tmp, strlen(tmp), false, &e) != 0 ||
            (d != e && !(d == 0 && e == 0)))
            abort();
    }
    if (replay_parse_whole(s, n, &v) == 0) {
        snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
        if (replay_parse_whole(tmp, strlen(tmp), &w) != 0 || v != w)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *raw, size_t raw_size)
{
    static index_info info;
    static int info_ready;
    char err[256];
    if (!info_ready) {
        if (index_info_load(&info, "i.csv", INFO, strlen(INFO), err, sizeof(err)) != 0)
            abort();
        info_ready = 1;
    }
    if (raw_size < 1)
        return 0;
    uint8_t sel = raw[0];
    const char *data = (const char *)raw + 1;
    size_t size = raw_size - 1;

    fuzz_csv_reader(data, size, sel);
    fuzz_replay(data, size, sel, &info);

    index_info t = {0};
    if (index_info_load(&t, "x.csv", data, size, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < t.n; i++)
            if (index_info_find(&t, t.v[i].index) != &t.v[i] || !t.v[i].index[0])
                abort();
    }
    index_info_release(&t);

    /* The values: the first line, at most 80 bytes. */
    size_t n = 0;
    while (n < size && n < 80 && data[n] != '\n')
        n++;
    fuzz_values(data, n);
    return 0;
}
