/* Unit tests for csv.c: records, quoting, line ends, BOM, delimiter detection,
 * recovery from malformed records, file mode across read boundaries, header
 * lookup and --map. */
#include "csv.h"
#include "testlib.h"
#include "util.h"

#include <stdlib.h>

/* Appends one line per csv_next() result until EOF or ERROR:
 *   "<line>: f1|f2" (" $" added when the record has no line break, " blank"
 *   when blank), "<line>: BAD <reason>", "ERROR <reason>". Line breaks inside
 *   fields show as \n and \r. */
static void transcript(csv_reader *r, buf *out)
{
    csv_record rec;
    char err[256];
    for (;;) {
        csv_status s = csv_next(r, &rec, err, sizeof(err));
        if (s == CSV_EOF)
            return;
        if (s == CSV_ERROR) {
            buf_printf(out, "ERROR %s\n", err);
            return;
        }
        if (s == CSV_BAD) {
            buf_printf(out, "%lld: BAD %s\n", (long long)rec.line, err);
            continue;
        }
        buf_printf(out, "%lld: ", (long long)rec.line);
        for (size_t i = 0; i < rec.nfields; i++) {
            if (i)
                buf_putc(out, '|');
            CHECK(rec.fields[i].p[rec.fields[i].len] == '\0');
            for (size_t j = 0; j < rec.fields[i].len; j++) {
                char c = rec.fields[i].p[j];
                if (c == '\n')
                    buf_puts(out, "\\n");
                else if (c == '\r')
                    buf_puts(out, "\\r");
                else
                    buf_putc(out, c);
            }
        }
        if (!rec.eol)
            buf_puts(out, " $");
        if (rec.blank)
            buf_puts(out, " blank");
        buf_putc(out, '\n');
    }
}

/* The transcript of in, read from a buffer; every chunk size from 1 to 9 and
 * the default must give the same transcript from a FILE*. */
static char *parse_opts(const char *in, size_t len, const csv_options *opt)
{
    buf a = {0};
    csv_reader *r = csv_reader_new_buffer(in, len, opt);
    transcript(r, &a);
    csv_reader_free(r);
    for (size_t chunk = 1; chunk <= 10; chunk++) {
        csv_options o = opt ? *opt : (csv_options){0};
        o.chunk = chunk == 10 ? 0 : chunk;
        FILE *f = fmemopen((void *)in, len, "rb");
        if (len == 0) /* fmemopen of zero bytes fails on some libcs */
            f = fopen("/dev/null", "rb");
        CHECK(f != NULL);
        if (!f)
            break;
        buf b = {0};
        r = csv_reader_new_file(f, &o);
        transcript(r, &b);
        csv_reader_free(r);
        fclose(f);
        if (strcmp(a.data ? a.data : "", b.data ? b.data : "") != 0) {
            fprintf(stderr, "  chunk %zu differs:\n%s---\n%s", chunk, a.data ? a.data : "",
                    b.data ? b.data : "");
            CHECK(0);
        }
        buf_release(&b);
    }
    if (!a.data)
        buf_puts(&a, "");
    return a.data;
}

static char *parse(const char *in)
{
    return parse_opts(in, strlen(in), NULL);
}

#define CHECK_PARSE(in, want)                                                                      \
    do {                                                                                           \
        char *got_ = parse(in);                                                                    \
        CHECK_EQ_STR(got_, want);                                                                  \
        free(got_);                                                                                \
    } while (0)

static void test_simple(void)
{
    CHECK_PARSE("a,b,c\n1,2,3\n", "1: a|b|c\n2: 1|2|3\n");
    CHECK_PARSE("a,b\n1,2", "1: a|b\n2: 1|2 $\n");
    CHECK_PARSE("", "");
    CHECK_PARSE("\n", "1:  blank\n");
    CHECK_PARSE("a,b\n\n1,2\n,\n  , \t\n",
                "1: a|b\n2:  blank\n3: 1|2\n4: | blank\n5:   | \t blank\n");
    CHECK_PARSE("a,,c,\n", "1: a||c|\n");
    CHECK_PARSE("x\n", "1: x\n");
}

