/* Unit tests for util.c and civil.c: allocation, arrays, buffers, number
 * formatting, strings and UTF-8, invariants, files, and calendar arithmetic
 * against a brute-force day counter. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "civil.h"
#include "testlib.h"
#include "util.h"

static void test_alloc(void)
{
    CHECK(xstrdup(NULL) == NULL);
    char *s = xstrdup("abc");
    CHECK_EQ_STR(s, "abc");
    free(s);
    s = xstrndup("abcdef", 3);
    CHECK_EQ_STR(s, "abc");
    free(s);
    s = xstrndup("", 0);
    CHECK_EQ_STR(s, "");
    free(s);
    void *p = xmalloc(0); /* one byte, never NULL */
    CHECK(p != NULL);
    p = xrealloc(p, 0);
    CHECK(p != NULL);
    free(p);
    int *z = xcalloc(100, sizeof(int));
    int all_zero = 1;
    for (int i = 0; i < 100; i++)
        all_zero &= z[i] == 0;
    CHECK(all_zero);
    free(z);
    s = xprintf("%s-%d", "x", 42);
    CHECK_EQ_STR(s, "x-42");
    free(s);
    /* Longer than any fixed first attempt. */
    char big[3000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = xprintf("<%s>", big);
    CHECK_EQ_INT(strlen(s), sizeof(big) + 1);
    CHECK(s[0] == '<' && s[sizeof(big)] == '>');
    free(s);
}

typedef struct item {
    int a;
    char *name;
} item;

static void test_array_push(void)
{
    item *v = NULL;
    size_t n = 0;
    for (int i = 0; i < 1000; i++) {
        item *it = ARRAY_PUSH(v, n);
        CHECK(it->a == 0 && it->name == NULL); /* zeroed, even after a realloc */
        it->a = i;
        it->name = xprintf("%d", i);
    }
    CHECK_EQ_INT(n, 1000);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        char want[24];
        snprintf(want, sizeof(want), "%zu", i);
        ok &= v[i].a == (int)i && strcmp(v[i].name, want) == 0;
        free(v[i].name);
    }
    CHECK(ok);
    free(v);
}

static void test_buf(void)
{
    buf b = {0};
    buf_puts(&b, "a");
    buf_putc(&b, 'b');
    buf_printf(&b, "%d", 12);
    buf_append(&b, "xyz", 2);
    CHECK_EQ_STR(b.data, "ab12xy");
    CHECK_EQ_INT(b.len, 6);
    buf_reset(&b);
    CHECK_EQ_STR(b.data, "");
    for (int i = 0; i < 10000; i++)
        buf_putc(&b, 'z');
    CHECK_EQ_INT(b.len, 10000);
    CHECK(b.data[10000] == '\0');
    buf_reset(&b);
    buf_put_int64(&b, INT64_MIN);
    CHECK_EQ_STR(b.data, "-9223372036854775808");
    buf_reset(&b);
    buf_put_json_str(&b, "a\"\\\n\x01", 5);
    CHECK_EQ_STR(b.data, "\"a\\\"\\\\\\n\\u0001\"");
    buf_reset(&b);
    /* Runs of plain bytes between, before and after escapes; UTF-8 as is. */
    buf_put_json_str(&b, "", 0);
    buf_put_json_str(&b,
                     "\tab\"cd\x1f\xc3\xa9"
                     "f\\",
                     11);
    buf_put_json_str(&b, "plain", 5);
    buf_put_json_str(&b, "x\0y", 3);
    CHECK_EQ_STR(b.data, "\"\"\"\\tab\\\"cd\\u001f\xc3\xa9"
                         "f\\\\\"\"plain\"\"x\\u0000y\"");
    buf_reset(&b);
    buf_put_base64(&b, "foobar", 6);
    buf_putc(&b, ' ');
    buf_put_base64(&b, "fo", 2);
    CHECK_EQ_STR(b.data, "Zm9vYmFy Zm8=");
    buf_release(&b);
    CHECK(b.data == NULL && b.len == 0);
}

