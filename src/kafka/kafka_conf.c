/* kafka_conf.c - configurations and client handles for the modules of src/kafka; see kafka_conf.h.
 */
#include "kafka_conf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_health.h"
#include "log.h"
#include "util.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 8000

/* The newest refusal by a broker (authentication failed, TLS handshake
 * failed) that librdkafka logged, and when (mono_ns): librdkafka retries
 * those forever, so the start-up checks below fail at once on one. */
static pthread_mutex_t refusal_mu = PTHREAD_MUTEX_INITIALIZER;
static char refusal_msg[512];
static int64_t refusal_at;

static int is_refusal(const char *fac, const char *msg)
{
    return strcmp(fac, "FAIL") == 0 &&
           (strstr(msg, "SASL authentication error") || strstr(msg, "SSL handshake failed") ||
            strstr(msg, "certificate verify failed") || strstr(msg, "Unsupported SASL mechanism") ||
            strstr(msg, "SASL handshake failed") || strstr(msg, "SASL SCRAM"));
}

/* Copies the newest refusal noted at or after since into out; 1 if there is one. */
static int refusal_since(int64_t since, char *out, size_t out_size)
{
    pthread_mutex_lock(&refusal_mu);
    int yes = refusal_at && refusal_at >= since;
    if (yes)
        snprintf(out, out_size, "%s", refusal_msg);
    pthread_mutex_unlock(&refusal_mu);
    return yes;
}

/* librdkafka syslog levels to ours. */
void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *msg)
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
    /* A connection to a broker refused or dropped: each client says so
     * once (librdkafka suppresses the repeats); the loss of the broker itself
     * is the one WARN line of kafka_health.c. */
    if (strcmp(fac, "FAIL") == 0 && ours < LOG_LVL_INFO &&
        (strstr(msg, ": Connect to ") || strstr(msg, ": Disconnected")))
        ours = LOG_LVL_INFO;
    if (is_refusal(fac, msg)) {
        pthread_mutex_lock(&refusal_mu);
        /* "sasl_ssl://host:port/bootstrap: SASL authentication error: ...":
         * the broker's name stays, the thread tag "[thrd:...]: " goes. */
        const char *m =
            strncmp(msg, "[thrd:", 6) == 0 && strstr(msg, "]: ") ? strstr(msg, "]: ") + 3 : msg;
        snprintf(refusal_msg, sizeof(refusal_msg), "%s", m);
        refusal_at = mono_ns();
        pthread_mutex_unlock(&refusal_mu);
    }
    if (ours <= log_level)
        log_write(ours, "kafka %s: %s: %s", rd_kafka_name(rk), fac, msg);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    /* Transport errors repeat while a broker is down; they are debug noise.
     * "All brokers down" repeats too, for every client and every few
     * seconds: with statistics on, kafka_health.c has warned once per broker
     * lost, and this is only info. */
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT) {
        LOG_DEBUG("kafka %s: %s", rd_kafka_name(rk), reason);
    } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        char ms[32] = "0";
        size_t n = sizeof(ms);
        int stats = rd_kafka_conf_get(rd_kafka_conf(rk), "statistics.interval.ms", ms, &n) ==
                        RD_KAFKA_CONF_OK &&
                    atoi(ms) > 0;
        if (stats)
            LOG_INFO("kafka %s: all brokers are down: %s", rd_kafka_name(rk), reason);
        else
            LOG_WARN("kafka: all brokers are down: %s", reason);
    } else
        LOG_WARN("kafka %s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name(err), reason);
}

/* Statistics feed the brokers' health (kafka_health.h); 0: librdkafka frees json. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    kafka_health_report(json, json_len);
    return 0;
}

int kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                   size_t errstr_size)
{
    char err[256];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        return set_err(errstr, errstr_size, "kafka property '%s': %s", key, err);
    return 0;
}

/* Builds a configuration: the caller's defaults (NULL-terminated key, value
 * pairs), the bootstrap list, then the user's -X properties. */
