/* Unit tests for progress.c: the process stage's offset metadata and watermark steps. */
#include <stdlib.h>

#include "progress.h"
#include "testlib.h"

static void test_metadata_round_trip(void)
{
    char out[PROC_PROGRESS_MAX], err[256];
    proc_progress p = {0, 1767607205000000000LL, 42, 1234, 1767607200500000000LL}, q;
    proc_progress_format(&p, out, sizeof(out));
    CHECK_EQ_STR(out, "v=2 wm=1767607205000000000 seq=42 next=1234 rwm=1767607200500000000");
    CHECK_EQ_INT(proc_progress_parse(out, &q, err, sizeof(err)), 0);
    CHECK(q.version == PROC_PROGRESS_VERSION);
    CHECK(q.wm == p.wm && q.seq == p.seq && q.next == p.next && q.rwm == p.rwm);
    /* The widest values fit the Kafka metadata. */
    proc_progress w = {2, INT64_MIN + 1, UINT64_MAX >> 1, INT64_MAX, INT64_MIN + 1};
    proc_progress_format(&w, out, sizeof(out));
    CHECK(strlen(out) < PROC_PROGRESS_MAX - 1);
    CHECK_EQ_INT(proc_progress_parse(out, &q, err, sizeof(err)), 0);
    CHECK(q.wm == w.wm && q.seq == w.seq && q.next == w.next && q.rwm == w.rwm);
    /* Fields that are none are left out, and read back as none. */
    proc_progress none = {2, INT64_MIN, 3, -1, INT64_MIN};
    proc_progress_format(&none, out, sizeof(out));
    CHECK_EQ_STR(out, "v=2 seq=3");
    CHECK_EQ_INT(proc_progress_parse(out, &q, err, sizeof(err)), 0);
    CHECK(q.wm == INT64_MIN && q.seq == 3 && q.next == -1 && q.rwm == INT64_MIN);
}

static void test_metadata_older_and_bad(void)
{
    char err[256];
    proc_progress q;
    /* Older versions' metadata: no version, no next, no rwm. */
    CHECK_EQ_INT(proc_progress_parse("wm=5 seq=2", &q, err, sizeof(err)), 0);
    CHECK(q.version == 1 && q.wm == 5 && q.seq == 2 && q.next == -1 && q.rwm == INT64_MIN);
    CHECK_EQ_INT(proc_progress_parse("wm=5 seq=2 next=7", &q, err, sizeof(err)), 0);
    CHECK(q.version == 1 && q.next == 7);
    CHECK_EQ_INT(proc_progress_parse("", &q, err, sizeof(err)), 0);
    CHECK(q.wm == INT64_MIN && q.seq == 0 && q.next == -1);
    /* "rwm" is not read as "wm"; unknown keys are skipped. */
    CHECK_EQ_INT(proc_progress_parse("rwm=7 seq=1 later=x", &q, err, sizeof(err)), 0);
    CHECK(q.wm == INT64_MIN && q.rwm == 7 && q.seq == 1);
    /* A malformed field is an error; the others are read. */
    CHECK_EQ_INT(proc_progress_parse("wm=12x seq=4 next=-3", &q, err, sizeof(err)), -1);
    CHECK(strstr(err, "malformed progress metadata 'wm=12x") != NULL);
    CHECK(q.wm == INT64_MIN && q.seq == 4 && q.next == -1);
    CHECK_EQ_INT(proc_progress_parse("next=99999999999999999999", &q, err, sizeof(err)), -1);
}

