/* catalog.c - the lake crawler, the catalog model and its JSON, and views over the lake; see
 * catalog.h. */
#include "catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "civil.h"
#include "json.h"
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

/* --- The model ---------------------------------------------------------- */

static void columns_free(catalog_column *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].name);
        free(c[i].type);
    }
    free(c);
}

static void partition_release(catalog_partition *p)
{
    strv_free(p->values, p->nvalues);
    free(p->location);
    for (size_t i = 0; i < p->nfiles; i++)
        free(p->files[i].path);
    free(p->files);
}

static void table_release(catalog_table *t)
{
    free(t->name);
    free(t->location);
    free(t->format);
    columns_free(t->columns, t->ncolumns);
    columns_free(t->partition_keys, t->nkeys);
    for (size_t i = 0; i < t->npartitions; i++)
        partition_release(&t->partitions[i]);
    free(t->partitions);
    for (size_t i = 0; i < t->nschemas; i++)
        columns_free(t->schemas[i].columns, t->schemas[i].ncolumns);
    free(t->schemas);
    for (size_t i = 0; i < t->nbad_files; i++) {
        free(t->bad_files[i].path);
        free(t->bad_files[i].error);
    }
    free(t->bad_files);
    free(t->time_column);
    strv_free(t->warnings, t->nwarnings);
}

void catalog_free(catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ntables; i++)
        table_release(&c->tables[i]);
    free(c->tables);
    free(c->database);
    strv_free(c->warnings, c->nwarnings);
    free(c);
}

const catalog_table *catalog_find_table(const catalog *c, const char *name)
{
    for (size_t i = 0; c && i < c->ntables; i++)
        if (strcmp(c->tables[i].name, name) == 0)
            return &c->tables[i];
    return NULL;
}

static void column_push(catalog_column **cols, size_t *n, const char *name, const char *type)
{
    catalog_column *c = ARRAY_PUSH(*cols, *n);
    c->name = xstrdup(name);
    c->type = xstrdup(type);
}

static int columns_equal(const catalog_column *a, size_t na, const catalog_column *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].name, b[i].name) != 0 || strcmp(a[i].type, b[i].type) != 0)
            return 0;
    return 1;
}

/* The index of the schema equal to cols in t, added (copied) if new. */
static size_t schema_intern(catalog_table *t, const catalog_column *cols, size_t n)
{
    for (size_t i = 0; i < t->nschemas; i++)
        if (columns_equal(t->schemas[i].columns, t->schemas[i].ncolumns, cols, n))
            return i;
    catalog_schema *s = ARRAY_PUSH(t->schemas, t->nschemas);
    for (size_t i = 0; i < n; i++)
        column_push(&s->columns, &s->ncolumns, cols[i].name, cols[i].type);
    return t->nschemas - 1;
}

void catalog_partition_copy(catalog_partition *p, const catalog_partition *from)
{
    memset(p, 0, sizeof(*p));
    p->location = xstrdup(from->location);
    p->deprecated = from->deprecated;
    for (size_t k = 0; k < from->nvalues; k++)
        strv_push(&p->values, &p->nvalues, xstrdup(from->values[k]));
    for (size_t k = 0; k < from->nfiles; k++) {
        catalog_file *f = ARRAY_PUSH(p->files, p->nfiles);
        *f = from->files[k];
        f->path = xstrdup(from->files[k].path);
    }
    p->rows = from->rows;
    p->bytes = from->bytes;
}

void catalog_table_copy(catalog_table *t, const catalog_table *from)
{
    memset(t, 0, sizeof(*t));
    t->name = xstrdup(from->name);
    t->location = xstrdup(from->location);
    t->format = xstrdup(from->format);
    t->deprecated = from->deprecated;
    for (size_t i = 0; i < from->ncolumns; i++)
        column_push(&t->columns, &t->ncolumns, from->columns[i].name, from->columns[i].type);
    for (size_t i = 0; i < from->nkeys; i++)
        column_push(&t->partition_keys, &t->nkeys, from->partition_keys[i].name,
                    from->partition_keys[i].type);
    for (size_t i = 0; i < from->npartitions; i++)
        catalog_partition_copy(ARRAY_PUSH(t->partitions, t->npartitions), &from->partitions[i]);
    for (size_t i = 0; i < from->nschemas; i++) {
        const catalog_schema *fs = &from->schemas[i];
        catalog_schema *s = ARRAY_PUSH(t->schemas, t->nschemas);
        for (size_t j = 0; j < fs->ncolumns; j++)
            column_push(&s->columns, &s->ncolumns, fs->columns[j].name, fs->columns[j].type);
    }
    for (size_t i = 0; i < from->nbad_files; i++) {
        catalog_bad_file *b = ARRAY_PUSH(t->bad_files, t->nbad_files);
        *b = from->bad_files[i];
        b->path = xstrdup(from->bad_files[i].path);
        b->error = xstrdup(from->bad_files[i].error);
    }
    t->rows = from->rows;
    t->bytes = from->bytes;
    t->files = from->files;
    t->time_column = xstrdup(from->time_column);
    t->has_time = from->has_time;
    t->min_time_ns = from->min_time_ns;
    t->max_time_ns = from->max_time_ns;
    for (size_t i = 0; i < from->nwarnings; i++)
        strv_push(&t->warnings, &t->nwarnings, xstrdup(from->warnings[i]));
}

/* --- Types -------------------------------------------------------------- */

/* Integer types: rank of the smallest signed type holding the type's values
 * (TINYINT 1 .. BIGINT 4, HUGEINT 5), and whether it is unsigned. */
static int int_rank(const char *t, int *is_unsigned)
{
    static const struct {
        const char *name;
        int rank, is_unsigned;
    } ints[] = {{"TINYINT", 1, 0},   {"SMALLINT", 2, 0}, {"INTEGER", 3, 0},
                {"BIGINT", 4, 0},    {"HUGEINT", 5, 0},  {"UTINYINT", 2, 1},
                {"USMALLINT", 3, 1}, {"UINTEGER", 4, 1}, {"UBIGINT", 5, 1}};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (strcmp(t, ints[i].name) == 0) {
            *is_unsigned = ints[i].is_unsigned;
            return ints[i].rank;
        }
    }
    return 0;
}

static int is_float_or_decimal(const char *t)
{
    return strcmp(t, "FLOAT") == 0 || strcmp(t, "DOUBLE") == 0 || strncmp(t, "DECIMAL", 7) == 0;
}

/* DATE 1, TIMESTAMP_S 2, TIMESTAMP_MS 3, TIMESTAMP 4, TIMESTAMP_NS 5, else 0. */
static int time_rank(const char *t)
{
    static const char *const names[] = {"DATE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP",
                                        "TIMESTAMP_NS"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(t, names[i]) == 0)
            return (int)i + 1;
    return 0;
}

const char *catalog_supertype(const char *a, const char *b)
{
    static const char *const signed_names[] = {"",        "TINYINT", "SMALLINT",
                                               "INTEGER", "BIGINT",  "HUGEINT"};
    if (strcmp(a, b) == 0)
        return a;
    int ua = 0, ub = 0;
    int ra = int_rank(a, &ua), rb = int_rank(b, &ub);
    if (ra && rb) {
        if (ua && ub) /* both unsigned: the wider one */
            return ra >= rb ? a : b;
        return signed_names[ra > rb ? ra : rb];
    }
    if ((ra || is_float_or_decimal(a)) && (rb || is_float_or_decimal(b)))
        return "DOUBLE";
    int ta = time_rank(a), tb = time_rank(b);
    if (ta && tb)
        return ta >= tb ? a : b;
    return "VARCHAR";
}