static void test_line_ends(void)
{
    CHECK_PARSE("a,b\r\n1,2\r\n", "1: a|b\n2: 1|2\n");
    CHECK_PARSE("a,b\r1,2\r", "1: a|b\n2: 1|2\n");
    CHECK_PARSE("a\r\n\r\nb\n\rc", "1: a\n2:  blank\n3: b\n4:  blank\n5: c $\n");
    CHECK_PARSE("a\r", "1: a\n");
}

static void test_bom(void)
{
    CHECK_PARSE("\xEF\xBB\xBFRegion,Index\r\nHK,HSI\r\n", "1: Region|Index\n2: HK|HSI\n");
    CHECK_PARSE("\xEF\xBB\xBF", "");
    CHECK_PARSE("\xEF\xBB", "1: \xEF\xBB $\n");
    CHECK_PARSE("\xFF\xFEx\0y\0",
                "ERROR input is UTF-16 (byte-order mark FF FE); convert it to UTF-8\n");
    CHECK_PARSE("\xFE\xFF\0x",
                "ERROR input is UTF-16 (byte-order mark FE FF); convert it to UTF-8\n");
    /* An error sticks, with its reason. */
    csv_reader *r = csv_reader_new_buffer("\xFF\xFE", 2, NULL);
    csv_record rec;
    char err[128];
    CHECK(csv_next(r, &rec, err, sizeof(err)) == CSV_ERROR);
    err[0] = '\0';
    CHECK(csv_next(r, &rec, err, sizeof(err)) == CSV_ERROR);
    CHECK_EQ_STR(err, "input is UTF-16 (byte-order mark FF FE); convert it to UTF-8");
    CHECK(rec.nfields == 0 && rec.line == 1);
    csv_reader_free(r);
}

/* Which mark a reader skipped, after its first record; chunk 1 makes the file
 * reader wait for the bytes that tell. */
static csv_bom bom_of(const char *in, bool file)
{
    csv_options o = {.chunk = 1};
    FILE *f = file ? fmemopen((void *)in, strlen(in), "rb") : NULL;
    csv_reader *r = file ? csv_reader_new_file(f, &o) : csv_reader_new_buffer(in, strlen(in), &o);
    csv_record rec;
    char err[128];
    CHECK(csv_reader_bom(r) == CSV_BOM_NONE);
    CHECK(csv_next(r, &rec, err, sizeof(err)) == CSV_RECORD);
    csv_bom b = csv_reader_bom(r);
    csv_reader_free(r);
    if (f)
        fclose(f);
    return b;
}

static void test_bom_mojibake(void)
{
    /* The UTF-8 mark read as cp1252 and saved again as UTF-8: "\u00EF\u00BB\u00BF". */
    CHECK_PARSE("\xC3\xAF\xC2\xBB\xC2\xBFIndex,Date\r\nHSI,1\r\n", "1: Index|Date\n2: HSI|1\n");
    CHECK_PARSE("\xEF\xBB\xBF\xC3\xAF\xC2\xBB\xC2\xBF\"Index\",Date\n", "1: Index|Date\n");
    CHECK_PARSE("\xC3\xAF\xC2\xBB\xC2\xBF", "");
    /* Only at the very start, and only the whole sequence. */
    CHECK_PARSE("\xC3\xAF\xC2\xBB\xC2Index\n", "1: \xC3\xAF\xC2\xBB\xC2Index\n");
    CHECK_PARSE("a\n\xC3\xAF\xC2\xBB\xC2\xBFx\n", "1: a\n2: \xC3\xAF\xC2\xBB\xC2\xBFx\n");
    for (int file = 0; file < 2; file++) {
        CHECK_EQ_INT(bom_of("\xC3\xAF\xC2\xBB\xC2\xBFIndex\n", file), CSV_BOM_MOJIBAKE);
        CHECK_EQ_INT(bom_of("\xEF\xBB\xBF\xC3\xAF\xC2\xBB\xC2\xBFIndex\n", file), CSV_BOM_MOJIBAKE);
        CHECK_EQ_INT(bom_of("\xEF\xBB\xBFIndex\n", file), CSV_BOM_UTF8);
        CHECK_EQ_INT(bom_of("Index\n", file), CSV_BOM_NONE);
        CHECK_EQ_INT(bom_of("I\n", file), CSV_BOM_NONE);
    }
}

