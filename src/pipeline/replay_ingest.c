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
#include "log.h"
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
    kafka_producer *p = kafka_producer_new(&cfg->kafka, "ticklake-ingest", errstr, errstr_size);
    if (!p)
        return -1;
    index_info info = {0};
    int have_info = 0;
    if (cfg->info_path &&
        load_info(cfg->info_path, NULL, &info, &have_info, errstr, errstr_size) != 0) {
        kafka_producer_free(p);
        return -1;
    }
    buf rec;
    buf_init(&rec);
    int rc = 0;
    int64_t next_id = cfg->opts.first_id > 0 ? cfg->opts.first_id : 1;
    int64_t last_delivered = 0;
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
        int64_t first_ts = INT64_MIN, wall0 = mono_ns(), last_draw = 0;
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
            int64_t ts;
            const char *topic, *key;
            buf_reset(&rec);
            if (row.format == REPLAY_FMT_INDEX_DAILY) {
                index_daily_encode_json(&row.daily, &rec);
                topic = daily_topic;
                key = row.daily.index;
                ts = row.daily.date_ns;
            } else {
                trade_encode(&row.trade, cfg->encoding, &rec);
                topic = trades_topic;
                key = row.trade.symbol;
                ts = row.trade.ts;
            }
            if (cfg->speed > 0) {
                /* Hold each row until its time, scaled, has come round. */
                if (first_ts == INT64_MIN)
                    first_ts = ts;
                int64_t due = wall0 + (int64_t)((double)(ts - first_ts) / cfg->speed);
                for (int64_t now = mono_ns(); now < due && !atomic_load(&ctl->stop);
                     now = mono_ns())
                    kafka_producer_poll(
                        p, (int)((due - now) / 1000000 > 100 ? 100 : (due - now) / 1000000 + 1));
            }
            if (kafka_produce(p, topic, key, strlen(key), rec.data, rec.len, errstr, errstr_size) !=
                0) {
                rc = -1;
                break;
            }
            res->rows++;
            if ((res->rows & 1023) == 0) {
                kafka_producer_poll(p, 0);
                int64_t d = kafka_producer_delivered(p);
                atomic_fetch_add(&st->ticks_produced, d - last_delivered);
                last_delivered = d;
            }
            if (cfg->progress && f != stdin) {
                int64_t now = mono_ns();
                if (now - last_draw > 100 * 1000000LL) {
                    draw_progress(path, ftell(f), size, res->rows);
                    last_draw = now;
                }
            }
        }
        const replay_stats *rs = replay_reader_stats(rr);
        if (cfg->progress && f != stdin) {
            draw_progress(path, size, size, res->rows);
            fputc('\n', stderr);
        }
        LOG_INFO("ingest: '%s': %lld rows, %lld bad, %lld skipped, %lld blank, %lld outside "
                 "--from/--to%s",
                 path, (long long)rs->rows, (long long)rs->bad, (long long)rs->skipped,
                 (long long)rs->blank, (long long)rs->filtered,
                 rs->unenriched ? " (some indices not in the index info)" : "");
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
    char ferr[256];
    if (kafka_producer_flush(p, FLUSH_TIMEOUT_MS, ferr, sizeof(ferr)) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "%s", ferr);
    res->delivered = kafka_producer_delivered(p);
    res->failed = kafka_producer_failed(p);
    atomic_fetch_add(&st->ticks_produced, res->delivered - last_delivered);
    atomic_fetch_add(&st->ticks_failed, res->failed);
    if (rc == 0 && res->delivered != res->rows)
        rc = set_err(errstr, errstr_size, "%lld of %lld rows not delivered",
                     (long long)(res->rows - res->delivered), (long long)res->rows);
    if (rc == 0 && res->files_failed == 1)
        rc = set_err(errstr, errstr_size, "%s", first_failure);
    else if (rc == 0 && res->files_failed > 1)
        rc = set_err(errstr, errstr_size, "%lld of %zu files failed, the first: %s",
                     (long long)res->files_failed, cfg->nfiles, first_failure);
    buf_release(&rec);
    index_info_release(&info);
    kafka_producer_free(p);
    return rc;
}
