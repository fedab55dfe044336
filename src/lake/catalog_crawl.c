/* catalog_crawl.c - the Glue-style crawler of a local lake; see catalog_crawl.h. */
#include "catalog_crawl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "catalog_json.h"
#include "lakepath.h"

#define MAX_PARTITION_DEPTH 32

/* --- The crawl's lock ------------------------------------------------- */

/* Takes an exclusive lock on path (created if needed) for this process;
 * released by fs_unlock or at exit. */
static int fs_lock(const char *path, int *fd_out, char *errstr, size_t errstr_size)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return set_err(errstr, errstr_size, "unable to open '%s': %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        if (err == EWOULDBLOCK)
            return set_err(errstr, errstr_size, "unable to lock '%s': another crawl is running",
                           path);
        return set_err(errstr, errstr_size, "unable to lock '%s': %s", path, strerror(err));
    }
    *fd_out = fd;
    return 0;
}

static void fs_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* The first line of a DuckDB message (they may go on with "LINE 1: ..."). */
static char *first_line(const char *msg)
{
    size_t n = strcspn(msg, "\n");
    while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\r'))
        n--;
    return xstrndup(msg, n);
}

/* --- Crawling ----------------------------------------------------------- */

/* A folder with data files, as found by the walk. */
typedef struct scan_part {
    char *location; /* relative to the lake */
    char **keys, **values;
    size_t nkeys, nvalues;
    dir_entry *files; /* data files; name is the path relative to the lake */
    size_t nfiles;
} scan_part;

typedef struct crawl {
    engine *e;
    char *root; /* the lake path, no trailing slash */
    const catalog *prev;
    catalog_crawl_stats *st;
    char *errstr;
    size_t errstr_size;
    const catalog_crawl_opts *opts;
    struct prefetched *pre; /* footers read ahead in batches, sorted by path */
    size_t npre;
} crawl;

static void scan_parts_free(scan_part *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].location);
        strv_free(v[i].keys, v[i].nkeys);
        strv_free(v[i].values, v[i].nvalues);
        dir_entries_free(v[i].files, v[i].nfiles);
    }
    free(v);
}

static void warn(catalog_table *t, char *owned)
{
    strv_push(&t->warnings, &t->nwarnings, owned);
}

/* Walks the folder rel (depth key=value levels below the table folder),
 * collecting partitions. */
static void walk(crawl *cr, catalog_table *t, const char *rel, char **keys, char **values,
                 size_t depth, scan_part **parts, size_t *nparts)
{
    char *abs = lake_abs(cr->root, rel);
    dir_entry *ents;
    size_t n;
    char err[400];
    if (list_dir(abs, &ents, &n, err, sizeof(err)) != 0) {
        warn(t, xstrdup(err));
        free(abs);
        return;
    }
    free(abs);
    scan_part *part = NULL;
    const char **names = n ? xmalloc(n * sizeof(*names)) : NULL;
    for (size_t i = 0; i < n; i++)
        names[i] = ents[i].name;
    for (size_t i = 0; i < n; i++) {
        const dir_entry *en = &ents[i];
        /* Files a compacted file replaces (lakepath.h) are not data any more. */
        if (en->is_dir || !lake_name_is_data(en->name) || lake_name_covered(en->name, names, n)) {
            if (!en->is_dir)
                cr->st->files_ignored++;
            continue;
        }
        if (!part) {
            part = ARRAY_PUSH(*parts, *nparts);
            part->location = xstrdup(rel);
            for (size_t k = 0; k < depth; k++) {
                strv_push(&part->keys, &part->nkeys, xstrdup(keys[k]));
                strv_push(&part->values, &part->nvalues, xstrdup(values[k]));
            }
        }
        dir_entry *f = ARRAY_PUSH(part->files, part->nfiles);
        *f = *en;
        f->name = xprintf("%s/%s", rel, en->name);
    }
    free(names);
    for (size_t i = 0; i < n; i++) {
        const dir_entry *en = &ents[i];
        if (!en->is_dir || lake_name_is_hidden(en->name))
            continue;
        const char *eq = strchr(en->name, '=');
        char *sub = xprintf("%s/%s", rel, en->name);
        if (!eq || eq == en->name) {
            warn(t, xprintf("folder '%s' is not a key=value partition folder: ignored", sub));
        } else if (depth >= MAX_PARTITION_DEPTH) {
            warn(t, xprintf("folder '%s' is nested too deep: ignored", sub));
        } else {
            keys[depth] = xprintf("%.*s", (int)(eq - en->name), en->name);
            values[depth] = xstrdup(eq + 1);
            walk(cr, t, sub, keys, values, depth + 1, parts, nparts);
            free(keys[depth]);
            free(values[depth]);
        }
        free(sub);
    }
    dir_entries_free(ents, n);
}

/* The key names of a partition joined by '/', for comparison. */
static char *key_signature(const scan_part *p)
{
    buf b = {0};
    buf_puts(&b, "");
    for (size_t i = 0; i < p->nkeys; i++) {
        if (i)
            buf_putc(&b, '/');
        buf_puts(&b, p->keys[i]);
    }
    return b.data;
}

/* What the footer of one Parquet file says. */
typedef struct footer {
    catalog_column *cols;
    size_t ncols;
    int64_t rows;
    int has_time;
    int64_t min_time_ns, max_time_ns;
    int bad_type; /* a column's type is not one catalog_type_valid takes */
} footer;

static int describe_cb(void *opaque, size_t ncols, const char *const *names,
                       const char *const *values)
{
    footer *f = opaque;
    if (ncols < 2 || !values[0] || !values[1])
        return 0;
    if (!catalog_type_valid(values[1]))
        f->bad_type = 1;
    catalog_column_push(&f->cols, &f->ncols, values[0], values[1]);
    return 0;
}

/* A file with a column type the catalog cannot hold is unreadable to it. */
static int check_types(const footer *f, char *errstr, size_t errstr_size)
{
    if (!f->bad_type)
        return 0;
    for (size_t i = 0; i < f->ncols; i++)
        if (!catalog_type_valid(f->cols[i].type))
            return set_err(errstr, errstr_size, "column '%s' has a type the catalog cannot hold",
                           f->cols[i].name);
    return 0;
}

/* The row count and time statistics of one file (see read_footer). */
typedef struct file_stats {
    int64_t rows, groups, with_min, with_max;
    int has_rows, has_min, has_max;
    int64_t min, max;
} file_stats;

