/* test_s3_live.c - the S3 client and the S3 storage backend against a real
 * S3-compatible server (versitygw, started by tests/s3/s3server.sh with
 * authentication on). Run it through tests/s3/run.sh, which starts the server
 * and sets:
 *   S3_TEST_DIR        the server's directory (endpoint, bucket, pid, credentials)
 *   S3_SERVER_SCRIPT   tests/s3/s3server.sh, to stop and restart the server
 *   AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_PROFILE  the test keys
 * Covers: put/get/head/delete with awkward keys, list paging past 1000 keys
 * and with max-keys, delimiters, a 20 MiB multipart upload, a wrong secret (a
 * clear 403 that names bucket and key, no retry, nothing lost), 404s that name
 * bucket and key, virtual-host addressing, the storage interface on s3://,
 * the server killed and restarted during writes (every write succeeds after
 * retrying and every object is there), a stalled server (timeout, retry), and
 * that no secret reaches the logs. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "s3.h"
#include "storage.h"
#include "testlib.h"

static char server_dir[1024];
static char script[1024];
static char endpoint[256];
static char bucket[128];
static char secret[256];
static char work[] = "/tmp/ticklake-s3live-XXXXXX";

static void read_line(const char *path, char *out, size_t n)
{
    buf b = {0};
    char err[256];
    out[0] = '\0';
    if (read_file(path, &b, err, sizeof(err)) != 0) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    size_t len = strcspn(b.data, "\r\n");
    snprintf(out, n, "%.*s", (int)len, b.data);
    buf_release(&b);
}

static void setup(void)
{
    const char *d = getenv("S3_TEST_DIR");
    const char *s = getenv("S3_SERVER_SCRIPT");
    if (!d || !s) {
        fprintf(stderr, "run me through tests/s3/run.sh (S3_TEST_DIR and S3_SERVER_SCRIPT)\n");
        printf("0 passed, 1 failed\n");
        exit(1);
    }
    snprintf(server_dir, sizeof(server_dir), "%s", d);
    snprintf(script, sizeof(script), "%s", s);
    char path[1200];
    snprintf(path, sizeof(path), "%s/endpoint", server_dir);
    read_line(path, endpoint, sizeof(endpoint));
    snprintf(path, sizeof(path), "%s/bucket", server_dir);
    read_line(path, bucket, sizeof(bucket));
    /* The secret, only to check it never shows up in messages or logs. */
    snprintf(path, sizeof(path), "%s/credentials", server_dir);
    buf b = {0};
    s3_ini ini;
    char err[256];
    if (read_file(path, &b, err, sizeof(err)) == 0 &&
        s3_ini_parse(b.data, b.len, path, &ini, err, sizeof(err)) == 0) {
        const char *v = s3_ini_get(&ini, getenv("AWS_PROFILE"), "aws_secret_access_key");
        snprintf(secret, sizeof(secret), "%s", v ? v : "");
        s3_ini_release(&ini);
    }
    buf_release(&b);
    if (!mkdtemp(work)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* A client for the test server, credentials from the AWS files. */
static s3_client *client(const s3_config *base)
{
    s3_config cfg;
    if (base)
        cfg = *base;
    else
        s3_config_init(&cfg);
    if (!cfg.endpoint)
        cfg.endpoint = endpoint;
    char err[512];
    s3_client *c = s3_client_new(&cfg, err, sizeof(err));
    if (!c)
        fprintf(stderr, "  s3_client_new: %s\n", err);
    return c;
}

static void fill_random(char *p, size_t n, unsigned seed)
{
    uint64_t x = 0x9E3779B97F4A7C15ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (char)(x >> 24);
    }
}

/* Writes n pseudo-random bytes to a new file; returns its SHA-256. */
static void make_file(const char *path, size_t n, unsigned seed, char sha[S3_SHA256_HEX_SIZE])
{
    char *b = malloc(n ? n : 1);
    fill_random(b, n, seed);
    s3_sha256_hex(b, n, sha);
    char err[256];
    if (write_file_atomic(path, b, n, err, sizeof(err)) != 0)
        fprintf(stderr, "  %s\n", err);
    free(b);
}

static void file_sha(const char *path, char sha[S3_SHA256_HEX_SIZE], size_t *len)
{
    buf b = {0};
    char err[256];
    sha[0] = '\0';
    if (read_file(path, &b, err, sizeof(err)) == 0)
        s3_sha256_hex(b.data ? b.data : "", b.len, sha);
    *len = b.len;
    buf_release(&b);
}

static int no_secret(const char *text)
{
    return secret[0] && !strstr(text, secret);
}

static void test_server_ready(void)
{
    CHECK(endpoint[0] && bucket[0] && strlen(secret) >= 16);
    s3_client *c = client(NULL);
    CHECK(c != NULL);
    if (c) {
        CHECK_EQ_STR(s3_client_endpoint(c), endpoint);
        CHECK_EQ_STR(s3_client_region(c), "us-east-1");
    }
    s3_client_free(c);
}

