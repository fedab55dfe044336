/* sink.c - Kafka -> Parquet lake consumer group; see sink.h. */
#include "sink.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bar.h"
#include "engine.h"
#include "fence.h"
#include "kafka.h"
#include "kafka_admin.h"
#include "kafka_consumer.h"
#include "lakepath.h"
#include "log.h"
#include "restart.h"
#include "rowbuf.h"
#include "storage.h"
#include "tables.h"
#include "tick.h"
#include "util.h"

#define MAX_DATES 64
#define POLL_BATCH 1024 /* records taken from librdkafka per call */
/* Buffers handed to the writer and not yet committed, beyond which the
 * sink's thread writes too instead of reading on. */
#define MAX_JOBS 2
#define SPARE_BUFFERS 2 /* cleared buffers kept for reuse */

typedef struct date_run {
    int64_t day_start;
    int64_t first_offset;
} date_run;

/* The buffered records of one input partition. */
typedef struct pbuf {
    int topic;
    int32_t partition;
    rowbuf *rows;
    int64_t next_offset; /* -1 until a record is read */
    int64_t opened;      /* mono_ns of the first buffered record, 0 if empty */
    int dirty;           /* records read since the last commit */
    int inflight;        /* a job of this partition is not yet committed */
    int lost;            /* a stored file's commit failed as the partition went: write no more */
    int full;            /* a buffered row set columns past the table's lean ones */
    date_run dates[MAX_DATES];
    size_t ndates;
} pbuf;

/* A topic's partitions, by number: slots for 0..n-1, grown when a partition
 * beyond them is assigned (parts_reserve). */
typedef struct ptable {
    pbuf **bufs;          /* the partition's buffer, or NULL */
    unsigned char *owned; /* assigned to us now */
    int64_t *floor;       /* the offset we last committed (0: none) */
    int32_t n;
} ptable;

/* The DuckDB and storage handles of one writing thread (neither is shared
 * between threads: the S3 client's curl handles are not). */
typedef struct writer_io {
    engine *eng;
    storage *lake;
} writer_io;

typedef struct sink {
    const sink_config *cfg;
    pipeline_stats *st;
    engine *eng;
    storage *lake;
    kafka_consumer *cons;
    const char **props; /* the kafka properties: ours first, then the user's */
    char poll_prop[64];
    const lake_table *kinds[SINK_MAX_TOPICS];
    lake_indicators ind;                    /* the indicators table for cfg's periods */
    lake_row row;                           /* the record being decoded */
    char topic_names[SINK_MAX_TOPICS][160]; /* with the prefix */
    const char *topics[SINK_MAX_TOPICS];
    /* What file names start with: the topic, and "~<incarnation>" on an
     * embedded cluster (sink.h). */
    char file_topics[SINK_MAX_TOPICS][224];
    char tables[SINK_MAX_TOPICS][64];
    ptable parts[SINK_MAX_TOPICS];
    kafka_msg *msgs; /* POLL_BATCH records being added */
    int64_t roll_rows, roll_bytes, roll_interval;
    /* Per topic: the Parquet bytes and rows written so far, whose ratio
     * estimates the bytes a buffered row becomes, and the row count at which
     * a buffer rolls (roll_bytes over that estimate, at most roll_rows). */
    int64_t written_bytes[SINK_MAX_TOPICS], written_rows[SINK_MAX_TOPICS];
    int64_t roll_at[SINK_MAX_TOPICS];
    const char *last_topic_name; /* topic_index's cache */
    int last_topic;
    int failed;
    char errstr[1024];
    const atomic_int *stop; /* the stage's stop flag: ends a wait for disk space */
    /* Set once the run has failed: a write still in progress ends its waits
     * (disk space, S3 retries) and fails, as its result is not committed. */
    atomic_int abandon;
    int64_t write_budget; /* how long a write waits for a full disk (or S3) */
    /* The writer thread and the jobs (struct job) not yet committed, oldest
     * first; mu guards the list, the job states and the two flags, cv
     * signals a new job, a job written and a stop. */
    pthread_t writer;
    int writer_started, writer_stop, write_failed;
    /* The first failed job's error: a job abandoned after it (a "cancelled"
     * S3 wait) may sit before it in the list. */
    char write_err[1024];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *head, *tail;
    int njobs;
    writer_io io, wio; /* this thread's and the writer's (io.eng == eng) */
    rowbuf *spare[SPARE_BUFFERS];
    size_t nspare;
    int kafka_gone;     /* failed because the consumer failed for good */
    stage_fence *fence; /* with --instance-id on a cluster with transactions */
    int revoking;       /* in on_revoked: the partitions go, commits are tried once */
    int64_t commits;    /* files stored and committed */
} sink;

/* Whether the consumer's failure is one that starting over with new clients
 * mends. Lost records do not come back so (t0018). A fence by another member
 * with this instance's group.instance.id is mended when this instance still
 * holds its fence token (fence.h): the other is a zombie that rejoined, and
 * starting over takes the membership back; when the token moved on, this
 * instance is the zombie and stops (t0111). Without a token (no transactions)
 * the sink starts over, as it does when fenced by its own rejoin after its
 * coordinator moved (tests/faults/t0020). */
static int consumer_failure_mendable(sink *s, char *errstr, size_t errstr_size)
{
    if (kafka_consumer_records_lost(s->cons))
        return 0;
    if (!kafka_consumer_fenced(s->cons) || !s->fence)
        return 1;
    char err[512];
    int current = stage_fence_current(s->fence, err, sizeof(err));
    if (current == 1) {
        LOG_WARN("sink: another consumer took this instance's group.instance.id, but this "
                 "instance still holds its fence token: the other is a zombie");
        return 1;
    }
    if (current == 0)
        set_err(errstr, errstr_size,
                "another sink started with --instance-id %s took this one's group membership "
                "and fence token: this instance is the older one and stops",
                s->cfg->instance_id);
    else
        set_err(errstr, errstr_size,
                "another consumer took this instance's group.instance.id, and whether this "
                "instance still holds its fence token is unknown (%s): it stops",
                err);
    return 0;
}

