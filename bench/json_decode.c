/* json_decode.c - records per second decoding ticklake's own JSON trades, quotes and bars with the
 * JSON readers we could use: the hand-written reader json.c had before yyjson (compiled from git,
 * symbols renamed hw_*), yyjson, cJSON and jansson (bench/json_decode_jansson.c: its names clash
 * with json.h), plus ticklake's own decoders (trade_decode_json, quote_decode_json,
 * bar_decode_json), which also validate every field.
 *
 * The records come from the real encoders (tick.c, bar.c): 200,000 of each kind, varied symbols,
 * cent-grid prices, nanosecond times, one after another in one buffer as a consumer sees them. Each
 * reader parses a record and copies every member the decoder reads (strings into fixed buffers,
 * integers and doubles by type) into a struct, so every reader does the same work. Rates are
 * records per second of the thread's CPU time, which a busy shared machine disturbs far less than
 * the wall clock.
 *
 *   bench/json-decode.sh [RUNS]     builds this and prints records/s per reader, median of RUNS
 *
 * Then the other direction, as ingest does it: trades per second encoded by ticklake's encoder
 * (trade_encode_json) and by yyjson's writer (a mutable document per trade, written with a pool
 * allocator), and whether the bytes are identical.
 *
 * docs/PERFORMANCE.md ("JSON decode") records the results. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bar.h"
#include "json.h"
#include "json_decode.h"
#include "tick.h"
#include "util.h"
#include "yyjson.h"

/* The reader json.c held before yyjson, built from git by bench/json-decode.sh. */
json_doc *hw_json_parse(const char *text, size_t len, char *errstr, size_t errstr_size);
const json_value *hw_json_root(const json_doc *doc);
void hw_json_doc_free(json_doc *doc);
const json_value *hw_json_get(const json_value *obj, const char *key);

#define NREC 200000

static const field trade_fields[] = {{"symbol", F_STR}, {"ts", F_INT}, {"price", F_NUM},
                                     {"size", F_INT},   {"id", F_INT}, {"venue", F_STR},
                                     {"source", F_STR}};
static const field quote_fields[] = {{"symbol", F_STR},   {"ts", F_INT},    {"bid", F_NUM},
                                     {"bid_size", F_INT}, {"ask", F_NUM},   {"ask_size", F_INT},
                                     {"id", F_INT},       {"venue", F_STR}, {"source", F_STR}};
static const field bar_fields[] = {{"symbol", F_STR}, {"interval", F_STR}, {"window_start", F_INT},
                                   {"open", F_NUM},   {"high", F_NUM},     {"low", F_NUM},
                                   {"close", F_NUM},  {"volume", F_INT},   {"turnover", F_NUM},
                                   {"vwap", F_NUM},   {"trades", F_INT}};

/* ---- one decoder per reader: parse, then fill slots from the fields ---------------------------
 */

static int dec_handwritten(const char *p, size_t n, const field *f, size_t nf, slot *out)
{
    char err[128];
    json_doc *d = hw_json_parse(p, n, err, sizeof(err));
    if (!d)
        return -1;
    const json_value *o = hw_json_root(d);
    int rc = 0;
    for (size_t i = 0; i < nf && rc == 0; i++) {
        const json_value *v = hw_json_get(o, f[i].name);
        if (!v)
            rc = -1;
        else if (f[i].kind == F_STR && v->type == JSON_STRING && v->len < sizeof(out[i].s))
            memcpy(out[i].s, v->str, v->len + 1);
        else if (f[i].kind == F_INT && v->type == JSON_NUMBER && v->is_int)
            out[i].i = v->i;
        else if (f[i].kind == F_NUM && v->type == JSON_NUMBER)
            out[i].d = v->num;
        else
            rc = -1;
    }
    hw_json_doc_free(d);
    return rc;
}