static int file_stats_cb(void *opaque, size_t ncols, const char *const *names,
                         const char *const *values)
{
    file_stats *fs = opaque;
    if (ncols < 6)
        return 0;
    fs->has_rows = values[0] && parse_int64(values[0], 0, INT64_MAX, &fs->rows) == 0;
    parse_int64(values[1] ? values[1] : "0", 0, INT64_MAX, &fs->groups);
    parse_int64(values[2] ? values[2] : "0", 0, INT64_MAX, &fs->with_min);
    parse_int64(values[3] ? values[3] : "0", 0, INT64_MAX, &fs->with_max);
    fs->has_min = values[4] && parse_int64(values[4], INT64_MIN, INT64_MAX, &fs->min) == 0;
    fs->has_max = values[5] && parse_int64(values[5], INT64_MIN, INT64_MAX, &fs->max) == 0;
    return 0;
}

/* The names a time column may have, in order of preference: trades and
 * alerts have "ts", bars and indicators "window_start", daily data "date". */
static const char *const time_column_names[] = {"ts", "window_start", "date"};
#define NTIME_COLUMN_NAMES (sizeof(time_column_names) / sizeof(time_column_names[0]))

/* The time column among cols: the first of time_column_names of a time type. */
static const char *find_time_column(const catalog_column *cols, size_t n)
{
    for (size_t k = 0; k < NTIME_COLUMN_NAMES; k++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(cols[i].name, time_column_names[k]) == 0 &&
                catalog_is_time_type(cols[i].type))
                return time_column_names[k];
    return NULL;
}

/* A timestamp statistic as ns: DuckDB prints stats as timestamps; offsets
 * (TIMESTAMPTZ) are honoured through the second cast. */
#define STAT_NS(col)                                                                               \
    "epoch_ns(COALESCE(TRY_CAST(" col " AS TIMESTAMP_NS), "                                        \
    "TRY_CAST(TRY_CAST(" col " AS TIMESTAMPTZ) AS TIMESTAMP_NS)))"

/* Reads schema, row count and time statistics of the Parquet file at abs:
 * two queries, the schema as read_parquet sees it (DESCRIBE), then the row
 * count with the min/max statistics of the time column over all row groups. */
/* The reader of a text format over one file, with the sample size for type
 * detection (-1: the whole file). */
static void put_text_reader(buf *sql, const char *format, const char *lit, int64_t sample)
{
    if (strcmp(format, "csv") == 0)
        buf_printf(sql, "read_csv(%s, header = true, sample_size = %" PRId64 ")", lit, sample);
    else
        buf_printf(sql, "read_json(%s, format = 'auto', sample_size = %" PRId64 ")", lit, sample);
}

/* Samples a CSV or JSON file as a Glue classifier does: the schema from the
 * first CATALOG_SAMPLE_ROWS rows, then one pass for the row count and time
 * range. When that pass fails (a later value does not fit the sampled type),
 * the types are detected again over the whole file. */
#define CATALOG_SAMPLE_ROWS 20480
static int read_text_stats(engine *e, const char *abs, const char *format, footer *f, char *errstr,
                           size_t errstr_size)
{
    buf sql = {0}, lit = {0}, reader = {0};
    engine_quote_literal(&lit, abs);
    int rc = -1;
    for (int attempt = 0; attempt < 2 && rc != 0; attempt++) {
        catalog_columns_free(f->cols, f->ncols);
        memset(f, 0, sizeof(*f));
        buf_reset(&reader);
        put_text_reader(&reader, format, lit.data, attempt == 0 ? CATALOG_SAMPLE_ROWS : -1);
        buf_reset(&sql);
        buf_printf(&sql, "DESCRIBE SELECT * FROM %s", reader.data);
        rc = engine_query_rows(e, sql.data, describe_cb, f, errstr, errstr_size);
        if (rc == 0)
            rc = check_types(f, errstr, errstr_size);
        if (rc != 0)
            break;
        const char *tcol = find_time_column(f->cols, f->ncols);
        buf_reset(&sql);
        buf_puts(&sql, "SELECT count(*), 1, 1, 1, ");
        if (tcol) {
            buf tq = {0};
            engine_quote_ident(&tq, tcol);
            buf_printf(&sql, "epoch_ns(min(%s)::TIMESTAMP_NS), epoch_ns(max(%s)::TIMESTAMP_NS)",
                       tq.data, tq.data);
            buf_release(&tq);
        } else {
            buf_puts(&sql, "NULL, NULL");
        }
        buf_printf(&sql, " FROM %s", reader.data);
        file_stats fs = {0};
        rc = engine_query_rows(e, sql.data, file_stats_cb, &fs, errstr, errstr_size);
        f->rows = fs.rows;
        if (rc == 0 && tcol && fs.has_min && fs.has_max) {
            f->has_time = 1;
            f->min_time_ns = fs.min;
            f->max_time_ns = fs.max;
        }
    }
    buf_release(&sql);
    buf_release(&lit);
    buf_release(&reader);
    if (rc != 0) {
        catalog_columns_free(f->cols, f->ncols);
        memset(f, 0, sizeof(*f));
    }
    return rc;
}

static int read_footer(engine *e, const char *abs, footer *f, char *errstr, size_t errstr_size)
{
    memset(f, 0, sizeof(*f));
    const char *format = lake_file_format(abs);
    if (format && strcmp(format, "parquet") != 0)
        return read_text_stats(e, abs, format, f, errstr, errstr_size);
    buf sql = {0}, lit = {0}, tname = {0};
    engine_quote_literal(&lit, abs);
    buf_printf(&sql, "DESCRIBE SELECT * FROM read_parquet(%s, hive_partitioning = false)",
               lit.data);
    int rc = engine_query_rows(e, sql.data, describe_cb, f, errstr, errstr_size);
    if (rc == 0)
        rc = check_types(f, errstr, errstr_size);
    if (rc == 0) {
        const char *tcol = find_time_column(f->cols, f->ncols);
        engine_quote_literal(&tname, tcol ? tcol : "");
        buf_reset(&sql);
        buf_printf(&sql,
                   "SELECT (SELECT num_rows FROM parquet_file_metadata(%s)), count(*), "
                   "count(stats_min_value), count(stats_max_value), "
                   "min(" STAT_NS("stats_min_value") "), max(" STAT_NS(
                       "stats_max_value") ") "
                                          "FROM parquet_metadata(%s) WHERE path_in_schema = %s",
                   lit.data, lit.data, tname.data);
        file_stats fs = {0};
        rc = engine_query_rows(e, sql.data, file_stats_cb, &fs, errstr, errstr_size);
        if (rc == 0 && !fs.has_rows)
            rc = set_err(errstr, errstr_size, "no row count in the footer");
        f->rows = fs.rows;
        if (rc == 0 && tcol && fs.groups > 0 && fs.with_min == fs.groups &&
            fs.with_max == fs.groups && fs.has_min && fs.has_max) {
            f->has_time = 1;
            f->min_time_ns = fs.min;
            f->max_time_ns = fs.max;
        }
    }
    buf_release(&sql);
    buf_release(&lit);
    buf_release(&tname);
    if (rc != 0) {
        catalog_columns_free(f->cols, f->ncols);
        memset(f, 0, sizeof(*f));
    }
    return rc;
}

