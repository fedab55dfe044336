/* compact.c - merge small lake files, drop old partitions; see compact.h. */
#include "compact.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog_crawl.h"
#include "lakecache.h"
#include "engine.h"
#include "lakepath.h"
#include "log.h"
#include "util.h"

size_t compact_plan(const int64_t *sizes, size_t n, int64_t target, size_t (*groups)[2])
{
    size_t ng = 0, start = 0;
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += sizes[i];
        if (sum >= target || i + 1 == n) {
            if (i + 1 - start >= 2) {
                groups[ng][0] = start;
                groups[ng][1] = i + 1;
                ng++;
            }
            start = i + 1;
            sum = 0;
        }
    }
    return ng;
}

typedef struct cfile {
    char *name; /* the base name */
    int64_t size, mtime_ns;
    lake_file_id id;
} cfile;

typedef struct compactor {
    const compact_opts *o;
    compact_stats *st;
    storage *lake;
    engine *eng;
    int64_t target, grace;
    char *errstr;
    size_t errstr_size;
    /* inputs committed by this run, deleted after the grace period */
    char **pending;
    size_t npending;
    /* inputs an earlier run merged and left (it ended first, or deferred them), their
     * grace passed: deleted once their merged files are in the catalog */
    char **stale;
    size_t nstale;
} compactor;

/* Appends a copy of key to a list of keys to delete (pending or stale). */
static void keep_key(char ***list, size_t *n, const char *key)
{
    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = xstrdup(key);
}

static int cancelled(const compactor *c)
{
    return c->o->cancel && atomic_load(c->o->cancel);
}

/* The last segment of a storage key (its file or folder name). */
static const char *key_base(const char *key)
{
    const char *slash = strrchr(key, '/');
    return slash ? slash + 1 : key;
}

static int by_offset(const void *a, const void *b)
{
    const cfile *x = a, *y = b;
    int k = strcmp(x->id.topic, y->id.topic);
    if (k)
        return k;
    if (x->id.partition != y->id.partition)
        return x->id.partition < y->id.partition ? -1 : 1;
    if (x->id.first != y->id.first)
        return x->id.first < y->id.first ? -1 : 1;
    return x->id.last < y->id.last ? -1 : x->id.last > y->id.last;
}

/* Removes temporary files whose process is gone (storage_temp_orphaned)
 * from folder dir: in a partition folder a compaction's ".tmp-~<name>...";
 * in the S3 staging folder (staging 1) also the copies of its inputs,
 * ".tmp-<topic>+<p>+<offset>.parquet..." (a dead sink's staging files look
 * the same and are as dead). */
static void clean_temps(const char *dir, int staging)
{
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, staging ? ".tmp-" : ".tmp-~", staging ? 5 : 6) != 0)
            continue;
        if (!storage_temp_orphaned(e->d_name))
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) == 0)
            LOG_INFO("compact: removed '%s' left by an earlier run", path);
    }
    closedir(d);
}

/* A local path holding the bytes of key: the file itself (local lake) or a
 * copy in the staging folder (S3; *copied set). */
static int local_copy(compactor *c, const char *key, buf *path, int *copied)
{
    buf_reset(path);
    *copied = 0;
    const char *dir = storage_local_dir(c->lake);
    if (dir) {
        storage_join(path, dir, key);
        return 0;
    }
    if (storage_temp_path(c->lake, key, path, c->errstr, c->errstr_size) != 0)
        return -1;
    if (storage_get_file(c->lake, key, path->data, c->errstr, c->errstr_size) != 0)
        return -1;
    *copied = 1;
    return 0;
}

/* Merges files[a, b) of folder dir (keys dir/<name>) into one compacted file. */
/* Merges files[a, b) of dir. 0; 1 when DuckDB could not read an input or
 * write the merge (nothing changed: the group is skipped, errstr says why);
 * -1 on any other error. */
