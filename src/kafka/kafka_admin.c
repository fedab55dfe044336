/* kafka_admin.c - topics and what the cluster can do; see kafka_admin.h. */
#include "kafka_admin.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_conf.h"
#include "log.h"
#include "util.h"

/* Waits until every partition of the topics answers a ListOffsets request
 * from its leader. CreateTopics returns once the controller has committed a
 * topic, but a broker publishes the new leader in its metadata before its
 * replica manager leads the partition, and a produce in between fails with
 * NOT_LEADER_OR_FOLLOWER. librdkafka's idempotent producer (2.0.2 to 2.15.1) loses records
 * then: the failed first batch is "implicitly acknowledged" when the next
 * batch succeeds, because a broker without state for the producer id accepts
 * any first sequence (seen in t0050: 1 in 4 paced ingest runs on a fresh
 * topic lost its first 1-2 records while reporting them delivered).
 * ListOffsets takes the same leader check as Produce. Each try is one
 * metadata request and one ListOffsets per leader, for all the partitions. */
static int wait_partitions_ready(rd_kafka_t *rk, const kafka_opts *o, const char *const *topics,
                                 size_t ntopics, char *errstr, size_t errstr_size)
{
    int64_t until = mono_ns() + (int64_t)kafka_timeout_of(o) * 1000000;
    char why[320];
    for (int tries = 0;; tries++) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 2000);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(64);
        snprintf(why, sizeof(why), "metadata: %s", rd_kafka_err2str(err));
        for (size_t i = 0; !err && i < ntopics; i++) {
            int n = kafka_topic_partitions(md, topics[i]);
            if (n == 0) {
                snprintf(why, sizeof(why), "topic '%s' has no partitions", topics[i]);
                err = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
            }
            for (int32_t k = 0; k < n; k++)
                rd_kafka_topic_partition_list_add(l, topics[i], k)->offset = RD_KAFKA_OFFSET_END;
        }
        if (md)
            rd_kafka_metadata_destroy(md);
        if (!err) {
            err = rd_kafka_offsets_for_times(rk, l, 2000);
            snprintf(why, sizeof(why), "%s", rd_kafka_err2str(err));
        }
        for (int i = 0; !err && i < l->cnt; i++)
            if (l->elems[i].err) {
                err = l->elems[i].err;
                snprintf(why, sizeof(why), "partition %d of topic '%s': %s",
                         (int)l->elems[i].partition, l->elems[i].topic, rd_kafka_err2str(err));
            }
        rd_kafka_topic_partition_list_destroy(l);
        if (!err) {
            if (tries > 0)
                LOG_DEBUG("kafka: %zu topics ready after %d retries", ntopics, tries);
            return 0;
        }
        if (mono_ns() > until)
            return set_err(errstr, errstr_size, "no ready leader after %d ms: %s",
                           kafka_timeout_of(o), why);
        /* A new topic's leaders are usually ready within tens of ms. */
        sleep_ns((tries < 3 ? 10LL << tries : 50) * 1000000LL);
    }
}

/* Asks for topic itself until it has partitions, up to the connect timeout:
 * on the embedded broker this is what creates it (a producer's metadata
 * request allows auto-creation; a consumer's does not, and the mock cluster
 * of librdkafka 2.2 and later honours that). Fills *partitions_out. */
static int wait_topic_exists(rd_kafka_t *rk, const kafka_opts *o, const char *topic,
                             int *partitions_out, char *errstr, size_t errstr_size)
{
    for (int64_t until = mono_ns() + (int64_t)kafka_timeout_of(o) * 1000000;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, kafka_timeout_of(o));
        rd_kafka_topic_destroy(rkt);
        int have = err ? 0 : kafka_topic_partitions(md, topic);
        if (md)
            rd_kafka_metadata_destroy(md);
        if (have > 0) {
            *partitions_out = have;
            return 0;
        }
        if (mono_ns() > until)
            return set_err(errstr, errstr_size, "topic '%s' has no partitions on '%s'", topic,
                           o->brokers);
        sleep_ns(100 * 1000000LL);
    }
}

