/* kafka_producer.c - producers and transactions; see kafka_producer.h. */
#include "kafka_producer.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_conf.h"
#include "kafka_doubt.h"
#include "lathist.h"
#include "log.h"
#include "util.h"

#define PRODUCER_TOPICS 32
/* The copies of records acknowledged without an offset kept for the check. */
#define DOUBTS_MAX_BYTES (64u << 20)
/* How long the checker waits after a record is acknowledged without an
 * offset before it reads the log, so that one retried batch's records are
 * checked together. */
#define DOUBT_SETTLE_S 1
/* Rounds of checking the log and sending again at a flush. */
#define DOUBT_ROUNDS 5
/* Slots of the confirmed-offset bounds (a power of 2). */
#define CONFIRMED_SLOTS 1024

struct kafka_producer {
    rd_kafka_t *rk;
    /* Topic handles by name, so producing does not look the topic up each time. */
    rd_kafka_topic_t *topics[PRODUCER_TOPICS];
    int32_t nparts[PRODUCER_TOPICS]; /* partition count of each, for batches; <= 0 unknown */
    size_t ntopics;
    atomic_llong delivered, failed, enqueued;
    /* Acknowledged without an offset (see dr_msg_cb); counted apart from
     * delivered. acks_none: acks=0, where no broker answers and no record
     * has an offset; its records are counted as unacked, sent but never
     * confirmed (neither delivered, nor in doubt to be checked). */
    atomic_llong unconfirmed, unacked;
    int acks_none;
    /* Copies of the unconfirmed records, checked against the log at flush
     * (kafka_doubt.h); how many the log had and how many went out again. */
    kafka_doubts *doubts;
    atomic_llong vouched, resent, doubts_dropped;
    /* The highest offset confirmed in each partition, plus one (0: none yet):
     * the bound after which a doubtful record's copy must lie (kafka_doubt.h).
     * An open-addressing table keyed by the exact (topic handle, partition),
     * a slot claimed once by compare-and-swap and never freed; a partition
     * that finds no slot (more than CONFIRMED_SLOTS) has no bound. */
    struct {
        _Atomic uint64_t key; /* of confirmed_slot(); 0: free */
        atomic_llong next;
    } confirmed[CONFIRMED_SLOTS];
    /* The checker: a thread, started at the first such record, that checks
     * them DOUBT_SETTLE_S later instead of at the flush only, so that a
     * long-running producer killed before its flush has not kept them for
     * its whole life. resolve_mu: one check at a time (the checker's or
     * the flush's). check_mu guards the flags. */
    pthread_t checker;
    atomic_int checker_started;
    pthread_mutex_t check_mu, resolve_mu;
    pthread_cond_t check_cond;
    int check_pending, check_quit;
    kafka_opts opts; /* borrowed strings: the caller's options outlive the producer */
    char first_error[256];
    atomic_int txn_error;    /* rd_kafka_resp_err_t of the open transaction's first failed
                                delivery (a purge gives way to a cause), or 0 */
    int64_t txn_failed_base; /* failed deliveries when the open transaction began */
    /* Delivery latency of the records produced with a stamp. */
    lathist latency;
};

/* A record the log does not have goes out again: it replaces its first attempt. */
static int resend(void *ctx, const char *topic, int32_t partition, const void *key, size_t key_len,
                  const void *value, size_t value_len, char *errstr, size_t errstr_size);

/* One check of the kept records against the log; resolve_mu held. */
static int resolve_round(kafka_producer *p, int timeout_ms, char *errstr, size_t errstr_size)
{
    int64_t found = 0, again = 0;
    int rc = kafka_doubts_resolve(p->doubts, p->rk, &p->opts, timeout_ms, resend, p, &found, &again,
                                  errstr, errstr_size);
    atomic_fetch_sub(&p->unconfirmed, found);
    atomic_fetch_add(&p->delivered, found);
    atomic_fetch_add(&p->vouched, found);
    LOG_WARN("kafka: records acknowledged without an offset: %lld found in the log, %lld "
             "sent again",
             (long long)found, (long long)again);
    return rc;
}