static int is_date_value(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    return d >= 1 && (unsigned)d <= civil_month_days(y, m);
}

const char *catalog_key_type(const char *const *values, size_t n)
{
    int all_dates = n > 0, all_ints = n > 0;
    for (size_t i = 0; i < n && (all_dates || all_ints); i++) {
        int64_t v;
        all_dates = all_dates && is_date_value(values[i]);
        all_ints = all_ints && parse_int64(values[i], INT64_MIN, INT64_MAX, &v) == 0;
    }
    return all_dates ? "DATE" : all_ints ? "BIGINT" : "VARCHAR";
}

/* --- JSON out ----------------------------------------------------------- */

/* ns since the epoch as "YYYY-MM-DDTHH:MM:SS[.fraction]Z". */
static void put_iso_time(buf *b, int64_t ns)
{
    int64_t secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC;
    if (frac < 0) {
        secs--;
        frac += NS_PER_SEC;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
               tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (frac) {
        char f[16];
        snprintf(f, sizeof(f), "%09" PRId64, frac);
        size_t n = 9;
        while (f[n - 1] == '0')
            n--;
        buf_putc(b, '.');
        buf_append(b, f, n);
    }
    buf_putc(b, 'Z');
}

static void put_str(buf *b, const char *s)
{
    buf_put_json_str(b, s, strlen(s));
}

static void put_columns(buf *b, const catalog_column *cols, size_t n)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, i ? ", {\"name\": " : "{\"name\": ");
        put_str(b, cols[i].name);
        buf_puts(b, ", \"type\": ");
        put_str(b, cols[i].type);
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
}

static void put_strings(buf *b, char *const *v, size_t n)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ", ");
        put_str(b, v[i]);
    }
    buf_putc(b, ']');
}

static void put_table(buf *b, const catalog_table *t)
{
    buf_puts(b, "    {\"name\": ");
    put_str(b, t->name);
    buf_puts(b, ", \"location\": ");
    put_str(b, t->location);
    if (t->format && strcmp(t->format, "parquet") != 0) {
        buf_puts(b, ", \"format\": ");
        put_str(b, t->format);
    }
    if (t->deprecated)
        buf_puts(b, ", \"deprecated\": true");
    buf_puts(b, ",\n     \"columns\": ");
    put_columns(b, t->columns, t->ncolumns);
    buf_puts(b, ",\n     \"partition_keys\": ");
    put_columns(b, t->partition_keys, t->nkeys);
    buf_printf(b, ",\n     \"rows\": %" PRId64 ", \"bytes\": %" PRId64 ", \"files\": %" PRId64,
               t->rows, t->bytes, t->files);
    if (t->time_column) {
        buf_puts(b, ",\n     \"time_column\": ");
        put_str(b, t->time_column);
        if (t->has_time) {
            buf_printf(b, ", \"min_time_ns\": %" PRId64 ", \"max_time_ns\": %" PRId64,
                       t->min_time_ns, t->max_time_ns);
            buf_puts(b, ", \"min_time\": \"");
            put_iso_time(b, t->min_time_ns);
            buf_puts(b, "\", \"max_time\": \"");
            put_iso_time(b, t->max_time_ns);
            buf_putc(b, '"');
        }
    }
    buf_puts(b, ",\n     \"schemas\": [");
    for (size_t i = 0; i < t->nschemas; i++) {
        buf_puts(b, i ? ",\n       " : "\n       ");
        put_columns(b, t->schemas[i].columns, t->schemas[i].ncolumns);
    }
    buf_puts(b, "],\n     \"partitions\": [");
    for (size_t i = 0; i < t->npartitions; i++) {
        const catalog_partition *p = &t->partitions[i];
        buf_puts(b, i ? ",\n       {\"values\": " : "\n       {\"values\": ");
        put_strings(b, p->values, p->nvalues);
        buf_puts(b, ", \"location\": ");
        put_str(b, p->location);
        if (p->deprecated)
            buf_puts(b, ", \"deprecated\": true");
        buf_printf(b, ", \"rows\": %" PRId64 ", \"bytes\": %" PRId64 ", \"files\": [", p->rows,
                   p->bytes);
        for (size_t j = 0; j < p->nfiles; j++) {
            const catalog_file *f = &p->files[j];
            buf_puts(b, j ? ",\n         {\"path\": " : "\n         {\"path\": ");
            put_str(b, f->path);
            buf_printf(b,
                       ", \"size\": %" PRId64 ", \"mtime_ns\": %" PRId64 ", \"rows\": %" PRId64
                       ", \"schema\": %zu",
                       f->size, f->mtime_ns, f->rows, f->schema);
            if (f->has_time)
                buf_printf(b, ", \"min_time_ns\": %" PRId64 ", \"max_time_ns\": %" PRId64,
                           f->min_time_ns, f->max_time_ns);
            buf_putc(b, '}');
        }
        buf_puts(b, "]}");
    }
    buf_puts(b, "],\n     \"bad_files\": [");
    for (size_t i = 0; i < t->nbad_files; i++) {
        const catalog_bad_file *f = &t->bad_files[i];
        buf_puts(b, i ? ",\n       {\"path\": " : "\n       {\"path\": ");
        put_str(b, f->path);
        buf_printf(b, ", \"size\": %" PRId64 ", \"mtime_ns\": %" PRId64 ", \"error\": ", f->size,
                   f->mtime_ns);
        put_str(b, f->error);
        buf_putc(b, '}');
    }
    buf_puts(b, "],\n     \"warnings\": ");
    put_strings(b, t->warnings, t->nwarnings);
    buf_putc(b, '}');
}

/* The catalog without its version and crawl time: equal bodies mean nothing
 * changed. */
static void put_body(buf *b, const catalog *c)
{
    buf_puts(b, "  \"tables\": [");
    for (size_t i = 0; i < c->ntables; i++) {
        buf_puts(b, i ? ",\n" : "\n");
        put_table(b, &c->tables[i]);
    }
    buf_puts(b, "],\n  \"warnings\": ");
    put_strings(b, c->warnings, c->nwarnings);
    buf_putc(b, '\n');
}

void catalog_to_json(const catalog *c, buf *out)
{
    buf_puts(out, "{\n  \"format\": \"" CATALOG_FORMAT "\",\n  \"database\": ");
    put_str(out, c->database ? c->database : CATALOG_DATABASE);
    buf_printf(out, ",\n  \"version\": %" PRId64 ",\n  \"crawled_at\": \"", c->version);
    put_iso_time(out, c->crawled_at_ns);
    buf_printf(out, "\",\n  \"crawled_at_ns\": %" PRId64 ",\n", c->crawled_at_ns);
    put_body(out, c);
    buf_puts(out, "}\n");
}

/* --- JSON in ------------------------------------------------------------ */

typedef struct parse_ctx {
    char *errstr;
    size_t errstr_size;
} parse_ctx;

