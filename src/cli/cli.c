/* cli.c - option-table parsing, usage, signals; see cli.h. */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "kprops.h"
#include "kprops_java.h"
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
    fprintf(f, "%-30s%s\n", "      --config FILE",
            "read options from FILE first (default $TICKLAKE_CONFIG; docs/CONFIG.md)");
    fprintf(f, "%-30s%s\n", "  -h, --help", "show this help");
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A message about "--name ..." whose value came from a config file says
     * where it was set. */
    const char *where = NULL;
    if (strncmp(msg, "--", 2) == 0) {
        char name[64];
        size_t n = strspn(msg + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
        if (n < sizeof(name)) {
            memcpy(name, msg + 2, n);
            name[n] = '\0';
            where = cli_config_origin(name);
        }
    }
    if (where)
        fprintf(stderr, "ticklake %s: %s: %s\n", cmd->name, where, msg);
    else
        fprintf(stderr, "ticklake %s: %s\n", cmd->name, msg);
    /* The usage line only, as git does: the whole help (97 lines for run)
     * scrolled the message off the terminal. */
    fprintf(stderr, "usage: %s\nSee 'ticklake %s --help'.\n", cmd->usage, cmd->name);
    return 2;
}

static const char *keep_string(const char *s);

/* Appends a properties file's settings to a cli_list as "key=value". */
typedef struct props_ctx {
    cli_list *l;
    const char *path;
    char *err;
    size_t errlen;
} props_ctx;

/* A properties file's settings as read, before kprops_java_translate. */
typedef struct props_read {
    kprop *items;
    size_t n, cap;
} props_read;

static int read_prop(void *vctx, const char *key, size_t klen, const char *value, size_t vlen,
                     int lineno)
{
    props_read *r = vctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->items = xrealloc(r->items, r->cap * sizeof(*r->items));
    }
    r->items[r->n++] = (kprop){key, value, klen, vlen, lineno};
    return 0;
}

static int add_prop(void *vctx, const char *key, size_t klen, const char *value, size_t vlen,
                    int lineno)
{
    props_ctx *x = vctx;
    if (x->l->n == sizeof(x->l->items) / sizeof(x->l->items[0]))
        return set_err(x->err, x->errlen, "%s:%d: too many properties (at most %zu with -X)",
                       x->path, lineno, sizeof(x->l->items) / sizeof(x->l->items[0]));
    buf kv = {0};
    buf_printf(&kv, "%.*s=%.*s", (int)klen, key, (int)vlen, value);
    const char *k = keep_string(kv.data);
    explicit_bzero(kv.data, kv.len); /* it may be a password */
    buf_release(&kv);
    if (!k)
        return set_err(x->err, x->errlen, "out of memory");
    x->l->items[x->l->n++] = k;
    return 0;
}

/* Sets o's target from arg (name is how the user wrote the option). 0, or -1
 * with what is wrong in err. */
