/* cmd_query.c - `ticklake query`: SQL over the catalog's tables, from an
 * argument, a file, or an interactive shell. */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "lakecache.h"
#include "lineedit.h"
#include "log.h"
#include "query.h"
#include "query_sql.h"
#include "util.h"

typedef struct shell_opts {
    query_opts q;
    const char *lake;
} shell_opts;

static int parse_format(const char *s, query_out *out)
{
    static const struct {
        const char *name;
        query_out f;
    } names[] = {{"table", QUERY_OUT_TABLE},
                 {"csv", QUERY_OUT_CSV},
                 {"json", QUERY_OUT_JSON},
                 {"parquet", QUERY_OUT_PARQUET},
                 {"arrow", QUERY_OUT_ARROW}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    }
    return -1;
}

static void print_summary(const query_meta *m)
{
    fprintf(stderr, "query %s: %s, %" PRId64 " row%s%s, %" PRId64 " bytes scanned, %.3f s\n", m->id,
            m->status, m->rows, m->rows == 1 ? "" : "s", m->truncated ? " (truncated)" : "",
            m->bytes_scanned, (double)m->elapsed_ns / NS_PER_SEC);
}

/* How run_script reports. */
typedef struct script_opts {
    const char *prefix; /* before an error: "ticklake query: " or "error: " */
    int summary;        /* a summary line per statement (the shell, -v) */
    int note_truncated; /* say when --max-rows stopped a result */
} script_opts;

/* Runs the statements of a script in order, each its own query (id, history
 * entry, saved result) with its result printed as it comes. A statement the
 * policy refuses by its text stops the script before anything runs (it alone
 * is run, to be refused and recorded); a failing statement stops it there,
 * after the results before it. 0, or 1 after printing the error, with the
 * statement's position when the script has several. */
static int run_script(query_session *s, const query_stmt *v, size_t n, const query_opts *q,
                      const script_opts *so)
{
    size_t from = 0, to = n;
    for (size_t i = 0; i < n; i++) {
        buf name = {0}, select = {0};
        char err[512];
        int ifne, ctas = query_parse_ctas(v[i].sql, &name, &select, &ifne, err, sizeof(err));
        buf_release(&name);
        buf_release(&select);
        if (ctas < 0 || query_check_text(v[i].sql, err, sizeof(err)) != 0) {
            from = i;
            to = i + 1;
            break;
        }
    }
    int results = 0;
    query_opts o = *q;
    o.results = &results;
    for (size_t i = from; i < to; i++) {
        query_meta m;
        char err[4096], where[96] = "";
        if (n > 1)
            snprintf(where, sizeof(where), "statement %zu of %zu (line %d): ", i + 1, n, v[i].line);
        int rc = query_session_run(s, v[i].sql, &o, &m, err, sizeof(err));
        if (rc != 0) {
            if (o.out)
                fflush(o.out);
            fprintf(stderr, "%s%s%s\n", so->prefix, where, err);
        }
        if (m.truncated && so->note_truncated)
            fprintf(stderr, "%s%soutput stopped at --max-rows %" PRId64 "\n", so->prefix, where,
                    o.max_rows);
        if (so->summary)
            print_summary(&m);
        query_meta_release(&m);
        if (rc != 0)
            return 1;
    }
    return 0;
}

static void shell_help(void)
{
    fprintf(stderr,
            "End each statement with ';' (it may span lines). Commands:\n"
            "  .tables             list the lake's tables\n"
            "  .format FMT         table, csv or json\n"
            "  .timeout DURATION   e.g. 30s, 5m; 0 for none\n"
            "  .maxrows N          rows shown at most; 0 for all\n"
            "  .help               this text\n"
            "  .quit               leave (also Ctrl-D)\n"
            "Macros: ohlc(INTERVAL 1 minute, sym := 'AAPL'), vwap(), returns(), top_movers(),\n"
            "anomalies(); see README. Results are saved in <lake>/_results/<id>.csv.\n");
}

