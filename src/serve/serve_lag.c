/* serve_lag.c - GET /api/lag: the pipeline's consumer groups' lag per
 * partition, asked of the cluster (kafka_lag.h), for the console's health
 * page; see docs/API.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "kafka_lag.h"
#include "log.h"
#include "serve_internal.h"
#include "util.h"

#define LAG_MAX_PARTS 512
#define LAG_MAX_GROUPS 4

/* A group name from ?group=a,b: the consumer group names Kafka accepts. */
static int group_name_valid(const char *g, size_t n)
{
    if (n == 0 || n > 200)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(g[i] == '.' || g[i] == '_' || g[i] == '-' || (g[i] >= '0' && g[i] <= '9') ||
              (g[i] >= 'a' && g[i] <= 'z') || (g[i] >= 'A' && g[i] <= 'Z')))
            return 0;
    return 1;
}

int serve_api_lag(serve_server *s, const http_request *r)
{
    if (!s->brokers)
        return serve_error(r, 404, "no Kafka: start serve with --brokers to see consumer lag");
    char list[512] = GROUP_PROCESS "," GROUP_SINK;
    int n = http_form_var(r->query, "group", 0, list, sizeof(list));
    if (n == 0 || n == -2)
        return serve_error(r, 400, "group: a comma-separated list of consumer group names");
    if (n < 0)
        snprintf(list, sizeof(list), "%s,%s", GROUP_PROCESS, GROUP_SINK);
    const char *groups[LAG_MAX_GROUPS];
    size_t ngroups = 0;
    for (char *g = list, *comma; g; g = comma ? comma + 1 : NULL) {
        comma = strchr(g, ',');
        if (comma)
            *comma = '\0';
        if (!group_name_valid(g, strlen(g)) || ngroups == LAG_MAX_GROUPS)
            return serve_error(r, 400,
                               "group: at most 4 names of letters, digits, '.', '_' and '-'");
        groups[ngroups++] = g;
    }
    kafka_part_lag *parts = xmalloc(LAG_MAX_PARTS * sizeof(*parts));
    buf b = {0};
    buf_puts(&b, "{\"groups\":[");
    char err[512] = "";
    int status = 200;
    pthread_mutex_lock(&s->lagmu);
    if (!s->lag)
        s->lag = kafka_lag_client_new(&s->kafka, err, sizeof(err));
    for (size_t i = 0; s->lag && i < ngroups; i++) {
        int got =
            kafka_group_lag(s->lag, groups[i], s->prefix, parts, LAG_MAX_PARTS, err, sizeof(err));
        if (got < 0)
            break;
        size_t shown = (size_t)got < LAG_MAX_PARTS ? (size_t)got : LAG_MAX_PARTS;
        int64_t total = 0;
        for (size_t k = 0; k < shown; k++)
            total += parts[k].lag;
        buf_puts(&b, i ? ",{\"group\":" : "{\"group\":");
        buf_put_json_str(&b, groups[i], strlen(groups[i]));
        buf_printf(&b, ",\"lag\":%lld,\"partitions\":[", (long long)total);
        for (size_t k = 0; k < shown; k++) {
            buf_puts(&b, k ? ",{\"topic\":" : "{\"topic\":");
            buf_put_json_str(&b, parts[k].topic, strlen(parts[k].topic));
            buf_printf(&b, ",\"partition\":%d,\"committed\":%lld,\"end\":%lld,\"lag\":%lld}",
                       (int)parts[k].partition, (long long)parts[k].committed,
                       (long long)parts[k].end, (long long)parts[k].lag);
        }
        buf_puts(&b, "]}");
        err[0] = '\0';
    }
    if (err[0]) {
        /* A connection that failed is made again on the next request. */
        kafka_lag_client_free(s->lag);
        s->lag = NULL;
    }
    pthread_mutex_unlock(&s->lagmu);
    free(parts);
    if (err[0]) {
        LOG_WARN("serve: consumer lag: %s", err);
        buf_release(&b);
        return serve_error(r, 502, err);
    }
    buf_puts(&b, "]}\n");
    status = serve_json(s, r, status, &b);
    buf_release(&b);
    return status;
}
