/* replay_ingest.c - historical CSV -> Kafka; see replay_ingest.h. */
#include "replay_ingest.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kafka_admin.h"
#include "kafka_producer.h"
#include "lakepath.h"
#include "log.h"
#include "publish_tally.h"
#include "rec_ring.h"
#include "tick.h"
#include "util.h"

#define FLUSH_TIMEOUT_MS 30000

/* Loads the index info table: the given file, or indexInfo.csv beside path. */
static int load_info(const char *given, const char *path, index_info *info, int *loaded,
                     char *errstr, size_t errstr_size)
{
    char beside[PATH_MAX];
    const char *file = given;
    if (!file) {
        char tmp[PATH_MAX];
        strlcpy_tl(tmp, path, sizeof(tmp));
        snprintf(beside, sizeof(beside), "%s/indexInfo.csv", dirname(tmp));
        struct stat sb;
        if (stat(beside, &sb) != 0)
            return 0;
        file = beside;
    }
    buf data;
    buf_init(&data);
    int rc = read_file(file, &data, errstr, errstr_size);
    if (rc == 0)
        rc = index_info_load(info, file, data.data, data.len, errstr, errstr_size);
    buf_release(&data);
    if (rc == 0) {
        *loaded = 1;
        LOG_INFO("ingest: index info from '%s' (%zu indices)", file, info->n);
    }
    return rc;
}

static void draw_progress(const char *name, long pos, long size, int64_t rows)
{
    int width = 30;
    int filled = size > 0 ? (int)((double)pos / (double)size * width) : width;
    if (filled > width)
        filled = width;
    char bar[64];
    memset(bar, '#', (size_t)filled);
    memset(bar + filled, '.', (size_t)(width - filled));
    bar[width] = '\0';
    fprintf(stderr, "\r%-24.24s [%s] %3d%% %lld rows", name, bar,
            size > 0 ? (int)(100.0 * (double)pos / (double)size) : 100, (long long)rows);
    fflush(stderr);
}

/* Why a file gave no usable row, into out: "<path>: no usable rows (...)". */
/* Counts a file that failed (unreadable, bad header, no usable row) and
 * keeps the first such failure; the later files are still read unless
 * --strict. With several files each is logged here, else the command reports
 * the one. Returns the stage's status so far: 0, or -1 under --strict. */
static int file_failed(const replay_ingest_config *cfg, replay_ingest_result *res,
                       const char *failure, char first_failure[768], char *errstr,
                       size_t errstr_size)
{
    if (cfg->nfiles > 1)
        LOG_ERROR("ingest: %s", failure);
    res->files_failed++;
    if (!first_failure[0])
        strlcpy_tl(first_failure, failure, 768);
    return cfg->strict ? set_err(errstr, errstr_size, "%s (--strict)", failure) : 0;
}

static void describe_no_usable(char *out, size_t size, const char *path, const replay_stats *rs)
{
    int64_t data = rs->records - rs->blank;
    if (data == 0) {
        snprintf(out, size, "%s: no usable rows (no data rows after the header)", path);
        return;
    }
    char parts[96] = "";
    if (rs->bad)
        snprintf(parts, sizeof(parts), "%lld unusable", (long long)rs->bad);
    if (rs->skipped) {
        size_t l = strlen(parts);
        snprintf(parts + l, sizeof(parts) - l, "%s%lld skipped", l ? ", " : "",
                 (long long)rs->skipped);
    }
    snprintf(out, size, "%s: no usable rows (%lld rows: %s)", path, (long long)data, parts);
}

/* Where rows go. Paced (--speed), each is produced on the reading thread
 * when its time has come round; as fast as possible, the reading thread
 * encodes rows into chunks and the calling thread produces them
 * (rec_ring.h), so that reading and producing take a core each. */
typedef struct replay_out {
    kafka_producer *p;
    rec_ring *ring;        /* NULL when paced */
    rec_chunk *chunk;      /* being filled; NULL once the producing side quit */
    const char *topics[2]; /* trades, daily index bars */
    buf rec;               /* paced: the record being produced */
    int64_t emitted;       /* rows encoded so far */
    publish_tally tally;
} replay_out;

/* Publishes the delivered count to the stage's stats. */
static void publish_delivered(replay_out *o, pipeline_stats *st)
{
    kafka_producer_poll(o->p, 0);
    publish_tally_update(&o->tally, o->p, st);
}

