/* kafka_health.c - brokers lost and back, from librdkafka's statistics; see kafka_health.h. */
#include "kafka_health.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "log.h"
#include "util.h"

/* Reports in a row a broker must be failing in before it counts as lost:
 * one report may catch the DOWN state of a connection closed while idle. */
#define TRYING_REPORTS 2

/* A broker a client listed idle (INIT) and then left out is lost, unless it
 * came back less than this long ago: the client's metadata may date from
 * before the return. */
#define IDLE_GONE_AFTER_BACK_MS 10000

static int state_trying(const char *s)
{
    static const char *const trying[] = {"DOWN",           "TRY_CONNECT", "CONNECT",
                                         "SSL_HANDSHAKE",  "AUTH_LEGACY", "AUTH",
                                         "AUTH_HANDSHAKE", "AUTH_REQ",    "APIVERSION_QUERY"};
    for (size_t i = 0; i < sizeof(trying) / sizeof(trying[0]); i++)
        if (strcmp(s, trying[i]) == 0)
            return 1;
    return 0;
}

int kafka_stats_parse(const char *json, size_t len, kafka_stats *out, char *errstr,
                      size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    json_doc *doc = json_parse(json, len, errstr, errstr_size);
    if (!doc)
        return -1;
    const json_value *root = json_root(doc);
    const json_value *brokers = json_get(root, "brokers");
    const char *name = json_get_str(root, "name");
    if (!name || !brokers || brokers->type != JSON_OBJECT) {
        json_doc_free(doc);
        return set_err(errstr, errstr_size, "kafka statistics: no %s",
                       name ? "\"brokers\" object" : "client \"name\"");
    }
    strlcpy_tl(out->client, name, sizeof(out->client));
    if (json_get_int(root, "ts", &out->ts_us) != 0)
        out->ts_us = -1;
    for (const json_value *b = brokers->child; b && out->nbrokers < KAFKA_HEALTH_MAX_BROKERS;
         b = b->next) {
        int64_t id, age_us = 0;
        const char *state = json_get_str(b, "state");
        const char *addr = json_get_str(b, "nodename");
        const char *source = json_get_str(b, "source");
        if (source && strcmp(source, "logical") == 0) {
            if (state && state_trying(state) && addr && *addr &&
                out->nfailing < sizeof(out->failing) / sizeof(out->failing[0]))
                strlcpy_tl(out->failing[out->nfailing++], addr, sizeof(out->failing[0]));
            continue;
        }
        if (json_get_int(b, "nodeid", &id) != 0 || id < 0 || id > INT32_MAX || !state)
            continue;
        (void)json_get_int(b, "stateage", &age_us);
        kafka_stats_broker k = {.id = (int32_t)id,
                                .up = strcmp(state, "UP") == 0 || strcmp(state, "UPDATE") == 0,
                                .trying = state_trying(state),
                                .stateage_ms = age_us > 0 ? age_us / 1000 : 0};
        strlcpy_tl(k.addr, addr ? addr : "", sizeof(k.addr));
        /* A broker object librdkafka is retiring can stand beside its
         * successor under the same name: the one up, else the one trying,
         * speaks for the broker. */
        size_t i = 0;
        while (i < out->nbrokers && out->brokers[i].id != k.id)
            i++;
        if (i == out->nbrokers)
            out->brokers[out->nbrokers++] = k;
        else if (k.up > out->brokers[i].up ||
                 (!out->brokers[i].up && k.trying > out->brokers[i].trying))
            out->brokers[i] = k;
    }
    json_doc_free(doc);
    return 0;
}

static kafka_broker_health *broker_of(kafka_health *h, int32_t id, const char *addr)
{
    for (size_t i = 0; i < h->nbrokers; i++)
        if (h->brokers[i].id == id) {
            if (addr && *addr)
                strlcpy_tl(h->brokers[i].addr, addr, sizeof(h->brokers[i].addr));
            return &h->brokers[i];
        }
    if (h->nbrokers == KAFKA_HEALTH_MAX_BROKERS)
        return NULL;
    kafka_broker_health *b = &h->brokers[h->nbrokers++];
    memset(b, 0, sizeof(*b));
    b->id = id;
    strlcpy_tl(b->addr, addr ? addr : "", sizeof(b->addr));
    return b;
}