static void test_read_error(void)
{
    FILE *f = fopen("/dev/null", "w"); /* reading a write-only stream fails */
    CHECK(f != NULL);
    if (!f)
        return;
    csv_reader *r = csv_reader_new_file(f, NULL);
    csv_record rec;
    char err[128];
    CHECK(csv_next(r, &rec, err, sizeof(err)) == CSV_ERROR);
    CHECK_EQ_STR(err, "read error: Bad file descriptor");
    csv_reader_free(r);
    fclose(f);
}

static void test_delimiters(void)
{
    csv_reader *r = csv_reader_new_buffer("a\tb\tc\n1\t2,5\t3\n", 14, NULL);
    CHECK_EQ_INT(csv_reader_delim(r), 0);
    csv_record rec;
    char err[128];
    CHECK(csv_next(r, &rec, err, sizeof(err)) == CSV_RECORD);
    CHECK_EQ_INT(csv_reader_delim(r), '\t');
    csv_reader_free(r);
    CHECK_PARSE("a\tb\tc\n1\t2,5\t3\n", "1: a|b|c\n2: 1|2,5|3\n");
    CHECK_PARSE("a;b;c\n1;2,5;3\n", "1: a|b|c\n2: 1|2,5|3\n");
    /* Delimiters inside quotes do not count; ties go to ','. */
    CHECK_PARSE("\"a;b;c\",d\n1,2\n", "1: a;b;c|d\n2: 1|2\n");
    CHECK_PARSE("a,b;c\n", "1: a|b;c\n");
    CHECK_PARSE("a\tb;c;d\n", "1: a\tb|c|d\n");
    CHECK_PARSE("single\nvalue\n", "1: single\n2: value\n");
    /* An explicit delimiter wins; an invalid one means detect. */
    csv_options o = {.delim = '|'};
    char *got = parse_opts("a,b|c\n", 6, &o);
    CHECK_EQ_STR(got, "1: a,b|c\n");
    free(got);
    o.delim = '"';
    got = parse_opts("a;b\n", 4, &o);
    CHECK_EQ_STR(got, "1: a|b\n");
    free(got);
}

static void test_quotes(void)
{
    CHECK_PARSE("\"a,b\",\"say \"\"hi\"\"\",\"\"\n", "1: a,b|say \"hi\"|\n");
    /* A line break inside quotes: the next record's line counts it. */
    CHECK_PARSE("id,note\n1,\"two\nlines\"\n2,\"crlf\r\ninside\"\n3,x\n",
                "1: id|note\n2: 1|two\\nlines\n4: 2|crlf\\r\\ninside\n6: 3|x\n");
    CHECK_PARSE("1,\"lone\rcr\"\n2,y\n", "1: 1|lone\\rcr\n3: 2|y\n");
    /* Spaces around quotes; a quote inside an unquoted field is literal. */
    CHECK_PARSE("a, \"b, c\" ,d\n", "1: a|b, c|d\n");
    CHECK_PARSE("5'10\",ab\"c\n", "1: 5'10\"|ab\"c\n");
    CHECK_PARSE("\"x\"", "1: x $\n");
    CHECK_PARSE("\"\"\"\"", "1: \" $\n");
    /* A tab before a quote in a tab-separated file is a delimiter. */
    CHECK_PARSE("a\t\"b\tc\"\n", "1: a|b\tc\n");
    /* Embedded NUL bytes are kept; len counts them. */
    char *got = parse_opts("a\0b,c\n", 6, NULL);
    CHECK(memcmp(got, "1: a\0b|c\n", 10) == 0);
    free(got);
}

