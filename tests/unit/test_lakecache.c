/* test_lakecache.c - the local cache of S3 lakes: the manifest (entries, its
 * text form, bad lines), when a cached copy is still good, the Parquet footer
 * length, where a lake's cache lives (cache folder, environment, the
 * endpoint, bucket and prefix as its identity), and the error paths that need
 * no S3 server (not an S3 URL, no cache folder, an unreachable endpoint, which
 * leaves the manifest as it was, minus its bad lines).
 *
 * What needs an S3 server - listing, whole and ranged downloads, stubs,
 * removing objects gone from S3, uploads - is covered against versitygw by
 * tests/integration/t0072-query-s3.sh (cold, warm and fresh caches, footers
 * only, a deleted object removed) and t0073. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lakecache.h"
#include "lakecache_manifest.h"
#include "testlib.h"

static char tmpdir[] = "/tmp/ticklake-lakecache-XXXXXX";

static char *manifest_text(const lakecache_manifest *m)
{
    buf b = {0};
    lakecache_manifest_format(m, &b);
    return b.data;
}

static void test_manifest_entries(void)
{
    lakecache_manifest m = {0};
    CHECK(lakecache_manifest_find(&m, "a") == NULL);
    lakecache_manifest_set(&m, "t/b.parquet", 10, 5, "\"e1\"", LAKECACHE_FOOTER);
    lakecache_manifest_set(&m, "t/a.parquet", 20, 6, NULL, LAKECACHE_FULL);
    lakecache_manifest_set(&m, "_catalog/catalog.json", 30, 7, "", LAKECACHE_FULL);
    lakecache_manifest_set(&m, "t/c.csv", 0, -8, "x", LAKECACHE_STUB);
    CHECK_EQ_INT(m.n, 4);
    /* Sorted by key whatever the order of insertion. */
    for (size_t i = 1; i < m.n; i++)
        CHECK(strcmp(m.v[i - 1].key, m.v[i].key) < 0);
    lakecache_entry *e = lakecache_manifest_find(&m, "t/a.parquet");
    CHECK(e && e->size == 20 && e->mtime_ns == 6 && strcmp(e->etag, "") == 0 &&
          e->state == LAKECACHE_FULL);
    /* Set again: replaced, not added. */
    lakecache_manifest_set(&m, "t/a.parquet", 21, 9, "\"e2\"", LAKECACHE_STUB);
    CHECK_EQ_INT(m.n, 4);
    e = lakecache_manifest_find(&m, "t/a.parquet");
    CHECK(e && e->size == 21 && e->mtime_ns == 9 && strcmp(e->etag, "\"e2\"") == 0 &&
          e->state == LAKECACHE_STUB);
    char *text = manifest_text(&m);
    CHECK_EQ_STR(text, "F\t30\t7\t-\t_catalog/catalog.json\n"
                       "S\t21\t9\t\"e2\"\tt/a.parquet\n"
                       "P\t10\t5\t\"e1\"\tt/b.parquet\n"
                       "S\t0\t-8\tx\tt/c.csv\n");
    /* The text reads back into the same entries. */
    lakecache_manifest back = {0};
    lakecache_manifest_parse(&back, text, strlen(text));
    char *again = manifest_text(&back);
    CHECK_EQ_STR(again, text);
    free(again);
    lakecache_manifest_clear(&back);
    free(text);
    lakecache_manifest_remove(&m, lakecache_manifest_find(&m, "t/b.parquet"));
    lakecache_manifest_remove(&m, lakecache_manifest_find(&m, "_catalog/catalog.json"));
    CHECK_EQ_INT(m.n, 2);
    CHECK(lakecache_manifest_find(&m, "t/b.parquet") == NULL);
    CHECK(lakecache_manifest_find(&m, "t/c.csv") != NULL);
    text = manifest_text(&m);
    CHECK_EQ_STR(text, "S\t21\t9\t\"e2\"\tt/a.parquet\nS\t0\t-8\tx\tt/c.csv\n");
    free(text);
    lakecache_manifest_clear(&m);
    CHECK(m.n == 0 && m.v == NULL);
    text = manifest_text(&m);
    CHECK_EQ_STR(text, "");
    free(text);
    /* Many keys in reverse order: still sorted, all found. */
    for (int i = 999; i >= 0; i--) {
        char k[32];
        snprintf(k, sizeof(k), "d/%04d", i);
        lakecache_manifest_set(&m, k, i, i, "", LAKECACHE_FULL);
    }
    CHECK_EQ_INT(m.n, 1000);
    CHECK_EQ_STR(m.v[0].key, "d/0000");
    CHECK_EQ_STR(m.v[999].key, "d/0999");
    e = lakecache_manifest_find(&m, "d/0500");
    CHECK(e && e->size == 500);
    lakecache_manifest_clear(&m);
}