/* The client named name; a new one takes the place of the one heard from
 * longest ago when the table is full (clients come and go: checks, admin). */
static kafka_health_client *client_of(kafka_health *h, const char *name, int64_t now_ms)
{
    for (size_t i = 0; i < h->nclients; i++)
        if (strcmp(h->clients[i].name, name) == 0)
            return &h->clients[i];
    kafka_health_client *c;
    if (h->nclients < KAFKA_HEALTH_MAX_CLIENTS) {
        c = &h->clients[h->nclients++];
    } else {
        c = &h->clients[0];
        for (size_t i = 1; i < h->nclients; i++)
            if (h->clients[i].seen_ms < c->seen_ms)
                c = &h->clients[i];
    }
    memset(c, 0, sizeof(*c));
    strlcpy_tl(c->name, name, sizeof(c->name));
    c->seen_ms = now_ms;
    return c;
}

/* 1 when a coordinator of the report's client is failing to connect to addr. */
static int coordinator_failing(const kafka_stats *s, const char *addr)
{
    for (size_t i = 0; *addr && i < s->nfailing; i++)
        if (strcmp(s->failing[i], addr) == 0)
            return 1;
    return 0;
}

static int has_id(const int32_t *ids, size_t n, int32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static void counts(const kafka_health *h, int *up, int *known)
{
    *known = (int)h->nbrokers;
    *up = 0;
    for (size_t i = 0; i < h->nbrokers; i++)
        *up += !h->brokers[i].down;
}

static size_t push_event(const kafka_health *h, kafka_health_event *ev, size_t n, size_t max,
                         const kafka_broker_health *b, int back, int64_t down_ms)
{
    if (n >= max)
        return n;
    ev[n].broker = *b;
    ev[n].back = back;
    ev[n].down_ms = down_ms;
    counts(h, &ev[n].up, &ev[n].known);
    return n + 1;
}

size_t kafka_health_update(kafka_health *h, const kafka_stats *s, int64_t now_ms,
                           kafka_health_event *ev, size_t max)
{
    kafka_health_client *c = client_of(h, s->client, now_ms);
    int64_t prev_ms = c->seen_ms; /* the client's last report */
    c->seen_ms = now_ms;
    size_t nev = 0;
    int32_t up[KAFKA_HEALTH_MAX_BROKERS], trying[KAFKA_HEALTH_MAX_BROKERS];
    size_t nup = 0, ntrying = 0;
    for (size_t i = 0; i < s->nbrokers; i++) {
        const kafka_stats_broker *k = &s->brokers[i];
        kafka_broker_health *b = broker_of(h, k->id, k->addr);
        if (!b)
            continue;
        if (k->up) {
            up[nup++] = k->id;
            /* Back only on a connection made after the loss: one that has
             * been up since before (a hung broker's) proves nothing. */
            int64_t up_since = now_ms - k->stateage_ms;
            if (b->down && up_since >= b->down_since_ms && now_ms >= b->changed_ms) {
                b->down = 0;
                b->changed_ms = now_ms;
                nev = push_event(h, ev, nev, max, b, 1, now_ms - b->down_since_ms);
            }
            continue;
        }
        /* Left out of this client's last report while lost, listed again: the
         * cluster's metadata has it back (a restarted broker re-registered).
         * Unless the client's coordinator at its address fails to connect: the
         * embedded cluster names a down broker as coordinator, and librdkafka
         * then lists it again, idle (t0107 in CI: "back" 3-8 s into the loss). */
        if (b->down && !k->trying && has_id(c->absent_ids, c->nabsent, k->id) &&
            !coordinator_failing(s, k->addr) && now_ms >= b->changed_ms) {
            b->down = 0;
            b->changed_ms = now_ms;
            nev = push_event(h, ev, nev, max, b, 1, now_ms - b->down_since_ms);
            continue;
        }
        int was_up = has_id(c->up_ids, c->nup, k->id);
        int was_trying = has_id(c->trying_ids, c->ntrying, k->id);
        if (!k->trying || !(was_up || was_trying))
            continue; /* idle (INIT), or never up for this client */
        if (!was_trying && TRYING_REPORTS > 1) {
            trying[ntrying++] = k->id; /* once more before it counts */
            continue;
        }
        if (!b->down && now_ms >= b->changed_ms) {
            b->down = 1;
            b->changed_ms = now_ms;
            /* from the first report that saw it failing */
            b->down_since_ms = was_trying ? prev_ms : now_ms - k->stateage_ms;
            strlcpy_tl(b->lost_by, s->client, sizeof(b->lost_by));
            nev = push_event(h, ev, nev, max, b, 0, 0);
        }
    }
    /* Listed in the last report and gone from this one: the cluster's metadata no longer lists
     * it (a broker that died). A client lists a broker idle (INIT) between its connection
     * closing and its next metadata, so up, idle, gone is a loss too (t0107 in CI: a run where
     * no client reported broker 2 lost; under load every client can go through INIT). */
    for (size_t i = 0; i < c->nlast; i++) {
        int32_t id = c->last_ids[i];
        int present = 0;
        for (size_t k = 0; k < s->nbrokers && !present; k++)
            present = s->brokers[k].id == id;
        if (present)
            continue;
        kafka_broker_health *b = broker_of(h, id, NULL);
        int active = has_id(c->up_ids, c->nup, id) || has_id(c->trying_ids, c->ntrying, id);
        if (b && !active &&
            (s->nbrokers == 0 ||
             (b->changed_ms > 0 && now_ms - b->changed_ms < IDLE_GONE_AFTER_BACK_MS)))
            continue;
        if (b && !b->down && now_ms >= b->changed_ms) {
            b->down = 1;
            b->changed_ms = now_ms;
            /* Idle, it may have been gone since the last report: a connection made since then
             * brings it back. */
            b->down_since_ms = active ? now_ms : prev_ms;
            strlcpy_tl(b->lost_by, s->client, sizeof(b->lost_by));
            nev = push_event(h, ev, nev, max, b, 0, 0);
        }
    }
    /* The brokers lost now that this report leaves out, of those this client
     * has reported before (a report of no brokers is a client that knows no
     * cluster yet, and a new client's first reports may lack one: no evidence). */
    if (s->nbrokers > 0) {
        c->nabsent = 0;
        for (size_t i = 0; i < h->nbrokers; i++) {
            int present = 0;
            for (size_t k = 0; k < s->nbrokers && !present; k++)
                present = s->brokers[k].id == h->brokers[i].id;
            if (h->brokers[i].down && !present &&
                has_id(c->listed_ids, c->nlisted, h->brokers[i].id))
                c->absent_ids[c->nabsent++] = h->brokers[i].id;
        }
        for (size_t k = 0; k < s->nbrokers; k++)
            if (!has_id(c->listed_ids, c->nlisted, s->brokers[k].id) &&
                c->nlisted < KAFKA_HEALTH_MAX_BROKERS)
                c->listed_ids[c->nlisted++] = s->brokers[k].id;
    }
    c->nlast = s->nbrokers;
    for (size_t k = 0; k < s->nbrokers; k++)
        c->last_ids[k] = s->brokers[k].id;
    memcpy(c->up_ids, up, nup * sizeof(up[0]));
    c->nup = nup;
    memcpy(c->trying_ids, trying, ntrying * sizeof(trying[0]));
    c->ntrying = ntrying;
    return nev;
}

void kafka_health_snapshot_of(const kafka_health *h, kafka_health_snapshot *out)
{
    memset(out, 0, sizeof(*out));
    counts(h, &out->up, &out->known);
    const size_t cap = sizeof(out->down) / sizeof(out->down[0]);
    for (size_t i = 0; i < h->nbrokers; i++) {
        if (!h->brokers[i].down || out->ndown == cap)
            continue;
        /* by id, so the line does not reorder between prints */
        size_t k = out->ndown++;
        while (k > 0 && out->down[k - 1].id > h->brokers[i].id) {
            out->down[k] = out->down[k - 1];
            k--;
        }
        out->down[k] = h->brokers[i];
    }
}

void kafka_health_format(const kafka_health_snapshot *s, int64_t now_ms, char *out, size_t out_size)
{
    if (out_size == 0)
        return;
    out[0] = '\0';
    if (s->known == 0)
        return;
    size_t n = (size_t)snprintf(out, out_size, "brokers %d/%d", s->up, s->known);
    for (size_t i = 0; i < s->ndown && n < out_size; i++) {
        int64_t secs = (now_ms - s->down[i].down_since_ms) / 1000;
        n += (size_t)snprintf(out + n, out_size - n, "%sbroker %d %s down %llds",
                              i == 0 ? " (" : ", ", (int)s->down[i].id,
                              s->down[i].addr[0] ? s->down[i].addr : "?",
                              (long long)(secs > 0 ? secs : 0));
    }
    if (s->ndown > 0 && n < out_size)
        snprintf(out + n, out_size - n, ")");
}

/* ---- the process-wide state --------------------------------------------- */

static pthread_mutex_t health_lock = PTHREAD_MUTEX_INITIALIZER;
static kafka_health health;

/* "20:31:05 UTC" */
static void clock_of(int64_t ms, char *out, size_t out_size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, out_size, "%02d:%02d:%02d UTC", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void kafka_health_report(const char *json, size_t len)
{
    static kafka_stats s; /* large: under the lock, not on librdkafka's thread's stack */
    kafka_health_event ev[8];
    size_t nev;
    char err[256];
    int64_t now_ms = now_ns() / 1000000;
    pthread_mutex_lock(&health_lock);
    if (kafka_stats_parse(json, len, &s, err, sizeof(err)) != 0) {
        pthread_mutex_unlock(&health_lock);
        LOG_DEBUG("kafka: unreadable statistics: %s", err);
        return;
    }
    /* A report is served when its client polls, which may be seconds after
     * it was taken (a stage blocked on the lost broker gets several at once):
     * it is dated by its "ts", librdkafka's monotonic clock (CLOCK_MONOTONIC,
     * microseconds), so a late one is not news. */
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    int64_t age_us = (int64_t)mono.tv_sec * 1000000 + mono.tv_nsec / 1000 - s.ts_us;
    if (s.ts_us > 0 && age_us > 0 && age_us < 3600LL * 1000000)
        now_ms -= age_us / 1000;
    nev = kafka_health_update(&health, &s, now_ms, ev, sizeof(ev) / sizeof(ev[0]));
    pthread_mutex_unlock(&health_lock);
    for (size_t i = 0; i < nev; i++) {
        const kafka_broker_health *b = &ev[i].broker;
        char since[32];
        clock_of(b->down_since_ms, since, sizeof(since));
        if (!ev[i].back)
            LOG_WARN("kafka: broker %d (%s) down since %s, lost by %s; %d of %d brokers up",
                     (int)b->id, b->addr[0] ? b->addr : "?", since, b->lost_by, ev[i].up,
                     ev[i].known);
        else
            LOG_INFO("kafka: broker %d (%s) back after %llds down (since %s); %d of %d brokers up",
                     (int)b->id, b->addr[0] ? b->addr : "?",
                     (long long)((ev[i].down_ms + 500) / 1000), since, ev[i].up, ev[i].known);
    }
}

void kafka_health_get(kafka_health_snapshot *out)
{
    pthread_mutex_lock(&health_lock);
    kafka_health_snapshot_of(&health, out);
    pthread_mutex_unlock(&health_lock);
}