static int dec_yyjson(const char *p, size_t n, const field *f, size_t nf, slot *out)
{
    yyjson_doc *d = yyjson_read_opts((char *)p, n, 0, NULL, NULL);
    if (!d)
        return -1;
    yyjson_val *o = yyjson_doc_get_root(d);
    int rc = 0;
    for (size_t i = 0; i < nf && rc == 0; i++) {
        yyjson_val *v = yyjson_obj_get(o, f[i].name);
        if (f[i].kind == F_STR && yyjson_is_str(v) && yyjson_get_len(v) < sizeof(out[i].s))
            memcpy(out[i].s, yyjson_get_str(v), yyjson_get_len(v) + 1);
        else if (f[i].kind == F_INT && yyjson_is_int(v))
            out[i].i = yyjson_get_sint(v);
        else if (f[i].kind == F_NUM && yyjson_is_num(v))
            out[i].d = yyjson_get_num(v);
        else
            rc = -1;
    }
    yyjson_doc_free(d);
    return rc;
}

static int dec_cjson(const char *p, size_t n, const field *f, size_t nf, slot *out)
{
    cJSON *o = cJSON_ParseWithLength(p, n);
    if (!o)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < nf && rc == 0; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f[i].name);
        if (f[i].kind == F_STR && cJSON_IsString(v) && strlen(v->valuestring) < sizeof(out[i].s))
            strcpy(out[i].s, v->valuestring);
        else if (f[i].kind == F_INT && cJSON_IsNumber(v))
            /* cJSON keeps numbers as doubles only (valueint is a clamped int): ts in ns
             * (19 digits) does not survive, so this reader could not be used as is. */
            out[i].i = (int64_t)v->valuedouble;
        else if (f[i].kind == F_NUM && cJSON_IsNumber(v))
            out[i].d = v->valuedouble;
        else
            rc = -1;
    }
    cJSON_Delete(o);
    return rc;
}

/* ticklake's decoders (validation included), adapted to the slot interface. */
static int dec_ticklake_trade(const char *p, size_t n, const field *f, size_t nf, slot *out)
{
    trade t;
    char err[128];
    int rc = trade_decode_json(p, n, &t, err, sizeof(err));
    out[0].i = t.ts;
    return rc;
}

static int dec_ticklake_quote(const char *p, size_t n, const field *f, size_t nf, slot *out)
{
    quote q;
    char err[128];
    int rc = quote_decode_json(p, n, &q, err, sizeof(err));
    out[0].i = q.ts;
    return rc;
}

static int dec_ticklake_bar(const char *p, size_t n, const field *f, size_t nf, slot *out)
{
    bar b;
    char err[128];
    int rc = bar_decode_json(p, n, &b, err, sizeof(err));
    out[0].i = b.window_start;
    return rc;
}

/* ---- records ----------------------------------------------------------------------------------
 */

typedef struct records {
    buf data;
    size_t off[NREC + 1];
} records;

static const char *const SYMS[] = {"AAPL",  "MSFT", "GOOGL", "AMZN", "NVDA", "META", "TSLA",
                                   "BRK.B", "JPM",  "V",     "UNH",  "XOM",  "JNJ",  "WMT",
                                   "PG",    "MA",   "HD",    "CVX",  "LLY",  "ABBV"};
#define NSYM (sizeof(SYMS) / sizeof(SYMS[0]))

static double cents(unsigned *seed, double lo)
{
    return lo + (double)(rand_r(seed) % 100000) / 100.0;
}

