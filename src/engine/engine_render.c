/* engine_render.c - every value rendered from DuckDB's vectors.
 *
 * Text rendering follows DuckDB's CAST(x AS VARCHAR) for scalar types (doubles
 * as shortest round-trip digits, "100.0", "1e+16"; timestamps as
 * "2026-01-02 03:04:05.123456789"; TIMESTAMP WITH TIME ZONE in UTC with "+00",
 * the engine's session time zone being UTC). Nested values use DuckDB's
 * notation ([1, 2], {'a': 1}, {k=v}). BIGNUM and other rare types are shown as
 * "<TYPE>": cast them to VARCHAR in SQL. In JSON, numbers are numbers (NaN and
 * infinities null), timestamps ISO-8601 strings in UTC ("...T...Z"), lists
 * arrays, structs and maps objects. */
#include "engine_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civil.h"

int engine_is_valid(duckdb_vector v, idx_t row)
{
    uint64_t *validity = duckdb_vector_get_validity(v);
    return !validity || duckdb_validity_row_is_valid(validity, row);
}

int engine_type_is_numeric(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
        return 1;
    default:
        return 0;
    }
}

static void put_u128(buf *out, unsigned __int128 v)
{
    char tmp[48];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    buf_append(out, tmp + i, sizeof(tmp) - i);
}

static void put_i128(buf *out, __int128 v)
{
    if (v < 0) {
        buf_putc(out, '-');
        put_u128(out, (unsigned __int128)0 - (unsigned __int128)v);
    } else {
        put_u128(out, (unsigned __int128)v);
    }
}

/* A scaled integer as a decimal number: 150 with scale 2 is "1.50". */
static void put_decimal(buf *out, __int128 v, unsigned scale)
{
    if (scale == 0) {
        put_i128(out, v);
        return;
    }
    unsigned __int128 mag =
        v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    buf digits = {0};
    put_u128(&digits, mag);
    if (v < 0)
        buf_putc(out, '-');
    if (digits.len <= scale) {
        buf_puts(out, "0.");
        for (size_t i = digits.len; i < scale; i++)
            buf_putc(out, '0');
        buf_append(out, digits.data, digits.len);
    } else {
        buf_append(out, digits.data, digits.len - scale);
        buf_putc(out, '.');
        buf_append(out, digits.data + digits.len - scale, scale);
    }
    buf_release(&digits);
}

/* Shortest round-trip digits, laid out like DuckDB (and Python's repr):
 * fixed notation for decimal exponents -5 < x < 16 with ".0" on whole
 * numbers, else "1e+16" / "1.5e-07". Non-finite values: nan, inf, -inf. */
static void put_float_text(buf *out, double v, int is_float)
{
    if (isnan(v)) {
        buf_puts(out, "nan");
        return;
    }
    if (isinf(v)) {
        buf_puts(out, v < 0 ? "-inf" : "inf");
        return;
    }
    char sci[40];
    int maxp = is_float ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(sci, sizeof(sci), "%.*e", p - 1, v);
        if (is_float ? (float)strtod(sci, NULL) == (float)v : strtod(sci, NULL) == v)
            break;
    }
    /* sci is "-d.ddde+XX": split into sign, digits and exponent. */
    const char *p = sci;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    char digits[24];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++) {
        if (*p != '.' && nd < sizeof(digits) - 1)
            digits[nd++] = *p;
    }
    digits[nd] = '\0';
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    if (neg)
        buf_putc(out, '-');
    if (exp10 > -5 && exp10 < 16) {
        if (exp10 < 0) {
            buf_puts(out, "0.");
            for (int i = -1; i > exp10; i--)
                buf_putc(out, '0');
            buf_append(out, digits, nd);
        } else {
            size_t ip = (size_t)exp10 + 1;
            for (size_t i = 0; i < ip; i++)
                buf_putc(out, i < nd ? digits[i] : '0');
            buf_putc(out, '.');
            if (nd > ip)
                buf_append(out, digits + ip, nd - ip);
            else
                buf_putc(out, '0');
        }
    } else {
        buf_putc(out, digits[0]);
        if (nd > 1) {
            buf_putc(out, '.');
            buf_append(out, digits + 1, nd - 1);
        }
        buf_printf(out, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
}

static void put_float(buf *out, double v, int is_float, int mode)
{
    if (mode == R_JSON && !isfinite(v))
        buf_puts(out, "null");
    else
        put_float_text(out, v, is_float);
}

static void put_date(buf *out, int64_t days, int mode)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y > 0)
        buf_printf(out, "%04" PRId64 "-%02u-%02u", y, m, d);
    else if (mode == R_JSON) /* ISO-8601: astronomical year numbering */
        buf_printf(out, "-%04" PRId64 "-%02u-%02u", -y, m, d);
    else
        buf_printf(out, "%04" PRId64 "-%02u-%02u (BC)", 1 - y, m, d);
}

