/* engine_stmt.c - statement kinds' names; see engine_stmt.h. */
#include "engine_stmt.h"

#include <stddef.h>

const char *engine_stmt_name(engine_stmt s)
{
    static const char *const names[] = {
        "INVALID",     "SELECT",  "INSERT",   "UPDATE",       "EXPLAIN",
        "DELETE",      "PREPARE", "CREATE",   "EXECUTE",      "ALTER",
        "TRANSACTION", "COPY",    "ANALYZE",  "SET VARIABLE", "CREATE FUNCTION",
        "DROP",        "EXPORT",  "PRAGMA",   "VACUUM",       "CALL",
        "SET",         "LOAD",    "RELATION", "EXTENSION",    "LOGICAL PLAN",
        "ATTACH",      "DETACH",  "MULTI"};
    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "UNKNOWN";
}