/* Files of the previous catalog, sorted by path for lookups. */
typedef struct prev_file {
    const char *path;
    const catalog_file *file;
    const catalog_table *table;
} prev_file;

static int prev_file_cmp(const void *a, const void *b)
{
    return strcmp(((const prev_file *)a)->path, ((const prev_file *)b)->path);
}

static prev_file *prev_index(const catalog *prev, size_t *n)
{
    prev_file *v = NULL;
    *n = 0;
    for (size_t i = 0; prev && i < prev->ntables; i++) {
        const catalog_table *t = &prev->tables[i];
        for (size_t j = 0; j < t->npartitions; j++)
            for (size_t k = 0; k < t->partitions[j].nfiles; k++) {
                prev_file *pf = ARRAY_PUSH(v, *n);
                pf->path = t->partitions[j].files[k].path;
                pf->file = &t->partitions[j].files[k];
                pf->table = t;
            }
    }
    if (*n > 1)
        qsort(v, *n, sizeof(*v), prev_file_cmp);
    return v;
}

static const prev_file *prev_lookup(const prev_file *v, size_t n, const char *path)
{
    prev_file key = {.path = path};
    return n ? bsearch(&key, v, n, sizeof(*v), prev_file_cmp) : NULL;
}

static const catalog_bad_file *prev_bad_lookup(const catalog_table *pt, const char *path)
{
    for (size_t i = 0; pt && i < pt->nbad_files; i++)
        if (strcmp(pt->bad_files[i].path, path) == 0)
            return &pt->bad_files[i];
    return NULL;
}

static const catalog_partition *prev_partition(const catalog_table *pt, const char *location)
{
    for (size_t i = 0; pt && i < pt->npartitions; i++)
        if (strcmp(pt->partitions[i].location, location) == 0)
            return &pt->partitions[i];
    return NULL;
}

static int same_files(const catalog_partition *a, const catalog_partition *b)
{
    if (a->nfiles != b->nfiles)
        return 0;
    for (size_t i = 0; i < a->nfiles; i++)
        if (strcmp(a->files[i].path, b->files[i].path) != 0 ||
            a->files[i].size != b->files[i].size || a->files[i].mtime_ns != b->files[i].mtime_ns)
            return 0;
    return 1;
}

/* --- Reading footers in batches ---------------------------------------------
 *
 * Reading one footer takes two small queries; over thousands of new files the
 * per-query cost dominates. So the new Parquet files of a table are read ahead
 * in batches: one parquet_schema() query gives each file's columns as a set,
 * and a file whose set equals a schema already known (of the previous version
 * or read in this crawl) takes that schema's column order; other files get a
 * DESCRIBE of their own, once per new schema. Two more queries per batch give
 * the row counts and the time statistics. A batch whose queries fail (a file
 * that is not Parquet) is left to the one-file-at-a-time path, which records
 * the bad file. */

#define PREFETCH_BATCH 512

typedef struct prefetched {
    char *path; /* relative to the lake */
    char *abs;
    int ok;
    footer f;
    /* while reading */
    catalog_column *set;
    size_t nset;
    int groups;  /* group nodes in the schema: the root, and nested columns */
    int complex; /* nested columns or an unnamed type: DESCRIBE it */
} prefetched;

static int prefetched_cmp(const void *a, const void *b)
{
    return strcmp(((const prefetched *)a)->path, ((const prefetched *)b)->path);
}

static void prefetch_free(crawl *cr)
{
    for (size_t i = 0; i < cr->npre; i++) {
        free(cr->pre[i].path);
        free(cr->pre[i].abs);
        catalog_columns_free(cr->pre[i].f.cols, cr->pre[i].f.ncols);
        catalog_columns_free(cr->pre[i].set, cr->pre[i].nset);
    }
    free(cr->pre);
    cr->pre = NULL;
    cr->npre = 0;
}

/* The prefetched entry of abs in v[lo..hi), by a linear search from a hint
 * (rows come back in file order, so the hint is almost always right). */
static prefetched *pre_find(prefetched *v, size_t lo, size_t hi, const char *abs, size_t *hint)
{
    for (size_t k = 0; k < hi - lo; k++) {
        size_t i = lo + (*hint - lo + k) % (hi - lo);
        if (strcmp(v[i].abs, abs) == 0) {
            *hint = i;
            return &v[i];
        }
    }
    return NULL;
}

typedef struct pre_rows {
    prefetched *v;
    size_t lo, hi, hint;
    int kind; /* 0 schema, 1 rows, 2 time stats */
} pre_rows;

static int pre_cb(void *opaque, size_t ncols, const char *const *names, const char *const *values)
{
    pre_rows *pr = opaque;
    if (ncols < 2 || !values[0])
        return 0;
    prefetched *e = pre_find(pr->v, pr->lo, pr->hi, values[0], &pr->hint);
    if (!e)
        return 0;
    if (pr->kind == 0) { /* file_name, name, duckdb_type, num_children */
        if (ncols < 4)
            return 0;
        if (values[3]) { /* a group: the root, or a nested column */
            if (++e->groups > 1)
                e->complex = 1;
        } else if (!values[1] || !values[2] || !catalog_type_valid(values[2])) {
            e->complex = 1; /* the one-file path reads it, or says why it cannot */
        } else {
            catalog_column_push(&e->set, &e->nset, values[1], values[2]);
        }
    } else if (pr->kind == 1) { /* file_name, num_rows */
        e->ok = values[1] && parse_int64(values[1], 0, INT64_MAX, &e->f.rows) == 0;
    } else { /* file_name, column, groups, with_min, with_max, min, max */
        const char *tcol = find_time_column(e->f.cols, e->f.ncols);
        if (ncols < 7 || !tcol || !values[1] || strcmp(values[1], tcol) != 0)
            return 0;
        int64_t groups = 0, wmin = 0, wmax = 0, mn, mx;
        parse_int64(values[2] ? values[2] : "0", 0, INT64_MAX, &groups);
        parse_int64(values[3] ? values[3] : "0", 0, INT64_MAX, &wmin);
        parse_int64(values[4] ? values[4] : "0", 0, INT64_MAX, &wmax);
        if (groups > 0 && wmin == groups && wmax == groups && values[5] && values[6] &&
            parse_int64(values[5], INT64_MIN, INT64_MAX, &mn) == 0 &&
            parse_int64(values[6], INT64_MIN, INT64_MAX, &mx) == 0) {
            e->f.has_time = 1;
            e->f.min_time_ns = mn;
            e->f.max_time_ns = mx;
        }
    }
    return 0;
}

