/* engine.c - the one home of DuckDB: opening an engine, running SQL for no result, quoting,
 * confining file access; see engine.h. Its other files: engine_load.c (loading libduckdb),
 * engine_result.c (results as streams of chunks, rows as text), engine_render.c (values as text
 * and JSON), engine_print.c (TABLE, CSV and JSON output with a watchdog), engine_parquet.c (the
 * sink's rows to Parquet). */
#include "engine_internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Copies a DuckDB message (may be NULL) into errstr verbatim. */
int engine_duck_err(char *errstr, size_t errstr_size, const char *msg)
{
    return set_err(errstr, errstr_size, "%s", msg && *msg ? msg : "unknown DuckDB error");
}

engine *engine_open(const char *path, int threads, char *errstr, size_t errstr_size)
{
    if (engine_load_duckdb(errstr, errstr_size) != 0)
        return NULL;
    engine *e = calloc(1, sizeof(*e));
    if (!e) {
        set_err(errstr, errstr_size, "out of memory");
        return NULL;
    }
    duckdb_config config = NULL;
    if (duckdb_create_config(&config) != DuckDBSuccess) {
        free(e);
        set_err(errstr, errstr_size, "unable to create a DuckDB configuration");
        return NULL;
    }
    /* Extensions load only when DuckDB signed them (the default, made explicit). */
    duckdb_set_config(config, "allow_unsigned_extensions", "false");
    duckdb_set_config(config, "allow_community_extensions", "false");
    /* Secrets (engine_attach_s3) live in memory only: none is read from or written to disk. */
    duckdb_set_config(config, "allow_persistent_secrets", "false");
    if (threads > 0) {
        char n[16];
        snprintf(n, sizeof(n), "%d", threads);
        duckdb_set_config(config, "threads", n);
    }
    char *open_err = NULL;
    duckdb_state st = duckdb_open_ext(path, &e->db, config, &open_err);
    duckdb_destroy_config(&config);
    if (st != DuckDBSuccess) {
        set_err(errstr, errstr_size, "unable to open database '%s': %s",
                path ? path : ":memory:", open_err ? open_err : "unknown error");
        duckdb_free(open_err);
        free(e);
        return NULL;
    }
    if (duckdb_connect(e->db, &e->con) != DuckDBSuccess) {
        duckdb_close(&e->db);
        free(e);
        set_err(errstr, errstr_size, "unable to connect to database '%s'",
                path ? path : ":memory:");
        return NULL;
    }
    /* Timestamps in ticklake are UTC; make TIMESTAMPTZ functions agree on any
     * host. Needs ICU, which the pinned libduckdb has built in; without it the
     * setting does not exist and DuckDB works in UTC anyway. */
    duckdb_result r;
    duckdb_query(e->con, "SET TimeZone = 'UTC'", &r);
    duckdb_destroy_result(&r);
    return e;
}

void engine_close(engine *e)
{
    if (!e)
        return;
    duckdb_disconnect(&e->con);
    duckdb_close(&e->db);
    if (e->spill_dir) {
        DIR *d = opendir(e->spill_dir);
        struct dirent *de;
        char path[PATH_MAX];
        while (d && (de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                snprintf(path, sizeof(path), "%s/%s", e->spill_dir, de->d_name) < (int)sizeof(path))
                unlink(path);
        if (d)
            closedir(d);
        rmdir(e->spill_dir);
        free(e->spill_dir);
    }
    free(e);
}

int engine_exec(engine *e, const char *sql, char *errstr, size_t errstr_size)
{
    duckdb_result r;
    if (duckdb_query(e->con, sql, &r) != DuckDBSuccess) {
        engine_duck_err(errstr, errstr_size, duckdb_result_error(&r));
        duckdb_destroy_result(&r);
        return -1;
    }
    duckdb_destroy_result(&r);
    return 0;
}

void engine_quote_literal(buf *out, const char *s)
{
    buf_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            buf_putc(out, '\'');
        buf_putc(out, *s);
    }
    buf_putc(out, '\'');
}