static void *checker_main(void *arg)
{
    kafka_producer *p = arg;
    pthread_mutex_lock(&p->check_mu);
    while (!p->check_quit) {
        if (!p->check_pending) {
            pthread_cond_wait(&p->check_cond, &p->check_mu);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += DOUBT_SETTLE_S;
        while (!p->check_quit && pthread_cond_timedwait(&p->check_cond, &p->check_mu, &until) == 0)
            ; /* more doubts while settling: they join this check */
        if (p->check_quit)
            break;
        p->check_pending = 0;
        pthread_mutex_unlock(&p->check_mu);
        pthread_mutex_lock(&p->resolve_mu);
        if (kafka_doubts_count(p->doubts) && !atomic_load(&p->failed)) {
            char err[512];
            /* On an error the records not checked are kept for the next
             * check or the flush. */
            if (resolve_round(p, kafka_timeout_of(&p->opts), err, sizeof(err)) != 0)
                LOG_WARN("kafka: checking records acknowledged without an offset: %s; again at "
                         "the next one or at the flush",
                         err);
        }
        pthread_mutex_unlock(&p->resolve_mu);
        pthread_mutex_lock(&p->check_mu);
    }
    pthread_mutex_unlock(&p->check_mu);
    return NULL;
}

/* A record was kept for a check: starts the checker at the first, then
 * tells it there is work. From a delivery report (any polling thread). */
static void wake_checker(kafka_producer *p)
{
    pthread_mutex_lock(&p->check_mu);
    p->check_pending = 1;
    pthread_cond_signal(&p->check_cond);
    pthread_mutex_unlock(&p->check_mu);
    if (atomic_exchange(&p->checker_started, 1) == 0 &&
        pthread_create(&p->checker, NULL, checker_main, p) != 0) {
        atomic_store(&p->checker_started, 0);
        LOG_WARN("kafka: no thread to check records acknowledged without an offset before the "
                 "flush");
    }
}

/* The confirmed-offset bound of a topic handle's partition (claim: taking a
 * free slot for it), or NULL when it has none. The key is exact: the handle's
 * address (allocated, so 16-byte aligned and below 2^47) over 20 bits of
 * partition. */
static atomic_llong *confirmed_slot(kafka_producer *p, const rd_kafka_topic_t *rkt,
                                    int32_t partition, int claim)
{
    if (partition < 0 || partition >= (1 << 20))
        return NULL;
    uint64_t key = ((uint64_t)(uintptr_t)rkt >> 4 << 20 | (uint32_t)partition) + 1;
    size_t j = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 54) & (CONFIRMED_SLOTS - 1);
    for (size_t i = 0; i < CONFIRMED_SLOTS; i++, j = (j + 1) & (CONFIRMED_SLOTS - 1)) {
        uint64_t k = atomic_load_explicit(&p->confirmed[j].key, memory_order_acquire);
        if (k == 0 && claim &&
            atomic_compare_exchange_strong(&p->confirmed[j].key, &k, key)) /* k: the winner's */
            k = key;
        if (k == key)
            return &p->confirmed[j].next;
        if (k == 0)
            return NULL; /* not claiming: the partition has no slot */
    }
    return NULL;
}

/* The highest offset confirmed in a partition so far; -1 when none or unknown. */
static int64_t confirmed_bound(kafka_producer *p, const rd_kafka_topic_t *rkt, int32_t partition)
{
    atomic_llong *c = confirmed_slot(p, rkt, partition, 0);
    return c ? atomic_load_explicit(c, memory_order_relaxed) - 1 : -1;
}

static int is_purge(int err)
{
    return err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    kafka_producer *p = opaque;
    if (msg->err) {
        /* A purge follows the failure that caused it: the cause is kept. Reports are served
         * on the thread that polls, one at a time. */
        int was = atomic_load(&p->txn_error);
        if (was == 0 || (is_purge(was) && !is_purge(msg->err)))
            atomic_store(&p->txn_error, (int)msg->err);
        if (atomic_fetch_add(&p->failed, 1) == 0) {
            snprintf(p->first_error, sizeof(p->first_error), "%s", rd_kafka_err2str(msg->err));
            LOG_ERROR("kafka: delivery to '%s' failed: %s", rd_kafka_topic_name(msg->rkt),
                      rd_kafka_err2str(msg->err));
        }
    } else if (msg->offset < 0 && p->acks_none) {
        /* acks=0: the report says only that the record left; no broker
         * confirmed it, so it is not delivered. Nor is it a doubt: checking
         * the log for every record would undo what acks=0 was asked for. */
        atomic_fetch_add(&p->unacked, 1);
    } else if (msg->offset < 0) {
        /* librdkafka's idempotent producer (2.0.2 to 2.15.1) reports the records of a batch
         * that failed with a retriable error as delivered, with no offset,
         * when a later batch to the partition succeeds ("implicitly acked").
         * That holds only if the broker had the failed batch after all; a
         * broker with no state for the producer id accepts the later batch
         * without it, and the records are lost. Not counted as delivered, and
         * flush fails: ingest reports it. (A transactional producer does not
         * get here: librdkafka fails the transaction on the skipped sequence
         * numbers, and process aborts and replays it; test_kafka.c.) */
        if (atomic_fetch_add(&p->unconfirmed, 1) == 0)
            LOG_WARN(
                "kafka: a record to '%s' [%d] was acknowledged without an offset (after a "
                "retried batch): the broker may not have it; its log is checked in a second and "
                "again when the producer is flushed",
                rd_kafka_topic_name(msg->rkt), (int)msg->partition);
        if (p->doubts &&
            kafka_doubts_add(p->doubts, rd_kafka_topic_name(msg->rkt), msg->partition,
                             rd_kafka_message_timestamp(msg, NULL),
                             confirmed_bound(p, msg->rkt, msg->partition), msg->key, msg->key_len,
                             msg->payload, msg->len) != 0 &&
            atomic_fetch_add(&p->doubts_dropped, 1) == 0)
            LOG_ERROR("kafka: too many records acknowledged without an offset to keep them all "
                      "for a check of the log");
        else if (p->doubts)
            wake_checker(p);
    } else {
        atomic_fetch_add(&p->delivered, 1);
        /* Only ever raised (reports may be served on two threads at once). */
        atomic_llong *c = confirmed_slot(p, msg->rkt, msg->partition, 1);
        long long v = c ? atomic_load_explicit(c, memory_order_relaxed) : 0;
        while (c && msg->offset + 1 > v &&
               !atomic_compare_exchange_weak_explicit(c, &v, msg->offset + 1, memory_order_relaxed,
                                                      memory_order_relaxed))
            ;
        if (msg->_private) /* a stamp: when the record's data arrived (mono_ns) */
            lathist_add(&p->latency, mono_ns() - (int64_t)(intptr_t)msg->_private);
    }
}

