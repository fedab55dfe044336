/* kafka_consumer.c - group consumers, where they start, and what they lost; see kafka_consumer.h.
 */
#include "kafka_consumer.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_conf.h"
#include "log.h"
#include "util.h"

struct kafka_consumer {
    rd_kafka_t *rk;
    kafka_rebalance_handler rh;
    int have_rh;
    rd_kafka_queue_t *q;      /* the consumer queue, for batches */
    rd_kafka_message_t **rms; /* a batch in flight */
    size_t rms_cap;
    int embedded;      /* the cluster is the embedded broker (no controller); -1 not known yet */
    char brokers[512]; /* o->brokers, to ask again whether it is (truncated: only named) */
    int timeout_ms;    /* o's connect timeout, for the same */
    int user_reset;    /* the user chose auto.offset.reset (-X): librdkafka resets, not us */
    char group[128];
    char lost[640];   /* why the consumer cannot go on (records lost, an assignment refused):
                       * set, the next poll fails with it */
    int records_lost; /* a poll failed because records were lost, not for a passing reason */
    /* Where each assigned partition started (assignment or seek), for the lag
     * of one that has consumed nothing since: librdkafka's position stays
     * unknown until then. Used and changed on the polling thread only. */
    struct start_pos {
        char topic[256];
        int32_t partition;
        int64_t offset; /* -1: unknown (the log's start is taken) */
    } * starts;
    size_t nstarts, starts_cap;
};

static struct start_pos *start_find(kafka_consumer *c, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < c->nstarts; i++)
        if (c->starts[i].partition == partition && strcmp(c->starts[i].topic, topic) == 0)
            return &c->starts[i];
    return NULL;
}

static void start_note(kafka_consumer *c, const char *topic, int32_t partition, int64_t offset)
{
    struct start_pos *s = start_find(c, topic, partition);
    if (!s) {
        if (c->nstarts == c->starts_cap) {
            size_t cap = c->starts_cap ? 2 * c->starts_cap : 16;
            struct start_pos *n = realloc(c->starts, cap * sizeof(*n));
            if (!n)
                return; /* the lag then counts from the log's start, as without a note */
            c->starts = n;
            c->starts_cap = cap;
        }
        s = &c->starts[c->nstarts++];
        strlcpy_tl(s->topic, topic, sizeof(s->topic));
        s->partition = partition;
    }
    s->offset = offset;
}

static kafka_tp *tps_from_list(const rd_kafka_topic_partition_list_t *l)
{
    kafka_tp *tps = calloc((size_t)l->cnt + 1, sizeof(*tps));
    for (int i = 0; i < l->cnt; i++) {
        tps[i].topic = l->elems[i].topic;
        tps[i].partition = l->elems[i].partition;
        tps[i].offset = l->elems[i].offset;
        tps[i].metadata[0] = '\0';
    }
    return tps;
}

/* "offsets A..B (N records)" for a range of lost offsets. */
static void lost_range(char *out, size_t n, int64_t from, int64_t to)
{
    snprintf(out, n, "offsets %lld..%lld (%lld records)", (long long)from, (long long)(to - 1),
             (long long)(to - from));
}

/* Whether the cluster is the embedded broker, asked again if the consumer's
 * start could not tell: 1, 0, or -1 with c->lost set (the answer decides
 * whether a log that starts past 0 means records were lost). */
static int embedded_known(kafka_consumer *c)
{
    if (c->embedded >= 0)
        return c->embedded;
    kafka_opts o = {.brokers = c->brokers, .connect_timeout_ms = c->timeout_ms};
    char err[480];
    c->embedded = kafka_is_embedded(c->rk, &o, err, sizeof(err));
    if (c->embedded < 0)
        snprintf(c->lost, sizeof(c->lost), "group '%s': %s", c->group, err);
    return c->embedded;
}

