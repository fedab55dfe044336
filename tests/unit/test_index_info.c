/* Unit tests for index_info.c: loading indexInfo.csv (the original data set's
 * and other layouts), lookups, and every error of a bad table. */
#include "index_info.h"
#include "testlib.h"
#include "util.h"
#include "index_info_fixture.h"

static void test_index_info(void)
{
    index_info t = load_info();
    CHECK_EQ_INT(t.n, 14);
    const index_info_entry *e = index_info_find(&t, "HSI");
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_STR(e->region, "Hong Kong");
        CHECK_EQ_STR(e->exchange, "Hong Kong Stock Exchange");
        CHECK_EQ_STR(e->currency, "HKD");
    }
    e = index_info_find(&t, "J203.JO");
    CHECK(e && strcmp(e->currency, "ZAR") == 0);
    e = index_info_find(&t, "NSEI");
    CHECK(e && strcmp(e->exchange, "National Stock Exchange of India") == 0);
    CHECK(index_info_find(&t, "hsi") == NULL);
    CHECK(index_info_find(NULL, "HSI") == NULL);
    /* lookup: an exact match, else Yahoo's "^" prefix dropped. */
    CHECK(index_info_lookup(&t, "^HSI") == index_info_find(&t, "HSI"));
    CHECK(index_info_lookup(&t, "N225") == index_info_find(&t, "N225"));
    CHECK(index_info_lookup(&t, "^XYZ") == NULL && index_info_lookup(&t, "^") == NULL);
    CHECK(index_info_lookup(NULL, "^HSI") == NULL);
    index_info_release(&t);
    index_info_release(&t);
    index_info_release(NULL);

    char err[256];
    const char *other = "Index;Currency;Exchange;Region;Note\n\"A B\";EUR;X;Y;z\n\n";
    CHECK(index_info_load(&t, "o.csv", other, strlen(other), err, sizeof(err)) == 0);
    CHECK(t.n == 1 && strcmp(t.v[0].index, "A B") == 0 && strcmp(t.v[0].region, "Y") == 0);
    index_info_release(&t);
    const struct {
        const char *in, *err;
    } bad[] = {
        {"", "i.csv: empty file (no header)"},
        {"Region,Exchange,Index\nA,B,C\n", "i.csv:1: no column 'currency'"},
        {"Region,Exchange,Index,Currency\nA,B,C,D\nA,B,C,E\n", "i.csv:3: index 'C' listed twice"},
        {"Region,Exchange,Index,Currency\nA,B,,D\n", "i.csv:2: bad Index"},
        {"Region,Exchange,Index,Currency\nA,B,C,TOOLONGCUR\n", "i.csv:2: bad Currency"},
        {"Region,Exchange,Index,Currency\nA,B,C\n", "i.csv:2: expected 4 fields, found 3"},
        {"Region,Exchange,Index,Currency\n\"A,B,C,D\n", "i.csv:2: quoted field 1 is never closed"},
        {"\xFE\xFF", "i.csv: input is UTF-16 (byte-order mark FE FF); convert it to UTF-8"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK(index_info_load(&t, "i.csv", bad[i].in, strlen(bad[i].in), err, sizeof(err)) == -1);
        CHECK_EQ_STR(err, bad[i].err);
        CHECK(t.n == 0 && t.v == NULL);
    }
}

TEST_MAIN(TEST(test_index_info))