static int bad(parse_ctx *px, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(parse_ctx *px, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return set_err(px->errstr, px->errstr_size, "invalid catalog: %s", msg);
}

static const json_value *get_array(const json_value *obj, const char *key)
{
    const json_value *v = json_get(obj, key);
    return v && v->type == JSON_ARRAY ? v : NULL;
}

static int64_t get_int_or(const json_value *obj, const char *key, int64_t dflt)
{
    int64_t v;
    return json_get_int(obj, key, &v) == 0 ? v : dflt;
}

static int parse_columns(parse_ctx *px, const json_value *arr, catalog_column **out, size_t *n,
                         const char *where)
{
    if (!arr)
        return 0;
    if (arr->type != JSON_ARRAY)
        return bad(px, "%s: columns are not an array", where);
    for (const json_value *c = arr->child; c; c = c->next) {
        const char *name = json_get_str(c, "name"), *type = json_get_str(c, "type");
        if (!name || !type)
            return bad(px, "%s: a column lacks its name or type", where);
        column_push(out, n, name, type);
    }
    return 0;
}

static int parse_strings(parse_ctx *px, const json_value *arr, char ***out, size_t *n,
                         const char *where)
{
    if (!arr)
        return 0;
    for (const json_value *s = arr->child; s; s = s->next) {
        if (s->type != JSON_STRING)
            return bad(px, "%s: an item is not a string", where);
        strv_push(out, n, xstrdup(s->str));
    }
    return 0;
}

static int parse_table(parse_ctx *px, const json_value *jt, catalog_table *t)
{
    const char *name = json_get_str(jt, "name");
    if (!name)
        return bad(px, "a table has no name");
    t->name = xstrdup(name);
    const char *loc = json_get_str(jt, "location");
    t->location = xstrdup(loc ? loc : name);
    const char *fmt = json_get_str(jt, "format");
    t->format = xstrdup(fmt ? fmt : "parquet");
    const json_value *dep = json_get(jt, "deprecated");
    t->deprecated = dep && dep->type == JSON_TRUE;
    char where[300];
    snprintf(where, sizeof(where), "table '%s'", name);
    if (parse_columns(px, json_get(jt, "columns"), &t->columns, &t->ncolumns, where) != 0 ||
        parse_columns(px, json_get(jt, "partition_keys"), &t->partition_keys, &t->nkeys, where) !=
            0 ||
        parse_strings(px, get_array(jt, "warnings"), &t->warnings, &t->nwarnings, where) != 0)
        return -1;
    const char *tc = json_get_str(jt, "time_column");
    if (tc) {
        t->time_column = xstrdup(tc);
        t->has_time = json_get_int(jt, "min_time_ns", &t->min_time_ns) == 0 &&
                      json_get_int(jt, "max_time_ns", &t->max_time_ns) == 0;
    }
    const json_value *schemas = get_array(jt, "schemas");
    for (const json_value *s = schemas ? schemas->child : NULL; s; s = s->next) {
        catalog_schema *cs = ARRAY_PUSH(t->schemas, t->nschemas);
        if (parse_columns(px, s, &cs->columns, &cs->ncolumns, where) != 0)
            return -1;
    }
    const json_value *parts = get_array(jt, "partitions");
    for (const json_value *jp = parts ? parts->child : NULL; jp; jp = jp->next) {
        catalog_partition *p = ARRAY_PUSH(t->partitions, t->npartitions);
        const char *ploc = json_get_str(jp, "location");
        if (!ploc)
            return bad(px, "%s: a partition has no location", where);
        p->location = xstrdup(ploc);
        const json_value *pdep = json_get(jp, "deprecated");
        p->deprecated = pdep && pdep->type == JSON_TRUE;
        snprintf(where, sizeof(where), "partition '%s'", ploc);
        const json_value *values = get_array(jp, "values");
        if (parse_strings(px, values, &p->values, &p->nvalues, where) != 0)
            return -1;
        if (p->nvalues != t->nkeys)
            return bad(px, "%s: %zu values for %zu partition keys", where, p->nvalues, t->nkeys);
        const json_value *files = get_array(jp, "files");
        for (const json_value *jf = files ? files->child : NULL; jf; jf = jf->next) {
            const char *path = json_get_str(jf, "path");
            int64_t schema = get_int_or(jf, "schema", 0);
            if (!path)
                return bad(px, "%s: a file has no path", where);
            if (schema < 0 || (size_t)schema >= (t->nschemas ? t->nschemas : 1))
                return bad(px, "%s: file '%s' has no schema %" PRId64, where, path, schema);
            catalog_file *f = ARRAY_PUSH(p->files, p->nfiles);
            f->path = xstrdup(path);
            f->size = get_int_or(jf, "size", 0);
            f->mtime_ns = get_int_or(jf, "mtime_ns", 0);
            f->rows = get_int_or(jf, "rows", 0);
            f->schema = (size_t)schema;
            f->has_time = json_get_int(jf, "min_time_ns", &f->min_time_ns) == 0 &&
                          json_get_int(jf, "max_time_ns", &f->max_time_ns) == 0;
            p->rows += f->rows;
            p->bytes += f->size;
        }
        if (!p->deprecated) {
            t->rows += p->rows;
            t->bytes += p->bytes;
            t->files += (int64_t)p->nfiles;
        }
    }
    const json_value *badf = get_array(jt, "bad_files");
    for (const json_value *jb = badf ? badf->child : NULL; jb; jb = jb->next) {
        const char *path = json_get_str(jb, "path"), *err = json_get_str(jb, "error");
        if (!path)
            return bad(px, "table '%s': a bad file has no path", name);
        catalog_bad_file *f = ARRAY_PUSH(t->bad_files, t->nbad_files);
        f->path = xstrdup(path);
        f->size = get_int_or(jb, "size", 0);
        f->mtime_ns = get_int_or(jb, "mtime_ns", 0);
        f->error = xstrdup(err ? err : "");
    }
    return 0;
}

int catalog_parse(const char *text, size_t len, catalog **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    parse_ctx px = {errstr, errstr_size};
    json_doc *doc = json_parse(text, len, errstr, errstr_size);
    if (!doc)
        return -1;
    const json_value *root = json_root(doc);
    catalog *c = xcalloc(1, sizeof(*c));
    int rc = 0;
    const char *db = json_get_str(root, "database");
    c->database = xstrdup(db ? db : CATALOG_DATABASE);
    c->crawled_at_ns = get_int_or(root, "crawled_at_ns", 0);
    const json_value *tables = get_array(root, "tables");
    if (!root || root->type != JSON_OBJECT)
        rc = bad(&px, "not a JSON object");
    else if (json_get_int(root, "version", &c->version) != 0 || c->version < 1)
        rc = bad(&px, "no valid \"version\"");
    else if (!tables)
        rc = bad(&px, "no \"tables\" array");
    for (const json_value *jt = tables ? tables->child : NULL; rc == 0 && jt; jt = jt->next)
        rc = parse_table(&px, jt, ARRAY_PUSH(c->tables, c->ntables));
    if (rc == 0)
        rc =
            parse_strings(&px, get_array(root, "warnings"), &c->warnings, &c->nwarnings, "catalog");
    json_doc_free(doc);
    if (rc != 0) {
        catalog_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

static int load_path(const char *path, catalog **out, char *errstr, size_t errstr_size)
{
    buf text = {0};
    if (read_file(path, &text, errstr, errstr_size) != 0) {
        buf_release(&text);
        return -1;
    }
    char err[400];
    int rc = catalog_parse(text.data, text.len, out, err, sizeof(err));
    if (rc != 0)
        set_err(errstr, errstr_size, "unable to load '%s': %s", path, err);
    buf_release(&text);
    return rc;
}

int catalog_load(const char *lake, catalog **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    char *root = lake_abs(lake, CATALOG_DIR "/catalog.json");
    int rc;
    if (!path_exists(root))
        rc = set_err(errstr, errstr_size, "no catalog in '%s': run 'ticklake crawl' first", lake);
    else
        rc = load_path(root, out, errstr, errstr_size);
    free(root);
    return rc;
}

int catalog_load_version(const char *lake, int64_t version, catalog **out, char *errstr,
                         size_t errstr_size)
{
    *out = NULL;
    char *path = xprintf("%s/" CATALOG_DIR "/versions/%" PRId64 ".json", lake, version);
    int rc;
    if (!path_exists(path))
        rc = set_err(errstr, errstr_size, "no catalog version %" PRId64 " in '%s'", version, lake);
    else
        rc = load_path(path, out, errstr, errstr_size);
    free(path);
    return rc;
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
} footer;

static int describe_cb(void *opaque, size_t ncols, const char *const *names,
                       const char *const *values)
{
    footer *f = opaque;
    if (ncols < 2 || !values[0] || !values[1])
        return 0;
    column_push(&f->cols, &f->ncols, values[0], values[1]);
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

static int is_time_type(const char *type)
{
    return time_rank(type) != 0 || strcmp(type, "TIMESTAMP WITH TIME ZONE") == 0;
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
            if (strcmp(cols[i].name, time_column_names[k]) == 0 && is_time_type(cols[i].type))
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
        columns_free(f->cols, f->ncols);
        memset(f, 0, sizeof(*f));
        buf_reset(&reader);
        put_text_reader(&reader, format, lit.data, attempt == 0 ? CATALOG_SAMPLE_ROWS : -1);
        buf_reset(&sql);
        buf_printf(&sql, "DESCRIBE SELECT * FROM %s", reader.data);
        rc = engine_query_rows(e, sql.data, describe_cb, f, errstr, errstr_size);
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
        columns_free(f->cols, f->ncols);
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
        columns_free(f->cols, f->ncols);
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
        columns_free(cr->pre[i].f.cols, cr->pre[i].f.ncols);
        columns_free(cr->pre[i].set, cr->pre[i].nset);
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
        } else if (!values[1] || !values[2]) {
            e->complex = 1;
        } else {
            column_push(&e->set, &e->nset, values[1], values[2]);
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
            for (size_t j = 0; j < known[k].ncolumns; j++)
                column_push(&e->f.cols, &e->f.ncols, known[k].columns[j].name,
                            known[k].columns[j].type);
            continue;
        }
        buf_reset(&sql);
        buf d = {0};
        engine_quote_literal(&d, e->abs);
        buf_printf(&sql, "DESCRIBE SELECT * FROM read_parquet(%s, hive_partitioning = false)",
                   d.data);
        buf_release(&d);
        footer tmp = {0};
        if (engine_query_rows(cr->e, sql.data, describe_cb, &tmp, err, sizeof(err)) != 0) {
            columns_free(tmp.cols, tmp.ncols);
            e->complex = 2; /* unreadable: the one-file path reports it */
            continue;
        }
        e->f.cols = tmp.cols;
        e->f.ncols = tmp.ncols;
        catalog_schema *ns = ARRAY_PUSH(known, nknown);
        ns->columns = NULL;
        ns->ncolumns = 0;
        for (size_t j = 0; j < tmp.ncols; j++)
            column_push(&ns->columns, &ns->ncolumns, tmp.cols[j].name, tmp.cols[j].type);
    }
    for (size_t k = nborrowed; k < nknown; k++)
        columns_free(known[k].columns, known[k].ncolumns);
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
            columns_free(v[i].f.cols, v[i].f.ncols);
            columns_free(v[i].set, v[i].nset);
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
        f->schema = schema_intern(t, s ? s->columns : NULL, s ? s->ncolumns : 0);
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
            f->schema = schema_intern(t, ft.cols, ft.ncols);
            f->has_time = ft.has_time;
            f->min_time_ns = ft.min_time_ns;
            f->max_time_ns = ft.max_time_ns;
            columns_free(ft.cols, ft.ncols);
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
                    column_push(&t->columns, &t->ncolumns, c->name, c->type);
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
        f->schema = schema_intern(t, sc ? sc->columns : NULL, sc ? sc->ncolumns : 0);
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
    columns_free(t->columns, t->ncolumns);
    t->columns = NULL;
    t->ncolumns = 0;
    for (size_t j = 0; j < pt->ncolumns; j++)
        column_push(&t->columns, &t->ncolumns, pt->columns[j].name, pt->columns[j].type);
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
            column_push(&t->partition_keys, &t->nkeys, parts[best].keys[k], "VARCHAR");
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
        for (size_t k = 0; k < sp->nfiles; k++)
            crawl_file(cr, t, p, &sp->files[k], pidx, npidx, pt);
        if (p->nfiles == 0) { /* only bad files: not a partition */
            partition_release(p);
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
            column_push(&t->partition_keys, &t->nkeys, pt->partition_keys[k].name, "VARCHAR");
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
            if (!pp->deprecated)
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
            columns_free(t->partition_keys, t->nkeys);
            t->partition_keys = NULL;
            t->nkeys = 0;
            for (size_t i = 0; i < pt->ncolumns; i++)
                column_push(&t->columns, &t->ncolumns, pt->columns[i].name, pt->columns[i].type);
            for (size_t i = 0; i < pt->nkeys; i++)
                column_push(&t->partition_keys, &t->nkeys, pt->partition_keys[i].name,
                            pt->partition_keys[i].type);
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
            if (!t->deprecated)
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
        put_body(&a, prev);
        put_body(&b, c);
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

/* --- Views -------------------------------------------------------------- */

/* 1 if folder abs holds a data file now. */
static int has_data_now(const char *abs)
{
    dir_entry *ents;
    size_t n;
    char err[256];
    if (list_dir(abs, &ents, &n, err, sizeof(err)) != 0)
        return 0;
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        found = !ents[i].is_dir && lake_name_is_parquet_data(ents[i].name);
    dir_entries_free(ents, n);
    return found;
}

/* Appends to sql the Parquet files of folder abs that are not covered by a
 * compacted file (lakepath.h), when it holds a compacted ("~") file now;
 * returns how many, or 0 when it holds none (then a glob that leaves "~"
 * files out reads it: a compaction that commits later only adds a file the
 * glob does not match, and its sources stay until the grace period ends). */
static size_t put_compacted_sources(buf *sql, const char *abs, size_t n0)
{
    dir_entry *ents;
    size_t n, added = 0;
    char err[256];
    if (list_dir(abs, &ents, &n, err, sizeof(err)) != 0)
        return 0;
    int compacted = 0;
    for (size_t i = 0; i < n; i++)
        compacted |= !ents[i].is_dir && ents[i].name[0] == '~';
    const char **names = compacted ? xmalloc(n * sizeof(*names)) : NULL;
    for (size_t i = 0; compacted && i < n; i++)
        names[i] = ents[i].name;
    for (size_t i = 0; compacted && i < n; i++) {
        if (ents[i].is_dir || !lake_name_is_parquet_data(ents[i].name) ||
            lake_name_covered(ents[i].name, names, n))
            continue;
        char *path = xprintf("%s/%s", abs, ents[i].name);
        buf_puts(sql, n0 + added++ ? ", " : "");
        engine_quote_literal(sql, path);
        free(path);
    }
    free(names);
    dir_entries_free(ents, n);
    return added;
}

/* 1 if a known bad file lies directly in partition p. */
static int has_bad_file(const catalog_table *t, const catalog_partition *p)
{
    size_t n = strlen(p->location);
    for (size_t i = 0; i < t->nbad_files; i++) {
        const char *path = t->bad_files[i].path;
        if (strncmp(path, p->location, n) == 0 && path[n] == '/' && !strchr(path + n + 1, '/'))
            return 1;
    }
    return 0;
}

#define CATALOG_UNION_BY_NAME_MAX 64

/* The schema of the files of partition p: its files' common schema index,
 * or -1 when they differ. */
static long partition_schema(const catalog_partition *p)
{
    long k = p->nfiles ? (long)p->files[0].schema : -1;
    for (size_t j = 1; j < p->nfiles; j++)
        if ((long)p->files[j].schema != k)
            return -1;
    return k;
}

/* Appends the sources of branch k (schema k; -1 for all) of t: a glob per
 * Parquet partition whose files all have that schema and no bad file, else
 * the partition's files of that schema that exist now. Returns how many. */
static size_t put_sources(buf *sql, const char *root, const catalog_table *t, long k)
{
    size_t n = 0;
    int parquet = !t->format || strcmp(t->format, "parquet") == 0;
    for (size_t i = 0; i < t->npartitions; i++) {
        const catalog_partition *p = &t->partitions[i];
        if (p->deprecated)
            continue;
        long ps = partition_schema(p);
        if (parquet && !has_bad_file(t, p) && (k < 0 || ps == k)) {
            char *dir = lake_abs(root, p->location);
            size_t listed = put_compacted_sources(sql, dir, n);
            n += listed;
            if (!listed && has_data_now(dir)) {
                char *glob = xprintf("%s/[!._~]*.parquet", dir);
                buf_puts(sql, n++ ? ", " : "");
                engine_quote_literal(sql, glob);
                free(glob);
            }
            free(dir);
            continue;
        }
        for (size_t j = 0; j < p->nfiles; j++) {
            if (k >= 0 && (long)p->files[j].schema != k)
                continue;
            char *abs = lake_abs(root, p->files[j].path);
            if (path_exists(abs)) {
                buf_puts(sql, n++ ? ", " : "");
                engine_quote_literal(sql, abs);
            }
            free(abs);
        }
    }
    return n;
}

/* The type column name has in schema s, or NULL. */
static const char *schema_type(const catalog_schema *s, const char *name)
{
    for (size_t j = 0; s && j < s->ncolumns; j++)
        if (strcasecmp(s->columns[j].name, name) == 0)
            return s->columns[j].type;
    return NULL;
}

/* One SELECT over the files of schema k (-1: all of them, when the table has
 * one schema) projecting the catalog's columns in order: as read when the
 * type agrees, CAST when the catalog type is the supertype, TRY_CAST
 * otherwise (a type kept by --on-change log, or text formats), NULL when the
 * files lack the column; then the partition keys. 0 when no file is there. */
static int put_branch(buf *sql, const char *root, const catalog_table *t, long k)
{
    buf src = {0};
    size_t nsrc = put_sources(&src, root, t, k);
    if (nsrc == 0) {
        buf_release(&src);
        return 0;
    }
    const char *format = t->format ? t->format : "parquet";
    int text = strcmp(format, "parquet") != 0;
    const catalog_schema *s = k >= 0 ? &t->schemas[k] : (t->nschemas ? &t->schemas[0] : NULL);
    buf_puts(sql, "SELECT ");
    for (size_t i = 0; i < t->ncolumns; i++) {
        const catalog_column *c = &t->columns[i];
        const char *ft = schema_type(s, c->name);
        if (i)
            buf_puts(sql, ", ");
        if (!ft) {
            buf_printf(sql, "CAST(NULL AS %s)", c->type);
        } else if (strcmp(ft, c->type) == 0 && !text) {
            engine_quote_ident(sql, c->name);
        } else {
            int widening = !text && strcmp(catalog_supertype(ft, c->type), c->type) == 0;
            buf_puts(sql, widening ? "CAST(" : "TRY_CAST(");
            engine_quote_ident(sql, c->name);
            buf_printf(sql, " AS %s)", c->type);
        }
        buf_puts(sql, " AS ");
        engine_quote_ident(sql, c->name);
    }
    for (size_t i = 0; i < t->nkeys; i++) {
        buf_puts(sql, t->ncolumns + i ? ", " : "");
        engine_quote_ident(sql, t->partition_keys[i].name);
    }
    const char *reader = strcmp(format, "csv") == 0    ? "read_csv"
                         : strcmp(format, "json") == 0 ? "read_json"
                                                       : "read_parquet";
    /* Every file of a branch had the branch's schema when crawled, so the scan
     * needs no union_by_name, which would read every footer when the query is
     * planned (seconds over thousands of files). Small branches keep it, so a
     * file of another schema written after the crawl still reads. */
    buf_printf(sql, " FROM %s([%s], hive_partitioning = %s, union_by_name = %s", reader, src.data,
               t->nkeys ? "true" : "false",
               text || nsrc <= CATALOG_UNION_BY_NAME_MAX ? "true" : "false");
    if (strcmp(format, "csv") == 0)
        buf_puts(sql, ", header = true");
    if (strcmp(format, "json") == 0)
        buf_puts(sql, ", format = 'auto'");
    if (t->nkeys) {
        buf_puts(sql, ", hive_types = {");
        for (size_t j = 0; j < t->nkeys; j++) {
            if (j)
                buf_puts(sql, ", ");
            engine_quote_literal(sql, t->partition_keys[j].name);
            buf_puts(sql, ": ");
            engine_quote_literal(sql, t->partition_keys[j].type);
        }
        buf_putc(sql, '}');
    }
    buf_putc(sql, ')');
    buf_release(&src);
    return 1;
}

/* The view of a table: one branch when its files share one schema, else one
 * branch per schema joined by UNION ALL, so that no two files whose types
 * DuckDB cannot unify are ever read by one scan. */
static int create_view(engine *e, const char *root, const catalog_table *t, char *errstr,
                       size_t errstr_size)
{
    buf sql = {0};
    buf_puts(&sql, "CREATE OR REPLACE TEMP VIEW ");
    engine_quote_ident(&sql, t->name);
    buf_puts(&sql, " AS ");
    size_t nbranches = 0;
    if (t->nschemas <= 1) {
        nbranches = (size_t)put_branch(&sql, root, t, -1);
    } else {
        for (size_t k = 0; k < t->nschemas; k++) {
            size_t before = sql.len;
            if (nbranches)
                buf_puts(&sql, "\nUNION ALL ");
            if (put_branch(&sql, root, t, (long)k))
                nbranches++;
            else
                sql.len = before, sql.data[before] = '\0';
        }
    }
    if (nbranches == 0) {
        /* Nothing to read: an empty view with the catalog's columns. */
        buf_puts(&sql, "SELECT ");
        for (size_t i = 0; i < t->ncolumns + t->nkeys; i++) {
            const catalog_column *c =
                i < t->ncolumns ? &t->columns[i] : &t->partition_keys[i - t->ncolumns];
            buf_printf(&sql, "%sCAST(NULL AS %s) AS ", i ? ", " : "", c->type);
            engine_quote_ident(&sql, c->name);
        }
        buf_puts(&sql, " WHERE false");
    }
    char err[1024];
    int rc = engine_exec(e, sql.data, err, sizeof(err));
    if (rc != 0)
        set_err(errstr, errstr_size, "unable to create view '%s': %s", t->name, err);
    buf_release(&sql);
    return rc;
}

/* A view over a table whose files are not here: it fails when read. */
static int create_absent_view(engine *e, const catalog_table *t, const char *why, char *errstr,
                              size_t errstr_size)
{
    buf sql = {0}, msg = {0};
    buf_puts(&sql, "CREATE OR REPLACE TEMP VIEW ");
    engine_quote_ident(&sql, t->name);
    buf_puts(&sql, " AS SELECT ");
    for (size_t i = 0; i < t->ncolumns + t->nkeys; i++) {
        const catalog_column *c =
            i < t->ncolumns ? &t->columns[i] : &t->partition_keys[i - t->ncolumns];
        buf_printf(&sql, "%sCAST(NULL AS %s) AS ", i ? ", " : "", c->type);
        engine_quote_ident(&sql, c->name);
    }
    buf_printf(&msg, "table '%s' %s", t->name, why);
    buf_puts(&sql, " FROM range(1) WHERE error(");
    engine_quote_literal(&sql, msg.data);
    buf_puts(&sql, ") IS NULL");
    char err[1024];
    int rc = engine_exec(e, sql.data, err, sizeof(err));
    if (rc != 0)
        set_err(errstr, errstr_size, "unable to create view '%s': %s", t->name, err);
    buf_release(&sql);
    buf_release(&msg);
    return rc;
}

int catalog_attach_ext(engine *e, const char *lake, const char *const *absent, size_t nabsent,
                       const char *why, size_t *ntables, char *errstr, size_t errstr_size)
{
    if (ntables)
        *ntables = 0;
    char *root = lake_root(lake);
    catalog *c = NULL;
    int rc = catalog_load(root, &c, errstr, errstr_size);
    size_t n = 0;
    for (size_t i = 0; rc == 0 && c && i < c->ntables; i++) {
        const catalog_table *t = &c->tables[i];
        if (t->ncolumns == 0 && t->nkeys == 0)
            continue;
        int away = 0;
        for (size_t k = 0; k < nabsent && !away; k++)
            away = strcmp(absent[k], t->name) == 0;
        rc = away ? create_absent_view(e, t, why ? why : "is not available", errstr, errstr_size)
                  : create_view(e, root, t, errstr, errstr_size);
        n += rc == 0;
    }
    if (ntables)
        *ntables = n;
    catalog_free(c);
    free(root);
    return rc;
}

int catalog_attach(engine *e, const char *lake, size_t *ntables, char *errstr, size_t errstr_size)
{
    return catalog_attach_ext(e, lake, NULL, 0, NULL, ntables, errstr, errstr_size);
}

/* --- Analysis macros ---------------------------------------------------- */

/* Each macro takes optional named arguments that filter before grouping, so
 * the date range prunes partitions: sym := 'AAPL', from_date := DATE
 * '2026-01-02', to_date := DATE '2026-01-31' (both inclusive). `every` is
 * an INTERVAL of whole microseconds (1 ms .. days). Bars start at multiples of
 * the interval since the epoch, as the pipeline's bars do; open and close
 * follow event time with ties broken by trade id, and vwap is turnover /
 * volume clamped to [low, high], as DATA.md defines them. */
static const char *const trade_macros =
    "CREATE OR REPLACE TEMP MACRO tl_interval_ns(every) AS "
    "  epoch_us(TIMESTAMP '1970-01-01' + CAST(every AS INTERVAL)) * 1000;\n"
    "CREATE OR REPLACE TEMP MACRO tl_trades(sym := NULL, from_date := NULL, to_date := NULL) AS "
    "TABLE SELECT * FROM trades WHERE (sym IS NULL OR symbol = sym) "
    "  AND (from_date IS NULL OR date >= CAST(from_date AS DATE)) "
    "  AND (to_date IS NULL OR date <= CAST(to_date AS DATE));\n"
    "CREATE OR REPLACE TEMP MACRO ohlc(every, sym := NULL, from_date := NULL, to_date := NULL) AS "
    "TABLE WITH s AS (SELECT tl_interval_ns(every) AS step), "
    "b AS (SELECT symbol, epoch_ns(ts) // step AS bucket, step, ts, id, price, size "
    "  FROM tl_trades(sym := sym, from_date := from_date, to_date := to_date), s) "
    "SELECT symbol, make_timestamp_ns(bucket * step) AS window_start, "
    "  arg_min(price, (ts, id)) AS open, max(price) AS high, min(price) AS low, "
    "  arg_max(price, (ts, id)) AS close, sum(size) AS volume, "
    "  least(greatest(sum(price * size) / sum(size), min(price)), max(price)) AS vwap, "
    "  count(*) AS trades, sum(price * size) AS turnover "
    "FROM b GROUP BY symbol, bucket, step;\n"
    /* every NULL: per UTC day, from the date partition key (equal to the
     * day of ts by the lake's contract; a constant per file, so cheaper per
     * row). One computed key, so the CASE folds away: grouping on (symbol,
     * window_start) costs what the plain SQL costs (docs/benchmarks.md). */
    "CREATE OR REPLACE TEMP MACRO vwap(every := NULL, sym := NULL, from_date := NULL, "
    "  to_date := NULL) AS "
    "TABLE SELECT symbol, window_start, "
    "  least(greatest(sum(price * size) / sum(size), min(price)), max(price)) AS vwap, "
    "  sum(size) AS volume, count(*) AS trades "
    "FROM (SELECT symbol, CASE WHEN every IS NULL THEN CAST(date AS TIMESTAMP_NS) "
    "    ELSE make_timestamp_ns(epoch_ns(ts) // tl_interval_ns(every) * tl_interval_ns(every)) "
    "    END AS window_start, price, size "
    "  FROM tl_trades(sym := sym, from_date := from_date, to_date := to_date)) "
    "GROUP BY symbol, window_start;\n"
    "CREATE OR REPLACE TEMP MACRO returns(every := '1 day', sym := NULL, "
    "  from_date := NULL, to_date := NULL) AS "
    "TABLE SELECT symbol, window_start, close, "
    "  lag(close) OVER w AS prev_close, close / lag(close) OVER w - 1 AS ret, "
    "  ln(close / lag(close) OVER w) AS log_ret "
    "FROM ohlc(every, sym := sym, from_date := from_date, to_date := to_date) "
    "WINDOW w AS (PARTITION BY symbol ORDER BY window_start);\n"
    /* First and last trade in two steps (their times, then their prices by a
     * semi-join): much faster than arg_min over every trade. */
    "CREATE OR REPLACE TEMP MACRO top_movers(n := 10, from_date := NULL, to_date := NULL) AS "
    "TABLE WITH t AS NOT MATERIALIZED (SELECT * FROM tl_trades(from_date := from_date, to_date := "
    "to_date)), "
    "e AS (SELECT symbol, min(ts) AS t0, max(ts) AS t1, sum(size) AS volume, count(*) AS trades "
    "  FROM t GROUP BY symbol), "
    "f AS (SELECT t.symbol, arg_min(t.price, t.id) AS p FROM t "
    "  SEMI JOIN e ON t.symbol = e.symbol AND t.ts = e.t0 GROUP BY 1), "
    "l AS (SELECT t.symbol, arg_max(t.price, t.id) AS p FROM t "
    "  SEMI JOIN e ON t.symbol = e.symbol AND t.ts = e.t1 GROUP BY 1) "
    "SELECT e.symbol, f.p AS first_price, l.p AS last_price, l.p / f.p - 1 AS ret, volume, "
    "  trades FROM e JOIN f USING (symbol) JOIN l USING (symbol) "
    "ORDER BY abs(ret) DESC, symbol LIMIT n;\n"
    "CREATE OR REPLACE TEMP MACRO anomalies(every := '1 minute', z := 4, sym := NULL, "
    "  from_date := NULL, to_date := NULL) AS "
    "TABLE WITH r AS (SELECT symbol, window_start, close, volume, "
    "    ln(close / lag(close) OVER (PARTITION BY symbol ORDER BY window_start)) AS log_ret "
    "  FROM ohlc(every, sym := sym, from_date := from_date, to_date := to_date)), "
    "s AS (SELECT *, "
    "    (log_ret - avg(log_ret) OVER p) / nullif(stddev_samp(log_ret) OVER p, 0) AS ret_z, "
    "    (volume - avg(volume) OVER p) / nullif(stddev_samp(volume) OVER p, 0) AS volume_z "
    "  FROM r WINDOW p AS (PARTITION BY symbol)) "
    "SELECT symbol, window_start, close, log_ret, ret_z, volume, volume_z FROM s "
    "WHERE abs(ret_z) >= z OR volume_z >= z ORDER BY symbol, window_start;\n";

static int has_column(const catalog_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (strcasecmp(t->columns[i].name, name) == 0)
            return 1;
    for (size_t i = 0; i < t->nkeys; i++)
        if (strcasecmp(t->partition_keys[i].name, name) == 0)
            return 1;
    return 0;
}

int catalog_define_macros(engine *e, const char *lake, char *errstr, size_t errstr_size)
{
    catalog *c = NULL;
    if (catalog_load(lake, &c, errstr, errstr_size) != 0)
        return -1;
    const catalog_table *t = catalog_find_table(c, "trades");
    static const char *const need[] = {"symbol", "ts", "price", "size", "id", "date"};
    int ok = t != NULL && t->ncolumns > 0;
    for (size_t i = 0; ok && i < sizeof(need) / sizeof(need[0]); i++)
        ok = has_column(t, need[i]);
    int rc = 0;
    if (ok) {
        char err[1024];
        rc = engine_exec(e, trade_macros, err, sizeof(err));
        if (rc != 0)
            set_err(errstr, errstr_size, "unable to define the analysis macros: %s", err);
    }
    catalog_free(c);
    return rc;
}

/* --- DDL for other engines ------------------------------------------------ */

/* Skips spaces. */
static const char *ddl_ws(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

static void ddl_ident(buf *out, const char *name, catalog_ddl_dialect d)
{
    char q = d == CATALOG_DDL_TRINO ? '"' : '`';
    buf_putc(out, q);
    for (const char *p = name; *p; p++) {
        if (*p == q)
            buf_putc(out, q);
        buf_putc(out, *p);
    }
    buf_putc(out, q);
}

/* Converts the DuckDB type at *pp (advanced past it) into out; -1 with the
 * offending type in errstr when the other engine has no equivalent. */
static int ddl_type(const char **pp, buf *dst, catalog_ddl_dialect d, char *errstr,
                    size_t errstr_size)
{
    const int trino = d == CATALOG_DDL_TRINO;
    buf local = {0}, *out = &local; /* this type alone, so a list suffix can wrap it */
    const char *p = ddl_ws(*pp);
    buf base = {0};
    int rc = 0;
    if (strncmp(p, "STRUCT(", 7) == 0) {
        p += 7;
        buf_puts(out, trino ? "row(" : "struct<");
        for (int first = 1; rc == 0 && *p && *p != ')'; first = 0) {
            p = ddl_ws(p);
            if (*p == ',')
                p = ddl_ws(p + 1);
            if (!first)
                buf_puts(out, trino ? ", " : ",");
            buf name = {0};
            if (*p == '"') {
                for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
                    if (*p == '"')
                        p++;
                    buf_putc(&name, *p);
                }
                if (*p)
                    p++;
            } else {
                while (*p && *p != ' ')
                    buf_putc(&name, *p++);
            }
            if (trino)
                ddl_ident(out, name.data ? name.data : "", d);
            else
                buf_puts(out, name.data ? name.data : "");
            buf_puts(out, trino ? " " : ":");
            buf_release(&name);
            rc = ddl_type(&p, out, d, errstr, errstr_size);
            p = ddl_ws(p);
        }
        if (*p == ')')
            p++;
        buf_puts(out, trino ? ")" : ">");
    } else if (strncmp(p, "MAP(", 4) == 0) {
        p += 4;
        buf_puts(out, trino ? "map(" : "map<");
        rc = ddl_type(&p, out, d, errstr, errstr_size);
        p = ddl_ws(p);
        if (*p == ',')
            p++;
        buf_puts(out, trino ? ", " : ",");
        if (rc == 0)
            rc = ddl_type(&p, out, d, errstr, errstr_size);
        p = ddl_ws(p);
        if (*p == ')')
            p++;
        buf_puts(out, trino ? ")" : ">");
    } else {
        /* A base type: letters, digits, '_', spaces before WITH TIME ZONE, and
         * a (p,s) suffix. */
        while (*p && *p != ',' && *p != ')' && *p != '[' && *p != '(')
            buf_putc(&base, *p++);
        while (base.len && base.data[base.len - 1] == ' ')
            base.data[--base.len] = '\0';
        const char *b = base.data ? base.data : "";
        static const struct {
            const char *duck, *hive, *trino;
        } map[] = {
            {"BOOLEAN", "boolean", "boolean"},
            {"TINYINT", "tinyint", "tinyint"},
            {"SMALLINT", "smallint", "smallint"},
            {"INTEGER", "int", "integer"},
            {"BIGINT", "bigint", "bigint"},
            {"HUGEINT", "decimal(38,0)", "decimal(38,0)"},
            {"UTINYINT", "smallint", "smallint"},
            {"USMALLINT", "int", "integer"},
            {"UINTEGER", "bigint", "bigint"},
            {"UBIGINT", "decimal(20,0)", "decimal(20,0)"},
            {"FLOAT", "float", "real"},
            {"DOUBLE", "double", "double"},
            {"VARCHAR", "string", "varchar"},
            {"BLOB", "binary", "varbinary"},
            {"DATE", "date", "date"},
            {"TIMESTAMP_S", "timestamp", "timestamp(3)"},
            {"TIMESTAMP_MS", "timestamp", "timestamp(3)"},
            {"TIMESTAMP", "timestamp", "timestamp(6)"},
            {"TIMESTAMP_NS", "timestamp", "timestamp(9)"},
            {"TIMESTAMP WITH TIME ZONE", "timestamp", "timestamp(6) with time zone"},
        };
        size_t i = 0;
        while (i < sizeof(map) / sizeof(map[0]) && strcmp(map[i].duck, b) != 0)
            i++;
        if (i < sizeof(map) / sizeof(map[0])) {
            buf_puts(out, trino ? map[i].trino : map[i].hive);
        } else if (strcmp(b, "DECIMAL") == 0 && *p == '(') {
            buf_puts(out, "decimal");
            while (*p && *p != ')')
                buf_putc(out, *p == ' ' ? ',' : *p), p++;
            if (*p == ')')
                buf_putc(out, *p++);
        } else {
            rc = set_err(errstr, errstr_size, "type %s has no equivalent in %s", b,
                         trino ? "Trino" : "Hive/Athena/Glue");
        }
    }
    /* List suffixes: T[] (and fixed arrays T[n]). */
    while (rc == 0 && *p == '[') {
        while (*p && *p != ']')
            p++;
        if (*p == ']')
            p++;
        buf wrapped = {0};
        buf_puts(&wrapped, trino ? "array(" : "array<");
        buf_append(&wrapped, out->data, out->len);
        buf_puts(&wrapped, trino ? ")" : ">");
        buf_reset(out);
        buf_append(out, wrapped.data, wrapped.len);
        buf_release(&wrapped);
    }
    buf_release(&base);
    buf_append(dst, local.data, local.len);
    buf_release(&local);
    *pp = p;
    return rc;
}

int catalog_ddl_type(const char *duck, catalog_ddl_dialect d, buf *out, char *errstr,
                     size_t errstr_size)
{
    const char *p = duck;
    buf t = {0};
    int rc = ddl_type(&p, &t, d, errstr, errstr_size);
    if (rc == 0)
        buf_append(out, t.data, t.len);
    buf_release(&t);
    return rc;
}

static void ddl_literal(buf *out, const char *s)
{
    buf_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            buf_putc(out, '\'');
        buf_putc(out, *s);
    }
    buf_putc(out, '\'');
}

int catalog_ddl(const catalog_table *t, const char *location, catalog_ddl_dialect d,
                int add_partitions, buf *out, char *errstr, size_t errstr_size)
{
    const int trino = d == CATALOG_DDL_TRINO;
    const char *format = t->format ? t->format : "parquet";
    buf cols = {0}, type = {0}, loc = {0};
    size_t n = strlen(location);
    while (n > 0 && location[n - 1] == '/')
        n--;
    buf_append(&loc, location, n);
    buf_printf(&loc, "/%s/", t->location);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->ncolumns + (trino ? t->nkeys : 0); i++) {
        const catalog_column *c =
            i < t->ncolumns ? &t->columns[i] : &t->partition_keys[i - t->ncolumns];
        buf_reset(&type);
        if (trino && strcmp(format, "csv") == 0)
            buf_puts(&type, "varchar"); /* Trino reads CSV as varchar only */
        else if (catalog_ddl_type(c->type, d, &type, errstr, errstr_size) != 0)
            rc = set_err(errstr, errstr_size, "column '%s' has type %s, which %s cannot read",
                         c->name, c->type, trino ? "Trino" : "Hive/Athena/Glue");
        buf_puts(&cols, i ? ",\n  " : "  ");
        ddl_ident(&cols, c->name, d);
        buf_putc(&cols, ' ');
        buf_append(&cols, type.data, type.len);
    }
    if (rc == 0 && trino) {
        buf_puts(out, "CREATE TABLE IF NOT EXISTS ");
        ddl_ident(out, t->name, d);
        buf_printf(out, " (\n%s\n)\nWITH (\n  format = '%s',\n  external_location = ",
                   cols.data ? cols.data : "",
                   strcmp(format, "csv") == 0    ? "CSV"
                   : strcmp(format, "json") == 0 ? "JSON"
                                                 : "PARQUET");
        ddl_literal(out, loc.data);
        if (strcmp(format, "csv") == 0)
            buf_puts(out, ",\n  skip_header_line_count = 1");
        if (t->nkeys) {
            buf_puts(out, ",\n  partitioned_by = ARRAY[");
            for (size_t k = 0; k < t->nkeys; k++) {
                if (k)
                    buf_puts(out, ", ");
                ddl_literal(out, t->partition_keys[k].name);
            }
            buf_putc(out, ']');
        }
        buf_puts(out, "\n);\n");
        if (add_partitions && t->nkeys) {
            buf_puts(out, "CALL system.sync_partition_metadata(current_schema, ");
            ddl_literal(out, t->name);
            buf_puts(out, ", 'ADD');\n");
        }
    } else if (rc == 0) {
        buf_puts(out, "CREATE EXTERNAL TABLE IF NOT EXISTS ");
        ddl_ident(out, t->name, d);
        buf_printf(out, " (\n%s\n)\n", cols.data ? cols.data : "");
        if (t->nkeys) {
            buf_puts(out, "PARTITIONED BY (\n");
            for (size_t k = 0; rc == 0 && k < t->nkeys; k++) {
                buf_reset(&type);
                rc = catalog_ddl_type(t->partition_keys[k].type, d, &type, errstr, errstr_size);
                buf_puts(out, k ? ",\n  " : "  ");
                ddl_ident(out, t->partition_keys[k].name, d);
                buf_putc(out, ' ');
                buf_append(out, type.data, type.len);
            }
            buf_puts(out, "\n)\n");
        }
        if (strcmp(format, "csv") == 0)
            buf_puts(out, "ROW FORMAT DELIMITED FIELDS TERMINATED BY ','\nSTORED AS TEXTFILE\n");
        else if (strcmp(format, "json") == 0)
            buf_puts(out, "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\nSTORED AS "
                          "TEXTFILE\n");
        else
            buf_puts(out, "STORED AS PARQUET\n");
        buf_puts(out, "LOCATION ");
        ddl_literal(out, loc.data);
        if (strcmp(format, "csv") == 0)
            buf_puts(out, "\nTBLPROPERTIES ('skip.header.line.count' = '1')");
        else if (strcmp(format, "parquet") == 0)
            buf_puts(out, "\nTBLPROPERTIES ('parquet.compression' = 'ZSTD')");
        buf_puts(out, ";\n");
        size_t live = 0;
        for (size_t i = 0; i < t->npartitions; i++)
            live += !t->partitions[i].deprecated;
        if (rc == 0 && add_partitions && t->nkeys && live) {
            buf_puts(out, "ALTER TABLE ");
            ddl_ident(out, t->name, d);
            buf_puts(out, " ADD IF NOT EXISTS");
            for (size_t i = 0; i < t->npartitions; i++) {
                const catalog_partition *p = &t->partitions[i];
                if (p->deprecated)
                    continue;
                buf_puts(out, "\n  PARTITION (");
                for (size_t k = 0; k < p->nvalues; k++) {
                    if (k)
                        buf_puts(out, ", ");
                    ddl_ident(out, t->partition_keys[k].name, d);
                    buf_puts(out, " = ");
                    ddl_literal(out, p->values[k]);
                }
                buf_puts(out, ") LOCATION ");
                buf reloc = {0};
                buf_append(&reloc, location, n);
                buf_printf(&reloc, "/%s/", p->location);
                ddl_literal(out, reloc.data);
                buf_release(&reloc);
            }
            buf_puts(out, ";\n");
        }
    }
    buf_release(&cols);
    buf_release(&type);
    buf_release(&loc);
    return rc;
}
