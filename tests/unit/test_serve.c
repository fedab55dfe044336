/* test_serve.c - the parts of serve's server that need no listening socket:
 * the text of /metrics. */
#include <string.h>

#include "serve_internal.h"
#include "testlib.h"

static void test_histogram_text(void)
{
    serve_hist h;
    memset(&h, 0, sizeof(h));
    atomic_store(&h.count[0], 2);
    atomic_store(&h.count[SERVE_BUCKETS], 1);
    atomic_store(&h.sum_us, 1234567891000LL); /* 1234567.891 s: %g printed 1.23457e+06 */
    buf b;
    buf_init(&b);
    serve_hist_text(&b, "x_seconds", "Help.", &h);
    CHECK(strstr(b.data, "\nx_seconds_sum 1234567.891\n") != NULL);
    CHECK(strstr(b.data, "\nx_seconds_count 3\n") != NULL);
    CHECK(strstr(b.data, "x_seconds_bucket{le=\"0.001\"} 2\n") != NULL);
    CHECK(strstr(b.data, "x_seconds_bucket{le=\"+Inf\"} 3\n") != NULL);
    buf_release(&b);
}

TEST_MAIN(TEST(test_histogram_text))