/* 1 if the column sets a and b are equal (names case-insensitive, types exact). */
static int same_set(const catalog_column *a, size_t na, const catalog_column *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++) {
        size_t j = 0;
        while (j < nb &&
               !(strcasecmp(a[i].name, b[j].name) == 0 && strcmp(a[i].type, b[j].type) == 0))
            j++;
        if (j == nb)
            return 0;
    }
    return 1;
}

/* Reads the footers of v[lo..hi); entries it could not read stay !ok. */
static void prefetch_batch(crawl *cr, catalog_table *t, const catalog_table *pt, prefetched *v,
                           size_t lo, size_t hi)
{
    buf list = {0}, sql = {0};
    char err[512];
    buf_putc(&list, '[');
    for (size_t i = lo; i < hi; i++) {
        if (i > lo)
            buf_puts(&list, ", ");
        engine_quote_literal(&list, v[i].abs);
    }
    buf_putc(&list, ']');
    pre_rows pr = {v, lo, hi, lo, 0};
    int failed = 0;
    buf_printf(&sql, "SELECT file_name, name, duckdb_type, num_children FROM parquet_schema(%s)",
               list.data);
    if (engine_query_rows(cr->e, sql.data, pre_cb, &pr, err, sizeof(err)) != 0) {
        failed = 1;
        goto out;
    }
    /* Column order: from a known schema with the same set, else DESCRIBE. */
    catalog_schema *known = NULL;
    size_t nknown = 0;
    for (size_t i = 0; pt && i < pt->nschemas; i++)
        *ARRAY_PUSH(known, nknown) = pt->schemas[i];
    for (size_t i = 0; i < t->nschemas; i++)
        *ARRAY_PUSH(known, nknown) = t->schemas[i];
    size_t nborrowed = nknown;
    for (size_t i = lo; i < hi; i++) {
        prefetched *e = &v[i];
        size_t k = 0;
        while (!e->complex && k < nknown &&
               !same_set(e->set, e->nset, known[k].columns, known[k].ncolumns))
            k++;
        if (!e->complex && k < nknown) {
            catalog_columns_append(&e->f.cols, &e->f.ncols, known[k].columns, known[k].ncolumns);
            continue;
        }
        buf_reset(&sql);
        buf d = {0};
        engine_quote_literal(&d, e->abs);
        buf_printf(&sql, "DESCRIBE SELECT * FROM read_parquet(%s, hive_partitioning = false)",
                   d.data);
        buf_release(&d);
        footer tmp = {0};
        if (engine_query_rows(cr->e, sql.data, describe_cb, &tmp, err, sizeof(err)) != 0 ||
            tmp.bad_type) {
            catalog_columns_free(tmp.cols, tmp.ncols);
            e->complex = 2; /* unreadable: the one-file path reports it */
            continue;
        }
        e->f.cols = tmp.cols;
        e->f.ncols = tmp.ncols;
        catalog_schema *ns = ARRAY_PUSH(known, nknown);
        ns->columns = NULL;
        ns->ncolumns = 0;
        catalog_columns_append(&ns->columns, &ns->ncolumns, tmp.cols, tmp.ncols);
    }
    for (size_t k = nborrowed; k < nknown; k++)
        catalog_columns_free(known[k].columns, known[k].ncolumns);
    free(known);
    buf_reset(&sql);
    buf_printf(&sql, "SELECT file_name, num_rows FROM parquet_file_metadata(%s)", list.data);
    pr.kind = 1;
    if (engine_query_rows(cr->e, sql.data, pre_cb, &pr, err, sizeof(err)) != 0)
        goto fail;
    buf_reset(&sql);
    buf_printf(&sql,
               "SELECT file_name, path_in_schema, count(*), count(stats_min_value), "
               "count(stats_max_value), min(" STAT_NS("stats_min_value") "), max(" STAT_NS(
                   "stats_max_value") ") FROM parquet_metadata(%s) WHERE path_in_schema IN (",
               list.data);
    for (size_t k = 0; k < NTIME_COLUMN_NAMES; k++) {
        if (k)
            buf_puts(&sql, ", ");
        engine_quote_literal(&sql, time_column_names[k]);
    }
    buf_puts(&sql, ") GROUP BY ALL");
    pr.kind = 2;
    if (engine_query_rows(cr->e, sql.data, pre_cb, &pr, err, sizeof(err)) != 0)
        goto fail;
    for (size_t i = lo; i < hi; i++)
        if (v[i].complex == 2 || v[i].f.ncols == 0)
            v[i].ok = 0;
    goto out;
fail:
    failed = 1;
out:
    buf_release(&list);
    buf_release(&sql);
    if (failed) {
        /* Some file is not readable: start again on each half, down to the
         * single files the one-file path will report. */
        for (size_t i = lo; i < hi; i++) {
            catalog_columns_free(v[i].f.cols, v[i].f.ncols);
            catalog_columns_free(v[i].set, v[i].nset);
            memset(&v[i].f, 0, sizeof(v[i].f));
            v[i].set = NULL;
            v[i].nset = 0;
            v[i].ok = v[i].groups = v[i].complex = 0;
        }
        if (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            prefetch_batch(cr, t, pt, v, lo, mid);
            prefetch_batch(cr, t, pt, v, mid, hi);
        }
    }
}

/* 1 when the previous catalog's entry pf stands for the file fe: same size
 * and mtime, and not a file whose time range is missing only because the
 * crawler that wrote the entry did not know its time column (a DATE "date":
 * the table had no time column, the file has rows and no range). */
