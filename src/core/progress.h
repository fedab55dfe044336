/* progress.h - the process stage's committed progress, as text (docs/DATA.md, decision 0042).
 *
 * Each input partition's committed offset carries as metadata
 * "v=2 wm=<ns> seq=<n> next=<offset> rwm=<ns>" (proc_progress): the format
 * version, the watermark, the commit sequence, the next offset to read and the
 * watermark before the resume offset's record. Its changelog progress record carries after its seq
 * the watermark steps of the idle timeout since the resume offset,
 * "adv=<offset>:<ns>,..." (wm_steps), which a restart's replay makes again at
 * the same offsets. Both are space-separated key=value tokens; unknown keys are
 * skipped, so later versions can add some. Pure: no I/O. */
#ifndef TICKLAKE_PROGRESS_H
#define TICKLAKE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Room for a formatted proc_progress, NUL included (Kafka offset metadata). */
#define PROC_PROGRESS_MAX 128

/* The version this code writes: 2 replays retained bars (decision 0042);
 * without "v=" the metadata is version 1. */
#define PROC_PROGRESS_VERSION 2

typedef struct proc_progress {
    int version;  /* PROC_PROGRESS_VERSION when written by this code */
    int64_t wm;   /* the partition's watermark; INT64_MIN: none yet */
    uint64_t seq; /* commits of the partition so far */
    int64_t next; /* the next offset to read; -1: not recorded (an older version) */
    int64_t rwm;  /* the watermark before the resume offset's record; INT64_MIN: none */
} proc_progress;

/* Formats p into out (at least PROC_PROGRESS_MAX bytes), version
 * PROC_PROGRESS_VERSION whatever p->version says, leaving out the fields that
 * are none. */
void proc_progress_format(const proc_progress *p, char *out, size_t out_size);
/* Reads metadata text into p; a field that is missing is none (seq 0). 0, or
 * -1 with errstr when a field is malformed (the others are read). */
int proc_progress_parse(const char *text, proc_progress *p, char *errstr, size_t errstr_size);

/* The watermark was advanced to wm before the record at offset was read. */
typedef struct wm_step {
    int64_t offset, wm;
} wm_step;

/* Steps in offset order, owned by the struct (zero-initialise; wm_steps_free).
 * [0, done) are made already; a replay makes the rest as it reaches them. */
typedef struct wm_steps {
    wm_step *v;
    size_t n, cap, done;
} wm_steps;

/* Steps kept at most: the oldest go beyond it (wm_steps_note returns 1). A
 * step is about 30 bytes of the progress record. */
#define WM_STEPS_MAX 4096

/* Notes a step made now, before the record at offset (a later step before the
 * same record replaces it; steps noted before a later offset are dropped:
 * those records are being read again); every step is then made. 1 if the
 * oldest step was dropped to stay within WM_STEPS_MAX, else 0. */
int wm_steps_note(wm_steps *s, int64_t offset, int64_t wm);
/* The record at offset was read, and own_wm is the watermark its event time
 * makes (event time - lateness). If the last step was made just before it and
 * own_wm reaches that step, the step changed nothing a replay has to make
 * again (the record was in no window it closed, and moved the watermark as
 * far itself): drops it, so steps pile up only while event time lags. */
void wm_steps_forget_before(wm_steps *s, int64_t offset, int64_t own_wm);
/* A replay reaching the record at offset: 1 with the watermark of the next
 * step still to make before it (that step then counts as made), else 0. */
int wm_steps_due(wm_steps *s, int64_t offset, int64_t *wm);
/* Every step counts as made (a replay has ended). */
void wm_steps_all_made(wm_steps *s);
/* Drops the steps before records at or before offset (offset < 0: all). */
void wm_steps_drop_through(wm_steps *s, int64_t offset);
/* The steps as "adv=<offset>:<ns>,..." into out (reset first; "" for none). */
void wm_steps_format(const wm_steps *s, buf *out);
/* Reads the "adv=" token of text (none: no steps) into s, whose steps are
 * then all still to make (done 0). 0, or -1 with errstr when it is malformed
 * or its offsets do not increase; s is then empty. */
int wm_steps_parse(wm_steps *s, const char *text, char *errstr, size_t errstr_size);
void wm_steps_free(wm_steps *s);

#endif