/* The one-multiplication path of double_short_decimal against the definition
 * (the fewest k of 0..9 with nearbyint(v * 10^k) / 10^k == v): decimals of
 * every scale, either side of the 1e6 switch, and random bit patterns. */
static int short_decimal_ref(double v, int64_t *mant, int *scale)
{
    for (int k = 0; k <= 9; k++) {
        double m = nearbyint(v * tl_pow10[k]);
        if (!(fabs(m) < 1e15))
            return 0;
        if (m / tl_pow10[k] == v) {
            *mant = (int64_t)m;
            *scale = k;
            return 1;
        }
    }
    return 0;
}

static void test_short_decimal(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int mismatches = 0, shorts = 0;
    for (int i = 0; i < 400000 && mismatches == 0; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        double v;
        switch (i % 4) {
        case 0: /* a decimal of 0..12 places, up to 15 digits */
            v = (double)(int64_t)(seed % 1000000000000000ull) / tl_pow10[(seed >> 50) % 13];
            break;
        case 1: /* near the switch at 1e6 */
            v = 999990.0 + (double)(seed % 20000000ull) / 1e6;
            break;
        case 2: /* a decimal times a power of ten, or a nudge of one ulp */
            v = (double)(int64_t)(seed % 100000ull) / tl_pow10[(seed >> 40) % 10];
            if (seed & (1ull << 62))
                v = nextafter(v, INFINITY);
            break;
        default:
            memcpy(&v, &seed, sizeof(v));
            if (!isfinite(v))
                v = 0.5;
        }
        if (seed & (1ull << 63))
            v = -v;
        int64_t m1 = 0, m2 = 0;
        int k1 = -1, k2 = -1;
        int r1 = double_short_decimal(v, &m1, &k1), r2 = short_decimal_ref(v, &m2, &k2);
        shorts += r2;
        if (r1 != r2 || (r1 && (m1 != m2 || k1 != k2))) {
            fprintf(stderr, "  v=%.17g: got %d %lld/10^%d, want %d %lld/10^%d\n", v, r1,
                    (long long)m1, k1, r2, (long long)m2, k2);
            mismatches++;
        }
    }
    CHECK_EQ_INT(mismatches, 0);
    CHECK(shorts > 100000); /* the cases above are mostly short decimals */
    int64_t m;
    int k;
    CHECK(double_short_decimal(0.0, &m, &k) == 1 && m == 0 && k == 0);
    CHECK(double_short_decimal(-0.5, &m, &k) == 1 && m == -5 && k == 1);
    CHECK(double_short_decimal(0.1 + 0.2, &m, &k) == 0);
    CHECK(double_short_decimal(999999.999999999, &m, &k) == 1 && m == 999999999999999 && k == 9);
    CHECK(double_short_decimal(NAN, &m, &k) == 0);
}