int kafka_topic_replication(int brokers, int replication, int min_isr, int *replication_out,
                            int *min_isr_out, char *errstr, size_t errstr_size)
{
    int rf = replication > 0 ? replication : brokers < 3 ? (brokers > 0 ? brokers : 1) : 3;
    int isr = min_isr > 0 ? min_isr : rf >= 3 ? 2 : 1;
    if (isr > rf)
        return set_err(errstr, errstr_size,
                       "min.insync.replicas %d is more than the replication factor %d%s: no "
                       "write could succeed",
                       isr, rf, replication > 0 ? "" : " (chosen from the live brokers)");
    *replication_out = rf;
    *min_isr_out = isr;
    return 0;
}

/* The replication settings of a topic to be created on the cluster md
 * describes: kafka_topic_replication, and min.insync.replicas as a topic
 * config when it was asked for or is above the broker's usual 1. */
static rd_kafka_NewTopic_t *new_topic(const struct rd_kafka_metadata *md, const char *topic,
                                      int partitions, int replication, int min_isr, char *errstr,
                                      size_t errstr_size)
{
    int rf = 1, isr = 1;
    if (kafka_topic_replication(md->broker_cnt, replication, min_isr, &rf, &isr, errstr,
                                errstr_size) != 0)
        return NULL;
    char err[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, rf, err, sizeof(err));
    if (!nt) {
        set_err(errstr, errstr_size, "topic '%s': %s", topic, err);
        return NULL;
    }
    if (min_isr > 0 || isr > 1) {
        char v[16];
        snprintf(v, sizeof(v), "%d", isr);
        rd_kafka_NewTopic_set_config(nt, "min.insync.replicas", v);
    }
    LOG_DEBUG("kafka: topic '%s': %d partitions, replication %d, min.insync.replicas %d (%d "
              "brokers)",
              topic, partitions, rf, isr, md->broker_cnt);
    return nt;
}

