/* kafka_health.h - which brokers the clients of this process have lost, and
 * since when, from librdkafka's statistics (statistics.interval.ms, 1 s by
 * default in kafka_conf.c; -X statistics.interval.ms=0 turns it off).
 *
 * Every client's report goes through kafka_health_report(): the brokers it
 * knows of, their connection state and how long it has been in it. A broker
 * is lost when a client that listed it reports it gone from the cluster's
 * metadata, or when a client that had a connection up to it reports failing
 * to connect (DOWN, TRY_CONNECT, CONNECT, ...) in two reports in a row; a
 * client that only dropped an idle connection (INIT, not trying) is no
 * evidence either way, nor is one that listed it idle and then left it out
 * within 10 s of its return (metadata from before the return). It is back when a client
 * reports a connection to it that came up after it was lost, or when a
 * client that had reported it, then left it out (the cluster dropped it from
 * its metadata: a dead broker fenced), lists it again and neither it nor a
 * coordinator at its address is failing to connect to it (a restarted broker the cluster admitted
 * again, which no client may need a connection to while it leads nothing). A new client that never
 * reported it is no evidence: its first reports may lack it. One WARN line when it is lost and one
 * INFO line when it is back, for the whole process, not one per client or per reconnection attempt.
 *
 * The parsing (kafka_stats_parse) and the bookkeeping (kafka_health_update)
 * are pure, with the clock passed in, for the unit tests; the rest is the
 * process-wide state, under a lock, read by the status line and /metrics. */
#ifndef TICKLAKE_KAFKA_HEALTH_H
#define TICKLAKE_KAFKA_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#define KAFKA_HEALTH_MAX_BROKERS 64
#define KAFKA_HEALTH_MAX_CLIENTS 32
#define KAFKA_HEALTH_ADDR_MAX 128

/* One broker in a client's report. */
typedef struct kafka_stats_broker {
    int32_t id;                       /* node id */
    char addr[KAFKA_HEALTH_ADDR_MAX]; /* host:port */
    int up;                           /* state UP or UPDATE */
    int trying;                       /* DOWN, TRY_CONNECT, CONNECT, handshake, auth, ApiVersion */
    int64_t stateage_ms;              /* time in that state */
} kafka_stats_broker;

/* A client's report, as far as broker health goes. */
typedef struct kafka_stats {
    char client[128]; /* the handle's name, "client.id#producer-1" */
    int64_t ts_us;    /* when it was taken: librdkafka's monotonic clock, µs (-1 unknown) */
    size_t nbrokers;
    kafka_stats_broker brokers[KAFKA_HEALTH_MAX_BROKERS];
    /* Addresses a coordinator of the client (a logical broker: GroupCoordinator,
     * TxnCoordinator) is failing to connect to: a lost broker the cluster still
     * names as a coordinator is listed again, idle, though nobody can reach it. */
    size_t nfailing;
    char failing[4][KAFKA_HEALTH_ADDR_MAX];
} kafka_stats;

/* Reads librdkafka's statistics JSON json[0..len): the client's name and its
 * brokers with a node id (the bootstrap and logical entries, such as
 * "GroupCoordinator", are not brokers of their own; a logical one failing to
 * connect gives its address to failing[]). 0, or -1 with errstr when it is
 * not such a JSON object. */
int kafka_stats_parse(const char *json, size_t len, kafka_stats *out, char *errstr,
                      size_t errstr_size);

/* One broker as the process sees it. */
typedef struct kafka_broker_health {
    int32_t id;
    char addr[KAFKA_HEALTH_ADDR_MAX];
    int down;
    int64_t down_since_ms; /* wall clock, ms since the epoch, when down */
    int64_t changed_ms;    /* the report that lost it or brought it back: older ones are stale */
    char lost_by[128];     /* the client that reported it lost */
} kafka_broker_health;

/* A broker lost or back, for the log. */
typedef struct kafka_health_event {
    kafka_broker_health broker; /* after the change */
    int back;                   /* 0 lost, 1 back */
    int64_t down_ms;            /* back: how long it was down */
    int up, known;              /* brokers up and known after the change */
} kafka_health_event;

/* Per client: the brokers it had up, and those it saw failing, at its last
 * report. */
typedef struct kafka_health_client {
    char name[128];
    int64_t seen_ms;
    size_t nup;
    int32_t up_ids[KAFKA_HEALTH_MAX_BROKERS];
    size_t ntrying;
    int32_t trying_ids[KAFKA_HEALTH_MAX_BROKERS]; /* was up, failing in the last report */
    size_t nabsent;
    int32_t absent_ids[KAFKA_HEALTH_MAX_BROKERS]; /* listed before, lost, not in the last report */
    size_t nlisted;
    int32_t listed_ids[KAFKA_HEALTH_MAX_BROKERS]; /* every broker it has ever reported */
    size_t nlast;
    int32_t last_ids[KAFKA_HEALTH_MAX_BROKERS]; /* the brokers in its last report */
} kafka_health_client;

/* The bookkeeping; zero it to start. */
typedef struct kafka_health {
    size_t nbrokers;
    kafka_broker_health brokers[KAFKA_HEALTH_MAX_BROKERS];
    size_t nclients;
    kafka_health_client clients[KAFKA_HEALTH_MAX_CLIENTS];
} kafka_health;

/* Folds one client's report, taken at now_ms (wall clock), into h. A report
 * older than a broker's last change is no evidence about it. Writes the
 * brokers lost or back to ev[0..max) and returns how many. */
size_t kafka_health_update(kafka_health *h, const kafka_stats *s, int64_t now_ms,
                           kafka_health_event *ev, size_t max);

/* What the status line shows: brokers known and up, and the down ones. */
typedef struct kafka_health_snapshot {
    int known, up;
    size_t ndown;
    kafka_broker_health down[8]; /* the first 8 down, by id */
} kafka_health_snapshot;

/* The snapshot of h. */
void kafka_health_snapshot_of(const kafka_health *h, kafka_health_snapshot *out);

/* "brokers 2/3 (broker 2 127.0.0.1:9093 down 14s)" into out at now_ms;
 * "brokers 3/3" when none is down; "" when no client has reported yet. */
void kafka_health_format(const kafka_health_snapshot *s, int64_t now_ms, char *out,
                         size_t out_size);

/* ---- the process-wide state --------------------------------------------- */

/* Parses one statistics JSON, updates the process's state and logs the
 * brokers lost (WARN) and back (INFO). A JSON it cannot read is logged at
 * debug level. Thread-safe. */
void kafka_health_report(const char *json, size_t len);

/* The process's snapshot. Thread-safe. */
void kafka_health_get(kafka_health_snapshot *out);

#endif
