/* query_sql.c - the statement policy, CREATE TABLE AS and scripts; see
 * query_sql.h. */
#include "query_sql.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h" /* CATALOG_DATABASE */

/* --- The statement policy ------------------------------------------------ */

int query_check_statement(engine_stmt k, char *errstr, size_t errstr_size)
{
    switch (k) {
    case ENGINE_STMT_SELECT:
    case ENGINE_STMT_EXPLAIN:
    case ENGINE_STMT_CREATE:      /* views, macros, tables of this session, in memory */
    case ENGINE_STMT_CREATE_FUNC: /* macros */
    case ENGINE_STMT_DROP:        /* of this session's views and macros only */
    case ENGINE_STMT_SET:         /* settings are locked; SET fails with DuckDB's reason */
    case ENGINE_STMT_VARIABLE_SET:
    case ENGINE_STMT_PRAGMA: /* PRAGMA table_info and the like */
    case ENGINE_STMT_CALL:   /* table functions, confined like SELECT */
    case ENGINE_STMT_TRANSACTION:
    case ENGINE_STMT_ANALYZE:
        return 0;
    case ENGINE_STMT_INSERT:
    case ENGINE_STMT_UPDATE:
    case ENGINE_STMT_DELETE:
        return set_err(errstr, errstr_size,
                       "%s is not allowed: lake tables are read-only (CREATE TABLE name AS "
                       "SELECT ... writes a new table)",
                       engine_stmt_name(k));
    case ENGINE_STMT_COPY:
    case ENGINE_STMT_EXPORT:
        return set_err(errstr, errstr_size,
                       "%s is not allowed: queries do not write files (results are saved in "
                       "_results/; use --format and -o for a copy, or CREATE TABLE name AS "
                       "SELECT ... for a new table)",
                       engine_stmt_name(k));
    default:
        return set_err(errstr, errstr_size, "%s statements are not allowed in lake queries",
                       engine_stmt_name(k));
    }
}

/* --- CREATE TABLE AS ------------------------------------------------------ */

static const char *skip_comment(const char *p, int *line);

/* Skips white space and comments, block comments nested as DuckDB reads
 * them (with the first end taken as the end, an EXPLAIN of a COPY hidden
 * after a nested comment once read as an EXPLAIN of a SELECT). */
static const char *skip_ws(const char *p)
{
    int line = 0;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        const char *e = skip_comment(p, &line);
        if (!e)
            return p;
        p = e;
    }
}

/* If the word at p is kw (case-insensitive, followed by a non-identifier
 * character), returns the position after it and its white space. */
static const char *keyword(const char *p, const char *kw)
{
    size_t n = strlen(kw);
    if (strncasecmp(p, kw, n) != 0 || isalnum((unsigned char)p[n]) || p[n] == '_')
        return NULL;
    return skip_ws(p + n);
}

/* Reads an identifier, plain or "quoted", into name; the end, or NULL. */
static const char *identifier(const char *p, buf *name)
{
    buf_reset(name);
    buf_puts(name, ""); /* a string even when empty ("" as a name, or none) */
    if (*p == '"') {
        for (p++; *p; p++) {
            if (*p == '"') {
                if (p[1] != '"')
                    return p + 1;
                p++;
            }
            buf_putc(name, *p);
        }
        return NULL;
    }
    const char *s = p;
    /* DuckDB's names go on with '$' too (a$b is one name), never start with it. */
    while (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80 ||
           (p > s && *p == '$'))
        p++;
    if (p == s)
        return NULL;
    buf_append(name, s, (size_t)(p - s));
    return p;
}