static int prev_reusable(const prev_file *pf, const dir_entry *fe)
{
    if (!pf || pf->file->size != fe->size || pf->file->mtime_ns != fe->mtime_ns)
        return 0;
    const catalog_file *old = pf->file;
    if (old->has_time || old->rows == 0 || pf->table->time_column)
        return 1;
    const catalog_schema *s =
        old->schema < pf->table->nschemas ? &pf->table->schemas[old->schema] : NULL;
    const char *tcol = s ? find_time_column(s->columns, s->ncolumns) : NULL;
    return !tcol || strcmp(tcol, "date") != 0;
}

/* Reads ahead the footers of the table's new or changed Parquet files. */
static void prefetch_table(crawl *cr, catalog_table *t, const catalog_table *pt,
                           const scan_part *parts, size_t nparts, const prev_file *pidx,
                           size_t npidx)
{
    prefetch_free(cr);
    if (strcmp(t->format, "parquet") != 0)
        return;
    for (size_t i = 0; i < nparts; i++) {
        for (size_t k = 0; k < parts[i].nfiles; k++) {
            const dir_entry *fe = &parts[i].files[k];
            if (prev_reusable(prev_lookup(pidx, npidx, fe->name), fe))
                continue;
            const catalog_bad_file *pb = prev_bad_lookup(pt, fe->name);
            if (pb && pb->size == fe->size && pb->mtime_ns == fe->mtime_ns)
                continue;
            prefetched *e = ARRAY_PUSH(cr->pre, cr->npre);
            e->path = xstrdup(fe->name);
            e->abs = lake_abs(cr->root, fe->name);
        }
    }
    if (cr->npre < 8) { /* not worth it */
        prefetch_free(cr);
        return;
    }
    for (size_t lo = 0; lo < cr->npre; lo += PREFETCH_BATCH)
        prefetch_batch(cr, t, pt, cr->pre, lo,
                       lo + PREFETCH_BATCH < cr->npre ? lo + PREFETCH_BATCH : cr->npre);
    qsort(cr->pre, cr->npre, sizeof(*cr->pre), prefetched_cmp);
}

/* Takes the prefetched footer of path into *f (ownership moves); 0, or -1
 * when there is none. */
static int prefetch_take(crawl *cr, const char *path, footer *f)
{
    prefetched key = {.path = (char *)path};
    prefetched *e =
        cr->npre ? bsearch(&key, cr->pre, cr->npre, sizeof(*cr->pre), prefetched_cmp) : NULL;
    if (!e || !e->ok)
        return -1;
    *f = e->f;
    memset(&e->f, 0, sizeof(e->f));
    e->ok = 0;
    return 0;
}

/* Adds one data file to partition p of t: reused from the previous catalog
 * when unchanged, else read. A file that cannot be read becomes a bad file. */
static void crawl_file(crawl *cr, catalog_table *t, catalog_partition *p, const dir_entry *fe,
                       const prev_file *pidx, size_t npidx, const catalog_table *pt)
{
    const prev_file *pf = prev_lookup(pidx, npidx, fe->name);
    if (prev_reusable(pf, fe)) {
        const catalog_file *old = pf->file;
        const catalog_schema *s =
            old->schema < pf->table->nschemas ? &pf->table->schemas[old->schema] : NULL;
        catalog_file *f = ARRAY_PUSH(p->files, p->nfiles);
        f->path = xstrdup(fe->name);
        f->size = fe->size;
        f->mtime_ns = fe->mtime_ns;
        f->rows = old->rows;
        f->schema = catalog_schema_intern(t, s ? s->columns : NULL, s ? s->ncolumns : 0);
        f->has_time = old->has_time;
        f->min_time_ns = old->min_time_ns;
        f->max_time_ns = old->max_time_ns;
        cr->st->files_skipped++;
        return;
    }
    const catalog_bad_file *pb = prev_bad_lookup(pt, fe->name);
    char *error = NULL;
    if (pb && pb->size == fe->size && pb->mtime_ns == fe->mtime_ns) {
        cr->st->files_skipped++;
        error = xstrdup(pb->error);
    } else {
        cr->st->files_read++;
        char *abs = lake_abs(cr->root, fe->name);
        char err[1024];
        footer ft;
        if (prefetch_take(cr, fe->name, &ft) != 0 &&
            read_footer(cr->e, abs, &ft, err, sizeof(err)) != 0) {
            error = first_line(err);
        } else {
            catalog_file *f = ARRAY_PUSH(p->files, p->nfiles);
            f->path = xstrdup(fe->name);
            f->size = fe->size;
            f->mtime_ns = fe->mtime_ns;
            f->rows = ft.rows;
            f->schema = catalog_schema_intern(t, ft.cols, ft.ncols);
            f->has_time = ft.has_time;
            f->min_time_ns = ft.min_time_ns;
            f->max_time_ns = ft.max_time_ns;
            catalog_columns_free(ft.cols, ft.ncols);
        }
        free(abs);
    }
    if (error) {
        catalog_bad_file *b = ARRAY_PUSH(t->bad_files, t->nbad_files);
        b->path = xstrdup(fe->name);
        b->size = fe->size;
        b->mtime_ns = fe->mtime_ns;
        b->error = error;
        warn(t, xprintf("unable to read '%s': %s", fe->name, error));
        cr->st->files_failed++;
    }
}

static int is_key_name(const catalog_table *t, const char *name)
{
    for (size_t i = 0; i < t->nkeys; i++)
        if (strcasecmp(t->partition_keys[i].name, name) == 0)
            return 1;
    return 0;
}

