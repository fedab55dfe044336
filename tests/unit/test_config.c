/* Unit tests for config.c (config files, from text) and for how cli.c
 * applies them to a command's options: precedence, repeatable options,
 * flags, errors with their line numbers. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "testlib.h"
#include "util.h"

/* Records "key=value;" for each setting. */
static int record(void *arg, const char *key, const char *value, int line, char *err, size_t errlen)
{
    buf *b = arg;
    buf_printf(b, "%s=%s;", key, value);
    if (strcmp(key, "refuse") == 0)
        return set_err(err, errlen, "refused '%s'", value);
    return 0;
}

/* The settings text has for command, or "ERR:<message>". */
static char *parse(const char *text, const char *command)
{
    static char out[1024];
    buf b = {0};
    char err[512];
    if (config_parse(text, strlen(text), "t.conf", command, NULL, record, &b, err, sizeof(err)) !=
        0)
        snprintf(out, sizeof(out), "ERR:%s", err);
    else
        snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
    buf_release(&b);
    return out;
}

static void test_good_file(void)
{
    const char *text = "\xEF\xBB\xBF# ticklake.conf\n"
                       "; another comment\n"
                       "\n"
                       "[process run]\n"
                       "alert-z = 3\r\n"
                       "  sma=10,30  \n"
                       "X = linger.ms=0\n"
                       "   # indented comment\n"
                       "lake = s3://bucket/with#hash\n"
                       "topic-prefix =\n"
                       "[ sink ]\n"
                       "roll-rows = 5\n"
                       "[ingest,process]\n"
                       "\tseed = 7\n";
    CHECK_EQ_STR(parse(text, "process"), "alert-z=3;sma=10,30;X=linger.ms=0;"
                                         "lake=s3://bucket/with#hash;topic-prefix=;seed=7;");
    CHECK_EQ_STR(parse(text, "run"), "alert-z=3;sma=10,30;X=linger.ms=0;"
                                     "lake=s3://bucket/with#hash;topic-prefix=;");
    CHECK_EQ_STR(parse(text, "sink"), "roll-rows=5;");
    CHECK_EQ_STR(parse(text, "ingest"), "seed=7;");
    CHECK_EQ_STR(parse(text, "query"), "");
    CHECK_EQ_STR(parse("", "process"), "");
    CHECK_EQ_STR(parse("[process]", "process"), "");
    CHECK_EQ_STR(parse("[process]\na=1", "process"), "a=1;"); /* no final newline */
}

/* Keys of other commands' sections are not checked (the callback refuses
 * "refuse"); sections naming several commands apply to each. */
static void test_other_sections_are_skipped(void)
{
    const char *text = "[sink]\nrefuse = x\n[process , run]\nseed = 1\n[query]\nrefuse = y\n";
    CHECK_EQ_STR(parse(text, "process"), "seed=1;");
    CHECK_EQ_STR(parse(text, "run"), "seed=1;");
    CHECK_EQ_STR(parse(text, "sink"), "ERR:t.conf:2: refused 'x'");
    CHECK_EQ_STR(parse(text, "query"), "ERR:t.conf:6: refused 'y'");
    /* A command whose name is a prefix of another's is not named by it. */
    CHECK_EQ_STR(parse("[processes]\nrefuse = 1\n", "process"), "");
}

