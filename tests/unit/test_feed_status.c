/* test_feed_status.c - the feeds' status line (feed_status_lines): per source,
 * and the records that failed delivery while the run goes on. */
#include <stdatomic.h>
#include <string.h>

#include "feed_ingest.h"
#include "testlib.h"

/* Failed deliveries show on the periodic line as soon as there is one (the
 * producer logs only its first failure), once for the shared producer. */
static void test_failed_deliveries(void)
{
    feed_ingest_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.nsources = 2;
    cfg.sources[0].provider = FEED_COINBASE;
    cfg.sources[1].provider = FEED_KRAKEN;
    static feed_ingest_result res; /* zeroed, as the caller must */
    atomic_store(&res.src[0].trades, 1804);
    atomic_store(&res.src[0].state, FEED_STATE_CONNECTED);
    feed_rate_memo memo = {0};
    char line[2048];
    feed_status_lines(&cfg, &res, &memo, line, sizeof(line));
    CHECK(strstr(line, "coinbase: connected") != NULL);
    CHECK(strstr(line, "1804 trades") != NULL);
    CHECK(strstr(line, "; kraken: ") != NULL);
    CHECK(strstr(line, "failed") == NULL);
    atomic_store(&res.failing, 3);
    feed_status_lines(&cfg, &res, &memo, line, sizeof(line));
    const char *f = strstr(line, "; 3 records failed delivery");
    CHECK(f != NULL);
    CHECK(f && strstr(f + strlen("; 3 records failed delivery"), "failed") == NULL); /* once */
    CHECK(f && f > strstr(line, "kraken")); /* after the sources */
    /* A line cut by a short buffer is still a string. */
    char small[40];
    feed_status_lines(&cfg, &res, &memo, small, sizeof(small));
    CHECK(strlen(small) < sizeof(small));
}

TEST_MAIN(TEST(test_failed_deliveries))