/* Resolves the table's columns over its files' schemas (see catalog.h). */
static void resolve_columns(catalog_table *t)
{
    typedef struct seen {
        char **types;
        size_t ntypes;
    } seen;
    seen *seen_types = NULL;
    size_t nseen = 0;
    int key_clash = 0;
    for (size_t pi = 0; pi < t->npartitions; pi++) {
        const catalog_partition *p = &t->partitions[pi];
        for (size_t fi = 0; fi < p->nfiles; fi++) {
            const catalog_schema *s = &t->schemas[p->files[fi].schema];
            for (size_t ci = 0; ci < s->ncolumns; ci++) {
                const catalog_column *c = &s->columns[ci];
                if (is_key_name(t, c->name)) {
                    key_clash = 1;
                    continue;
                }
                size_t k = 0;
                while (k < t->ncolumns && strcasecmp(t->columns[k].name, c->name) != 0)
                    k++;
                if (k == t->ncolumns) {
                    catalog_column_push(&t->columns, &t->ncolumns, c->name, c->type);
                    seen *sn = ARRAY_PUSH(seen_types, nseen);
                    strv_push(&sn->types, &sn->ntypes, xstrdup(c->type));
                    continue;
                }
                seen *sn = &seen_types[k];
                size_t j = 0;
                while (j < sn->ntypes && strcmp(sn->types[j], c->type) != 0)
                    j++;
                if (j < sn->ntypes)
                    continue;
                strv_push(&sn->types, &sn->ntypes, xstrdup(c->type));
                char *super = xstrdup(catalog_supertype(t->columns[k].type, c->type));
                free(t->columns[k].type);
                t->columns[k].type = super;
            }
        }
    }
    for (size_t k = 0; k < nseen; k++) {
        if (seen_types[k].ntypes > 1) {
            buf list = {0};
            for (size_t j = 0; j < seen_types[k].ntypes; j++) {
                if (j)
                    buf_puts(&list, ", ");
                buf_puts(&list, seen_types[k].types[j]);
            }
            warn(t, xprintf("column '%s' has types %s across files: using %s", t->columns[k].name,
                            list.data, t->columns[k].type));
            buf_release(&list);
        }
        strv_free(seen_types[k].types, seen_types[k].ntypes);
    }
    free(seen_types);
    if (key_clash)
        warn(t, xstrdup("some files hold a column named like a partition key: the partition "
                        "value is used"));
}

static int partition_cmp(const void *a, const void *b)
{
    return strcmp(((const catalog_partition *)a)->location,
                  ((const catalog_partition *)b)->location);
}

/* Copies partition from of table ft into p of table t, its files' schemas
 * interned into t. */
static void partition_copy(catalog_partition *p, const catalog_partition *from, catalog_table *t,
                           const catalog_table *ft)
{
    catalog_partition_copy(p, from);
    for (size_t k = 0; k < p->nfiles; k++) {
        catalog_file *f = &p->files[k];
        const catalog_schema *sc = f->schema < ft->nschemas ? &ft->schemas[f->schema] : NULL;
        f->schema = catalog_schema_intern(t, sc ? sc->columns : NULL, sc ? sc->ncolumns : 0);
    }
}

/* --on-change log: t keeps the columns of its previous version pt; each
 * difference is a warning. */
static void keep_columns(catalog_table *t, const catalog_table *pt)
{
    for (size_t i = 0; i < t->ncolumns; i++) {
        const catalog_column *c = &t->columns[i];
        size_t j = 0;
        while (j < pt->ncolumns && strcasecmp(pt->columns[j].name, c->name) != 0)
            j++;
        if (j == pt->ncolumns)
            warn(t, xprintf("schema change not applied (--on-change log): new column '%s' %s",
                            c->name, c->type));
        else if (strcmp(pt->columns[j].type, c->type) != 0)
            warn(t, xprintf("schema change not applied (--on-change log): column '%s' is now "
                            "%s, kept as %s",
                            c->name, c->type, pt->columns[j].type));
    }
    for (size_t j = 0; j < pt->ncolumns; j++) {
        size_t i = 0;
        while (i < t->ncolumns && strcasecmp(pt->columns[j].name, t->columns[i].name) != 0)
            i++;
        if (i == t->ncolumns)
            warn(t, xprintf("schema change not applied (--on-change log): column '%s' is in no "
                            "file now, kept",
                            pt->columns[j].name));
    }
    catalog_columns_free(t->columns, t->ncolumns);
    t->columns = NULL;
    t->ncolumns = 0;
    catalog_columns_append(&t->columns, &t->ncolumns, pt->columns, pt->ncolumns);
}