static int set_value(const cli_option *o, const char *name, const char *arg, char *err,
                     size_t errlen)
{
    switch (o->type) {
    case CLI_STRING:
        *(const char **)o->target = arg;
        return 0;
    case CLI_INT:
        if (parse_int64(arg, INT64_MIN, INT64_MAX, (int64_t *)o->target) != 0)
            return set_err(err, errlen, "option '%s' expects a whole number, not '%s'", name, arg);
        return 0;
    case CLI_DOUBLE: {
        char *end;
        double v = strtod(arg, &end);
        if (end == arg || *end)
            return set_err(err, errlen, "option '%s' expects a number, not '%s'", name, arg);
        *(double *)o->target = v;
        return 0;
    }
    case CLI_DURATION:
        if (parse_duration(arg, (int64_t *)o->target) != 0)
            return set_err(err, errlen,
                           "option '%s' expects a duration like 30s, 500ms or 2m, not '%s'", name,
                           arg);
        return 0;
    case CLI_LIST: {
        cli_list *l = o->target;
        if (l->n == sizeof(l->items) / sizeof(l->items[0]))
            return set_err(err, errlen, "option '%s' given too many times", name);
        l->items[l->n++] = arg;
        return 0;
    }
    case CLI_PROPS: {
        buf text = {0};
        char rerr[512];
        if (read_file(arg, &text, rerr, sizeof(rerr)) != 0) {
            buf_release(&text);
            return set_err(err, errlen, "option '%s': %s", name, rerr);
        }
        /* The whole file first: a Java setting's meaning may depend on a later line. */
        props_read r = {0};
        int rc =
            kprops_parse(text.data ? text.data : "", text.len, arg, read_prop, &r, err, errlen);
        props_ctx x = {.l = o->target, .path = arg, .err = err, .errlen = errlen};
        if (rc == 0)
            rc = kprops_java_translate(r.items, r.n, arg, add_prop, &x, err, errlen);
        free(r.items);
        if (text.data)
            explicit_bzero(text.data, text.len);
        buf_release(&text);
        return rc ? -1 : 0;
    }
    case CLI_FLAG: {
        int v = config_bool(arg);
        if (v < 0)
            return set_err(err, errlen,
                           "option '%s' is a flag: true, false, yes, no, on, off, 1 or 0, not "
                           "'%s'",
                           name, arg);
        *(int *)o->target = v;
        return 0;
    }
    case CLI_END:
        break;
    }
    return 0;
}

/* Values read from config files, kept (reachable) until the process exits:
 * options borrow them as they borrow argv. */
static struct {
    char **items;
    size_t n, cap;
} config_strings;

static const char *keep_string(const char *s)
{
    if (config_strings.n == config_strings.cap) {
        size_t cap = config_strings.cap ? 2 * config_strings.cap : 16;
        char **items = realloc(config_strings.items, cap * sizeof(*items));
        if (!items)
            return NULL;
        config_strings.items = items;
        config_strings.cap = cap;
    }
    char *copy = strdup(s);
    if (copy)
        config_strings.items[config_strings.n++] = copy;
    return copy;
}

/* Where the config file set each option last ("PATH:LINE"), so that a
 * command's later check of the value can say where it came from; an option
 * the command line sets is taken out. */
#define CLI_MAX_ORIGINS 128
static struct {
    const char *long_name;
    const char *where;
} origins[CLI_MAX_ORIGINS];
static size_t norigins;

static void forget_origin(const cli_option *o)
{
    for (size_t i = 0; o->long_name && i < norigins; i++)
        if (strcmp(origins[i].long_name, o->long_name) == 0)
            origins[i] = origins[--norigins];
}

const char *cli_config_origin(const char *long_name)
{
    for (size_t i = 0; i < norigins; i++)
        if (strcmp(origins[i].long_name, long_name) == 0)
            return origins[i].where;
    return NULL;
}

typedef struct apply_ctx {
    const cli_command *cmd;
    const char *path;
} apply_ctx;

static int config_setting(void *arg, const char *key, const char *value, int line, char *err,
                          size_t errlen)
{
    const apply_ctx *ctx = arg;
    const cli_command *cmd = ctx->cmd;
    const cli_option *o = NULL;
    for (const cli_option *c = cmd->options; c && c->type != CLI_END; c++)
        if (key[1] ? (c->long_name && strcmp(c->long_name, key) == 0) : c->short_name == key[0])
            o = c;
    if (!o)
        return set_err(err, errlen, "'%s' is not an option of ticklake %s", key, cmd->name);
    const char *v = keep_string(value);
    if (!v)
        return set_err(err, errlen, "out of memory");
    if (set_value(o, key, v, err, errlen) != 0)
        return -1;
    if (o->long_name && o->type != CLI_LIST && o->type != CLI_PROPS) {
        char where[512];
        snprintf(where, sizeof(where), "%s:%d", ctx->path, line);
        const char *w = keep_string(where);
        forget_origin(o);
        if (w && norigins < CLI_MAX_ORIGINS) {
            origins[norigins].long_name = o->long_name;
            origins[norigins++].where = w;
        }
    }
    return 0;
}

static const char *const *known_commands;

void cli_set_commands(const char *const *names)
{
    known_commands = names;
}

