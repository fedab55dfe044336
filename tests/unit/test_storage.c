/* test_storage.c - storage.c: lake URLs, keys, and the local backend (atomic
 * puts, moves, gets, stat, delete, listings). The S3 backend is tested against
 * a real server by tests/s3/test_s3_live.c. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage.h"
#include "testlib.h"

static char tmpdir[] = "/tmp/ticklake-storage-XXXXXX";

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
    char err[256];
    if (write_file_atomic(path, text, strlen(text), err, sizeof(err)) != 0)
        fprintf(stderr, "  %s\n", err);
}

static storage *open_lake(const char *sub)
{
    buf url = {0};
    buf_printf(&url, "%s/%s", tmpdir, sub);
    storage *st = NULL;
    char err[256];
    if (storage_open(&st, url.data, NULL, err, sizeof(err)) != 0)
        fprintf(stderr, "  %s\n", err);
    buf_release(&url);
    return st;
}

static void test_keys_and_join(void)
{
    const char *good[] = {
        "a",         "a/b",         "trades/date=2024-01-01/trades+0+00000000000000000042.parquet",
        "a b/c+d=é", "..a/.b./...", ".tmp-x"};
    const char *bad[] = {"", "/a", "a/", "a//b", "./a", "a/.", "../a", "a/../b", "..", "."};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK(storage_key_valid(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (storage_key_valid(bad[i]))
            fprintf(stderr, "  accepted bad key '%s'\n", bad[i]);
        CHECK(!storage_key_valid(bad[i]));
    }
    CHECK(!storage_key_valid(NULL));
    struct {
        const char *a, *b, *want;
    } j[] = {{"a", "b", "a/b"}, {"a/", "/b", "a/b"}, {"", "b", "b"}, {"a", "", "a"},
             {"/", "b", "/b"},  {"//", "b", "/b"},   {"", "", ""},   {"lake//", "x/y", "lake/x/y"}};
    for (size_t i = 0; i < sizeof(j) / sizeof(j[0]); i++) {
        buf b = {0};
        storage_join(&b, j[i].a, j[i].b);
        CHECK_EQ_STR(b.data ? b.data : "", j[i].want);
        buf_release(&b);
    }
}

static void test_open_urls(void)
{
    char err[512];
    storage *st = NULL;
    buf url = {0};

    /* A plain path (created), trailing slashes dropped. */
    buf_printf(&url, "%s/plain/lake///", tmpdir);
    CHECK_EQ_INT(storage_open(&st, url.data, NULL, err, sizeof(err)), 0);
    CHECK(st && storage_kind(st) == STORAGE_LOCAL);
    buf want = {0};
    buf_printf(&want, "%s/plain/lake", tmpdir);
    CHECK_EQ_STR(storage_local_dir(st), want.data);
    CHECK_EQ_STR(storage_url(st), want.data);
    CHECK(exists(want.data));
    storage_free(st);

    /* file:// URLs, with %-escapes and localhost. */
    buf_reset(&url);
    buf_printf(&url, "file://%s/with%%20space", tmpdir);
    CHECK_EQ_INT(storage_open(&st, url.data, NULL, err, sizeof(err)), 0);
    buf_reset(&want);
    buf_printf(&want, "%s/with space", tmpdir);
    CHECK_EQ_STR(storage_local_dir(st), want.data);
    storage_free(st);
    buf_reset(&url);
    buf_printf(&url, "file://localhost%s/lh", tmpdir);
    CHECK_EQ_INT(storage_open(&st, url.data, NULL, err, sizeof(err)), 0);
    storage_free(st);

    /* A relative path stays relative. */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    CHECK_EQ_INT(chdir(tmpdir), 0);
    CHECK_EQ_INT(storage_open(&st, "./rel", NULL, err, sizeof(err)), 0);
    CHECK_EQ_STR(storage_local_dir(st), "./rel");
    CHECK_EQ_INT(storage_put_bytes(st, "k", "v", 1, err, sizeof(err)), 0);
    CHECK(exists("rel/k"));
    storage_free(st);
    CHECK_EQ_INT(chdir(cwd), 0);

    /* S3 URLs: nothing is sent on open; credentials come from the environment. */
    setenv("AWS_ACCESS_KEY_ID", "AKTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "sktest-never-printed", 1);
    storage_options o = {.s3_endpoint = "http://127.0.0.1:1", .s3_addressing = "path"};
    CHECK_EQ_INT(storage_open(&st, "s3://bucket/pre/fix/", &o, err, sizeof(err)), 0);
    CHECK(st && storage_kind(st) == STORAGE_S3);
    CHECK_EQ_STR(storage_url(st), "s3://bucket/pre/fix");
    CHECK(storage_local_dir(st) == NULL);
    buf d = {0};
    storage_describe(st, "t/x.parquet", &d);
    CHECK_EQ_STR(d.data, "s3://bucket/pre/fix/t/x.parquet");
    buf_reset(&d);
    CHECK_EQ_INT(storage_temp_path(st, "t/x.parquet", &d, err, sizeof(err)), 0);
    CHECK(strstr(d.data, "/.tmp-x.parquet.") != NULL);
    storage_free(st);
    CHECK_EQ_INT(storage_open(&st, "s3://bucket", &o, err, sizeof(err)), 0);
    CHECK_EQ_STR(storage_url(st), "s3://bucket");
    buf_reset(&d);
    storage_describe(st, "k", &d);
    CHECK_EQ_STR(d.data, "s3://bucket/k");
    storage_free(st);
    buf_release(&d);

    struct {
        const char *url, *want;
    } bad[] = {
        {"", "empty lake path"},
        {"s3://", "no bucket"},
        {"s3:///prefix", "no bucket"},
        {"s3://b/a//c", "bad prefix"},
        {"s3://b/../c", "bad prefix"},
        {"http://host/lake", "unsupported lake URL"},
        {"file://otherhost/x", "expected file:///absolute/path"},
        {"file:///a%2", "bad %-escape"},
        {"file:///a%00b", "bad %-escape"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        st = (storage *)1;
        err[0] = '\0';
        CHECK_EQ_INT(storage_open(&st, bad[i].url, &o, err, sizeof(err)), -1);
        CHECK(st == NULL);
        if (!strstr(err, bad[i].want))
            fprintf(stderr, "  '%s': got '%s'\n", bad[i].url, err);
        CHECK(strstr(err, bad[i].want) != NULL);
    }
    storage_options bada = {.s3_addressing = "sideways"};
    CHECK_EQ_INT(storage_open(&st, "s3://b", &bada, err, sizeof(err)), -1);
    CHECK(strstr(err, "bad S3 addressing 'sideways'"));
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CHECK_EQ_INT(storage_open(&st, "s3://b", &o, err, sizeof(err)), -1);
    CHECK(strstr(err, "AWS_SECRET_ACCESS_KEY is not"));
    unsetenv("AWS_ACCESS_KEY_ID");
    storage_free(NULL);
    buf_release(&url);
    buf_release(&want);
}

/* No temporary file is left anywhere under dir. */
static int count_temp_files(storage *st)
{
    storage_listing l;
    char err[256];
    int n = 0;
    if (storage_list(st, "", STORAGE_RECURSIVE, &l, err, sizeof(err)) != 0)
        return -1;
    for (size_t i = 0; i < l.n; i++)
        if (strstr(l.entries[i].key, ".tmp-"))
            n++;
    storage_list_release(&l);
    return n;
}

static void test_bytes_roundtrip(void)
{
    storage *st = open_lake("bytes");
    char err[512];
    buf b = {0};
    CHECK_EQ_INT(storage_put_bytes(st, "t/date=2024-01-01/a.parquet", "hello", 5, err, sizeof(err)),
                 0);
    CHECK_EQ_INT(storage_get_bytes(st, "t/date=2024-01-01/a.parquet", &b, err, sizeof(err)), 0);
    CHECK_EQ_INT(b.len, 5);
    CHECK_EQ_STR(b.data, "hello");
    /* Overwrite: the new bytes replace the old ones whole. */
    CHECK_EQ_INT(storage_put_bytes(st, "t/date=2024-01-01/a.parquet", "bye", 3, err, sizeof(err)),
                 0);
    buf_reset(&b);
    CHECK_EQ_INT(storage_get_bytes(st, "t/date=2024-01-01/a.parquet", &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "bye");
    /* Empty objects, binary bytes. */
    CHECK_EQ_INT(storage_put_bytes(st, "empty", "", 0, err, sizeof(err)), 0);
    buf_reset(&b);
    CHECK_EQ_INT(storage_get_bytes(st, "empty", &b, err, sizeof(err)), 0);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(storage_put_bytes(st, "bin", "a\0b", 3, err, sizeof(err)), 0);
    buf_reset(&b);
    CHECK_EQ_INT(storage_get_bytes(st, "bin", &b, err, sizeof(err)), 0);
    CHECK(b.len == 3 && memcmp(b.data, "a\0b", 3) == 0);

    storage_entry e;
    CHECK_EQ_INT(storage_stat(st, "t/date=2024-01-01/a.parquet", &e, err, sizeof(err)), 0);
    CHECK_EQ_STR(e.key, "t/date=2024-01-01/a.parquet");
    CHECK_EQ_INT(e.size, 3);
    CHECK(e.mtime_ns > 0 && !e.is_dir);
    storage_entry_release(&e);
    storage_entry_release(NULL);

    /* Missing objects. */
    buf_reset(&b);
    CHECK_EQ_INT(storage_get_bytes(st, "t/nope", &b, err, sizeof(err)), STORAGE_ENOENT);
    CHECK(strstr(err, "t/nope") != NULL);
    CHECK_EQ_INT(storage_stat(st, "t/nope", NULL, err, sizeof(err)), STORAGE_ENOENT);
    CHECK_EQ_INT(storage_stat(st, "t", NULL, err, sizeof(err)), STORAGE_ENOENT); /* a folder */
    CHECK_EQ_INT(storage_get_bytes(st, "empty/below", &b, err, sizeof(err)), STORAGE_ENOENT);

    /* Delete, twice. */
    CHECK_EQ_INT(storage_delete(st, "bin", err, sizeof(err)), 0);
    CHECK_EQ_INT(storage_stat(st, "bin", NULL, err, sizeof(err)), STORAGE_ENOENT);
    CHECK_EQ_INT(storage_delete(st, "bin", err, sizeof(err)), 0);

    /* Invalid keys are refused before touching anything. */
    CHECK_EQ_INT(storage_put_bytes(st, "../escape", "x", 1, err, sizeof(err)), -1);
    CHECK(strstr(err, "invalid lake key '../escape'"));
    CHECK(!exists("/tmp/escape") || 1);
    CHECK_EQ_INT(storage_get_bytes(st, "/abs", &b, err, sizeof(err)), -1);
    CHECK_EQ_INT(storage_delete(st, "a//b", err, sizeof(err)), -1);
    CHECK_EQ_INT(storage_stat(st, "", NULL, err, sizeof(err)), -1);

    /* A duplicate handle works on the same folder and outlives the original. */
    storage *dup = NULL;
    CHECK_EQ_INT(storage_dup(&dup, st, err, sizeof(err)), 0);
    CHECK_EQ_STR(storage_local_dir(dup), storage_local_dir(st));
    storage_free(st);
    st = dup;
    buf_reset(&b);
    CHECK_EQ_INT(storage_get_bytes(st, "t/date=2024-01-01/a.parquet", &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "bye");

    CHECK_EQ_INT(count_temp_files(st), 0);
    buf_release(&b);
    storage_free(st);
}

static void test_put_file(void)
{
    storage *st = open_lake("files");
    char err[512];
    buf src = {0}, b = {0}, tmp = {0};
    buf_printf(&src, "%s/source.bin", tmpdir);
    write_text(src.data, "file body");

    /* Copy: the source stays. */
    CHECK_EQ_INT(storage_put_file(st, "copy/x", src.data, 0, err, sizeof(err)), 0);
    CHECK(exists(src.data));
    CHECK_EQ_INT(storage_get_bytes(st, "copy/x", &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "file body");

    /* Move from another folder of the same file system: a rename. */
    CHECK_EQ_INT(storage_put_file(st, "moved/x", src.data, STORAGE_MOVE, err, sizeof(err)), 0);
    CHECK(!exists(src.data));
    buf_reset(&b);
    CHECK_EQ_INT(storage_get_bytes(st, "moved/x", &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "file body");

    /* The sink's way: write at storage_temp_path, then move into place. */
    CHECK_EQ_INT(storage_temp_path(st, "t/date=2024-01-02/f.parquet", &tmp, err, sizeof(err)), 0);
    CHECK(strstr(tmp.data, "/t/date=2024-01-02/.tmp-f.parquet.") != NULL);
    CHECK(!exists(tmp.data));
    write_text(tmp.data, "parquet bytes");
    CHECK_EQ_INT(count_temp_files(st), 1);
    CHECK_EQ_INT(storage_put_file(st, "t/date=2024-01-02/f.parquet", tmp.data, STORAGE_MOVE, err,
                                  sizeof(err)),
                 0);
    CHECK(!exists(tmp.data));
    CHECK_EQ_INT(count_temp_files(st), 0);
    buf t2 = {0};
    CHECK_EQ_INT(storage_temp_path(st, "t/date=2024-01-02/f.parquet", &t2, err, sizeof(err)), 0);
    CHECK(strcmp(t2.data, tmp.data) != 0); /* fresh every time */
    buf_release(&t2);

    /* Move across file systems (when /dev/shm is another one): copied, then removed. */
    struct stat a, s;
    if (stat("/dev/shm", &s) == 0 && stat(tmpdir, &a) == 0 && a.st_dev != s.st_dev) {
        char other[] = "/dev/shm/ticklake-storage-XXXXXX";
        int fd = mkstemp(other);
        CHECK(fd >= 0);
        if (fd >= 0) {
            CHECK(write(fd, "shm", 3) == 3);
            close(fd);
            CHECK_EQ_INT(storage_put_file(st, "xdev/y", other, STORAGE_MOVE, err, sizeof(err)), 0);
            CHECK(!exists(other));
            buf_reset(&b);
            CHECK_EQ_INT(storage_get_bytes(st, "xdev/y", &b, err, sizeof(err)), 0);
            CHECK_EQ_STR(b.data, "shm");
            unlink(other);
        }
    }

    /* A failed move loses nothing: a file is in the way of the key's folder. */
    buf_reset(&src);
    buf_printf(&src, "%s/precious.bin", tmpdir);
    write_text(src.data, "precious");
    CHECK_EQ_INT(storage_put_bytes(st, "blocker", "x", 1, err, sizeof(err)), 0);
    CHECK_EQ_INT(storage_put_file(st, "blocker/inside", src.data, STORAGE_MOVE, err, sizeof(err)),
                 -1);
    CHECK(exists(src.data));
    buf_reset(&b);
    CHECK_EQ_INT(read_file(src.data, &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "precious");
    /* A missing source is an error that names it. */
    CHECK_EQ_INT(storage_put_file(st, "k", "/nonexistent/src", 0, err, sizeof(err)), -1);
    CHECK(strstr(err, "/nonexistent/src") != NULL);

    /* get_file writes a local copy. */
    buf dst = {0};
    buf_printf(&dst, "%s/downloaded.parquet", tmpdir);
    CHECK_EQ_INT(storage_get_file(st, "t/date=2024-01-02/f.parquet", dst.data, err, sizeof(err)),
                 0);
    buf_reset(&b);
    CHECK_EQ_INT(read_file(dst.data, &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "parquet bytes");
    CHECK_EQ_INT(storage_get_file(st, "t/none", dst.data, err, sizeof(err)), STORAGE_ENOENT);
    CHECK_EQ_INT(storage_get_file(st, "t", dst.data, err, sizeof(err)), -1); /* a folder */

    buf_release(&src);
    buf_release(&dst);
    buf_release(&b);
    buf_release(&tmp);
    storage_free(st);
}

static void test_list(void)
{
    storage *st = open_lake("list");
    char err[512];
    const char *keys[] = {"trades/date=2024-01-02/b.parquet",
                          "trades/date=2024-01-01/a.parquet",
                          "trades/date=2024-01-01/c.parquet",
                          "bars_1s/date=2024-01-01/z.parquet",
                          "_catalog/catalog.json",
                          "top"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        CHECK_EQ_INT(storage_put_bytes(st, keys[i], keys[i], strlen(keys[i]), err, sizeof(err)), 0);

    storage_listing l;
    CHECK_EQ_INT(storage_list(st, "", 0, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 4);
    if (l.n == 4) {
        CHECK_EQ_STR(l.entries[0].key, "_catalog");
        CHECK(l.entries[0].is_dir);
        CHECK_EQ_STR(l.entries[1].key, "bars_1s");
        CHECK_EQ_STR(l.entries[2].key, "top");
        CHECK(!l.entries[2].is_dir);
        CHECK_EQ_INT(l.entries[2].size, 3);
        CHECK_EQ_STR(l.entries[3].key, "trades");
    }
    storage_list_release(&l);
    storage_list_release(NULL);

    CHECK_EQ_INT(storage_list(st, "trades", 0, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 2);
    if (l.n == 2) {
        CHECK_EQ_STR(l.entries[0].key, "trades/date=2024-01-01");
        CHECK(l.entries[0].is_dir);
    }
    storage_list_release(&l);

    CHECK_EQ_INT(storage_list(st, "trades", STORAGE_RECURSIVE, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 3);
    if (l.n == 3) {
        CHECK_EQ_STR(l.entries[0].key, "trades/date=2024-01-01/a.parquet");
        CHECK_EQ_STR(l.entries[1].key, "trades/date=2024-01-01/c.parquet");
        CHECK_EQ_STR(l.entries[2].key, "trades/date=2024-01-02/b.parquet");
        CHECK_EQ_INT(l.entries[2].size, (int64_t)strlen(keys[0]));
        CHECK(!l.entries[0].is_dir && l.entries[0].mtime_ns > 0);
    }
    storage_list_release(&l);

    CHECK_EQ_INT(storage_list(st, "", STORAGE_RECURSIVE, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 6);
    storage_list_release(&l);

    /* Missing folders, and a file, list as empty; bad folder keys fail. */
    CHECK_EQ_INT(storage_list(st, "nothing/here", 0, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 0);
    CHECK_EQ_INT(storage_list(st, "top", STORAGE_RECURSIVE, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.n, 0);
    CHECK_EQ_INT(storage_list(st, "../list", 0, &l, err, sizeof(err)), -1);
    CHECK(l.n == 0 && l.entries == NULL);
    CHECK_EQ_INT(storage_list(st, NULL, 0, &l, err, sizeof(err)), 0); /* NULL is the top */
    CHECK_EQ_INT(l.n, 4);
    storage_list_release(&l);

    /* An unreadable folder is an error that names it (root reads anything: skip then). */
    if (geteuid() != 0) {
        buf p = {0};
        buf_printf(&p, "%s/list/trades", tmpdir);
        chmod(p.data, 0);
        CHECK_EQ_INT(storage_list(st, "trades", 0, &l, err, sizeof(err)), -1);
        CHECK(strstr(err, "unable to list"));
        chmod(p.data, 0755);
        buf_release(&p);
    }
    storage_free(st);
}

static void setup(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* Temporary names carry their process (pid and a per-process token): the
 * cleanups of sink and compact remove those whose process is gone, an
 * earlier process with this pid included (PID 1 of a restarted container
 * once kept its predecessor's files forever). */
static void test_temp_owner(void)
{
    storage *st = open_lake("owner");
    buf tmp = {0};
    char err[256];
    CHECK_EQ_INT(storage_temp_path(st, "t/f.parquet", &tmp, err, sizeof(err)), 0);
    const char *name = strrchr(tmp.data, '/') + 1;
    CHECK(storage_temp_own(name));
    CHECK(!storage_temp_orphaned(name));
    char want[64];
    snprintf(want, sizeof(want), ".tmp-f.parquet.%ld-", (long)getpid());
    CHECK(strncmp(name, want, strlen(want)) == 0);

    /* This pid, another token or none: an earlier process's. */
    char other[128];
    snprintf(other, sizeof(other), ".tmp-f.parquet.%ld-0123456789abcdef.0.partial", (long)getpid());
    CHECK(!storage_temp_own(other));
    CHECK(storage_temp_orphaned(other));
    snprintf(other, sizeof(other), ".tmp-f.parquet.%ld.3.partial", (long)getpid());
    CHECK(!storage_temp_own(other));
    CHECK(storage_temp_orphaned(other));
    /* A live process's (init's), with a token or without: not orphaned. */
    CHECK(!storage_temp_orphaned(".tmp-~t+0+1-2.parquet.1-00ff.7.partial"));
    CHECK(!storage_temp_orphaned(".tmp-x.parquet.1.7.partial"));
    /* A process that has exited. */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    snprintf(other, sizeof(other), ".tmp-t+2+00000000000000000005.parquet.%ld-aa.1.partial",
             (long)child);
    CHECK(storage_temp_orphaned(other));
    /* Names it cannot read are nobody's to remove. */
    static const char *const odd[] = {
        "f.parquet",
        ".tmp-f.parquet",
        ".tmp-f.parquet.12.partial",
        ".tmp-.1.2.partial",
        ".tmp-f.parquet.x.1.partial",
        ".tmp-f.parquet.0-aa.1.partial",
        ".tmp-f.parquet.12-.1.partial",
        ".tmp-f.parquet.12z.1.partial",
        ".partial",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        CHECK(!storage_temp_own(odd[i]));
        CHECK(!storage_temp_orphaned(odd[i]));
    }
    buf_release(&tmp);
    storage_free(st);
}

static void test_cleanup(void)
{
    tl_rm_rf(tmpdir);
    CHECK(!exists(tmpdir));
}

static void test_setup(void)
{
    setup();
    CHECK(exists(tmpdir));
}

TEST_MAIN(TEST(test_setup), TEST(test_keys_and_join), TEST(test_open_urls),
          TEST(test_bytes_roundtrip), TEST(test_put_file), TEST(test_list), TEST(test_temp_owner),
          TEST(test_cleanup))