static void test_malformed(void)
{
    /* Text after a closing quote: that line is skipped, the next one read. */
    CHECK_PARSE("a,b\n\"x\"y,2\n3,4\n",
                "1: a|b\n2: BAD text after the closing quote of field 1\n3: 3|4\n");
    /* ... also when the quoted field spanned lines: skip to the end of the line with the text. */
    CHECK_PARSE("1,\"a\nb\"c,d\n2,e\n", "1: BAD text after the closing quote of field 2\n3: 2|e\n");
    /* A quote never closed: only its first line is lost. */
    CHECK_PARSE("h1,h2\n1,\"oops\n2,ok\n3,ok\n",
                "1: h1|h2\n2: BAD quoted field 2 is never closed\n3: 2|ok\n4: 3|ok\n");
    CHECK_PARSE("\"", "1: BAD quoted field 1 is never closed\n");
    CHECK_PARSE("1,\"a\r\n2,b\r\n", "1: BAD quoted field 2 is never closed\n2: 2|b\n");
    /* Too many fields. */
    buf b = {0};
    for (int i = 0; i < CSV_MAX_FIELDS + 1; i++)
        buf_puts(&b, "x,");
    buf_puts(&b, "\nok\n");
    char *got = parse(b.data);
    CHECK_EQ_STR(got, "1: BAD more than 1024 fields\n2: ok\n");
    free(got);
    buf_release(&b);
}

static void test_max_record(void)
{
    csv_options o = {.max_record = 16};
    const char *in = "a,b\n0123456789,0123456789\n\"unclosed,0123456789\n0123456789\nz\n";
    /* The unclosed quote reads to the end of a buffer but stops at max_record
     * in file mode, so the two messages differ. */
    buf a = {0};
    csv_reader *r = csv_reader_new_buffer(in, strlen(in), &o);
    transcript(r, &a);
    csv_reader_free(r);
    CHECK_EQ_STR(a.data, "1: a|b\n2: BAD record longer than 16 bytes\n3: BAD quoted field 1 is "
                         "never closed\n4: 0123456789\n5: z\n");
    buf_release(&a);
    o.chunk = 4;
    FILE *f = fmemopen((void *)in, strlen(in), "rb");
    r = csv_reader_new_file(f, &o);
    transcript(r, &a);
    csv_reader_free(r);
    fclose(f);
    CHECK_EQ_STR(a.data, "1: a|b\n2: BAD record longer than 16 bytes\n3: BAD quoted field not "
                         "closed within 16 bytes\n4: 0123456789\n5: z\n");
    buf_release(&a);
}

/* A generated file far larger than a chunk, with every kind of field, read
 * from a buffer and from a FILE* with odd chunk sizes. */
static void test_large_file(void)
{
    buf in = {0};
    unsigned seed = 12345;
    for (int row = 0; row < 20000; row++) {
        for (int col = 0; col < 5; col++) {
            seed = seed * 1103515245u + 12345u;
            unsigned k = (seed >> 16) % 7;
            if (col)
                buf_putc(&in, ',');
            if (k == 0)
                buf_printf(&in, "\"q,%d\"\"\n%d\"", row, col);
            else if (k == 1)
                buf_printf(&in, "\"\"");
            else
                buf_printf(&in, "v%u", seed % 100000);
        }
        buf_puts(&in, (seed >> 8) % 3 ? "\n" : "\r\n");
    }
    buf a = {0}, b = {0};
    csv_reader *r = csv_reader_new_buffer(in.data, in.len, NULL);
    transcript(r, &a);
    csv_reader_free(r);
    const size_t chunks[] = {0, 1000, 4093, 65537};
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        csv_options o = {.chunk = chunks[i]};
        FILE *f = fmemopen(in.data, in.len, "rb");
        r = csv_reader_new_file(f, &o);
        buf_reset(&b);
        transcript(r, &b);
        csv_reader_free(r);
        fclose(f);
        CHECK(a.len == b.len && strcmp(a.data, b.data) == 0);
    }
    CHECK(strstr(a.data, "BAD") == NULL);
    size_t records = 0;
    for (size_t i = 0; i < a.len; i++)
        records += a.data[i] == '\n';
    CHECK_EQ_INT(records, 20000);
    buf_release(&a);
    buf_release(&b);
    buf_release(&in);
}