static void test_strings(void)
{
    CHECK(str_ends_with("a.parquet", ".parquet"));
    CHECK(str_ends_with(".parquet", ".parquet"));
    CHECK(!str_ends_with("parquet", ".parquet"));
    CHECK(str_ends_with("x", ""));
    const char *s = " \t a b\t ";
    size_t n = strlen(s);
    trim_blanks(&s, &n);
    CHECK(n == 3 && memcmp(s, "a b", 3) == 0);
    s = " \t\t ";
    n = strlen(s);
    trim_blanks(&s, &n);
    CHECK_EQ_INT(n, 0);
    s = "\nx\r";
    n = strlen(s);
    trim_blanks(&s, &n); /* only spaces and tabs */
    CHECK_EQ_INT(n, 3);
    s = "";
    n = 0;
    trim_blanks(&s, &n);
    CHECK_EQ_INT(n, 0);
    char d[4];
    CHECK_EQ_INT(strlcpy_tl(d, "abcdef", sizeof(d)), 6);
    CHECK_EQ_STR(d, "abc");
    /* A cut inside a UTF-8 sequence backs off to the character before it. */
    char u[6];
    CHECK_EQ_INT(strlcpy_utf8(u, "ab\xF1\x80\x80\x80z", sizeof(u)), 7);
    CHECK_EQ_STR(u, "ab");
    CHECK_EQ_INT(strlcpy_utf8(u, "abc\xC3\xA9", sizeof(u)), 5);
    CHECK_EQ_STR(u, "abc\xC3\xA9"); /* it fits: nothing cut */
    CHECK_EQ_INT(strlcpy_utf8(u, "abcd\xC3\xA9", sizeof(u)), 6);
    CHECK_EQ_STR(u, "abcd");
    CHECK(utf8_valid(u, strlen(u)));
    char err[16];
    CHECK_EQ_INT(set_err(err, sizeof(err), "%s", "a long message here"), -1);
    CHECK_EQ_STR(err, "a long message ");
    int64_t v;
    CHECK(parse_int64("-42", -100, 100, &v) == 0 && v == -42);
    CHECK(parse_int64("101", -100, 100, &v) == -1);
    CHECK(parse_int64("1x", INT64_MIN, INT64_MAX, &v) == -1);
    CHECK(parse_int64("", INT64_MIN, INT64_MAX, &v) == -1);
    CHECK(parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &v) == -1);
    CHECK_EQ_INT(floor_div(7, 2), 3);
    CHECK_EQ_INT(floor_div(-7, 2), -4);
    CHECK_EQ_INT(floor_div(7, -2), -4);
    CHECK_EQ_INT(floor_div(-7, -2), 3);
    CHECK_EQ_INT(floor_div(-8, 2), -4);
    CHECK_EQ_INT(floor_div(0, 5), 0);
    CHECK_EQ_INT(floor_div(-1, 86400), -1);
    CHECK(parse_size("2GB", &v) == 0 && v == 2000000000);
    CHECK(parse_size("2GiB", &v) == 0 && v == 2147483648LL);
    CHECK(parse_size("512 mb", &v) == 0 && v == 512000000);
    CHECK(parse_size("1.5TB", &v) == 0 && v == 1500000000000LL);
    CHECK(parse_size("4096", &v) == 0 && v == 4096);
    CHECK(parse_size("", &v) == -1);
    CHECK(parse_size("-1GB", &v) == -1);
    CHECK(parse_size("2XB", &v) == -1);
    CHECK(parse_size("GB", &v) == -1);
    CHECK(parse_size("99999999TB", &v) == -1);
    CHECK(parse_duration("1.5s", &v) == 0 && v == 1500000000);
    CHECK(parse_duration("30", &v) == 0 && v == 30 * NS_PER_SEC);
    CHECK(parse_duration("2m", &v) == 0 && v == 120 * NS_PER_SEC);
    CHECK(parse_duration("5ms", &v) == 0 && v == 5000000);
    CHECK(parse_duration("-1s", &v) == -1);
    CHECK(parse_duration("1w", &v) == -1);
}

