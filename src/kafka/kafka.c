/* kafka.c - librdkafka producers, consumers, admin and the mock cluster; see kafka.h. */
#include "kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 8000

/* librdkafka syslog levels to ours. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *msg)
{
    int ours = level <= 3   ? LOG_LVL_ERROR
               : level <= 5 ? LOG_LVL_WARN
               : level == 6 ? LOG_LVL_INFO
                            : LOG_LVL_DEBUG;
    /* -X applies to every client a command makes; a consumer property on a
     * producer (or the reverse) is expected, not worth a warning. */
    if (strcmp(fac, "CONFWARN") == 0 &&
        (strstr(msg, "is a consumer property") || strstr(msg, "is a producer property")))
        ours = LOG_LVL_DEBUG;
    if (ours <= log_level)
        log_write(ours, "kafka %s: %s: %s", rd_kafka_name(rk), fac, msg);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    /* Transport errors repeat while a broker is down; they are debug noise
     * unless every broker is gone. */
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT)
        LOG_DEBUG("kafka %s: %s", rd_kafka_name(rk), reason);
    else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        LOG_WARN("kafka: all brokers are down: %s", reason);
    else
        LOG_WARN("kafka %s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name(err), reason);
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                    size_t errstr_size)
{
    char err[256];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        return set_err(errstr, errstr_size, "kafka property '%s': %s", key, err);
    return 0;
}

/* Builds a configuration: the caller's defaults (NULL-terminated key, value
 * pairs), the bootstrap list, then the user's -X properties. */
static rd_kafka_conf_t *make_conf(const kafka_opts *o, const char *const *defaults, char *errstr,
                                  size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    if (conf_set(conf, "log.connection.close", "false", errstr, errstr_size) != 0)
        goto fail;
    for (size_t i = 0; defaults && defaults[i]; i += 2)
        if (conf_set(conf, defaults[i], defaults[i + 1], errstr, errstr_size) != 0)
            goto fail;
    if (!o->brokers || !*o->brokers) {
        set_err(errstr, errstr_size, "no Kafka brokers given (--brokers)");
        goto fail;
    }
    if (conf_set(conf, "bootstrap.servers", o->brokers, errstr, errstr_size) != 0)
        goto fail;
    for (size_t i = 0; i < o->nprops; i++) {
        const char *kv = o->props[i];
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            set_err(errstr, errstr_size, "-X '%s': expected key=value", kv);
            goto fail;
        }
        char key[256];
        size_t klen = (size_t)(eq - kv);
        if (klen >= sizeof(key)) {
            set_err(errstr, errstr_size, "-X '%s': key too long", kv);
            goto fail;
        }
        memcpy(key, kv, klen);
        key[klen] = '\0';
        if (conf_set(conf, key, eq + 1, errstr, errstr_size) != 0)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

const char **kafka_opts_prepend(const kafka_opts *o, const char *const *ours, size_t nours,
                                kafka_opts *out)
{
    const char **props = calloc(nours + o->nprops + 1, sizeof(*props));
    if (!props)
        return NULL;
    for (size_t i = 0; i < nours; i++)
        props[i] = ours[i];
    for (size_t i = 0; i < o->nprops; i++)
        props[nours + i] = o->props[i];
    *out = *o;
    out->props = props;
    out->nprops = nours + o->nprops;
    return props;
}

static int timeout_of(const kafka_opts *o)
{
    return o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
}

/* Asks for cluster metadata; fails with a message naming the brokers. */
static int check_handle(rd_kafka_t *rk, const kafka_opts *o, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, NULL, &md, timeout_of(o));
    if (err)
        return set_err(errstr, errstr_size, "unable to reach Kafka at '%s' within %d ms: %s",
                       o->brokers, timeout_of(o), rd_kafka_err2str(err));
    rd_kafka_metadata_destroy(md);
    return 0;
}

