/* testlib.h - a minimal unit-test harness: CHECK macros and a runner.
 *
 * Each test file defines `static void test_x(void)` functions and lists them
 * in a TESTS table; main() comes from TEST_MAIN. A failed CHECK records the
 * file:line and the test goes on, so one run shows every failure. The last
 * line printed is "N passed, N failed" for the file's tests. */
#ifndef TICKLAKE_TESTLIB_H
#define TICKLAKE_TESTLIB_H

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int tl_test_failed_checks;

static inline int tl_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "  could not remove %s\n", path);
    return 0;
}

/* Removes path and everything below it (a test's temporary folder). */
static inline void tl_rm_rf(const char *path)
{
    nftw(path, tl_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
            tl_test_failed_checks++;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long tl_a = (long long)(a), tl_b = (long long)(b);                                    \
        if (tl_a != tl_b) {                                                                        \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a,    \
                    #b, tl_a, tl_b);                                                               \
            tl_test_failed_checks++;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *tl_a = (a), *tl_b = (b);                                                       \
        if (!tl_a || !tl_b || strcmp(tl_a, tl_b) != 0) {                                           \
            fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__,    \
                    #a, #b, tl_a ? tl_a : "(null)", tl_b ? tl_b : "(null)");                       \
            tl_test_failed_checks++;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, rel)                                                                      \
    do {                                                                                           \
        double tl_a = (a), tl_b = (b);                                                             \
        if (fabs(tl_a - tl_b) > (rel)*fmax(fabs(tl_a), fabs(tl_b))) {                              \
            fprintf(stderr, "  %s:%d: %s ~ %s failed: %.17g vs %.17g\n", __FILE__, __LINE__, #a,   \
                    #b, tl_a, tl_b);                                                               \
            tl_test_failed_checks++;                                                               \
        }                                                                                          \
    } while (0)

struct tl_test {
    const char *name;
    void (*fn)(void);
};

#define TEST(fn)                                                                                   \
    {                                                                                              \
#fn, fn                                                                                    \
    }

#define TEST_MAIN(...)                                                                             \
    int main(void)                                                                                 \
    {                                                                                              \
        static const struct tl_test tests[] = {__VA_ARGS__};                                       \
        int passed = 0, failed = 0;                                                                \
        for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {                            \
            int before = tl_test_failed_checks;                                                    \
            tests[i].fn();                                                                         \
            if (tl_test_failed_checks == before) {                                                 \
                passed++;                                                                          \
                printf("ok   %s\n", tests[i].name);                                                \
            } else {                                                                               \
                failed++;                                                                          \
                printf("FAIL %s\n", tests[i].name);                                                \
            }                                                                                      \
        }                                                                                          \
        printf("%d passed, %d failed\n", passed, failed);                                          \
        return failed ? 1 : 0;                                                                     \
    }

#endif
