/* kafka.c - connection options, the cluster check and the library version; see kafka.h. */
#include "kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdlib.h>

#include "kafka_conf.h"
#include "util.h"

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

/* A short-lived producer handle that has answered a metadata request (the
 * cluster is there), or NULL with errstr. */
static rd_kafka_t *checked_handle(const kafka_opts *o, char *errstr, size_t errstr_size)
{
    return kafka_checked_handle(o, "ticklake-check", errstr, errstr_size);
}

int kafka_check(const kafka_opts *o, char *errstr, size_t errstr_size)
{
    rd_kafka_t *rk = checked_handle(o, errstr, errstr_size);
    if (!rk)
        return -1;
    rd_kafka_destroy(rk);
    return 0;
}

int kafka_cluster_id(const kafka_opts *o, char *out, size_t out_size, int *embedded, char *errstr,
                     size_t errstr_size)
{
    rd_kafka_t *rk = checked_handle(o, errstr, errstr_size);
    if (!rk)
        return -1;
    int rc = 0;
    char *id = rd_kafka_clusterid(rk, kafka_timeout_of(o));
    if (!id) {
        rc = set_err(errstr, errstr_size, "%s: the cluster sent no cluster id", o->brokers);
    } else {
        strlcpy_tl(out, id, out_size);
        *embedded = kafka_is_embedded(rk, o, errstr, errstr_size);
        if (*embedded < 0)
            rc = -1;
        rd_kafka_mem_free(rk, id);
    }
    rd_kafka_destroy(rk);
    return rc;
}

const char *kafka_library_version(void)
{
    return rd_kafka_version_str();
}

void kafka_library_features(char *out, size_t out_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    size_t n = out_size;
    if (out_size > 0 && rd_kafka_conf_get(conf, "builtin.features", out, &n) != RD_KAFKA_CONF_OK)
        out[0] = '\0';
    rd_kafka_conf_destroy(conf);
}