static int merge_group(compactor *c, const char *dir, cfile *files, size_t a, size_t b)
{
    char name[LAKE_TOPIC_MAX + 80];
    if (lake_compacted_name(files[a].id.topic, files[a].id.partition, files[a].id.first,
                            files[b - 1].id.last, name, sizeof(name)) != 0)
        return set_err(c->errstr, c->errstr_size, "compact: name too long in '%s'", dir);
    buf key = {0}, list = {0}, tmp = {0}, sql = {0}, path = {0};
    char **copies = calloc(b - a, sizeof(*copies));
    int rc = -1;
    int64_t bytes_in = 0;
    storage_join(&key, dir, name);
    for (size_t i = a; i < b; i++) {
        buf k = {0};
        storage_join(&k, dir, files[i].name);
        int copied;
        int r = local_copy(c, k.data, &path, &copied);
        buf_release(&k);
        if (r != 0)
            goto out;
        if (copied)
            copies[i - a] = strdup(path.data);
        buf_puts(&list, i > a ? ", " : "");
        engine_quote_literal(&list, path.data);
        bytes_in += files[i].size;
    }
    int64_t rows_in = 0, rows_out = 0;
    buf_printf(&sql, "SELECT count(*) FROM read_parquet([%s], hive_partitioning = false)",
               list.data);
    if (engine_query_int64(c->eng, sql.data, &rows_in, c->errstr, c->errstr_size) != 0) {
        rc = 1; /* an input DuckDB cannot read */
        goto out;
    }
    if (storage_temp_path(c->lake, key.data, &tmp, c->errstr, c->errstr_size) != 0)
        goto out;
    buf_reset(&sql);
    /* union_by_name: files written before and after a change of columns (the
     * sink's indicator periods) merge by column name, with nulls where a file
     * had no such column. */
    buf_printf(&sql,
               "COPY (SELECT * FROM read_parquet([%s], hive_partitioning = false, union_by_name = "
               "true) ORDER BY ALL) TO ",
               list.data);
    engine_quote_literal(&sql, tmp.data);
    buf_puts(&sql, " (FORMAT parquet, COMPRESSION zstd)");
    if (engine_exec(c->eng, sql.data, c->errstr, c->errstr_size) != 0) {
        /* An input that cannot be read skips the group; a merge that cannot
         * be written (a full disk, a folder without access) fails the run. */
        buf probe = {0};
        char perr[256];
        buf_printf(&probe,
                   "SELECT count(*) FROM (SELECT * FROM read_parquet([%s], hive_partitioning = "
                   "false, union_by_name = true))",
                   list.data);
        int64_t n;
        rc = engine_query_int64(c->eng, probe.data, &n, perr, sizeof(perr)) != 0 ? 1 : -1;
        buf_release(&probe);
        goto out;
    }
    buf_reset(&sql);
    buf_puts(&sql, "SELECT count(*) FROM read_parquet(");
    engine_quote_literal(&sql, tmp.data);
    buf_puts(&sql, ", hive_partitioning = false)");
    if (engine_query_int64(c->eng, sql.data, &rows_out, c->errstr, c->errstr_size) != 0)
        goto out;
    if (rows_out != rows_in) {
        set_err(c->errstr, c->errstr_size, "compact: '%s' holds %lld rows, its inputs %lld", name,
                (long long)rows_out, (long long)rows_in);
        goto out;
    }
    struct stat sb;
    int64_t bytes_out = stat(tmp.data, &sb) == 0 ? (int64_t)sb.st_size : 0;
    if (cancelled(c)) {
        set_err(c->errstr, c->errstr_size, "compact: cancelled");
        goto out;
    }
    /* The switch: from here the merged file covers its inputs. */
    if (storage_put_file(c->lake, key.data, tmp.data, STORAGE_MOVE, c->errstr, c->errstr_size) != 0)
        goto out;
    for (size_t i = a; i < b; i++) {
        buf k = {0};
        storage_join(&k, dir, files[i].name);
        keep_key(&c->pending, &c->npending, k.data);
        buf_release(&k);
    }
    int lvl = c->o->quiet ? LOG_LVL_DEBUG : LOG_LVL_INFO;
    if (log_level >= lvl)
        log_write(lvl, "compact: %s/%s: %zu files (%lld bytes) -> %lld bytes, %lld rows", dir, name,
                  b - a, (long long)bytes_in, (long long)bytes_out, (long long)rows_out);
    c->st->files_in += (int64_t)(b - a);
    c->st->files_out++;
    c->st->bytes_in += bytes_in;
    c->st->bytes_out += bytes_out;
    c->st->rows += rows_out;
    rc = 0;
out:
    if (rc != 0 && tmp.data && *tmp.data)
        unlink(tmp.data);
    for (size_t i = 0; i < b - a; i++) {
        if (copies[i])
            unlink(copies[i]);
        free(copies[i]);
    }
    free(copies);
    buf_release(&key);
    buf_release(&list);
    buf_release(&tmp);
    buf_release(&sql);
    buf_release(&path);
    return rc;
}

