/* index_info.h - the index info table (the original project's indexInfo.csv):
 * the region, exchange and currency of each index, which enrich the index
 * daily rows (index_daily.h) that replay.h reads. The table owns its entries;
 * lookups return pointers into it, valid until index_info_release. Pure. */
#ifndef TICKLAKE_INDEX_INFO_H
#define TICKLAKE_INDEX_INFO_H

#include <stddef.h>

#include "tick.h"
#include "util.h"

#define INDEX_REGION_MAX 64 /* bytes, including the NUL */
#define INDEX_EXCHANGE_MAX 64
#define INDEX_CURRENCY_MAX 8

typedef struct index_info_entry {
    char index[TICK_SYMBOL_MAX];
    char region[INDEX_REGION_MAX];
    char exchange[INDEX_EXCHANGE_MAX];
    char currency[INDEX_CURRENCY_MAX];
} index_info_entry;

typedef struct index_info {
    index_info_entry *v;
    size_t n;
} index_info;

/* Loads a table with columns Region, Exchange, Index, Currency (any order,
 * more allowed; BOM, CRLF, quoting, delimiters as csv.h) from data[0..len)
 * into t, which must be zero-initialised or released. name is used in
 * messages. Blank rows are skipped; any other bad row, a missing column or a
 * duplicate index is an error: 0, or -1 with errstr "<name>:<line>: <what>"
 * and t left empty. */
int index_info_load(index_info *t, const char *name, const char *data, size_t len, char *errstr,
                    size_t errstr_size);
/* The entry for index (exact match), or NULL. t may be NULL. */
const index_info_entry *index_info_find(const index_info *t, const char *index);
/* The entry for a row's index: an exact match, else for "^HSI" (Yahoo's
 * prefix of an index) the one of "HSI". NULL if neither. t may be NULL. */
const index_info_entry *index_info_lookup(const index_info *t, const char *index);
/* Frees the entries; t is left empty. Accepts NULL. */
void index_info_release(index_info *t);

#endif
