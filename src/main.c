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
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ticklake <command> [options]\n\n"
               "A real-time stock market analytics pipeline: Kafka, event-time bars,\n"
               "a Parquet lake, a catalog and SQL.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s%s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'ticklake <command> --help' describes a command's options. Every command\n"
               "reads them from --config FILE (or $TICKLAKE_CONFIG) first: docs/CONFIG.md.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("ticklake 0.1.0\n");
        return 0;
    }
    enum { NCOMMANDS = sizeof(commands) / sizeof(commands[0]) };
    const char *names[NCOMMANDS + 1];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    names[NCOMMANDS] = NULL;
    cli_set_commands(names); /* config sections must name one of them */
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ticklake: '%s' is not a ticklake command\n\n", argv[1]);
    usage(stderr);
    return 2;
}
