/* test_compact.c - the merge plan of compact.c (pure). */
#include "compact.h"
#include "testlib.h"

static void test_plan(void)
{
    size_t g[8][2];
    /* Groups close once they reach the target; the tail below it is merged too. */
    int64_t a[] = {40, 40, 40, 10, 200, 30, 30};
    size_t n = compact_plan(a, 7, 100, g);
    CHECK_EQ_INT((int64_t)n, 3);
    CHECK_EQ_INT((int64_t)g[2][0], 5);
    CHECK_EQ_INT((int64_t)g[2][1], 7);
    CHECK_EQ_INT((int64_t)g[0][0], 0);
    CHECK_EQ_INT((int64_t)g[0][1], 3); /* 40+40+40 >= 100 */
    CHECK_EQ_INT((int64_t)g[1][0], 3);
    CHECK_EQ_INT((int64_t)g[1][1], 5); /* 10+200 */
    /* A file at the target alone is left alone; the tail of two is merged... */
    int64_t b[] = {150, 30, 30};
    n = compact_plan(b, 3, 100, g);
    CHECK_EQ_INT((int64_t)n, 1);
    CHECK_EQ_INT((int64_t)g[0][0], 1);
    CHECK_EQ_INT((int64_t)g[0][1], 3);
    /* ...merged; a single small file stays. */
    int64_t c[] = {150, 30};
    CHECK_EQ_INT((int64_t)compact_plan(c, 2, 100, g), 0);
    CHECK_EQ_INT((int64_t)compact_plan(c, 0, 100, g), 0);
    int64_t d[] = {1, 1, 1, 1};
    n = compact_plan(d, 4, 100, g);
    CHECK_EQ_INT((int64_t)n, 1);
    CHECK_EQ_INT((int64_t)g[0][1], 4);
}

TEST_MAIN(TEST(test_plan))