static int table_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || !isalpha((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

/* Statement keywords refused before DuckDB binds them, so that the reason
 * given is the policy, not a binder error about a view. */
static const struct {
    const char *word;
    engine_stmt kind;
} refused_words[] = {
    {"INSERT", ENGINE_STMT_INSERT},   {"UPDATE", ENGINE_STMT_UPDATE},
    {"DELETE", ENGINE_STMT_DELETE},   {"TRUNCATE", ENGINE_STMT_DELETE},
    {"MERGE", ENGINE_STMT_UPDATE},    {"COPY", ENGINE_STMT_COPY},
    {"EXPORT", ENGINE_STMT_EXPORT},   {"IMPORT", ENGINE_STMT_EXPORT},
    {"ATTACH", ENGINE_STMT_ATTACH},   {"DETACH", ENGINE_STMT_DETACH},
    {"INSTALL", ENGINE_STMT_LOAD},    {"LOAD", ENGINE_STMT_LOAD},
    {"FORCE", ENGINE_STMT_LOAD},      {"PREPARE", ENGINE_STMT_PREPARE},
    {"EXECUTE", ENGINE_STMT_EXECUTE}, {"ALTER", ENGINE_STMT_ALTER},
    {"VACUUM", ENGINE_STMT_VACUUM},   {"CHECKPOINT", ENGINE_STMT_VACUUM},
    {"USE", ENGINE_STMT_SET},
};

/* Functions a query may not call: DuckDB runs these with effects that
 * lock_configuration does not stop (enable_profiling(save_location := ...)
 * and enable_logging(storage_path := ...) write files anywhere the lake
 * allows, and change the pooled session for every later query), execute
 * text the policy never saw (query, json_execute_serialized_sql), read
 * memory by address (arrow_scan), or write the database (checkpoint).
 * Matched case-insensitively wherever a name is followed by '(' (a call,
 * CALL and table functions alike), qualified or quoted. test_query checks
 * that every table function and pragma of the pinned DuckDB is either here,
 * allowed there, or a PRAGMA below. */
static const char *const refused_functions[] = {
    "arrow_scan",
    "arrow_scan_dumb",
    "check_peg_parser",
    "checkpoint",
    "disable_logging",
    "disable_peg_parser",
    "disable_profiling",
    "enable_logging",
    "enable_peg_parser",
    "enable_profiling",
    "force_checkpoint",
    "json_execute_serialized_sql",
    "query",
    "query_table", /* reads a table named by a string: duckdb_logs too */
    "truncate_duckdb_logs",
};

/* Names a query may not use at all, called or not: the log of the
 * session's HTTP requests (engine.c turns it on to count S3 bytes) holds
 * their Authorization headers, with the access key id, the signatures and a
 * session token. */
static const char *const refused_names[] = {
    "duckdb_log_contexts",
    "duckdb_logs",
    "duckdb_logs_parsed",
};

static int name_refused(const char *name)
{
    for (size_t i = 0; i < sizeof(refused_names) / sizeof(refused_names[0]); i++)
        if (strcasecmp(name, refused_names[i]) == 0)
            return 1;
    return 0;
}

/* The PRAGMAs a query may run: the ones that only describe (the rest turn
 * profiling, verification and optimizers on and off for the pooled session,
 * or copy and import databases). */
static const char *const allowed_pragmas[] = {
    "collations",           "database_list", "database_size", "extension_versions", "functions",
    "metadata_info",        "platform",      "show",          "show_databases",     "show_tables",
    "show_tables_expanded", "storage_info",  "table_info",    "user_agent",         "version",
};

int query_function_refused(const char *name)
{
    if (name_refused(name))
        return 1;
    for (size_t i = 0; i < sizeof(refused_functions) / sizeof(refused_functions[0]); i++)
        if (strcasecmp(name, refused_functions[i]) == 0)
            return 1;
    return 0;
}

int query_pragma_allowed(const char *name)
{
    for (size_t i = 0; i < sizeof(allowed_pragmas) / sizeof(allowed_pragmas[0]); i++)
        if (strcasecmp(name, allowed_pragmas[i]) == 0)
            return 1;
    return 0;
}

/* The statement scanner of scripts (below): the policy reads quotes,
 * dollar-quoted text and comments as query_split does, so that no text can
 * look quoted here and be code to DuckDB ("SELECT $$'$$; EXPLAIN ANALYZE
 * COPY ..." once hid the COPY). */
static const char *skip_quoted(const char *start, const char *p, int *line);
static int quote_ambiguous(const char *start, const char *p);
static int ident_char(char c);

/* The end of the parenthesised list at p ('('), quotes, comments and
 * nesting skipped; the end of the text when it is not closed. */
static const char *skip_parens(const char *start, const char *p)
{
    int depth = 0, line = 0;
    while (*p) {
        const char *e = skip_comment(p, &line);
        if (!e)
            e = skip_quoted(start, p, &line);
        if (e) {
            p = e;
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p + 1;
        p++;
    }
    return p;
}

/* What EXPLAIN may explain: queries. The bound kind of an EXPLAIN says
 * nothing of the statement inside, and EXPLAIN ANALYZE runs it, so this
 * list is the policy there (EXPLAIN ANALYZE COPY ... TO wrote files). */
static const char *const explainable[] = {"SELECT", "WITH",  "FROM",    "VALUES",    "TABLE",
                                          "SHOW",   "PIVOT", "UNPIVOT", "SUMMARIZE", "DESCRIBE"};

/* Checks the statement an EXPLAIN at p (after its keyword) explains. */
static int check_explained(const char *start, const char *p, char *errstr, size_t errstr_size)
{
    const char *q;
    if ((q = keyword(p, "ANALYZE")) || (q = keyword(p, "ANALYSE")))
        p = q;
    else if (*p == '(')
        p = skip_ws(skip_parens(start, p));
    while (*p == '(')
        p = skip_ws(p + 1);
    for (size_t i = 0; i < sizeof(explainable) / sizeof(explainable[0]); i++)
        if (keyword(p, explainable[i]))
            return 0;
    return set_err(errstr, errstr_size, "%s",
                   "EXPLAIN is allowed of queries only (SELECT, WITH, FROM, ...): EXPLAIN "
                   "ANALYZE runs the statement it explains");
}

/* A PRAGMA at p (after its keyword) that is not one of allowed_pragmas. */
static int check_pragma(const char *p, char *errstr, size_t errstr_size)
{
    buf name = {0};
    int rc = 0;
    if (!identifier(p, &name) || !query_pragma_allowed(name.data ? name.data : ""))
        rc = set_err(errstr, errstr_size,
                     "PRAGMA %s is not allowed in lake queries (only those that describe: "
                     "table_info, show_tables, database_size, storage_info, version, ...)",
                     name.len ? name.data : "without a name");
    buf_release(&name);
    return rc;
}

int query_check_text(const char *sql, char *errstr, size_t errstr_size)
{
    const char *p = sql, *start = sql;
    int at_start = 1, line = 0;
    buf name = {0};
    int rc = 0;
    while (*p) {
        if (at_start) {
            p = skip_ws(p);
            start = p;
            while (*p == '(')
                p = skip_ws(p + 1);
            const char *x = keyword(p, "EXPLAIN");
            if (x && check_explained(start, x, errstr, errstr_size) != 0) {
                rc = -1;
                break;
            }
            for (size_t i = 0; rc == 0 && i < sizeof(refused_words) / sizeof(refused_words[0]); i++)
                if (keyword(p, refused_words[i].word) ||
                    (strncasecmp(p, refused_words[i].word, strlen(refused_words[i].word)) == 0 &&
                     p[strlen(refused_words[i].word)] == '\0'))
                    rc = query_check_statement(refused_words[i].kind, errstr, errstr_size);
            if (rc == 0 && (x = keyword(p, "PRAGMA")))
                rc = check_pragma(x, errstr, errstr_size);
            if (rc != 0)
                break;
            at_start = 0;
            continue;
        }
        const char *e = skip_comment(p, &line);
        if (!e &&
            (*p == '"' || ((isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) &&
                           (p == start || !ident_char(p[-1]))))) {
            /* A name: a call when '(' follows (CALL f(...), FROM f(...),
             * s.f(...), "f"(...)). */
            e = identifier(p, &name);
            if (e && name_refused(name.data)) {
                rc = set_err(errstr, errstr_size,
                             "%s is not allowed in lake queries: it holds the session's HTTP "
                             "requests with their credentials",
                             name.data);
                break;
            }
            if (e && *skip_ws(e) == '(' && query_function_refused(name.data)) {
                rc = set_err(errstr, errstr_size,
                             "%s() is not allowed in lake queries: it writes files, changes the "
                             "session or runs SQL the policy cannot check",
                             name.data);
                break;
            }
        }
        if (!e && quote_ambiguous(start, p)) {
            rc = set_err(errstr, errstr_size,
                         "ambiguous quoting at '%.20s': DuckDB and the write check could read "
                         "different text as quoted; put a space before the %s",
                         p - 1, *p == '$' ? "dollar-quoted string" : "E'...' string");
            break;
        }
        if (!e)
            e = skip_quoted(start, p, &line);
        if (e) {
            p = e;
        } else {
            at_start = *p == ';';
            p++;
        }
    }
    buf_release(&name);
    return rc;
}

int query_parse_ctas(const char *sql, buf *name, buf *select, int *if_not_exists, char *errstr,
                     size_t errstr_size)
{
    *if_not_exists = 0;
    buf_reset(name);
    buf_reset(select);
    const char *p = skip_ws(sql), *q;
    if (!(p = keyword(p, "CREATE")))
        return 0;
    if ((q = keyword(p, "OR"))) {
        if (keyword(q, "REPLACE") && (keyword(keyword(q, "REPLACE"), "TABLE")))
            return set_err(errstr, errstr_size,
                           "CREATE OR REPLACE TABLE is not allowed: queries cannot overwrite "
                           "lake data");
        return 0;
    }
    const char *t = NULL;
    if ((t = keyword(p, "TEMP")) || (t = keyword(p, "TEMPORARY"))) {
        if (keyword(t, "TABLE"))
            return set_err(errstr, errstr_size,
                           "CREATE TEMP TABLE is not supported: use CREATE TABLE name AS SELECT "
                           "... for a lake table, or a WITH clause");
        return 0;
    }
    if (!(p = keyword(p, "TABLE")))
        return 0;
    if ((q = keyword(p, "IF")) && (q = keyword(q, "NOT")) && (q = keyword(q, "EXISTS"))) {
        *if_not_exists = 1;
        p = q;
    }
    const char *e = identifier(p, name);
    if (!e)
        return set_err(errstr, errstr_size, "CREATE TABLE: expected a table name");
    p = skip_ws(e);
    if (*p == '.')
        return set_err(errstr, errstr_size,
                       "CREATE TABLE: a qualified name is not supported; tables are created in "
                       "database '%s'",
                       CATALOG_DATABASE);
    if (!table_name_valid(name->data))
        return set_err(errstr, errstr_size,
                       "CREATE TABLE: invalid table name '%s' (letters, digits and '_', "
                       "starting with a letter, at most 64 bytes)",
                       name->data);
    if (!(q = keyword(p, "AS")))
        return set_err(errstr, errstr_size,
                       "CREATE TABLE without AS SELECT is not supported: lake tables are "
                       "created from a query");
    /* The query: everything up to an optional trailing ';'. */
    size_t n = strlen(q);
    while (n > 0 && (isspace((unsigned char)q[n - 1]) || q[n - 1] == ';'))
        n--;
    buf_append(select, q, n);
    buf_puts(select, "");
    if (n == 0)
        return set_err(errstr, errstr_size, "CREATE TABLE %s AS: no query", name->data);
    return 1;
}

/* --- Scripts ------------------------------------------------------------- */

/* A character that continues a name or a number, as DuckDB's lexer reads
 * them: '$' too, so "a$$$" is one name to DuckDB, never a name and "$$". */
static int ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* Whether p starts a dollar-quote delimiter: "$$", or "$tag$" with a tag of
 * letters, digits and '_' not starting with a digit (so $1 is a parameter). */
static int dollar_delimiter(const char *p)
{
    if (*p != '$' || isdigit((unsigned char)p[1]))
        return 0;
    const char *t = p + 1;
    while (isalnum((unsigned char)*t) || *t == '_')
        t++;
    return *t == '$';
}

/* Whether the quote at p could be read two ways, DuckDB's lexer and this
 * scanner's disagreeing on where quoted text ends, so that text one reads as
 * quoted the other runs. Right after a name or a number ("a$$", "1$$x$$"),
 * '$' starts a dollar-quoted string or continues the word depending on the
 * word: DuckDB ends a number before '$' and a name after it. An E'...' string
 * with a backslash right after a word ("1E'\''") is an escape string when
 * the word is a number and plain when it is a name. Neither appears in a
 * query anyone writes on purpose: the policy refuses them, with where. */
static int quote_ambiguous(const char *start, const char *p)
{
    if (p == start)
        return 0;
    if (*p == '$')
        return ident_char(p[-1]) && dollar_delimiter(p);
    if (*p != '\'' || (p[-1] != 'E' && p[-1] != 'e') || p - 1 == start || !ident_char(p[-2]))
        return 0;
    const char *e = strchr(p + 1, '\''); /* the end read as a plain string */
    return memchr(p, '\\', e ? (size_t)(e - p) : strlen(p)) != NULL;
}

/* Counts the newlines of [p, e) into *line; returns e. */
static const char *count_lines(const char *p, const char *e, int *line)
{
    for (; p < e; p++)
        *line += *p == '\n';
    return e;
}

/* At a comment ("--" or block, nested), returns its end (newlines counted);
 * else NULL. */
static const char *skip_comment(const char *p, int *line)
{
    if (p[0] == '-' && p[1] == '-') {
        const char *e = strchr(p, '\n');
        return e ? e : p + strlen(p);
    }
    if (p[0] != '/' || p[1] != '*')
        return NULL;
    int depth = 0;
    do {
        if (p[0] == '/' && p[1] == '*') {
            depth++;
            p += 2;
        } else if (p[0] == '*' && p[1] == '/') {
            depth--;
            p += 2;
        } else {
            *line += *p == '\n';
            p++;
        }
    } while (*p && depth > 0);
    return p;
}

/* At a quoted string, identifier or dollar-quoted text, returns its end
 * (after the closing quote, or the end of sql when none; newlines counted);
 * else NULL. start is where the statement began (for E'...'). */
static const char *skip_quoted(const char *start, const char *p, int *line)
{
    if (*p == '\'' || *p == '"') {
        char q = *p;
        int escapes = q == '\'' && p > start && (p[-1] == 'E' || p[-1] == 'e') &&
                      (p - 1 == start || !ident_char(p[-2]));
        for (p++; *p && *p != q; p++) {
            if (escapes && *p == '\\' && p[1])
                p++;
            *line += *p == '\n';
        }
        return *p ? p + 1 : p;
    }
    if (!dollar_delimiter(p) || (p > start && ident_char(p[-1])))
        return NULL;
    const char *t = strchr(p + 1, '$');
    size_t taglen = (size_t)(t + 1 - p);
    const char *body = t + 1, *e = body;
    while ((e = strchr(e, '$')) != NULL && strncmp(e, p, taglen) != 0)
        e++;
    if (!e)
        return count_lines(body, body + strlen(body), line);
    count_lines(body, e, line);
    return e + taglen;
}

size_t query_split(const char *sql, query_stmt **out)
{
    *out = NULL;
    size_t n = 0, cap = 0;
    int line = 1;
    const char *p = sql;
    for (;;) {
        /* White space and comments before the statement. */
        for (;;) {
            const char *e;
            if (isspace((unsigned char)*p))
                line += *p++ == '\n';
            else if ((e = skip_comment(p, &line)) != NULL)
                p = e;
            else
                break;
        }
        if (!*p)
            break;
        if (*p == ';') {
            p++;
            continue;
        }
        const char *start = p;
        int first = line;
        while (*p && *p != ';') {
            const char *e = skip_comment(p, &line);
            if (!e)
                e = skip_quoted(start, p, &line);
            if (e) {
                p = e;
            } else {
                line += *p == '\n';
                p++;
            }
        }
        const char *end = p;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            query_stmt *v = realloc(*out, cap * sizeof(*v));
            if (!v)
                abort(); /* as buf */
            *out = v;
        }
        query_stmt *st = &(*out)[n++];
        st->sql = strndup(start, (size_t)(end - start));
        if (!st->sql)
            abort();
        st->line = first;
        if (*p == ';')
            p++;
    }
    return n;
}

void query_stmts_free(query_stmt *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].sql);
    free(v);
}

int query_sql_complete(const char *sql)
{
    int last_semicolon = 0;
    const char *p = sql;
    while (*p) {
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            while (*p && *p != q)
                p++;
            if (!*p)
                return 0; /* open quote */
            p++;
            last_semicolon = 0;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            if (!e)
                return 0;
            p = e + 2;
        } else {
            if (*p == ';')
                last_semicolon = 1;
            else if (!isspace((unsigned char)*p))
                last_semicolon = 0;
            p++;
        }
    }
    return last_semicolon;
}