/* A producer from ticklake's defaults and the user's options, with delivery
 * reports counted; fails if the cluster does not answer in time. */
static kafka_producer *producer_with(const kafka_opts *o, const char *const *defaults, char *errstr,
                                     size_t errstr_size)
{
    rd_kafka_conf_t *conf = kafka_conf_make(o, defaults, errstr, errstr_size);
    if (!conf)
        return NULL;
    kafka_producer *p = calloc(1, sizeof(*p));
    p->opts = *o;
    p->doubts = kafka_doubts_new(DOUBTS_MAX_BYTES);
    pthread_mutex_init(&p->check_mu, NULL);
    pthread_mutex_init(&p->resolve_mu, NULL);
    pthread_cond_init(&p->check_cond, NULL);
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    p->rk = kafka_new_handle(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!p->rk || kafka_check_handle(p->rk, o, errstr, errstr_size) != 0) {
        kafka_producer_free(p);
        return NULL;
    }
    char acks[16];
    size_t acks_size = sizeof(acks);
    p->acks_none =
        rd_kafka_conf_get(rd_kafka_conf(p->rk), "acks", acks, &acks_size) == RD_KAFKA_CONF_OK &&
        strcmp(acks, "0") == 0;
    if (p->acks_none)
        LOG_WARN("kafka: acks=0: no broker confirms a record, so records are counted as sent, "
                 "unconfirmed, never as delivered");
    return p;
}

kafka_producer *kafka_producer_new(const kafka_opts *o, const char *client_id, char *errstr,
                                   size_t errstr_size)
{
    const char *const defaults[] = {"client.id",
                                    client_id ? client_id : "ticklake",
                                    "enable.idempotence",
                                    "true",
                                    "acks",
                                    "all",
                                    "compression.type",
                                    "lz4",
                                    "linger.ms",
                                    "5",
                                    "batch.num.messages",
                                    "10000",
                                    "batch.size",
                                    "1000000",
                                    "queue.buffering.max.messages",
                                    "500000",
                                    "queue.buffering.max.kbytes",
                                    "262144",
                                    "partitioner",
                                    "murmur2_random",
                                    NULL};
    return producer_with(o, defaults, errstr, errstr_size);
}

kafka_producer *kafka_live_producer_new(const kafka_opts *o, const char *client_id, char *errstr,
                                        size_t errstr_size)
{
    /* linger.ms 0: a record is sent as soon as the broker thread sees it.
     * Nagle off: a small request behind another one in flight is not held
     * back for the ACK. retry.backoff.ms as the transactional producer. */
    /* clang-format off */
    const char *const defaults[] = {
        "client.id", client_id ? client_id : "ticklake",
        "enable.idempotence", "true",
        "acks", "all",
        "linger.ms", "0",
        "socket.nagle.disable", "true",
        "retry.backoff.ms", "10",
        "queue.buffering.max.kbytes", "16384",
        "partitioner", "murmur2_random",
        NULL};
    /* clang-format on */
    return producer_with(o, defaults, errstr, errstr_size);
}

/* The handle of topic, cached; *owned is set when the cache was full and the
 * caller must destroy the handle after use. NULL on failure. */
static rd_kafka_topic_t *topic_handle(kafka_producer *p, const char *topic, int *owned)
{
    *owned = 0;
    for (size_t i = 0; i < p->ntopics; i++)
        if (strcmp(rd_kafka_topic_name(p->topics[i]), topic) == 0)
            return p->topics[i];
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    if (rkt && p->ntopics < PRODUCER_TOPICS)
        p->topics[p->ntopics++] = rkt;
    else if (rkt)
        *owned = 1;
    return rkt;
}