/* Builds table t from its folder. */
static void crawl_table(crawl *cr, catalog_table *t, const catalog_table *pt, const prev_file *pidx,
                        size_t npidx)
{
    char *keys[MAX_PARTITION_DEPTH], *values[MAX_PARTITION_DEPTH];
    scan_part *parts = NULL;
    size_t nparts = 0;
    walk(cr, t, t->location, keys, values, 0, &parts, &nparts);

    /* One format per table, as one SerDe per Glue table: the one most files
     * have (Parquet, then JSON, then CSV on a tie). */
    static const char *const formats[] = {"parquet", "json", "csv"};
    size_t fcount[3] = {0, 0, 0};
    for (size_t i = 0; i < nparts; i++)
        for (size_t k = 0; k < parts[i].nfiles; k++)
            for (size_t j = 0; j < 3; j++)
                fcount[j] += strcmp(lake_file_format(parts[i].files[k].name), formats[j]) == 0;
    size_t fbest = 0;
    for (size_t j = 1; j < 3; j++)
        if (fcount[j] > fcount[fbest])
            fbest = j;
    if (fcount[0] + fcount[1] + fcount[2] == 0 && pt && pt->format)
        t->format = xstrdup(pt->format);
    else
        t->format = xstrdup(formats[fbest]);
    for (size_t i = 0; i < nparts; i++) {
        scan_part *sp = &parts[i];
        size_t kept = 0;
        for (size_t k = 0; k < sp->nfiles; k++) {
            if (strcmp(lake_file_format(sp->files[k].name), t->format) != 0) {
                warn(t, xprintf("file '%s' is not %s like the rest of the table: ignored",
                                sp->files[k].name, t->format));
                cr->st->files_ignored++;
                free(sp->files[k].name);
                continue;
            }
            sp->files[kept++] = sp->files[k];
        }
        sp->nfiles = kept;
    }
    prefetch_table(cr, t, pt, parts, nparts, pidx, npidx);

    /* The table's keys are those most partitions have (the first on a tie). */
    char **sigs = xmalloc((nparts ? nparts : 1) * sizeof(*sigs));
    size_t best = 0, best_count = 0;
    for (size_t i = 0; i < nparts; i++)
        sigs[i] = key_signature(&parts[i]);
    for (size_t i = 0; i < nparts; i++) {
        size_t count = 0;
        for (size_t j = 0; j < nparts; j++)
            count += strcmp(sigs[i], sigs[j]) == 0;
        if (count > best_count) {
            best = i;
            best_count = count;
        }
    }
    if (nparts) {
        for (size_t k = 0; k < parts[best].nkeys; k++)
            catalog_column_push(&t->partition_keys, &t->nkeys, parts[best].keys[k], "VARCHAR");
    }
    for (size_t i = 0; i < nparts; i++) {
        scan_part *sp = &parts[i];
        if (strcmp(sigs[i], sigs[best]) != 0) {
            warn(t, xprintf("partition '%s' has keys (%s) unlike the table's (%s): skipped",
                            sp->location, sigs[i], sigs[best]));
            continue;
        }
        catalog_partition *p = ARRAY_PUSH(t->partitions, t->npartitions);
        p->location = xstrdup(sp->location);
        for (size_t k = 0; k < sp->nvalues; k++)
            strv_push(&p->values, &p->nvalues, xstrdup(sp->values[k]));
        TL_ASSERT(p->nvalues == t->nkeys); /* the table's key signature */
        for (size_t k = 0; k < sp->nfiles; k++)
            crawl_file(cr, t, p, &sp->files[k], pidx, npidx, pt);
        if (p->nfiles == 0) { /* only bad files: not a partition */
            catalog_partition_release(p);
            t->npartitions--;
            continue;
        }
        for (size_t k = 0; k < p->nfiles; k++) {
            p->rows += p->files[k].rows;
            p->bytes += p->files[k].size;
        }
        t->rows += p->rows;
        t->bytes += p->bytes;
        t->files += (int64_t)p->nfiles;
        const catalog_partition *pp = prev_partition(pt, p->location);
        if (!pp)
            cr->st->partitions_added++;
        else if (same_files(p, pp))
            cr->st->partitions_unchanged++;
        else
            cr->st->partitions_changed++;
    }
    prefetch_free(cr);
    strv_free(sigs, nparts);
    scan_parts_free(parts, nparts);
    if (t->npartitions > 1)
        qsort(t->partitions, t->npartitions, sizeof(*t->partitions), partition_cmp);
    size_t nlive = t->npartitions;
    if (nlive == 0 && t->nkeys == 0 && pt)
        for (size_t k = 0; k < pt->nkeys; k++)
            catalog_column_push(&t->partition_keys, &t->nkeys, pt->partition_keys[k].name,
                                "VARCHAR");
    for (size_t i = 0; pt && i < pt->npartitions; i++) {
        const catalog_partition *pp = &pt->partitions[i];
        size_t j = 0;
        while (j < nlive && strcmp(t->partitions[j].location, pp->location) != 0)
            j++;
        if (j < nlive)
            continue;
        if (!pp->deprecated)
            cr->st->partitions_removed++;
        if (cr->opts->on_delete == CATALOG_DELETE_DELETE || pp->nvalues != t->nkeys)
            continue;
        catalog_partition *np = ARRAY_PUSH(t->partitions, t->npartitions);
        partition_copy(np, pp, t, pt);
        if (cr->opts->on_delete == CATALOG_DELETE_DEPRECATE) {
            /* Said at every crawl while it lasts, as --on-delete log's is:
             * said once, the next crawl would write a version only to drop
             * the warning. */
            warn(t, xprintf("partition '%s' is gone: deprecated", pp->location));
            np->deprecated = 1;
        } else {
            warn(t, xprintf("partition '%s' is gone: kept (--on-delete log)", pp->location));
            t->rows += np->rows;
            t->bytes += np->bytes;
            t->files += (int64_t)np->nfiles;
        }
    }
    if (t->npartitions > nlive)
        qsort(t->partitions, t->npartitions, sizeof(*t->partitions), partition_cmp);

    if (t->npartitions == 0) {
        /* No data now: keep what the previous version knew. */
        if (pt) {
            catalog_columns_free(t->partition_keys, t->nkeys);
            t->partition_keys = NULL;
            t->nkeys = 0;
            catalog_columns_append(&t->columns, &t->ncolumns, pt->columns, pt->ncolumns);
            catalog_columns_append(&t->partition_keys, &t->nkeys, pt->partition_keys, pt->nkeys);
            t->time_column = pt->time_column ? xstrdup(pt->time_column) : NULL;
        }
        return;
    }

    /* Partition key types from all values. */
    const char **vals = xmalloc(t->npartitions * sizeof(*vals));
    for (size_t k = 0; k < t->nkeys; k++) {
        for (size_t i = 0; i < t->npartitions; i++)
            vals[i] = t->partitions[i].values[k];
        free(t->partition_keys[k].type);
        t->partition_keys[k].type = xstrdup(catalog_key_type(vals, t->npartitions));
    }
    free(vals);

    resolve_columns(t);
    if (cr->opts->on_change == CATALOG_CHANGE_LOG && pt && pt->ncolumns > 0)
        keep_columns(t, pt);

    const char *tcol = find_time_column(t->columns, t->ncolumns);
    if (tcol) {
        t->time_column = xstrdup(tcol);
        int all = 1, any = 0;
        for (size_t i = 0; i < t->npartitions && all; i++) {
            for (size_t j = 0; !t->partitions[i].deprecated && j < t->partitions[i].nfiles; j++) {
                const catalog_file *f = &t->partitions[i].files[j];
                if (f->rows == 0)
                    continue;
                if (!f->has_time) {
                    all = 0;
                    break;
                }
                if (!any || f->min_time_ns < t->min_time_ns)
                    t->min_time_ns = f->min_time_ns;
                if (!any || f->max_time_ns > t->max_time_ns)
                    t->max_time_ns = f->max_time_ns;
                any = 1;
            }
        }
        t->has_time = all && any;
    }
}

static int table_cmp(const void *a, const void *b)
{
    return strcmp(((const catalog_table *)a)->name, ((const catalog_table *)b)->name);
}

/* A deep copy of table from into t, without its warnings: those of the old
 * version are not carried over. */
static void table_copy(catalog_table *t, const catalog_table *from)
{
    catalog_table_copy(t, from);
    strv_free(t->warnings, t->nwarnings);
    t->warnings = NULL;
    t->nwarnings = 0;
}

/* The highest version kept in _catalog/versions (0 if none). */
static int64_t max_kept_version(const char *root)
{
    char *dir = lake_abs(root, CATALOG_DIR "/versions");
    dir_entry *ents;
    size_t n;
    int64_t max = 0;
    char err[256];
    if (list_dir(dir, &ents, &n, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < n; i++) {
            char num[32];
            int64_t v;
            size_t len = strlen(ents[i].name);
            if (!str_ends_with(ents[i].name, ".json") || len - 5 >= sizeof(num))
                continue;
            memcpy(num, ents[i].name, len - 5);
            num[len - 5] = '\0';
            if (parse_int64(num, 1, INT64_MAX, &v) == 0 && v > max)
                max = v;
        }
        dir_entries_free(ents, n);
    }
    free(dir);
    return max;
}