/* Runs one dot command; returns 1 to leave the shell. */
static int shell_command(query_session *s, shell_opts *so, const char *line)
{
    char cmd[32] = "", arg[256] = "";
    sscanf(line, "%31s %255s", cmd, arg);
    if (strcmp(cmd, ".quit") == 0 || strcmp(cmd, ".exit") == 0)
        return 1;
    if (strcmp(cmd, ".help") == 0) {
        shell_help();
    } else if (strcmp(cmd, ".tables") == 0) {
        query_opts o = so->q;
        o.save = 0;
        o.format = QUERY_OUT_TABLE;
        query_meta m;
        char err[1024];
        if (query_session_run(s,
                              "SELECT view_name AS \"table\" FROM duckdb_views() WHERE temporary "
                              "AND NOT internal ORDER BY 1",
                              &o, &m, err, sizeof(err)) != 0)
            fprintf(stderr, "error: %s\n", err);
        query_meta_release(&m);
    } else if (strcmp(cmd, ".format") == 0) {
        query_out f;
        if (parse_format(arg, &f) != 0 || f == QUERY_OUT_PARQUET || f == QUERY_OUT_ARROW)
            fprintf(stderr, "error: .format takes table, csv or json\n");
        else
            so->q.format = f;
    } else if (strcmp(cmd, ".timeout") == 0) {
        int64_t ns;
        if (parse_duration(arg, &ns) != 0)
            fprintf(stderr, "error: .timeout takes a duration such as 30s or 5m\n");
        else
            so->q.timeout_ns = ns;
    } else if (strcmp(cmd, ".maxrows") == 0) {
        int64_t n;
        if (parse_int64(arg, 0, INT64_MAX, &n) != 0)
            fprintf(stderr, "error: .maxrows takes a whole number\n");
        else
            so->q.max_rows = n;
    } else {
        fprintf(stderr, "error: unknown command '%s' (.help lists them)\n", cmd);
    }
    return 0;
}

/* Ctrl-C while a statement runs in the shell cancels that statement only
 * (at the prompt the line editor reads it as a key). */
static volatile sig_atomic_t shell_cancel;

static void on_sigint(int sig)
{
    (void)sig;
    shell_cancel = 1;
}

static int shell(query_session *s, shell_opts *so)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    so->q.cancel = &shell_cancel;
    char path[4096] = "";
    const char *hp = getenv("TICKLAKE_HISTORY");
    const char *home = getenv("HOME");
    if (hp && *hp)
        snprintf(path, sizeof(path), "%s", hp);
    else if (home && *home)
        snprintf(path, sizeof(path), "%s/.ticklake_history", home);
    lineedit *le = lineedit_open(*path ? path : NULL);
    if (!le) {
        fprintf(stderr, "ticklake query: out of memory\n");
        return 1;
    }
    fprintf(stderr,
            "ticklake SQL shell on '%s' (%zu tables). End statements with ';'; .help for help.\n",
            so->lake, query_session_tables(s));
    buf stmt = {0}, line = {0};
    int failures = 0;
    for (;;) {
        int rc = lineedit_read(le, stmt.len ? "      -> " : "ticklake> ", &line);
        if (rc == 1)
            break;
        if (rc < 0) {
            fprintf(stderr, "ticklake query: unable to read input\n");
            failures++;
            break;
        }
        if (rc == 2) {
            buf_reset(&stmt);
            continue;
        }
        if (stmt.len == 0) {
            const char *p = line.data;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '\0')
                continue;
            if (*p == '.') {
                lineedit_add_history(le, p);
                if (shell_command(s, so, p))
                    break;
                continue;
            }
        }
        if (stmt.len)
            buf_putc(&stmt, '\n');
        buf_append(&stmt, line.data, line.len);
        if (!query_sql_complete(stmt.data))
            continue;
        lineedit_add_history(le, stmt.data);
        shell_cancel = 0;
        query_stmt *v = NULL;
        size_t n = query_split(stmt.data, &v);
        script_opts sc = {.prefix = "error: ", .summary = 1};
        failures += run_script(s, v, n, &so->q, &sc);
        query_stmts_free(v, n);
        buf_reset(&stmt);
    }
    buf_release(&stmt);
    buf_release(&line);
    lineedit_close(le);
    return 0;
}