/* The consumer's lag, total and of its furthest partition, for the status line. */
static void note_lag(pipeline_stats *st, kafka_consumer *c)
{
    int64_t max;
    atomic_store(&st->sink_lag, kafka_consumer_lag_max(c, &max));
    atomic_store(&st->sink_lag_max, max);
}

static int topic_index(sink *s, const char *topic)
{
    /* librdkafka hands out one name pointer per topic: most records hit the cache. */
    if (topic == s->last_topic_name)
        return s->last_topic;
    for (size_t i = 0; i < s->cfg->ntopics; i++)
        if (strcmp(s->topics[i], topic) == 0) {
            s->last_topic_name = topic;
            s->last_topic = (int)i;
            return (int)i;
        }
    return -1;
}

/* Whether topic t's table has a slot for partition p. */
static int has_slot(const sink *s, int t, int32_t p)
{
    return t >= 0 && p >= 0 && p < s->parts[t].n;
}

/* Makes topic t's table hold partition p (new slots empty): 0, or -1 with
 * s->failed and s->errstr. Moves the slot arrays, not the buffers. */
static int parts_reserve(sink *s, int t, int32_t p)
{
    ptable *pt = &s->parts[t];
    if (p < pt->n)
        return 0;
    int32_t n = pt->n < 16 ? 16 : pt->n;
    while (n <= p)
        n = n > INT32_MAX / 2 ? INT32_MAX : n * 2;
    pbuf **bufs = realloc(pt->bufs, (size_t)n * sizeof(*bufs));
    if (bufs)
        pt->bufs = bufs;
    unsigned char *owned = bufs ? realloc(pt->owned, (size_t)n * sizeof(*owned)) : NULL;
    if (owned)
        pt->owned = owned;
    int64_t *floor = owned ? realloc(pt->floor, (size_t)n * sizeof(*floor)) : NULL;
    if (!floor) {
        s->failed = 1;
        snprintf(s->errstr, sizeof(s->errstr),
                 "sink: out of memory for %d partitions of topic '%s'", (int)n, s->topics[t]);
        return -1;
    }
    pt->floor = floor;
    size_t old = (size_t)pt->n, more = (size_t)(n - pt->n);
    memset(pt->bufs + old, 0, more * sizeof(*pt->bufs));
    memset(pt->owned + old, 0, more * sizeof(*pt->owned));
    memset(pt->floor + old, 0, more * sizeof(*pt->floor));
    pt->n = n;
    return 0;
}

static pbuf *get_buf(sink *s, int topic, int32_t partition, int create)
{
    if (!has_slot(s, topic, partition))
        return NULL;
    pbuf **slot = &s->parts[topic].bufs[partition];
    if (!*slot && create) {
        pbuf *b = calloc(1, sizeof(*b));
        b->topic = topic;
        b->partition = partition;
        b->next_offset = -1;
        b->rows = rowbuf_new(s->kinds[topic]->schema, s->errstr, sizeof(s->errstr));
        if (!b->rows) {
            free(b);
            s->failed = 1;
            return NULL;
        }
        *slot = b;
    }
    return *slot;
}

/* A filled buffer on its way to the lake: written by the writer thread (or
 * the sink's thread while it waits), then committed by the sink's thread,
 * in the order the jobs were made. */
typedef struct job {
    struct job *next;
    int topic;
    int32_t partition;
    int64_t next_offset; /* committed once every file of the job is stored */
    rowbuf *rows;
    size_t ncols; /* the columns its files get: all, or the table's lean ones */
    date_run dates[MAX_DATES];
    size_t ndates;
    int state; /* JOB_QUEUED, JOB_WRITING, JOB_DONE or JOB_FAILED */
    int64_t written, bytes;
    int64_t files; /* stored by the writer; counted in the stats once committed, as the rows */
    char err[1024];
} job;

enum { JOB_QUEUED, JOB_WRITING, JOB_DONE, JOB_FAILED };

/* Writes rows[0..n) of j (sorted, of one date) to a local file and stores
 * it as key: 0, or -1 with j->err (the local file is removed). */
static int put_date(const writer_io *io, job *j, const char *key, const uint32_t *order, size_t n,
                    int64_t *rows, int64_t *bytes)
{
    buf tmp = {0}, folder = {0};
    const char *dir = storage_local_dir(io->lake);
    /* Local: beside the final name, with this process's id and a count, so a
     * zombie writer of the same file whose temporary file the new owner
     * removed cannot rename the new owner's half-written one
     * (clean_temp_files); S3: in the staging folder. */
    int rc = storage_temp_path(io->lake, key, &tmp, j->err, sizeof(j->err));
    if (rc == 0 && dir) {
        buf_append(&folder, tmp.data, tmp.len);
        *strrchr(folder.data, '/') = '\0';
    }
    if (rc == 0)
        rc = engine_write_parquet_cols(io->eng, j->rows, j->ncols, order, n, tmp.data, rows, j->err,
                                       sizeof(j->err));
    /* Retention may remove an expired date's empty folder just after
     * mkdir_p made it: made again, the file is written once more. */
    if (rc != 0 && dir && tmp.len && access(folder.data, F_OK) != 0 && errno == ENOENT &&
        mkdir_p(folder.data, j->err, sizeof(j->err)) == 0)
        rc = engine_write_parquet_cols(io->eng, j->rows, j->ncols, order, n, tmp.data, rows, j->err,
                                       sizeof(j->err));
    if (rc == 0) {
        struct stat sb;
        *bytes = stat(tmp.data, &sb) == 0 ? (int64_t)sb.st_size : 0;
    }
    if (rc == 0)
        rc = storage_put_file(io->lake, key, tmp.data, STORAGE_MOVE, j->err, sizeof(j->err));
    if (rc != 0 && tmp.data)
        unlink(tmp.data); /* the records are still in Kafka */
    buf_release(&tmp);
    buf_release(&folder);
    return rc;
}

/* Whether a failed write's message says the file system is full (ENOSPC, or
 * EDQUOT for a quota): DuckDB reports its write errors as text with
 * strerror's words, and storage does the same. */
static int disk_full(const char *err)
{
    return strstr(err, strerror(ENOSPC)) || strstr(err, strerror(EDQUOT));
}

/* put_date, waiting for space on a full local disk (the lake's, or for S3
 * the staging folder's): the write is retried with backoff (0.1 s doubling
 * to 5 s), each failure logged and counted, until it succeeds, the write
 * budget is spent or the stage is stopped. The job is not done meanwhile, so
 * nothing from it on is committed. */