static void make_records(records *r, int kind)
{
    unsigned seed = 42;
    int64_t ts = 1764115200000000000LL;
    memset(&r->data, 0, sizeof(r->data));
    for (size_t i = 0; i < NREC; i++) {
        r->off[i] = r->data.len;
        ts += 1 + rand_r(&seed) % 5000000;
        const char *sym = SYMS[rand_r(&seed) % NSYM];
        if (kind == 0) {
            trade t = {.ts = ts,
                       .price = cents(&seed, 1),
                       .size = 1 + rand_r(&seed) % 1000,
                       .id = (int64_t)i + 1};
            strcpy(t.symbol, sym);
            strcpy(t.venue, "XSIM");
            strcpy(t.source, "sim");
            trade_encode_json(&t, &r->data);
        } else if (kind == 1) {
            double bid = cents(&seed, 1);
            quote q = {.ts = ts,
                       .bid = bid,
                       .bid_size = rand_r(&seed) % 2000,
                       .ask = bid + 0.01,
                       .ask_size = rand_r(&seed) % 2000,
                       .id = (int64_t)i + 1};
            strcpy(q.symbol, sym);
            strcpy(q.venue, "XSIM");
            strcpy(q.source, "sim");
            quote_encode_json(&q, &r->data);
        } else {
            double o = cents(&seed, 1), c = cents(&seed, 1);
            bar b = {.interval_ns = 60000000000LL,
                     .window_start = ts / 60000000000LL * 60000000000LL,
                     .open = o,
                     .close = c,
                     .high = (o > c ? o : c) + 0.5,
                     .low = (o < c ? o : c) - 0.5,
                     .volume = 1 + rand_r(&seed) % 100000,
                     .trades = 1 + rand_r(&seed) % 1000};
            strcpy(b.symbol, sym);
            b.turnover = b.volume * (o + c) / 2;
            b.vwap = b.turnover / (double)b.volume;
            bar_encode_json(&b, &r->data);
        }
    }
    r->off[NREC] = r->data.len;
}