int kafka_ensure_topics(const kafka_opts *o, const char *const *topics, size_t ntopics,
                        int partitions, int replication, int min_isr, char *errstr,
                        size_t errstr_size)
{
    /* Only the topics the cluster does not have yet are created. */
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_t *rk = kafka_admin_metadata(o, 1, &md, errstr, errstr_size);
    if (!rk)
        return -1;
    int rc = 0;
    rd_kafka_NewTopic_t **nt = calloc(ntopics, sizeof(*nt));
    const char **missing = calloc(ntopics, sizeof(*missing));
    size_t nmissing = 0;
    const char *first_missing = NULL;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    for (size_t i = 0; rc == 0 && i < ntopics; i++) {
        int exists = 0;
        for (int k = 0; k < md->topic_cnt; k++)
            if (strcmp(md->topics[k].topic, topics[i]) == 0 && !md->topics[k].err)
                exists = 1;
        if (exists)
            continue;
        if (!first_missing)
            first_missing = topics[i];
        nt[nmissing] =
            new_topic(md, topics[i], partitions, replication, min_isr, errstr, errstr_size);
        if (!nt[nmissing])
            rc = -1;
        else
            missing[nmissing++] = topics[i];
    }
    /* Without a controller (the embedded broker) topics come into being when
     * first used, with the broker's default partitions. */
    int have_controller = kafka_has_controller(rk, md);
    rd_kafka_metadata_destroy(md);
    size_t nall = ntopics;
    ntopics = nmissing;
    if (rc == 0 && nmissing > 0 && !have_controller) {
        /* It gives every topic it creates on first use its default
         * partition count, whatever was asked. */
        if (partitions != KAFKA_EMBEDDED_PARTITIONS)
            rc = set_err(errstr, errstr_size,
                         "the embedded broker at '%s' has no topic '%s' and creates topics with %d "
                         "partitions on first use, not the %d asked for: start it with `ticklake "
                         "broker --partitions %d` (which creates the pipeline's topics with %d "
                         "partitions)",
                         o->brokers, first_missing, KAFKA_EMBEDDED_PARTITIONS, partitions,
                         partitions, partitions);
        /* The missing topics come into being when a producer's metadata
         * request names them. */
        for (size_t i = 0; rc == 0 && i < nmissing; i++) {
            int n = 0;
            rc = wait_topic_exists(rk, o, missing[i], &n, errstr, errstr_size);
        }
        if (rc == 0)
            LOG_DEBUG("kafka: '%s' has no controller; %zu topics auto-created", o->brokers,
                      nmissing);
        nmissing = 0;
    }
    if (rc == 0 && nmissing > 0) {
        rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(ao, kafka_timeout_of(o), NULL, 0);
        rd_kafka_AdminOptions_set_request_timeout(ao, kafka_timeout_of(o), NULL, 0);
        rd_kafka_CreateTopics(rk, nt, ntopics, ao, q);
        rd_kafka_AdminOptions_destroy(ao);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, kafka_timeout_of(o) + 2000);
        if (!ev) {
            rc = set_err(errstr, errstr_size, "creating topics on '%s' timed out", o->brokers);
        } else if (rd_kafka_event_error(ev)) {
            rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
            if (err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
                err == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION) {
                LOG_WARN("kafka: '%s' did not create topics (%s); relying on auto-creation",
                         o->brokers, rd_kafka_event_error_string(ev));
            } else {
                rc = set_err(errstr, errstr_size, "unable to create topics on '%s': %s", o->brokers,
                             rd_kafka_event_error_string(ev));
            }
        } else {
            const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
            size_t n;
            const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
            for (size_t i = 0; i < n; i++) {
                rd_kafka_resp_err_t err = rd_kafka_topic_result_error(tr[i]);
                if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                    LOG_INFO("created topic '%s' (%d partitions)",
                             rd_kafka_topic_result_name(tr[i]), partitions);
                else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                    rc = set_err(errstr, errstr_size, "unable to create topic '%s': %s",
                                 rd_kafka_topic_result_name(tr[i]),
                                 rd_kafka_topic_result_error_string(tr[i]));
                    break;
                }
            }
        }
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    /* Every topic, not only those created here: another client (a stage of
     * the same `run`) may have created one a moment ago. */
    if (rc == 0 && have_controller)
        rc = wait_partitions_ready(rk, o, topics, nall, errstr, errstr_size);
    for (size_t i = 0; i < ntopics; i++)
        if (nt[i])
            rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    free(missing);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

/* Kafka never compacts a partition's active segment, and its defaults roll
 * one at 1 GiB or after 7 days: at the processor's ~0.6 MB/s of changelog
 * (2,000 symbols) each partition would hold up to a GiB of superseded state,
 * all of which a restore reads back. Segments of 64 MiB, rolled at least
 * hourly, let the cleaner reach all of a partition's log but its last 64 MiB
 * (or hour); a dirty ratio of 0.1 cleans once a tenth of the log is
 * superseded rather than half, which costs a little cleaner I/O on a topic
 * this small and keeps a restore near the size of the state itself. Kafka
 * takes these from 0.8 on, and they do not change what a reader sees. */
const kafka_topic_config kafka_compacted_configs[] = {
    {"cleanup.policy", "compact"},
    {"segment.bytes", "67108864"},
    {"segment.ms", "3600000"},
    {"min.cleanable.dirty.ratio", "0.1"},
    {NULL, NULL},
};

/* Sends a DescribeConfigs (alter 0) or an IncrementalAlterConfigs (alter 1) of the one
 * resource res on q and waits for the answer: the resource answered (valid until *ev, which the
 * caller destroys when not NULL, is destroyed), or NULL with why saying what failed. */
