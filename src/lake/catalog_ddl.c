/* catalog_ddl.c - DDL that declares the lake's tables in Athena, Glue, Hive and Trino; see
 * catalog_ddl.h. */
#include "catalog_ddl.h"

#include <ctype.h>
#include <string.h>

#include "engine.h"

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

/* A string literal: Trino's SQL doubles a quote; Hive's (Athena's and
 * Glue's DDL) escapes with backslashes and reads 'a''b' as two literals
 * joined, "ab". */
static void ddl_literal(buf *out, const char *s, catalog_ddl_dialect d)
{
    if (d == CATALOG_DDL_TRINO) {
        engine_quote_literal(out, s);
        return;
    }
    buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'' || *p == '\\')
            buf_putc(out, '\\');
        buf_putc(out, *p);
    }
    buf_putc(out, '\'');
}

/* Whether Hive can name a struct field name as it is (struct<name:type> has
 * no quoting). */
static int hive_field_name_ok(const char *name)
{
    if (!*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return 0;
    return 1;
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
            else if (hive_field_name_ok(name.data ? name.data : ""))
                buf_puts(out, name.data);
            else
                rc = set_err(errstr, errstr_size,
                             "struct field '%s' has a name Hive/Athena/Glue cannot write "
                             "(letters, digits and '_' only)",
                             name.data ? name.data : "");
            buf_puts(out, trino ? " " : ":");
            buf_release(&name);
            if (rc == 0)
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
        engine_quote_literal(out, loc.data);
        if (strcmp(format, "csv") == 0)
            buf_puts(out, ",\n  skip_header_line_count = 1");
        if (t->nkeys) {
            buf_puts(out, ",\n  partitioned_by = ARRAY[");
            for (size_t k = 0; k < t->nkeys; k++) {
                if (k)
                    buf_puts(out, ", ");
                engine_quote_literal(out, t->partition_keys[k].name);
            }
            buf_putc(out, ']');
        }
        buf_puts(out, "\n);\n");
        if (add_partitions && t->nkeys) {
            buf_puts(out, "CALL system.sync_partition_metadata(current_schema, ");
            engine_quote_literal(out, t->name);
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
        ddl_literal(out, loc.data, d);
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
                TL_ASSERT(p->nvalues == t->nkeys); /* one value per key */
                for (size_t k = 0; k < p->nvalues; k++) {
                    if (k)
                        buf_puts(out, ", ");
                    ddl_ident(out, t->partition_keys[k].name, d);
                    buf_puts(out, " = ");
                    ddl_literal(out, p->values[k], d);
                }
                buf_puts(out, ") LOCATION ");
                buf reloc = {0};
                buf_append(&reloc, location, n);
                buf_printf(&reloc, "/%s/", p->location);
                ddl_literal(out, reloc.data, d);
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