/* Sends one good row: paced, it waits until due (mono ns) and produces it;
 * else it goes into the chunk being filled, and a full chunk to the
 * producing thread. */
static int emit_row(const replay_ingest_config *cfg, stage_control *ctl, pipeline_stats *st,
                    replay_ingest_result *res, replay_out *o, const replay_row *row, int64_t due,
                    char *errstr, size_t errstr_size)
{
    int k = row->format == REPLAY_FMT_INDEX_DAILY;
    const char *key = k ? row->daily.index : row->trade.symbol;
    size_t key_len = strlen(key);
    buf *out;
    if (o->ring) {
        out = rec_chunk_begin(o->chunk, k, key, key_len, 0);
    } else {
        buf_reset(&o->rec);
        out = &o->rec;
    }
    if (k)
        index_daily_encode_json(&row->daily, out);
    else
        trade_encode(&row->trade, cfg->encoding, out);
    o->emitted++;
    if (o->ring) {
        rec_chunk_end(o->chunk, k);
        if (rec_chunk_full(o->chunk)) {
            rec_ring_fill_end(o->ring);
            o->chunk = rec_ring_fill_begin(o->ring);
            if (!o->chunk)
                return set_err(errstr, errstr_size, "the producing thread stopped");
        }
        return 0;
    }
    /* Hold the row until its time, scaled, has come round. */
    for (int64_t now = mono_ns(); now < due && !atomic_load(&ctl->stop); now = mono_ns())
        kafka_producer_poll(o->p,
                            (int)((due - now) / 1000000 > 100 ? 100 : (due - now) / 1000000 + 1));
    if (kafka_produce(o->p, o->topics[k], key, key_len, o->rec.data, o->rec.len, errstr,
                      errstr_size) != 0)
        return -1;
    res->rows++;
    if ((res->rows & 1023) == 0)
        publish_delivered(o, st);
    return 0;
}

/* "YYYY-MM-DD HH:MM:SS UTC" of an event time in ns (the lake's own date), for messages. */
static const char *fmt_event_time(int64_t ns, char *out, size_t out_size)
{
    char date[LAKE_DATE_LEN];
    lake_date(ns, date);
    int64_t day = lake_day_start(ns);
    int sod = day == INT64_MIN ? 0 : (int)((ns - day) / NS_PER_SEC);
    snprintf(out, out_size, "%s %02d:%02d:%02d UTC", date, sod / 3600, sod / 60 % 60, sod % 60);
    return out;
}

/* Reads every file in order and sends its good rows (emit_row); counts and
 * reports the rest into res (all but res->rows, which the producing side
 * counts). */