/* The earliest mtime of the files of listing l that cover name. */
static int64_t covered_since(const storage_listing *l, const char *name)
{
    int64_t since = INT64_MAX;
    for (size_t i = 0; i < l->n; i++) {
        const char *base = key_base(l->entries[i].key);
        if (base[0] != '~' || strcmp(base, name) == 0)
            continue;
        const char *pair[2] = {base, name};
        if (lake_name_covered(name, pair, 2) && l->entries[i].mtime_ns < since)
            since = l->entries[i].mtime_ns;
    }
    return since == INT64_MAX ? 0 : since;
}

/* Compacts one partition folder dir (a key relative to the lake). */
static int compact_folder(compactor *c, const char *dir)
{
    storage_listing l = {0};
    if (storage_list(c->lake, dir, 0, &l, c->errstr, c->errstr_size) != 0)
        return -1;
    const char *local = storage_local_dir(c->lake);
    if (local) {
        buf abs = {0};
        storage_join(&abs, local, dir);
        clean_temps(abs.data, 0);
        buf_release(&abs);
    }
    c->st->partitions++;
    cfile *files = calloc(l.n + 1, sizeof(*files));
    const char **names = calloc(l.n + 1, sizeof(*names));
    size_t n = 0, nall = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (l.entries[i].is_dir)
            continue;
        names[nall++] = key_base(l.entries[i].key);
    }
    int rc = 0;
    int64_t now = now_ns();
    for (size_t i = 0; i < l.n; i++) {
        const storage_entry *e = &l.entries[i];
        const char *base = key_base(e->key);
        lake_file_id id;
        if (e->is_dir || lake_parse_any_name(base, &id) != 0)
            continue;
        if (lake_name_covered(base, names, nall)) {
            /* An input of an earlier run that ended before its grace passed:
             * the grace counts from when the first file covering it appeared. */
            if (now - covered_since(&l, base) >= c->grace) {
                keep_key(&c->stale, &c->nstale, e->key);
            }
            continue;
        }
        files[n].name = strdup(base);
        files[n].size = e->size;
        files[n].mtime_ns = e->mtime_ns;
        files[n].id = id;
        n++;
    }
    qsort(files, n, sizeof(*files), by_offset);
    int64_t *sizes = calloc(n + 1, sizeof(*sizes));
    size_t(*groups)[2] = calloc(n + 1, sizeof(*groups));
    for (size_t s = 0; rc == 0 && s < n;) {
        size_t e = s;
        while (e < n && files[e].id.partition == files[s].id.partition &&
               strcmp(files[e].id.topic, files[s].id.topic) == 0)
            e++;
        /* files[s, e) are one topic partition; the newest sink file may still be rewritten. */
        size_t sealed = files[e - 1].id.compacted ? e - s : e - s - 1;
        for (size_t i = 0; i < sealed; i++)
            sizes[i] = files[s + i].size;
        size_t ng = compact_plan(sizes, sealed, c->target, groups);
        for (size_t g = 0; g < ng && rc == 0; g++) {
            if (cancelled(c))
                break;
            rc = merge_group(c, dir, files, s + groups[g][0], s + groups[g][1]);
            if (rc == 1) {
                /* One unreadable file (a crawl lists it as bad) must not stop
                 * the compaction of every later group and partition, run
                 * after run: the group is left as it is. */
                LOG_WARN("compact: %s: %zu files left unmerged: %s", dir,
                         groups[g][1] - groups[g][0], c->errstr);
                c->st->groups_skipped++;
                c->errstr[0] = '\0';
                rc = 0;
            }
        }
        s = e;
    }
    for (size_t i = 0; i < n; i++)
        free(files[i].name);
    free(files);
    free(names);
    free(sizes);
    free(groups);
    storage_list_release(&l);
    return rc;
}