static void test_put_get_head_delete(void)
{
    s3_client *c = client(NULL);
    if (!c)
        return;
    char err[512];
    const char *keys[] = {"simple.txt",
                          "dir/sub/file.parquet",
                          "with space/and+plus=equals&amp;?q#h%25",
                          "unicode/\xc3\xa9t\xc3\xa9/\xe2\x82\xac\xf0\x9f\x93\x88.bin",
                          "tilde~star*quote'paren()comma,semi;colon:at@dollar$",
                          "trades/date=2024-01-01/trades+0+00000000000000000042.parquet"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char body[64];
        int n = snprintf(body, sizeof(body), "object %zu", i);
        if (s3_put(c, bucket, keys[i], body, (size_t)n, err, sizeof(err)) != 0) {
            fprintf(stderr, "  put '%s': %s\n", keys[i], err);
            CHECK(0);
            continue;
        }
        buf got = {0};
        CHECK_EQ_INT(s3_get(c, bucket, keys[i], &got, err, sizeof(err)), 0);
        CHECK_EQ_INT(got.len, n);
        CHECK(got.data && memcmp(got.data, body, (size_t)n) == 0);
        buf_release(&got);
        s3_object o;
        CHECK_EQ_INT(s3_head(c, bucket, keys[i], &o, err, sizeof(err)), 0);
        CHECK_EQ_INT(o.size, n);
        CHECK(o.etag && o.etag[0] == '"');
        CHECK(o.mtime_ns > (int64_t)(now_ns() - 3600 * NS_PER_SEC) &&
              o.mtime_ns < now_ns() + 3600 * NS_PER_SEC);
        s3_object_release(&o);
    }
    /* The listing shows the keys exactly as written. */
    s3_listing l = {0};
    CHECK_EQ_INT(s3_list(c, bucket, NULL, &l, err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        int found = 0;
        for (size_t j = 0; j < l.nobjects; j++)
            found |= strcmp(l.objects[j].key, keys[i]) == 0;
        if (!found)
            fprintf(stderr, "  '%s' missing from the listing\n", keys[i]);
        CHECK(found);
    }
    s3_listing_release(&l);
    /* An empty object, and an overwrite. */
    CHECK_EQ_INT(s3_put(c, bucket, "empty", "", 0, err, sizeof(err)), 0);
    buf got = {0};
    CHECK_EQ_INT(s3_get(c, bucket, "empty", &got, err, sizeof(err)), 0);
    CHECK_EQ_INT(got.len, 0);
    CHECK_EQ_INT(s3_put(c, bucket, "simple.txt", "v2", 2, err, sizeof(err)), 0);
    buf_reset(&got);
    CHECK_EQ_INT(s3_get(c, bucket, "simple.txt", &got, err, sizeof(err)), 0);
    CHECK(got.len == 2 && memcmp(got.data, "v2", 2) == 0);
    buf_release(&got);
    /* Delete, and delete again. */
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        CHECK_EQ_INT(s3_delete(c, bucket, keys[i], err, sizeof(err)), 0);
        CHECK_EQ_INT(s3_head(c, bucket, keys[i], NULL, err, sizeof(err)), S3_ENOENT);
    }
    CHECK_EQ_INT(s3_delete(c, bucket, keys[0], err, sizeof(err)), 0);
    CHECK_EQ_INT(s3_delete(c, bucket, "empty", err, sizeof(err)), 0);
    s3_client_free(c);
}

static void test_not_found(void)
{
    s3_client *c = client(NULL);
    if (!c)
        return;
    char err[512], want[512];
    buf got = {0};
    CHECK_EQ_INT(s3_get(c, bucket, "no/such key", &got, err, sizeof(err)), S3_ENOENT);
    snprintf(want, sizeof(want), "s3: no such key 'no/such key' in bucket '%s' (404 NoSuchKey",
             bucket);
    if (strncmp(err, want, strlen(want)) != 0)
        fprintf(stderr, "  got: %s\n", err);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK_EQ_INT(s3_head(c, bucket, "no/such key", NULL, err, sizeof(err)), S3_ENOENT);
    CHECK(strstr(err, "no such key 'no/such key'") && strstr(err, bucket));
    CHECK_EQ_INT(s3_get(c, "ticklake-no-such-bucket", "k", &got, err, sizeof(err)), S3_ENOENT);
    CHECK(strstr(err, "no such bucket 'ticklake-no-such-bucket'") != NULL);
    s3_listing l = {0};
    CHECK_EQ_INT(s3_list(c, "ticklake-no-such-bucket", NULL, &l, err, sizeof(err)), S3_ENOENT);
    CHECK(strstr(err, "ticklake-no-such-bucket") != NULL);
    s3_listing_release(&l);
    buf dst = {0};
    buf_printf(&dst, "%s/never", work);
    CHECK_EQ_INT(s3_get_file(c, bucket, "no/such key", dst.data, err, sizeof(err)), S3_ENOENT);
    struct stat st;
    CHECK(stat(dst.data, &st) != 0); /* no partial file left */
    buf_release(&dst);
    buf_release(&got);
    s3_client_free(c);
}