static void test_utf8(void)
{
    static const struct {
        uint32_t cp;
        const char *bytes;
    } cases[] = {
        {0x00, "\x00"},
        {0x7F, "\x7F"},
        {0x80, "\xC2\x80"},
        {0x7FF, "\xDF\xBF"},
        {0x800, "\xE0\xA0\x80"},
        {0xD7FF, "\xED\x9F\xBF"},
        {0xE000, "\xEE\x80\x80"},
        {0xFFFD, "\xEF\xBF\xBD"},
        {0xFFFF, "\xEF\xBF\xBF"},
        {0x10000, "\xF0\x90\x80\x80"},
        {0x10FFFF, "\xF4\x8F\xBF\xBF"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t want = cases[i].cp == 0 ? 1 : strlen(cases[i].bytes);
        char out[4];
        size_t n = utf8_encode(cases[i].cp, out);
        CHECK_EQ_INT(n, want);
        CHECK(memcmp(out, cases[i].bytes, want) == 0);
        uint32_t cp = 0xFFFFFFFF;
        CHECK_EQ_INT(utf8_decode(out, n, &cp), want);
        CHECK_EQ_INT(cp, cases[i].cp);
        CHECK(utf8_valid(out, n));
        CHECK_EQ_INT(utf8_decode(out, n - 1, &cp), 0); /* cut short */
    }
    /* Every code point round-trips; surrogates do not decode. */
    int ok = 1;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        char out[4];
        size_t n = utf8_encode(cp, out);
        uint32_t back;
        size_t m = utf8_decode(out, n, &back);
        if (cp >= 0xD800 && cp <= 0xDFFF)
            ok &= m == 0;
        else
            ok &= m == n && back == cp;
    }
    CHECK(ok);
    static const char *const bad[] = {
        "\x80",             /* a lone continuation byte */
        "\xC0\x80",         /* overlong NUL */
        "\xC1\xBF",         /* overlong */
        "\xE0\x9F\xBF",     /* overlong 3-byte */
        "\xF0\x8F\xBF\xBF", /* overlong 4-byte */
        "\xED\xA0\x80",     /* surrogate */
        "\xF4\x90\x80\x80", /* beyond U+10FFFF */
        "\xF5\x80\x80\x80", /* never a lead byte */
        "\xFF",
        "\xE2\x82",    /* cut short */
        "\xE2\x28\xA1" /* a continuation byte missing */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t cp;
        CHECK_EQ_INT(utf8_decode(bad[i], strlen(bad[i]), &cp), 0);
        CHECK(!utf8_valid(bad[i], strlen(bad[i])));
    }
    const char *mixed = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
    CHECK(utf8_valid(mixed, strlen(mixed)));
    CHECK(!utf8_valid(mixed, strlen(mixed) - 1));
    CHECK(utf8_valid("", 0));
    uint32_t cp;
    CHECK_EQ_INT(utf8_decode("", 0, &cp), 0);
}

/* The calendar, one day at a time from a date known to be right. */
typedef struct ymd {
    int64_t y;
    unsigned m, d;
} ymd;

static unsigned brute_month_days(int64_t y, unsigned m)
{
    if (m == 2) {
        int leap = y % 400 == 0 || (y % 100 != 0 && y % 4 == 0);
        return leap ? 29 : 28;
    }
    return m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31;
}

static void next_day(ymd *t)
{
    if (++t->d > brute_month_days(t->y, t->m)) {
        t->d = 1;
        if (++t->m > 12) {
            t->m = 1;
            t->y++;
        }
    }
}

static void prev_day(ymd *t)
{
    if (--t->d == 0) {
        if (--t->m == 0) {
            t->m = 12;
            t->y--;
        }
        t->d = brute_month_days(t->y, t->m);
    }
}

static int same_day(int64_t days, const ymd *t)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    return y == t->y && m == t->m && d == t->d && days_from_civil(t->y, t->m, t->d) == days;
}

static void test_civil(void)
{
    /* About 2,700 years each way from 1970-01-01: through year 0 and the
     * negative years, every century and 400-year rule. */
    const int64_t span = 1000000;
    ymd t = {1970, 1, 1};
    int ok = 1;
    for (int64_t days = 0; days <= span && ok; days++, next_day(&t))
        ok = same_day(days, &t);
    CHECK(ok);
    CHECK(t.y == 4707); /* the counter itself went far enough */
    t = (ymd){1970, 1, 1};
    ok = 1;
    for (int64_t days = 0; days >= -span && ok; days--, prev_day(&t))
        ok = same_day(days, &t);
    CHECK(ok);
    CHECK(t.y == -768);
    /* Known dates. */
    CHECK_EQ_INT(days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_INT(days_from_civil(1969, 12, 31), -1);
    CHECK_EQ_INT(days_from_civil(0, 1, 1), -719528);
    CHECK_EQ_INT(days_from_civil(2262, 4, 11), 106751);
    /* Far days round-trip. */
    int64_t far[] = {INT32_MAX, -(int64_t)INT32_MAX, 106751991167LL, -106751991167LL};
    for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
        int64_t y;
        unsigned m, d;
        civil_from_days(far[i], &y, &m, &d);
        CHECK(m >= 1 && m <= 12 && d >= 1 && d <= brute_month_days(y, m));
        CHECK_EQ_INT(days_from_civil(y, m, d), far[i]);
    }
    /* Month lengths and leap years. */
    for (int64_t y = -500; y <= 2500; y++) {
        CHECK_EQ_INT(civil_is_leap(y), brute_month_days(y, 2) == 29);
        for (unsigned m = 1; m <= 12; m++)
            if (civil_month_days(y, m) != brute_month_days(y, m))
                CHECK_EQ_INT(civil_month_days(y, m), brute_month_days(y, m));
    }
    CHECK_EQ_INT(civil_month_days(2024, 0), 0);
    CHECK_EQ_INT(civil_month_days(2024, 13), 0);
    CHECK_EQ_INT(civil_month_days(1900, 2), 28);
    CHECK_EQ_INT(civil_month_days(2000, 2), 29);
}