static int write_catalog(const char *root, catalog *c, char *errstr, size_t errstr_size)
{
    buf json = {0};
    catalog_to_json(c, &json);
    char *vdir = lake_abs(root, CATALOG_DIR "/versions");
    char *vpath = xprintf("%s/%" PRId64 ".json", vdir, c->version);
    char *cpath = lake_abs(root, CATALOG_DIR "/catalog.json");
    /* The version file first: catalog.json never names a version that is not kept. */
    int rc = mkdir_p(vdir, errstr, errstr_size);
    if (rc == 0)
        rc = write_file_atomic(vpath, json.data, json.len, errstr, errstr_size);
    if (rc == 0)
        rc = write_file_atomic(cpath, json.data, json.len, errstr, errstr_size);
    free(vdir);
    free(vpath);
    free(cpath);
    buf_release(&json);
    return rc;
}

int catalog_crawl(engine *e, const char *lake, catalog_crawl_stats *st_out, char *errstr,
                  size_t errstr_size)
{
    return catalog_crawl_ext(e, lake, NULL, st_out, errstr, errstr_size);
}

int catalog_crawl_ext(engine *e, const char *lake, const catalog_crawl_opts *opts_in,
                      catalog_crawl_stats *st_out, char *errstr, size_t errstr_size)
{
    static const catalog_crawl_opts defaults = {CATALOG_CHANGE_UPDATE, CATALOG_DELETE_DELETE, NULL};
    const catalog_crawl_opts *opts = opts_in ? opts_in : &defaults;
    catalog_crawl_stats st_local;
    catalog_crawl_stats *st = st_out ? st_out : &st_local;
    memset(st, 0, sizeof(*st));
    char *root = lake_root(lake);
    dir_entry *tops = NULL;
    size_t ntops = 0;
    catalog *prev = NULL, *c = NULL;
    prev_file *pidx = NULL;
    size_t npidx = 0;
    int lock_fd = -1, rc = -1;

    if (list_dir(root, &tops, &ntops, errstr, errstr_size) != 0)
        goto done;
    char *cdir = lake_abs(root, CATALOG_DIR);
    char *lock = lake_abs(root, CATALOG_DIR "/.lock");
    int locked = mkdir_p(cdir, errstr, errstr_size) == 0 &&
                 fs_lock(lock, &lock_fd, errstr, errstr_size) == 0;
    free(cdir);
    free(lock);
    if (!locked)
        goto done;
    char *cpath = lake_abs(root, CATALOG_DIR "/catalog.json");
    int have_prev = path_exists(cpath);
    free(cpath);
    if (have_prev && catalog_load(root, &prev, errstr, errstr_size) != 0)
        goto done;
    pidx = prev_index(prev, &npidx);

    c = xcalloc(1, sizeof(*c));
    c->database = xstrdup(opts->database           ? opts->database
                          : prev && prev->database ? prev->database
                                                   : CATALOG_DATABASE);
    crawl cr = {e, root, prev, st, errstr, errstr_size, opts, NULL, 0};
    for (size_t i = 0; i < ntops; i++) {
        if (!tops[i].is_dir) {
            st->files_ignored++;
            continue;
        }
        if (lake_name_is_hidden(tops[i].name))
            continue;
        catalog_table *t = ARRAY_PUSH(c->tables, c->ntables);
        t->name = xstrdup(tops[i].name);
        t->location = xstrdup(tops[i].name);
        const catalog_table *pt = catalog_find_table(prev, t->name);
        if (!pt)
            st->tables_added++;
        crawl_table(&cr, t, pt, pidx, npidx);
    }
    for (size_t i = 0; prev && i < prev->ntables; i++) {
        const catalog_table *pt = &prev->tables[i];
        if (catalog_find_table(c, pt->name))
            continue;
        if (!pt->deprecated) {
            st->tables_removed++;
            st->partitions_removed += pt->npartitions;
        }
        if (opts->on_delete == CATALOG_DELETE_DELETE)
            continue;
        catalog_table *t = ARRAY_PUSH(c->tables, c->ntables);
        table_copy(t, pt);
        if (opts->on_delete == CATALOG_DELETE_DEPRECATE) {
            warn(t, xprintf("table folder '%s' is gone: deprecated", pt->location));
            t->deprecated = 1;
            for (size_t k = 0; k < t->npartitions; k++)
                t->partitions[k].deprecated = 1;
            t->rows = t->bytes = t->files = 0;
        } else {
            warn(t, xprintf("table folder '%s' is gone: kept (--on-delete log)", pt->location));
        }
    }
    if (c->ntables > 1)
        qsort(c->tables, c->ntables, sizeof(*c->tables), table_cmp);

    st->tables = c->ntables;
    st->warnings = c->nwarnings;
    for (size_t i = 0; i < c->ntables; i++) {
        const catalog_table *t = &c->tables[i];
        st->partitions += t->npartitions;
        st->files += (size_t)t->files;
        st->rows += t->rows;
        st->bytes += t->bytes;
        st->warnings += t->nwarnings;
    }

    /* Write a new version only when the content changed. */
    int changed = 1;
    if (prev) {
        buf a = {0}, b = {0};
        catalog_body_to_json(prev, &a);
        catalog_body_to_json(c, &b);
        changed = a.len != b.len || memcmp(a.data, b.data, a.len) != 0 ||
                  strcmp(prev->database ? prev->database : "", c->database) != 0;
        buf_release(&a);
        buf_release(&b);
    }
    if (!changed) {
        st->version = prev->version;
        rc = 0;
        goto done;
    }
    int64_t kept = max_kept_version(root);
    c->version = (prev && prev->version > kept ? prev->version : kept) + 1;
    TL_ASSERT(c->version > (prev ? prev->version : 0)); /* versions only grow */
    c->crawled_at_ns = now_ns();
    if (write_catalog(root, c, errstr, errstr_size) != 0)
        goto done;
    st->version = c->version;
    st->written = 1;
    rc = 0;
done:
    fs_unlock(lock_fd);
    free(pidx);
    catalog_free(prev);
    catalog_free(c);
    dir_entries_free(tops, ntops);
    free(root);
    return rc;
}