static void test_list_paging(void)
{
    s3_client *c = client(NULL);
    if (!c)
        return;
    char err[512];
    enum { N = 1105 };
    int64_t t0 = mono_ns();
    int failed = 0;
    for (int i = 0; i < N && !failed; i++) {
        char key[64], body[32];
        snprintf(key, sizeof(key), "page/%c/k%05d", 'a' + i % 3, i);
        int n = snprintf(body, sizeof(body), "%d", i);
        if (s3_put(c, bucket, key, body, (size_t)n, err, sizeof(err)) != 0) {
            fprintf(stderr, "  %s\n", err);
            failed = 1;
        }
    }
    CHECK(!failed);
    fprintf(stderr, "  (%d puts in %.1f s)\n", N, (double)(mono_ns() - t0) / 1e9);

    /* Server-side pages of the default size (1000): two pages. */
    s3_listing l = {0};
    s3_list_opts o = {.prefix = "page/"};
    CHECK_EQ_INT(s3_list(c, bucket, &o, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, N);
    CHECK(l.pages >= 2);
    int sorted = 1;
    for (size_t i = 1; i < l.nobjects; i++)
        sorted &= strcmp(l.objects[i - 1].key, l.objects[i].key) < 0;
    CHECK(sorted);
    s3_listing_release(&l);

    /* max-keys 100: twelve pages, nothing lost or repeated. */
    o.max_keys = 100;
    CHECK_EQ_INT(s3_list(c, bucket, &o, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, N);
    CHECK_EQ_INT(l.pages, (N + 99) / 100);
    char *seen = calloc(N, 1);
    for (size_t i = 0; i < l.nobjects; i++) {
        int k = atoi(strrchr(l.objects[i].key, 'k') + 1);
        if (k >= 0 && k < N) {
            CHECK(!seen[k]);
            seen[k] = 1;
        }
        CHECK(l.objects[i].size >= 1 && l.objects[i].size <= 4);
    }
    int all = 1;
    for (int i = 0; i < N; i++)
        all &= seen[i];
    CHECK(all);
    free(seen);
    s3_listing_release(&l);

    /* A delimiter: three common prefixes, no objects at that level. */
    s3_list_opts d = {.prefix = "page/", .delimiter = "/"};
    CHECK_EQ_INT(s3_list(c, bucket, &d, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, 0);
    CHECK_EQ_INT(l.nprefixes, 3);
    if (l.nprefixes == 3)
        CHECK_EQ_STR(l.prefixes[0], "page/a/");
    s3_listing_release(&l);
    /* A prefix that matches nothing. */
    s3_list_opts none = {.prefix = "page/zzz"};
    CHECK_EQ_INT(s3_list(c, bucket, &none, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, 0);
    s3_listing_release(&l);
    s3_client_free(c);
}

static void test_multipart(void)
{
    s3_client *c = client(NULL);
    if (!c)
        return;
    char err[512], sha[S3_SHA256_HEX_SIZE], got_sha[S3_SHA256_HEX_SIZE];
    buf src = {0}, dst = {0};
    buf_printf(&src, "%s/big.bin", work);
    buf_printf(&dst, "%s/big.out", work);
    size_t size = 20 * 1024 * 1024 + 12345;
    make_file(src.data, size, 7, sha);
    int64_t t0 = mono_ns();
    CHECK_EQ_INT(s3_put_file(c, bucket, "multi/big.bin", src.data, err, sizeof(err)), 0);
    fprintf(stderr, "  (20 MiB multipart upload in %.2f s)\n", (double)(mono_ns() - t0) / 1e9);
    s3_object o;
    CHECK_EQ_INT(s3_head(c, bucket, "multi/big.bin", &o, err, sizeof(err)), 0);
    CHECK_EQ_INT(o.size, (int64_t)size);
    CHECK(o.etag && strstr(o.etag, "-3\"") != NULL); /* 8 + 8 + 4 MiB parts */
    s3_object_release(&o);
    CHECK_EQ_INT(s3_get_file(c, bucket, "multi/big.bin", dst.data, err, sizeof(err)), 0);
    size_t n;
    file_sha(dst.data, got_sha, &n);
    CHECK_EQ_INT(n, size);
    CHECK_EQ_STR(got_sha, sha);
    /* A file at the threshold goes in one PutObject (no "-N" ETag). */
    make_file(src.data, 8 * 1024 * 1024, 8, sha);
    CHECK_EQ_INT(s3_put_file(c, bucket, "multi/eight.bin", src.data, err, sizeof(err)), 0);
    CHECK_EQ_INT(s3_head(c, bucket, "multi/eight.bin", &o, err, sizeof(err)), 0);
    CHECK(o.etag && strchr(o.etag, '-') == NULL);
    s3_object_release(&o);
    /* A smaller part size from the configuration: 6 parts of 5 MiB (+ the rest). */
    s3_config cfg;
    s3_config_init(&cfg);
    cfg.part_size = 5 * 1024 * 1024;
    cfg.multipart_threshold = 5 * 1024 * 1024;
    s3_client *c5 = client(&cfg);
    make_file(src.data, size, 9, sha);
    CHECK_EQ_INT(s3_put_file(c5, bucket, "multi/five.bin", src.data, err, sizeof(err)), 0);
    CHECK_EQ_INT(s3_head(c5, bucket, "multi/five.bin", &o, err, sizeof(err)), 0);
    CHECK(o.etag && strstr(o.etag, "-5\"") != NULL);
    s3_object_release(&o);
    buf got = {0};
    CHECK_EQ_INT(s3_get(c5, bucket, "multi/five.bin", &got, err, sizeof(err)), 0);
    s3_sha256_hex(got.data, got.len, got_sha);
    CHECK_EQ_STR(got_sha, sha);
    buf_release(&got);
    s3_client_free(c5);
    unlink(src.data);
    unlink(dst.data);
    buf_release(&src);
    buf_release(&dst);
    s3_client_free(c);
}

static void test_wrong_secret(void)
{
    s3_client *good = client(NULL);
    if (!good)
        return;
    char err[512];
    CHECK_EQ_INT(s3_put(good, bucket, "keep/me", "precious", 8, err, sizeof(err)), 0);

    /* The right access key with a wrong secret (explicit keys, default budgets). */
    s3_config cfg;
    s3_config_init(&cfg);
    s3_credentials cr;
    CHECK_EQ_INT(s3_credentials_load(&cr, NULL, NULL, err, sizeof(err)), 0);
    cfg.access_key = cr.access_key;
    cfg.secret_key = "wrong-secret-0123456789abcdef";
    s3_client *bad = client(&cfg);
    CHECK(bad != NULL);
    if (!bad) {
        s3_credentials_release(&cr);
        s3_client_free(good);
        return;
    }
    int64_t t0 = mono_ns();
    CHECK_EQ_INT(s3_put(bad, bucket, "keep/me", "overwritten", 11, err, sizeof(err)), -1);
    CHECK(mono_ns() - t0 < 5 * NS_PER_SEC); /* no retrying a 403 */
    char want[512];
    snprintf(want, sizeof(want),
             "s3: access denied to bucket '%s' key 'keep/me' (403 SignatureDoesNotMatch: ", bucket);
    if (strncmp(err, want, strlen(want)) != 0)
        fprintf(stderr, "  got: %s\n", err);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK(!strstr(err, "wrong-secret") && no_secret(err));
    s3_stats stats;
    s3_client_stats(bad, &stats);
    CHECK_EQ_INT(stats.retries, 0);

    /* Every kind of request says the same. */
    buf got = {0};
    CHECK_EQ_INT(s3_get(bad, bucket, "keep/me", &got, err, sizeof(err)), -1);
    CHECK(strstr(err, "access denied to bucket") && strstr(err, "key 'keep/me'"));
    s3_listing l = {0};
    CHECK_EQ_INT(s3_list(bad, bucket, NULL, &l, err, sizeof(err)), -1);
    CHECK(strstr(err, "access denied to bucket") != NULL);
    s3_listing_release(&l);
    CHECK_EQ_INT(s3_head(bad, bucket, "keep/me", NULL, err, sizeof(err)), -1);
    CHECK(strstr(err, "access denied to bucket") && strstr(err, "403"));
    buf src = {0};
    buf_printf(&src, "%s/mp.bin", work);
    char sha[S3_SHA256_HEX_SIZE];
    make_file(src.data, 9 * 1024 * 1024, 3, sha);
    t0 = mono_ns();
    CHECK_EQ_INT(s3_put_file(bad, bucket, "keep/big", src.data, err, sizeof(err)), -1);
    CHECK(mono_ns() - t0 < 5 * NS_PER_SEC);
    CHECK(strstr(err, "access denied to bucket") && strstr(err, "key 'keep/big'"));
    CHECK(no_secret(err) && !strstr(err, "wrong-secret"));

    /* A large single PUT (sent with Expect: 100-continue) is refused as fast. */
    size_t seven = 7 * 1024 * 1024;
    char *payload = calloc(seven, 1);
    t0 = mono_ns();
    CHECK_EQ_INT(s3_put(bad, bucket, "keep/seven", payload, seven, err, sizeof(err)), -1);
    CHECK(mono_ns() - t0 < 5 * NS_PER_SEC);
    CHECK(strstr(err, "access denied to bucket") && strstr(err, "key 'keep/seven'"));
    free(payload);

    /* Nothing was lost or changed. */
    CHECK_EQ_INT(s3_get(good, bucket, "keep/me", &got, err, sizeof(err)), 0);
    CHECK(got.len == 8 && memcmp(got.data, "precious", 8) == 0);
    CHECK_EQ_INT(s3_head(good, bucket, "keep/big", NULL, err, sizeof(err)), S3_ENOENT);
    buf_release(&got);

    /* Through storage: a move that fails keeps the source file. */
    setenv("AWS_ACCESS_KEY_ID", cr.access_key, 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-0123456789abcdef", 1);
    storage *st = NULL;
    storage_options so = {.s3_endpoint = endpoint};
    buf url = {0};
    buf_printf(&url, "s3://%s/lake-denied", bucket);
    CHECK_EQ_INT(storage_open(&st, url.data, &so, err, sizeof(err)), 0);
    if (st) {
        CHECK_EQ_INT(storage_put_file(st, "t/f.parquet", src.data, STORAGE_MOVE, err, sizeof(err)),
                     -1);
        CHECK(strstr(err, "access denied to bucket") && strstr(err, "lake-denied/t/f.parquet"));
        struct stat sb;
        CHECK(stat(src.data, &sb) == 0 && sb.st_size == 9 * 1024 * 1024);
    }
    storage_free(st);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unlink(src.data);
    buf_release(&src);
    buf_release(&url);
    s3_client_free(bad);
    s3_credentials_release(&cr);
    s3_client_free(good);
}

static void test_virtual_host(void)
{
    /* The server answers http://BUCKET.localhost:PORT (it runs with --virtual-domain localhost). */
    const char *port = strrchr(endpoint, ':');
    char ep[128];
    snprintf(ep, sizeof(ep), "http://localhost%s", port ? port : "");
    s3_config cfg;
    s3_config_init(&cfg);
    cfg.endpoint = ep;
    cfg.addressing = S3_ADDRESSING_VIRTUAL;
    s3_client *c = client(&cfg);
    if (!c)
        return;
    char err[512];
    CHECK_EQ_INT(s3_put(c, bucket, "virtual/a b+c", "vh", 2, err, sizeof(err)), 0);
    if (err[0])
        fprintf(stderr, "  %s\n", err);
    buf got = {0};
    CHECK_EQ_INT(s3_get(c, bucket, "virtual/a b+c", &got, err, sizeof(err)), 0);
    CHECK(got.len == 2 && memcmp(got.data, "vh", 2) == 0);
    buf_release(&got);
    s3_listing l = {0};
    s3_list_opts o = {.prefix = "virtual/"};
    CHECK_EQ_INT(s3_list(c, bucket, &o, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, 1);
    s3_listing_release(&l);
    /* The object is the same one path-style sees. */
    s3_client *p = client(NULL);
    CHECK_EQ_INT(s3_head(p, bucket, "virtual/a b+c", NULL, err, sizeof(err)), 0);
    CHECK_EQ_INT(s3_delete(c, bucket, "virtual/a b+c", err, sizeof(err)), 0);
    CHECK_EQ_INT(s3_head(p, bucket, "virtual/a b+c", NULL, err, sizeof(err)), S3_ENOENT);
    s3_client_free(p);
    s3_client_free(c);
}

static void test_create_bucket(void)
{
    s3_client *c = client(NULL);
    if (!c)
        return;
    char err[512];
    CHECK_EQ_INT(s3_create_bucket(c, "ticklake-made", err, sizeof(err)), 0);
    CHECK_EQ_INT(s3_create_bucket(c, "ticklake-made", err, sizeof(err)), 0); /* ours already */
    CHECK_EQ_INT(s3_put(c, "ticklake-made", "x", "1", 1, err, sizeof(err)), 0);
    s3_listing l = {0};
    CHECK_EQ_INT(s3_list(c, "ticklake-made", NULL, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, 1);
    s3_listing_release(&l);
    s3_client_free(c);
}

static void test_storage_s3(void)
{
    storage *st = NULL;
    char err[512];
    buf url = {0};
    buf_printf(&url, "s3://%s/lake1/", bucket);
    storage_options so = {.s3_endpoint = endpoint, .s3_addressing = "path"};
    CHECK_EQ_INT(storage_open(&st, url.data, &so, err, sizeof(err)), 0);
    if (!st) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(storage_kind(st) == STORAGE_S3);
    CHECK_EQ_INT(storage_put_bytes(st, "_catalog/catalog.json", "{}", 2, err, sizeof(err)), 0);
    buf tmp = {0}, got = {0};
    CHECK_EQ_INT(
        storage_temp_path(st, "trades/date=2024-01-01/t+0+1.parquet", &tmp, err, sizeof(err)), 0);
    char sha[S3_SHA256_HEX_SIZE];
    make_file(tmp.data, 100000, 11, sha);
    CHECK_EQ_INT(storage_put_file(st, "trades/date=2024-01-01/t+0+1.parquet", tmp.data,
                                  STORAGE_MOVE, err, sizeof(err)),
                 0);
    struct stat sb;
    CHECK(stat(tmp.data, &sb) != 0); /* consumed */
    CHECK_EQ_INT(
        storage_put_bytes(st, "trades/date=2024-01-02/t+0+9.parquet", "p2", 2, err, sizeof(err)),
        0);
    CHECK_EQ_INT(
        storage_put_bytes(st, "bars_1s/date=2024-01-01/b+0+0.parquet", "b", 1, err, sizeof(err)),
        0);

    /* A duplicate handle (another thread's) reaches the same prefix with the same keys. */
    storage *dup = NULL;
    CHECK_EQ_INT(storage_dup(&dup, st, err, sizeof(err)), 0);
    if (dup) {
        CHECK_EQ_STR(storage_url(dup), storage_url(st));
        CHECK_EQ_INT(
            storage_get_bytes(dup, "trades/date=2024-01-02/t+0+9.parquet", &got, err, sizeof(err)),
            0);
        CHECK(got.len == 2 && memcmp(got.data, "p2", 2) == 0);
        buf_reset(&got);
        storage_free(dup);
    }

    storage_listing l;
    CHECK_EQ_INT(storage_list(st, "", 0, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 3);
    if (l.n == 3) {
        CHECK_EQ_STR(l.entries[0].key, "_catalog");
        CHECK(l.entries[0].is_dir);
        CHECK_EQ_STR(l.entries[2].key, "trades");
    }
    storage_list_release(&l);
    CHECK_EQ_INT(storage_list(st, "trades", 0, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 2);
    if (l.n == 2)
        CHECK_EQ_STR(l.entries[1].key, "trades/date=2024-01-02");
    storage_list_release(&l);
    CHECK_EQ_INT(storage_list(st, "trades", STORAGE_RECURSIVE, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 2);
    if (l.n == 2) {
        CHECK_EQ_STR(l.entries[0].key, "trades/date=2024-01-01/t+0+1.parquet");
        CHECK_EQ_INT(l.entries[0].size, 100000);
        CHECK(l.entries[0].mtime_ns > 0 && !l.entries[0].is_dir);
    }
    storage_list_release(&l);
    CHECK_EQ_INT(storage_list(st, "", STORAGE_RECURSIVE, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 4);
    storage_list_release(&l);
    CHECK_EQ_INT(storage_list(st, "nothing", 0, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 0);

    storage_entry e;
    CHECK_EQ_INT(storage_stat(st, "trades/date=2024-01-01/t+0+1.parquet", &e, err, sizeof(err)), 0);
    CHECK_EQ_INT(e.size, 100000);
    CHECK(e.mtime_ns > 0);
    storage_entry_release(&e);
    CHECK_EQ_INT(storage_stat(st, "trades/none", NULL, err, sizeof(err)), STORAGE_ENOENT);
    CHECK_EQ_INT(storage_get_bytes(st, "trades/none", &got, err, sizeof(err)), STORAGE_ENOENT);
    CHECK(strstr(err, "lake1/trades/none") && strstr(err, bucket));
    CHECK_EQ_INT(storage_get_bytes(st, "_catalog/catalog.json", &got, err, sizeof(err)), 0);
    CHECK(got.len == 2 && memcmp(got.data, "{}", 2) == 0);
    buf dst = {0};
    buf_printf(&dst, "%s/fetched.parquet", work);
    CHECK_EQ_INT(
        storage_get_file(st, "trades/date=2024-01-01/t+0+1.parquet", dst.data, err, sizeof(err)),
        0);
    char got_sha[S3_SHA256_HEX_SIZE];
    size_t n;
    file_sha(dst.data, got_sha, &n);
    CHECK_EQ_STR(got_sha, sha);
    CHECK_EQ_INT(storage_delete(st, "trades/date=2024-01-02/t+0+9.parquet", err, sizeof(err)), 0);
    CHECK_EQ_INT(storage_delete(st, "trades/date=2024-01-02/t+0+9.parquet", err, sizeof(err)), 0);
    CHECK_EQ_INT(storage_list(st, "trades", 0, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 1);
    storage_list_release(&l);

    /* The bucket itself as the lake. */
    storage *whole = NULL;
    buf_reset(&url);
    buf_printf(&url, "s3://%s", bucket);
    CHECK_EQ_INT(storage_open(&whole, url.data, &so, err, sizeof(err)), 0);
    buf_reset(&got);
    CHECK_EQ_INT(storage_get_bytes(whole, "lake1/_catalog/catalog.json", &got, err, sizeof(err)),
                 0);
    CHECK(got.len == 2);
    storage_free(whole);

    unlink(dst.data);
    buf_release(&dst);
    buf_release(&url);
    buf_release(&tmp);
    buf_release(&got);
    storage_free(st);
}

static atomic_int writer_in_big_put; /* the writer is inside a multipart upload */
static atomic_int outage_done;
static atomic_int outage_rc;

/* Kills the server (SIGKILL, as a crash) while a multipart upload runs,
 * keeps it down for 3 s, then starts it again on the same port and data. */
static void *outage_thread(void *arg)
{
    (void)arg;
    int64_t deadline = mono_ns() + 30 * NS_PER_SEC;
    while (!atomic_load(&writer_in_big_put) && mono_ns() < deadline)
        sleep_ns(1000000);
    sleep_ns(30 * 1000000);
    buf cmd = {0};
    buf_printf(&cmd, "'%s' stop '%s' --keep --kill >/dev/null", script, server_dir);
    int a = system(cmd.data);
    sleep_ns(3 * NS_PER_SEC);
    buf_reset(&cmd);
    buf_printf(&cmd, "'%s' start '%s' >/dev/null", script, server_dir);
    int b = system(cmd.data);
    buf_release(&cmd);
    atomic_store(&outage_rc, a != 0 || b != 0);
    atomic_store(&outage_done, 1);
    return NULL;
}

/* Logs (stderr) go to a file while f runs; returns what was written. */
static void capture_stderr(void (*f)(void *), void *arg, buf *out)
{
    char path[1100];
    snprintf(path, sizeof(path), "%s/stderr.log", work);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    f(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char err[256];
    read_file(path, out, err, sizeof(err));
}

typedef struct outage_run {
    int writes, failures;
    int first_spanned;
    s3_stats stats;
    char first_err[512];
} outage_run;

static void outage_body(void *arg)
{
    outage_run *r = arg;
    log_level = LOG_LVL_DEBUG; /* every request is logged: none may show a secret */
    s3_client *c = client(NULL);
    if (!c) {
        r->failures++;
        return;
    }
    pthread_t th;
    atomic_store(&writer_in_big_put, 0);
    atomic_store(&outage_done, 0);
    pthread_create(&th, NULL, outage_thread, NULL);
    char err[512], path[1100];
    snprintf(path, sizeof(path), "%s/outage.bin", work);
    char sha[S3_SHA256_HEX_SIZE];
    /* Write until the server is back and three writes that started after that went through. */
    int after = 0;
    for (int i = 0; i < 400 && after < 3; i++) {
        char key[64];
        int rc;
        int started_after = atomic_load(&outage_done);
        if (i % 2 == 0) {
            snprintf(key, sizeof(key), "outage/big%03d", i);
            make_file(path, 20 * 1024 * 1024 + (size_t)i, (unsigned)i, sha);
            atomic_store(&writer_in_big_put, 1);
            rc = s3_put_file(c, bucket, key, path, err, sizeof(err));
        } else {
            char body[32];
            snprintf(key, sizeof(key), "outage/small%03d", i);
            int n = snprintf(body, sizeof(body), "small %d", i);
            rc = s3_put(c, bucket, key, body, (size_t)n, err, sizeof(err));
        }
        r->writes++;
        if (rc != 0) {
            r->failures++;
            if (!r->first_err[0])
                snprintf(r->first_err, sizeof(r->first_err), "%s", err);
        }
        if (started_after)
            after++;
        else if (i == 0)
            r->first_spanned = atomic_load(&outage_done); /* the outage fell inside write 0 */
    }
    pthread_join(th, NULL);
    s3_client_stats(c, &r->stats);
    s3_client_free(c);
    log_level = LOG_LVL_WARN;
}

static void test_server_restart_during_writes(void)
{
    outage_run r = {0};
    buf logs = {0};
    int64_t t0 = mono_ns();
    capture_stderr(outage_body, &r, &logs);
    fprintf(stderr, "  (%d writes in %.1f s, %lld requests, %lld retries)\n", r.writes,
            (double)(mono_ns() - t0) / 1e9, (long long)r.stats.requests,
            (long long)r.stats.retries);
    CHECK_EQ_INT(atomic_load(&outage_rc), 0);
    if (getenv("S3_TEST_VERBOSE"))
        fprintf(stderr, "%s", logs.data ? logs.data : "");
    CHECK(r.writes >= 4);
    CHECK_EQ_INT(r.failures, 0);
    if (r.first_err[0])
        fprintf(stderr, "  first failure: %s\n", r.first_err);
    CHECK(r.stats.retries > 0); /* the outage was met, waited out and retried */
    CHECK(r.first_spanned);     /* the server died during the first (multipart) write */
    CHECK(strstr(logs.data ? logs.data : "", "retry") != NULL);
    CHECK(logs.len > 0 && no_secret(logs.data));
    CHECK(!strstr(logs.data ? logs.data : "", "Authorization"));

    /* Nothing was lost: every object is there, whole. */
    s3_client *c = client(NULL);
    if (!c)
        return;
    char err[512];
    s3_listing l = {0};
    s3_list_opts o = {.prefix = "outage/"};
    CHECK_EQ_INT(s3_list(c, bucket, &o, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, r.writes);
    for (size_t i = 0; i < l.nobjects; i++) {
        const char *k = l.objects[i].key;
        int n = atoi(k + strcspn(k, "0123456789"));
        if (strncmp(k, "outage/big", 10) == 0) {
            CHECK_EQ_INT(l.objects[i].size, 20 * 1024 * 1024 + n);
        } else {
            char body[32];
            CHECK_EQ_INT(l.objects[i].size, snprintf(body, sizeof(body), "small %d", n));
        }
    }
    /* The big object that was being written when the server died is intact. */
    buf got = {0};
    CHECK_EQ_INT(s3_get(c, bucket, "outage/big000", &got, err, sizeof(err)), 0);
    char *want = malloc(20 * 1024 * 1024);
    fill_random(want, 20 * 1024 * 1024, 0);
    CHECK(got.len == 20 * 1024 * 1024 && memcmp(got.data, want, got.len) == 0);
    free(want);
    buf_release(&got);
    s3_listing_release(&l);
    buf_release(&logs);
    s3_client_free(c);
}

static atomic_int stall_done;

static void *resume_thread(void *arg)
{
    pid_t pid = *(pid_t *)arg;
    sleep_ns(3 * NS_PER_SEC);
    kill(pid, SIGCONT);
    atomic_store(&stall_done, 1);
    return NULL;
}

/* A server that stops answering (SIGSTOP): the stall timeout ends the
 * attempt, and the retry succeeds once it answers again. */
static void test_stalled_server_timeout(void)
{
    char path[1100], pidtxt[32];
    snprintf(path, sizeof(path), "%s/pid", server_dir);
    read_line(path, pidtxt, sizeof(pidtxt));
    pid_t pid = (pid_t)atoi(pidtxt);
    CHECK(pid > 1);
    if (pid <= 1)
        return;
    s3_config cfg;
    s3_config_init(&cfg);
    cfg.stall_timeout_ns = 1 * NS_PER_SEC;
    cfg.connect_timeout_ns = 1 * NS_PER_SEC;
    s3_client *c = client(&cfg);
    if (!c)
        return;
    char err[512];
    CHECK_EQ_INT(s3_put(c, bucket, "stall/warm", "w", 1, err, sizeof(err)), 0);
    log_level = LOG_LVL_ERROR;
    CHECK_EQ_INT(kill(pid, SIGSTOP), 0);
    pthread_t th;
    pthread_create(&th, NULL, resume_thread, &pid);
    int64_t t0 = mono_ns();
    CHECK_EQ_INT(s3_put(c, bucket, "stall/k", "value", 5, err, sizeof(err)), 0);
    int64_t took = mono_ns() - t0;
    pthread_join(th, NULL);
    log_level = LOG_LVL_WARN;
    CHECK(took >= 2 * NS_PER_SEC); /* it waited for the server */
    s3_stats st;
    s3_client_stats(c, &st);
    CHECK(st.retries >= 1);
    buf got = {0};
    CHECK_EQ_INT(s3_get(c, bucket, "stall/k", &got, err, sizeof(err)), 0);
    CHECK(got.len == 5);
    buf_release(&got);

    /* A read budget of zero: one attempt, then a clear error naming the endpoint. */
    s3_config_init(&cfg);
    cfg.read_retry_ns = 0;
    cfg.endpoint = "http://127.0.0.1:1";
    s3_client *dead = client(&cfg);
    CHECK_EQ_INT(s3_head(dead, bucket, "k", NULL, err, sizeof(err)), -1);
    CHECK(strstr(err, "gave up after 1 attempt") && strstr(err, "http://127.0.0.1:1") &&
          strstr(err, "key 'k'"));
    s3_client_free(dead);
    s3_client_free(c);
}

static void test_cancel(void)
{
    /* A write to a server that is not there stops waiting when cancelled. */
    static atomic_int cancel;
    atomic_store(&cancel, 0);
    s3_config cfg;
    s3_config_init(&cfg);
    cfg.endpoint = "http://127.0.0.1:1";
    cfg.cancel = &cancel;
    s3_client *c = client(&cfg);
    if (!c)
        return;
    log_level = LOG_LVL_ERROR;
    atomic_store(&cancel, 1);
    char err[512];
    int64_t t0 = mono_ns();
    CHECK_EQ_INT(s3_put(c, bucket, "k", "v", 1, err, sizeof(err)), -1);
    CHECK(mono_ns() - t0 < 2 * NS_PER_SEC);
    CHECK(strstr(err, "cancelled") != NULL);
    log_level = LOG_LVL_WARN;
    s3_client_free(c);
}

/* A scripted HTTP server on loopback, for statuses a real server will not
 * produce on demand: each connection gets the next canned response (and is
 * closed); the requests' head lines are kept for inspection. */
typedef struct fake_server {
    int fd;
    int port;
    const char *const *responses;
    int nresponses;
    int served;
    buf requests; /* every request head, one after another */
    pthread_t th;
} fake_server;

static void *fake_thread(void *arg)
{
    fake_server *f = arg;
    while (f->served < f->nresponses) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            break;
        buf req = {0};
        char tmp[4096];
        size_t head_end = 0;
        while (!head_end) {
            ssize_t n = read(c, tmp, sizeof(tmp));
            if (n <= 0)
                break;
            buf_append(&req, tmp, (size_t)n);
            char *e = strstr(req.data, "\r\n\r\n");
            if (e)
                head_end = (size_t)(e - req.data) + 4;
        }
        size_t want = 0;
        char *cl = req.data ? strcasestr(req.data, "content-length:") : NULL;
        if (cl && (size_t)(cl - req.data) < head_end)
            want = (size_t)atol(cl + 15);
        while (req.len < head_end + want) {
            ssize_t n = read(c, tmp, sizeof(tmp));
            if (n <= 0)
                break;
            buf_append(&req, tmp, (size_t)n);
        }
        buf_append(&f->requests, req.data ? req.data : "", head_end);
        const char *r = f->responses[f->served++];
        ssize_t w = write(c, r, strlen(r));
        (void)w;
        close(c);
        buf_release(&req);
    }
    return NULL;
}

static int fake_start(fake_server *f, const char *const *responses, int n)
{
    memset(f, 0, sizeof(*f));
    f->responses = responses;
    f->nresponses = n;
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(f->fd, 16) != 0 ||
        getsockname(f->fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    f->port = ntohs(a.sin_port);
    return pthread_create(&f->th, NULL, fake_thread, f);
}

static void fake_stop(fake_server *f)
{
    shutdown(f->fd, SHUT_RDWR);
    close(f->fd);
    pthread_join(f->th, NULL);
    buf_release(&f->requests);
}

#define XML_ERR(code, msg)                                                                         \
    "<?xml version=\"1.0\"?><Error><Code>" code "</Code><Message>" msg "</Message></Error>"

/* An HTTP response with a right Content-Length; the caller frees it. */
static char *http_resp(const char *status, const char *headers, const char *body)
{
    buf b = {0};
    buf_printf(&b, "HTTP/1.1 %s\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n%s", status,
               headers, strlen(body), body);
    return b.data;
}

static void test_status_retries(void)
{
    char *script_[] = {
        /* 1-3: a PUT meets SlowDown, then an internal error, then succeeds. */
        http_resp("503 Slow Down", "", XML_ERR("SlowDown", "Please reduce your request rate.")),
        http_resp("500 Internal Server Error", "",
                  XML_ERR("InternalError", "We encountered an internal error.")),
        http_resp("200 OK", "ETag: \"abc\"\r\n", ""),
        /* 4-5: a GET meets 429, then gets its body. */
        http_resp("429 Too Many Requests", "", ""),
        http_resp("200 OK", "", "abc"),
        /* 6: a 400 is final. */
        http_resp("400 Bad Request", "",
                  XML_ERR("InvalidArgument", "Invalid argument for this test.")),
        /* 7: a bucket in another region. */
        http_resp("301 Moved Permanently", "x-amz-bucket-region: eu-west-1\r\n", ""),
    };
    fake_server f;
    CHECK_EQ_INT(fake_start(&f, (const char *const *)script_, 7), 0);
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", f.port);
    s3_config cfg;
    s3_config_init(&cfg);
    cfg.endpoint = ep;
    cfg.access_key = "AKFAKE";
    cfg.secret_key = "fake-secret-never-shown";
    cfg.backoff_min_ns = 10 * 1000000;
    s3_client *c = client(&cfg);
    if (!c) {
        fake_stop(&f);
        for (int i = 0; i < 7; i++)
            free(script_[i]);
        return;
    }
    log_level = LOG_LVL_ERROR;
    char err[512];
    s3_stats st;
    CHECK_EQ_INT(s3_put(c, "b", "k x", "hello", 5, err, sizeof(err)), 0);
    s3_client_stats(c, &st);
    CHECK_EQ_INT(st.retries, 2);
    buf got = {0};
    CHECK_EQ_INT(s3_get(c, "b", "k x", &got, err, sizeof(err)), 0);
    CHECK(got.len == 3 && memcmp(got.data, "abc", 3) == 0);
    s3_client_stats(c, &st);
    CHECK_EQ_INT(st.retries, 3);
    CHECK_EQ_INT(s3_get(c, "b", "k", &got, err, sizeof(err)), -1);
    CHECK(strstr(err, "GET bucket 'b' key 'k' failed (400 InvalidArgument: Invalid argument"));
    s3_client_stats(c, &st);
    CHECK_EQ_INT(st.retries, 3);
    CHECK_EQ_INT(s3_head(c, "b", "k", NULL, err, sizeof(err)), -1);
    CHECK(strstr(err, "bucket 'b' is in region 'eu-west-1', not 'us-east-1'"));
    log_level = LOG_LVL_WARN;
    /* What was sent: signed, path-style, the key encoded, the payload hashed. */
    const char *r = f.requests.data ? f.requests.data : "";
    CHECK(strstr(r, "PUT /b/k%20x HTTP/1.1\r\n") != NULL);
    CHECK(strstr(r, "Authorization: AWS4-HMAC-SHA256 Credential=AKFAKE/") != NULL);
    CHECK(strstr(r, "SignedHeaders=host;x-amz-content-sha256;x-amz-date,") != NULL);
    CHECK(strstr(r, "x-amz-content-sha256: "
                    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824") != NULL);
    CHECK(strstr(r, "fake-secret") == NULL && strstr(err, "fake-secret") == NULL);
    buf_release(&got);
    s3_client_free(c);
    fake_stop(&f);
    for (int i = 0; i < 7; i++)
        free(script_[i]);
}

static void test_cleanup(void)
{
    buf cmd = {0};
    buf_printf(&cmd, "rm -rf '%s'", work);
    CHECK_EQ_INT(system(cmd.data), 0);
    buf_release(&cmd);
}

static void test_setup(void)
{
    setup();
    log_level = LOG_LVL_WARN;
}

TEST_MAIN(TEST(test_setup), TEST(test_server_ready), TEST(test_put_get_head_delete),
          TEST(test_not_found), TEST(test_list_paging), TEST(test_multipart),
          TEST(test_wrong_secret), TEST(test_virtual_host), TEST(test_create_bucket),
          TEST(test_storage_s3), TEST(test_server_restart_during_writes),
          TEST(test_stalled_server_timeout), TEST(test_cancel), TEST(test_status_retries),
          TEST(test_cleanup))
