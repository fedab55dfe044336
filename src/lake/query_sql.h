/* query_sql.h - the text of lake queries, before DuckDB runs it: the
 * statement policy that keeps queries read-only, CREATE TABLE AS
 * recognition, and scripts split into statements. Pure: no I/O, no DuckDB
 * (engine_stmt.h for the statement kinds), so the unit tests and the fuzz
 * target (tests/fuzz/fuzz_query_sql.c) run it alone. query.c applies the
 * policy to every statement of a session. */
#ifndef TICKLAKE_QUERY_SQL_H
#define TICKLAKE_QUERY_SQL_H

#include <stddef.h>

#include "engine_stmt.h"
#include "util.h"

/* The statement policy: 0 if a statement of kind k may run in a lake query,
 * else -1 with the reason in errstr. Pure. */
int query_check_statement(engine_stmt k, char *errstr, size_t errstr_size);

/* The policy applied to the text before DuckDB sees it: -1 with the reason
 * (as query_check_statement gives it) when a statement of sql starts with a
 * refused keyword (INSERT, UPDATE, DELETE, TRUNCATE, MERGE, COPY, EXPORT,
 * IMPORT, ATTACH, DETACH, INSTALL, LOAD, FORCE, PREPARE, EXECUTE, ALTER,
 * VACUUM, CHECKPOINT, USE), or is an EXPLAIN of anything but a query
 * (SELECT, WITH, FROM, VALUES, TABLE, SHOW, PIVOT, UNPIVOT, SUMMARIZE,
 * DESCRIBE; EXPLAIN ANALYZE runs what it explains, and its bound kind hides
 * it), is a PRAGMA other than those that describe (query_pragma_allowed),
 * or calls a refused function (query_function_refused) anywhere, else 0.
 * Statements that hide their kind (WITH ... INSERT) are caught
 * once bound by query_check_statement. Pure. */
int query_check_text(const char *sql, char *errstr, size_t errstr_size);
/* The function and PRAGMA lists of query_check_text: 1 when a call of name
 * is refused (it writes files, changes the session or runs text the policy
 * never saw: enable_profiling, enable_logging, query, checkpoint, ...; and
 * duckdb_logs and its kin, refused as names anywhere: they hold the HTTP
 * requests' credentials), 1
 * when PRAGMA name is allowed (it only describes). Case-insensitive. Pure. */
int query_function_refused(const char *name);
int query_pragma_allowed(const char *name);

/* Recognises CREATE TABLE AS. Returns 1 when sql is one statement
 * `CREATE TABLE [IF NOT EXISTS] name AS query` (case-insensitive; comments,
 * parentheses around the query and one trailing ';' allowed), with the name
 * (unquoted) in *name and the query text in *select; 0 when sql is not a
 * CREATE TABLE; -1 with errstr for a CREATE TABLE ticklake does not write:
 * OR REPLACE, TEMP, a qualified or invalid name (names are
 * [A-Za-z][A-Za-z0-9_]*, at most 64 bytes), or no AS. Pure. */
int query_parse_ctas(const char *sql, buf *name, buf *select, int *if_not_exists, char *errstr,
                     size_t errstr_size);

/* 1 when sql ends with ';' outside quotes and comments: a shell line ends
 * the statement there. Pure. */
int query_sql_complete(const char *sql);

/* One statement of a script. */
typedef struct query_stmt {
    char *sql; /* its text, owned: from its first token to before its ';' */
    int line;  /* the line of the script its first token is on (1 for the first) */
} query_stmt;

/* Splits a script into its statements, in order, at each ';' outside
 * quotes ('...', E'...' with backslash escapes, "...", $tag$...$tag$) and
 * comments (-- to the end of the line, nested block comments). Comments
 * before a statement and statements with nothing but comments or white space
 * are left out. *out (release with query_stmts_free) gets the statements;
 * returns how many. Pure. */
size_t query_split(const char *sql, query_stmt **out);
void query_stmts_free(query_stmt *v, size_t n);

#endif