static void test_steps(void)
{
    wm_steps s = {0};
    buf out = {0};
    char err[256];
    wm_steps_format(&s, &out);
    CHECK_EQ_STR(out.data ? out.data : "", "");
    wm_steps_note(&s, 10, 100);
    wm_steps_note(&s, 10, 150); /* before the same record: replaces */
    wm_steps_note(&s, 14, -200);
    wm_steps_note(&s, 20, 300);
    CHECK_EQ_INT(s.n, 3);
    CHECK_EQ_INT(s.done, 3);
    wm_steps_format(&s, &out);
    CHECK_EQ_STR(out.data, "adv=10:150,14:-200,20:300");
    wm_steps_drop_through(&s, 14);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.v[0].offset, 20);
    wm_steps_format(&s, &out);
    CHECK_EQ_STR(out.data, "adv=20:300");
    /* Read back (in a progress record, after its seq): every step still to make. */
    wm_steps t = {0};
    CHECK_EQ_INT(wm_steps_parse(&t, "adv=10:150,14:-200,20:300 next=9", err, sizeof(err)), 0);
    CHECK_EQ_INT(t.n, 3);
    CHECK_EQ_INT(t.done, 0);
    CHECK(t.v[1].offset == 14 && t.v[1].wm == -200);
    /* A replay makes them as it reaches their records. */
    int64_t wm = 0;
    CHECK_EQ_INT(wm_steps_due(&t, 9, &wm), 0);
    CHECK_EQ_INT(wm_steps_due(&t, 14, &wm), 1);
    CHECK_EQ_INT(wm, 150);
    CHECK_EQ_INT(wm_steps_due(&t, 14, &wm), 1);
    CHECK_EQ_INT(wm, -200);
    CHECK_EQ_INT(wm_steps_due(&t, 14, &wm), 0);
    CHECK_EQ_INT(t.done, 2);
    wm_steps_all_made(&t);
    CHECK_EQ_INT(t.done, 3);
    CHECK_EQ_INT(wm_steps_due(&t, 100, &wm), 0);
    wm_steps_drop_through(&t, -1);
    CHECK_EQ_INT(t.n, 0);
    CHECK_EQ_INT(wm_steps_parse(&t, "", err, sizeof(err)), 0);
    CHECK_EQ_INT(t.n, 0);
    CHECK_EQ_INT(wm_steps_parse(&t, "xadv=1:2", err, sizeof(err)), 0);
    CHECK_EQ_INT(t.n, 0);
    const char *bad[] = {"adv=",
                         "adv=1",
                         "adv=1:",
                         "adv=:5",
                         "adv=1:2,",
                         "adv=1:2,1:3",
                         "adv=2:2,1:3",
                         "adv=-1:2",
                         "adv=1:2x",
                         "adv=1:2;3:4",
                         "adv=99999999999999999999:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wm_steps_note(&t, 1, 1);
        CHECK(wm_steps_parse(&t, bad[i], err, sizeof(err)) == -1);
        CHECK_EQ_INT(t.n, 0);
        CHECK(strstr(err, "malformed watermark steps") != NULL);
    }
    wm_steps_free(&s);
    wm_steps_free(&t);
    buf_release(&out);
}

static void test_steps_bounded_and_forgotten(void)
{
    wm_steps s = {0};
    /* A record whose own event time reaches the step before it: the step is dropped. */
    wm_steps_note(&s, 5, 100);
    wm_steps_note(&s, 9, 200);
    wm_steps_forget_before(&s, 9, 199); /* not reached: kept */
    CHECK_EQ_INT(s.n, 2);
    wm_steps_forget_before(&s, 8, 500); /* not the record right after it: kept */
    CHECK_EQ_INT(s.n, 2);
    wm_steps_forget_before(&s, 9, 200);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.done, 1);
    /* Steps still to replay are never forgotten. */
    char err[256];
    CHECK_EQ_INT(wm_steps_parse(&s, "seq=3 adv=5:100,9:200", err, sizeof(err)), 0);
    wm_steps_forget_before(&s, 9, 1000);
    CHECK_EQ_INT(s.n, 2);
    /* A step before an earlier offset than the last (records read again) replaces the later ones.
     */
    wm_steps_note(&s, 7, 150);
    CHECK_EQ_INT(s.n, 2);
    CHECK(s.v[1].offset == 7 && s.v[1].wm == 150);
    /* At most WM_STEPS_MAX: the oldest go. */
    wm_steps_drop_through(&s, -1);
    int dropped = 0;
    for (int i = 0; i < WM_STEPS_MAX + 10; i++)
        dropped += wm_steps_note(&s, 100 + i, 1000 + i);
    CHECK_EQ_INT(dropped, 10);
    CHECK_EQ_INT(s.n, WM_STEPS_MAX);
    CHECK_EQ_INT(s.v[0].offset, 110);
    wm_steps_free(&s);
}

TEST_MAIN(TEST(test_metadata_round_trip), TEST(test_metadata_older_and_bad), TEST(test_steps),
          TEST(test_steps_bounded_and_forgotten))