/* HH:MM:SS and a fraction without trailing zeros. hours may exceed 23. */
static void put_clock(buf *out, int64_t ns)
{
    int64_t s = ns / NS_PER_SEC;
    int64_t frac = ns % NS_PER_SEC;
    buf_printf(out, "%02" PRId64 ":%02d:%02d", s / 3600, (int)(s / 60 % 60), (int)(s % 60));
    if (frac) {
        char f[16];
        snprintf(f, sizeof(f), "%09" PRId64, frac);
        size_t n = 9;
        while (n > 0 && f[n - 1] == '0')
            n--;
        buf_putc(out, '.');
        buf_append(out, f, n);
    }
}

/* A timestamp given as whole seconds plus nanoseconds within the second. */
static void put_timestamp(buf *out, int64_t secs, int64_t ns_in_sec, int with_tz, int mode)
{
    int64_t days = floor_div(secs, 86400);
    int64_t tod = secs - days * 86400;
    if (mode == R_JSON)
        buf_putc(out, '"');
    put_date(out, days, mode);
    buf_putc(out, mode == R_JSON ? 'T' : ' ');
    put_clock(out, tod * NS_PER_SEC + ns_in_sec);
    if (mode == R_JSON)
        buf_puts(out, "Z\"");
    else if (with_tz)
        buf_puts(out, "+00");
}

static void put_ts_units(buf *out, int64_t v, int64_t units_per_sec, int with_tz, int mode)
{
    if (v == INT64_MAX || v == -INT64_MAX) {
        const char *s = v > 0 ? "infinity" : "-infinity";
        if (mode == R_JSON)
            buf_put_json_str(out, s, strlen(s));
        else
            buf_puts(out, s);
        return;
    }
    int64_t secs = floor_div(v, units_per_sec);
    int64_t rem = v - secs * units_per_sec;
    put_timestamp(out, secs, rem * (NS_PER_SEC / units_per_sec), with_tz, mode);
}

static void put_plural(buf *out, int64_t n, const char *unit)
{
    if (out->len)
        buf_putc(out, ' ');
    buf_printf(out, "%" PRId64 " %s%s", n, unit, n == 1 || n == -1 ? "" : "s");
}

/* DuckDB's interval text: "1 year 3 days 04:00:00.000005". */
static void put_interval(buf *out, duckdb_interval iv)
{
    buf tmp = {0};
    int64_t years = iv.months / 12, months = iv.months % 12;
    if (years)
        put_plural(&tmp, years, "year");
    if (months)
        put_plural(&tmp, months, "month");
    if (iv.days)
        put_plural(&tmp, iv.days, "day");
    if (iv.micros) {
        if (tmp.len)
            buf_putc(&tmp, ' ');
        uint64_t mag = iv.micros < 0 ? (uint64_t)0 - (uint64_t)iv.micros : (uint64_t)iv.micros;
        if (iv.micros < 0)
            buf_putc(&tmp, '-');
        put_clock(&tmp, (int64_t)(mag * 1000));
    }
    if (!tmp.len)
        buf_puts(&tmp, "00:00:00");
    buf_append(out, tmp.data, tmp.len);
    buf_release(&tmp);
}

static void put_uuid(buf *out, duckdb_hugeint h)
{
    uint64_t hi = (uint64_t)h.upper ^ ((uint64_t)1 << 63), lo = h.lower;
    buf_printf(out, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64, hi >> 32,
               (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, lo & (uint64_t)0xffffffffffff);
}

static void put_blob(buf *out, const char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 32 && c <= 126 && c != '\\' && c != '\'' && c != '"') {
            buf_putc(out, (char)c);
        } else {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            buf_append(out, esc, 4);
        }
    }
}

/* A BIT value: the first byte counts the padding bits of the next byte. */
static void put_bits(buf *out, const char *p, size_t n)
{
    if (n == 0)
        return;
    unsigned pad = (unsigned char)p[0];
    for (size_t i = 1; i < n; i++) {
        for (int b = 7; b >= 0; b--) {
            if (i == 1 && (unsigned)(7 - b) < pad)
                continue;
            buf_putc(out, ((unsigned char)p[i] >> b) & 1 ? '1' : '0');
        }
    }
}