int kafka_produce(kafka_producer *p, const char *topic, const void *key, size_t key_len,
                  const void *value, size_t value_len, char *errstr, size_t errstr_size)
{
    return kafka_produce_partition(p, topic, RD_KAFKA_PARTITION_UA, key, key_len, value, value_len,
                                   errstr, errstr_size);
}

static int produce_one(kafka_producer *p, const char *topic, int32_t partition, const void *key,
                       size_t key_len, const void *value, size_t value_len, int64_t stamp,
                       char *errstr, size_t errstr_size);

int kafka_produce_partition(kafka_producer *p, const char *topic, int32_t partition,
                            const void *key, size_t key_len, const void *value, size_t value_len,
                            char *errstr, size_t errstr_size)
{
    return produce_one(p, topic, partition, key, key_len, value, value_len, 0, errstr, errstr_size);
}

int kafka_produce_stamped(kafka_producer *p, const char *topic, const void *key, size_t key_len,
                          const void *value, size_t value_len, int64_t since_mono_ns, char *errstr,
                          size_t errstr_size)
{
    return produce_one(p, topic, RD_KAFKA_PARTITION_UA, key, key_len, value, value_len,
                       since_mono_ns > 0 ? since_mono_ns : 1, errstr, errstr_size);
}

int64_t kafka_producer_latency(const kafka_producer *p, double q, int64_t *count)
{
    if (count)
        *count = lathist_count(&p->latency);
    return lathist_quantile(&p->latency, q);
}

/* A record refused with ERR__STATE. Only a transactional producer refuses records for its state:
 * they go into a transaction the caller began, so it left that state on its own, having failed. */
static int txn_refused(const char *topic, char *errstr, size_t errstr_size)
{
    set_err(errstr, errstr_size,
            "unable to produce to '%s': the transaction failed and must be aborted", topic);
    return KAFKA_PRODUCE_TXN_FAILED;
}

/* Enqueues one record to rkt, waiting for room when the local queue is full. */
static int produce_rkt(kafka_producer *p, rd_kafka_topic_t *rkt, const char *topic,
                       int32_t partition, const void *key, size_t key_len, const void *value,
                       size_t value_len, int64_t stamp, int count, char *errstr, size_t errstr_size)
{
    int rc = 0;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY((void *)key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_OPAQUE((void *)(intptr_t)stamp),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (count)
                atomic_fetch_add(&p->enqueued, 1);
            break;
        }
        if (err == RD_KAFKA_RESP_ERR__STATE) {
            rc = txn_refused(topic, errstr, errstr_size);
            break;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rc = set_err(errstr, errstr_size, "unable to produce to '%s': %s", topic,
                         rd_kafka_err2str(err));
            break;
        }
        /* Local queue full: serve delivery reports to make room, then retry. */
        rd_kafka_poll(p->rk, 10);
        char fatal[256];
        if (rd_kafka_fatal_error(p->rk, fatal, sizeof(fatal))) {
            rc = set_err(errstr, errstr_size, "producer failed: %s", fatal);
            break;
        }
    }
    return rc;
}

static int produce_one(kafka_producer *p, const char *topic, int32_t partition, const void *key,
                       size_t key_len, const void *value, size_t value_len, int64_t stamp,
                       char *errstr, size_t errstr_size)
{
    int owned;
    rd_kafka_topic_t *rkt = topic_handle(p, topic, &owned);
    if (!rkt)
        return set_err(errstr, errstr_size, "unable to produce to '%s': %s", topic,
                       rd_kafka_err2str(rd_kafka_last_error()));
    int rc = produce_rkt(p, rkt, topic, partition, key, key_len, value, value_len, stamp, 1, errstr,
                         errstr_size);
    if (owned)
        rd_kafka_topic_destroy(rkt);
    return rc;
}

