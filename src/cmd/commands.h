/* commands.h - one entry point per subcommand, each in src/cmd_<name>.c.
 * A command parses its own options, runs, and returns the process exit
 * status: 0 success, 1 failure, 2 usage error. Only commands print for the
 * user and decide exit codes. */
#ifndef TICKLAKE_COMMANDS_H
#define TICKLAKE_COMMANDS_H

int cmd_broker(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_process(int argc, char **argv);
int cmd_sink(int argc, char **argv);
int cmd_crawl(int argc, char **argv);
int cmd_compact(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_tables(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_partitions(int argc, char **argv);
int cmd_ddl(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_serve(int argc, char **argv);
/* `ticklake --version` / `ticklake version` (argv[0] is the word itself). */
int cmd_version(int argc, char **argv);

#endif