static void test_names(void)
{
    CHECK(csv_name_eq("Adj Close", 9, "adj_close"));
    CHECK(csv_name_eq("ADJCLOSE", 8, "adj_close"));
    CHECK(csv_name_eq("CloseUSD", 8, "close_usd"));
    CHECK(csv_name_eq(" Close ", 7, "close"));
    CHECK(csv_name_eq("\xEF\xBB\xBFRegion", 9, "region"));
    CHECK(!csv_name_eq("CloseUSD", 8, "close"));
    CHECK(!csv_name_eq("Close", 5, "close_usd"));
    CHECK(!csv_name_eq("", 0, "x"));
    CHECK(csv_name_eq("", 0, ""));

    const char *in = "Symbol, Price ,price,Ts\nSymbol,Price,price,TS\n";
    csv_reader *r = csv_reader_new_buffer(in, strlen(in), NULL);
    csv_record rec;
    char err[128];
    csv_header h = {0};
    CHECK(csv_next(r, &rec, err, sizeof(err)) == CSV_RECORD);
    csv_header_set(&h, &rec);
    CHECK_EQ_INT(h.n, 4);
    CHECK_EQ_STR(h.names[1], " Price ");
    CHECK_EQ_INT(csv_header_find(&h, "symbol"), 0);
    CHECK_EQ_INT(csv_header_find(&h, "ts"), 3);
    CHECK_EQ_INT(csv_header_find(&h, "price"), -2);
    CHECK_EQ_INT(csv_header_find(&h, "size"), -1);
    CHECK(csv_next(r, &rec, err, sizeof(err)) == CSV_RECORD);
    CHECK(csv_header_is_repeat(&h, &rec));
    csv_header_release(&h);
    csv_header_release(&h);
    csv_header_release(NULL);
    csv_reader_free(r);
    csv_reader_free(NULL);

    csv_field f = csv_trim((csv_field){" \t x y\t ", 8});
    CHECK(f.len == 3 && memcmp(f.p, "x y", 3) == 0);
    f = csv_trim((csv_field){"  ", 2});
    CHECK_EQ_INT(f.len, 0);
}

static void test_map(void)
{
    csv_map m = {0};
    char err[128];
    CHECK(csv_map_parse(&m, "symbol=Ticker, price = Last", err, sizeof(err)) == 0);
    CHECK_EQ_INT(m.n, 2);
    CHECK_EQ_STR(csv_map_column(&m, "symbol"), "Ticker");
    CHECK_EQ_STR(csv_map_column(&m, "price"), "Last");
    CHECK(csv_map_column(&m, "size") == NULL);
    CHECK(csv_map_column(NULL, "size") == NULL);
    /* A second --map adds pairs; a field mapped again takes the later column. */
    CHECK(csv_map_parse(&m, "size=Qty,symbol=Sym", err, sizeof(err)) == 0);
    CHECK_EQ_INT(m.n, 3);
    CHECK_EQ_STR(csv_map_column(&m, "symbol"), "Sym");
    CHECK_EQ_STR(csv_map_column(&m, "size"), "Qty");
    CHECK(csv_map_parse(&m, "ts=Time,bogus", err, sizeof(err)) == -1);
    CHECK_EQ_STR(err, "bad mapping 'bogus': expected field=Column");
    CHECK_EQ_INT(m.n, 3); /* unchanged */
    CHECK(csv_map_parse(&m, "a==b", err, sizeof(err)) == -1);
    CHECK(csv_map_parse(&m, "=b", err, sizeof(err)) == -1);
    CHECK(csv_map_parse(&m, "a=", err, sizeof(err)) == -1);
    CHECK(csv_map_parse(&m, "", err, sizeof(err)) == -1);
    CHECK(csv_map_parse(&m, "a=b,", err, sizeof(err)) == -1);
    CHECK_EQ_INT(m.n, 3);
    csv_map_release(&m);
    CHECK_EQ_INT(m.n, 0);
    csv_map_release(NULL);
}

TEST_MAIN(TEST(test_simple), TEST(test_line_ends), TEST(test_bom), TEST(test_bom_mojibake),
          TEST(test_read_error), TEST(test_delimiters), TEST(test_quotes), TEST(test_malformed),
          TEST(test_max_record), TEST(test_large_file), TEST(test_names), TEST(test_map))