static int put_date_waiting(sink *s, const writer_io *io, job *j, const char *key,
                            const uint32_t *order, size_t n, int64_t *rows, int64_t *bytes)
{
    int64_t first = 0, wait = 100 * 1000000LL;
    for (int attempt = 1;; attempt++) {
        if (put_date(io, j, key, order, n, rows, bytes) == 0)
            return 0;
        if (!disk_full(j->err))
            return -1;
        atomic_fetch_add(&s->st->lake_disk_full, 1);
        int64_t now = mono_ns();
        if (!first)
            first = now;
        int stopped = atomic_load(s->stop) != 0 || atomic_load(&s->abandon) != 0;
        if (stopped || now - first >= s->write_budget) {
            size_t len = strlen(j->err);
            snprintf(j->err + len, sizeof(j->err) - len, " (%s after %d attempt%s in %.0f s)",
                     stopped ? "stopped" : "gave up", attempt, attempt == 1 ? "" : "s",
                     (double)(now - first) / 1e9);
            return -1;
        }
        if (wait > s->write_budget - (now - first))
            wait = s->write_budget - (now - first);
        LOG_WARN("sink: %s; retry %d in %.1f s", j->err, attempt, (double)wait / 1e9);
        for (int64_t until = now + wait; !atomic_load(s->stop) && !atomic_load(&s->abandon);) {
            int64_t left = until - mono_ns();
            if (left <= 0)
                break;
            sleep_ns(left < 100000000 ? left : 100000000);
        }
        wait = wait * 2 < 5 * NS_PER_SEC ? wait * 2 : 5 * NS_PER_SEC;
    }
}

/* Writes every date of j to the lake with io: 0, or -1 with j->err. Runs
 * on either thread; touches only j, io and atomic counters. */
static int write_job(sink *s, const writer_io *io, job *j)
{
    const char *topic = s->file_topics[j->topic];
    const char *table = s->tables[j->topic];
    /* Sorted by (date, symbol, time): each date is one run of rows. */
    const uint32_t *order;
    if (rowbuf_sort(j->rows, &order, j->err, sizeof(j->err)) != 0)
        return -1;
    size_t nrows = rowbuf_rows(j->rows);
    for (size_t lo = 0, hi; lo < nrows; lo = hi) {
        int64_t day = rowbuf_group(j->rows, order[lo]);
        hi = lo + 1;
        while (hi < nrows && rowbuf_group(j->rows, order[hi]) == day)
            hi++;
        size_t i = 0;
        while (i < j->ndates && j->dates[i].day_start != day)
            i++;
        if (i == j->ndates)
            return set_err(j->err, sizeof(j->err), "sink: rows of '%s' [%d] of an unnoted date",
                           topic, (int)j->partition);
        char date[LAKE_DATE_LEN], name[256];
        lake_date(j->dates[i].day_start, date);
        if (lake_file_name(topic, j->partition, j->dates[i].first_offset, name, sizeof(name)) != 0)
            return set_err(j->err, sizeof(j->err), "lake file name too long for topic '%s'", topic);
        buf key = {0};
        if (s->kinds[j->topic]->partitioning == LAKE_PART_YEAR)
            buf_printf(&key, "%s/year=%04d/%s", table, atoi(date), name);
        else
            buf_printf(&key, "%s/date=%s/%s", table, date, name);
        int64_t rows = 0, bytes = 0;
        int64_t t0 = mono_ns();
        if (put_date_waiting(s, io, j, key.data, order + lo, hi - lo, &rows, &bytes) != 0) {
            buf_release(&key);
            return -1;
        }
        j->written += rows;
        j->bytes += bytes;
        j->files++;
        if (log_level >= LOG_LVL_DEBUG) {
            buf loc = {0};
            storage_describe(io->lake, key.data, &loc);
            LOG_DEBUG("sink: wrote %lld rows to '%s' in %.1f ms", (long long)rows, loc.data,
                      (double)(mono_ns() - t0) / 1e6);
            buf_release(&loc);
        }
        buf_release(&key);
    }
    if (j->written != (int64_t)nrows)
        return set_err(j->err, sizeof(j->err),
                       "sink: %lld rows buffered for '%s' [%d] but %lld written", (long long)nrows,
                       topic, (int)j->partition, (long long)j->written);
    return 0;
}

/* Takes the first queued job, writes it with eng and marks it done or
 * failed. Called with s->mu held, returns with it held; 0 if there was no
 * job to take (or a job failed before: no more are written). */
static int write_next(sink *s, const writer_io *io)
{
    job *j = s->head;
    while (j && j->state != JOB_QUEUED)
        j = j->next;
    /* After a failure nothing more is written: the partitions may go to
     * another member, which rewrites from the committed offsets. */
    if (!j || s->write_failed || s->failed)
        return 0;
    j->state = JOB_WRITING;
    pthread_mutex_unlock(&s->mu);
    int rc = write_job(s, io, j);
    pthread_mutex_lock(&s->mu);
    j->state = rc == 0 ? JOB_DONE : JOB_FAILED;
    if (rc != 0 && !s->write_failed) {
        s->write_failed = 1;
        snprintf(s->write_err, sizeof(s->write_err), "%s", j->err);
    }
    pthread_cond_broadcast(&s->cv);
    return 1;
}

static void *writer_main(void *arg)
{
    sink *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->writer_stop)
        if (!write_next(s, &s->wio))
            pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Bytes a row is taken to become before anything is written: about what a
 * trade takes in ZSTD Parquet (docs/PERFORMANCE.md), so the first files of a
 * run are near the target too. */
#define SINK_FIRST_BYTES_PER_ROW 8.0

/* Learns from a written buffer how many bytes a row of topic t becomes and
 * sets the row count at which its buffers roll: roll_bytes / (bytes per row),
 * at most roll_rows. Small files overstate the per-row size (the footer), so
 * the estimate uses every byte and row written so far, not the last file. */
