/* bench/consume.c - how fast a ticklake consumer (kafka_consumer.h, batches of
 * 1,024 as the sink reads) drains a topic, doing nothing with the records:
 * librdkafka's fetching alone, for comparing fetch settings
 * (docs/decisions/0039-librdkafka-2.15.md).
 *
 *   make bench-consume && build/release/bench/consume BROKERS TOPIC COUNT [key=value...]
 *
 * A new group each run reads TOPIC from its start until COUNT records came;
 * the key=value pairs are librdkafka properties (as -X). Prints the seconds
 * from subscribing to the last record, and records per second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_consumer.h"
#include "util.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s BROKERS TOPIC COUNT [key=value...]\n", argv[0]);
        return 2;
    }
    long long want = atoll(argv[3]);
    char group[64];
    snprintf(group, sizeof(group), "bench-consume-%lld", (long long)mono_ns());
    kafka_opts o = {
        .brokers = argv[1], .props = (const char *const *)(argv + 4), .nprops = (size_t)(argc - 4)};
    char err[512];
    const char *topics[] = {argv[2]};
    int64_t t0 = mono_ns();
    kafka_consumer *c = kafka_consumer_new(&o, group, topics, 1, NULL, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "consume: %s\n", err);
        return 1;
    }
    enum { BATCH = 1024 };
    static kafka_msg ms[BATCH];
    long long got = 0;
    int64_t first = 0;
    while (got < want) {
        int n = kafka_consumer_poll_batch(c, 100, ms, BATCH, err, sizeof(err));
        if (n < 0) {
            fprintf(stderr, "consume: %s\n", err);
            kafka_consumer_close(c);
            return 1;
        }
        if (n > 0 && !first)
            first = mono_ns();
        for (int i = 0; i < n; i++)
            kafka_msg_release(&ms[i]);
        got += n;
    }
    int64_t t1 = mono_ns();
    kafka_consumer_close(c);
    printf("%lld records in %.2f s (%.2f s from the first), %.0f records/s\n", got,
           (double)(t1 - t0) / 1e9, (double)(t1 - first) / 1e9,
           (double)got / ((double)(t1 - first) / 1e9));
    return 0;
}
