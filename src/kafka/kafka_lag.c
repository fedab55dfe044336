/* kafka_lag.c - a consumer group's lag per partition; see kafka_lag.h. */
#include "kafka_lag.h"

#include <stdlib.h>
#include <string.h>

#include "kafka_conf.h"
#include "util.h"

struct kafka_lag_client {
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    int timeout_ms;
};

kafka_lag_client *kafka_lag_client_new(const kafka_opts *o, char *errstr, size_t errstr_size)
{
    rd_kafka_t *rk = kafka_checked_handle(o, "ticklake-lag", errstr, errstr_size);
    if (!rk)
        return NULL;
    kafka_lag_client *c = xcalloc(1, sizeof(*c));
    c->rk = rk;
    c->q = rd_kafka_queue_new(rk);
    c->timeout_ms = kafka_timeout_of(o);
    return c;
}

void kafka_lag_client_free(kafka_lag_client *c)
{
    if (!c)
        return;
    rd_kafka_queue_destroy(c->q);
    rd_kafka_destroy(c->rk);
    free(c);
}

/* The next event of type want from the client's queue, or NULL with errstr. */
static rd_kafka_event_t *await_event(kafka_lag_client *c, rd_kafka_event_type_t want,
                                     const char *what, char *errstr, size_t errstr_size)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(c->q, c->timeout_ms + 2000);
    if (!ev) {
        set_err(errstr, errstr_size, "%s: no answer within %d ms", what, c->timeout_ms + 2000);
        return NULL;
    }
    if (rd_kafka_event_type(ev) != want || rd_kafka_event_error(ev)) {
        set_err(errstr, errstr_size, "%s: %s", what,
                rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev) : "unexpected answer");
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static int by_topic_partition(const void *a, const void *b)
{
    const kafka_part_lag *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

int kafka_group_lag(kafka_lag_client *c, const char *group, const char *topic_prefix,
                    kafka_part_lag *out, size_t max, char *errstr, size_t errstr_size)
{
    size_t plen = topic_prefix ? strlen(topic_prefix) : 0;
    /* The partitions of the cluster's topics (those with the prefix, none of
     * Kafka's own), named: the embedded broker answers "all of the group's"
     * with none. */
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t merr = rd_kafka_metadata(c->rk, 1, NULL, &md, c->timeout_ms);
    if (merr)
        return set_err(errstr, errstr_size, "the cluster's topics: %s", rd_kafka_err2str(merr));
    rd_kafka_topic_partition_list_t *asked = rd_kafka_topic_partition_list_new(64);
    for (int t = 0; t < md->topic_cnt; t++) {
        const struct rd_kafka_metadata_topic *mt = &md->topics[t];
        if (mt->err || mt->topic[0] == '_' || (plen && strncmp(mt->topic, topic_prefix, plen) != 0))
            continue;
        for (int k = 0; k < mt->partition_cnt; k++)
            rd_kafka_topic_partition_list_add(asked, mt->topic, mt->partitions[k].id);
    }
    rd_kafka_metadata_destroy(md);
    if (asked->cnt == 0) {
        rd_kafka_topic_partition_list_destroy(asked);
        return 0;
    }
    /* The group's committed offsets of those. */
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, asked);
    rd_kafka_topic_partition_list_destroy(asked);
    rd_kafka_AdminOptions_t *ao =
        rd_kafka_AdminOptions_new(c->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_AdminOptions_set_request_timeout(ao, c->timeout_ms, NULL, 0);
    rd_kafka_ListConsumerGroupOffsets(c->rk, &req, 1, ao, c->q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = await_event(c, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
                                       "the group's committed offsets", errstr, errstr_size);
    if (!ev)
        return -1;
    size_t ngroups = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(ev), &ngroups);
    if (ngroups != 1 || rd_kafka_group_result_error(gr[0])) {
        set_err(errstr, errstr_size, "the committed offsets of group '%s': %s", group,
                ngroups == 1 ? rd_kafka_error_string(rd_kafka_group_result_error(gr[0]))
                             : "no answer for it");
        rd_kafka_event_destroy(ev);
        return -1;
    }
    const rd_kafka_topic_partition_list_t *parts = rd_kafka_group_result_partitions(gr[0]);
    rd_kafka_topic_partition_list_t *ends =
        rd_kafka_topic_partition_list_new(parts ? parts->cnt : 0);
    size_t n = 0;
    for (int i = 0; parts && i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        if (p->err || p->offset < 0 || (plen && strncmp(p->topic, topic_prefix, plen) != 0))
            continue;
        if (n < max) {
            kafka_part_lag *l = &out[n];
            memset(l, 0, sizeof(*l));
            strlcpy_tl(l->topic, p->topic, sizeof(l->topic));
            l->partition = p->partition;
            l->committed = p->offset;
            l->end = -1;
            rd_kafka_topic_partition_list_add(ends, p->topic, p->partition)->offset =
                RD_KAFKA_OFFSET_SPEC_LATEST;
        }
        n++;
    }
    rd_kafka_event_destroy(ev);
    size_t filled = n < max ? n : max;
    int rc = (int)n;
    if (filled > 0) {
        /* Their ends, as a read_committed reader sees them (the last stable offset). */
        ao = rd_kafka_AdminOptions_new(c->rk, RD_KAFKA_ADMIN_OP_LISTOFFSETS);
        rd_kafka_AdminOptions_set_request_timeout(ao, c->timeout_ms, NULL, 0);
        rd_kafka_error_t *e =
            rd_kafka_AdminOptions_set_isolation_level(ao, RD_KAFKA_ISOLATION_LEVEL_READ_COMMITTED);
        if (e)
            rd_kafka_error_destroy(e);
        rd_kafka_ListOffsets(c->rk, ends, ao, c->q);
        rd_kafka_AdminOptions_destroy(ao);
        ev = await_event(c, RD_KAFKA_EVENT_LISTOFFSETS_RESULT, "the partitions' end offsets",
                         errstr, errstr_size);
        if (!ev) {
            rc = -1;
        } else {
            size_t ninfo = 0;
            const rd_kafka_ListOffsetsResultInfo_t **info =
                rd_kafka_ListOffsets_result_infos(rd_kafka_event_ListOffsets_result(ev), &ninfo);
            for (size_t i = 0; i < ninfo; i++) {
                const rd_kafka_topic_partition_t *tp =
                    rd_kafka_ListOffsetsResultInfo_topic_partition(info[i]);
                if (tp->err || tp->offset < 0)
                    continue;
                for (size_t k = 0; k < filled; k++)
                    if (out[k].partition == tp->partition && strcmp(out[k].topic, tp->topic) == 0) {
                        out[k].end = tp->offset;
                        out[k].lag =
                            tp->offset > out[k].committed ? tp->offset - out[k].committed : 0;
                    }
            }
            rd_kafka_event_destroy(ev);
        }
    }
    rd_kafka_topic_partition_list_destroy(ends);
    if (rc >= 0)
        qsort(out, filled, sizeof(*out), by_topic_partition);
    return rc;
}