rd_kafka_conf_t *kafka_conf_make(const kafka_opts *o, const char *const *defaults, char *errstr,
                                 size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_stats_cb(conf, stats_cb);
    /* Every second: a broker lost shows within two (kafka_health.h); the
     * caller's defaults and -X statistics.interval.ms (0: none) win. The
     * metadata every 10 s rather than librdkafka's 5 min: a restarted broker
     * that leads nothing is seen back (in the metadata) within seconds.
     * reconnect.backoff.ms 20 rather than 100: librdkafka holds the first
     * connection to a broker the bootstrap metadata names back for half of
     * it, once in each client, so a command that makes an admin client and a
     * producer waited 2 x 50 ms before its first request (the backoff after
     * a failure still doubles up to reconnect.backoff.max.ms, 10 s). */
    if (kafka_conf_set(conf, "log.connection.close", "false", errstr, errstr_size) != 0 ||
        kafka_conf_set(conf, "reconnect.backoff.ms", "20", errstr, errstr_size) != 0 ||
        kafka_conf_set(conf, "statistics.interval.ms", "1000", errstr, errstr_size) != 0 ||
        kafka_conf_set(conf, "topic.metadata.refresh.interval.ms", "10000", errstr, errstr_size) !=
            0)
        goto fail;
    for (size_t i = 0; defaults && defaults[i]; i += 2)
        if (kafka_conf_set(conf, defaults[i], defaults[i + 1], errstr, errstr_size) != 0)
            goto fail;
    if (!o->brokers || !*o->brokers) {
        set_err(errstr, errstr_size, "no Kafka brokers given (--brokers)");
        goto fail;
    }
    if (kafka_conf_set(conf, "bootstrap.servers", o->brokers, errstr, errstr_size) != 0)
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
        if (kafka_conf_set(conf, key, eq + 1, errstr, errstr_size) != 0)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int kafka_timeout_of(const kafka_opts *o)
{
    return o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
}

/* Cluster metadata within o's connect timeout, asked in slices so that a
 * broker refusing the client (its credentials or TLS) fails at once with
 * librdkafka's reason instead of a timeout; -1 with errstr naming the brokers. */
static int metadata_within(rd_kafka_t *rk, const kafka_opts *o, int all_topics,
                           const struct rd_kafka_metadata **md, char *errstr, size_t errstr_size)
{
    int64_t start = mono_ns(), budget = (int64_t)kafka_timeout_of(o) * 1000000;
    rd_kafka_resp_err_t err;
    char why[512];
    for (;;) {
        int64_t left_ms = (budget - (mono_ns() - start)) / 1000000;
        int slice = left_ms < 500 ? (int)(left_ms > 0 ? left_ms : 1) : 500;
        err = rd_kafka_metadata(rk, all_topics, NULL, md, slice);
        if (!err)
            return 0;
        if (refusal_since(start, why, sizeof(why)))
            return set_err(errstr, errstr_size,
                           "Kafka at '%s' refused the connection: %s (check the client's "
                           "security.protocol, sasl.* and ssl.* properties, e.g. in the -F file)",
                           o->brokers, why);
        if (mono_ns() - start >= budget)
            break;
    }
    return set_err(errstr, errstr_size, "unable to reach Kafka at '%s' within %d ms: %s",
                   o->brokers, kafka_timeout_of(o), rd_kafka_err2str(err));
}

/* Asks for cluster metadata; fails with a message naming the brokers. */
int kafka_check_handle(rd_kafka_t *rk, const kafka_opts *o, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    if (metadata_within(rk, o, 0, &md, errstr, errstr_size) != 0)
        return -1;
    rd_kafka_metadata_destroy(md);
    return 0;
}

rd_kafka_t *kafka_new_handle(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr,
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

rd_kafka_t *kafka_checked_handle(const kafka_opts *o, const char *client_id, char *errstr,
                                 size_t errstr_size)
{
    const char *const defaults[] = {"client.id", client_id, NULL};
    rd_kafka_conf_t *conf = kafka_conf_make(o, defaults, errstr, errstr_size);
    if (!conf)
        return NULL;
    rd_kafka_t *rk = kafka_new_handle(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (rk && kafka_check_handle(rk, o, errstr, errstr_size) != 0) {
        rd_kafka_destroy(rk);
        rk = NULL;
    }
    return rk;
}

/* A short-lived admin client and the cluster's metadata (all topics when
 * all_topics). NULL with errstr naming the brokers if they do not answer.
 * The caller destroys *md and the handle. */
rd_kafka_t *kafka_admin_metadata(const kafka_opts *o, int all_topics,
                                 const struct rd_kafka_metadata **md, char *errstr,
                                 size_t errstr_size)
{
    static const char *const defaults[] = {"client.id", "ticklake-admin", NULL};
    rd_kafka_conf_t *conf = kafka_conf_make(o, defaults, errstr, errstr_size);
    if (!conf)
        return NULL;
    rd_kafka_t *rk = kafka_new_handle(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!rk)
        return NULL;
    if (metadata_within(rk, o, all_topics, md, errstr, errstr_size) != 0) {
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

/* The embedded broker names a controller that is none of its brokers: it has
 * no controller to create topics or coordinate transactions. */
int kafka_has_controller(rd_kafka_t *rk, const struct rd_kafka_metadata *md)
{
    int32_t controller = rd_kafka_controllerid(rk, 0);
    for (int k = 0; k < md->broker_cnt; k++)
        if (md->brokers[k].id == controller)
            return 1;
    return 0;
}

/* The partition count of topic in md, 0 if it has none (yet). */
int kafka_topic_partitions(const struct rd_kafka_metadata *md, const char *topic)
{
    for (int k = 0; k < md->topic_cnt; k++)
        if (strcmp(md->topics[k].topic, topic) == 0 && !md->topics[k].err)
            return md->topics[k].partition_cnt;
    return 0;
}

/* 1 when the user set key among the -X properties. */
int kafka_user_set(const kafka_opts *o, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < o->nprops; i++)
        if (strncmp(o->props[i], key, n) == 0 && o->props[i][n] == '=')
            return 1;
    return 0;
}

int kafka_is_embedded(rd_kafka_t *rk, const kafka_opts *o, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, NULL, &md, kafka_timeout_of(o));
    if (err)
        return set_err(errstr, errstr_size,
                       "unable to tell whether '%s' is the embedded broker: no metadata: %s",
                       o->brokers, rd_kafka_err2str(err));
    int yes = !kafka_has_controller(rk, md);
    rd_kafka_metadata_destroy(md);
    return yes;
}

rd_kafka_topic_partition_list_t *kafka_tp_list_new(const kafka_tp *tps, size_t n)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_partition_t *e =
            rd_kafka_topic_partition_list_add(l, tps[i].topic, tps[i].partition);
        e->offset = tps[i].offset;
        if (tps[i].metadata[0]) {
            e->metadata_size = strlen(tps[i].metadata);
            e->metadata = xmalloc(e->metadata_size); /* freed with the list (free()) */
            memcpy(e->metadata, tps[i].metadata, e->metadata_size);
        }
    }
    return l;
}