static const rd_kafka_ConfigResource_t *config_request(rd_kafka_t *rk, const kafka_opts *o,
                                                       rd_kafka_queue_t *q,
                                                       rd_kafka_ConfigResource_t *res, int alter,
                                                       rd_kafka_event_t **ev, char *why,
                                                       size_t why_size)
{
    const char *what = alter ? "altering its configs" : "describing its configs";
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(
        rk, alter ? RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS : RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_AdminOptions_set_request_timeout(ao, kafka_timeout_of(o), NULL, 0);
    if (alter)
        rd_kafka_IncrementalAlterConfigs(rk, &res, 1, ao, q);
    else
        rd_kafka_DescribeConfigs(rk, &res, 1, ao, q);
    rd_kafka_AdminOptions_destroy(ao);
    *ev = rd_kafka_queue_poll(q, kafka_timeout_of(o) + 2000);
    if (!*ev) {
        snprintf(why, why_size, "%s timed out", what);
        return NULL;
    }
    if (rd_kafka_event_error(*ev)) {
        snprintf(why, why_size, "%s: %s", what, rd_kafka_event_error_string(*ev));
        return NULL;
    }
    size_t n = 0;
    const rd_kafka_ConfigResource_t **r =
        alter ? rd_kafka_IncrementalAlterConfigs_result_resources(
                    rd_kafka_event_IncrementalAlterConfigs_result(*ev), &n)
              : rd_kafka_DescribeConfigs_result_resources(
                    rd_kafka_event_DescribeConfigs_result(*ev), &n);
    if (n < 1 || rd_kafka_ConfigResource_error(r[0])) {
        snprintf(why, why_size, "%s: %s", what,
                 n ? rd_kafka_ConfigResource_error_string(r[0]) : "no answer");
        return NULL;
    }
    return r[0];
}

/* The settings of kafka_compacted_configs that the topic described by res has at the broker's
 * defaults, added to alter (made when NULL) and listed in changes ("name=new (was old), ...");
 * a cleanup.policy without compact set on the topic itself is warned about. */
static rd_kafka_ConfigResource_t *missing_configs(const rd_kafka_ConfigResource_t *res,
                                                  const char *topic, char *changes,
                                                  size_t changes_size)
{
    rd_kafka_ConfigResource_t *alter = NULL;
    size_t ne = 0, clen = 0;
    const rd_kafka_ConfigEntry_t **e = rd_kafka_ConfigResource_configs(res, &ne);
    for (const kafka_topic_config *c = kafka_compacted_configs; c->name; c++) {
        for (size_t i = 0; i < ne; i++) {
            if (strcmp(rd_kafka_ConfigEntry_name(e[i]), c->name) != 0)
                continue;
            const char *v = rd_kafka_ConfigEntry_value(e[i]);
            if (v && strcmp(v, c->value) == 0)
                break;
            if (rd_kafka_ConfigEntry_source(e[i]) == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) {
                if (strcmp(c->name, "cleanup.policy") == 0 && (!v || !strstr(v, "compact")))
                    LOG_WARN("kafka: topic '%s' has cleanup.policy=%s, set on the topic: the "
                             "state it keeps is deleted by retention instead of compacted, and a "
                             "restart then misses it; ticklake leaves it as set",
                             topic, v ? v : "");
                break;
            }
            if (!alter)
                alter = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
            rd_kafka_error_t *err = rd_kafka_ConfigResource_add_incremental_config(
                alter, c->name, RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET, c->value);
            if (err)
                rd_kafka_error_destroy(err);
            else if (clen < changes_size)
                clen += (size_t)snprintf(changes + clen, changes_size - clen, "%s%s=%s (was %s)",
                                         clen ? ", " : "", c->name, c->value, v ? v : "unset");
            break;
        }
    }
    return alter;
}

/* A topic that already exists (made by an older ticklake, or by hand) gets
 * kafka_compacted_configs where it has the broker's defaults; a value set on
 * the topic itself (kafka-configs --alter) is the operator's and stays.
 * Tuning is best effort: a broker that refuses (no ALTER_CONFIGS right)
 * leaves a warning pointing at the command to run, and the topic works as it is. */
static void tune_compacted_topic(rd_kafka_t *rk, const kafka_opts *o, const char *topic)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_ConfigResource_t *desc = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_event_t *ev = NULL;
    char why[512] = "", changes[512] = "";
    const rd_kafka_ConfigResource_t *res = config_request(rk, o, q, desc, 0, &ev, why, sizeof(why));
    rd_kafka_ConfigResource_t *alter =
        res ? missing_configs(res, topic, changes, sizeof(changes)) : NULL;
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_ConfigResource_destroy(desc);
    if (alter) {
        if (config_request(rk, o, q, alter, 1, &ev, why, sizeof(why)))
            LOG_INFO("kafka: compacted topic '%s' had the broker's defaults; set %s", topic,
                     changes);
        if (ev)
            rd_kafka_event_destroy(ev);
        rd_kafka_ConfigResource_destroy(alter);
    }
    if (why[0])
        LOG_WARN("kafka: compacted topic '%s': %s; it works as it is, with larger segments for "
                 "a restart to read back (docs/DATA.md, \"process changelog\", has the "
                 "kafka-configs command that sets them)",
                 topic, why);
    rd_kafka_queue_destroy(q);
}