int cli_config_apply(const cli_command *cmd, const char *text, size_t len, const char *path,
                     char *err, size_t errlen)
{
    apply_ctx ctx = {cmd, path};
    norigins = 0;
    return config_parse(text, len, path, cmd->name, known_commands, config_setting, &ctx, err,
                        errlen);
}

/* An option as given on the command line, applied after the config file. */
typedef struct given {
    const cli_option *o;
    const char *arg; /* NULL for a flag */
    char name[64];
} given;

/* Reads and applies the config file named by --config or TICKLAKE_CONFIG,
 * if any. 0, or 2 after a usage error. */
static int apply_config_file(const cli_command *cmd, const char *path)
{
    if (!path) {
        path = getenv("TICKLAKE_CONFIG");
        if (!path || !*path)
            return 0;
    }
    buf text = {0};
    char err[512];
    int rc = 0;
    if (read_file(path, &text, err, sizeof(err)) != 0)
        rc = cli_usage_error(cmd, "config file: %s", err);
    else if (cli_config_apply(cmd, text.data ? text.data : "", text.len, path, err, sizeof(err)))
        rc = cli_usage_error(cmd, "%s", err);
    buf_release(&text);
    return rc;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, const char **pos, size_t max_pos,
              size_t *npos)
{
    *npos = 0;
    int only_pos = 0, rc = 0;
    const char *config = NULL;
    given *gv = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*gv));
    size_t ngiven = 0;
    if (!gv)
        return cli_usage_error(cmd, "out of memory");
    /* First the command line is read (and -h answered), then the config
     * file applied, then the command line's options over it. */
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (*npos == max_pos)
                rc = cli_usage_error(cmd, "unexpected argument '%s'", a);
            else
                pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_usage(cmd, 1);
            rc = -1; /* caller maps to 0 */
            break;
        }
        if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
            if (config)
                rc = cli_usage_error(cmd, "option '--config' given twice");
            else if (a[8] == '=')
                config = a + 9;
            else if (i + 1 >= argc)
                rc = cli_usage_error(cmd, "option '--config' needs a value");
            else
                config = argv[++i];
            continue;
        }
        const cli_option *o = NULL;
        const char *inline_arg = NULL;
        given *g = &gv[ngiven];
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            for (const cli_option *c = cmd->options; c && c->type != CLI_END; c++)
                if (c->long_name && strlen(c->long_name) == len &&
                    strncmp(c->long_name, a + 2, len) == 0)
                    o = c;
            if (eq)
                inline_arg = eq + 1;
            snprintf(g->name, sizeof(g->name), "--%.*s", (int)(len < 50 ? len : 50), a + 2);
        } else {
            for (const cli_option *c = cmd->options; c && c->type != CLI_END; c++)
                if (c->short_name == a[1])
                    o = c;
            if (a[2])
                inline_arg = a + 2; /* -Xkey=value */
            snprintf(g->name, sizeof(g->name), "-%c", a[1]);
        }
        if (!o) {
            rc = cli_usage_error(cmd, "unknown option '%s'", a);
            break;
        }
        if (o->type == CLI_FLAG) {
            /* --flag sets it; --flag=false turns off one a config file set. */
            g->o = o;
            g->arg = inline_arg;
            ngiven++;
            continue;
        }
        const char *arg = inline_arg;
        if (!arg) {
            if (i + 1 >= argc) {
                rc = cli_usage_error(cmd, "option '%s' needs a value", g->name);
                break;
            }
            arg = argv[++i];
        }
        g->o = o;
        g->arg = arg;
        ngiven++;
    }
    if (!rc)
        rc = apply_config_file(cmd, config);
    for (size_t k = 0; k < ngiven && !rc; k++) {
        char err[512];
        forget_origin(gv[k].o);
        if (gv[k].o->type == CLI_FLAG && !gv[k].arg)
            *(int *)gv[k].o->target = 1;
        else if (set_value(gv[k].o, gv[k].name, gv[k].arg, err, sizeof(err)) != 0)
            rc = cli_usage_error(cmd, "%s", err);
    }
    free(gv);
    return rc;
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