void engine_quote_ident(buf *out, const char *s)
{
    buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(out, '"');
        buf_putc(out, *s);
    }
    buf_putc(out, '"');
}

int engine_limit_memory(engine *e, int64_t memory_bytes, int64_t temp_bytes, char *errstr,
                        size_t errstr_size)
{
    buf sql = {0};
    if (memory_bytes > 0)
        buf_printf(&sql, "SET memory_limit = '%lldB';", (long long)memory_bytes);
    if (temp_bytes > 0)
        buf_printf(&sql, "SET max_temp_directory_size = '%lldB';", (long long)temp_bytes);
    int rc = sql.len ? engine_exec(e, sql.data, errstr, errstr_size) : 0;
    buf_release(&sql);
    return rc;
}

int engine_restrict_files(engine *e, const char *const *dirs, size_t ndirs,
                          const char *const *paths, size_t npaths, char *errstr, size_t errstr_size)
{
    buf sql = {0};
    /* DuckDB allows reading its spill folder too, by default .tmp/ in the
     * current directory, which may hold anything: it spills to a folder of
     * this engine's own instead. */
    if (!e->spill_dir) {
        const char *tmp = getenv("TMPDIR");
        buf_printf(&sql, "%s/ticklake-spill-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(sql.data)) {
            int rc = set_err(errstr, errstr_size, "unable to make a spill folder '%s': %s",
                             sql.data, strerror(errno));
            buf_release(&sql);
            return rc;
        }
        e->spill_dir = xstrdup(sql.data);
        buf_reset(&sql);
    }
    buf_puts(&sql, "SET temp_directory = ");
    engine_quote_literal(&sql, e->spill_dir);
    buf_puts(&sql, "; SET allowed_directories = [");
    for (size_t i = 0; i < ndirs; i++) {
        if (i)
            buf_puts(&sql, ", ");
        engine_quote_literal(&sql, dirs[i]);
    }
    buf_puts(&sql, "]; SET allowed_paths = [");
    for (size_t i = 0; i < npaths; i++) {
        if (i)
            buf_puts(&sql, ", ");
        engine_quote_literal(&sql, paths[i]);
    }
    buf_puts(&sql, "]; SET enable_external_access = false; SET autoinstall_known_extensions = "
                   "false; SET autoload_known_extensions = false; SET lock_configuration = true");
    int rc = engine_exec(e, sql.data, errstr, errstr_size);
    buf_release(&sql);
    return rc;
}

#ifndef ENGINE_HTTPFS_EXT
#define ENGINE_HTTPFS_EXT "httpfs.duckdb_extension"
#endif

/* The httpfs extension beside the libduckdb.so that was loaded (an installed
 * tree keeps both in <prefix>/lib/ticklake/), else the build's copy. */
static void httpfs_path(char *out, size_t out_size)
{
    const char *lib = NULL;
    char err[256];
    if (engine_duckdb_version(&lib, err, sizeof(err)) && lib) {
        const char *slash = strrchr(lib, '/');
        if (slash && (size_t)(slash - lib) + sizeof("/httpfs.duckdb_extension") <= out_size) {
            snprintf(out, out_size, "%.*s/httpfs.duckdb_extension", (int)(slash - lib), lib);
            if (path_exists(out))
                return;
        }
    }
    snprintf(out, out_size, "%s", ENGINE_HTTPFS_EXT);
}