static rd_kafka_t *new_handle(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr,
                              size_t errstr_size)
{
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        set_err(errstr, errstr_size, "unable to create Kafka client: %s", err);
    }
    return rk; /* conf is owned by rk from here */
}

/* A short-lived admin client and the cluster's metadata (all topics when
 * all_topics). NULL with errstr naming the brokers if they do not answer.
 * The caller destroys *md and the handle. */
static rd_kafka_t *admin_metadata(const kafka_opts *o, int all_topics,
                                  const struct rd_kafka_metadata **md, char *errstr,
                                  size_t errstr_size)
{
    static const char *const defaults[] = {"client.id", "ticklake-admin", NULL};
    rd_kafka_conf_t *conf = make_conf(o, defaults, errstr, errstr_size);
    if (!conf)
        return NULL;
    rd_kafka_t *rk = new_handle(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!rk)
        return NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, all_topics, NULL, md, timeout_of(o));
    if (err) {
        rd_kafka_destroy(rk);
        set_err(errstr, errstr_size, "unable to reach Kafka at '%s' within %d ms: %s", o->brokers,
                timeout_of(o), rd_kafka_err2str(err));
        return NULL;
    }
    return rk;
}

/* The embedded broker names a controller that is none of its brokers: it has
 * no controller to create topics or coordinate transactions. */
static int has_controller(rd_kafka_t *rk, const struct rd_kafka_metadata *md)
{
    int32_t controller = rd_kafka_controllerid(rk, 0);
    for (int k = 0; k < md->broker_cnt; k++)
        if (md->brokers[k].id == controller)
            return 1;
    return 0;
}

int kafka_check(const kafka_opts *o, char *errstr, size_t errstr_size)
{
    static const char *const defaults[] = {"client.id", "ticklake-check", NULL};
    rd_kafka_conf_t *conf = make_conf(o, defaults, errstr, errstr_size);
    if (!conf)
        return -1;
    rd_kafka_t *rk = new_handle(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!rk)
        return -1;
    int rc = check_handle(rk, o, errstr, errstr_size);
    rd_kafka_destroy(rk);
    return rc;
}

/* The partition count of topic in md, 0 if it has none (yet). */
static int topic_partitions(const struct rd_kafka_metadata *md, const char *topic)
{
    for (int k = 0; k < md->topic_cnt; k++)
        if (strcmp(md->topics[k].topic, topic) == 0 && !md->topics[k].err)
            return md->topics[k].partition_cnt;
    return 0;
}

/* Waits until every partition of the topics answers a ListOffsets request
 * from its leader. CreateTopics returns once the controller has committed a
 * topic, but a broker publishes the new leader in its metadata before its
 * replica manager leads the partition, and a produce in between fails with
 * NOT_LEADER_OR_FOLLOWER. librdkafka 2.0's idempotent producer loses records
 * then: the failed first batch is "implicitly acknowledged" when the next
 * batch succeeds, because a broker without state for the producer id accepts
 * any first sequence (seen in t0050: 1 in 4 paced ingest runs on a fresh
 * topic lost its first 1-2 records while reporting them delivered).
 * ListOffsets takes the same leader check as Produce. Each try is one
 * metadata request and one ListOffsets per leader, for all the partitions. */
static int wait_partitions_ready(rd_kafka_t *rk, const kafka_opts *o, const char *const *topics,
                                 size_t ntopics, char *errstr, size_t errstr_size)
{
    int64_t until = mono_ns() + (int64_t)timeout_of(o) * 1000000;
    char why[320];
    for (int tries = 0;; tries++) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 2000);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(64);
        snprintf(why, sizeof(why), "metadata: %s", rd_kafka_err2str(err));
        for (size_t i = 0; !err && i < ntopics; i++) {
            int n = topic_partitions(md, topics[i]);
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
            return set_err(errstr, errstr_size, "no ready leader after %d ms: %s", timeout_of(o),
                           why);
        sleep_ns(50 * 1000000LL);
    }
}