/* A string inside a list, struct or map, quoted as DuckDB does when needed. */
static void put_nested_str(buf *out, const char *p, size_t n)
{
    int quote =
        n == 0 || (n == 4 && strncasecmp(p, "null", 4) == 0) || p[0] == ' ' || p[n - 1] == ' ';
    for (size_t i = 0; i < n && !quote; i++)
        quote = strchr(",'\"[]{}():=\\", p[i]) != NULL || (unsigned char)p[i] < 32;
    if (!quote) {
        buf_append(out, p, n);
        return;
    }
    buf_putc(out, '\'');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\'' || p[i] == '\\')
            buf_putc(out, '\\');
        buf_putc(out, p[i]);
    }
    buf_putc(out, '\'');
}

static void put_type_name(buf *out, duckdb_type id)
{
    static const struct {
        duckdb_type id;
        const char *name;
    } names[] = {{DUCKDB_TYPE_BIGNUM, "BIGNUM"}, {DUCKDB_TYPE_ANY, "ANY"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].id == id) {
            buf_printf(out, "<%s>", names[i].name);
            return;
        }
    }
    buf_printf(out, "<type %d>", (int)id);
}

/* Appends the value at row of vector v (logical type lt) to out. In R_TEXT
 * mode a top-level NULL is never passed here; nested NULLs print as NULL. In
 * R_JSON mode the output is one JSON value. */