/* The partition value of a folder name "date=D" or "year=Y", else NULL. */
static const char *part_value(const char *name)
{
    if (strncmp(name, "date=", 5) == 0 || strncmp(name, "year=", 5) == 0)
        return name + 5;
    return NULL;
}

/* 1 if partition folder name lies wholly before cut (ns, a day start). */
static int expired(const char *name, int64_t cut)
{
    int64_t start;
    if (strncmp(name, "date=", 5) == 0)
        return lake_parse_date(name + 5, &start) == 0 && start + 86400LL * NS_PER_SEC <= cut;
    if (strncmp(name, "year=", 5) == 0) {
        char next[32];
        int64_t y;
        if (parse_int64(name + 5, 1678, 2261, &y) != 0)
            return 0;
        snprintf(next, sizeof(next), "%04lld-01-01", (long long)(y + 1));
        return lake_parse_date(next, &start) == 0 && start <= cut;
    }
    return 0;
}

/* A writer's temporary file this new may still be written (the sink landing
 * late rows of an expired date): retention leaves it to its writer, whose
 * rename would fail without it. An older one is a crashed writer's. */
#define RETENTION_TEMP_AGE_NS (3600LL * NS_PER_SEC)

static int drop_partition(compactor *c, const char *dir)
{
    storage_listing l = {0};
    if (storage_list(c->lake, dir, STORAGE_RECURSIVE, &l, c->errstr, c->errstr_size) != 0)
        return -1;
    int rc = 0;
    int64_t now = now_ns();
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        const storage_entry *e = &l.entries[i];
        const char *base = key_base(e->key);
        if (lake_name_is_temp(base) && now - e->mtime_ns < RETENTION_TEMP_AGE_NS) {
            LOG_INFO("compact: retention leaves '%s' to its writer", e->key);
            continue;
        }
        rc = storage_delete(c->lake, e->key, c->errstr, c->errstr_size);
        if (rc == 0)
            c->st->files_dropped++;
    }
    storage_list_release(&l);
    const char *local = storage_local_dir(c->lake);
    if (rc == 0 && local) {
        buf abs = {0};
        storage_join(&abs, local, dir);
        rmdir(abs.data); /* empty now, unless a writer added a file: then it stays */
        buf_release(&abs);
    }
    if (rc == 0) {
        c->st->partitions_dropped++;
        LOG_INFO("compact: retention dropped '%s'", dir);
    }
    return rc;
}

/* 0 when the lake has the table's folder; else -1 with an error that lists
 * the tables it has (its top-level folders but _ and . ones). */
static int table_exists(compactor *c)
{
    storage_listing top = {0};
    if (storage_list(c->lake, "", 0, &top, c->errstr, c->errstr_size) != 0)
        return -1;
    buf names = {0};
    int found = 0;
    for (size_t i = 0; i < top.n; i++) {
        const storage_entry *e = &top.entries[i];
        if (!e->is_dir || e->key[0] == '_' || e->key[0] == '.')
            continue;
        if (strcmp(e->key, c->o->table) == 0)
            found = 1;
        buf_printf(&names, "%s%s", names.len ? ", " : "", e->key);
    }
    storage_list_release(&top);
    if (!found)
        set_err(c->errstr, c->errstr_size, "compact: no table '%s' in '%s' (tables: %s)",
                c->o->table, c->o->lake, names.len ? names.data : "none");
    buf_release(&names);
    return found ? 0 : -1;
}

