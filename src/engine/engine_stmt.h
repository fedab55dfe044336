/* engine_stmt.h - the kinds of SQL statements DuckDB tells apart, and their
 * names. Pure (no DuckDB): the query policy (src/lake/query_sql.h) reads
 * them without the engine. */
#ifndef TICKLAKE_ENGINE_STMT_H
#define TICKLAKE_ENGINE_STMT_H

/* Kinds of SQL statements; the values are DuckDB's duckdb_statement_type. */
typedef enum {
    ENGINE_STMT_INVALID = 0,
    ENGINE_STMT_SELECT = 1,
    ENGINE_STMT_INSERT = 2,
    ENGINE_STMT_UPDATE = 3,
    ENGINE_STMT_EXPLAIN = 4,
    ENGINE_STMT_DELETE = 5,
    ENGINE_STMT_PREPARE = 6,
    ENGINE_STMT_CREATE = 7,
    ENGINE_STMT_EXECUTE = 8,
    ENGINE_STMT_ALTER = 9,
    ENGINE_STMT_TRANSACTION = 10,
    ENGINE_STMT_COPY = 11,
    ENGINE_STMT_ANALYZE = 12,
    ENGINE_STMT_VARIABLE_SET = 13,
    ENGINE_STMT_CREATE_FUNC = 14,
    ENGINE_STMT_DROP = 15,
    ENGINE_STMT_EXPORT = 16,
    ENGINE_STMT_PRAGMA = 17,
    ENGINE_STMT_VACUUM = 18,
    ENGINE_STMT_CALL = 19,
    ENGINE_STMT_SET = 20,
    ENGINE_STMT_LOAD = 21,
    ENGINE_STMT_RELATION = 22,
    ENGINE_STMT_EXTENSION = 23,
    ENGINE_STMT_LOGICAL_PLAN = 24,
    ENGINE_STMT_ATTACH = 25,
    ENGINE_STMT_DETACH = 26,
    ENGINE_STMT_MULTI = 27
} engine_stmt;

/* The SQL keyword of a statement kind ("SELECT", "COPY", ...). */
const char *engine_stmt_name(engine_stmt s);

#endif