int kafka_ensure_compacted_topic(const kafka_opts *o, const char *topic, int partitions,
                                 int replication, int min_isr, int *partitions_out, char *errstr,
                                 size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_t *rk = kafka_admin_metadata(o, 1, &md, errstr, errstr_size);
    if (!rk)
        return -1;
    int rc = 0;
    int have = kafka_topic_partitions(md, topic);
    int have_controller = kafka_has_controller(rk, md);
    rd_kafka_NewTopic_t *nt = NULL;
    if (have == 0 && have_controller)
        nt = new_topic(md, topic, partitions, replication, min_isr, errstr, errstr_size);
    rd_kafka_metadata_destroy(md);
    md = NULL;
    if (have == 0 && have_controller) {
        if (!nt) {
            rc = -1;
            goto out;
        }
        for (const kafka_topic_config *c = kafka_compacted_configs; c->name; c++)
            rd_kafka_NewTopic_set_config(nt, c->name, c->value);
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(ao, kafka_timeout_of(o), NULL, 0);
        rd_kafka_AdminOptions_set_request_timeout(ao, kafka_timeout_of(o), NULL, 0);
        rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
        rd_kafka_AdminOptions_destroy(ao);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, kafka_timeout_of(o) + 2000);
        if (!ev) {
            rc = set_err(errstr, errstr_size, "creating topic '%s' timed out", topic);
        } else if (rd_kafka_event_error(ev)) {
            rc = set_err(errstr, errstr_size, "unable to create topic '%s': %s", topic,
                         rd_kafka_event_error_string(ev));
        } else {
            size_t n;
            const rd_kafka_topic_result_t **tr =
                rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
            rd_kafka_resp_err_t err2 = n ? rd_kafka_topic_result_error(tr[0]) : 0;
            if (err2 == RD_KAFKA_RESP_ERR_NO_ERROR)
                LOG_INFO("created compacted topic '%s' (%d partitions)", topic, partitions);
            else if (err2 != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                rc = set_err(errstr, errstr_size, "unable to create topic '%s': %s", topic,
                             rd_kafka_topic_result_error_string(tr[0]));
        }
        if (ev)
            rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy(nt);
    }
    /* Ask for the topic itself until it has partitions: this also makes the
     * embedded broker auto-create it. */
    if (rc == 0)
        rc = wait_topic_exists(rk, o, topic, partitions_out, errstr, errstr_size);
    if (rc == 0 && have_controller)
        rc = wait_partitions_ready(rk, o, &topic, 1, errstr, errstr_size);
    if (rc == 0 && have > 0 && have_controller)
        tune_compacted_topic(rk, o, topic);
out:
    rd_kafka_destroy(rk);
    return rc;
}

int kafka_topic_partition_count(const kafka_opts *o, const char *topic, int *count, char *errstr,
                                size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_t *rk = kafka_admin_metadata(o, 1, &md, errstr, errstr_size);
    if (!rk)
        return -1;
    *count = kafka_topic_partitions(md, topic);
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    return 0;
}

