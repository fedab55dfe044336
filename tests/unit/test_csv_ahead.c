/* Unit tests for csv_ahead.c: records read ahead are delivered again as
 * csv_next gave them (fields, lines, eol, blank, bad records and their
 * messages), then the reader's own records follow. */
#include "csv_ahead.h"
#include "testlib.h"
#include "util.h"

#include <stdlib.h>

/* A record as text: "<status> <line> <eol><blank> f1|f2|..." or the message. */
static void show(buf *out, csv_status s, const csv_record *rec, const char *e)
{
    buf_printf(out, "%d %lld ", (int)s, (long long)rec->line);
    if (s == CSV_BAD || s == CSV_ERROR) {
        buf_printf(out, "%s\n", e);
        return;
    }
    if (s == CSV_EOF) {
        buf_puts(out, "EOF\n");
        return;
    }
    buf_printf(out, "%d%d ", rec->eol, rec->blank);
    for (size_t i = 0; i < rec->nfields; i++) {
        if (i)
            buf_putc(out, '|');
        buf_append(out, rec->fields[i].p, rec->fields[i].len);
        CHECK(rec->fields[i].p[rec->fields[i].len] == '\0');
    }
    buf_putc(out, '\n');
}

static const char DATA[] = "h1,h2\n"
                           "\"multi\nline\",2\n"
                           "\"ab\"c,3\n"
                           "  ,\n"
                           "x,\"a,b\"\n"
                           "last,row";

/* Every record of DATA through csv_next alone. */
static char *plain(void)
{
    csv_reader *r = csv_reader_new_buffer(DATA, sizeof(DATA) - 1, NULL);
    buf b = {0};
    csv_record rec;
    char e[256];
    csv_status s;
    do {
        s = csv_next(r, &rec, e, sizeof(e));
        show(&b, s, &rec, e);
    } while (s != CSV_EOF);
    csv_reader_free(r);
    return b.data;
}

static void test_replays_records(void)
{
    char *want = plain();
    /* Read ahead 0..7 records (past the end too), then take them all. */
    for (int ahead = 0; ahead <= 7; ahead++) {
        csv_reader *r = csv_reader_new_buffer(DATA, sizeof(DATA) - 1, NULL);
        csv_ahead a = {0};
        buf peek = {0}, got = {0};
        csv_record rec;
        char e[256];
        csv_status s;
        size_t bytes = 0;
        for (int i = 0; i < ahead; i++) {
            s = csv_ahead_read(&a, r, &rec, e, sizeof(e));
            show(&peek, s, &rec, e);
            CHECK(csv_ahead_bytes(&a) > bytes); /* every record keeps at least its message NUL */
            bytes = csv_ahead_bytes(&a);
        }
        /* What the look-ahead saw is what csv_next gives. */
        if (ahead)
            CHECK(strncmp(want, peek.data, peek.len) == 0);
        do {
            memset(&rec, 0xA5, sizeof(rec));
            e[0] = '\0';
            s = csv_ahead_next(&a, r, &rec, e, sizeof(e));
            show(&got, s, &rec, e);
        } while (s != CSV_EOF && got.len < 4096);
        CHECK_EQ_STR(got.data, want);
        csv_ahead_release(&a);
        CHECK(a.q == NULL && a.n == 0 && csv_ahead_bytes(&a) == 0);
        csv_ahead_release(&a);
        csv_reader_free(r);
        buf_release(&peek);
        buf_release(&got);
    }
    CHECK(strstr(want, "multi\nline|2") != NULL);  /* the data has what the test means */
    CHECK(strstr(want, "1 4 text after") != NULL); /* a CSV_BAD on line 4 */
    CHECK(strstr(want, "x|a,b\n") != NULL);
    free(want);
}

/* Empty input: the EOF read ahead is delivered, then the reader's own. */
static void test_lookahead_of_nothing(void)
{
    csv_reader *r = csv_reader_new_buffer("", 0, NULL);
    csv_ahead a = {0};
    csv_record rec;
    char e[64];
    CHECK(csv_ahead_read(&a, r, &rec, e, sizeof(e)) == CSV_EOF);
    CHECK(csv_ahead_next(&a, r, &rec, e, sizeof(e)) == CSV_EOF);
    CHECK(csv_ahead_next(&a, r, &rec, e, sizeof(e)) == CSV_EOF);
    csv_ahead_release(&a);
    csv_reader_free(r);
}

TEST_MAIN(TEST(test_replays_records), TEST(test_lookahead_of_nothing))