static void update_roll(sink *s, int t, int64_t rows, int64_t bytes)
{
    s->written_rows[t] += rows;
    s->written_bytes[t] += bytes;
    double bpr = s->written_rows[t] > 0 && s->written_bytes[t] > 0
                     ? (double)s->written_bytes[t] / (double)s->written_rows[t]
                     : SINK_FIRST_BYTES_PER_ROW;
    double at = (double)s->roll_bytes / bpr;
    s->roll_at[t] = at < 1 ? 1 : at > (double)s->roll_rows ? s->roll_rows : (int64_t)at;
}

/* A rowbuf for topic t: a cleared one kept from a committed job, or a new one. */
static rowbuf *take_rowbuf(sink *s, int t)
{
    const engine_table *schema = s->kinds[t]->schema;
    for (size_t i = 0; i < s->nspare; i++)
        if (rowbuf_table(s->spare[i]) == schema) {
            rowbuf *rb = s->spare[i];
            s->spare[i] = s->spare[--s->nspare];
            return rb;
        }
    return rowbuf_new(schema, s->errstr, sizeof(s->errstr));
}

/* Commits the offsets of the written jobs at the head of the queue, in the
 * order they were made (so a partition's offset never passes a file that is
 * not yet stored). A failed job stops the sink: nothing after it is
 * committed, and its records are read again by the next run. */
/* Commits the offset after a stored file, retrying for up to 10 s while the
 * partition stays ours: while a group's coordinator moves to another broker
 * the commit meets "not coordinator" or "coordinator load in progress" for
 * seconds. While the partitions are revoked, or about to be (the group
 * rebalances), it tries once. Returns kafka_consumer_commit's result. */
static int commit_file(sink *s, const kafka_tp *tp, char *err, size_t err_size)
{
    int64_t until = mono_ns() + (s->revoking ? 0 : 10 * NS_PER_SEC);
    for (int tries = 0;; tries++) {
        int rc = kafka_consumer_commit(s->cons, tp, 1, err, err_size);
        if (rc == KAFKA_COMMIT_REBALANCING)
            return rc;
        if (rc == 0) {
            if (tries > 0)
                LOG_INFO("sink: offset commit for '%s' [%d] done after %d retries", tp->topic,
                         (int)tp->partition, tries);
            return 0;
        }
        if (mono_ns() >= until)
            return -1;
        if (tries == 0)
            LOG_WARN("sink: %s; retrying", err);
        sleep_ns(200 * 1000000LL);
    }
}

static void commit_done(sink *s)
{
    for (;;) {
        pthread_mutex_lock(&s->mu);
        job *j = s->head;
        if (j && j->state == JOB_FAILED && !s->failed) {
            s->failed = 1;
            snprintf(s->errstr, sizeof(s->errstr), "%s", s->write_err);
        }
        if (!j || j->state != JOB_DONE || s->failed) {
            pthread_mutex_unlock(&s->mu);
            return;
        }
        s->head = j->next;
        if (!s->head)
            s->tail = NULL;
        s->njobs--;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        kafka_tp tp = {
            .topic = s->topics[j->topic], .partition = j->partition, .offset = j->next_offset};
        tp.metadata[0] = '\0';
        char err[256];
        int crc = commit_file(s, &tp, err, sizeof(err));
        int committed = crc == 0;
        pbuf *b = get_buf(s, j->topic, j->partition, 0);
        if (!committed && (s->revoking || crc == KAFKA_COMMIT_REBALANCING)) {
            /* The partition goes: the next owner reads from the committed
             * offset and rewrites this file, the only one of it not
             * committed, under the same name. So it must stay the only one:
             * the buffer on_revoked hands over next is not written
             * (enqueue_buf), else two files past the committed offset, of
             * which the next owner rewrites one (rows twice in the lake). */
            LOG_WARN("sink: %s", err);
            if (b) {
                b->lost = 1;
                b->inflight = 0;
            }
            rowbuf_free(j->rows);
            free(j);
            continue;
        } else if (!committed) {
            /* The file stays, stored but not committed. No later file of this
             * partition may be written: the naming argument (sink.h) holds
             * for at most one such file per partition, which the next run,
             * starting at the committed offset, rewrites under the same
             * name. With two or more, it wrote one file over the range of
             * both and kept the second (2,396 trades twice in the lake after
             * a rolling restart, tests/faults/t0030). The run ends here and
             * sink_run starts over. */
            s->failed = 1;
            s->kafka_gone = 1;
            snprintf(s->errstr, sizeof(s->errstr), "%s", err);
            rowbuf_free(j->rows);
            free(j);
            return;
        }
        if (b)
            b->inflight = 0;
        if (has_slot(s, j->topic, j->partition))
            s->parts[j->topic].floor[j->partition] = j->next_offset;
        s->commits++;
        atomic_fetch_add(&s->st->lake_rows, j->written);
        atomic_fetch_add(&s->st->lake_bytes, j->bytes);
        atomic_fetch_add(&s->st->lake_files, j->files);
        update_roll(s, j->topic, j->written, j->bytes);
        rowbuf_clear(j->rows);
        if (s->nspare < SPARE_BUFFERS)
            s->spare[s->nspare++] = j->rows;
        else
            rowbuf_free(j->rows);
        free(j);
    }
}

/* Whether a job is being written (on either thread). With s->mu held. */
static int job_writing(const sink *s)
{
    for (const job *j = s->head; j; j = j->next)
        if (j->state == JOB_WRITING)
            return 1;
    return 0;
}

/* Waits until at most `most` jobs are left uncommitted (0: all written and
 * committed) and b (may be NULL) has none, writing queued jobs on this
 * thread meanwhile, so that two files are written at once. After a failure
 * it stops early, but only once no job is being written: a file the writer
 * thread stores after a revoke has returned could land after the next
 * owner's file of the same name and replace it (rows twice or lost). The
 * writer is told to give up its waits (abandon), so this takes a request's
 * time, not a write budget. */