static void test_manifest_bad_lines(void)
{
    static const char text[] = "F\t1\t2\t-\tgood/one\n"
                               "X\t1\t2\t-\tbad/state\n"           /* unknown state */
                               "F\tten\t2\t-\tbad/size\n"          /* not a number */
                               "F\t1\t2\tno-key-tab\n"             /* no key */
                               "F\t1\t2\t-\t../escape\n"           /* not a valid key */
                               "F\t1\t2\t-\ta//b\n"                /* empty part */
                               "F\t1\t2\t-\t\n"                    /* empty key */
                               "\n"                                /* blank */
                               "P\t3\t4\t\"etag\"\tgood/two\n"     /* kept */
                               "S\t5\t6\t-\tgood/one\n"            /* twice: the last counts */
                               "F\t7\t8\t-\tlast/without/newline"; /* kept */
    lakecache_manifest m = {0};
    lakecache_manifest_set(&m, "stale/entry", 1, 1, "", LAKECACHE_FULL); /* replaced */
    lakecache_manifest_parse(&m, text, strlen(text));
    char *got = manifest_text(&m);
    CHECK_EQ_STR(got, "S\t5\t6\t-\tgood/one\n"
                      "P\t3\t4\t\"etag\"\tgood/two\n"
                      "F\t7\t8\t-\tlast/without/newline\n");
    free(got);
    lakecache_entry *e = lakecache_manifest_find(&m, "good/two");
    CHECK(e && strcmp(e->etag, "\"etag\"") == 0);
    e = lakecache_manifest_find(&m, "good/one");
    CHECK(e && strcmp(e->etag, "") == 0 && e->state == LAKECACHE_STUB);
    /* Only len bytes are read. */
    lakecache_manifest_parse(&m, text, strlen("F\t1\t2\t-\tgood/o"));
    CHECK(m.n == 1 && strcmp(m.v[0].key, "good/o") == 0);
    lakecache_manifest_parse(&m, "", 0);
    CHECK_EQ_INT(m.n, 0);
    lakecache_manifest_clear(&m);
}

static void test_fresh(void)
{
    lakecache_entry e = {
        .key = "k", .size = 100, .mtime_ns = 7, .etag = "\"a\"", .state = LAKECACHE_FOOTER};
    CHECK(lakecache_entry_fresh(&e, 100, 7, "\"a\"", LAKECACHE_FOOTER));
    CHECK(lakecache_entry_fresh(&e, 100, 7, "\"a\"", LAKECACHE_STUB));  /* more than needed */
    CHECK(!lakecache_entry_fresh(&e, 100, 7, "\"a\"", LAKECACHE_FULL)); /* less than needed */
    CHECK(!lakecache_entry_fresh(&e, 101, 7, "\"a\"", LAKECACHE_STUB)); /* size changed */
    CHECK(!lakecache_entry_fresh(&e, 100, 8, "\"a\"", LAKECACHE_STUB)); /* time changed */
    CHECK(!lakecache_entry_fresh(&e, 100, 7, "\"b\"", LAKECACHE_STUB)); /* ETag changed */
    CHECK(lakecache_entry_fresh(&e, 100, 7, "", LAKECACHE_STUB));       /* ETag unknown now */
    CHECK(lakecache_entry_fresh(&e, 100, 7, NULL, LAKECACHE_STUB));     /* ETag unknown now */
    e.etag = "";
    CHECK(lakecache_entry_fresh(&e, 100, 7, "\"b\"", LAKECACHE_STUB)); /* unknown then */
    CHECK(!lakecache_entry_fresh(NULL, 100, 7, NULL, LAKECACHE_STUB)); /* never cached */
}