/* tail, whole: for a read of the last `tail` records of each partition,
 * *whole is set to 1 when every partition holds at most that many (the read
 * starts at each one's first record), else 0; whole NULL: not asked. idle:
 * timeout_ms counts from the last record or partition end read, not from the
 * start. */
static int read_partitions_from(const kafka_opts *o, const char *topic, const int32_t *partitions,
                                size_t n, int64_t start, int64_t tail, int *whole, int timeout_ms,
                                int idle, kafka_record_cb cb, void *opaque, char *errstr,
                                size_t errstr_size);

int kafka_read_partitions(const kafka_opts *o, const char *topic, const int32_t *partitions,
                          size_t n, int idle_ms, kafka_record_cb cb, void *opaque, char *errstr,
                          size_t errstr_size)
{
    return read_partitions_from(o, topic, partitions, n, RD_KAFKA_OFFSET_BEGINNING, 0, NULL,
                                idle_ms, 1, cb, opaque, errstr, errstr_size);
}

int kafka_read_partitions_tail(const kafka_opts *o, const char *topic, const int32_t *partitions,
                               size_t n, int64_t last, int *whole, int timeout_ms,
                               kafka_record_cb cb, void *opaque, char *errstr, size_t errstr_size)
{
    if (last < 1)
        last = 1;
    return read_partitions_from(o, topic, partitions, n, RD_KAFKA_OFFSET_TAIL(last), last, whole,
                                timeout_ms, 0, cb, opaque, errstr, errstr_size);
}

int kafka_read_topic_tail(const kafka_opts *o, const char *topic, int64_t last, int *whole,
                          int timeout_ms, kafka_record_cb cb, void *opaque, char *errstr,
                          size_t errstr_size)
{
    int n = 0;
    if (whole)
        *whole = 1;
    if (kafka_topic_partition_count(o, topic, &n, errstr, errstr_size) != 0)
        return -1;
    if (n <= 0)
        return 0;
    int32_t *parts = xcalloc((size_t)n, sizeof(*parts));
    for (int k = 0; k < n; k++)
        parts[k] = k;
    int rc = kafka_read_partitions_tail(o, topic, parts, (size_t)n, last, whole, timeout_ms, cb,
                                        opaque, errstr, errstr_size);
    free(parts);
    return rc;
}

int kafka_read_partition_from(const kafka_opts *o, const char *topic, int32_t partition,
                              int64_t start, int timeout_ms, kafka_record_cb cb, void *opaque,
                              char *errstr, size_t errstr_size)
{
    return read_partitions_from(o, topic, &partition, 1, start, 0, NULL, timeout_ms, 0, cb, opaque,
                                errstr, errstr_size);
}