static void test_errors_name_file_and_line(void)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"[process]\nseed = 1\nalert-z 3\n", "t.conf:3: expected 'key = value' or '[section]'"},
        {"# c\n[process\n", "t.conf:2: section line without ']'"},
        {"[process] x\n", "t.conf:1: text after ']' in a section line"},
        {"\n\n[]\n", "t.conf:3: a section names no command"},
        {"[ , ]\n", "t.conf:1: a section names no command"},
        {"[Process]\n",
         "t.conf:1: a section names commands (e.g. [process run]); 'P' is not part of a command "
         "name"},
        {"seed = 1\n", "t.conf:1: a setting before any [section] naming its commands"},
        {"[process]\n = 1\n", "t.conf:2: no key before '='"},
        {"[process]\nalert z = 1\n", "t.conf:2: 'alert z' is not an option name (letters, digits "
                                     "and '-')"},
        {"[process]\nrefuse = no\n", "t.conf:2: refused 'no'"},
        /* Syntax errors count in any section. */
        {"[sink]\nroll-rows\n", "t.conf:2: expected 'key = value' or '[section]'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char want[600];
        snprintf(want, sizeof(want), "ERR:%s", cases[i].err);
        CHECK_EQ_STR(parse(cases[i].text, "process"), want);
    }
    /* A NUL byte, a CR inside a line, and a line too long, with their lines. */
    char err[512];
    buf b = {0};
    static const char nul[] = "[process]\nseed = 1\0 2\n";
    CHECK_EQ_INT(
        config_parse(nul, sizeof(nul) - 1, "t.conf", "process", NULL, record, &b, err, sizeof(err)),
        -1);
    CHECK_EQ_STR(err, "t.conf:2: control character 0x00 in the line");
    CHECK_EQ_STR(parse("[process]\nseed = 1\r2\n", "process"),
                 "ERR:t.conf:2: control character 0x0d in the line");
    buf_reset(&b);
    buf_puts(&b, "[process]\n\nseed = ");
    for (int i = 0; i < CONFIG_LINE_MAX; i++)
        buf_putc(&b, '1');
    buf rec = {0};
    CHECK_EQ_INT(
        config_parse(b.data, b.len, "t.conf", "process", NULL, record, &rec, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "t.conf:3: line longer than 4095 bytes");
    buf_release(&b);
    buf_release(&rec);
}

static void test_bool(void)
{
    const char *yes[] = {"true", "YES", "on", "1"}, *no[] = {"false", "No", "OFF", "0"};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(config_bool(yes[i]), 1);
        CHECK_EQ_INT(config_bool(no[i]), 0);
    }
    CHECK_EQ_INT(config_bool(""), -1);
    CHECK_EQ_INT(config_bool("2"), -1);
    CHECK_EQ_INT(config_bool("truex"), -1);
}

/* ---- applied to a command's options (cli.c) ------------------------------- */

typedef struct opts {
    const char *name;
    int64_t n;
    double x;
    int64_t dur;
    int flag;
    cli_list props;
    const char *pos[2];
    size_t npos;
} opts;

#define OPTIONS(o)                                                                                 \
    const cli_option options[] = {                                                                 \
        {'g', "name", CLI_STRING, &(o)->name, "S", "a string"},                                    \
        {0, "n", CLI_INT, &(o)->n, "N", "an int (a one-letter long name)"},                        \
        {0, "alert-z", CLI_DOUBLE, &(o)->x, "X", "a number"},                                      \
        {0, "stale", CLI_DURATION, &(o)->dur, "DUR", "a duration"},                                \
        {0, "drain", CLI_FLAG, &(o)->flag, NULL, "a flag"},                                        \
        {'X', NULL, CLI_LIST, &(o)->props, "K=V", "repeatable"},                                   \
        CLI_OPT_END};                                                                              \
    const cli_command cmd = {"process", "ticklake process", "test", options}

static int apply(opts *o, const char *text, char *err, size_t errlen)
{
    OPTIONS(o);
    return cli_config_apply(&cmd, text, strlen(text), "f.conf", err, errlen);
}