/* What a user can do once records are gone; differs by broker. */
static const char *lost_advice(const kafka_consumer *c)
{
    if (c->embedded < 0)
        return "the broker dropped them (the embedded one keeps only about 5 MiB a partition; a "
               "durable one deletes by retention); to go on from the log's start anyway, rerun "
               "with -X auto.offset.reset=earliest or reset the group's offsets";
    return c->embedded
               ? "the embedded broker keeps only about 5 MiB or 100,000 message sets per partition "
                 "in memory and drops the oldest: run the consumers while producing (ticklake run "
                 "does), use more partitions (ticklake broker --partitions N), or a durable broker "
                 "(ticklake broker --kafka)"
               : "the broker deleted them (retention, or records deleted by an admin); to go on "
                 "from the log's start anyway, rerun with -X auto.offset.reset=earliest or reset "
                 "the group's offsets";
}

/* The log start offset of each partition of parts, into *out (a copy of parts
 * the caller frees; an element's err or the result set when not found).
 * librdkafka gives up at once on errors that pass by themselves right after a
 * topic is made or a leader moves (NOT_LEADER_FOR_PARTITION,
 * OFFSET_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PART), so the lookup is asked again
 * for up to LOG_START_RETRY_MS before the error stands. */
#define LOG_START_RETRY_MS 5000
static rd_kafka_resp_err_t log_starts(kafka_consumer *c,
                                      const rd_kafka_topic_partition_list_t *parts,
                                      rd_kafka_topic_partition_list_t **out)
{
    int64_t until = mono_ns() + (int64_t)LOG_START_RETRY_MS * 1000000;
    int backoff_ms = 50;
    for (;;) {
        rd_kafka_topic_partition_list_t *start = rd_kafka_topic_partition_list_copy(parts);
        for (int i = 0; i < start->cnt; i++) {
            start->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING; /* ListOffsets "earliest" */
            start->elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
        }
        rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(c->rk, start, 10000);
        int failed = err != RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int i = 0; !failed && i < start->cnt; i++)
            failed = start->elems[i].err || start->elems[i].offset < 0;
        if (!failed || mono_ns() + (int64_t)backoff_ms * 1000000 >= until) {
            *out = start;
            return err;
        }
        rd_kafka_topic_partition_list_destroy(start);
        sleep_ns((int64_t)backoff_ms * 1000000);
        backoff_ms = backoff_ms < 400 ? backoff_ms * 2 : 500;
    }
}

/* Resolves where each newly assigned partition starts, so that nothing is
 * skipped without a word: the committed offset when the group has one (an
 * offset below the log's start fails the consumer, naming what was lost), the
 * log's start otherwise (on the embedded broker a start past 0 means records
 * were dropped before this group read them: also a failure; on a real broker
 * it is retention, and is logged). librdkafka's own reset is off
 * (auto.offset.reset=error), so a position that falls behind the log's start
 * later is an error too (message_error). Returns 0, or -1 with c->lost set. */
