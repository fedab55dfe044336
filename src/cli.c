/* cli.c - option-table parsing, usage, signals; see cli.h. */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static void print_option(FILE *f, const cli_option *o)
{
    char left[96];
    int n = 0;
    if (o->short_name && o->long_name)
        n = snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->long_name);
    else if (o->short_name)
        n = snprintf(left, sizeof(left), "  -%c", o->short_name);
    else
        n = snprintf(left, sizeof(left), "      --%s", o->long_name);
    if (o->arg_name && n > 0 && (size_t)n < sizeof(left))
        snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg_name);
    if (strlen(left) > 28)
        fprintf(f, "%s\n%30s%s\n", left, "", o->help);
    else
        fprintf(f, "%-30s%s\n", left, o->help);
}

void cli_usage(const cli_command *cmd, int to_stdout)
{
    FILE *f = to_stdout ? stdout : stderr;
    fprintf(f, "usage: %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->options && cmd->options[0].type != CLI_END) {
        fprintf(f, "\noptions:\n");
        for (const cli_option *o = cmd->options; o->type != CLI_END; o++)
            print_option(f, o);
    }
    fprintf(f, "%-30s%s\n", "  -h, --help", "show this help");
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "ticklake %s: %s\n\n", cmd->name, msg);
    cli_usage(cmd, 0);
    return 2;
}

static int set_value(const cli_command *cmd, const cli_option *o, const char *name, const char *arg)
{
    switch (o->type) {
    case CLI_STRING:
        *(const char **)o->target = arg;
        return 0;
    case CLI_INT:
        if (parse_int64(arg, INT64_MIN, INT64_MAX, (int64_t *)o->target) != 0)
            return cli_usage_error(cmd, "option '%s' expects a whole number, not '%s'", name, arg);
        return 0;
    case CLI_DOUBLE: {
        char *end;
        double v = strtod(arg, &end);
        if (end == arg || *end)
            return cli_usage_error(cmd, "option '%s' expects a number, not '%s'", name, arg);
        *(double *)o->target = v;
        return 0;
    }
    case CLI_DURATION:
        if (parse_duration(arg, (int64_t *)o->target) != 0)
            return cli_usage_error(cmd,
                                   "option '%s' expects a duration like 30s, 500ms or 2m, "
                                   "not '%s'",
                                   name, arg);
        return 0;
    case CLI_LIST: {
        cli_list *l = o->target;
        if (l->n == sizeof(l->items) / sizeof(l->items[0]))
            return cli_usage_error(cmd, "option '%s' given too many times", name);
        l->items[l->n++] = arg;
        return 0;
    }
    case CLI_FLAG:
    case CLI_END:
        break;
    }
    return 0;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, const char **pos, size_t max_pos,
              size_t *npos)
{
    *npos = 0;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (*npos == max_pos)
                return cli_usage_error(cmd, "unexpected argument '%s'", a);
            pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_usage(cmd, 1);
            return -1; /* caller maps to 0 */
        }
        const cli_option *o = NULL;
        const char *inline_arg = NULL;
        char name[64];
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            for (const cli_option *c = cmd->options; c && c->type != CLI_END; c++)
                if (c->long_name && strlen(c->long_name) == len &&
                    strncmp(c->long_name, a + 2, len) == 0)
                    o = c;
            if (eq)
                inline_arg = eq + 1;
            snprintf(name, sizeof(name), "--%.*s", (int)(len < 50 ? len : 50), a + 2);
        } else {
            for (const cli_option *c = cmd->options; c && c->type != CLI_END; c++)
                if (c->short_name == a[1])
                    o = c;
            if (a[2])
                inline_arg = a + 2; /* -Xkey=value */
            snprintf(name, sizeof(name), "-%c", a[1]);
        }
        if (!o)
            return cli_usage_error(cmd, "unknown option '%s'", a);
        if (o->type == CLI_FLAG) {
            if (inline_arg)
                return cli_usage_error(cmd, "option '%s' takes no value", name);
            *(int *)o->target = 1;
            continue;
        }
        const char *arg = inline_arg;
        if (!arg) {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "option '%s' needs a value", name);
            arg = argv[++i];
        }
        int rc = set_value(cmd, o, name, arg);
        if (rc)
            return rc;
    }
    return 0;
}

void cli_kafka_opts(const cli_kafka *k, kafka_opts *out)
{
    memset(out, 0, sizeof(*out));
    out->brokers = k->brokers ? k->brokers : getenv("TICKLAKE_BROKERS");
    out->props = k->props.items;
    out->nprops = k->props.n;
}

static stage_control *signal_ctl;
static volatile sig_atomic_t signal_count;

static void on_signal(int sig)
{
    (void)sig;
    if (++signal_count > 1) {
        static const char msg[] = "\nticklake: second signal, exiting now\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)w;
        _exit(130);
    }
    if (signal_ctl)
        atomic_store(&signal_ctl->stop, 1);
}

void cli_handle_signals(stage_control *ctl)
{
    signal_ctl = ctl;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cli_signalled(void)
{
    return signal_count > 0;
}

void cli_apply_log(int verbose, int quiet)
{
    if (verbose)
        log_level = LOG_LVL_DEBUG;
    else if (quiet)
        log_level = LOG_LVL_WARN;
}
