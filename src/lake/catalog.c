/* catalog.c - the catalog model: freeing, lookups, copies, column types; see catalog.h. */
#include "catalog.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "util.h"

void catalog_columns_free(catalog_column *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].name);
        free(c[i].type);
    }
    free(c);
}

void catalog_partition_release(catalog_partition *p)
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
    catalog_columns_free(t->columns, t->ncolumns);
    catalog_columns_free(t->partition_keys, t->nkeys);
    for (size_t i = 0; i < t->npartitions; i++)
        catalog_partition_release(&t->partitions[i]);
    free(t->partitions);
    for (size_t i = 0; i < t->nschemas; i++)
        catalog_columns_free(t->schemas[i].columns, t->schemas[i].ncolumns);
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

void catalog_column_push(catalog_column **cols, size_t *n, const char *name, const char *type)
{
    catalog_column *c = ARRAY_PUSH(*cols, *n);
    c->name = xstrdup(name);
    c->type = xstrdup(type);
}

void catalog_columns_append(catalog_column **cols, size_t *n, const catalog_column *from,
                            size_t nfrom)
{
    for (size_t i = 0; i < nfrom; i++)
        catalog_column_push(cols, n, from[i].name, from[i].type);
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
size_t catalog_schema_intern(catalog_table *t, const catalog_column *cols, size_t n)
{
    for (size_t i = 0; i < t->nschemas; i++)
        if (columns_equal(t->schemas[i].columns, t->schemas[i].ncolumns, cols, n))
            return i;
    catalog_schema *s = ARRAY_PUSH(t->schemas, t->nschemas);
    catalog_columns_append(&s->columns, &s->ncolumns, cols, n);
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
    catalog_columns_append(&t->columns, &t->ncolumns, from->columns, from->ncolumns);
    catalog_columns_append(&t->partition_keys, &t->nkeys, from->partition_keys, from->nkeys);
    for (size_t i = 0; i < from->npartitions; i++)
        catalog_partition_copy(ARRAY_PUSH(t->partitions, t->npartitions), &from->partitions[i]);
    for (size_t i = 0; i < from->nschemas; i++) {
        const catalog_schema *fs = &from->schemas[i];
        catalog_schema *s = ARRAY_PUSH(t->schemas, t->nschemas);
        catalog_columns_append(&s->columns, &s->ncolumns, fs->columns, fs->ncolumns);
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

int catalog_is_time_type(const char *type)
{
    return time_rank(type) != 0 || strcmp(type, "TIMESTAMP WITH TIME ZONE") == 0;
}

int catalog_type_valid(const char *type)
{
    char open[64]; /* the brackets open, innermost last */
    size_t depth = 0, n = strlen(type);
    if (n == 0 || n > 65536)
        return 0;
    for (const char *p = type; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            /* a quoted name: any bytes but NUL, "" for a quote */
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++)
                if (*p == '"')
                    p++;
            if (!*p)
                return 0;
        } else if (c == '(' || c == '[') {
            if (depth == sizeof(open))
                return 0;
            open[depth++] = (char)c;
        } else if (c == ')' || c == ']') {
            if (depth == 0 || open[--depth] != (c == ')' ? '(' : '['))
                return 0;
        } else if (!isalnum(c) && c != '_' && c != ' ' && c != ',') {
            return 0;
        }
    }
    return depth == 0;
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