static void wait_jobs(sink *s, int most, const pbuf *b)
{
    for (;;) {
        commit_done(s);
        pthread_mutex_lock(&s->mu);
        int failing = s->failed || s->write_failed;
        if (failing)
            atomic_store(&s->abandon, 1);
        if (failing ? !job_writing(s) : s->njobs <= most && (!b || !b->inflight)) {
            pthread_mutex_unlock(&s->mu);
            commit_done(s);
            break;
        }
        if (failing || !write_next(s, &s->io)) {
            job *h = s->head;
            if (failing || (h && (h->state == JOB_QUEUED || h->state == JOB_WRITING)))
                pthread_cond_wait(&s->cv, &s->mu);
        }
        pthread_mutex_unlock(&s->mu);
    }
    /* A job failed behind one still being written: stop now, with its error
     * (nothing from the failed job on is committed). */
    pthread_mutex_lock(&s->mu);
    if (s->write_failed && !s->failed) {
        s->failed = 1;
        snprintf(s->errstr, sizeof(s->errstr), "%s", s->write_err);
    }
    pthread_mutex_unlock(&s->mu);
}

/* Hands b's rows to the writer as a job and empties b. */
static int enqueue_buf(sink *s, pbuf *b)
{
    if (!b || !b->dirty || s->failed)
        return s->failed ? -1 : 0;
    /* One uncommitted file set per partition at a time: the argument in
     * sink.h for why a retry rewrites the same names needs the records after
     * the committed offset to be in one buffer of the crashed attempt. */
    if (b->inflight) {
        wait_jobs(s, INT_MAX, b);
        if (s->failed)
            return -1;
    }
    if (b->lost) {
        /* Its stored file was not committed (commit_done, maybe in the wait above): while the
         * partition goes, its buffer is dropped (the next owner reads it
         * again); if it stays (a rebalance that kept it), the run starts
         * over from the committed offsets, which rewrites that file. */
        if (s->revoking)
            return 0;
        s->failed = 1;
        s->kafka_gone = 1;
        snprintf(s->errstr, sizeof(s->errstr),
                 "topic '%s' partition %d: a file's commit failed in a rebalance that kept the "
                 "partition; starting over from the committed offsets",
                 s->topics[b->topic], (int)b->partition);
        return -1;
    }
    job *j = calloc(1, sizeof(*j));
    rowbuf *fresh = j ? take_rowbuf(s, b->topic) : NULL;
    if (!fresh) {
        free(j);
        s->failed = 1;
        if (!s->errstr[0])
            snprintf(s->errstr, sizeof(s->errstr), "out of memory");
        return -1;
    }
    j->topic = b->topic;
    j->partition = b->partition;
    j->next_offset = b->next_offset;
    j->rows = b->rows;
    const lake_table *kind = s->kinds[b->topic];
    j->ncols = kind->lean_columns && !b->full ? kind->lean_columns : kind->schema->ncolumns;
    b->full = 0;
    memcpy(j->dates, b->dates, b->ndates * sizeof(b->dates[0]));
    j->ndates = b->ndates;
    j->state = JOB_QUEUED;
    b->rows = fresh;
    b->ndates = 0;
    b->opened = 0;
    b->dirty = 0;
    b->inflight = 1;
    pthread_mutex_lock(&s->mu);
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    s->njobs++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* As enqueue_buf; then, while more than MAX_JOBS jobs are uncommitted, this
 * thread writes too (or waits), which bounds the buffers in flight. */
static int flush_buf(sink *s, pbuf *b)
{
    if (enqueue_buf(s, b) != 0)
        return -1;
    wait_jobs(s, MAX_JOBS, NULL);
    return s->failed ? -1 : 0;
}

/* Writes every buffer and waits until all of it is stored and committed. */
static int flush_all(sink *s)
{
    for (size_t t = 0; t < s->cfg->ntopics; t++)
        for (int32_t p = 0; p < s->parts[t].n; p++) {
            /* Queued without waiting, so both threads write at the end. */
            if (enqueue_buf(s, get_buf(s, (int)t, p, 0)) != 0)
                return -1;
        }
    wait_jobs(s, 0, NULL);
    return s->failed ? -1 : 0;
}

/* Removes the staging files of this topic partition whose writer is gone
 * (".tmp-<topic>+<partition>+<offset>.parquet.<pid>-<token>.<n>.partial"). */
static void clean_staging_files(sink *s, int topic, int32_t partition)
{
    const char *dir = storage_staging_dir(s->lake);
    char prefix[300];
    snprintf(prefix, sizeof(prefix), ".tmp-%s+%d+", s->file_topics[topic], (int)partition);
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (!storage_temp_orphaned(e->d_name))
            continue; /* a live writer's, or not ours to judge */
        char path[PATH_MAX + 300];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) == 0)
            LOG_INFO("sink: removed '%s' left by an earlier attempt", path);
    }
    closedir(d);
}

/* Removes temporary files a crashed writer of this topic partition left, and
 * on S3 the multipart uploads it left incomplete (invisible, but billed). The
 * partition is ours now: a writer of it that is still alive is a zombie whose
 * put then fails without committing, so its records are read again. */
static void clean_temp_files(sink *s, int topic, int32_t partition)
{
    const char *lake = storage_local_dir(s->lake);
    if (!lake) {
        clean_staging_files(s, topic, partition);
        char prefix[300], err[512];
        snprintf(prefix, sizeof(prefix), "%s+%d+", s->file_topics[topic], (int)partition);
        int n = 0;
        if (storage_abort_uploads(s->lake, s->tables[topic], prefix, &n, err, sizeof(err)) != 0)
            LOG_WARN("sink: incomplete uploads of '%s' [%d] not aborted: %s", s->topics[topic],
                     (int)partition, err);
        else if (n > 0)
            LOG_INFO("sink: aborted %d incomplete multipart uploads of '%s' [%d] left by an "
                     "earlier attempt",
                     n, s->topics[topic], (int)partition);
        return;
    }
    char tdir[PATH_MAX], prefix[300];
    snprintf(tdir, sizeof(tdir), "%s/%s", lake, s->tables[topic]);
    snprintf(prefix, sizeof(prefix), ".tmp-%s+%d+", s->file_topics[topic], (int)partition);
    DIR *d = opendir(tdir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "date=", 5) != 0 && strncmp(e->d_name, "year=", 5) != 0)
            continue;
        char pdir[PATH_MAX + 300];
        snprintf(pdir, sizeof(pdir), "%s/%s", tdir, e->d_name);
        DIR *pd = opendir(pdir);
        if (!pd)
            continue;
        struct dirent *f;
        while ((f = readdir(pd))) {
            /* This process's own are in writing (a job of a partition it
             * had before); any other writer's is a crashed one's or a
             * zombie's, whose rename then fails. */
            if (strncmp(f->d_name, prefix, strlen(prefix)) != 0 || storage_temp_own(f->d_name))
                continue;
            char path[PATH_MAX + 600];
            snprintf(path, sizeof(path), "%s/%s", pdir, f->d_name);
            if (unlink(path) == 0)
                LOG_INFO("sink: removed '%s' left by an earlier attempt", path);
        }
        closedir(pd);
    }
    closedir(d);
}