int kafka_ensure_topics(const kafka_opts *o, const char *const *topics, size_t ntopics,
                        int partitions, int replication, char *errstr, size_t errstr_size)
{
    /* Only the topics the cluster does not have yet are created. */
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_t *rk = admin_metadata(o, 1, &md, errstr, errstr_size);
    if (!rk)
        return -1;
    int rc = 0;
    rd_kafka_NewTopic_t **nt = calloc(ntopics, sizeof(*nt));
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
        char err[256];
        if (!first_missing)
            first_missing = topics[i];
        nt[nmissing] = rd_kafka_NewTopic_new(topics[i], partitions, replication, err, sizeof(err));
        if (!nt[nmissing])
            rc = set_err(errstr, errstr_size, "topic '%s': %s", topics[i], err);
        else
            nmissing++;
    }
    /* Without a controller (the embedded broker) topics come into being when
     * first used, with the broker's default partitions. */
    int have_controller = has_controller(rk, md);
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
        else
            LOG_DEBUG("kafka: '%s' has no controller; topics are created on first use", o->brokers);
        nmissing = 0;
    }
    if (rc == 0 && nmissing > 0) {
        rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(ao, timeout_of(o), NULL, 0);
        rd_kafka_AdminOptions_set_request_timeout(ao, timeout_of(o), NULL, 0);
        rd_kafka_CreateTopics(rk, nt, ntopics, ao, q);
        rd_kafka_AdminOptions_destroy(ao);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_of(o) + 2000);
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
                    LOG_INFO("created topic '%s' (%d partitions, replication %d)",
                             rd_kafka_topic_result_name(tr[i]), partitions, replication);
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
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

int kafka_ensure_compacted_topic(const kafka_opts *o, const char *topic, int partitions,
                                 int replication, int *partitions_out, char *errstr,
                                 size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_t *rk = admin_metadata(o, 1, &md, errstr, errstr_size);
    if (!rk)
        return -1;
    int rc = 0;
    int have = topic_partitions(md, topic);
    int have_controller = has_controller(rk, md);
    rd_kafka_metadata_destroy(md);
    md = NULL;
    if (have == 0 && have_controller) {
        char err[256];
        rd_kafka_NewTopic_t *nt =
            rd_kafka_NewTopic_new(topic, partitions, replication, err, sizeof(err));
        if (!nt) {
            rc = set_err(errstr, errstr_size, "topic '%s': %s", topic, err);
            goto out;
        }
        rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(ao, timeout_of(o), NULL, 0);
        rd_kafka_AdminOptions_set_request_timeout(ao, timeout_of(o), NULL, 0);
        rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
        rd_kafka_AdminOptions_destroy(ao);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_of(o) + 2000);
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
    for (int64_t until = mono_ns() + (int64_t)timeout_of(o) * 1000000; rc == 0;) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_of(o));
        rd_kafka_topic_destroy(rkt);
        have = err ? 0 : topic_partitions(md, topic);
        if (md)
            rd_kafka_metadata_destroy(md);
        md = NULL;
        if (have > 0) {
            *partitions_out = have;
            if (have_controller)
                rc = wait_partitions_ready(rk, o, &topic, 1, errstr, errstr_size);
            break;
        }
        if (mono_ns() > until)
            rc = set_err(errstr, errstr_size, "topic '%s' has no partitions on '%s'", topic,
                         o->brokers);
        else
            sleep_ns(100 * 1000000LL);
    }
out:
    rd_kafka_destroy(rk);
    return rc;
}

