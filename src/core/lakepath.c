/* lakepath.c - lake names and partition paths; see lakepath.h. */
#include "lakepath.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "util.h"

#define NS_PER_DAY (86400LL * NS_PER_SEC)

int64_t lake_day_start(int64_t ns)
{
    int64_t days = ns / NS_PER_DAY;
    if (ns % NS_PER_DAY < 0)
        days--;
    /* The first day of int64 ns time starts before INT64_MIN: clamp to it. */
    if (days < INT64_MIN / NS_PER_DAY)
        return INT64_MIN;
    return days * NS_PER_DAY;
}

int64_t lake_year_start(int64_t ns)
{
    int64_t day = lake_day_start(ns);
    if (day == INT64_MIN)
        return INT64_MIN;
    int64_t y;
    unsigned m, d;
    civil_from_days(day / NS_PER_DAY, &y, &m, &d);
    if (y <= 1677)
        return INT64_MIN;
    return days_from_civil(y, 1, 1) * NS_PER_DAY;
}

void lake_date(int64_t ns, char out[LAKE_DATE_LEN])
{
    int64_t y;
    unsigned m, d;
    civil_from_days(lake_day_start(ns) / NS_PER_DAY, &y, &m, &d);
    if (y < 0 || y > 9999) {
        snprintf(out, LAKE_DATE_LEN, "0000-00-00");
        return;
    }
    /* "%04d-%02u-%02u" by hand: a CSV replay writes one a row. */
    unsigned yy = (unsigned)y;
    char *o = out;
    *o++ = (char)('0' + yy / 1000);
    *o++ = (char)('0' + yy / 100 % 10);
    *o++ = (char)('0' + yy / 10 % 10);
    *o++ = (char)('0' + yy % 10);
    *o++ = '-';
    *o++ = (char)('0' + m / 10 % 10);
    *o++ = (char)('0' + m % 10);
    *o++ = '-';
    *o++ = (char)('0' + d / 10 % 10);
    *o++ = (char)('0' + d % 10);
    *o = '\0';
}

int lake_parse_date(const char *s, int64_t *ns)
{
    int y;
    unsigned m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3)
        return -1;
    /* int64 ns since the epoch spans 1677-09-21 to 2262-04-11: whole years 1678..2261. */
    if (y < 1678 || y > 2261 || d < 1 || d > civil_month_days(y, m))
        return -1;
    *ns = days_from_civil(y, m, d) * NS_PER_DAY;
    return 0;
}

int lake_table_for_topic(const char *topic, char *out, size_t out_size)
{
    size_t n = strlen(topic);
    if (n == 0 || n >= out_size)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = topic[i];
        if (c == '.')
            c = '_';
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-'))
            return -1;
        out[i] = c;
    }
    out[n] = '\0';
    return 0;
}