static void on_assigned(void *opaque, const kafka_tp *tps, size_t n)
{
    sink *s = opaque;
    /* Every job is stored before a cleanup touches the storage (and with an
     * eager assignor nothing is in flight here anyway: the revoke waited). */
    wait_jobs(s, 0, NULL);
    for (size_t i = 0; i < n; i++) {
        int t = topic_index(s, tps[i].topic);
        /* Any partition number: a table that stopped at a fixed size
         * dropped the records of higher ones without a word. On failure
         * (out of memory) the run ends before it reads. */
        if (t < 0 || tps[i].partition < 0 || parts_reserve(s, t, tps[i].partition) != 0)
            continue;
        s->parts[t].owned[tps[i].partition] = 1;
        clean_temp_files(s, t, tps[i].partition);
    }
    atomic_store(&s->st->sink_joined, 1);
}

static void on_revoked(void *opaque, const kafka_tp *tps, size_t n)
{
    sink *s = opaque;
    /* The new owner starts at the committed offsets: every file of ours is
     * stored and committed before the partitions go. Whatever was not (after
     * a failure) is read again by the next owner. Set first: a commit that
     * fails while a buffer waits for its partition's previous file
     * (enqueue_buf) is one of a partition that goes too. */
    s->revoking = 1;
    for (size_t i = 0; i < n; i++) {
        int t = topic_index(s, tps[i].topic);
        if (!has_slot(s, t, tps[i].partition))
            continue;
        s->parts[t].owned[tps[i].partition] = 0;
        enqueue_buf(s, get_buf(s, t, tps[i].partition, 0));
    }
    wait_jobs(s, 0, NULL);
    s->revoking = 0;
    for (size_t i = 0; i < n; i++) {
        int t = topic_index(s, tps[i].topic);
        if (!has_slot(s, t, tps[i].partition))
            continue;
        pbuf **slot = &s->parts[t].bufs[tps[i].partition];
        if (*slot) {
            rowbuf_free((*slot)->rows);
            free(*slot);
            *slot = NULL;
        }
    }
}

/* The start of the partition period (day or year) holding ts, for table t. */
static int64_t period_start(const lake_table *t, int64_t ts)
{
    return t->partitioning == LAKE_PART_YEAR ? lake_year_start(ts) : lake_day_start(ts);
}

static void note_date(pbuf *b, const lake_table *t, int64_t ts, int64_t offset)
{
    int64_t day = period_start(t, ts);
    for (size_t i = 0; i < b->ndates; i++)
        if (b->dates[i].day_start == day)
            return;
    b->dates[b->ndates].day_start = day;
    b->dates[b->ndates].first_offset = offset;
    b->ndates++;
}

/* Decodes one record into its partition's buffer. Bad records are counted
 * and skipped; they still advance the offset. */
static void add_record(sink *s, const kafka_msg *m)
{
    int t = topic_index(s, m->topic);
    /* A record of a partition no longer ours (a batch gathered before a
     * revoke) is the new owner's to write: its offset is not committed. */
    if (!has_slot(s, t, m->partition) || !s->parts[t].owned[m->partition])
        return;
    /* Below what we committed ourselves: already in a stored file (a record
     * gathered before a revoke of a partition that came straight back). */
    if (m->offset < s->parts[t].floor[m->partition])
        return;
    pbuf *b = get_buf(s, t, m->partition, 1);
    if (!b)
        return;
    char err[256];
    lake_row *row = &s->row;
    row->full = 0;
    int rc = s->kinds[t]->decode(s->kinds[t], m->value, m->value_len, row, err, sizeof(err));
    int64_t ts = row->time_ns;
    b->next_offset = m->offset + 1;
    b->dirty = 1;
    if (rc != 0) {
        static _Atomic int64_t logged;
        if (atomic_fetch_add(&logged, 1) < 100)
            LOG_WARN("sink: bad record at '%s' [%d] offset %lld: %s", m->topic, (int)m->partition,
                     (long long)m->offset, err);
        atomic_fetch_add(&s->st->bad_records, 1);
        /* The freshness roll commits it too (an empty job), or a buffer of
         * bad records only would wait for a revoke or a stop, and every
         * restart would read and count them again. */
        if (!b->opened)
            b->opened = mono_ns();
        return;
    }
    /* A record of a new date when the date table is full: write out first. */
    if (b->ndates == MAX_DATES) {
        int64_t day = period_start(s->kinds[t], ts);
        size_t i = 0;
        while (i < b->ndates && b->dates[i].day_start != day)
            i++;
        if (i == b->ndates) {
            /* Flush what is buffered (this record's offset is not yet in it). */
            b->next_offset = m->offset;
            if (flush_buf(s, b) != 0)
                return;
            b->next_offset = m->offset + 1;
            b->dirty = 1;
        }
    }
    if (rowbuf_append(b->rows, row->values, period_start(s->kinds[t], ts), s->errstr,
                      sizeof(s->errstr)) != 0) {
        s->failed = 1;
        return;
    }
    b->full |= row->full;
    note_date(b, s->kinds[t], ts, m->offset);
    if (!b->opened)
        b->opened = mono_ns();
    if ((int64_t)rowbuf_rows(b->rows) >= s->roll_at[t])
        flush_buf(s, b);
}

/* One run of the sink, from the committed offsets to a stop or a failure;
 * *kafka_gone: it failed because its consumer did, *progress: it stored and
 * committed a file. */