/* Records the lake's files in its catalog, as a crawl does (for an S3 lake
 * through the local cache, which uploads the new catalog version). */
static int record_in_catalog(compactor *c, const char *local, int *written)
{
    const compact_opts *o = c->o;
    catalog_crawl_stats cs;
    catalog_crawl_opts co = {.on_change = CATALOG_CHANGE_UPDATE,
                             .on_delete = CATALOG_DELETE_DEPRECATE};
    int rc;
    if (local) {
        rc = catalog_crawl_ext(c->eng, local, &co, &cs, c->errstr, c->errstr_size);
    } else {
        lakecache *lc = NULL;
        rc = lakecache_open(&lc, o->lake, &o->storage, o->cache_dir, c->errstr, c->errstr_size);
        if (rc == 0)
            rc = lakecache_crawl(lc, c->eng, &co, &cs, c->errstr, c->errstr_size);
        lakecache_free(lc);
    }
    if (rc != 0)
        return -1;
    c->st->catalog_version = cs.version;
    if (written)
        *written = cs.written;
    return 0;
}

int compact_run(const compact_opts *o, compact_stats *st, char *errstr, size_t errstr_size)
{
    memset(st, 0, sizeof(*st));
    if (!o->table || !*o->table || strchr(o->table, '/') || !storage_key_valid(o->table) ||
        o->table[0] == '_' || o->table[0] == '.')
        return set_err(errstr, errstr_size, "compact: '%s' is not a table name",
                       o->table ? o->table : "");
    compactor c = {.o = o, .st = st, .errstr = errstr, .errstr_size = errstr_size};
    c.target = o->target_bytes > 0 ? o->target_bytes : COMPACT_DEFAULT_TARGET;
    c.grace = o->grace_ns >= 0 ? o->grace_ns : COMPACT_DEFAULT_GRACE_NS;
    int rc = -1, lockfd = -1;
    storage_options so = o->storage;
    so.cancel = o->cancel;
    if (storage_open(&c.lake, o->lake, &so, errstr, errstr_size) != 0)
        return -1;
    if (table_exists(&c) != 0)
        goto out;
    const char *local = storage_local_dir(c.lake);
    if (local) {
        buf lock = {0};
        buf_printf(&lock, "%s/%s", local, o->table);
        if (mkdir_p(lock.data, errstr, errstr_size) != 0) {
            buf_release(&lock);
            goto out;
        }
        buf_puts(&lock, "/_compact.lock");
        lockfd = open(lock.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
            set_err(errstr, errstr_size, "compact: '%s': %s", lock.data,
                    lockfd < 0 ? strerror(errno) : "another compaction of the table is running");
            buf_release(&lock);
            goto out;
        }
        buf_release(&lock);
    } else {
        clean_temps(storage_staging_dir(c.lake), 1);
        /* Merged objects' multipart uploads a killed run left incomplete
         * (invisible, but billed): names starting with '~' are only ever
         * compaction's, and one compaction per table runs at a time (the
         * scheduler's part on S3, docs/decisions/0026). Were one running
         * after all, its upload would fail at completion and that run fail
         * with its inputs untouched: nothing switches without it. */
        int n = 0;
        char aerr[512];
        if (storage_abort_uploads(c.lake, o->table, "~", &n, aerr, sizeof(aerr)) != 0)
            LOG_WARN("compact: incomplete uploads of '%s' not aborted: %s", o->table, aerr);
        else if (n > 0)
            LOG_INFO("compact: aborted %d incomplete multipart uploads of '%s' left by an earlier "
                     "run",
                     n, o->table);
    }
    c.eng = engine_open(NULL, 0, errstr, errstr_size);
    if (!c.eng)
        goto out;
    storage_listing top = {0};
    if (storage_list(c.lake, o->table, 0, &top, errstr, errstr_size) != 0)
        goto out;
    int64_t now = o->now_ns ? o->now_ns : now_ns();
    int64_t cut = lake_day_start(now) - o->retain_days * 86400LL * NS_PER_SEC;
    int found = 0;
    rc = 0;
    for (size_t i = 0; i < top.n && rc == 0 && !cancelled(&c); i++) {
        const storage_entry *e = &top.entries[i];
        const char *base = key_base(e->key);
        const char *v = part_value(base);
        if (!e->is_dir || !v)
            continue;
        if (o->retain_days > 0 && expired(base, cut)) {
            rc = drop_partition(&c, e->key);
            continue;
        }
        if (o->partition && strcmp(o->partition, v) != 0)
            continue;
        found = 1;
        if (!o->no_compact)
            rc = compact_folder(&c, e->key);
    }
    storage_list_release(&top);
    if (rc == 0 && o->partition && !found && !o->no_compact)
        rc = set_err(errstr, errstr_size, "compact: table '%s' has no partition '%s'", o->table,
                     o->partition);
    /* Inputs of this run: deleted once queries that listed them have had time to
     * finish; with defer_deletes by a later run (compact_folder), not here. */
    if (o->defer_deletes) {
        for (size_t i = 0; i < c.npending; i++)
            free(c.pending[i]);
        c.npending = 0;
    }
    /* The merged files go into the catalog before their inputs go: a
     * session that lists a partition's files by a glob at each query (one
     * without a "~" file when it was made) reads the catalog again when it
     * changes, and then lists the merged file. Deleting first left such a
     * session reading neither, with no error, until the catalog changed.
     * That holds for an earlier run's inputs too: a run killed before its
     * catalog update left merged files the catalog does not know, and when
     * recording them changes the catalog, sessions get the grace to see them. */
    int wrote = 0;
    if (rc == 0 && ((c.npending && st->files_out) || c.nstale) && !o->no_crawl && !cancelled(&c))
        rc = record_in_catalog(&c, local, &wrote);
    if (rc == 0 && c.nstale && wrote)
        LOG_INFO("compact: %zu inputs of an earlier run are covered by merged files the catalog "
                 "did not list: catalog version %lld lists them before the inputs go",
                 c.nstale, (long long)st->catalog_version);
    if ((c.npending || (c.nstale && wrote)) && c.grace > 0 && rc == 0 && !cancelled(&c)) {
        LOG_INFO("compact: deleting %zu merged files in %.0f s (grace period)",
                 c.npending + c.nstale, (double)c.grace / 1e9);
        int64_t until = mono_ns() + c.grace;
        while (mono_ns() < until && !cancelled(&c)) {
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
        }
    }
    for (size_t i = 0; i < c.nstale + c.npending; i++) {
        char *key = i < c.nstale ? c.stale[i] : c.pending[i - c.nstale];
        if (!cancelled(&c) && rc == 0) {
            if (storage_delete(c.lake, key, errstr, errstr_size) != 0)
                rc = -1;
            else
                st->files_removed++;
        }
        free(key);
    }
    free(c.pending);
    c.pending = NULL;
    c.npending = 0;
    free(c.stale);
    c.stale = NULL;
    c.nstale = 0;
    int changed = st->files_out || st->files_removed || st->partitions_dropped;
    if (rc == 0 && changed && !o->no_crawl)
        rc = record_in_catalog(&c, local, NULL);
out:
    for (size_t i = 0; i < c.npending; i++)
        free(c.pending[i]);
    free(c.pending);
    for (size_t i = 0; i < c.nstale; i++)
        free(c.stale[i]);
    free(c.stale);
    engine_close(c.eng);
    storage_free(c.lake);
    if (lockfd >= 0)
        close(lockfd);
    return rc;
}
