/* Unit tests for lathist.c: buckets, quantiles and their error bound. */
#include <stdint.h>

#include "lathist.h"
#include "testlib.h"

static void test_empty_is_zero(void)
{
    lathist h;
    lathist_init(&h);
    CHECK_EQ_INT(lathist_count(&h), 0);
    CHECK_EQ_INT(lathist_quantile(&h, 0.5), 0);
}

/* Every quantile is at or above the true value and within 1/16 of it. */
static void test_quantiles_within_a_sixteenth(void)
{
    lathist h;
    lathist_init(&h);
    /* 1..100000 µs, one each: the q-quantile is q * 100000 µs. */
    for (int64_t us = 1; us <= 100000; us++)
        lathist_add(&h, us * 1000);
    CHECK_EQ_INT(lathist_count(&h), 100000);
    const double qs[] = {0.01, 0.5, 0.9, 0.99, 0.999, 1.0};
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        double truth = qs[i] * 100000 * 1000;
        double got = (double)lathist_quantile(&h, qs[i]);
        CHECK(got >= truth);
        CHECK(got <= truth * (1 + 1.0 / 16) + 1000);
    }
}

static void test_edges(void)
{
    lathist h;
    lathist_init(&h);
    /* Below 1 µs: the first bucket's top. */
    lathist_add(&h, 0);
    lathist_add(&h, 500);
    CHECK_EQ_INT(lathist_quantile(&h, 1.0), 1024 + 64);
    /* A value on a bucket's lower edge is in that bucket. */
    lathist_init(&h);
    lathist_add(&h, 2048);
    CHECK_EQ_INT(lathist_quantile(&h, 0.5), 2048 + 128);
    /* Beyond the top: the last bucket, not out of bounds. */
    lathist_init(&h);
    lathist_add(&h, INT64_MAX);
    CHECK_EQ_INT(lathist_quantile(&h, 0.5), 1LL << 42);
    lathist_add(&h, -5); /* a clock step back: the first bucket */
    CHECK_EQ_INT(lathist_quantile(&h, 0), 1024 + 64);
    /* q outside [0, 1] is clamped; one value is every quantile. */
    lathist_init(&h);
    lathist_add(&h, 5000000);
    CHECK_EQ_INT(lathist_quantile(&h, -1), lathist_quantile(&h, 2));
    CHECK(lathist_quantile(&h, 0) >= 5000000);
}

/* p99 of 99 fast values and one slow one is the fast value. */
static void test_p99_rank(void)
{
    lathist h;
    lathist_init(&h);
    for (int i = 0; i < 99; i++)
        lathist_add(&h, 1000000);
    lathist_add(&h, 900000000);
    CHECK(lathist_quantile(&h, 0.99) < 1100000);
    CHECK(lathist_quantile(&h, 0.999) >= 900000000);
}

TEST_MAIN(TEST(test_empty_is_zero), TEST(test_quantiles_within_a_sixteenth), TEST(test_edges),
          TEST(test_p99_rank))
