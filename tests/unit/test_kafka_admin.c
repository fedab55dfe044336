/* Tests for kafka_admin.h's choice of replication settings for the topics
 * ticklake creates (kafka_topic_replication): by the cluster's size unless
 * given. */
#include <string.h>

#include "kafka_admin.h"
#include "testlib.h"

static int rf, isr;
static char err[256];

static int choose(int brokers, int replication, int min_isr)
{
    rf = isr = -1;
    err[0] = 0;
    return kafka_topic_replication(brokers, replication, min_isr, &rf, &isr, err, sizeof(err));
}

static void test_defaults_follow_the_cluster_size(void)
{
    /* One broker (the embedded one, a single real broker): as before. */
    CHECK_EQ_INT(choose(1, 0, 0), 0);
    CHECK_EQ_INT(rf, 1);
    CHECK_EQ_INT(isr, 1);
    /* Two: both replicate, but a write must not wait for the second. */
    CHECK_EQ_INT(choose(2, 0, 0), 0);
    CHECK_EQ_INT(rf, 2);
    CHECK_EQ_INT(isr, 1);
    /* Three or more: 3 replicas, 2 in sync. */
    CHECK_EQ_INT(choose(3, 0, 0), 0);
    CHECK_EQ_INT(rf, 3);
    CHECK_EQ_INT(isr, 2);
    CHECK_EQ_INT(choose(12, 0, 0), 0);
    CHECK_EQ_INT(rf, 3);
    CHECK_EQ_INT(isr, 2);
    /* No broker in the metadata (cannot create anything): 1, and the
     * broker says why. */
    CHECK_EQ_INT(choose(0, 0, 0), 0);
    CHECK_EQ_INT(rf, 1);
    CHECK_EQ_INT(isr, 1);
}

static void test_given_values_are_kept(void)
{
    CHECK_EQ_INT(choose(5, 5, 0), 0);
    CHECK_EQ_INT(rf, 5);
    CHECK_EQ_INT(isr, 2);
    CHECK_EQ_INT(choose(3, 1, 0), 0);
    CHECK_EQ_INT(rf, 1);
    CHECK_EQ_INT(isr, 1);
    CHECK_EQ_INT(choose(3, 0, 3), 0);
    CHECK_EQ_INT(rf, 3);
    CHECK_EQ_INT(isr, 3);
    CHECK_EQ_INT(choose(3, 3, 1), 0);
    CHECK_EQ_INT(rf, 3);
    CHECK_EQ_INT(isr, 1);
    /* More replicas than brokers is the broker's to refuse. */
    CHECK_EQ_INT(choose(1, 3, 0), 0);
    CHECK_EQ_INT(rf, 3);
    CHECK_EQ_INT(isr, 2);
}

static void test_more_in_sync_than_replicas_is_an_error(void)
{
    CHECK_EQ_INT(choose(1, 0, 2), -1);
    CHECK(strstr(err, "min.insync.replicas 2 is more than the replication factor 1") != NULL);
    CHECK(strstr(err, "chosen from the live brokers") != NULL);
    CHECK_EQ_INT(choose(3, 2, 3), -1);
    CHECK(strstr(err, "replication factor 2: no write") != NULL);
}

TEST_MAIN(TEST(test_defaults_follow_the_cluster_size), TEST(test_given_values_are_kept),
          TEST(test_more_in_sync_than_replicas_is_an_error))