static void test_apply_sets_each_kind(void)
{
    opts o = {0};
    char err[512] = "";
    CHECK_EQ_INT(apply(&o,
                       "[process]\nname = abc\nalert-z = 1.5\nstale = 2m\ndrain = on\n"
                       "X = linger.ms=0\nX = acks=1\ng = short\n",
                       err, sizeof(err)),
                 0);
    CHECK_EQ_STR(o.name, "short"); /* -g is --name: the later setting wins */
    CHECK(o.x == 1.5);
    CHECK_EQ_INT(o.dur, 120 * NS_PER_SEC);
    CHECK_EQ_INT(o.flag, 1);
    CHECK_EQ_INT(o.props.n, 2);
    CHECK_EQ_STR(o.props.items[0], "linger.ms=0");
    CHECK_EQ_STR(o.props.items[1], "acks=1");
    CHECK_EQ_INT(apply(&o, "[process]\ndrain = false\n", err, sizeof(err)), 0);
    CHECK_EQ_INT(o.flag, 0);
    /* "n" is a long name of one letter, so as a key it means a short option
     * (there is none): one-letter keys are short options. */
    CHECK_EQ_INT(apply(&o, "[process]\nn = 3\n", err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "f.conf:2: 'n' is not an option of ticklake process");
}

static void test_apply_errors(void)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"[process]\nalert-zz = 1\n", "f.conf:2: 'alert-zz' is not an option of ticklake process"},
        {"[process]\n\nalert-z = high\n",
         "f.conf:3: option 'alert-z' expects a number, not 'high'"},
        {"[run process]\nstale = soon\n",
         "f.conf:2: option 'stale' expects a duration like 30s, 500ms or 2m, not 'soon'"},
        {"[process]\ndrain = maybe\n",
         "f.conf:2: option 'drain' is a flag: true, false, yes, no, on, off, 1 or 0, not 'maybe'"},
        {"[process]\nhelp = 1\n", "f.conf:2: 'help' is not an option of ticklake process"},
        {"[process]\nconfig = other.conf\n",
         "f.conf:2: 'config' is not an option of ticklake process"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        opts o = {0};
        char err[512] = "";
        CHECK_EQ_INT(apply(&o, cases[i].text, err, sizeof(err)), -1);
        CHECK_EQ_STR(err, cases[i].err);
    }
}

/* cli_parse with a config file: the file first, then the command line. */
static int parse_args(opts *o, const char *file_text, int use_env, int argc, char **argv)
{
    OPTIONS(o);
    char path[] = "/tmp/ticklake-test-config-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -100;
    size_t len = strlen(file_text);
    if (write(fd, file_text, len) != (ssize_t)len) {
        close(fd);
        unlink(path);
        return -100;
    }
    close(fd);
    char arg[64];
    snprintf(arg, sizeof(arg), "--config=%s", path);
    char *args[16];
    int n = 0;
    args[n++] = "process";
    if (use_env)
        setenv("TICKLAKE_CONFIG", path, 1);
    else
        args[n++] = arg;
    for (int i = 0; i < argc && n < 16; i++)
        args[n++] = argv[i];
    int rc = cli_parse(&cmd, n, args, o->pos, 2, &o->npos);
    unsetenv("TICKLAKE_CONFIG");
    unlink(path);
    return rc;
}