static int read_files(const replay_ingest_config *cfg, stage_control *ctl, pipeline_stats *st,
                      replay_ingest_result *res, replay_out *o, char *errstr, size_t errstr_size)
{
    index_info info = {0};
    int have_info = 0;
    if (cfg->info_path &&
        load_info(cfg->info_path, NULL, &info, &have_info, errstr, errstr_size) != 0)
        return -1;
    int rc = 0;
    int64_t next_id = cfg->opts.first_id > 0 ? cfg->opts.first_id : 1;
    char first_failure[768] = "", failure[768];
    for (size_t fi = 0; fi < cfg->nfiles && rc == 0 && !atomic_load(&ctl->stop); fi++) {
        const char *path = cfg->files[fi];
        if (!cfg->info_path && !have_info &&
            load_info(NULL, path, &info, &have_info, errstr, errstr_size) != 0) {
            rc = -1;
            break;
        }
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
        replay_reader *rr = NULL;
        if (!f)
            snprintf(failure, sizeof(failure), "unable to open '%s': %s", path, strerror(errno));
        long size = 0;
        struct stat sb;
        if (f && f != stdin && fstat(fileno(f), &sb) == 0)
            size = (long)sb.st_size;
        replay_options opt = cfg->opts;
        opt.info = have_info ? &info : NULL;
        opt.first_id = next_id;
        if (f)
            rr = replay_open_file(path, f, &opt, failure, sizeof(failure));
        if (!rr) {
            /* This file is lost, not the others: report it, go on. */
            if (f && f != stdin)
                fclose(f);
            rc = file_failed(cfg, res, failure, first_failure, errstr, errstr_size);
            continue;
        }
        LOG_INFO("ingest: replaying '%s' as %s", path,
                 replay_format_name(replay_reader_format(rr)));
        const replay_note *notes;
        size_t nnotes = replay_reader_notes(rr, &notes);
        for (size_t i = 0; i < nnotes; i++) {
            if (notes[i].warn)
                LOG_WARN("ingest: %s", notes[i].text);
            else
                LOG_INFO("ingest: %s", notes[i].text);
        }
        replay_row row;
        char reason[512];
        int64_t first_ts = INT64_MIN, latest_ts = INT64_MIN, wall0 = mono_ns(), last_draw = 0;
        int64_t unpaced = 0; /* rows out of time order under --speed */
        for (;;) {
            if (atomic_load(&ctl->stop))
                break;
            replay_status s = replay_next(rr, &row, reason, sizeof(reason));
            if (s == REPLAY_EOF)
                break;
            if (s == REPLAY_FATAL) {
                rc = set_err(errstr, errstr_size, "%s", reason);
                break;
            }
            if (s == REPLAY_SKIP) {
                LOG_INFO("ingest: %s", reason);
                continue;
            }
            if (s == REPLAY_BAD) {
                if (cfg->progress)
                    fputc('\n', stderr);
                LOG_WARN("ingest: %s", reason);
                atomic_fetch_add(&st->bad_records, 1);
                if (cfg->strict) {
                    rc = set_err(errstr, errstr_size, "%s (--strict)", reason);
                    break;
                }
                continue;
            }
            int64_t due = 0;
            if (cfg->speed > 0) {
                int64_t ts =
                    row.format == REPLAY_FMT_INDEX_DAILY ? row.daily.date_ns : row.trade.ts;
                if (first_ts == INT64_MIN)
                    first_ts = latest_ts = ts;
                due = wall0 + (int64_t)((double)(ts - first_ts) / cfg->speed);
                /* Pacing follows event time forwards: a row earlier than one
                 * already sent is due in the past, so it goes at once. Said
                 * once per file, as a file sorted newest first is not paced. */
                if (ts < latest_ts) {
                    if (unpaced++ == 0) {
                        char was[32], now[32];
                        LOG_WARN("ingest: %s:%lld: --speed: this row's time (%s) is before an "
                                 "earlier row's (%s); rows out of time order are sent at once, "
                                 "unpaced (sort the file oldest first to pace all of it)",
                                 path, (long long)row.line, fmt_event_time(ts, now, sizeof(now)),
                                 fmt_event_time(latest_ts, was, sizeof(was)));
                    }
                } else {
                    latest_ts = ts;
                }
            }
            if (emit_row(cfg, ctl, st, res, o, &row, due, errstr, errstr_size) != 0) {
                rc = -1;
                break;
            }
            if (cfg->progress && f != stdin) {
                int64_t now = mono_ns();
                if (now - last_draw > 100 * 1000000LL) {
                    draw_progress(path, ftell(f), size, o->emitted);
                    last_draw = now;
                }
            }
        }
        const replay_stats *rs = replay_reader_stats(rr);
        if (cfg->progress && f != stdin) {
            draw_progress(path, size, size, o->emitted);
            fputc('\n', stderr);
        }
        LOG_INFO("ingest: '%s': %lld rows, %lld bad, %lld skipped, %lld blank, %lld outside "
                 "--from/--to%s",
                 path, (long long)rs->rows, (long long)rs->bad, (long long)rs->skipped,
                 (long long)rs->blank, (long long)rs->filtered,
                 rs->unenriched ? " (some indices not in the index info)" : "");
        if (unpaced)
            LOG_WARN("ingest: '%s': %lld rows were out of time order and sent unpaced", path,
                     (long long)unpaced);
        res->bad += rs->bad;
        res->skipped += rs->skipped;
        res->filtered += rs->filtered;
        if (rc == 0 && !atomic_load(&ctl->stop) && rs->rows + rs->filtered == 0) {
            /* Read to its end and nothing in it was usable: the file failed. */
            describe_no_usable(failure, sizeof(failure), path, rs);
            rc = file_failed(cfg, res, failure, first_failure, errstr, errstr_size);
        }
        next_id = replay_reader_next_id(rr);
        replay_close(rr);
        if (f != stdin)
            fclose(f);
    }
    if (rc == 0 && res->files_failed == 1)
        rc = set_err(errstr, errstr_size, "%s", first_failure);
    else if (rc == 0 && res->files_failed > 1)
        rc = set_err(errstr, errstr_size, "%lld of %zu files failed, the first: %s",
                     (long long)res->files_failed, cfg->nfiles, first_failure);
    index_info_release(&info);
    return rc;
}

