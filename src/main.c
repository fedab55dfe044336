/* main.c - the ticklake binary: dispatches git-style subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", cmd_run, "the whole pipeline: simulator -> Kafka -> bars -> Parquet lake"},
    {"broker", cmd_broker, "an embedded Kafka-protocol broker for local use"},
    {"ingest", cmd_ingest, "publish market ticks to Kafka"},
    {"process", cmd_process, "turn trades into OHLCV bars in event time"},
    {"sink", cmd_sink, "land trades and bars in the lake as Parquet"},
    {"crawl", cmd_crawl, "discover tables, schemas and partitions in the lake"},
    {"compact", cmd_compact, "merge small lake files; drop partitions past retention"},
    {"query", cmd_query, "run SQL over the lake's catalog tables (a shell on a terminal)"},
    {"tables", cmd_tables, "list the catalog's tables"},
    {"describe", cmd_describe, "show a table's columns and partition keys"},
    {"partitions", cmd_partitions, "list a table's partitions"},
    {"ddl", cmd_ddl, "print CREATE EXTERNAL TABLE for Athena, Glue or Trino"},
    {"history", cmd_history, "list past queries and their saved results"},
    {"serve", cmd_serve, "the web console, HTTP API, push stream and metrics"},
};

enum { NCOMMANDS = sizeof(commands) / sizeof(commands[0]) };

static void usage(FILE *f)
{
    fprintf(f, "usage: ticklake <command> [options]\n\n"
               "A real-time stock market analytics pipeline: Kafka, event-time bars,\n"
               "a Parquet lake, a catalog and SQL.\n\ncommands:\n");
    /* Names in one column as wide as the longest, then two spaces. */
    int width = 0;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if ((int)strlen(commands[i].name) > width)
            width = (int)strlen(commands[i].name);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-*s  %s\n", width, commands[i].name, commands[i].summary);
    fprintf(f, "\n'ticklake help <command>' or 'ticklake <command> --help' describes a\n"
               "command's options. Every command reads them from --config FILE (or\n"
               "$TICKLAKE_CONFIG) first: docs/CONFIG.md.\n");
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* `ticklake help [COMMAND]`: the general help, or the command's own
 * (as `ticklake COMMAND --help`). */
static int help(int argc, char **argv)
{
    if (argc == 2) {
        usage(stdout);
        return 0;
    }
    const struct command *c = argc == 3 ? find_command(argv[2]) : NULL;
    if (!c) {
        if (argc == 3)
            fprintf(stderr, "ticklake help: '%s' is not a ticklake command\n\n", argv[2]);
        else
            fprintf(stderr, "ticklake help: expected at most one command\n\n");
        usage(stderr);
        return 2;
    }
    char *args[] = {argv[2], "--help", NULL};
    return c->fn(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0)
        return help(argc, argv);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)
        return cmd_version(argc - 1, argv + 1);
    const char *names[NCOMMANDS + 1];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    names[NCOMMANDS] = NULL;
    cli_set_commands(names); /* config sections must name one of them */
    const struct command *c = find_command(argv[1]);
    if (c)
        return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "ticklake: '%s' is not a ticklake command\n\n", argv[1]);
    usage(stderr);
    return 2;
}