/* Runs fn in a child: 1 if it died of SIGABRT with `want` on stderr. */
static int aborts_with(void (*fn)(void), const char *want)
{
    char path[] = "/tmp/tl-test-util-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 2);
        fn();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    buf b = {0};
    read_file(path, &b, NULL, 0);
    close(fd);
    unlink(path);
    int ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && b.data && strstr(b.data, want);
    buf_release(&b);
    return ok;
}

static void assert_false(void)
{
    int x = 1;
    TL_ASSERT(x == 2);
}

static void assert_true(void)
{
    int x = 1;
    TL_ASSERT(x == 1);
}

static void test_assert(void)
{
    CHECK(aborts_with(assert_false, "invariant failed: x == 2"));
    CHECK(!aborts_with(assert_true, "invariant"));
}

static void test_files(void)
{
    char dir[] = "/tmp/tl-test-util-dir-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char err[256];
    buf p = {0}, got = {0};
    buf_printf(&p, "%s/b/c/d", dir);
    CHECK(mkdir_p(p.data, err, sizeof(err)) == 0);
    CHECK(path_exists(p.data));
    buf_reset(&p);
    buf_printf(&p, "%s/a.txt", dir);
    CHECK(!path_exists(p.data));
    CHECK(write_file_atomic(p.data, "hello", 5, err, sizeof(err)) == 0);
    CHECK(path_exists(p.data));
    CHECK(read_file(p.data, &got, err, sizeof(err)) == 0);
    CHECK_EQ_STR(got.data, "hello");
    buf_reset(&p);
    buf_printf(&p, "%s/c.txt", dir);
    CHECK(write_file_atomic(p.data, "", 0, err, sizeof(err)) == 0);
    buf_reset(&p);
    buf_printf(&p, "%s/fifo", dir);
    CHECK(mkfifo(p.data, 0600) == 0); /* neither a file nor a folder: left out */

    dir_entry *v;
    size_t n;
    CHECK(list_dir(dir, &v, &n, err, sizeof(err)) == 0);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_EQ_STR(v[0].name, "a.txt");
        CHECK(!v[0].is_dir && v[0].size == 5 && v[0].mtime_ns > 0);
        CHECK_EQ_STR(v[1].name, "b");
        CHECK(v[1].is_dir);
        CHECK_EQ_STR(v[2].name, "c.txt");
        CHECK(!v[2].is_dir && v[2].size == 0);
    }
    dir_entries_free(v, n);
    buf_reset(&p);
    buf_printf(&p, "%s/missing", dir);
    CHECK(list_dir(p.data, &v, &n, err, sizeof(err)) == -1);
    CHECK(v == NULL && n == 0);
    CHECK(strstr(err, "unable to list") != NULL && strstr(err, "missing") != NULL);
    CHECK(read_file(p.data, &got, err, sizeof(err)) == -1);
    dir_entries_free(NULL, 0);

    buf_reset(&p);
    buf_printf(&p, "rm -rf '%s'", dir);
    CHECK(system(p.data) == 0);
    buf_release(&p);
    buf_release(&got);
}

