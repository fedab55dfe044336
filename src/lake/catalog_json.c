/* catalog_json.c - the catalog's JSON form, and catalogs read from a lake; see catalog_json.h. */
#include "catalog_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json.h"
#include "lakepath.h"

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

void catalog_body_to_json(const catalog *c, buf *b)
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
    catalog_body_to_json(c, out);
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
        if (!catalog_type_valid(type))
            return bad(px, "%s: column '%s' has a type that is not a type name: '%.60s'", where,
                       name, type);
        catalog_column_push(out, n, name, type);
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
            if (f->size < 0 || f->rows < 0)
                return bad(px, "%s: file '%s' has a negative size or row count", where, path);
            if (__builtin_add_overflow(p->rows, f->rows, &p->rows) ||
                __builtin_add_overflow(p->bytes, f->size, &p->bytes))
                return bad(px, "%s: the files' rows or bytes add up beyond 2^63", where);
        }
        if (!p->deprecated) {
            if (__builtin_add_overflow(t->rows, p->rows, &t->rows) ||
                __builtin_add_overflow(t->bytes, p->bytes, &t->bytes))
                return bad(px, "table '%s': the partitions' rows or bytes add up beyond 2^63",
                           name);
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

int64_t catalog_mtime(const char *lake)
{
    char *p = xprintf("%s/" CATALOG_DIR "/catalog.json", lake);
    struct stat sb;
    int rc = stat(p, &sb);
    free(p);
    if (rc != 0)
        return -1;
    return (int64_t)sb.st_mtim.tv_sec * NS_PER_SEC + sb.st_mtim.tv_nsec;
}