void engine_render(buf *out, duckdb_vector v, duckdb_logical_type lt, idx_t row, int mode,
                   int nested)
{
    if (!engine_is_valid(v, row)) {
        buf_puts(out, mode == R_JSON ? "null" : "NULL");
        return;
    }
    duckdb_type id = duckdb_get_type_id(lt);
    void *data = duckdb_vector_get_data(v);
    switch (id) {
    case DUCKDB_TYPE_BOOLEAN:
        buf_puts(out, ((bool *)data)[row] ? "true" : "false");
        return;
    case DUCKDB_TYPE_TINYINT:
        buf_printf(out, "%d", ((int8_t *)data)[row]);
        return;
    case DUCKDB_TYPE_SMALLINT:
        buf_printf(out, "%d", ((int16_t *)data)[row]);
        return;
    case DUCKDB_TYPE_INTEGER:
        buf_printf(out, "%" PRId32, ((int32_t *)data)[row]);
        return;
    case DUCKDB_TYPE_BIGINT:
        buf_printf(out, "%" PRId64, ((int64_t *)data)[row]);
        return;
    case DUCKDB_TYPE_UTINYINT:
        buf_printf(out, "%u", ((uint8_t *)data)[row]);
        return;
    case DUCKDB_TYPE_USMALLINT:
        buf_printf(out, "%u", ((uint16_t *)data)[row]);
        return;
    case DUCKDB_TYPE_UINTEGER:
        buf_printf(out, "%" PRIu32, ((uint32_t *)data)[row]);
        return;
    case DUCKDB_TYPE_UBIGINT:
        buf_printf(out, "%" PRIu64, ((uint64_t *)data)[row]);
        return;
    case DUCKDB_TYPE_HUGEINT: {
        duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
        put_i128(out, (__int128)(((unsigned __int128)(uint64_t)h.upper << 64) | h.lower));
        return;
    }
    case DUCKDB_TYPE_UHUGEINT: {
        duckdb_uhugeint h = ((duckdb_uhugeint *)data)[row];
        put_u128(out, ((unsigned __int128)h.upper << 64) | h.lower);
        return;
    }
    case DUCKDB_TYPE_FLOAT:
        put_float(out, ((float *)data)[row], 1, mode);
        return;
    case DUCKDB_TYPE_DOUBLE:
        put_float(out, ((double *)data)[row], 0, mode);
        return;
    case DUCKDB_TYPE_DECIMAL: {
        unsigned scale = duckdb_decimal_scale(lt);
        __int128 x;
        switch (duckdb_decimal_internal_type(lt)) {
        case DUCKDB_TYPE_SMALLINT:
            x = ((int16_t *)data)[row];
            break;
        case DUCKDB_TYPE_INTEGER:
            x = ((int32_t *)data)[row];
            break;
        case DUCKDB_TYPE_BIGINT:
            x = ((int64_t *)data)[row];
            break;
        default: {
            duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
            x = (__int128)(((unsigned __int128)(uint64_t)h.upper << 64) | h.lower);
        }
        }
        put_decimal(out, x, scale);
        return;
    }
    case DUCKDB_TYPE_VARCHAR: {
        duckdb_string_t *s = &((duckdb_string_t *)data)[row];
        const char *p = duckdb_string_t_data(s);
        size_t n = duckdb_string_t_length(*s);
        if (mode == R_JSON)
            buf_put_json_str(out, p, n);
        else if (nested)
            put_nested_str(out, p, n);
        else
            buf_append(out, p, n);
        return;
    }
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_BIT: {
        duckdb_string_t *s = &((duckdb_string_t *)data)[row];
        const char *p = duckdb_string_t_data(s);
        size_t n = duckdb_string_t_length(*s);
        buf tmp = {0};
        if (id == DUCKDB_TYPE_BLOB)
            put_blob(&tmp, p, n);
        else
            put_bits(&tmp, p, n);
        if (mode == R_JSON)
            buf_put_json_str(out, tmp.data ? tmp.data : "", tmp.len);
        else
            buf_append(out, tmp.data, tmp.len);
        buf_release(&tmp);
        return;
    }
    case DUCKDB_TYPE_DATE: {
        int32_t days = ((int32_t *)data)[row];
        if (mode == R_JSON)
            buf_putc(out, '"');
        if (days == INT32_MAX || days == -INT32_MAX)
            buf_puts(out, days > 0 ? "infinity" : "-infinity");
        else
            put_date(out, days, mode);
        if (mode == R_JSON)
            buf_putc(out, '"');
        return;
    }
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS: {
        int64_t t = ((int64_t *)data)[row];
        if (mode == R_JSON)
            buf_putc(out, '"');
        put_clock(out, id == DUCKDB_TYPE_TIME ? t * 1000 : t);
        if (mode == R_JSON)
            buf_putc(out, '"');
        return;
    }
    case DUCKDB_TYPE_TIME_TZ: {
        duckdb_time_tz_struct t = duckdb_from_time_tz(((duckdb_time_tz *)data)[row]);
        buf tmp = {0};
        put_clock(&tmp, ((int64_t)t.time.hour * 3600 + t.time.min * 60 + t.time.sec) * NS_PER_SEC +
                            (int64_t)t.time.micros * 1000);
        int off = t.offset < 0 ? -t.offset : t.offset;
        buf_printf(&tmp, "%c%02d", t.offset < 0 ? '-' : '+', off / 3600);
        if (off % 3600)
            buf_printf(&tmp, ":%02d", off / 60 % 60);
        if (mode == R_JSON)
            buf_put_json_str(out, tmp.data, tmp.len);
        else
            buf_append(out, tmp.data, tmp.len);
        buf_release(&tmp);
        return;
    }
    case DUCKDB_TYPE_TIMESTAMP_S:
        put_ts_units(out, ((int64_t *)data)[row], 1, 0, mode);
        return;
    case DUCKDB_TYPE_TIMESTAMP_MS:
        put_ts_units(out, ((int64_t *)data)[row], 1000, 0, mode);
        return;
    case DUCKDB_TYPE_TIMESTAMP:
        put_ts_units(out, ((int64_t *)data)[row], 1000000, 0, mode);
        return;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        put_ts_units(out, ((int64_t *)data)[row], 1000000, 1, mode);
        return;
    case DUCKDB_TYPE_TIMESTAMP_NS:
        put_ts_units(out, ((int64_t *)data)[row], NS_PER_SEC, 0, mode);
        return;
    case DUCKDB_TYPE_INTERVAL: {
        buf tmp = {0};
        put_interval(&tmp, ((duckdb_interval *)data)[row]);
        if (mode == R_JSON)
            buf_put_json_str(out, tmp.data, tmp.len);
        else
            buf_append(out, tmp.data, tmp.len);
        buf_release(&tmp);
        return;
    }
    case DUCKDB_TYPE_UUID: {
        if (mode == R_JSON)
            buf_putc(out, '"');
        put_uuid(out, ((duckdb_hugeint *)data)[row]);
        if (mode == R_JSON)
            buf_putc(out, '"');
        return;
    }
    case DUCKDB_TYPE_ENUM: {
        idx_t idx;
        switch (duckdb_enum_internal_type(lt)) {
        case DUCKDB_TYPE_UTINYINT:
            idx = ((uint8_t *)data)[row];
            break;
        case DUCKDB_TYPE_USMALLINT:
            idx = ((uint16_t *)data)[row];
            break;
        default:
            idx = ((uint32_t *)data)[row];
        }
        char *s = duckdb_enum_dictionary_value(lt, idx);
        const char *t = s ? s : "";
        if (mode == R_JSON)
            buf_put_json_str(out, t, strlen(t));
        else if (nested)
            put_nested_str(out, t, strlen(t));
        else
            buf_puts(out, t);
        duckdb_free(s);
        return;
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: {
        duckdb_logical_type ct;
        duckdb_vector child;
        idx_t off, len;
        if (id == DUCKDB_TYPE_LIST) {
            duckdb_list_entry le = ((duckdb_list_entry *)data)[row];
            ct = duckdb_list_type_child_type(lt);
            child = duckdb_list_vector_get_child(v);
            off = le.offset;
            len = le.length;
        } else {
            ct = duckdb_array_type_child_type(lt);
            child = duckdb_array_vector_get_child(v);
            len = duckdb_array_type_array_size(lt);
            off = row * len;
        }
        buf_putc(out, '[');
        for (idx_t i = 0; i < len; i++) {
            if (i)
                buf_puts(out, mode == R_JSON ? "," : ", ");
            engine_render(out, child, ct, off + i, mode, 1);
        }
        buf_putc(out, ']');
        duckdb_destroy_logical_type(&ct);
        return;
    }
    case DUCKDB_TYPE_STRUCT: {
        idx_t n = duckdb_struct_type_child_count(lt);
        buf_putc(out, '{');
        for (idx_t i = 0; i < n; i++) {
            char *name = duckdb_struct_type_child_name(lt, i);
            duckdb_logical_type ct = duckdb_struct_type_child_type(lt, i);
            const char *nm = name ? name : "";
            if (i)
                buf_puts(out, mode == R_JSON ? "," : ", ");
            if (mode == R_JSON) {
                buf_put_json_str(out, nm, strlen(nm));
                buf_putc(out, ':');
            } else {
                buf_putc(out, '\'');
                buf_puts(out, nm);
                buf_puts(out, "': ");
            }
            engine_render(out, duckdb_struct_vector_get_child(v, i), ct, row, mode, 1);
            duckdb_destroy_logical_type(&ct);
            duckdb_free(name);
        }
        buf_putc(out, '}');
        return;
    }
    case DUCKDB_TYPE_MAP: {
        duckdb_list_entry le = ((duckdb_list_entry *)data)[row];
        duckdb_vector entries = duckdb_list_vector_get_child(v);
        duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
        duckdb_vector vals = duckdb_struct_vector_get_child(entries, 1);
        duckdb_logical_type kt = duckdb_map_type_key_type(lt);
        duckdb_logical_type vt = duckdb_map_type_value_type(lt);
        buf_putc(out, '{');
        for (idx_t i = 0; i < le.length; i++) {
            if (i)
                buf_puts(out, mode == R_JSON ? "," : ", ");
            if (mode == R_JSON) {
                buf key = {0};
                engine_render(&key, keys, kt, le.offset + i, R_TEXT, 0);
                buf_put_json_str(out, key.data ? key.data : "", key.len);
                buf_release(&key);
                buf_putc(out, ':');
            } else {
                engine_render(out, keys, kt, le.offset + i, mode, 1);
                buf_putc(out, '=');
            }
            engine_render(out, vals, vt, le.offset + i, mode, 1);
        }
        buf_putc(out, '}');
        duckdb_destroy_logical_type(&kt);
        duckdb_destroy_logical_type(&vt);
        return;
    }
    case DUCKDB_TYPE_UNION: {
        duckdb_vector tags = duckdb_struct_vector_get_child(v, 0);
        uint8_t tag = ((uint8_t *)duckdb_vector_get_data(tags))[row];
        duckdb_logical_type mt = duckdb_union_type_member_type(lt, tag);
        engine_render(out, duckdb_struct_vector_get_child(v, (idx_t)tag + 1), mt, row, mode,
                      nested);
        duckdb_destroy_logical_type(&mt);
        return;
    }
    case DUCKDB_TYPE_SQLNULL:
        buf_puts(out, mode == R_JSON ? "null" : "NULL");
        return;
    default: {
        buf tmp = {0};
        put_type_name(&tmp, id);
        if (mode == R_JSON)
            buf_put_json_str(out, tmp.data, tmp.len);
        else
            buf_append(out, tmp.data, tmp.len);
        buf_release(&tmp);
    }
    }
}