/* utf8_printable: well-formed UTF-8 without C0, DEL or C1 controls. */
static void test_utf8_printable(void)
{
    CHECK(utf8_printable("", 0));
    CHECK(utf8_printable("HSI ^GSPC", 9));
    CHECK(utf8_printable("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88", 14)); /* é € 📈 */
    CHECK(utf8_printable("\xC2\xA0", 2)); /* U+00A0, the first after C1 */
    CHECK(utf8_printable("~", 1));
    CHECK(!utf8_printable("a\tb", 3));
    CHECK(!utf8_printable("a\nb", 3));
    CHECK(!utf8_printable("\x1F", 1));
    CHECK(!utf8_printable("\x7F", 1));         /* DEL */
    CHECK(!utf8_printable("\xC2\x80", 2));     /* U+0080, C1 */
    CHECK(!utf8_printable("\xC2\x9F", 2));     /* U+009F, C1 */
    CHECK(!utf8_printable("a\0b", 3));         /* NUL inside */
    CHECK(!utf8_printable("\xC3", 1));         /* cut short */
    CHECK(!utf8_printable("\xC0\xAF", 2));     /* overlong */
    CHECK(!utf8_printable("\xED\xA0\x80", 3)); /* surrogate */
    CHECK(!utf8_printable("\xFF", 1));
    CHECK(utf8_printable("ab\x01", 2)); /* only n bytes are looked at */
}

