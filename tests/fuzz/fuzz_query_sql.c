/* fuzz_query_sql.c - libFuzzer target: the text of lake queries (query_sql.h)
 * as a user types it into `ticklake query`, its shell or the console's SQL
 * editor. Splitting a script, the read-only policy, CREATE TABLE AS and the
 * shell's completeness test take any bytes without crashing; statements come
 * out in order, each starting at a token; a recognised CREATE TABLE AS has a
 * name and a query. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query_sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = malloc(size + 1);
    memcpy(sql, data, size);
    sql[size] = '\0';
    char err[512];

    query_stmt *v = NULL;
    size_t n = query_split(sql, &v);
    int last_line = 1;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].sql || !v[i].sql[0] || isspace((unsigned char)v[i].sql[0]) ||
            v[i].line < last_line)
            abort();
        last_line = v[i].line;
        err[0] = '\0';
        if (query_check_text(v[i].sql, err, sizeof(err)) != 0 && !err[0])
            abort();
    }
    query_stmts_free(v, n);

    err[0] = '\0';
    if (query_check_text(sql, err, sizeof(err)) != 0 && !err[0])
        abort();
    buf name = {0}, select = {0};
    int if_not_exists = 0;
    err[0] = '\0';
    int rc = query_parse_ctas(sql, &name, &select, &if_not_exists, err, sizeof(err));
    if (rc == 1 && (!name.len || !select.len))
        abort();
    if (rc == -1 && !err[0])
        abort();
    if (rc < -1 || rc > 1)
        abort();
    buf_release(&name);
    buf_release(&select);
    int complete = query_sql_complete(sql);
    if (complete != 0 && complete != 1)
        abort();
    query_function_refused(sql);
    query_pragma_allowed(sql);
    free(sql);
    return 0;
}