static int resolve_start_offsets(kafka_consumer *c, rd_kafka_topic_partition_list_t *parts)
{
    if (parts->cnt == 0 || c->user_reset)
        return 0;
    rd_kafka_resp_err_t err = rd_kafka_committed(c->rk, parts, 10000);
    if (err) {
        snprintf(c->lost, sizeof(c->lost), "group '%s': unable to fetch committed offsets: %s",
                 c->group, rd_kafka_err2str(err));
        return -1;
    }
    rd_kafka_topic_partition_list_t *start = NULL;
    err = log_starts(c, parts, &start);
    int rc = 0;
    for (int i = 0; rc == 0 && i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *e = &parts->elems[i];
        int64_t lo = err || start->elems[i].err ? -1 : start->elems[i].offset;
        char range[96];
        /* A partition's own error (UNSTABLE_OFFSET_COMMIT, say) leaves its
         * offset unset: taken as "nothing committed", the partition would
         * be read again from the log's start. */
        if (e->err) {
            snprintf(c->lost, sizeof(c->lost),
                     "group '%s': unable to fetch the committed offset of topic '%s' partition "
                     "%d: %s",
                     c->group, e->topic, (int)e->partition, rd_kafka_err2str(e->err));
            rc = -1;
            break;
        }
        start_note(c, e->topic, e->partition, e->offset >= 0 ? e->offset : lo);
        if (e->offset >= 0) {
            if (lo > e->offset) {
                lost_range(range, sizeof(range), e->offset, lo);
                snprintf(c->lost, sizeof(c->lost),
                         "topic '%s' partition %d: group '%s' committed offset %lld, but the log "
                         "now starts at %lld: %s were lost before this group read them; %s",
                         e->topic, (int)e->partition, c->group, (long long)e->offset, (long long)lo,
                         range, lost_advice(c));
                c->records_lost = 1;
                rc = -1;
            }
            continue;
        }
        /* Nothing committed: the log's start decides whether records went
         * before this group read them, so not knowing it is no "nothing
         * lost": the next poll fails and the stage starts over. */
        if (lo < 0) {
            if (err)
                snprintf(c->lost, sizeof(c->lost),
                         "group '%s': unable to find where its assigned partitions (%d) start: %s",
                         c->group, parts->cnt, rd_kafka_err2str(err));
            else
                snprintf(c->lost, sizeof(c->lost),
                         "group '%s': unable to find where topic '%s' partition %d starts: %s",
                         c->group, e->topic, (int)e->partition,
                         start->elems[i].err ? rd_kafka_err2str(start->elems[i].err)
                                             : "the broker returned no offset");
            rc = -1;
            break;
        }
        e->offset = RD_KAFKA_OFFSET_BEGINNING;
        if (lo == 0)
            continue;
        int embedded = embedded_known(c);
        if (embedded < 0) {
            rc = -1;
            break;
        }
        lost_range(range, sizeof(range), 0, lo);
        if (embedded) {
            snprintf(c->lost, sizeof(c->lost),
                     "topic '%s' partition %d: the log starts at offset %lld: %s were dropped "
                     "before group '%s' read them; %s",
                     e->topic, (int)e->partition, (long long)lo, range, c->group, lost_advice(c));
            c->records_lost = 1;
            rc = -1;
        } else {
            LOG_WARN("kafka: group '%s' starts topic '%s' partition %d at offset %lld: the broker "
                     "deleted offsets below it (retention) before the group first read them",
                     c->group, e->topic, (int)e->partition, (long long)lo);
        }
    }
    rd_kafka_topic_partition_list_destroy(start);
    return rc;
}

/* Takes parts as the whole assignment (NULL: none). librdkafka refuses it when
 * the group's protocol wants incremental changes, which check_props keeps out;
 * should it refuse anyway, the next poll fails with why, rather than the
 * consumer reading nothing without a word. */
static void assign(kafka_consumer *c, rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, parts);
    if (err && !c->lost[0])
        snprintf(c->lost, sizeof(c->lost), "group '%s': unable to %s: %s", c->group,
                 parts ? "take the partitions it was assigned" : "give up its partitions",
                 rd_kafka_err2str(err));
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kafka_consumer *c = opaque;
    kafka_tp *tps = tps_from_list(parts);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        LOG_INFO("kafka %s: assigned %d partitions", rd_kafka_name(rk), parts->cnt);
        if (c->have_rh && c->rh.assigned)
            c->rh.assigned(c->rh.opaque, tps, (size_t)parts->cnt);
        if (resolve_start_offsets(c, parts) != 0) {
            /* Assigned but not fetched: the next poll reports the loss. */
            for (int i = 0; i < parts->cnt; i++)
                parts->elems[i].offset = RD_KAFKA_OFFSET_END;
            LOG_ERROR("kafka %s: %s", rd_kafka_name(rk), c->lost);
            assign(c, rk, parts);
            rd_kafka_pause_partitions(rk, parts);
        } else {
            assign(c, rk, parts);
        }
    } else {
        LOG_INFO("kafka %s: revoked %d partitions", rd_kafka_name(rk), parts->cnt);
        if (c->have_rh && c->rh.revoked)
            c->rh.revoked(c->rh.opaque, tps, (size_t)parts->cnt);
        assign(c, rk, NULL);
        c->nstarts = 0;
    }
    free(tps);
}