static double now_s(void)
{
    struct timespec ts;
    /* CPU time of this thread: on a shared machine it is far steadier than the wall clock, and
     * the benchmark is one thread doing nothing but this. */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef int (*decoder)(const char *p, size_t n, const field *f, size_t nf, slot *out);

/* Median records per CPU second of runs passes over all records. */
static double measure(decoder dec, const records *r, const field *f, size_t nf, int runs,
                      int64_t *check)
{
    double rates[64];
    slot out[16];
    for (int k = 0; k < runs; k++) {
        double t0 = now_s();
        for (size_t i = 0; i < NREC; i++) {
            if (dec(r->data.data + r->off[i], r->off[i + 1] - r->off[i], f, nf, out) != 0) {
                fprintf(stderr, "record %zu did not decode: %.*s\n", i,
                        (int)(r->off[i + 1] - r->off[i]), r->data.data + r->off[i]);
                exit(1);
            }
            *check += out[0].i;
        }
        rates[k] = NREC / (now_s() - t0);
    }
    qsort(rates, (size_t)runs, sizeof(rates[0]), cmp_double);
    return rates[runs / 2];
}

/* One trade through yyjson's writer into out (reset first); pool: scratch memory. */
static void yy_encode(const trade *t, buf *out, void *pool, size_t pool_size)
{
    yyjson_alc alc;
    yyjson_alc_pool_init(&alc, pool, pool_size);
    yyjson_mut_doc *d = yyjson_mut_doc_new(&alc);
    yyjson_mut_val *o = yyjson_mut_obj(d);
    yyjson_mut_doc_set_root(d, o);
    yyjson_mut_obj_add_strn(d, o, "symbol", t->symbol, strlen(t->symbol));
    yyjson_mut_obj_add_sint(d, o, "ts", t->ts);
    yyjson_mut_obj_add_real(d, o, "price", t->price);
    yyjson_mut_obj_add_sint(d, o, "size", t->size);
    yyjson_mut_obj_add_sint(d, o, "id", t->id);
    yyjson_mut_obj_add_strn(d, o, "venue", t->venue, strlen(t->venue));
    yyjson_mut_obj_add_strn(d, o, "source", t->source, strlen(t->source));
    size_t len;
    char *j = yyjson_mut_write_opts(d, 0, &alc, &len, NULL);
    out->len = 0;
    buf_append(out, j, len);
}

/* Trades encoded per second by ticklake's encoder and yyjson's writer, median of runs. */
static void measure_encode(int runs)
{
    enum { N = 200000 };
    static trade ts[N];
    unsigned seed = 7;
    for (size_t i = 0; i < N; i++) {
        ts[i] = (trade){.ts = 1764115200000000000LL + (int64_t)i * 997,
                        .price = cents(&seed, 1),
                        .size = 1 + rand_r(&seed) % 1000,
                        .id = (int64_t)i + 1};
        strcpy(ts[i].symbol, SYMS[rand_r(&seed) % NSYM]);
        strcpy(ts[i].venue, "XSIM");
        strcpy(ts[i].source, "sim");
    }
    static unsigned char pool[16384];
    buf a = {0}, b = {0};
    size_t differ = 0;
    for (size_t i = 0; i < N; i++) {
        a.len = 0;
        trade_encode_json(&ts[i], &a);
        yy_encode(&ts[i], &b, pool, sizeof(pool));
        differ += a.len != b.len || memcmp(a.data, b.data, a.len) != 0;
    }
    double rates[2][64];
    size_t sink = 0;
    for (int k = 0; k < runs; k++) {
        double t0 = now_s();
        for (size_t i = 0; i < N; i++) {
            a.len = 0;
            trade_encode_json(&ts[i], &a);
            sink += a.len;
        }
        double t1 = now_s();
        for (size_t i = 0; i < N; i++) {
            yy_encode(&ts[i], &b, pool, sizeof(pool));
            sink += b.len;
        }
        double t2 = now_s();
        rates[0][k] = N / (t1 - t0);
        rates[1][k] = N / (t2 - t1);
    }
    for (int w = 0; w < 2; w++)
        qsort(rates[w], (size_t)runs, sizeof(double), cmp_double);
    printf("encode   %-22s %12.0f %8.2fx\n", "ticklake encoder", rates[0][runs / 2], 1.0);
    printf("encode   %-22s %12.0f %8.2fx   (%zu of %d trades differ in bytes)\n", "yyjson writer",
           rates[1][runs / 2], rates[1][runs / 2] / rates[0][runs / 2], differ, N);
    fprintf(stderr, "(encoded %zu bytes)\n", sink);
    buf_release(&a);
    buf_release(&b);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 64) {
        fprintf(stderr, "usage: json_decode [RUNS 1..64]\n");
        return 2;
    }
    static const char *const kinds[] = {"trade", "quote", "bar"};
    const field *fields[] = {trade_fields, quote_fields, bar_fields};
    size_t nfields[] = {sizeof(trade_fields) / sizeof(field), sizeof(quote_fields) / sizeof(field),
                        sizeof(bar_fields) / sizeof(field)};
    decoder own[] = {dec_ticklake_trade, dec_ticklake_quote, dec_ticklake_bar};
    static const char *const names[] = {"json.c (hand-written)", "yyjson", "cJSON", "jansson",
                                        "ticklake decoder"};
    static records r;
    int64_t check = 0;
    printf("%-8s %-22s %12s %8s   (median of %d runs over %d records)\n", "record", "reader",
           "records/s", "vs json.c", runs, NREC);
    printf("(records per CPU second of the benchmark thread)\n");
    for (int k = 0; k < 3; k++) {
        make_records(&r, k);
        decoder decs[] = {dec_handwritten, dec_yyjson, dec_cjson, dec_jansson, own[k]};
        double base = 0;
        for (int d = 0; d < 5; d++) {
            /* A pass to warm caches and the allocator, then the measured runs. */
            measure(decs[d], &r, fields[k], nfields[k], 1, &check);
            double rate = measure(decs[d], &r, fields[k], nfields[k], runs, &check);
            if (d == 0)
                base = rate;
            printf("%-8s %-22s %12.0f %8.2fx\n", kinds[k], names[d], rate, rate / base);
            fflush(stdout);
        }
        printf("%-8s mean record %.1f bytes\n", kinds[k], (double)r.data.len / NREC);
        buf_release(&r.data);
    }
    measure_encode(runs);
    fprintf(stderr, "(checksum %lld)\n", (long long)check);
    return 0;
}