int kafka_read_partitions(const kafka_opts *o, const char *topic, const int32_t *partitions,
                          size_t n, int timeout_ms, kafka_record_cb cb, void *opaque, char *errstr,
                          size_t errstr_size)
{
    if (n == 0)
        return 0;
    /* librdkafka wants a group.id to assign partitions; it is never joined
     * and nothing is committed. */
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
                                           NULL};
    rd_kafka_conf_t *conf = make_conf(o, defaults, errstr, errstr_size);
    if (!conf)
        return -1;
    rd_kafka_t *rk = new_handle(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
    if (!rk)
        return -1;
    rd_kafka_poll_set_consumer(rk);
    /* Learn the leaders first: an assignment without them waits 500 ms
     * before it asks again. */
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rkt && rd_kafka_metadata(rk, 0, rkt, &md, timeout_of(o)) == 0)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topic, partitions[i])->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int rc = 0;
    if (err)
        rc = set_err(errstr, errstr_size, "unable to read '%s': %s", topic, rd_kafka_err2str(err));
    char *done = calloc(n, 1);
    size_t ndone = 0;
    int64_t until = mono_ns() + (int64_t)timeout_ms * 1000000;
    while (rc == 0 && ndone < n) {
        if (mono_ns() > until) {
            rc = set_err(errstr, errstr_size, "reading '%s' to its end timed out after %d ms",
                         topic, timeout_ms);
            break;
        }
        rd_kafka_message_t *rm = rd_kafka_consumer_poll(rk, 100);
        if (!rm)
            continue;
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
            cb(opaque, rm->key, rm->key_len, rm->payload, rm->len);
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

/* ---- mock cluster ---------------------------------------------------------- */

struct kafka_mock {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    char *bootstraps;
};

kafka_mock *kafka_mock_new(int nbrokers, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    char err[256];
    /* The owning handle only hosts the cluster; it connects nowhere. */
    if (rd_kafka_conf_set(conf, "client.id", "ticklake-broker", err, sizeof(err)) != 0 ||
        rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != 0) {
        rd_kafka_conf_destroy(conf);
        set_err(errstr, errstr_size, "%s", err);
        return NULL;
    }
    rd_kafka_t *rk = new_handle(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!rk)
        return NULL;
    kafka_mock *m = calloc(1, sizeof(*m));
    m->rk = rk;
    m->mc = rd_kafka_mock_cluster_new(rk, nbrokers);
    if (!m->mc) {
        set_err(errstr, errstr_size, "unable to start the embedded broker");
        kafka_mock_free(m);
        return NULL;
    }
    m->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(m->mc));
    return m;
}

const char *kafka_mock_bootstraps(const kafka_mock *m)
{
    return m->bootstraps;
}

/* librdkafka 2.0.2's mock cluster sometimes misses the wake-up for an
 * operation queued by the application (topic creation) and serves it only
 * when its I/O poll times out, a second later: 6 of 60 creations in a loop
 * (tests/unit/test_kafka.c). `ticklake broker` creates 14 topics, so a start
 * took up to 5.6 s here, and more on a loaded machine: once in 150 starts no
 * address within 10 s. A connection to a mock broker's listener wakes the
 * same poll, so while topics are created a thread connects every 10 ms:
 * 0 stalls in 420 creations. */
typedef struct mock_poker {
    atomic_int stop;
    struct sockaddr_in addr;
} mock_poker;

static void *poke_mock(void *arg)
{
    mock_poker *pk = arg;
    while (!atomic_load(&pk->stop)) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            (void)connect(fd, (struct sockaddr *)&pk->addr, sizeof(pk->addr));
            close(fd);
        }
        sleep_ns(10 * 1000000LL);
    }
    return NULL;
}

int kafka_mock_create_topics(kafka_mock *m, const char *const *topics, size_t n, int partitions,
                             char *errstr, size_t errstr_size)
{
    mock_poker pk = {.addr = {.sin_family = AF_INET}};
    const char *colon = strrchr(m->bootstraps, ':');
    int port = colon ? atoi(colon + 1) : 0;
    pk.addr.sin_port = htons((uint16_t)port);
    pk.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pthread_t th;
    int poking = port > 0 && pthread_create(&th, NULL, poke_mock, &pk) == 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(m->mc, topics[i], partitions, 1);
        if (err)
            rc = set_err(errstr, errstr_size, "unable to create topic '%s': %s", topics[i],
                         rd_kafka_err2str(err));
    }
    if (poking) {
        atomic_store(&pk.stop, 1);
        pthread_join(th, NULL);
    }
    return rc;
}