static int sink_once(const void *config, stage_control *ctl, pipeline_stats *st, int *kafka_gone,
                     int *progress, char *errstr, size_t errstr_size)
{
    const sink_config *cfg = config;
    if (cfg->ntopics == 0 || cfg->ntopics > SINK_MAX_TOPICS)
        return set_err(errstr, errstr_size, "sink: between 1 and %d topics", SINK_MAX_TOPICS);
    sink *s = calloc(1, sizeof(*s));
    s->cfg = cfg;
    s->st = st;
    s->roll_rows = cfg->roll_rows > 0 ? cfg->roll_rows : SINK_DEFAULT_ROLL_ROWS;
    s->roll_bytes = cfg->roll_bytes > 0 ? cfg->roll_bytes : SINK_DEFAULT_ROLL_BYTES;
    s->roll_interval = cfg->roll_interval_ns > 0 ? cfg->roll_interval_ns : 60 * NS_PER_SEC;
    s->msgs = calloc(POLL_BATCH, sizeof(*s->msgs));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int rc = -1;
    const lake_table *ind_default = lake_table_for(TOPIC_INDICATORS_PREFIX), *ind = ind_default;
    if (cfg->nsma + cfg->nema > 0) {
        if (lake_indicators_table(&s->ind, cfg->sma, cfg->nsma, cfg->ema, cfg->nema) != 0) {
            set_err(errstr, errstr_size, "sink: indicator periods repeat or are too many");
            goto out;
        }
        ind = &s->ind.table;
    }
    for (size_t i = 0; i < cfg->ntopics; i++) {
        const char *t = cfg->topics[i];
        snprintf(s->topic_names[i], sizeof(s->topic_names[i]), "%s%s",
                 cfg->topic_prefix ? cfg->topic_prefix : "", t);
        s->topics[i] = s->topic_names[i];
        s->kinds[i] = lake_table_for(t);
        if (s->kinds[i] == ind_default)
            s->kinds[i] = ind;
        if (!s->kinds[i]) {
            set_err(errstr, errstr_size, "sink: no lake table for topic '%s'", t);
            goto out;
        }
        update_roll(s, (int)i, 0, 0);
        if (lake_table_for_topic(t, s->tables[i], sizeof(s->tables[i])) != 0) {
            set_err(errstr, errstr_size, "sink: topic name '%s' cannot name a table", t);
            goto out;
        }
    }
    /* File names: on an embedded cluster, which starts at offset 0 each time,
     * the incarnation keeps a new run from overwriting an earlier one's files. */
    char inc[128] = "";
    if (cfg->incarnation) {
        strlcpy_tl(inc, cfg->incarnation, sizeof(inc));
    } else {
        char cid[128];
        int embedded = 0;
        if (kafka_cluster_id(&cfg->kafka, cid, sizeof(cid), &embedded, errstr, errstr_size) != 0)
            goto out;
        size_t n = 0;
        for (const char *c = cid; embedded && *c && n + 1 < sizeof(inc); c++)
            if (isalnum((unsigned char)*c))
                inc[n++] = *c;
        inc[n] = '\0';
    }
    for (const char *c = inc; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_') {
            set_err(errstr, errstr_size, "sink: incarnation '%s' is not letters, digits, . and _",
                    inc);
            goto out;
        }
    for (size_t i = 0; i < cfg->ntopics; i++)
        snprintf(s->file_topics[i], sizeof(s->file_topics[i]), "%s%s%s", s->topic_names[i],
                 inc[0] ? "~" : "", inc);
    if (inc[0])
        LOG_INFO("sink: an embedded broker: its offsets start at 0 on each start, so files are "
                 "named <topic>~%s+<partition>+<offset>.parquet",
                 inc);
    storage_options so = cfg->storage;
    so.cancel = &ctl->stop;       /* a stop ends an S3 retry wait; nothing is committed then */
    so.cancel_also = &s->abandon; /* so does a failure of the run (wait_jobs) */
    s->stop = &ctl->stop;
    s->write_budget = so.s3_write_retry_ns > 0 ? so.s3_write_retry_ns : 300 * NS_PER_SEC;
    if (storage_open(&s->lake, cfg->lake, &so, errstr, errstr_size) != 0)
        goto out;
    kafka_opts ko;
    /* Ours first, so -X wins. Fetches of up to 8 MB per partition instead of
     * librdkafka's 1 MB: a topic of small records is drained 1.29x
     * faster (bench/sink.sh; docs/decisions/0013-sink-fetch-settings.md),
     * and the sink buffers its rows anyway. */
    const char *ours[3];
    size_t np = 0;
    ours[np++] = "max.partition.fetch.bytes=8388608";
    /* librdkafka 2.0.2 stopped fetching while the consumer queue was over its
     * thresholds (one fetch of 4 partitions fills it) and resumed at a pace
     * set by fetch.wait.max.ms (debug=fetch: the queue ran empty before the
     * next fetch). Reading 4,000,000 trades took 24.6 s with 500 ms, 5.7-6.9 s
     * with ticklake's 50 ms and 4.1-4.6 s with 10 ms. With 2.15.1 10 ms
     * still pays: 879 k against 629 k rows/s with 50 ms (bench/sink.sh,
     * docs/decisions/0039-librdkafka-2.15.md). The cost: an idle sink's empty
     * fetches come back 5x as often (the broker's CPU for 24 idle partitions
     * went from 3.3% to 6% of a core). */
    ours[np++] = "fetch.wait.max.ms=10";
    /* Keep the partitions while a write waits out an S3 outage or a full
     * disk: the poll interval outlasts the write budget. */
    snprintf(s->poll_prop, sizeof(s->poll_prop), "max.poll.interval.ms=%lld",
             (long long)(s->write_budget / 1000000 + 60000));
    ours[np++] = s->poll_prop;
    s->props = kafka_opts_prepend(&cfg->kafka, ours, np, &ko);
    if (!s->props) {
        set_err(errstr, errstr_size, "out of memory");
        goto out;
    }
    /* librdkafka allocates every fetched record on its broker thread and we
     * free it on this one, hundreds of MB a second: glibc trimmed that
     * arena's heap and the kernel zeroed the pages again on the next fetch
     * (a third of the broker thread's CPU in perf). Keep up to 64 MB. */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
    /* Files are written on a thread of their own (with its own DuckDB) while
     * this one reads on; at the end, and when jobs pile up, both write. */
    s->eng = engine_open(NULL, 1, errstr, errstr_size);
    s->wio.eng = s->eng ? engine_open(NULL, 1, errstr, errstr_size) : NULL;
    if (!s->wio.eng || storage_open(&s->wio.lake, cfg->lake, &so, errstr, errstr_size) != 0)
        goto out;
    s->io.eng = s->eng;
    s->io.lake = s->lake;
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
        set_err(errstr, errstr_size, "sink: unable to start the writer thread");
        goto out;
    }
    s->writer_started = 1;
    if (kafka_ensure_topics(&cfg->kafka, s->topics, cfg->ntopics, cfg->partitions, cfg->replication,
                            cfg->min_isr, errstr, errstr_size) != 0)
        goto out;
    kafka_rebalance_handler rh = {.assigned = on_assigned, .revoked = on_revoked, .opaque = s};
    const char *group = cfg->group ? cfg->group : GROUP_SINK;
    char member[256];
    if (cfg->instance_id) {
        /* Named as the processor's: <prefix><group>-<id>. */
        snprintf(member, sizeof(member), "%s%s-%s", cfg->topic_prefix ? cfg->topic_prefix : "",
                 group, cfg->instance_id);
        ko.group_instance_id = member;
        LOG_INFO("sink: static member '%s' of group '%s'", member, group);
        /* The token first, so that an older twin is a zombie before this
         * consumer fences it. */
        if (stage_fence_take(&cfg->kafka, member, cfg->topic_prefix, cfg->replication, cfg->min_isr,
                             &s->fence, errstr, errstr_size) != 0)
            goto out;
    }
    s->cons = kafka_consumer_new(&ko, group, s->topics, cfg->ntopics, &rh, errstr, errstr_size);
    if (!s->cons)
        goto out;

    int64_t next_check = 0, next_drain_check = 0;
    for (;;) {
        if (atomic_load(&ctl->stop) || s->failed)
            break;
        /* Records in batches: librdkafka reads the clock a few times per
         * call, which showed at 6-10% of the CPU with one record per call. */
        int r = kafka_consumer_poll_batch(s->cons, 100, s->msgs, POLL_BATCH, errstr, errstr_size);
        if (r < 0) {
            s->kafka_gone = 1; /* judged at out: */
            goto out;
        }
        for (int i = 0; i < r; i++) {
            if (!s->failed)
                add_record(s, &s->msgs[i]);
            kafka_msg_release(&s->msgs[i]);
        }
        commit_done(s); /* the files the writer has stored since */
        int64_t now = mono_ns();
        if (now >= next_check) {
            /* Roll buffers whose oldest record has waited long enough; the
             * earliest of the others is when the next file is due. */
            int64_t due = 0;
            for (size_t t = 0; t < cfg->ntopics; t++)
                for (int32_t p = 0; p < s->parts[t].n; p++) {
                    pbuf *b = s->parts[t].bufs[p];
                    if (b && b->opened && now - b->opened >= s->roll_interval)
                        flush_buf(s, b);
                    else if (b && b->opened && (!due || b->opened + s->roll_interval < due))
                        due = b->opened + s->roll_interval;
                }
            atomic_store(&st->sink_next_roll, due);
            note_lag(st, s->cons);
            next_check = now + 100 * 1000000LL;
        }
        if (atomic_load(&ctl->drain) && r == 0 && now >= next_drain_check) {
            next_drain_check = now + 200 * 1000000LL;
            if (kafka_consumer_caught_up(s->cons, 5000))
                break;
        }
    }
    if (!s->failed)
        flush_all(s);
    atomic_store(&st->sink_next_roll, 0);
    if (s->failed) {
        set_err(errstr, errstr_size, "%s", s->errstr);
        goto out;
    }
    note_lag(st, s->cons);
    rc = 0;