int cmd_query(int argc, char **argv)
{
    const char *lake = "./lake", *format = "table", *file = NULL, *output = NULL;
    const char *s3_endpoint = NULL, *s3_region = NULL, *s3_addressing = NULL, *cache_dir = NULL,
               *s3_profile = NULL;
    const char *s3_read = NULL;
    int64_t timeout_ns = 30LL * 60 * NS_PER_SEC, max_rows = 0, threads = 0;
    int verbose = 0, quiet = 0, no_save = 0;
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "URL",
         "lake: a directory or s3://bucket/prefix (default ./lake)"},
        LAKE_S3_OPTIONS(&s3_endpoint, &s3_region, &s3_addressing, &cache_dir, &s3_profile),
        {0, "s3-read", CLI_STRING, &s3_read, "in-place|cache",
         "how an S3 lake's files are read: in place, only the byte ranges a query needs "
         "(default), or downloaded whole into the cache first"},
        {0, "format", CLI_STRING, &format, "FMT",
         "output as table (default), csv, json (one object per line), parquet or arrow (an "
         "Arrow IPC stream)"},
        {'o', "output", CLI_STRING, &output, "FILE",
         "write the result to FILE instead of stdout (not inside the lake); FILE appears "
         "only when the query succeeds"},
        {'f', "file", CLI_STRING, &file, "FILE", "read the SQL from FILE ('-' for standard input)"},
        {0, "timeout", CLI_DURATION, &timeout_ns, "DURATION",
         "stop a statement running longer (default 30m; 0 for none)"},
        {0, "max-rows", CLI_INT, &max_rows, "N", "output at most N rows (default 0: all)"},
        {0, "threads", CLI_INT, &threads, "N",
         "DuckDB threads (default: one per core; 16 reading S3 in place)"},
        {0, "no-save", CLI_FLAG, &no_save, NULL,
         "do not save the result and metadata in <lake>/_results/"},
        CLI_LOG_OPTIONS(&verbose, &quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "query", "ticklake query [options] [SQL | -f FILE]",
        "Runs SQL with DuckDB over the tables of the lake's catalog (run 'ticklake\n"
        "crawl' first); filters on partition keys skip files. Without SQL or -f, it\n"
        "reads the SQL from standard input, or on a terminal starts an interactive\n"
        "shell (history in ~/.ticklake_history). Statements separated by ';' run in\n"
        "order, each result printed in turn (table and csv: a blank line between);\n"
        "the first that fails stops the rest. --format parquet and arrow take one\n"
        "statement.\n"
        "Each statement gets an id; its result is saved as <lake>/_results/<id>.csv\n"
        "with metadata in <id>.json ('ticklake history' lists them). CREATE TABLE\n"
        "name AS SELECT ... writes a new Parquet table into the lake and registers\n"
        "it; no query can change or delete lake data. Results go to stdout; errors\n"
        "to stderr with exit status 1. An S3 lake is read in place: DuckDB fetches\n"
        "only the footers and column chunks a query needs. With --s3-read cache its\n"
        "files are downloaded whole into a local cache (--cache-dir) first, 16 at a\n"
        "time, once and again only when they change: faster for full scans.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 1, &npos);
    cli_apply_log(verbose, quiet);
    query_out fmt;
    if (parse_format(format, &fmt) != 0)
        return cli_usage_error(&cmd, "unknown --format '%s' (table, csv, json, parquet or arrow)",
                               format);
    if (max_rows < 0)
        return cli_usage_error(&cmd, "--max-rows must be 0 or more");
    if (threads < 0 || threads > 1024)
        return cli_usage_error(&cmd, "--threads must be between 0 and 1024");
    int interactive = npos == 0 && file == NULL && isatty(STDIN_FILENO);
    if (npos && file)
        return cli_usage_error(&cmd, "expected the SQL as one argument or with -f FILE, not both");
    int binary = fmt == QUERY_OUT_PARQUET || fmt == QUERY_OUT_ARROW;
    if (interactive && (binary || output))
        return cli_usage_error(&cmd, "the interactive shell prints to the terminal: no "
                                     "--format parquet or arrow, no --output");
    if (binary && !output && isatty(STDOUT_FILENO))
        return cli_usage_error(&cmd, "refusing to write %s to a terminal: use -o FILE",
                               fmt == QUERY_OUT_ARROW ? "an Arrow stream" : "Parquet");

    if (output && query_path_in_lake(lake, output))
        return cli_usage_error(&cmd,
                               "--output '%s' is inside the lake: queries do not write "
                               "lake data (use CREATE TABLE name AS SELECT ...)",
                               output);
    /* The SQL: the argument, -f FILE, or standard input when it is not a terminal. */
    buf sql = {0};
    int from_stdin = !interactive && !npos && (!file || strcmp(file, "-") == 0);
    if (npos) {
        buf_puts(&sql, pos[0]);
    } else if (!interactive) {
        char ferr[512];
        int frc = from_stdin ? read_stream(stdin, &sql) : read_file(file, &sql, ferr, sizeof(ferr));
        if (frc != 0) {
            fprintf(stderr, "ticklake query: %s\n",
                    from_stdin ? "unable to read standard input" : ferr);
            buf_release(&sql);
            return 1;
        }
        buf_puts(&sql, "");
    }
    query_stmt *stmts = NULL;
    size_t nstmts = interactive ? 0 : query_split(sql.data, &stmts);
    if (!interactive && nstmts == 0) {
        buf_release(&sql);
        if (npos)
            return cli_usage_error(&cmd, "no SQL statement in the argument");
        if (!from_stdin)
            return cli_usage_error(&cmd, "no SQL statement in '%s'", file);
        return cli_usage_error(&cmd, "no SQL statement: give it as an argument, with -f FILE, "
                                     "or on standard input");
    }
    if (binary && nstmts > 1) {
        query_stmts_free(stmts, nstmts);
        buf_release(&sql);
        return cli_usage_error(&cmd, "--format %s writes one result: give one statement, not %zu",
                               format, nstmts);
    }

    if (s3_addressing && strcmp(s3_addressing, "path") != 0 &&
        strcmp(s3_addressing, "virtual") != 0 && strcmp(s3_addressing, "auto") != 0) {
        query_stmts_free(stmts, nstmts);
        buf_release(&sql);
        return cli_usage_error(&cmd, "--s3-addressing must be path, virtual or auto, not '%s'",
                               s3_addressing);
    }
    query_s3_read how = QUERY_S3_DEFAULT;
    if (s3_read && query_parse_s3_read(s3_read, &how) != 0) {
        query_stmts_free(stmts, nstmts);
        buf_release(&sql);
        return cli_usage_error(&cmd, "--s3-read must be in-place or cache, not '%s'", s3_read);
    }
    char err[4096];
    storage_options so3 = {.s3_endpoint = s3_endpoint,
                           .s3_region = s3_region,
                           .s3_addressing = s3_addressing,
                           .s3_profile = s3_profile};
    /* A one-shot query over S3 brings in only the tables it names; the shell all of them. */
    query_lake_opts lo = {.storage = &so3,
                          .cache_dir = cache_dir,
                          .s3_read = how,
                          .sql = interactive ? NULL : sql.data};
    query_session *s = query_session_open_ext(lake, &lo, (int)threads, err, sizeof(err));
    if (s && verbose && lakecache_is_s3(lake)) {
        buf sum = {0};
        query_session_describe_cache(s, &sum);
        fprintf(stderr, "ticklake query: %s\n", sum.data);
        buf_release(&sum);
    }
    if (!s) {
        fprintf(stderr, "ticklake query: %s\n", err);
        query_stmts_free(stmts, nstmts);
        buf_release(&sql);
        return 1;
    }
    FILE *out = stdout;
    char partial[PATH_MAX] = "";
    if (output && fmt != QUERY_OUT_PARQUET) {
        /* The file is opened by us, outside DuckDB: keep it out of the lake.
         * Written beside the target and renamed when the command succeeds,
         * so a failed query leaves no cut-off file (as DuckDB's COPY does
         * for --format parquet). A FIFO, a device or a symbolic link is written in place. */
        struct stat sb;
        int in_place = lstat(output, &sb) == 0 && !S_ISREG(sb.st_mode);
        if (!in_place && (size_t)snprintf(partial, sizeof(partial), "%s.partial-%ld", output,
                                          (long)getpid()) >= sizeof(partial))
            partial[0] = '\0'; /* no room for the suffix: in place too */
        out = fopen(partial[0] ? partial : output, "w");
        if (!out) {
            fprintf(stderr, "ticklake query: unable to create '%s': %s\n", output, strerror(errno));
            query_session_close(s);
            query_stmts_free(stmts, nstmts);
            buf_release(&sql);
            return 1;
        }
    }
    shell_opts so = {.q = {.format = fmt,
                           .out = out,
                           .out_path = fmt == QUERY_OUT_PARQUET ? output : NULL,
                           .max_rows = max_rows,
                           .timeout_ns = timeout_ns,
                           .save = !no_save},
                     .lake = lake};
    int rc;
    if (interactive) {
        rc = shell(s, &so);
    } else {
        script_opts sc = {.prefix = "ticklake query: ", .summary = verbose, .note_truncated = 1};
        rc = run_script(s, stmts, nstmts, &so.q, &sc);
    }
    if (out != stdout) {
        int query_failed = rc != 0;
        if (fclose(out) != 0 && rc == 0) {
            fprintf(stderr, "ticklake query: unable to write '%s': %s\n", output, strerror(errno));
            rc = 1;
        }
        /* In the shell, each statement reported its own failure; what it
         * wrote stays. */
        if (partial[0] && (rc == 0 || interactive) && rename(partial, output) != 0) {
            fprintf(stderr, "ticklake query: unable to create '%s': %s\n", output, strerror(errno));
            rc = 1;
        }
        if (partial[0]) {
            if (query_failed && !interactive)
                fprintf(stderr, "ticklake query: '%s' not written: the query failed\n", output);
            unlink(partial); /* gone already after a rename */
        }
    }
    query_session_close(s);
    query_stmts_free(stmts, nstmts);
    buf_release(&sql);
    return rc;
}