int engine_s3_secret(engine *e, const engine_s3 *s3, char *errstr, size_t errstr_size)
{
    buf sql = {0};
    char err[1024];
    buf_puts(&sql, "CREATE OR REPLACE TEMPORARY SECRET tl_lake (TYPE s3, PROVIDER config, KEY_ID ");
    engine_quote_literal(&sql, s3->key_id ? s3->key_id : "");
    buf_puts(&sql, ", SECRET ");
    engine_quote_literal(&sql, s3->secret ? s3->secret : "");
    if (s3->session_token) {
        buf_puts(&sql, ", SESSION_TOKEN ");
        engine_quote_literal(&sql, s3->session_token);
    }
    buf_puts(&sql, ", REGION ");
    engine_quote_literal(&sql, s3->region);
    buf_puts(&sql, ", ENDPOINT ");
    engine_quote_literal(&sql, s3->endpoint);
    buf_printf(&sql, ", URL_STYLE '%s', USE_SSL %s, SCOPE ", s3->path_style ? "path" : "vhost",
               s3->use_ssl ? "true" : "false");
    engine_quote_literal(&sql, s3->scope);
    buf_putc(&sql, ')');
    int rc = engine_exec(e, sql.data, err, sizeof(err));
    explicit_bzero(sql.data, sql.cap);
    buf_release(&sql);
    if (rc != 0) /* DuckDB's messages name options, not their values */
        return set_err(errstr, errstr_size, "unable to create the S3 secret for '%s': %s",
                       s3->scope, err);
    return 0;
}

int engine_attach_s3(engine *e, const engine_s3 *s3, char *errstr, size_t errstr_size)
{
    char ext[4096];
    httpfs_path(ext, sizeof(ext));
    if (!path_exists(ext))
        return set_err(errstr, errstr_size,
                       "DuckDB's httpfs extension is missing at '%s' (`./dev setup` fetches it)",
                       ext);
    buf sql = {0};
    buf_puts(&sql, "LOAD ");
    engine_quote_literal(&sql, ext);
    char err[1024];
    if (engine_exec(e, sql.data, err, sizeof(err)) != 0) {
        buf_release(&sql);
        return set_err(errstr, errstr_size, "unable to load DuckDB's httpfs extension '%s': %s",
                       ext, err);
    }
    buf_release(&sql);
    if (s3->ca_file) {
        buf_puts(&sql, "SET ca_cert_file = ");
        engine_quote_literal(&sql, s3->ca_file);
        int crc = engine_exec(e, sql.data, err, sizeof(err));
        buf_release(&sql);
        if (crc != 0)
            return set_err(errstr, errstr_size, "unable to use the CA bundle '%s' for S3: %s",
                           s3->ca_file, err);
    }
    if (engine_s3_secret(e, s3, errstr, errstr_size) != 0)
        return -1;
    /* Connections kept in a pool across requests: otherwise httpfs keeps one
     * only as long as a file handle (a TCP and TLS handshake each). A daily
     * VWAP over the benchmark lake made 1,900 ranged GETs on 260 connections
     * with two threads, on 3 with the pool (docs/decisions/0045). */
    if (engine_exec(e, "SET httpfs_connection_caching = true", err, sizeof(err)) != 0)
        return set_err(errstr, errstr_size, "unable to keep S3 connections open: %s", err);
    /* The HTTP log holds each request's response headers: engine_s3_take_bytes sums them. */
    if (engine_exec(e, "CALL enable_logging('HTTP')", err, sizeof(err)) != 0)
        return set_err(errstr, errstr_size, "unable to log DuckDB's S3 requests: %s", err);
    e->s3_log = 1;
    return 0;
}

int64_t engine_s3_take_bytes(engine *e)
{
    if (!e->s3_log)
        return 0;
    int64_t n = 0;
    char err[256];
    if (engine_query_int64(
            e,
            "SELECT coalesce(sum(TRY_CAST(response.headers['Content-Length'] AS "
            "BIGINT)), 0) FROM duckdb_logs_parsed('HTTP') WHERE request.type = 'GET'",
            &n, err, sizeof(err)) != 0)
        n = 0;
    engine_exec(e, "CALL truncate_duckdb_logs()", err, sizeof(err));
    return n;
}