static void test_clock_and_strv(void)
{
    int64_t t0 = mono_ns(), w0 = now_ns();
    sleep_ns(20 * 1000000);
    sleep_ns(0);
    sleep_ns(-5);
    int64_t t1 = mono_ns(), w1 = now_ns();
    CHECK(t1 - t0 >= 20 * 1000000);
    CHECK(t1 - t0 < 10 * NS_PER_SEC);
    CHECK(w0 > 1600000000LL * NS_PER_SEC && w1 >= w0); /* after 2020, wall clock in ns */

    char **v = NULL;
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        strv_push(&v, &n, xprintf("s%d", i));
    CHECK_EQ_INT(n, 100);
    CHECK_EQ_STR(v[0], "s0");
    CHECK_EQ_STR(v[99], "s99");
    strv_free(v, n);
    strv_free(NULL, 0);

    /* array_grow keeps room for one more at every length. */
    int *a = NULL;
    for (size_t k = 0; k < 300; k++) {
        a = array_grow(a, k, sizeof(*a));
        a[k] = (int)k;
    }
    CHECK(a[0] == 0 && a[299] == 299);
    free(a);

    buf b;
    buf_init(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    buf_reserve(&b, 1000);
    CHECK(b.cap >= 1001 && b.len == 0 && b.data != NULL);
    char *before = b.data;
    buf_append(&b, "x", 1); /* within the reserve: no reallocation */
    CHECK(b.data == before);
    buf_reserve(&b, 0);
    CHECK(b.data == before);
    buf_release(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void test_file_ops(void)
{
    char dir[] = "/tmp/tl-test-util-ops-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char err[512];
    buf a = {0}, b = {0}, got = {0};
    buf_printf(&a, "%s/a", dir);
    buf_printf(&b, "%s/sub/b", dir);
    CHECK(write_file_atomic(a.data, "one", 3, err, sizeof(err)) == 0);
    /* rename_durable: moved, the folder synced; a missing folder is an error naming both. */
    CHECK(rename_durable(a.data, b.data, err, sizeof(err)) == -1);
    CHECK(strstr(err, "unable to rename") != NULL && strstr(err, "/sub/b") != NULL);
    buf c = {0};
    buf_printf(&c, "%s/sub", dir);
    CHECK(mkdir_p(c.data, err, sizeof(err)) == 0);
    CHECK(mkdir_p(c.data, err, sizeof(err)) == 0); /* already there: fine */
    CHECK(rename_durable(a.data, b.data, err, sizeof(err)) == 0);
    CHECK(!path_exists(a.data) && path_exists(b.data));
    CHECK(fsync_path(b.data, err, sizeof(err)) == 0);
    CHECK(fsync_path(c.data, err, sizeof(err)) == 0);
    CHECK(fsync_path(a.data, err, sizeof(err)) == -1);
    CHECK(strstr(err, "unable to open") != NULL);
    /* read_file appends; read_stream reads what is left of a stream. */
    buf_puts(&got, "0:");
    CHECK(read_file(b.data, &got, err, sizeof(err)) == 0);
    CHECK_EQ_STR(got.data, "0:one");
    FILE *f = fmemopen((void *)"abcdef", 6, "rb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fgetc(f) == 'a');
        buf_reset(&got);
        CHECK(read_stream(f, &got) == 0);
        CHECK_EQ_STR(got.data, "bcdef");
        fclose(f);
    }
    buf_release(&got);
    f = fmemopen((void *)"", 1, "rb");
    if (f) {
        CHECK(fgetc(f) == 0);
        CHECK(read_stream(f, &got) == 0);
        CHECK(got.data != NULL && got.len == 0 && got.data[0] == '\0'); /* empty, terminated */
        fclose(f);
    }
    /* write_file_atomic replaces, leaves no temporary, and fails where it cannot create. */
    CHECK(write_file_atomic(b.data, "two!", 4, err, sizeof(err)) == 0);
    buf_reset(&got);
    CHECK(read_file(b.data, &got, err, sizeof(err)) == 0);
    CHECK_EQ_STR(got.data, "two!");
    dir_entry *v;
    size_t n;
    CHECK(list_dir(c.data, &v, &n, err, sizeof(err)) == 0);
    CHECK(n == 1 && strcmp(v[0].name, "b") == 0);
    dir_entries_free(v, n);
    buf_reset(&a);
    buf_printf(&a, "%s/none/x", dir);
    CHECK(write_file_atomic(a.data, "x", 1, err, sizeof(err)) == -1);
    CHECK(strstr(err, "unable to create") != NULL);
    /* mkdir_p through a file fails. */
    buf_reset(&a);
    buf_printf(&a, "%s/file/below", b.data);
    CHECK(mkdir_p(a.data, err, sizeof(err)) == -1);

    buf_reset(&a);
    buf_printf(&a, "rm -rf '%s'", dir);
    CHECK(system(a.data) == 0);
    buf_release(&a);
    buf_release(&b);
    buf_release(&c);
    buf_release(&got);
}

/* fmt_int64 writes what "%lld" writes. */
static void test_fmt_int64(void)
{
    const int64_t vs[] = {0,         1,        -1, 9, 10, -10, 123456789, 1000000000000000000LL,
                          INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
        char got[FMT_INT64_SIZE], want[32];
        size_t n = fmt_int64(got, vs[i]);
        snprintf(want, sizeof(want), "%lld", (long long)vs[i]);
        CHECK_EQ_STR(got, want);
        CHECK_EQ_INT(n, strlen(want));
    }
    /* Every length, both sides of each power of ten (digits go two at a
     * time), and a spread of others. */
    uint64_t x = 88172645463325252ull;
    for (int k = 0; k < 4000; k++) {
        int64_t v;
        if (k < 19 * 6) {
            int64_t p = 1;
            for (int e = 0; e < k / 6; e++)
                p *= 10;
            v = (p + (k % 3) - 1) * ((k / 3) % 2 ? -1 : 1);
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v = (int64_t)(x >> (x % 64));
        }
        char got[FMT_INT64_SIZE], want[32];
        size_t n = fmt_int64(got, v);
        snprintf(want, sizeof(want), "%lld", (long long)v);
        CHECK_EQ_STR(got, want);
        CHECK_EQ_INT(n, strlen(want));
    }
}

TEST_MAIN(TEST(test_alloc), TEST(test_fmt_int64), TEST(test_array_push), TEST(test_buf),
          TEST(test_short_decimal), TEST(test_strings), TEST(test_utf8), TEST(test_civil),
          TEST(test_assert), TEST(test_files), TEST(test_utf8_printable), TEST(test_clock_and_strv),
          TEST(test_file_ops))
