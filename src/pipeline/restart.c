/* restart.c - a stage that starts over when one of its Kafka clients failed
 * for good (restart.h). */
#include "restart.h"

#include <stdatomic.h>

#include "log.h"
#include "util.h"

#define MAX_FRUITLESS_STARTS 5

int stage_run_restarting(const char *stage, stage_once_fn once, const void *cfg, stage_control *ctl,
                         pipeline_stats *st, int64_t wait_ns, char *errstr, size_t errstr_size)
{
    for (int fruitless = 1;; fruitless++) {
        int gone = 0, progress = 0;
        int rc = once(cfg, ctl, st, &gone, &progress, errstr, errstr_size);
        if (rc == 0 || !gone || atomic_load(&ctl->stop))
            return rc;
        if (progress)
            fruitless = 1;
        if (fruitless >= MAX_FRUITLESS_STARTS)
            return rc;
        LOG_WARN("%s: %s; starting over from the committed offsets in %.1f s", stage, errstr,
                 wait_ns / 1e9);
        sleep_ns(wait_ns);
    }
}