int lake_partition_dir(const char *lake, const char *table, const char *date, char *out,
                       size_t out_size)
{
    int n = snprintf(out, out_size, "%s/%s/date=%s", lake, table, date);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

int lake_file_name(const char *topic, int32_t partition, int64_t start_offset, char *out,
                   size_t out_size)
{
    int n = snprintf(out, out_size, "%s+%d+%020lld.parquet", topic, (int)partition,
                     (long long)start_offset);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

int lake_parse_file_name(const char *name, char *topic_out, size_t topic_size, int32_t *partition,
                         int64_t *start_offset)
{
    const char *ext = strstr(name, ".parquet");
    if (!ext || ext[8] != '\0')
        return -1;
    const char *p2 = NULL;
    for (const char *q = ext - 1; q > name; q--) {
        if (*q == '+') {
            p2 = q;
            break;
        }
    }
    if (!p2)
        return -1;
    const char *p1 = NULL;
    for (const char *q = p2 - 1; q > name; q--) {
        if (*q == '+') {
            p1 = q;
            break;
        }
    }
    if (!p1 || (size_t)(p1 - name) >= topic_size)
        return -1;
    char num[32];
    size_t plen = (size_t)(p2 - p1 - 1), olen = (size_t)(ext - p2 - 1);
    if (plen == 0 || plen >= sizeof(num) || olen == 0 || olen >= sizeof(num))
        return -1;
    int64_t v;
    memcpy(num, p1 + 1, plen);
    num[plen] = '\0';
    if (parse_int64(num, 0, INT32_MAX, &v) != 0)
        return -1;
    *partition = (int32_t)v;
    memcpy(num, p2 + 1, olen);
    num[olen] = '\0';
    if (parse_int64(num, 0, INT64_MAX, &v) != 0)
        return -1;
    *start_offset = v;
    memcpy(topic_out, name, (size_t)(p1 - name));
    topic_out[p1 - name] = '\0';
    return 0;
}

/* --- compacted files ------------------------------------------------------ */

int lake_compacted_name(const char *topic, int32_t partition, int64_t first, int64_t last,
                        char *out, size_t out_size)
{
    int n = snprintf(out, out_size, "~%s+%d+%020lld-%020lld.parquet", topic, (int)partition,
                     (long long)first, (long long)last);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

int lake_parse_any_name(const char *name, lake_file_id *id)
{
    memset(id, 0, sizeof(*id));
    if (name[0] != '~') {
        if (lake_parse_file_name(name, id->topic, sizeof(id->topic), &id->partition, &id->first) !=
            0)
            return -1;
        id->last = id->first;
        return 0;
    }
    /* "~<topic>+<p>+<first>-<last>.parquet": split off "-<last>" and parse the rest. */
    size_t n = strlen(name);
    const char *dash = strrchr(name, '-');
    if (n < 10 || strcmp(name + n - 8, ".parquet") != 0 || !dash || dash == name)
        return -1;
    char head[LAKE_TOPIC_MAX + 64];
    if ((size_t)(dash - name) + 9 >= sizeof(head))
        return -1;
    snprintf(head, sizeof(head), "%.*s.parquet", (int)(dash - name - 1), name + 1);
    char num[32];
    size_t len = (size_t)(name + n - 8 - dash - 1);
    if (len == 0 || len >= sizeof(num))
        return -1;
    memcpy(num, dash + 1, len);
    num[len] = '\0';
    if (parse_int64(num, 0, INT64_MAX, &id->last) != 0 ||
        lake_parse_file_name(head, id->topic, sizeof(id->topic), &id->partition, &id->first) != 0 ||
        id->last < id->first)
        return -1;
    id->compacted = 1;
    return 0;
}

int lake_name_covered(const char *name, const char *const *names, size_t n)
{
    lake_file_id me, other;
    if (lake_parse_any_name(name, &me) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (names[i][0] != '~' || strcmp(names[i], name) == 0 ||
            lake_parse_any_name(names[i], &other) != 0)
            continue;
        if (other.partition == me.partition && strcmp(other.topic, me.topic) == 0 &&
            other.first <= me.first && me.last <= other.last &&
            (other.first < me.first || me.last < other.last))
            return 1;
    }
    return 0;
}

int lake_name_is_hidden(const char *name)
{
    return name[0] == '.' || name[0] == '_';
}

int lake_name_is_temp(const char *name)
{
    return str_ends_with(name, ".tmp") || strstr(name, ".tmp-") != NULL;
}

const char *lake_file_format(const char *name)
{
    if (str_ends_with(name, ".parquet"))
        return "parquet";
    if (str_ends_with(name, ".csv"))
        return "csv";
    if (str_ends_with(name, ".json") || str_ends_with(name, ".jsonl") ||
        str_ends_with(name, ".ndjson"))
        return "json";
    return NULL;
}

int lake_name_is_data(const char *name)
{
    return !lake_name_is_hidden(name) && !lake_name_is_temp(name) && lake_file_format(name) != NULL;
}

int lake_name_is_parquet_data(const char *name)
{
    return lake_name_is_data(name) && str_ends_with(name, ".parquet");
}

char *lake_root(const char *lake)
{
    char *r = xstrdup(*lake ? lake : ".");
    size_t n = strlen(r);
    while (n > 1 && r[n - 1] == '/')
        r[--n] = '\0';
    return r;
}

char *lake_abs(const char *root, const char *rel)
{
    return strcmp(root, "/") == 0 ? xprintf("/%s", rel) : xprintf("%s/%s", root, rel);
}