/* conf's value of key (malloc'd), NULL when it has none. */
static char *conf_value(const rd_kafka_conf_t *conf, const char *key)
{
    size_t n = 0;
    if (rd_kafka_conf_get(conf, key, NULL, &n) != RD_KAFKA_CONF_OK || n == 0)
        return NULL;
    char *v = xmalloc(n);
    if (rd_kafka_conf_get(conf, key, v, &n) != RD_KAFKA_CONF_OK) {
        free(v);
        return NULL;
    }
    return v;
}

/* 1 when conf's value of key is value. */
static int conf_is(const rd_kafka_conf_t *conf, const char *key, const char *value)
{
    char *v = conf_value(conf, key);
    int yes = v && strcmp(v, value) == 0;
    free(v);
    return yes;
}

/* Properties that would void what the consumers promise, refused with the
 * reason. The stages' rebalance handlers hand over whole assignments (a revoke
 * finishes the work of every partition): eager rebalancing only. With a
 * cooperative strategy librdkafka refuses every assign() and the consumer
 * would read nothing; group.protocol=consumer (KIP-848) rebalances
 * incrementally too (rd_kafka_new refuses it over our session settings, with a
 * message that does not say why). Offsets are committed by ticklake once what
 * was read is safe: automatic commits of the offsets librdkafka stores as
 * records are read would run ahead of that. A stage's consumer reads
 * committed records only: read_uncommitted would take in the outputs of
 * aborted transactions, which the processor publishes again. */
static int check_props(const rd_kafka_conf_t *conf, int stage, char *errstr, size_t errstr_size)
{
    char *strategy = conf_value(conf, "partition.assignment.strategy");
    char *protocol = conf_value(conf, "group.protocol");
    int rc = 0;
    if (strategy && strstr(strategy, "cooperative"))
        rc = set_err(errstr, errstr_size,
                     "partition.assignment.strategy '%s': ticklake's consumers rebalance eagerly "
                     "(a revoke hands over every partition); use range or roundrobin",
                     strategy);
    else if (protocol && strcmp(protocol, "classic") != 0)
        rc = set_err(errstr, errstr_size,
                     "group.protocol '%s': ticklake's consumers rebalance eagerly, which only the "
                     "classic group protocol does; use classic",
                     protocol);
    else if (conf_is(conf, "enable.auto.commit", "true") &&
             conf_is(conf, "enable.auto.offset.store", "true"))
        rc = set_err(errstr, errstr_size,
                     "enable.auto.commit=true with enable.auto.offset.store=true: librdkafka "
                     "would commit what was read before ticklake made it safe; ticklake commits "
                     "offsets itself");
    else if (stage && conf_is(conf, "isolation.level", "read_uncommitted"))
        rc = set_err(errstr, errstr_size,
                     "isolation.level 'read_uncommitted': a stage reads committed records only "
                     "(the outputs of an aborted transaction are published again)");
    free(strategy);
    free(protocol);
    return rc;
}

/* The configuration of a consumer in group: ticklake's settings, then o's. */
static rd_kafka_conf_t *consumer_conf(const kafka_opts *o, const char *group, char *errstr,
                                      size_t errstr_size)
{
    const char *const defaults[] = {"client.id", group, "group.id", group, "enable.auto.commit",
                                    "false", "enable.auto.offset.store", "false",
                                    "auto.offset.reset", "error", /* resolve_start_offsets */
                                    "isolation.level", "read_committed", "session.timeout.ms",
                                    "10000", "heartbeat.interval.ms", "1000", "fetch.wait.max.ms",
                                    "50", "queued.max.messages.kbytes", "65536",
                                    /* Once its queue is over queued.min.messages or
                                     * queued.max.messages.kbytes, librdkafka fetches
                                     * again only after this backoff (default 1 s): a
                                     * consumer with a small queue (the processor's
                                     * 4 MB) then reads in bursts. 10 ms drained
                                     * 2,000,000 trades through it in 0.70 s instead
                                     * of 1.59 s, and costs nothing with the default
                                     * queue (bench/consume.c, decision 0039). */
                                    "fetch.queue.backoff.ms", "10", NULL};
    return kafka_conf_make(o, defaults, errstr, errstr_size);
}