/* The last len bytes of a Parquet file whose footer is flen bytes long. */
static void parquet_tail(unsigned char *t, size_t len, uint32_t flen)
{
    memset(t, 0xEE, len);
    t[len - 8] = (unsigned char)flen;
    t[len - 7] = (unsigned char)(flen >> 8);
    t[len - 6] = (unsigned char)(flen >> 16);
    t[len - 5] = (unsigned char)(flen >> 24);
    memcpy(t + len - 4, "PAR1", 4);
}

static void test_footer_need(void)
{
    unsigned char t[64];
    parquet_tail(t, sizeof(t), 40);
    CHECK_EQ_INT(lakecache_footer_need(t, sizeof(t), 1000), 48);
    parquet_tail(t, sizeof(t), 0x01020304);
    CHECK_EQ_INT(lakecache_footer_need(t, sizeof(t), 0x7FFFFFFF), 0x01020304 + 8);
    CHECK_EQ_INT(lakecache_footer_need(t, sizeof(t), 0x01020304 + 8), 0x01020304 + 8);
    CHECK_EQ_INT(lakecache_footer_need(t, sizeof(t), 0x01020304 + 7), 0); /* beyond the object */
    parquet_tail(t, 8, 0);
    CHECK_EQ_INT(lakecache_footer_need(t, 8, 8), 8);
    CHECK_EQ_INT(lakecache_footer_need(t, 7, 8), 0); /* too short to hold a length */
    parquet_tail(t, sizeof(t), 40);
    t[sizeof(t) - 1] = '2'; /* "PAR2": not Parquet */
    CHECK_EQ_INT(lakecache_footer_need(t, sizeof(t), 1000), 0);
    CHECK_EQ_INT(lakecache_footer_need("", 0, 0), 0);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The cache folder of url under cache_dir with endpoint ep, or the error. */
static char *cache_of(const char *url, const char *ep, const char *cache_dir)
{
    storage_options so = {.s3_endpoint = ep, .s3_addressing = "path"};
    lakecache *lc = NULL;
    char err[512];
    buf b = {0};
    if (lakecache_open(&lc, url, &so, cache_dir, err, sizeof(err)) != 0) {
        CHECK(lc == NULL);
        buf_printf(&b, "ERROR %s", err);
        return b.data;
    }
    buf_puts(&b, lakecache_dir(lc));
    CHECK(is_dir(lakecache_dir(lc)));
    CHECK_EQ_STR(lakecache_url(lc), url);
    lakecache_free(lc);
    return b.data;
}

static void test_open_paths(void)
{
    setenv("AWS_ACCESS_KEY_ID", "AKTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "sktest", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/ticklake-config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/ticklake-credentials", 1);
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    CHECK(lakecache_is_s3("s3://b") && !lakecache_is_s3("/tmp/lake") && !lakecache_is_s3(NULL) &&
          !lakecache_is_s3("S3://b"));
    buf c = {0};
    buf_printf(&c, "%s/c", tmpdir);
    const char *ep = "http://127.0.0.1:9";
    char *a = cache_of("s3://bucket/pre", ep, c.data);
    /* <cache>/<bucket>-<16 hex digits>/lake */
    buf want = {0};
    buf_printf(&want, "%s/bucket-", c.data);
    CHECK(strncmp(a, want.data, want.len) == 0);
    CHECK(strlen(a) == want.len + 16 + strlen("/lake") && str_ends_with(a, "/lake"));
    for (size_t i = want.len; i < want.len + 16; i++)
        CHECK(strchr("0123456789abcdef", a[i]) != NULL);
    /* The same lake: the same folder; another endpoint, bucket or prefix: another. */
    char *same = cache_of("s3://bucket/pre", ep, c.data);
    char *other_ep = cache_of("s3://bucket/pre", "http://127.0.0.1:10", c.data);
    char *other_pre = cache_of("s3://bucket/pre2", ep, c.data);
    char *no_pre = cache_of("s3://bucket", ep, c.data);
    char *aws = cache_of("s3://bucket/pre", NULL, c.data);
    CHECK_EQ_STR(same, a);
    CHECK(strcmp(other_ep, a) != 0 && strcmp(other_pre, a) != 0 && strcmp(no_pre, a) != 0 &&
          strcmp(aws, a) != 0);
    /* The endpoint may come from the environment. */
    setenv("AWS_ENDPOINT_URL_S3", ep, 1);
    char *env_ep = cache_of("s3://bucket/pre", NULL, c.data);
    CHECK_EQ_STR(env_ep, a);
    unsetenv("AWS_ENDPOINT_URL_S3");
    setenv("AWS_ENDPOINT_URL", ep, 1);
    free(env_ep);
    env_ep = cache_of("s3://bucket/pre", NULL, c.data);
    CHECK_EQ_STR(env_ep, a);
    unsetenv("AWS_ENDPOINT_URL");
    free(a);
    free(same);
    free(other_ep);
    free(other_pre);
    free(no_pre);
    free(aws);
    free(env_ep);

    /* Where the cache lives without --cache-dir: TICKLAKE_CACHE_DIR, XDG_CACHE_HOME, HOME. */
    char *saved_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
    buf d = {0};
    buf_printf(&d, "%s/env", tmpdir);
    setenv("TICKLAKE_CACHE_DIR", d.data, 1);
    setenv("XDG_CACHE_HOME", "/nonexistent-xdg", 1);
    a = cache_of("s3://bk", ep, NULL);
    buf_printf(&d, "/bk-");
    CHECK(strncmp(a, d.data, d.len) == 0);
    free(a);
    a = cache_of("s3://bk", ep, ""); /* empty: as if not given */
    CHECK(strncmp(a, d.data, d.len) == 0);
    free(a);
    unsetenv("TICKLAKE_CACHE_DIR");
    buf_reset(&d);
    buf_printf(&d, "%s/xdg", tmpdir);
    setenv("XDG_CACHE_HOME", d.data, 1);
    a = cache_of("s3://bk", ep, NULL);
    buf_printf(&d, "/ticklake/bk-");
    CHECK(strncmp(a, d.data, d.len) == 0);
    free(a);
    unsetenv("XDG_CACHE_HOME");
    buf_reset(&d);
    buf_printf(&d, "%s/home", tmpdir);
    setenv("HOME", d.data, 1);
    a = cache_of("s3://bk", ep, NULL);
    buf_printf(&d, "/.cache/ticklake/bk-");
    CHECK(strncmp(a, d.data, d.len) == 0);
    free(a);
    unsetenv("HOME");
    a = cache_of("s3://bk", ep, NULL);
    CHECK_EQ_STR(a, "ERROR no cache folder: set --cache-dir or HOME");
    free(a);
    if (saved_home)
        setenv("HOME", saved_home, 1);
    free(saved_home);

    /* Not an S3 lake; a bad bucket; a cache folder that cannot be made. */
    a = cache_of("/tmp/lake", ep, c.data);
    CHECK_EQ_STR(a, "ERROR '/tmp/lake' is not an s3:// lake");
    free(a);
    a = cache_of("s3://", ep, c.data);
    CHECK(strstr(a, "ERROR ") == a && strstr(a, "no bucket") != NULL);
    free(a);
    buf_reset(&d);
    buf_printf(&d, "%s/file", tmpdir);
    char err[256];
    CHECK_EQ_INT(write_file_atomic(d.data, "x", 1, err, sizeof(err)), 0);
    a = cache_of("s3://bk", ep, d.data);
    CHECK(strncmp(a, "ERROR ", 6) == 0);
    free(a);
    buf_release(&c);
    buf_release(&d);
    buf_release(&want);
}

/* An unreachable endpoint: each sync fails with a message, releases the lock
 * (the next one does not wait) and saves the manifest as it read it, bad
 * lines dropped; the counters say nothing was listed or fetched. */
static void test_unreachable(void)
{
    storage_options so = {.s3_endpoint = "http://127.0.0.1:9",
                          .s3_addressing = "path",
                          .s3_read_retry_ns = 1000000,
                          .s3_write_retry_ns = 1000000};
    buf c = {0};
    buf_printf(&c, "%s/u", tmpdir);
    lakecache *lc = NULL;
    char err[512];
    CHECK_EQ_INT(lakecache_open(&lc, "s3://bucket/p", &so, c.data, err, sizeof(err)), 0);
    if (!lc)
        return;
    buf man = {0};
    buf_printf(&man, "%s", lakecache_dir(lc));
    man.len -= strlen("lake");
    man.data[man.len] = '\0';
    buf_puts(&man, "manifest.tsv");
    static const char before[] = "F\t5\t6\t-\tt/b.json\n"
                                 "garbage line\n"
                                 "P\t3\t4\t\"e\"\tt/a.parquet\n";
    CHECK_EQ_INT(write_file_atomic(man.data, before, strlen(before), err, sizeof(err)), 0);
    int (*syncs[])(lakecache *, char *, size_t) = {lakecache_sync_catalog, lakecache_sync_results};
    for (size_t i = 0; i < 2; i++) {
        err[0] = '\0';
        CHECK_EQ_INT(syncs[i](lc, err, sizeof(err)), -1);
        CHECK(err[0] != '\0');
    }
    const char *tables[] = {"trades"};
    CHECK_EQ_INT(lakecache_prepare_query(lc, tables, 1, LAKECACHE_LISTED, err, sizeof(err)), -1);
    CHECK_EQ_INT(lakecache_folder_exists(lc, "trades", err, sizeof(err)), -1);
    buf got = {0};
    CHECK_EQ_INT(read_file(man.data, &got, err, sizeof(err)), 0);
    CHECK_EQ_STR(got.data, "P\t3\t4\t\"e\"\tt/a.parquet\nF\t5\t6\t-\tt/b.json\n");
    lakecache_stats st;
    lakecache_get_stats(lc, &st);
    CHECK(st.listed == 0 && st.hits == 0 && st.full == 0 && st.requests == 0 && st.removed == 0);
    buf d = {0};
    lakecache_describe_stats(lc, &d);
    CHECK_EQ_STR(d.data, "s3 cache: 0 objects listed, 0 cached, 0 downloaded whole, 0 footers, 0 "
                         "stubs, 0 removed, 0 uploaded; 0 bytes downloaded in 0 GETs");
    lakecache_free(lc);
    buf_release(&d);
    buf_release(&got);
    buf_release(&man);
    buf_release(&c);
}

static void test_setup(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static void test_cleanup(void)
{
    tl_rm_rf(tmpdir);
    CHECK(!is_dir(tmpdir));
}

TEST_MAIN(TEST(test_manifest_entries), TEST(test_manifest_bad_lines), TEST(test_fresh),
          TEST(test_footer_need), TEST(test_setup), TEST(test_open_paths), TEST(test_unreachable),
          TEST(test_cleanup))