void kafka_mock_free(kafka_mock *m)
{
    if (!m)
        return;
    if (m->mc)
        rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->rk);
    free(m->bootstraps);
    free(m);
}

/* ---- producer -------------------------------------------------------------- */

#define PRODUCER_TOPICS 32

struct kafka_producer {
    rd_kafka_t *rk;
    /* Topic handles by name, so producing does not look the topic up each time. */
    rd_kafka_topic_t *topics[PRODUCER_TOPICS];
    int32_t nparts[PRODUCER_TOPICS]; /* partition count of each, for batches; <= 0 unknown */
    size_t ntopics;
    atomic_llong delivered, failed, enqueued;
    /* Acknowledged without an offset (see dr_msg_cb); counted apart from
     * delivered. acks_none: acks=0, where no record has an offset. */
    atomic_llong unconfirmed;
    int acks_none;
    char first_error[256];
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    kafka_producer *p = opaque;
    if (msg->err) {
        if (atomic_fetch_add(&p->failed, 1) == 0) {
            snprintf(p->first_error, sizeof(p->first_error), "%s", rd_kafka_err2str(msg->err));
            LOG_ERROR("kafka: delivery to '%s' failed: %s", rd_kafka_topic_name(msg->rkt),
                      rd_kafka_err2str(msg->err));
        }
    } else if (msg->offset < 0 && !p->acks_none) {
        /* librdkafka 2.0's idempotent producer reports the records of a batch
         * that failed with a retriable error as delivered, with no offset,
         * when a later batch to the partition succeeds ("implicitly acked").
         * That holds only if the broker had the failed batch after all; a
         * broker with no state for the producer id accepts the later batch
         * without it, and the records are lost. Not counted as delivered, and
         * flush fails: ingest reports it. (A transactional producer does not
         * get here: librdkafka fails the transaction on the skipped sequence
         * numbers, and process aborts and replays it; test_kafka.c.) */
        if (atomic_fetch_add(&p->unconfirmed, 1) == 0)
            LOG_WARN("kafka: a record to '%s' [%d] was acknowledged without an offset (after a "
                     "retried batch): the broker may not have it",
                     rd_kafka_topic_name(msg->rkt), (int)msg->partition);
    } else {
        atomic_fetch_add(&p->delivered, 1);
    }
}

/* A producer from ticklake's defaults and the user's options, with delivery
 * reports counted; fails if the cluster does not answer in time. */