int kafka_consumer_check(const kafka_opts *o, int stage, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = consumer_conf(o, "check", errstr, errstr_size);
    if (!conf)
        return -1;
    int rc = check_props(conf, stage, errstr, errstr_size);
    rd_kafka_conf_destroy(conf);
    return rc;
}

kafka_consumer *kafka_consumer_new(const kafka_opts *o, const char *group,
                                   const char *const *topics, size_t ntopics,
                                   const kafka_rebalance_handler *rh, char *errstr,
                                   size_t errstr_size)
{
    rd_kafka_conf_t *conf = consumer_conf(o, group, errstr, errstr_size);
    if (!conf)
        return NULL;
    if (check_props(conf, rh != NULL, errstr, errstr_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* A restarted member with the same instance id takes its partitions back
     * at once instead of waiting for a rebalance. */
    if (o->group_instance_id &&
        kafka_conf_set(conf, "group.instance.id", o->group_instance_id, errstr, errstr_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    kafka_consumer *c = calloc(1, sizeof(*c));
    snprintf(c->group, sizeof(c->group), "%s", group);
    c->user_reset = kafka_user_set(o, "auto.offset.reset");
    if (rh) {
        c->rh = *rh;
        c->have_rh = 1;
    }
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    c->rk = kafka_new_handle(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
    if (!c->rk)
        goto fail;
    if (kafka_check_handle(c->rk, o, errstr, errstr_size) != 0)
        goto fail;
    strlcpy_tl(c->brokers, o->brokers, sizeof(c->brokers));
    c->timeout_ms = kafka_timeout_of(o);
    char why[512];
    c->embedded = kafka_is_embedded(c->rk, o, why, sizeof(why));
    if (c->embedded < 0) /* asked again when a partition's start depends on it */
        LOG_DEBUG("kafka %s: %s", rd_kafka_name(c->rk), why);
    rd_kafka_poll_set_consumer(c->rk);
    c->q = rd_kafka_queue_get_consumer(c->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new((int)ntopics);
    for (size_t i = 0; i < ntopics; i++)
        rd_kafka_topic_partition_list_add(sub, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (err) {
        set_err(errstr, errstr_size, "unable to subscribe: %s", rd_kafka_err2str(err));
        goto fail;
    }
    return c;
fail:
    if (c->q)
        rd_kafka_queue_destroy(c->q);
    if (c->rk)
        rd_kafka_destroy(c->rk);
    free(c);
    return NULL;
}

/* The consumer's position (offset) on topic [partition] is no longer in the
 * log: the records between it and the log's start were deleted before this
 * consumer read them (or the log was recreated and is shorter). Always -1,
 * with errstr naming the partition and the offsets lost. */
static int offset_out_of_range(kafka_consumer *c, const char *topic, int32_t partition,
                               int64_t offset, char *errstr, size_t errstr_size)
{
    c->records_lost = 1;
    int64_t lo = -1, hi = -1;
    rd_kafka_query_watermark_offsets(c->rk, topic, partition, &lo, &hi, 5000);
    char range[96];
    if (offset >= 0 && lo > offset) {
        lost_range(range, sizeof(range), offset, lo);
        return set_err(errstr, errstr_size,
                       "topic '%s' partition %d: group '%s' was at offset %lld but the log now "
                       "starts at %lld: %s were lost before it read them; %s",
                       topic, (int)partition, c->group, (long long)offset, (long long)lo, range,
                       lost_advice(c));
    }
    if (offset >= 0 && hi >= 0 && offset > hi)
        return set_err(errstr, errstr_size,
                       "topic '%s' partition %d: group '%s' is at offset %lld, past the log's end "
                       "%lld: the topic was recreated or the broker lost records it had "
                       "acknowledged; reset the group's offsets or use a new group",
                       topic, (int)partition, c->group, (long long)offset, (long long)hi);
    return set_err(errstr, errstr_size,
                   "topic '%s' partition %d: offset %lld is out of range (log %lld..%lld); "
                   "nothing is skipped without a word: %s",
                   topic, (int)partition, (long long)offset, (long long)lo, (long long)hi,
                   lost_advice(c));
}

/* Handles a message that carries an error: 0 to skip it (logged), -1 for a
 * fatal consumer error (errstr set). Does not destroy rm. */
static int message_error(kafka_consumer *c, const rd_kafka_message_t *rm, char *errstr,
                         size_t errstr_size)
{
    if (rm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        return 0;
    if (rm->err == RD_KAFKA_RESP_ERR__FATAL) {
        char reason[256];
        rd_kafka_fatal_error(c->rk, reason, sizeof(reason));
        return set_err(errstr, errstr_size, "consumer failed: %s", reason);
    }
    if (rm->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && rm->rkt)
        return offset_out_of_range(c, rd_kafka_topic_name(rm->rkt), rm->partition, rm->offset,
                                   errstr, errstr_size);
    if (rm->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && rm->rkt) {
        /* A consumer started before the stage that creates its topic (the
         * console's alerts.live under `ticklake run`): normal, and no loss;
         * the group takes the topic in once it exists. */
        LOG_INFO("kafka consumer: topic '%s' does not exist yet; it is read once it is created",
                 rd_kafka_topic_name(rm->rkt));
        return 0;
    }
    LOG_WARN("kafka consumer: %s%s%s [%d]: %s", rm->rkt ? "topic '" : "",
             rm->rkt ? rd_kafka_topic_name(rm->rkt) : "", rm->rkt ? "'" : "", (int)rm->partition,
             rd_kafka_message_errstr(rm));
    return 0;
}

static void fill_msg(kafka_msg *m, rd_kafka_message_t *rm)
{
    m->topic = rd_kafka_topic_name(rm->rkt);
    m->partition = rm->partition;
    m->offset = rm->offset;
    m->key = rm->key;
    m->key_len = rm->key_len;
    m->value = rm->payload;
    m->value_len = rm->len;
    m->timestamp_ms = rd_kafka_message_timestamp(rm, NULL);
    m->handle = rm;
}

int kafka_consumer_poll_batch(kafka_consumer *c, int timeout_ms, kafka_msg *ms, size_t max,
                              char *errstr, size_t errstr_size)
{
    if (max > c->rms_cap) {
        rd_kafka_message_t **r = realloc(c->rms, max * sizeof(*r));
        if (!r)
            return set_err(errstr, errstr_size, "out of memory");
        c->rms = r;
        c->rms_cap = max;
    }
    if (c->lost[0])
        return set_err(errstr, errstr_size, "%s", c->lost);
    /* librdkafka's batch call waits until it has max records or the timeout
     * passed: a lone record would wait out the whole timeout. So take what is
     * ready, and only when nothing is, wait for the first record alone (the
     * next call takes what came after it: a second call here could serve a
     * revoke after the first record was taken, and that record would not be
     * dropped with its partition's). */
    ssize_t got = rd_kafka_consume_batch_queue(c->q, 0, c->rms, max);
    if (got == 0 && timeout_ms != 0)
        got = rd_kafka_consume_batch_queue(c->q, timeout_ms, c->rms, 1);
    if (got == 0 && c->lost[0])
        return set_err(errstr, errstr_size, "%s", c->lost);
    if (got < 0)
        return set_err(errstr, errstr_size, "consumer failed: %s",
                       rd_kafka_err2str(rd_kafka_last_error()));
    int n = 0, rc = 0;
    for (ssize_t i = 0; i < got; i++) {
        rd_kafka_message_t *rm = c->rms[i];
        if (rc == 0 && !rm->err) {
            fill_msg(&ms[n++], rm);
            continue;
        }
        if (rc == 0 && message_error(c, rm, errstr, errstr_size) != 0)
            rc = -1;
        rd_kafka_message_destroy(rm);
    }
    if (rc != 0) {
        for (int i = 0; i < n; i++)
            kafka_msg_release(&ms[i]);
        return -1;
    }
    return n;
}

int kafka_consumer_poll(kafka_consumer *c, int timeout_ms, kafka_msg *m, char *errstr,
                        size_t errstr_size)
{
    if (c->lost[0])
        return set_err(errstr, errstr_size, "%s", c->lost);
    rd_kafka_message_t *rm = rd_kafka_consumer_poll(c->rk, timeout_ms);
    if (!rm)
        return c->lost[0] ? set_err(errstr, errstr_size, "%s", c->lost) : 0;
    if (rm->err) {
        int rc = message_error(c, rm, errstr, errstr_size);
        rd_kafka_message_destroy(rm);
        return rc;
    }
    fill_msg(m, rm);
    return 1;
}

void kafka_msg_release(kafka_msg *m)
{
    if (m && m->handle) {
        rd_kafka_message_destroy(m->handle);
        m->handle = NULL;
    }
}

int kafka_consumer_seek(kafka_consumer *c, const kafka_tp *tps, size_t n, char *errstr,
                        size_t errstr_size)
{
    if (n == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, tps[i].topic, tps[i].partition)->offset =
            tps[i].offset >= 0 ? tps[i].offset : RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_error_t *error = rd_kafka_seek_partitions(c->rk, l, 10000);
    int rc = 0;
    if (error) {
        rc = set_err(errstr, errstr_size, "seek failed: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    for (int i = 0; rc == 0 && i < l->cnt; i++)
        if (l->elems[i].err)
            rc = set_err(errstr, errstr_size, "seek on '%s' [%d] failed: %s", l->elems[i].topic,
                         (int)l->elems[i].partition, rd_kafka_err2str(l->elems[i].err));
    for (size_t i = 0; rc == 0 && i < n; i++)
        start_note(c, tps[i].topic, tps[i].partition, tps[i].offset >= 0 ? tps[i].offset : -1);
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

int kafka_consumer_commit(kafka_consumer *c, const kafka_tp *tps, size_t n, char *errstr,
                          size_t errstr_size)
{
    if (n == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = kafka_tp_list_new(tps, n);
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, l, 0);
    int rc = 0;
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        rc = set_err(errstr, errstr_size, "offset commit failed: %s", rd_kafka_err2str(err));
    for (int i = 0; rc == 0 && i < l->cnt; i++)
        if (l->elems[i].err) {
            err = l->elems[i].err;
            rc = set_err(errstr, errstr_size, "offset commit for '%s' [%d] failed: %s",
                         l->elems[i].topic, (int)l->elems[i].partition, rd_kafka_err2str(err));
        }
    rd_kafka_topic_partition_list_destroy(l);
    if (rc != 0 &&
        (err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
         err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID))
        rc = KAFKA_COMMIT_REBALANCING;
    return rc;
}

int kafka_consumer_committed(kafka_consumer *c, kafka_tp *tps, size_t n, int timeout_ms,
                             char *errstr, size_t errstr_size)
{
    if (n == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, tps[i].topic, tps[i].partition);
    rd_kafka_resp_err_t err = rd_kafka_committed(c->rk, l, timeout_ms);
    int rc = 0;
    if (err)
        rc = set_err(errstr, errstr_size, "unable to fetch committed offsets: %s",
                     rd_kafka_err2str(err));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const rd_kafka_topic_partition_t *e = &l->elems[i];
        /* A partition's own error (an offset commit not yet stable, a
         * coordinator loading) leaves its offset and metadata empty: not
         * "nothing committed". */
        if (e->err) {
            rc = set_err(errstr, errstr_size,
                         "unable to fetch the committed offset of '%s' [%d]: %s", e->topic,
                         (int)e->partition, rd_kafka_err2str(e->err));
            break;
        }
        tps[i].offset = e->offset >= 0 ? e->offset : -1;
        size_t m =
            e->metadata_size < KAFKA_METADATA_MAX - 1 ? e->metadata_size : KAFKA_METADATA_MAX - 1;
        if (e->metadata && m)
            memcpy(tps[i].metadata, e->metadata, m);
        tps[i].metadata[e->metadata ? m : 0] = '\0';
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

int64_t kafka_consumer_lag(kafka_consumer *c)
{
    int64_t max;
    return kafka_consumer_lag_max(c, &max);
}

int64_t kafka_consumer_lag_max(kafka_consumer *c, int64_t *max)
{
    *max = 0;
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(c->rk, &a) != 0 || !a)
        return 0;
    int64_t lag = 0;
    rd_kafka_position(c->rk, a);
    for (int i = 0; i < a->cnt; i++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(c->rk, a->elems[i].topic, a->elems[i].partition, &lo,
                                           &hi) != 0 ||
            hi < 0)
            continue;
        /* Nothing consumed since the assignment or a seek: the partition
         * stands where that put it (its committed offset, say), not at the
         * log's start, or a partition with nothing new would show its whole
         * log as lag until its next record, and hold back every idle
         * timeout of the processor meanwhile. */
        int64_t pos = a->elems[i].offset;
        if (pos < 0) {
            const struct start_pos *sp = start_find(c, a->elems[i].topic, a->elems[i].partition);
            pos = sp && sp->offset >= 0 ? sp->offset : lo;
        }
        if (hi > pos) {
            lag += hi - pos;
            if (hi - pos > *max)
                *max = hi - pos;
        }
    }
    rd_kafka_topic_partition_list_destroy(a);
    return lag;
}

int64_t kafka_consumer_high_watermark(kafka_consumer *c, const char *topic, int32_t partition)
{
    int64_t lo, hi;
    if (rd_kafka_get_watermark_offsets(c->rk, topic, partition, &lo, &hi) != 0 || hi < 0)
        return -1;
    return hi;
}

int kafka_consumer_caught_up(kafka_consumer *c, int timeout_ms)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(c->rk, &a) != 0 || !a)
        return 0;
    int caught_up = a->cnt > 0;
    rd_kafka_position(c->rk, a);
    /* Nothing consumed yet on a partition: its committed offset is where it stands. */
    rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(a);
    if (rd_kafka_committed(c->rk, committed, timeout_ms) != 0)
        caught_up = 0;
    for (int i = 0; caught_up && i < a->cnt; i++)
        if (a->elems[i].offset < 0)
            a->elems[i].offset = committed->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(committed);
    for (int i = 0; caught_up && i < a->cnt; i++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(c->rk, a->elems[i].topic, a->elems[i].partition, &lo,
                                             &hi, timeout_ms) != 0) {
            caught_up = 0;
            break;
        }
        int64_t pos = a->elems[i].offset;
        /* Neither consumed nor committed: caught up only if the partition is empty. */
        if (pos < 0 ? hi > lo : pos < hi)
            caught_up = 0;
    }
    rd_kafka_topic_partition_list_destroy(a);
    return caught_up;
}

void kafka_consumer_close(kafka_consumer *c)
{
    if (!c)
        return;
    rd_kafka_consumer_close(c->rk);
    if (c->q)
        rd_kafka_queue_destroy(c->q);
    rd_kafka_destroy(c->rk);
    free(c->rms);
    free(c->starts);
    free(c);
}

struct rd_kafka_s *kafka_consumer_handle(kafka_consumer *c)
{
    return c->rk;
}

int kafka_consumer_records_lost(const kafka_consumer *c)
{
    return c->records_lost;
}

int kafka_consumer_fenced(const kafka_consumer *c)
{
    char err[256];
    rd_kafka_resp_err_t code = rd_kafka_fatal_error(c->rk, err, sizeof(err));
    return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}
