/* cli.h - command-line parsing driven by option tables, and what commands share.
 *
 * Each command declares a table of cli_option; cli_parse() fills the targets
 * and cli_usage() prints help from the same table, so the two never drift.
 * Usage errors print the usage on stderr and make the command exit 2. */
#ifndef TICKLAKE_CLI_H
#define TICKLAKE_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "pipeline.h"

typedef enum {
    CLI_STRING,   /* const char ** */
    CLI_INT,      /* int64_t *, whole number */
    CLI_DOUBLE,   /* double * */
    CLI_DURATION, /* int64_t * ns: "30", "30s", "500ms", "2m" */
    CLI_FLAG,     /* int *, set to 1 */
    CLI_LIST,     /* cli_list *, repeatable */
    CLI_PROPS,    /* cli_list *, repeatable: the value names a properties file (kprops.h) whose
                     settings are appended as "key=value" items, in order with CLI_LIST ones */
    CLI_END
} cli_type;

typedef struct cli_list {
    const char *items[64];
    size_t n;
} cli_list;

typedef struct cli_option {
    char short_name; /* 0 for none */
    const char *long_name;
    cli_type type;
    void *target;
    const char *arg_name; /* shown in help, e.g. "N" */
    const char *help;
} cli_option;

#define CLI_OPT_END                                                                                \
    {                                                                                              \
        0, NULL, CLI_END, NULL, NULL, NULL                                                         \
    }

typedef struct cli_command {
    const char *name;
    const char *usage; /* "ticklake query [options] SQL" */
    const char *summary;
    const cli_option *options;
} cli_command;

/* Parses argv[1..argc) (argv[0] is the command name) against cmd->options.
 * Positional arguments are collected into pos (at most max_pos; more is a
 * usage error). Every command takes --config FILE (else $TICKLAKE_CONFIG, if
 * set): the file's settings for the command (config.h, docs/CONFIG.md) are
 * applied first, then the command line's options, so the command line wins
 * (a repeatable option gets the file's values first). Returns 0 to go on; -1
 * after printing --help (the command exits 0); 2 after a usage error,
 * reported on stderr with the usage (the command exits 2), including a
 * config file's "FILE:LINE: what is wrong". CLI_PARSE does the mapping. */
int cli_parse(const cli_command *cmd, int argc, char **argv, const char **pos, size_t max_pos,
              size_t *npos);

#define CLI_PARSE(cmd, argc, argv, pos, max_pos, npos)                                             \
    do {                                                                                           \
        int cli_rc_ = cli_parse((cmd), (argc), (argv), (pos), (max_pos), (npos));                  \
        if (cli_rc_)                                                                               \
            return cli_rc_ < 0 ? 0 : cli_rc_;                                                      \
    } while (0)

/* Applies the settings config text (read from path, which only names it in
 * errors) has for cmd to its option targets: a key is a long option name, or
 * one letter for a short option; a flag takes true/false/yes/no/on/off/1/0;
 * a repeatable option appends. Values are copied and kept until the process
 * exits. 0, or -1 with "PATH:LINE: what is wrong" in err. */
int cli_config_apply(const cli_command *cmd, const char *text, size_t len, const char *path,
                     char *err, size_t errlen);

/* The NULL-terminated names of every command (main.c's table), so a config
 * section naming no command is an error; borrowed. Unset: not checked. */
void cli_set_commands(const char *const *names);

/* "PATH:LINE" where the config file last set the option long_name, or NULL
 * when it did not, or the command line set it too. cli_usage_error puts it
 * before a message that begins with "--long_name", so a value the file set
 * and a command's own check refuses is reported at its line. */
const char *cli_config_origin(const char *long_name);

/* Prints the command's usage and options to stderr (or stdout for --help). */
void cli_usage(const cli_command *cmd, int to_stdout);

/* Reports a usage error ("ticklake CMD: MESSAGE", the usage line and a pointer to --help)
 * and returns 2. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Options every Kafka command takes: --brokers (or --bootstrap-server, the
 * Kafka tools' name), -X key=value and -F FILE (a client properties file, as
 * kcat -F reads it); -X and -F apply in the order given, the last setting of
 * a property winning. */
typedef struct cli_kafka {
    const char *brokers;
    cli_list props;
} cli_kafka;
#define CLI_KAFKA_OPTIONS(k)                                                                       \
    {'b',        "brokers",                                                                        \
     CLI_STRING, &(k)->brokers,                                                                    \
     "LIST",     "Kafka bootstrap brokers host:port[,...] (default: $TICKLAKE_BROKERS)"},          \
        {0,          "bootstrap-server",                                                           \
         CLI_STRING, &(k)->brokers,                                                                \
         "LIST",     "the same as --brokers (the Kafka tools' name)"},                             \
        {'X',         NULL,                                                                        \
         CLI_LIST,    &(k)->props,                                                                 \
         "KEY=VALUE", "any librdkafka property, e.g. -X security.protocol=ssl (repeatable)"},      \
    {                                                                                              \
        'F', NULL, CLI_PROPS, &(k)->props, "FILE",                                                 \
            "librdkafka properties from FILE, key=value lines and # comments, as kcat -F reads "   \
            "(repeatable; in order with -X)"                                                       \
    }

/* Fills a kafka_opts from parsed options (borrowing their strings). */
void cli_kafka_opts(const cli_kafka *k, kafka_opts *out);

/* Routes SIGINT and SIGTERM to setting ctl->stop (a second signal exits at
 * once with status 130). ctl must live until the process exits. */
void cli_handle_signals(stage_control *ctl);
/* 1 once SIGINT or SIGTERM has arrived. */
int cli_signalled(void);

/* Verbosity: -v more, -q less. */
#define CLI_LOG_OPTIONS(v, q)                                                                      \
    {'v', "verbose", CLI_FLAG, (v), NULL, "log more (debug)"},                                     \
    {                                                                                              \
        'q', "quiet", CLI_FLAG, (q), NULL, "log errors and warnings only"                          \
    }
void cli_apply_log(int verbose, int quiet);

#endif
