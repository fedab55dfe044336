/* kafka_server.c - a durable local Apache Kafka node as a child process; see
 * kafka_server.h. */
#include "kafka_server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#ifndef TICKLAKE_KAFKA_LIBS
#define TICKLAKE_KAFKA_LIBS ".cache/kafka-3.9.1/libs"
#endif

const char *kafka_server_default_libs(void)
{
    const char *env = getenv("TICKLAKE_KAFKA_LIBS");
    return env && *env ? env : TICKLAKE_KAFKA_LIBS;
}

/* 1 when prog names an executable, directly or on PATH. */
static int find_program(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char dir[4096];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        if (n > 0 && n < sizeof(dir) - 64) {
            snprintf(dir, sizeof(dir), "%.*s/%s", (int)n, p, prog);
            if (access(dir, X_OK) == 0)
                return 1;
        }
        p += n + (p[n] == ':');
    }
    return 0;
}

/* 1 when libs holds Kafka's server jar. */
static int has_server_jar(const char *libs)
{
    DIR *d = opendir(libs);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)))
        found = strncmp(e->d_name, "kafka_2.13-", 11) == 0 && strstr(e->d_name, ".jar") &&
                !strstr(e->d_name, "-test");
    closedir(d);
    return found;
}

static int write_file(const char *path, const char *text, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return set_err(errstr, errstr_size, "cannot write '%s': %s", path, strerror(errno));
    int ok = fputs(text, f) >= 0;
    ok &= fclose(f) == 0;
    return ok ? 0 : set_err(errstr, errstr_size, "cannot write '%s': %s", path, strerror(errno));
}

/* A random cluster id as Kafka writes it: 16 bytes, base64url, no padding,
 * and, as Kafka's Uuid.randomUuid, never starting with '-': kafka-storage
 * would read "-t -M6k..." as an option (t0019 failed so in CI, 1 in 64). */
static int random_cluster_id(char out[23], char *errstr, size_t errstr_size)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return set_err(errstr, errstr_size, "cannot read /dev/urandom: %s", strerror(errno));
    do {
        unsigned char b[18] = {0};
        if (read(fd, b, 16) != 16) {
            close(fd);
            return set_err(errstr, errstr_size, "cannot read /dev/urandom: %s", strerror(errno));
        }
        for (int i = 0, o = 0; o < 22; i += 3) {
            uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
            for (int k = 3; k >= 0 && o < 22; k--)
                out[o++] = b64[(v >> (6 * k)) & 63];
        }
        out[22] = '\0';
    } while (out[0] == '-');
    close(fd);
    return 0;
}

/* Starts argv with stdout and stderr appended to log_path and stdin closed;
 * the child gets the default signal dispositions and its own process group,
 * so a Ctrl-C at the terminal reaches ticklake, which stops it in order. */