typedef struct reader_job {
    const replay_ingest_config *cfg;
    stage_control *ctl;
    pipeline_stats *st;
    replay_ingest_result *res;
    replay_out *o;
    int rc;
    char err[1024];
} reader_job;

/* The reading thread (rec_ring_pump's filler). */
static void read_into(rec_ring *r, void *arg)
{
    reader_job *j = arg;
    replay_out *o = j->o;
    o->ring = r;
    o->chunk = rec_ring_fill_begin(r);
    j->rc = o->chunk ? read_files(j->cfg, j->ctl, j->st, j->res, o, j->err, sizeof(j->err)) : -1;
    if (o->chunk)
        rec_ring_fill_end(r); /* the last rows, however few */
}

/* As fast as possible: a reading thread fills chunks, this one produces
 * them, every chunk read, also after a stop (the reader ends at its next
 * row, and what it read goes out). A produce error stops the reader; the
 * first error is reported. */
static int replay_unpaced(const replay_ingest_config *cfg, stage_control *ctl, pipeline_stats *st,
                          replay_ingest_result *res, replay_out *o, char *errstr,
                          size_t errstr_size)
{
    reader_job j = {.cfg = cfg, .ctl = ctl, .st = st, .res = res, .o = o};
    rec_pump pp = {
        .p = o->p, .topics = o->topics, .fill = read_into, .arg = &j, .st = st, .tally = &o->tally};
    int64_t sent[2];
    int rc = rec_ring_pump(&pp, sent, errstr, errstr_size);
    res->rows += sent[0] + sent[1];
    o->ring = NULL;
    if (rc == 0 && j.rc != 0)
        rc = set_err(errstr, errstr_size, "%s", j.err);
    return rc;
}

int replay_ingest_run(const replay_ingest_config *cfg, stage_control *ctl, pipeline_stats *st,
                      replay_ingest_result *res, char *errstr, size_t errstr_size)
{
    memset(res, 0, sizeof(*res));
    const char *prefix = cfg->topic_prefix ? cfg->topic_prefix : "";
    char trades_topic[160], daily_topic[160];
    snprintf(trades_topic, sizeof(trades_topic), "%s%s", prefix, TOPIC_TRADES);
    snprintf(daily_topic, sizeof(daily_topic), "%s%s", prefix, TOPIC_INDEX_DAILY);
    const char *topics[] = {trades_topic, daily_topic};
    if (kafka_ensure_topics(&cfg->kafka, topics, 2, cfg->partitions, cfg->replication, cfg->min_isr,
                            errstr, errstr_size) != 0)
        return -1;
    replay_out o = {.topics = {trades_topic, daily_topic}};
    o.p = kafka_producer_new(&cfg->kafka, "ticklake-ingest", errstr, errstr_size);
    if (!o.p)
        return -1;
    buf_init(&o.rec);
    int rc = cfg->speed > 0 ? read_files(cfg, ctl, st, res, &o, errstr, errstr_size)
                            : replay_unpaced(cfg, ctl, st, res, &o, errstr, errstr_size);
    char ferr[256];
    if (kafka_producer_flush(o.p, FLUSH_TIMEOUT_MS, ferr, sizeof(ferr)) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "%s", ferr);
    res->delivered = kafka_producer_delivered(o.p);
    res->failed = kafka_producer_failed(o.p);
    res->unacked = kafka_producer_unacked(o.p);
    publish_tally_update(&o.tally, o.p, st);
    if (rc == 0 && res->delivered + res->unacked != res->rows)
        rc = set_err(errstr, errstr_size, "%lld of %lld rows not delivered",
                     (long long)(res->rows - res->delivered - res->unacked), (long long)res->rows);
    buf_release(&o.rec);
    kafka_producer_free(o.p);
    return rc;
}