static void test_command_line_wins(void)
{
    const char *file = "[process]\nname = from-file\nalert-z = 1.5\nX = linger.ms=5\n"
                       "drain = yes\nn = 1\n";
    /* "n = 1" is refused (no short option -n): fix the file first. */
    opts o = {0};
    CHECK_EQ_INT(parse_args(&o, file, 0, 0, NULL), 2);
    file = "[process]\nname = from-file\nalert-z = 1.5\nX = linger.ms=5\ndrain = yes\n";
    char *argv[] = {"--alert-z", "4", "-X", "linger.ms=0", "pos1"};
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(parse_args(&o, file, 0, 5, argv), 0);
    CHECK(o.x == 4);
    CHECK_EQ_STR(o.name, "from-file");
    CHECK_EQ_INT(o.flag, 1);
    CHECK_EQ_INT(o.props.n, 2); /* the file's first: librdkafka's last-wins keeps ours */
    CHECK_EQ_STR(o.props.items[0], "linger.ms=5");
    CHECK_EQ_STR(o.props.items[1], "linger.ms=0");
    CHECK_EQ_INT(o.npos, 1);
    CHECK_EQ_STR(o.pos[0], "pos1");
    /* The same through TICKLAKE_CONFIG. */
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(parse_args(&o, file, 1, 5, argv), 0);
    CHECK(o.x == 4);
    CHECK_EQ_STR(o.name, "from-file");
    /* A flag the file set is turned off for one run with --flag=false. */
    char *off[] = {"--drain=false"};
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(parse_args(&o, file, 0, 1, off), 0);
    CHECK_EQ_INT(o.flag, 0);
    char *on[] = {"--drain=yes"};
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(parse_args(&o, "[process]\n", 0, 1, on), 0);
    CHECK_EQ_INT(o.flag, 1);
    char *odd[] = {"--drain=maybe"};
    CHECK_EQ_INT(parse_args(&o, "[process]\n", 0, 1, odd), 2);
    /* A bad value on the command line is still an error after a good file. */
    char *bad[] = {"--alert-z", "high"};
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(parse_args(&o, file, 0, 2, bad), 2);
    /* A file with a typo is a usage error; --help still answers without it. */
    char *help[] = {"--help"};
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(parse_args(&o, "[process]\nalert-zz = 1\n", 0, 0, NULL), 2);
    CHECK_EQ_INT(parse_args(&o, "[process]\nalert-zz = 1\n", 0, 1, help), -1);
}

/* Where the file set an option is remembered for the command's own checks,
 * until the command line sets the option too. */
static void test_origin_of_a_value(void)
{
    opts o = {0};
    char err[512];
    CHECK_EQ_INT(apply(&o, "[process]\n\nalert-z = -1\nstale = 1s\nX = a=1\n", err, sizeof(err)),
                 0);
    CHECK_EQ_STR(cli_config_origin("alert-z"), "f.conf:3");
    CHECK_EQ_STR(cli_config_origin("stale"), "f.conf:4");
    CHECK(cli_config_origin("name") == NULL);
    char *argv[] = {"--stale", "2s"};
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(parse_args(&o, "[process]\nalert-z = -1\nstale = 1s\n", 0, 2, argv), 0);
    const char *w = cli_config_origin("alert-z");
    CHECK(w && strncmp(w, "/tmp/ticklake-test-config-", 26) == 0 &&
          strcmp(w + strlen(w) - 2, ":2") == 0);
    CHECK(cli_config_origin("stale") == NULL); /* the command line's */
    CHECK_EQ_INT(o.dur, 2 * NS_PER_SEC);
}

/* With the list of commands, a section naming none of them (a misspelt
 * "[proces]") is an error, not a section silently skipped. */
static void test_unknown_command_in_section(void)
{
    static const char *const known[] = {"process", "run", "sink", NULL};
    buf b = {0};
    char err[512];
    const char *typo = "[sink]\nroll-rows = 5\n\n[proces run]\nalert-z = 3\n";
    CHECK_EQ_INT(
        config_parse(typo, strlen(typo), "t.conf", "sink", known, record, &b, err, sizeof(err)),
        -1);
    CHECK_EQ_STR(err, "t.conf:4: no command 'proces' ('ticklake --help' lists them)");
    buf_release(&b);
    memset(&b, 0, sizeof(b));
    const char *good = "[process, run]\nalert-z = 3\n";
    CHECK_EQ_INT(
        config_parse(good, strlen(good), "t.conf", "run", known, record, &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "alert-z=3;");
    buf_release(&b);
    CHECK_EQ_STR(parse(typo, "sink"), "roll-rows=5;"); /* no list: not checked */
}

TEST_MAIN(TEST(test_good_file), TEST(test_unknown_command_in_section),
          TEST(test_other_sections_are_skipped), TEST(test_errors_name_file_and_line),
          TEST(test_bool), TEST(test_apply_sets_each_kind), TEST(test_apply_errors),
          TEST(test_command_line_wins), TEST(test_origin_of_a_value))