static int read_partitions_from(const kafka_opts *o, const char *topic, const int32_t *partitions,
                                size_t n, int64_t start, int64_t tail, int *whole, int timeout_ms,
                                int idle, kafka_record_cb cb, void *opaque, char *errstr,
                                size_t errstr_size)
{
    if (whole)
        *whole = 1;
    if (n == 0)
        return 0;
    /* librdkafka wants a group.id to assign partitions; it is never joined
     * and nothing is committed. A start below the log's start (retention
     * took the records there) reads from the log's start (auto.offset.reset,
     * below): librdkafka's default jumped to the end, and found nothing. */
    static const char *const defaults[] = {"client.id",
                                           "ticklake-restore",
                                           "group.id",
                                           "ticklake-restore",
                                           "enable.auto.commit",
                                           "false",
                                           "enable.partition.eof",
                                           "true",
                                           "isolation.level",
                                           "read_committed",
                                           "fetch.wait.max.ms",
                                           "10",
                                           "fetch.error.backoff.ms",
                                           "10",
                                           "fetch.queue.backoff.ms",
                                           "10", /* as kafka_consumer_new */
                                           NULL};
    rd_kafka_conf_t *conf = kafka_conf_make(o, defaults, errstr, errstr_size);
    if (!conf)
        return -1;
    /* After the user's -X: the stages' auto.offset.reset is not this reader's. */
    if (kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, errstr_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = kafka_new_handle(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
    if (!rk)
        return -1;
    rd_kafka_poll_set_consumer(rk);
    /* Learn the leaders first: an assignment without them waits 500 ms
     * before it asks again. */
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rkt && rd_kafka_metadata(rk, 0, rkt, &md, kafka_timeout_of(o)) == 0)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    int ask = tail > 0; /* until a query fails: each waits up to the connect timeout */
    for (size_t i = 0; i < n; i++) {
        int64_t from = start;
        /* A tail starts `tail` records before the end, or at the log's start:
         * librdkafka makes OFFSET_TAIL(n) offset 0 when a partition has fewer
         * than n, below the log's start once retention took older records,
         * and then keeps resetting to it. Whether the tail is the partition
         * whole: its watermarks (an unknown one counts as longer). */
        int64_t lo = 0, hi = 0;
        if (ask &&
            rd_kafka_query_watermark_offsets(rk, topic, partitions[i], &lo, &hi,
                                             kafka_timeout_of(o)) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            from = hi - tail > lo ? hi - tail : lo;
            if (whole && hi - lo > tail)
                *whole = 0;
        } else if (tail > 0) {
            ask = 0;
            if (whole)
                *whole = 0;
        }
        rd_kafka_topic_partition_list_add(l, topic, partitions[i])->offset = from;
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int rc = 0;
    if (err)
        rc = set_err(errstr, errstr_size, "unable to read '%s': %s", topic, rd_kafka_err2str(err));
    char *done = calloc(n, 1);
    size_t ndone = 0;
    int64_t timeout_ns = (int64_t)timeout_ms * 1000000, until = mono_ns() + timeout_ns;
    int64_t records = 0;
    int progressed = 0;
    while (rc == 0 && ndone < n) {
        int64_t now = mono_ns(); /* once a record: a clock read costs as much */
        if (progressed)
            until = now + timeout_ns;
        progressed = 0;
        if (now > until) {
            if (idle)
                rc = set_err(errstr, errstr_size,
                             "reading '%s' to its end made no progress for %d ms (%lld records "
                             "read, %zu of %zu partitions at their end)",
                             topic, timeout_ms, (long long)records, ndone, n);
            else
                rc = set_err(errstr, errstr_size, "reading '%s' to its end timed out after %d ms",
                             topic, timeout_ms);
            break;
        }
        rd_kafka_message_t *rm = rd_kafka_consumer_poll(rk, 100);
        if (!rm)
            continue;
        /* A record or a partition's end is progress; an error is not. */
        progressed = idle && (!rm->err || rm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF);
        if (rm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            for (size_t i = 0; i < n; i++)
                if (partitions[i] == rm->partition && !done[i]) {
                    done[i] = 1;
                    ndone++;
                }
        } else if (rm->err) {
            if (rm->err == RD_KAFKA_RESP_ERR__FATAL ||
                rm->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
                rc = set_err(errstr, errstr_size, "reading '%s' [%d]: %s", topic,
                             (int)rm->partition, rd_kafka_message_errstr(rm));
            else
                LOG_DEBUG("kafka: reading '%s' [%d]: %s", topic, (int)rm->partition,
                          rd_kafka_message_errstr(rm));
        } else {
            cb(opaque, rm->offset, rm->key, rm->key_len, rm->payload, rm->len);
            records++;
        }
        rd_kafka_message_destroy(rm);
    }
    free(done);
    int64_t t0 = mono_ns();
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    LOG_DEBUG("kafka: restore consumer closed in %lld ms", (long long)((mono_ns() - t0) / 1000000));
    return rc;
}

int kafka_supports_transactions(const kafka_opts *o, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_t *rk = kafka_admin_metadata(o, 0, &md, errstr, errstr_size);
    if (!rk)
        return -1;
    int yes = kafka_has_controller(rk, md);
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    return yes;
}
