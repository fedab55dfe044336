/* kafka_server.h - a durable local broker: one Apache Kafka node (KRaft,
 * broker and controller in one JVM) run as a child process from the Maven
 * Central jars the tests use (tests/kafka/kafka.sh fetch).
 *
 * The node keeps its data in a folder of the caller's choosing, so records,
 * committed offsets and transactions survive a restart: the durable choice
 * beside the embedded broker, which keeps a few MiB per partition in memory.
 * This module writes the node's configuration, formats the storage on first
 * use, starts `java` and stops it; it does not speak Kafka (the caller checks
 * readiness with kafka.h). Every function returns 0 or -1 with a message in
 * errstr. */
#ifndef TICKLAKE_KAFKA_SERVER_H
#define TICKLAKE_KAFKA_SERVER_H

#include <sys/types.h>

typedef struct kafka_server_config {
    const char *data_dir; /* created if missing; holds server.properties, data/, kafka.log */
    const char *libs;     /* folder of kafka_2.13-*.jar and its dependencies */
    const char *java;     /* the java launcher; NULL: "java" on PATH */
    int port;             /* client listener on 127.0.0.1 */
    int controller_port;  /* KRaft controller listener on 127.0.0.1 */
    int partitions;       /* num.partitions for auto-created topics */
    const char *heap;     /* -Xmx value, e.g. "1g"; NULL: "1g" */
} kafka_server_config;

typedef struct kafka_server {
    pid_t pid;           /* the JVM, 0 when not running */
    char log_path[4096]; /* the node's output */
} kafka_server;

/* The jar folder the build knows of (the repository's .cache), or the
 * environment's TICKLAKE_KAFKA_LIBS when set. Never NULL. */
const char *kafka_server_default_libs(void);

/* Checks java and the jars, writes the configuration, formats the storage if
 * the folder holds none yet, and starts the node in the background (its
 * output goes to <data_dir>/kafka.log). Does not wait for it to serve. */
int kafka_server_start(const kafka_server_config *cfg, kafka_server *srv, char *errstr,
                       size_t errstr_size);

/* 1 while the node runs; 0 once it has exited (reaped). */
int kafka_server_alive(kafka_server *srv);

/* Asks the node to stop (SIGTERM: a clean shutdown that flushes its logs) and
 * waits up to timeout_ms, then kills it. */
void kafka_server_stop(kafka_server *srv, int timeout_ms);

/* Copies the last lines of the node's log into out (for error messages). */
void kafka_server_log_tail(const kafka_server *srv, char *out, size_t out_size);

#endif