static kafka_producer *producer_with(const kafka_opts *o, const char *const *defaults, char *errstr,
                                     size_t errstr_size)
{
    rd_kafka_conf_t *conf = make_conf(o, defaults, errstr, errstr_size);
    if (!conf)
        return NULL;
    kafka_producer *p = calloc(1, sizeof(*p));
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    p->rk = new_handle(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!p->rk || check_handle(p->rk, o, errstr, errstr_size) != 0) {
        kafka_producer_free(p);
        return NULL;
    }
    char acks[16];
    size_t acks_size = sizeof(acks);
    p->acks_none =
        rd_kafka_conf_get(rd_kafka_conf(p->rk), "acks", acks, &acks_size) == RD_KAFKA_CONF_OK &&
        strcmp(acks, "0") == 0;
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

int kafka_produce_partition(kafka_producer *p, const char *topic, int32_t partition,
                            const void *key, size_t key_len, const void *value, size_t value_len,
                            char *errstr, size_t errstr_size)
{
    int owned;
    rd_kafka_topic_t *rkt = topic_handle(p, topic, &owned);
    if (!rkt)
        return set_err(errstr, errstr_size, "unable to produce to '%s': %s", topic,
                       rd_kafka_err2str(rd_kafka_last_error()));
    int rc = 0;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY((void *)key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            atomic_fetch_add(&p->enqueued, 1);
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

int kafka_producer_flush(kafka_producer *p, int timeout_ms, char *errstr, size_t errstr_size)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);
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

int64_t kafka_producer_outstanding(const kafka_producer *p)
{
    return atomic_load(&p->enqueued) - atomic_load(&p->delivered) - atomic_load(&p->failed) -
           atomic_load(&p->unconfirmed);
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

void kafka_producer_free(kafka_producer *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->ntopics; i++)
        rd_kafka_topic_destroy(p->topics[i]);
    if (p->rk)
        rd_kafka_destroy(p->rk);
    free(p);
}

/* ---- transactions ---------------------------------------------------------- */

struct kafka_consumer {
    rd_kafka_t *rk;
    kafka_rebalance_handler rh;
    int have_rh;
    rd_kafka_queue_t *q;      /* the consumer queue, for batches */
    rd_kafka_message_t **rms; /* a batch in flight */
    size_t rms_cap;
    int64_t last_wake; /* mono_ns of the last wake_stalled_fetcher request */
    int embedded;      /* the cluster is the embedded broker (no controller) */
    int user_reset;    /* the user chose auto.offset.reset (-X): librdkafka resets, not us */
    char group[128];
    char lost[640]; /* set when records were lost (truncated log): the next poll fails */
};

#define TXN_TIMEOUT_MS 30000

int kafka_supports_transactions(const kafka_opts *o, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_t *rk = admin_metadata(o, 0, &md, errstr, errstr_size);
    if (!rk)
        return -1;
    int yes = has_controller(rk, md);
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    return yes;
}

/* Maps a transactional error to KAFKA_TXN_* and fills errstr; frees error. */
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
    return txn_result(rd_kafka_begin_transaction(p->rk), "begin transaction", errstr, errstr_size);
}

int kafka_txn_send_offsets(kafka_producer *p, kafka_consumer *c, const kafka_tp *tps, size_t n,
                           char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_partition_t *e =
            rd_kafka_topic_partition_list_add(l, tps[i].topic, tps[i].partition);
        e->offset = tps[i].offset;
        if (tps[i].metadata[0]) {
            e->metadata_size = strlen(tps[i].metadata);
            e->metadata = malloc(e->metadata_size);
            memcpy(e->metadata, tps[i].metadata, e->metadata_size);
        }
    }
    rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(c->rk);
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

int kafka_txn_commit(kafka_producer *p, char *errstr, size_t errstr_size)
{
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

/* ---- consumer -------------------------------------------------------------- */

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

/* What a user can do once records are gone; differs by broker. */
static const char *lost_advice(const kafka_consumer *c)
{
    return c->embedded
               ? "the embedded broker keeps only about 5 MiB or 100,000 message sets per partition "
                 "in "
                 "memory and drops the oldest: run the consumers while producing (ticklake run "
                 "does), "
                 "use more partitions (ticklake broker --partitions N), or a durable broker "
                 "(ticklake broker --kafka)"
               : "the broker deleted them (retention, or records deleted by an admin); to go on "
                 "from "
                 "the log's start anyway, rerun with -X auto.offset.reset=earliest or reset the "
                 "group's offsets";
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
    rd_kafka_topic_partition_list_t *start = rd_kafka_topic_partition_list_copy(parts);
    for (int i = 0; i < start->cnt; i++)
        start->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING; /* ListOffsets "earliest" */
    err = rd_kafka_offsets_for_times(c->rk, start, 10000);
    int rc = 0;
    for (int i = 0; rc == 0 && i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *e = &parts->elems[i];
        int64_t lo = err || start->elems[i].err ? -1 : start->elems[i].offset;
        char range[96];
        if (e->offset >= 0) {
            if (lo > e->offset) {
                lost_range(range, sizeof(range), e->offset, lo);
                snprintf(c->lost, sizeof(c->lost),
                         "topic '%s' partition %d: group '%s' committed offset %lld, but the log "
                         "now starts at %lld: %s were lost before this group read them; %s",
                         e->topic, (int)e->partition, c->group, (long long)e->offset, (long long)lo,
                         range, lost_advice(c));
                rc = -1;
            }
            continue;
        }
        e->offset = RD_KAFKA_OFFSET_BEGINNING;
        if (lo <= 0)
            continue;
        lost_range(range, sizeof(range), 0, lo);
        if (c->embedded) {
            snprintf(c->lost, sizeof(c->lost),
                     "topic '%s' partition %d: the log starts at offset %lld: %s were dropped "
                     "before group '%s' read them; %s",
                     e->topic, (int)e->partition, (long long)lo, range, c->group, lost_advice(c));
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
            rd_kafka_assign(rk, parts);
            rd_kafka_pause_partitions(rk, parts);
        } else {
            rd_kafka_assign(rk, parts);
        }
    } else {
        LOG_INFO("kafka %s: revoked %d partitions", rd_kafka_name(rk), parts->cnt);
        if (c->have_rh && c->rh.revoked)
            c->rh.revoked(c->rh.opaque, tps, (size_t)parts->cnt);
        rd_kafka_assign(rk, NULL);
    }
    free(tps);
}

/* 1 when the user set key among the -X properties. */
static int user_set(const kafka_opts *o, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < o->nprops; i++)
        if (strncmp(o->props[i], key, n) == 0 && o->props[i][n] == '=')
            return 1;
    return 0;
}

/* 1 when the cluster behind rk is the embedded broker (names no controller of
 * its own), 0 otherwise or when it cannot tell. */
static int is_embedded(rd_kafka_t *rk, const kafka_opts *o)
{
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 0, NULL, &md, timeout_of(o)) != 0)
        return 0;
    int yes = !has_controller(rk, md);
    rd_kafka_metadata_destroy(md);
    return yes;
}