/* The partition count of a cached topic (asked once), or -1. */
static int32_t cached_partitions(kafka_producer *p, rd_kafka_topic_t *rkt)
{
    size_t i = 0;
    while (i < p->ntopics && p->topics[i] != rkt)
        i++;
    if (i < p->ntopics && p->nparts[i] > 0)
        return p->nparts[i];
    if (i < p->ntopics && p->nparts[i] <= -3)
        return -1; /* asked three times in vain: the partitioner places records */
    const struct rd_kafka_metadata *md = NULL;
    int32_t n = -1;
    if (rd_kafka_metadata(p->rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topics[0].partition_cnt > 0)
        n = md->topics[0].partition_cnt;
    if (md)
        rd_kafka_metadata_destroy(md);
    if (i < p->ntopics)
        p->nparts[i] = n > 0 ? n : p->nparts[i] - 1;
    LOG_DEBUG("kafka: '%s' has %d partitions%s", rd_kafka_topic_name(rkt), (int)n,
              n > 0 ? "" : " (unknown: the partitioner places this batch)");
    return n;
}

/* Enqueues msgs[0..cnt) to one partition (or RD_KAFKA_PARTITION_UA), in
 * order. When the local queue is full it keeps the records that were not
 * enqueued, in order, serves delivery reports to make room, and retries them.
 * Room is only made by reports, served on this thread, so once the queue is
 * full every later record of the call fails too and the order is kept. */
static int send_msgs(kafka_producer *p, rd_kafka_topic_t *rkt, int32_t partition,
                     rd_kafka_message_t *msgs, int cnt, char *errstr, size_t errstr_size)
{
    while (cnt > 0) {
        int ok = rd_kafka_produce_batch(rkt, partition, RD_KAFKA_MSG_F_COPY, msgs, cnt);
        atomic_fetch_add(&p->enqueued, ok);
        if (ok == cnt)
            return 0;
        int m = 0;
        for (int i = 0; i < cnt; i++) {
            if (msgs[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
                continue;
            if (msgs[i].err == RD_KAFKA_RESP_ERR__STATE)
                return txn_refused(rd_kafka_topic_name(rkt), errstr, errstr_size);
            if (msgs[i].err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                return set_err(errstr, errstr_size, "unable to produce to '%s': %s",
                               rd_kafka_topic_name(rkt), rd_kafka_err2str(msgs[i].err));
            msgs[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
            msgs[m++] = msgs[i];
        }
        cnt = m;
        rd_kafka_poll(p->rk, 10);
        char fatal[256];
        if (rd_kafka_fatal_error(p->rk, fatal, sizeof(fatal)))
            return set_err(errstr, errstr_size, "producer failed: %s", fatal);
    }
    return 0;
}

int kafka_produce_batch(kafka_producer *p, const char *topic, const kafka_rec *recs, size_t n,
                        char *errstr, size_t errstr_size)
{
    /* One record (a Coinbase or Binance message): no grouping to pay for;
     * the producer's partitioner is the same murmur2. */
    if (n == 1)
        return produce_one(p, topic, RD_KAFKA_PARTITION_UA, recs[0].key, recs[0].key_len,
                           recs[0].value, recs[0].value_len, recs[0].stamp, errstr, errstr_size);
    int owned;
    rd_kafka_topic_t *rkt = topic_handle(p, topic, &owned);
    if (!rkt)
        return set_err(errstr, errstr_size, "unable to produce to '%s': %s", topic,
                       rd_kafka_err2str(rd_kafka_last_error()));
    /* Records grouped by partition (murmur2 of the key, as kafka_produce
     * places them), so librdkafka appends each group under one lock; without
     * the partition count, its partitioner places them one by one. */
    int32_t nparts = cached_partitions(p, rkt);
    size_t *order = NULL, *start = NULL;
    if (nparts > 0) {
        order = malloc(n * sizeof(*order));
        start = calloc((size_t)nparts + 1, sizeof(*start));
        int32_t *part = malloc(n * sizeof(*part));
        if (!order || !start || !part) {
            free(order);
            free(start);
            order = start = NULL;
            nparts = -1;
        } else {
            for (size_t i = 0; i < n; i++) {
                part[i] = rd_kafka_msg_partitioner_murmur2_random(rkt, recs[i].key, recs[i].key_len,
                                                                  nparts, NULL, NULL);
                start[part[i] + 1]++;
            }
            for (int32_t k = 0; k < nparts; k++)
                start[k + 1] += start[k];
            size_t *fill = calloc((size_t)nparts, sizeof(*fill));
            for (size_t i = 0; fill && i < n; i++)
                order[start[part[i]] + fill[part[i]]++] = i;
            if (!fill)
                nparts = -1;
            free(fill);
        }
        free(part);
    }
    enum { CHUNK = 512 };
    rd_kafka_message_t msgs[CHUNK];
    int rc = 0;
    int32_t groups = nparts > 0 ? nparts : 1;
    for (int32_t k = 0; k < groups && rc == 0; k++) {
        size_t lo = nparts > 0 ? start[k] : 0, hi = nparts > 0 ? start[k + 1] : n;
        int32_t partition = nparts > 0 ? k : RD_KAFKA_PARTITION_UA;
        for (size_t done = lo; done < hi && rc == 0;) {
            int cnt = (int)(hi - done < CHUNK ? hi - done : CHUNK);
            memset(msgs, 0, sizeof(msgs[0]) * (size_t)cnt);
            for (int i = 0; i < cnt; i++) {
                const kafka_rec *r = &recs[nparts > 0 ? order[done + (size_t)i] : done + (size_t)i];
                msgs[i].key = (void *)r->key;
                msgs[i].key_len = r->key_len;
                msgs[i].payload = (void *)r->value;
                msgs[i].len = r->value_len;
                msgs[i]._private = (void *)(intptr_t)r->stamp;
            }
            done += (size_t)cnt;
            rc = send_msgs(p, rkt, partition, msgs, cnt, errstr, errstr_size);
        }
    }
    free(order);
    free(start);
    if (owned)
        rd_kafka_topic_destroy(rkt);
    return rc;
}

void kafka_producer_poll(kafka_producer *p, int timeout_ms)
{
    rd_kafka_poll(p->rk, timeout_ms);
}

static int resend(void *ctx, const char *topic, int32_t partition, const void *key, size_t key_len,
                  const void *value, size_t value_len, char *errstr, size_t errstr_size)
{
    kafka_producer *p = ctx;
    /* The record is outstanding again: it leaves unconfirmed, and enqueued,
     * which counted it once already, stays as it is. enqueued never goes
     * down, and a record leaves one count before it joins another, so
     * kafka_producer_outstanding, reading enqueued first, is never below 0
     * while this runs beside it. */
    atomic_fetch_sub(&p->unconfirmed, 1);
    atomic_fetch_add(&p->resent, 1);
    /* Its own topic handle: the checker runs beside a thread that produces
     * and fills the producer's cache of handles. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    int rc = rkt ? produce_rkt(p, rkt, topic, partition, key, key_len, value, value_len, 0, 0,
                               errstr, errstr_size)
                 : set_err(errstr, errstr_size, "unable to produce to '%s': %s", topic,
                           rd_kafka_err2str(rd_kafka_last_error()));
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (rc != 0) { /* not sent again: still in doubt (kafka_doubts_resolve keeps it) */
        atomic_fetch_add(&p->unconfirmed, 1);
        atomic_fetch_sub(&p->resent, 1);
    }
    return rc;
}

int kafka_producer_flush(kafka_producer *p, int timeout_ms, char *errstr, size_t errstr_size)
{
    /* A check the checker is making finishes first (what it sends again is
     * flushed here too), and it starts none while the flush runs. */
    pthread_mutex_lock(&p->resolve_mu);
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);
    /* Records acknowledged without an offset: the log vouches for them, or
     * they are sent again (and may come back unconfirmed again). */
    for (int round = 0; !err && round < DOUBT_ROUNDS && !atomic_load(&p->failed) &&
                        atomic_load(&p->unconfirmed) && kafka_doubts_count(p->doubts);
         round++) {
        if (resolve_round(p, timeout_ms, errstr, errstr_size) != 0) {
            pthread_mutex_unlock(&p->resolve_mu);
            return -1;
        }
        err = rd_kafka_flush(p->rk, timeout_ms);
    }
    pthread_mutex_unlock(&p->resolve_mu);
    if (err)
        return set_err(errstr, errstr_size, "%d records not delivered after %d ms",
                       rd_kafka_outq_len(p->rk), timeout_ms);
    if (atomic_load(&p->failed))
        return set_err(errstr, errstr_size, "%lld records failed delivery, the first with: %s",
                       (long long)atomic_load(&p->failed), p->first_error);
    if (atomic_load(&p->unconfirmed))
        return set_err(errstr, errstr_size,
                       "%lld records were acknowledged without an offset after a retried batch; "
                       "the broker may not have them",
                       (long long)atomic_load(&p->unconfirmed));
    return 0;
}

int64_t kafka_producer_delivered(const kafka_producer *p)
{
    return atomic_load(&p->delivered);
}

int64_t kafka_producer_failed(const kafka_producer *p)
{
    return atomic_load(&p->failed);
}

int64_t kafka_producer_unconfirmed(const kafka_producer *p)
{
    return atomic_load(&p->unconfirmed);
}

int64_t kafka_producer_unacked(const kafka_producer *p)
{
    return atomic_load(&p->unacked);
}

int64_t kafka_producer_published(const kafka_producer *p)
{
    return atomic_load(&p->delivered) + atomic_load(&p->unacked);
}

int64_t kafka_producer_vouched(const kafka_producer *p)
{
    return atomic_load(&p->vouched);
}

int64_t kafka_producer_resent(const kafka_producer *p)
{
    return atomic_load(&p->resent);
}

int64_t kafka_producer_outstanding(const kafka_producer *p)
{
    return atomic_load(&p->enqueued) - atomic_load(&p->delivered) - atomic_load(&p->failed) -
           atomic_load(&p->unconfirmed) - atomic_load(&p->unacked);
}

int kafka_producer_fatal(kafka_producer *p, char *errstr, size_t errstr_size)
{
    char err[256];
    if (rd_kafka_fatal_error(p->rk, err, sizeof(err))) {
        set_err(errstr, errstr_size, "%s", err);
        return 1;
    }
    return 0;
}

int kafka_producer_fenced(kafka_producer *p)
{
    char err[256];
    rd_kafka_resp_err_t code = rd_kafka_fatal_error(p->rk, err, sizeof(err));
    return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

void kafka_producer_free(kafka_producer *p)
{
    if (!p)
        return;
    if (atomic_load(&p->checker_started)) {
        pthread_mutex_lock(&p->check_mu);
        p->check_quit = 1;
        pthread_cond_signal(&p->check_cond);
        pthread_mutex_unlock(&p->check_mu);
        pthread_join(p->checker, NULL);
    }
    for (size_t i = 0; i < p->ntopics; i++)
        rd_kafka_topic_destroy(p->topics[i]);
    if (p->rk)
        rd_kafka_destroy(p->rk);
    kafka_doubts_free(p->doubts);
    pthread_mutex_destroy(&p->check_mu);
    pthread_mutex_destroy(&p->resolve_mu);
    pthread_cond_destroy(&p->check_cond);
    free(p);
}

#define TXN_TIMEOUT_MS 30000

static int txn_result(rd_kafka_error_t *error, const char *what, char *errstr, size_t errstr_size)
{
    if (!error)
        return KAFKA_TXN_OK;
    int rc = rd_kafka_error_txn_requires_abort(error) ? KAFKA_TXN_ABORT : KAFKA_TXN_FATAL;
    set_err(errstr, errstr_size, "%s: %s", what, rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return rc;
}

kafka_producer *kafka_txn_producer_new(const kafka_opts *o, const char *client_id,
                                       const char *transactional_id, char *errstr,
                                       size_t errstr_size)
{
    /* retry.backoff.ms: a transaction begun right after a commit meets
     * CONCURRENT_TRANSACTIONS until the broker has written the commit markers;
     * librdkafka retries after this backoff (its default, 100 ms, stalled a
     * commit by 100 ms every few seconds, seen with debug=eos).
     * queue.buffering.max.kbytes: librdkafka's default is 1 GB; a processor
     * catching up at 10,000 symbols queues tens of MB of bars, indicators and
     * changelog per commit. Full means wait (kafka_produce), not fail. At a
     * 5-minute boundary (30,000 bars, indicator and changelog records in one
     * commit at 10,000 symbols) 4 MB rather than 16 MB took the processor's
     * peak from 97-103 MB to 88 MB (bench/memory.sh with START). */
    /* clang-format off */
    const char *const defaults[] = {
        "client.id", client_id ? client_id : "ticklake",
        "transactional.id", transactional_id,
        "transaction.timeout.ms", "10000",
        "retry.backoff.ms", "10",
        "compression.type", "lz4",
        "linger.ms", "5",
        "batch.num.messages", "10000",
        "queue.buffering.max.messages", "500000",
        "queue.buffering.max.kbytes", "4096",
        "partitioner", "murmur2_random",
        NULL};
    /* clang-format on */
    kafka_producer *p = producer_with(o, defaults, errstr, errstr_size);
    if (!p)
        return NULL;
    /* Retriable errors (coordinator loading) are retried; the rest fail. */
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *error = rd_kafka_init_transactions(p->rk, TXN_TIMEOUT_MS);
        if (!error)
            break;
        if (rd_kafka_error_is_retriable(error) && attempt < 5) {
            LOG_WARN("kafka: init_transactions: %s; retrying", rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            continue;
        }
        set_err(errstr, errstr_size, "unable to initialise transactions as '%s': %s",
                transactional_id, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        kafka_producer_free(p);
        return NULL;
    }
    return p;
}

int kafka_txn_begin(kafka_producer *p, char *errstr, size_t errstr_size)
{
    p->txn_failed_base = atomic_load(&p->failed);
    atomic_store(&p->txn_error, 0);
    return txn_result(rd_kafka_begin_transaction(p->rk), "begin transaction", errstr, errstr_size);
}

int kafka_txn_send_offsets(kafka_producer *p, kafka_consumer *c, const kafka_tp *tps, size_t n,
                           char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *l = kafka_tp_list_new(tps, n);
    rd_kafka_consumer_group_metadata_t *cgmd =
        rd_kafka_consumer_group_metadata(kafka_consumer_handle(c));
    int rc = KAFKA_TXN_OK;
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *error =
            rd_kafka_send_offsets_to_transaction(p->rk, l, cgmd, TXN_TIMEOUT_MS);
        if (error && rd_kafka_error_is_retriable(error) && attempt < 5) {
            rd_kafka_error_destroy(error);
            continue;
        }
        rc = txn_result(error, "send offsets to transaction", errstr, errstr_size);
        break;
    }
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

/* The commit first waits up to TXN_FLUSH_MS for the transaction's records, in
 * steps of TXN_FLUSH_STEP_MS. One that fails (the broker refused it) makes the
 * transaction abortable, but librdkafka's commit would go on waiting for the
 * records queued behind it, which go nowhere until the abort: up to the
 * transaction timeout, when the coordinator aborts the transaction itself and
 * bumps the epoch, and the abort then finds this producer fenced, as if by a
 * newer instance (t0118). A commit in progress cannot be aborted, so the wait
 * comes first, and a failed record makes the commit return KAFKA_TXN_ABORT,
 * within a step, without starting. */
#define TXN_FLUSH_MS 3000
#define TXN_FLUSH_STEP_MS 50

int kafka_txn_commit(kafka_producer *p, char *errstr, size_t errstr_size)
{
    int64_t failed = atomic_load(&p->failed) - p->txn_failed_base;
    for (int waited = 0; failed == 0 && waited < TXN_FLUSH_MS && rd_kafka_outq_len(p->rk) > 0;
         waited += TXN_FLUSH_STEP_MS) {
        (void)rd_kafka_flush(p->rk, TXN_FLUSH_STEP_MS); /* what is left, the commit waits for */
        failed = atomic_load(&p->failed) - p->txn_failed_base;
    }
    if (failed > 0) {
        set_err(errstr, errstr_size,
                "commit transaction: %lld record(s) of the transaction not delivered (%s)",
                (long long)failed, rd_kafka_err2str(atomic_load(&p->txn_error)));
        return KAFKA_TXN_ABORT;
    }
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *error = rd_kafka_commit_transaction(p->rk, TXN_TIMEOUT_MS);
        if (error && rd_kafka_error_is_retriable(error) && attempt < 5) {
            rd_kafka_error_destroy(error);
            continue;
        }
        return txn_result(error, "commit transaction", errstr, errstr_size);
    }
}

int kafka_txn_abort(kafka_producer *p, char *errstr, size_t errstr_size)
{
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *error = rd_kafka_abort_transaction(p->rk, TXN_TIMEOUT_MS);
        if (error && rd_kafka_error_is_retriable(error) && attempt < 5) {
            rd_kafka_error_destroy(error);
            continue;
        }
        return txn_result(error, "abort transaction", errstr, errstr_size);
    }
}

/* One try of kafka_txn_probe: 1 delivered and aborted, 0 fenced, -1 not
 * told within timeout_ms (err says why). */
static int txn_probe_once(kafka_producer *p, const char *topic, int timeout_ms, char *err,
                          size_t err_size)
{
    /* Adding a partition to a transaction asks the coordinator, which refuses
     * a producer whose epoch a newer one with the transactional.id bumped:
     * librdkafka then fails the producer for good with a fenced error. The
     * topic may be compacted, which takes no record without a key. */
    static const char key[] = "ticklake-txn-probe";
    int delivered = 0;
    if (kafka_txn_begin(p, err, err_size) != KAFKA_TXN_OK) {
        /* An abort that timed out before is resumed by aborting again. */
        char abort_err[256];
        kafka_txn_abort(p, abort_err, sizeof(abort_err));
    } else {
        /* Only this record counts: records of an aborted transaction may
         * have failed (purged) just before. */
        int64_t before = atomic_load(&p->delivered);
        if (kafka_produce_partition(p, topic, 0, key, sizeof(key) - 1, NULL, 0, err, err_size) ==
            0) {
            rd_kafka_flush(p->rk, timeout_ms);
            delivered = atomic_load(&p->delivered) > before;
            if (!delivered)
                snprintf(err, err_size, "the probe record was not delivered within %d ms",
                         timeout_ms);
        }
        char abort_err[256];
        if (kafka_txn_abort(p, abort_err, sizeof(abort_err)) != KAFKA_TXN_OK && delivered) {
            delivered = 0;
            snprintf(err, err_size, "%s", abort_err);
        }
    }
    if (kafka_producer_fenced(p))
        return 0;
    return delivered ? 1 : -1;
}

int kafka_txn_probe(kafka_producer *p, const char *topic, int timeout_ms, char *errstr,
                    size_t errstr_size)
{
    /* A coordinator still writing the markers of the transaction aborted just
     * before answers CONCURRENT_TRANSACTIONS, and a loaded broker can take
     * seconds over it (t0109 on CI): a try that could not tell is made again
     * while the budget lasts. */
    const int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
    char err[512] = "";
    for (int attempt = 1;; attempt++) {
        /* Each try waits at most 10 s and at least 1 s for its record. */
        int64_t wait_ms = (deadline - mono_ns()) / 1000000;
        wait_ms = wait_ms > 10000 ? 10000 : wait_ms < 1000 ? 1000 : wait_ms;
        int r = txn_probe_once(p, topic, (int)wait_ms, err, sizeof(err));
        if (r == 0) {
            kafka_producer_fatal(p, errstr, errstr_size);
            return 0;
        }
        if (r == 1)
            return 1;
        if (mono_ns() >= deadline) {
            set_err(errstr, errstr_size, "transaction probe (%d tries): %s", attempt, err);
            return -1;
        }
        LOG_DEBUG("kafka: transaction probe try %d: %s: trying again", attempt, err);
        sleep_ns(200 * 1000000LL);
    }
}