static pid_t spawn(char *const argv[], const char *log_path, char *errstr, size_t errstr_size)
{
    int out = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) {
        set_err(errstr, errstr_size, "cannot open '%s': %s", log_path, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        set_err(errstr, errstr_size, "fork: %s", strerror(errno));
        close(out);
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0)
            dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        setpgid(0, 0);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        dprintf(2, "ticklake: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out);
    return pid;
}

int kafka_server_start(const kafka_server_config *cfg, kafka_server *srv, char *errstr,
                       size_t errstr_size)
{
    memset(srv, 0, sizeof(*srv));
    const char *java = cfg->java ? cfg->java : "java";
    if (!find_program(java))
        return set_err(errstr, errstr_size,
                       "'%s' was not found: a durable broker needs Java 17 or newer "
                       "(Debian: apt-get install openjdk-17-jre-headless)",
                       java);
    if (!has_server_jar(cfg->libs))
        return set_err(errstr, errstr_size,
                       "Kafka's jars are not in '%s': fetch them with `tests/kafka/kafka.sh "
                       "fetch` (or ./dev setup --test), or point TICKLAKE_KAFKA_LIBS at a "
                       "folder holding kafka_2.13-*.jar and its dependencies",
                       cfg->libs);
    if (mkdir_p(cfg->data_dir, errstr, errstr_size) != 0)
        return -1;
    char path[4096], data[4096], text[9000];
    snprintf(data, sizeof(data), "%s/data", cfg->data_dir);
    snprintf(srv->log_path, sizeof(srv->log_path), "%s/kafka.log", cfg->data_dir);

    /* Rewritten at every start (ports may change); the data stays. */
    snprintf(text, sizeof(text),
             "# written by `ticklake broker --kafka` at every start; data in log.dirs is kept\n"
             "process.roles=broker,controller\n"
             "node.id=1\n"
             "controller.quorum.voters=1@127.0.0.1:%d\n"
             "listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d\n"
             "advertised.listeners=PLAINTEXT://127.0.0.1:%d\n"
             "controller.listener.names=CONTROLLER\n"
             "inter.broker.listener.name=PLAINTEXT\n"
             "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
             "log.dirs=%s\n"
             "num.partitions=%d\n"
             "default.replication.factor=1\n"
             "auto.create.topics.enable=true\n"
             "offsets.topic.replication.factor=1\n"
             "transaction.state.log.replication.factor=1\n"
             "transaction.state.log.min.isr=1\n"
             "group.initial.rebalance.delay.ms=0\n",
             cfg->controller_port, cfg->port, cfg->controller_port, cfg->port, data,
             cfg->partitions);
    snprintf(path, sizeof(path), "%s/server.properties", cfg->data_dir);
    if (write_file(path, text, errstr, errstr_size) != 0)
        return -1;
    char log4j[4096];
    snprintf(log4j, sizeof(log4j), "%s/log4j.properties", cfg->data_dir);
    if (write_file(log4j,
                   "log4j.rootLogger=WARN, stdout\n"
                   "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
                   "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
                   "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
                   "log4j.logger.kafka.server.KafkaRaftServer=INFO\n",
                   errstr, errstr_size) != 0)
        return -1;

    char cp[4096], heap[64], log4j_opt[4200];
    snprintf(cp, sizeof(cp), "%s/*", cfg->libs);
    snprintf(heap, sizeof(heap), "-Xmx%s", cfg->heap ? cfg->heap : "1g");
    snprintf(log4j_opt, sizeof(log4j_opt), "-Dlog4j.configuration=file:%s", log4j);

    char meta[4200];
    snprintf(meta, sizeof(meta), "%s/meta.properties", data);
    if (access(meta, F_OK) != 0) {
        char id[23];
        if (random_cluster_id(id, errstr, errstr_size) != 0)
            return -1;
        LOG_INFO("broker: formatting a new Kafka log folder in '%s' (cluster id %s)", data, id);
        char *const argv[] = {(char *)java,
                              heap,
                              "-Djava.awt.headless=true",
                              log4j_opt,
                              "-cp",
                              cp,
                              "kafka.tools.StorageTool",
                              "format",
                              "-t",
                              id,
                              "-c",
                              path,
                              NULL};
        pid_t pid = spawn(argv, srv->log_path, errstr, errstr_size);
        if (pid < 0)
            return -1;
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            char tail[1024];
            kafka_server_log_tail(srv, tail, sizeof(tail));
            return set_err(errstr, errstr_size, "formatting '%s' failed (log '%s'): %s", data,
                           srv->log_path, tail);
        }
    }
    char *const argv[] = {(char *)java,  heap,  "-Djava.awt.headless=true",
                          log4j_opt,     "-cp", cp,
                          "kafka.Kafka", path,  NULL};
    srv->pid = spawn(argv, srv->log_path, errstr, errstr_size);
    return srv->pid > 0 ? 0 : -1;
}

int kafka_server_alive(kafka_server *srv)
{
    if (srv->pid <= 0)
        return 0;
    pid_t r = waitpid(srv->pid, NULL, WNOHANG);
    if (r == srv->pid || (r < 0 && errno == ECHILD)) {
        srv->pid = 0;
        return 0;
    }
    return 1;
}

void kafka_server_stop(kafka_server *srv, int timeout_ms)
{
    if (srv->pid <= 0)
        return;
    kill(srv->pid, SIGTERM);
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (!kafka_server_alive(srv))
            return;
        sleep_ns(100 * 1000000LL);
    }
    LOG_WARN("broker: Kafka did not stop within %d ms; killing it", timeout_ms);
    kill(srv->pid, SIGKILL);
    waitpid(srv->pid, NULL, 0);
    srv->pid = 0;
}

void kafka_server_log_tail(const kafka_server *srv, char *out, size_t out_size)
{
    out[0] = '\0';
    FILE *f = fopen(srv->log_path, "r");
    if (!f)
        return;
    char tailbuf[4096];
    if (fseek(f, -(long)(sizeof(tailbuf) - 1), SEEK_END) != 0)
        rewind(f);
    size_t n = fread(tailbuf, 1, sizeof(tailbuf) - 1, f);
    fclose(f);
    tailbuf[n] = '\0';
    /* The last lines that fit, newlines as " | ". */
    const char *start = tailbuf;
    while (strlen(start) > out_size - 1 && strchr(start, '\n'))
        start = strchr(start, '\n') + 1;
    snprintf(out, out_size, "%s", start);
    for (char *p = out; *p; p++)
        if (*p == '\n')
            *p = (p[1] ? '|' : '\0');
}