kafka_consumer *kafka_consumer_new(const kafka_opts *o, const char *group,
                                   const char *const *topics, size_t ntopics,
                                   const kafka_rebalance_handler *rh, char *errstr,
                                   size_t errstr_size)
{
    const char *const defaults[] = {"client.id",
                                    group,
                                    "group.id",
                                    group,
                                    "enable.auto.commit",
                                    "false",
                                    "enable.auto.offset.store",
                                    "false",
                                    "auto.offset.reset",
                                    "error", /* resolve_start_offsets */
                                    "isolation.level",
                                    "read_committed",
                                    "session.timeout.ms",
                                    "10000",
                                    "heartbeat.interval.ms",
                                    "1000",
                                    "fetch.wait.max.ms",
                                    "50",
                                    "queued.max.messages.kbytes",
                                    "65536",
                                    NULL};
    rd_kafka_conf_t *conf = make_conf(o, defaults, errstr, errstr_size);
    if (!conf)
        return NULL;
    /* A restarted member with the same instance id takes its partitions back
     * at once instead of waiting for a rebalance. */
    if (o->group_instance_id &&
        conf_set(conf, "group.instance.id", o->group_instance_id, errstr, errstr_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    kafka_consumer *c = calloc(1, sizeof(*c));
    snprintf(c->group, sizeof(c->group), "%s", group);
    c->user_reset = user_set(o, "auto.offset.reset");
    if (rh) {
        c->rh = *rh;
        c->have_rh = 1;
    }
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    c->rk = new_handle(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
    if (!c->rk)
        goto fail;
    if (check_handle(c->rk, o, errstr, errstr_size) != 0)
        goto fail;
    c->embedded = is_embedded(c->rk, o);
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

/* librdkafka 2.0 stops fetching once the consumer's queue holds
 * queued.min.messages records (or queued.max.messages.kbytes), and decides
 * again only when something wakes its broker thread: at the latest a second
 * later (2.2.0 made this fetch.queue.backoff.ms). A consumer behind a fast
 * producer then reads in bursts and idles most of each second (debug=fetch:
 * 6-9 fetches at the same point of every second). So when the queue is empty
 * although the partitions' last known high watermarks say there is more to
 * read, ask the leaders for their latest offsets: that request goes through
 * the broker threads, which wake and fetch again. (Resuming the partitions
 * would wake them too, but makes librdkafka drop what it has fetched.) At
 * most once per 5 ms; one request per leader. */
static void wake_stalled_fetcher(kafka_consumer *c)
{
    int64_t now = mono_ns();
    if (now - c->last_wake < 5000000)
        return;
    c->last_wake = now;
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(c->rk, &a) != 0 || !a)
        return;
    rd_kafka_position(c->rk, a);
    rd_kafka_topic_partition_list_t *behind =
        rd_kafka_topic_partition_list_new(a->cnt ? a->cnt : 1);
    for (int i = 0; i < a->cnt; i++) {
        int64_t lo, hi, pos = a->elems[i].offset;
        if (pos >= 0 &&
            rd_kafka_get_watermark_offsets(c->rk, a->elems[i].topic, a->elems[i].partition, &lo,
                                           &hi) == 0 &&
            hi > pos)
            rd_kafka_topic_partition_list_add(behind, a->elems[i].topic, a->elems[i].partition)
                ->offset = RD_KAFKA_OFFSET_END; /* ListOffsets "latest" */
    }
    if (behind->cnt > 0)
        rd_kafka_offsets_for_times(c->rk, behind, 1000);
    rd_kafka_topic_partition_list_destroy(behind);
    rd_kafka_topic_partition_list_destroy(a);
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
    ssize_t got = rd_kafka_consume_batch_queue(c->q, 0, c->rms, max);
    if (got == 0) {
        wake_stalled_fetcher(c);
        if (timeout_ms > 0)
            got = rd_kafka_consume_batch_queue(c->q, timeout_ms, c->rms, max);
    }
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
    rd_kafka_message_t *rm = rd_kafka_consumer_poll(c->rk, 0);
    if (!rm) {
        wake_stalled_fetcher(c);
        if (timeout_ms > 0)
            rm = rd_kafka_consumer_poll(c->rk, timeout_ms);
    }
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
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

int kafka_consumer_commit(kafka_consumer *c, const kafka_tp *tps, size_t n, char *errstr,
                          size_t errstr_size)
{
    if (n == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_partition_t *e =
            rd_kafka_topic_partition_list_add(l, tps[i].topic, tps[i].partition);
        e->offset = tps[i].offset;
        if (tps[i].metadata[0]) {
            e->metadata_size = strlen(tps[i].metadata);
            e->metadata = malloc(e->metadata_size); /* freed with the list */
            memcpy(e->metadata, tps[i].metadata, e->metadata_size);
        }
    }
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, l, 0);
    int rc = 0;
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        rc = set_err(errstr, errstr_size, "offset commit failed: %s", rd_kafka_err2str(err));
    for (int i = 0; rc == 0 && i < l->cnt; i++)
        if (l->elems[i].err)
            rc = set_err(errstr, errstr_size, "offset commit for '%s' [%d] failed: %s",
                         l->elems[i].topic, (int)l->elems[i].partition,
                         rd_kafka_err2str(l->elems[i].err));
    rd_kafka_topic_partition_list_destroy(l);
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
        int64_t pos = a->elems[i].offset >= 0 ? a->elems[i].offset : lo;
        if (hi > pos)
            lag += hi - pos;
    }
    rd_kafka_topic_partition_list_destroy(a);
    return lag;
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
    free(c);
}
