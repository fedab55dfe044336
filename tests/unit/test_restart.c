/* Unit tests for restart.c: when a stage starts over, and when it stops. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "restart.h"
#include "testlib.h"

/* A scripted stage: run i returns rc[i] with gone[i] and progress[i]. */
typedef struct script {
    int n, calls;
    int rc[16], gone[16], progress[16];
    stage_control *ctl;
    int stop_at; /* sets ctl->stop during this run (1-based), 0: never */
} script;

static int scripted(const void *cfg, stage_control *ctl, pipeline_stats *st, int *kafka_gone,
                    int *progress, char *errstr, size_t errstr_size)
{
    (void)st;
    script *s = (script *)cfg;
    int i = s->calls++;
    if (i >= s->n)
        i = s->n - 1;
    if (s->stop_at == s->calls)
        atomic_store(&ctl->stop, 1);
    *kafka_gone = s->gone[i];
    *progress = s->progress[i];
    snprintf(errstr, errstr_size, "run %d", s->calls);
    return s->rc[i];
}

static int run(script *s, char *err, size_t errlen)
{
    stage_control ctl;
    memset(&ctl, 0, sizeof(ctl));
    pipeline_stats st;
    memset(&st, 0, sizeof(st));
    s->ctl = &ctl;
    log_level = LOG_LVL_ERROR; /* the starting-over warnings are expected */
    return stage_run_restarting("test", scripted, s, &ctl, &st, 0, err, errlen);
}

static void test_success_and_unmendable_failures_end_at_once(void)
{
    char err[64];
    script ok = {.n = 1, .rc = {0}};
    CHECK_EQ_INT(run(&ok, err, sizeof(err)), 0);
    CHECK_EQ_INT(ok.calls, 1);
    script bad = {.n = 1, .rc = {-1}, .gone = {0}};
    CHECK_EQ_INT(run(&bad, err, sizeof(err)), -1);
    CHECK_EQ_INT(bad.calls, 1);
    CHECK_EQ_STR(err, "run 1");
}

static void test_five_fruitless_starts_give_up(void)
{
    char err[64];
    script s = {.n = 1, .rc = {-1}, .gone = {1}};
    CHECK_EQ_INT(run(&s, err, sizeof(err)), -1);
    CHECK_EQ_INT(s.calls, 5);
    CHECK_EQ_STR(err, "run 5");
}

static void test_progress_resets_the_count(void)
{
    char err[64];
    /* Four fruitless failures, then one after progress: the count starts
     * again from that one, so three more failures are still retried... */
    script s = {.n = 9,
                .rc = {-1, -1, -1, -1, -1, -1, -1, -1, 0},
                .gone = {1, 1, 1, 1, 1, 1, 1, 1, 0},
                .progress = {0, 0, 0, 0, 1, 0, 0, 0, 0}};
    CHECK_EQ_INT(run(&s, err, sizeof(err)), 0);
    CHECK_EQ_INT(s.calls, 9);
    /* ...and a fourth gives up: five failures with no progress between. */
    script g = {.n = 10,
                .rc = {-1, -1, -1, -1, -1, -1, -1, -1, -1, 0},
                .gone = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
                .progress = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0}};
    CHECK_EQ_INT(run(&g, err, sizeof(err)), -1);
    CHECK_EQ_INT(g.calls, 9);
    /* A mendable failure that sees a stop request is the last run. */
    script t = {.n = 1, .rc = {-1}, .gone = {1}, .stop_at = 2};
    CHECK_EQ_INT(run(&t, err, sizeof(err)), -1);
    CHECK_EQ_INT(t.calls, 2);
}

TEST_MAIN(TEST(test_success_and_unmendable_failures_end_at_once),
          TEST(test_five_fruitless_starts_give_up), TEST(test_progress_resets_the_count))