out:
    /* A consumer that lost records or was fenced is judged here, once,
     * whichever path met it first (the poll, a commit). */
    if (rc != 0 && s->cons &&
        (kafka_consumer_records_lost(s->cons) || kafka_consumer_fenced(s->cons)))
        s->kafka_gone = consumer_failure_mendable(s, errstr, errstr_size);
    *kafka_gone = s->kafka_gone;
    *progress = s->commits > 0;
    /* The writer ends before the consumer leaves the group: a file still in
     * writing after a failure would otherwise land while the partition's
     * next owner writes from the committed offset (the group keeps the
     * partitions for the write budget, max.poll.interval.ms). */
    if (s->writer_started) {
        if (rc != 0)
            atomic_store(&s->abandon, 1); /* its file would not be committed */
        pthread_mutex_lock(&s->mu);
        s->writer_stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->writer, NULL);
        s->writer_started = 0;
    }
    kafka_consumer_close(s->cons);
    stage_fence_free(s->fence);
    if (s->failed && rc == 0)
        rc = set_err(errstr, errstr_size, "%s", s->errstr);
    /* Jobs left after a failure: their records are read again next time. */
    while (s->head) {
        job *j = s->head;
        s->head = j->next;
        rowbuf_free(j->rows);
        free(j);
    }
    for (size_t i = 0; i < s->nspare; i++)
        rowbuf_free(s->spare[i]);
    for (size_t t = 0; t < SINK_MAX_TOPICS; t++) {
        ptable *pt = &s->parts[t];
        for (int32_t p = 0; p < pt->n; p++)
            if (pt->bufs[p]) {
                rowbuf_free(pt->bufs[p]->rows);
                free(pt->bufs[p]);
            }
        free(pt->bufs);
        free(pt->owned);
        free(pt->floor);
    }
    free(s->msgs);
    engine_close(s->eng);
    engine_close(s->wio.eng);
    storage_free(s->wio.lake);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    storage_free(s->lake);
    free(s->props);
    free(s);
    return rc;
}

int sink_run(const sink_config *cfg, stage_control *ctl, pipeline_stats *st, char *errstr,
             size_t errstr_size)
{
    /* A consumer that failed for good (a static member fenced after its
     * group's coordinator moved to another broker; tests/faults/t0020) does
     * not end the sink: it starts over from the committed offsets, as a
     * restarted sink would (files are named by offset, so what was written
     * but not committed is written again, not doubled; t0071). Five such
     * failures in a row with no file between them give up. */
    return stage_run_restarting("sink", sink_once, cfg, ctl, st, STAGE_RESTART_WAIT_NS, errstr,
                                errstr_size);
}
