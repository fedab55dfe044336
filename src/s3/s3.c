/* s3.c - the S3 client: object operations over libcurl with retries,
 * ListObjectsV2 paging and multipart uploads. See s3.h for the contract. */
#include "s3.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "s3_curl.h"

#define ERR_BODY_MAX (64 * 1024)

/* ------------------------------------------------------------------------
 * The client
 * ------------------------------------------------------------------------ */

struct s3_client {
    CURL *curl;
    s3_endpoint ep;
    char endpoint_url[320];
    enum s3_addressing addressing;
    char *region;
    char *access_key;
    char *secret_key;
    char *session_token;
    char source[512];
    char *profile;       /* as configured, for refreshes; NULL: AWS_PROFILE / default */
    int refreshable;     /* the keys came from the chain (not the configuration) */
    int64_t expires_s;   /* temporary keys: when they expire (0: never) */
    int64_t obtained_s;  /* and when they were obtained */
    int64_t retry_s;     /* a refresh failed: none is tried before this (unless they expire) */
    uint64_t generation; /* counts the keys this client has had */
    char *ca_bundle;     /* AWS_CA_BUNDLE, or NULL */
    int64_t connect_timeout_ns, stall_timeout_ns, write_retry_ns, read_retry_ns;
    int64_t backoff_min_ns, backoff_max_ns, multipart_threshold, part_size;
    const atomic_int *cancel, *cancel_also;
    uint64_t rng;
    s3_stats stats;
    char curl_err[CURL_ERROR_SIZE];
};

void s3_config_init(s3_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->connect_timeout_ns = 10 * NS_PER_SEC;
    cfg->stall_timeout_ns = 30 * NS_PER_SEC;
    cfg->write_retry_ns = 300 * NS_PER_SEC;
    cfg->read_retry_ns = 60 * NS_PER_SEC;
    cfg->backoff_min_ns = 100 * 1000000LL;
    cfg->backoff_max_ns = 5 * NS_PER_SEC;
    cfg->multipart_threshold = 8 * S3_MIB;
    cfg->part_size = 8 * S3_MIB;
}

/* What each client has of its own: the retries' random numbers and a curl
 * handle (its connection). 0, or -1 with errstr. */
static int client_start(s3_client *c, char *errstr, size_t errstr_size)
{
    c->rng = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
    if (!c->rng)
        c->rng = 88172645463325252ULL;
    c->curl = curl_easy_init();
    if (!c->curl)
        return set_err(errstr, errstr_size, "s3: curl_easy_init failed");
    return 0;
}

s3_client *s3_client_new(const s3_config *cfg, char *errstr, size_t errstr_size)
{
    char cerr[256];
    if (s3_curl_global_init(cerr, sizeof(cerr)) != 0) {
        set_err(errstr, errstr_size, "s3: %s", cerr);
        return NULL;
    }
    if (cfg->part_size < S3_MIN_PART) {
        set_err(errstr, errstr_size, "s3: part size %" PRId64 " is below the minimum of 5 MiB",
                cfg->part_size);
        return NULL;
    }
    s3_credentials cr;
    memset(&cr, 0, sizeof(cr));
    if (cfg->access_key && cfg->secret_key) {
        cr.access_key = xstrdup(cfg->access_key);
        cr.secret_key = xstrdup(cfg->secret_key);
        cr.session_token = cfg->session_token ? xstrdup(cfg->session_token) : NULL;
        const char *r = s3_env_get(NULL, "AWS_REGION");
        cr.region = xstrdup(r ? r : s3_env_get(NULL, "AWS_DEFAULT_REGION"));
        const char *e = s3_env_get(NULL, "AWS_ENDPOINT_URL_S3");
        cr.endpoint = xstrdup(e ? e : s3_env_get(NULL, "AWS_ENDPOINT_URL"));
        snprintf(cr.source, sizeof(cr.source), "the configuration");
    } else if (s3_credentials_load(&cr, cfg->profile, NULL, errstr, errstr_size) != 0) {
        return NULL;
    }
    s3_client *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->access_key = cr.access_key;
    c->secret_key = cr.secret_key;
    c->session_token = cr.session_token;
    cr.access_key = cr.secret_key = cr.session_token = NULL;
    strlcpy_tl(c->source, cr.source, sizeof(c->source));
    c->refreshable = !(cfg->access_key && cfg->secret_key);
    c->profile = cfg->profile ? xstrdup(cfg->profile) : NULL;
    c->expires_s = cr.expires_s;
    c->obtained_s = cr.obtained_s;
    c->generation = 1;
    c->ca_bundle = xstrdup(s3_env_get(NULL, "AWS_CA_BUNDLE"));
    c->region =
        xstrdup(cfg->region && *cfg->region ? cfg->region : (cr.region ? cr.region : "us-east-1"));
    const char *endpoint = cfg->endpoint && *cfg->endpoint ? cfg->endpoint : cr.endpoint;
    c->addressing = cfg->addressing;
    if (c->addressing == S3_ADDRESSING_AUTO && cr.addressing &&
        s3_parse_addressing(cr.addressing, &c->addressing) != 0) {
        set_err(errstr, errstr_size,
                "s3: bad s3.addressing_style '%s' in %s (path, virtual or auto)", cr.addressing,
                cr.source);
        goto fail;
    }
    if (s3_endpoint_parse(endpoint, c->region, &c->ep, errstr, errstr_size) != 0)
        goto fail;
    snprintf(c->endpoint_url, sizeof(c->endpoint_url), "%s://%s", c->ep.scheme, c->ep.authority);
    c->connect_timeout_ns = cfg->connect_timeout_ns;
    c->stall_timeout_ns = cfg->stall_timeout_ns;
    c->write_retry_ns = cfg->write_retry_ns;
    c->read_retry_ns = cfg->read_retry_ns;
    c->backoff_min_ns = cfg->backoff_min_ns > 0 ? cfg->backoff_min_ns : 1000000;
    c->backoff_max_ns =
        cfg->backoff_max_ns > c->backoff_min_ns ? cfg->backoff_max_ns : c->backoff_min_ns;
    c->multipart_threshold = cfg->multipart_threshold;
    c->part_size = cfg->part_size;
    c->cancel = cfg->cancel;
    c->cancel_also = cfg->cancel_also;
    if (client_start(c, errstr, errstr_size) != 0)
        goto fail;
    s3_credentials_release(&cr);
    LOG_DEBUG("s3: endpoint %s, region %s, %s addressing, credentials from %s", c->endpoint_url,
              c->region,
              c->addressing == S3_ADDRESSING_PATH      ? "path"
              : c->addressing == S3_ADDRESSING_VIRTUAL ? "virtual"
                                                       : "auto",
              c->source);
    return c;
fail:
    s3_credentials_release(&cr);
    s3_client_free(c);
    return NULL;
}

void s3_client_free(s3_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->access_key);
    s3_free_secret(c->secret_key);
    s3_free_secret(c->session_token);
    free(c->region);
    free(c->profile);
    free(c->ca_bundle);
    s3_wipe(c, sizeof(*c));
    free(c);
}

const char *s3_client_endpoint(const s3_client *c)
{
    return c->endpoint_url;
}

const char *s3_client_region(const s3_client *c)
{
    return c->region;
}

#define REFRESH_RETRY_S 10 /* seconds between tries to refresh keys that are due */

/* Fetches new keys from the chain. force: even when the current ones are not
 * due. 0 (also when nothing was due), or -1 with errstr when the keys are
 * due and none could be had (the old ones are kept until they expire). */
static int refresh_keys(s3_client *c, int force, char *errstr, size_t errstr_size)
{
    int64_t now = now_ns() / NS_PER_SEC;
    if (!c->refreshable || (!force && !s3_creds_refresh_due(c->obtained_s, c->expires_s, now)))
        return 0;
    if (!force && now < c->retry_s)
        return 0; /* the last try failed moments ago: the current keys serve until then */
    if (force && c->expires_s == 0)
        return 0; /* static keys: nothing to refresh */
    s3_credentials cr;
    char err[1024];
    if (s3_credentials_load(&cr, c->profile, NULL, err, sizeof(err)) != 0) {
        if (now < c->expires_s) {
            /* Not again on every request (each could wait for a metadata
             * endpoint's timeout), nor later than the keys' expiry. */
            c->retry_s =
                now + REFRESH_RETRY_S < c->expires_s ? now + REFRESH_RETRY_S : c->expires_s;
            LOG_WARN("s3: refreshing the credentials from %s failed, the current ones expire in "
                     "%lld s: %s",
                     c->source, (long long)(c->expires_s - now), err);
            return 0;
        }
        return set_err(errstr, errstr_size,
                       "s3: the credentials from %s expired and refreshing them failed: %s",
                       c->source, err);
    }
    free(c->access_key);
    s3_free_secret(c->secret_key);
    s3_free_secret(c->session_token);
    c->access_key = cr.access_key;
    c->secret_key = cr.secret_key;
    c->session_token = cr.session_token;
    cr.access_key = cr.secret_key = cr.session_token = NULL;
    strlcpy_tl(c->source, cr.source, sizeof(c->source));
    c->expires_s = cr.expires_s;
    c->obtained_s = cr.obtained_s;
    c->retry_s = 0;
    c->generation++;
    LOG_INFO("s3: credentials refreshed from %s%s", c->source, c->expires_s ? "" : " (static)");
    if (c->expires_s)
        LOG_DEBUG("s3: they expire in %lld s", (long long)(c->expires_s - now));
    s3_credentials_release(&cr);
    return 0;
}

s3_client *s3_client_dup(s3_client *c, char *errstr, size_t errstr_size)
{
    if (refresh_keys(c, 0, errstr, errstr_size) != 0)
        return NULL;
    s3_client *d = calloc(1, sizeof(*d));
    if (!d)
        abort();
    *d = *c; /* settings, keys' times, cancel flags: then every owned field anew */
    d->region = xstrdup(c->region);
    d->access_key = xstrdup(c->access_key);
    d->secret_key = xstrdup(c->secret_key);
    d->session_token = xstrdup(c->session_token);
    d->profile = xstrdup(c->profile);
    d->ca_bundle = xstrdup(c->ca_bundle);
    memset(&d->stats, 0, sizeof(d->stats));
    d->curl = NULL;
    if (client_start(d, errstr, errstr_size) != 0) {
        s3_client_free(d);
        return NULL;
    }
    return d;
}

int s3_client_refresh(s3_client *c, char *errstr, size_t errstr_size)
{
    return refresh_keys(c, 0, errstr, errstr_size);
}

int s3_client_access(const s3_client *c, const char *bucket, s3_access *out, char *errstr,
                     size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    buf base = {0}, host = {0}, path = {0};
    int rc =
        s3_target(&c->ep, c->addressing, bucket, NULL, &base, &host, &path, errstr, errstr_size);
    int path_style = rc == 0 && strcmp(host.data, c->ep.authority) == 0;
    buf_release(&base);
    buf_release(&host);
    buf_release(&path);
    if (rc != 0)
        return -1;
    out->scheme = c->ep.scheme;
    out->authority = c->ep.authority;
    out->region = c->region;
    out->path_style = path_style;
    out->access_key = c->access_key;
    out->secret_key = c->secret_key;
    out->session_token = c->session_token && *c->session_token ? c->session_token : NULL;
    out->expires_s = c->expires_s;
    out->obtained_s = c->obtained_s;
    out->generation = c->generation;
    out->ca_file = c->ca_bundle;
    return 0;
}

void s3_client_stats(const s3_client *c, s3_stats *out)
{
    *out = c->stats;
}

/* A request body: memory, or a range of a file. */
typedef struct body {
    const char *data; /* memory, when fd < 0 */
    size_t len;
    int fd;
    int64_t off;
    int64_t flen;
    char sha256[S3_SHA256_HEX_SIZE];
} req_body;

static int64_t body_len(const req_body *b)
{
    return b->fd >= 0 ? b->flen : (int64_t)b->len;
}

typedef struct req {
    const char *method;
    const char *bucket;
    const char *key; /* NULL for a bucket request */
    s3_kv query[S3_MAX_QUERY];
    size_t nquery;
    const req_body *body; /* NULL: none */
    buf *out;             /* the response body on success, appended; NULL: discarded */
    int out_fd;           /* or written to this file when >= 0 */
    int64_t budget_ns;
    int embedded_error; /* a 200 may carry an <Error> (CompleteMultipartUpload) */
    const char *range;  /* GET: "first-last" bytes (Range: bytes=...); NULL: the whole object */
} req;

typedef struct resp {
    long status;
    CURLcode cc;
    int attempts;
    buf err; /* the body of a non-2xx response (capped) */
    s3_error_doc doc;
    int has_doc;
    char etag[256];
    char bucket_region[64];
    int64_t content_length;
    int64_t mtime_s;
} resp;

typedef struct xfer {
    s3_client *c;
    const req *r;
    resp *rs;
    int64_t pos; /* upload position */
    int status_known;
    int to_err;
    int local_errno;
    const char *local_what;
} xfer;

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    xfer *x = userdata;
    size_t n = size * nmemb;
    if (!x->status_known) {
        long code = 0;
        curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &code);
        x->to_err = code < 200 || code >= 300;
        x->status_known = 1;
    }
    x->c->stats.bytes_received += (int64_t)n;
    if (x->to_err) {
        if (x->rs->err.len < ERR_BODY_MAX)
            buf_append(&x->rs->err, ptr,
                       n < ERR_BODY_MAX - x->rs->err.len ? n : ERR_BODY_MAX - x->rs->err.len);
        return n;
    }
    if (x->r->out_fd >= 0) {
        size_t done = 0;
        while (done < n) {
            ssize_t w = write(x->r->out_fd, ptr + done, n - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                x->local_errno = w < 0 ? errno : EIO;
                x->local_what = "write the downloaded object";
                return 0;
            }
            done += (size_t)w;
        }
    } else if (x->r->out) {
        buf_append(x->r->out, ptr, n);
    }
    return n;
}

static size_t read_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
    xfer *x = userdata;
    const req_body *b = x->r->body;
    size_t want = size * nitems;
    int64_t left = body_len(b) - x->pos;
    if (left <= 0)
        return 0;
    if ((int64_t)want > left)
        want = (size_t)left;
    if (b->fd < 0) {
        memcpy(buffer, b->data + x->pos, want);
    } else {
        ssize_t r;
        do
            r = pread(b->fd, buffer, want, (off_t)(b->off + x->pos));
        while (r < 0 && errno == EINTR);
        if (r <= 0) {
            x->local_errno = r < 0 ? errno : EIO;
            x->local_what =
                r < 0 ? "read the file to upload" : "read the file to upload (it shrank)";
            return CURL_READFUNC_ABORT;
        }
        want = (size_t)r;
    }
    x->pos += (int64_t)want;
    x->c->stats.bytes_sent += (int64_t)want;
    return want;
}

static int seek_cb(void *userdata, curl_off_t offset, int origin)
{
    xfer *x = userdata;
    if (origin != SEEK_SET || offset < 0 || offset > body_len(x->r->body))
        return CURL_SEEKFUNC_CANTSEEK;
    x->pos = offset;
    return CURL_SEEKFUNC_OK;
}

/* Copies a header value (trimmed) if the line is "name: value". */
static int header_value(const char *line, size_t n, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return 0;
    const char *s = line + nl + 1, *e = line + n;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
        e--;
    s3_copy_printable(out, outsz, s, (size_t)(e - s));
    return 1;
}

static size_t header_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
    xfer *x = userdata;
    size_t n = size * nitems;
    if (n >= 5 && memcmp(buffer, "HTTP/", 5) == 0) {
        /* A new status line (after 100 Continue): forget the earlier headers. */
        x->rs->etag[0] = '\0';
        x->rs->bucket_region[0] = '\0';
        x->status_known = 0;
        return n;
    }
    if (!header_value(buffer, n, "etag", x->rs->etag, sizeof(x->rs->etag)))
        header_value(buffer, n, "x-amz-bucket-region", x->rs->bucket_region,
                     sizeof(x->rs->bucket_region));
    return n;
}

static void slist_free_wiped(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        s3_wipe(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

static struct curl_slist *slist_add(struct curl_slist *l, const char *h)
{
    struct curl_slist *r = curl_slist_append(l, h);
    if (!r)
        abort();
    return r;
}

/* One attempt: sign, send, receive. Fills rs; returns the curl code. */
static CURLcode send_once(s3_client *c, const req *r, const char *url, const char *host,
                          const char *path, resp *rs, xfer *x)
{
    char amz_date[S3_AMZ_DATE_SIZE];
    s3_amz_date(now_ns() / NS_PER_SEC, amz_date);
    s3_request sr = {.method = r->method,
                     .host = host,
                     .path = path,
                     .query = r->query,
                     .nquery = r->nquery,
                     .payload_hash = r->body ? r->body->sha256 : NULL,
                     .amz_date = amz_date,
                     .region = c->region,
                     .access_key = c->access_key,
                     .secret_key = c->secret_key,
                     .session_token = c->session_token};
    buf lines[S3_MAX_HEADERS] = {{0}};
    size_t nl = s3_request_headers(&sr, lines);
    struct curl_slist *sl = NULL;
    for (size_t i = 0; i < nl; i++) {
        sl = slist_add(sl, lines[i].data);
        s3_buf_release_secret(&lines[i]);
    }

    CURL *cu = c->curl;
    curl_easy_reset(cu);
    c->curl_err[0] = '\0';
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, c->curl_err);
    curl_easy_setopt(cu, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(cu, CURLOPT_TCP_KEEPALIVE, 1L);
    if (c->ca_bundle)
        curl_easy_setopt(cu, CURLOPT_CAINFO, c->ca_bundle);
    curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->connect_timeout_ns / 1000000));
    if (c->stall_timeout_ns > 0) {
        curl_easy_setopt(cu, CURLOPT_LOW_SPEED_LIMIT, 1L);
        long secs = (long)(c->stall_timeout_ns / NS_PER_SEC);
        curl_easy_setopt(cu, CURLOPT_LOW_SPEED_TIME, secs > 0 ? secs : 1L);
    }
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(cu, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(cu, CURLOPT_FILETIME, 1L);
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
    } else if (r->body) {
        curl_easy_setopt(cu, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(cu, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len(r->body));
        curl_easy_setopt(cu, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(cu, CURLOPT_READDATA, x);
        curl_easy_setopt(cu, CURLOPT_SEEKFUNCTION, seek_cb);
        curl_easy_setopt(cu, CURLOPT_SEEKDATA, x);
        if (strcmp(r->method, "PUT") != 0)
            curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, r->method);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (r->range)
        curl_easy_setopt(cu, CURLOPT_RANGE, r->range);
    c->stats.requests++;
    CURLcode cc = curl_easy_perform(cu);
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &rs->status);
    curl_off_t cl = -1, ft = -1;
    curl_easy_getinfo(cu, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    curl_easy_getinfo(cu, CURLINFO_FILETIME_T, &ft);
    rs->content_length = cl;
    rs->mtime_s = ft;
    slist_free_wiped(sl);
    return cc;
}

static int retryable_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_UPLOAD_FAILED:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_SEND_FAIL_REWIND:
        return 1;
    default:
        return 0;
    }
}

static int retryable_http(long status, const char *code)
{
    if (status >= 500 || status == 429 || status == 408)
        return 1;
    return strcmp(code, "SlowDown") == 0 || strcmp(code, "RequestTimeout") == 0 ||
           strcmp(code, "InternalError") == 0 || strcmp(code, "ServiceUnavailable") == 0 ||
           strcmp(code, "Throttling") == 0 || strcmp(code, "ThrottlingException") == 0;
}

static uint64_t rng_next(s3_client *c)
{
    uint64_t x = c->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c->rng = x;
    return x;
}

/* Exponential backoff with jitter: half the capped exponential step plus a
 * random part of the other half. */
static int64_t backoff_ns(s3_client *c, int attempt)
{
    int64_t cap = c->backoff_min_ns;
    for (int i = 1; i < attempt && cap < c->backoff_max_ns; i++)
        cap *= 2;
    if (cap > c->backoff_max_ns)
        cap = c->backoff_max_ns;
    int64_t half = cap / 2;
    return half + (int64_t)(rng_next(c) % (uint64_t)(half > 0 ? half : 1));
}

static int cancelled(const s3_client *c)
{
    return (c->cancel && atomic_load(c->cancel)) || (c->cancel_also && atomic_load(c->cancel_also));
}

/* "bucket 'b' key 'k'" or "bucket 'b'". */
static void subject(buf *s, const req *r)
{
    buf_printf(s, "bucket '%s'", r->bucket);
    if (r->key)
        buf_printf(s, " key '%s'", r->key);
}

static void status_detail(buf *d, const resp *rs)
{
    buf_printf(d, "%ld", rs->status);
    if (rs->has_doc && rs->doc.code[0]) {
        buf_printf(d, " %s", rs->doc.code);
        if (rs->doc.message[0])
            buf_printf(d, ": %s", rs->doc.message);
    } else if (rs->status == 403) {
        buf_puts(d, " Forbidden");
    } else if (rs->status == 404) {
        buf_puts(d, " Not Found");
    }
}

/* Builds the message for a failed HTTP response; returns -1 or S3_ENOENT. */
static int http_fail(s3_client *c, const req *r, const resp *rs, char *errstr, size_t errstr_size)
{
    buf s = {0}, d = {0};
    subject(&s, r);
    status_detail(&d, rs);
    const char *code = rs->has_doc ? rs->doc.code : "";
    const char *region = rs->bucket_region[0] ? rs->bucket_region : rs->doc.region;
    int rc = -1;
    if (region[0] && strcmp(region, c->region) != 0 &&
        (rs->status == 301 || rs->status == 307 ||
         strcmp(code, "AuthorizationHeaderMalformed") == 0 ||
         strcmp(code, "PermanentRedirect") == 0)) {
        set_err(errstr, errstr_size,
                "s3: bucket '%s' is in region '%s', not '%s': set the S3 region (AWS_REGION) (%s)",
                r->bucket, region, c->region, d.data);
    } else if (rs->status == 403) {
        set_err(errstr, errstr_size, "s3: access denied to %s (%s; credentials from %s)", s.data,
                d.data, c->source);
    } else if (rs->status == 404 && strcmp(code, "NoSuchBucket") == 0) {
        set_err(errstr, errstr_size, "s3: no such bucket '%s' (%s)", r->bucket, d.data);
        rc = S3_ENOENT;
    } else if (rs->status == 404 && strcmp(code, "NoSuchUpload") == 0) {
        set_err(errstr, errstr_size, "s3: the multipart upload to %s is gone (%s)", s.data, d.data);
    } else if (rs->status == 404 && r->key) {
        set_err(errstr, errstr_size, "s3: no such key '%s' in bucket '%s' (%s)", r->key, r->bucket,
                d.data);
        rc = S3_ENOENT;
    } else if (rs->status == 404) {
        set_err(errstr, errstr_size, "s3: no such bucket '%s' (%s)", r->bucket, d.data);
        rc = S3_ENOENT;
    } else {
        set_err(errstr, errstr_size, "s3: %s %s failed (%s)", r->method, s.data, d.data);
    }
    buf_release(&s);
    buf_release(&d);
    return rc;
}

/* Sends r, retrying as the header describes, until it succeeds, fails for
 * good, or its budget is spent. 0, S3_ENOENT or -1 with errstr; rs holds the
 * last response either way (release rs->err). */
static int do_request(s3_client *c, const req *r, resp *rs, char *errstr, size_t errstr_size)
{
    buf host = {0}, path = {0}, url = {0};
    int rc = -1;
    memset(rs, 0, sizeof(*rs));
    char terr[256];
    if (s3_request_url(&c->ep, c->addressing, r->bucket, r->key, r->query, r->nquery, &url, &host,
                       &path, terr, sizeof(terr)) != 0) {
        set_err(errstr, errstr_size, "s3: %s", terr);
        goto done;
    }
    size_t out_base = r->out ? r->out->len : 0;
    int64_t start = mono_ns();
    for (int attempt = 1;; attempt++) {
        buf_reset(&rs->err);
        rs->has_doc = 0;
        rs->status = 0;
        rs->attempts = attempt;
        if (r->out) {
            r->out->len = out_base;
            if (r->out->data)
                r->out->data[out_base] = '\0';
        }
        if (r->out_fd >= 0 &&
            (ftruncate(r->out_fd, 0) != 0 || lseek(r->out_fd, 0, SEEK_SET) != 0)) {
            set_err(errstr, errstr_size, "s3: unable to truncate the download file: %s",
                    strerror(errno));
            goto done;
        }
        if (refresh_keys(c, 0, errstr, errstr_size) != 0)
            goto done;
        xfer x = {.c = c, .r = r, .rs = rs};
        int64_t t0 = mono_ns();
        CURLcode cc = send_once(c, r, url.data, host.data, path.data, rs, &x);
        rs->cc = cc;
        LOG_DEBUG("s3: %s %s%s%s -> %ld%s%s (%.0f ms)", r->method, path.data, r->nquery ? "?" : "",
                  r->nquery ? strchr(url.data, '?') + 1 : "", rs->status, cc == CURLE_OK ? "" : " ",
                  cc == CURLE_OK ? "" : curl_easy_strerror(cc), (double)(mono_ns() - t0) / 1e6);
        buf why = {0};
        int retry;
        if (x.local_errno) {
            set_err(errstr, errstr_size, "s3: %s %s%s%s: unable to %s: %s", r->method, r->bucket,
                    r->key ? "/" : "", r->key ? r->key : "", x.local_what, strerror(x.local_errno));
            buf_release(&why);
            goto done;
        }
        if (cc != CURLE_OK) {
            retry = retryable_curl(cc);
            buf_printf(&why, "%s", c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
        } else {
            if (rs->err.len)
                rs->has_doc = s3_parse_error(rs->err.data, rs->err.len, &rs->doc) == 0;
            if (rs->status >= 200 && rs->status < 300 && r->embedded_error && r->out &&
                r->out->len > out_base &&
                s3_parse_error(r->out->data + out_base, r->out->len - out_base, &rs->doc) == 0) {
                rs->has_doc = 1;
                rs->status = 500; /* an error in a 200: treat as a server error */
            }
            if (rs->status >= 200 && rs->status < 300) {
                rc = 0;
                buf_release(&why);
                goto done;
            }
            retry = retryable_http(rs->status, rs->has_doc ? rs->doc.code : "");
            /* Keys that expired early (a clock off, a revoked session): fetch new ones. */
            if (!retry && rs->has_doc && c->expires_s &&
                (strcmp(rs->doc.code, "ExpiredToken") == 0 ||
                 strcmp(rs->doc.code, "TokenRefreshRequired") == 0) &&
                refresh_keys(c, 1, errstr, errstr_size) == 0 && attempt < 3)
                retry = 1;
            status_detail(&why, rs);
        }
        if (!retry) {
            if (cc != CURLE_OK) {
                buf s = {0};
                subject(&s, r);
                set_err(errstr, errstr_size, "s3: %s %s: %s (endpoint %s)", r->method, s.data,
                        why.data, c->endpoint_url);
                buf_release(&s);
            } else {
                rc = http_fail(c, r, rs, errstr, errstr_size);
            }
            buf_release(&why);
            goto done;
        }
        int64_t elapsed = mono_ns() - start;
        if (elapsed >= r->budget_ns || cancelled(c)) {
            buf s = {0};
            subject(&s, r);
            set_err(errstr, errstr_size,
                    "s3: %s %s: %s (%s after %d attempt%s in %.0f s; endpoint %s)", r->method,
                    s.data, why.data, cancelled(c) ? "cancelled" : "gave up", attempt,
                    attempt == 1 ? "" : "s", (double)elapsed / 1e9, c->endpoint_url);
            buf_release(&s);
            buf_release(&why);
            goto done;
        }
        int64_t wait = backoff_ns(c, attempt);
        if (wait > r->budget_ns - elapsed)
            wait = r->budget_ns - elapsed;
        LOG_WARN("s3: %s bucket '%s'%s%s%s: %s; retry %d in %.1f s", r->method, r->bucket,
                 r->key ? " key '" : "", r->key ? r->key : "", r->key ? "'" : "", why.data, attempt,
                 (double)wait / 1e9);
        buf_release(&why);
        int64_t until = mono_ns() + wait;
        while (!cancelled(c)) {
            int64_t left = until - mono_ns();
            if (left <= 0)
                break;
            sleep_ns(left < 100000000 ? left : 100000000);
        }
        c->stats.retries++;
    }
done:
    buf_release(&host);
    buf_release(&path);
    buf_release(&url);
    return rc;
}

static void resp_release(resp *rs)
{
    buf_release(&rs->err);
}

int s3_put(s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
           char *errstr, size_t errstr_size)
{
    if (s3_check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req_body b = {.data = len ? data : "", .len = len, .fd = -1};
    s3_sha256_hex(b.data, len, b.sha256);
    req r = {.method = "PUT",
             .bucket = bucket,
             .key = key,
             .body = &b,
             .out_fd = -1,
             .budget_ns = c->write_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    resp_release(&rs);
    return rc < 0 ? -1 : rc;
}

static void abort_upload(s3_client *c, const char *bucket, const char *key, const char *upload_id)
{
    req r = {.method = "DELETE",
             .bucket = bucket,
             .key = key,
             .out_fd = -1,
             .budget_ns = 10 * NS_PER_SEC};
    r.query[r.nquery++] = (s3_kv){"uploadId", upload_id};
    resp rs;
    char err[512];
    if (do_request(c, &r, &rs, err, sizeof(err)) != 0)
        LOG_WARN("s3: could not abort the multipart upload to bucket '%s' key '%s': %s", bucket,
                 key, err);
    resp_release(&rs);
}

/* One multipart upload of the whole file. Returns 0, -1, or 1 when the
 * upload vanished (NoSuchUpload): another writer aborted it. */
static int multipart_once(s3_client *c, const char *bucket, const char *key, int fd,
                          const char *path, int64_t size, int64_t part, int64_t deadline,
                          char *errstr, size_t errstr_size)
{
    buf out = {0}, id = {0}, complete = {0};
    char **etags = NULL;
    int64_t nparts = s3_part_count(size, part);
    int rc = -1;
    req_body empty = {.data = "", .len = 0, .fd = -1};
    strcpy(empty.sha256, S3_EMPTY_SHA256);
    req r = {
        .method = "POST", .bucket = bucket, .key = key, .body = &empty, .out = &out, .out_fd = -1};
    r.query[r.nquery++] = (s3_kv){"uploads", ""};
    r.budget_ns = deadline - mono_ns();
    resp rs;
    int q = do_request(c, &r, &rs, errstr, errstr_size);
    resp_release(&rs);
    if (q != 0)
        goto done;
    char err[256];
    if (s3_xml_find(out.data, out.len, "InitiateMultipartUploadResult/UploadId", &id, err,
                    sizeof(err)) != 1 ||
        id.len == 0) {
        set_err(errstr, errstr_size,
                "s3: no UploadId in the response to starting a multipart "
                "upload to bucket '%s' key '%s'",
                bucket, key);
        goto done;
    }
    LOG_DEBUG("s3: multipart upload of '%s' to bucket '%s' key '%s': %" PRId64 " parts", path,
              bucket, key, nparts);
    etags = calloc((size_t)nparts, sizeof(*etags));
    if (!etags)
        abort();
    for (int64_t i = 0; i < nparts; i++) {
        req_body b = {.fd = fd};
        s3_part_range(size, part, i, &b.off, &b.flen);
        if (s3_sha256_file_range(fd, b.off, b.flen, path, b.sha256, errstr, errstr_size) != 0)
            goto fail;
        char num[24];
        snprintf(num, sizeof(num), "%" PRId64, i + 1);
        req pr = {.method = "PUT", .bucket = bucket, .key = key, .body = &b, .out_fd = -1};
        pr.query[pr.nquery++] = (s3_kv){"partNumber", num};
        pr.query[pr.nquery++] = (s3_kv){"uploadId", id.data};
        pr.budget_ns = deadline - mono_ns();
        q = do_request(c, &pr, &rs, errstr, errstr_size);
        int gone = q != 0 && rs.has_doc && strcmp(rs.doc.code, "NoSuchUpload") == 0;
        if (q == 0 && !rs.etag[0])
            set_err(errstr, errstr_size, "s3: no ETag for part %s of bucket '%s' key '%s'", num,
                    bucket, key);
        resp_release(&rs);
        if (gone) {
            rc = 1;
            goto done;
        }
        if (q != 0 || !rs.etag[0])
            goto fail;
        etags[i] = xstrdup(rs.etag);
    }
    s3_complete_body(&complete, etags, nparts);
    req_body cb = {.data = complete.data, .len = complete.len, .fd = -1};
    s3_sha256_hex(cb.data, cb.len, cb.sha256);
    buf_reset(&out);
    req cr = {.method = "POST",
              .bucket = bucket,
              .key = key,
              .body = &cb,
              .out = &out,
              .out_fd = -1,
              .embedded_error = 1};
    cr.query[cr.nquery++] = (s3_kv){"uploadId", id.data};
    cr.budget_ns = deadline - mono_ns();
    q = do_request(c, &cr, &rs, errstr, errstr_size);
    int gone = q != 0 && rs.has_doc && strcmp(rs.doc.code, "NoSuchUpload") == 0;
    int retried = rs.attempts > 1;
    resp_release(&rs);
    if (q == 0) {
        rc = 0;
        goto done;
    }
    if (gone && retried) {
        /* An earlier attempt may have completed the upload and lost the
         * answer: the object is there with the right size. */
        s3_object o = {0};
        char herr[256];
        if (s3_head(c, bucket, key, &o, herr, sizeof(herr)) == 0 && o.size == size) {
            s3_object_release(&o);
            rc = 0;
            goto done;
        }
        s3_object_release(&o);
    }
    if (gone) {
        rc = 1;
        goto done;
    }
fail:
    abort_upload(c, bucket, key, id.data);
done:
    if (etags)
        for (int64_t i = 0; i < nparts; i++)
            free(etags[i]);
    free(etags);
    buf_release(&out);
    buf_release(&id);
    buf_release(&complete);
    return rc;
}

int s3_put_file(s3_client *c, const char *bucket, const char *key, const char *path, char *errstr,
                size_t errstr_size)
{
    if (s3_check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return set_err(errstr, errstr_size, "s3: unable to open '%s': %s", path, strerror(errno));
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        set_err(errstr, errstr_size, "s3: '%s' is not a regular file", path);
        goto done;
    }
    int64_t size = (int64_t)st.st_size;
    if (size <= c->multipart_threshold) {
        req_body b = {.fd = fd, .off = 0, .flen = size};
        if (s3_sha256_file_range(fd, 0, size, path, b.sha256, errstr, errstr_size) != 0)
            goto done;
        req r = {.method = "PUT",
                 .bucket = bucket,
                 .key = key,
                 .body = &b,
                 .out_fd = -1,
                 .budget_ns = c->write_retry_ns};
        resp rs;
        rc = do_request(c, &r, &rs, errstr, errstr_size) < 0 ? -1 : 0;
        resp_release(&rs);
        goto done;
    }
    int64_t part = s3_part_size(size, c->part_size);
    int64_t deadline = mono_ns() + c->write_retry_ns;
    rc = multipart_once(c, bucket, key, fd, path, size, part, deadline, errstr, errstr_size);
    if (rc == 1) {
        /* Someone aborted it: a sink that took this partition over cleans
         * up the uploads of its objects, and this one's late upload, started
         * again, would write over the new owner's file of the same name. */
        set_err(errstr, errstr_size,
                "s3: the multipart upload to bucket '%s' key '%s' was aborted by another "
                "writer (a sink that took the partition over?); not started again",
                bucket, key);
        rc = -1;
    }
done:
    close(fd);
    return rc;
}

int s3_get(s3_client *c, const char *bucket, const char *key, buf *out, char *errstr,
           size_t errstr_size)
{
    if (s3_check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req r = {.method = "GET",
             .bucket = bucket,
             .key = key,
             .out = out,
             .out_fd = -1,
             .budget_ns = c->read_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    resp_release(&rs);
    return rc;
}

int s3_get_range(s3_client *c, const char *bucket, const char *key, int64_t offset, int64_t len,
                 buf *out, char *errstr, size_t errstr_size)
{
    if (s3_check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    char range[S3_RANGE_SIZE];
    if (s3_range(offset, len, range) != 0)
        return set_err(errstr, errstr_size, "s3: bad range %" PRId64 "+%" PRId64 " of key '%s'",
                       offset, len, key);
    size_t base = out->len;
    req r = {.method = "GET",
             .bucket = bucket,
             .key = key,
             .out = out,
             .out_fd = -1,
             .budget_ns = c->read_retry_ns,
             .range = range};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    /* A server that ignores Range answers 200 with the whole object: keep
     * only the bytes asked for. */
    if (rc == 0 && rs.status == 200 && s3_range_of_whole(out, base, offset, len) != 0)
        rc = set_err(errstr, errstr_size,
                     "s3: bucket '%s' key '%s' is shorter than the range asked for", bucket, key);
    resp_release(&rs);
    return rc;
}

int s3_get_file(s3_client *c, const char *bucket, const char *key, const char *path, char *errstr,
                size_t errstr_size)
{
    if (s3_check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    buf tmp = {0};
    buf_printf(&tmp, "%s.tmp-XXXXXX", path);
    int fd = mkostemp(tmp.data, O_CLOEXEC);
    if (fd < 0) {
        set_err(errstr, errstr_size, "s3: unable to create '%s': %s", tmp.data, strerror(errno));
        buf_release(&tmp);
        return -1;
    }
    req r = {
        .method = "GET", .bucket = bucket, .key = key, .out_fd = fd, .budget_ns = c->read_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    resp_release(&rs);
    if (rc == 0 && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
        rc =
            set_err(errstr, errstr_size, "s3: unable to write '%s': %s", tmp.data, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc =
            set_err(errstr, errstr_size, "s3: unable to write '%s': %s", tmp.data, strerror(errno));
    if (rc == 0 && rename_durable(tmp.data, path, errstr, errstr_size) != 0)
        rc = -1;
    if (rc != 0)
        unlink(tmp.data);
    buf_release(&tmp);
    return rc;
}

int s3_head(s3_client *c, const char *bucket, const char *key, s3_object *out, char *errstr,
            size_t errstr_size)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (s3_check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req r = {.method = "HEAD",
             .bucket = bucket,
             .key = key,
             .out_fd = -1,
             .budget_ns = c->read_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    if (rc == 0 && out) {
        out->key = xstrdup(key);
        out->size = rs.content_length;
        out->mtime_ns = rs.mtime_s >= 0 ? rs.mtime_s * NS_PER_SEC : 0;
        out->etag = rs.etag[0] ? xstrdup(rs.etag) : NULL;
    }
    resp_release(&rs);
    return rc;
}

int s3_delete(s3_client *c, const char *bucket, const char *key, char *errstr, size_t errstr_size)
{
    if (s3_check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req r = {.method = "DELETE",
             .bucket = bucket,
             .key = key,
             .out_fd = -1,
             .budget_ns = c->write_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    if (rc == S3_ENOENT && rs.has_doc && strcmp(rs.doc.code, "NoSuchBucket") != 0)
        rc = 0; /* the key is already gone */
    resp_release(&rs);
    return rc == S3_ENOENT ? -1 : rc;
}

int s3_list(s3_client *c, const char *bucket, const s3_list_opts *opts, s3_listing *out,
            char *errstr, size_t errstr_size)
{
    if (s3_check_key(bucket, NULL, errstr, errstr_size) != 0)
        return -1;
    s3_list_opts none = {0};
    if (!opts)
        opts = &none;
    char maxk[24];
    char *token = NULL;
    int rc = 0;
    for (;;) {
        req r = {.method = "GET", .bucket = bucket, .out_fd = -1, .budget_ns = c->read_retry_ns};
        buf body = {0};
        r.out = &body;
        r.nquery =
            s3_list_query(r.query, opts->prefix, opts->delimiter, opts->max_keys, maxk, token);
        resp rs;
        rc = do_request(c, &r, &rs, errstr, errstr_size);
        resp_release(&rs);
        if (rc == 0) {
            char err[300];
            if (s3_parse_list(body.data ? body.data : "", body.len, out, err, sizeof(err)) != 0)
                rc = set_err(errstr, errstr_size, "s3: listing bucket '%s': %s", bucket, err);
        }
        buf_release(&body);
        if (rc != 0)
            break;
        out->pages++;
        if (!out->truncated)
            break;
        if (token && strcmp(token, out->next_token) == 0) {
            rc = set_err(errstr, errstr_size,
                         "s3: listing bucket '%s': the server repeated a continuation token",
                         bucket);
            break;
        }
        free(token);
        token = xstrdup(out->next_token);
    }
    free(token);
    return rc;
}

int s3_list_uploads(s3_client *c, const char *bucket, const char *prefix, s3_uploads *out,
                    char *errstr, size_t errstr_size)
{
    if (s3_check_key(bucket, NULL, errstr, errstr_size) != 0)
        return -1;
    char *km = NULL, *um = NULL;
    int rc = 0;
    for (int page = 0;; page++) {
        req r = {.method = "GET", .bucket = bucket, .out_fd = -1, .budget_ns = c->read_retry_ns};
        buf body = {0};
        r.out = &body;
        r.nquery = s3_uploads_query(r.query, prefix, km, um);
        resp rs;
        rc = do_request(c, &r, &rs, errstr, errstr_size);
        resp_release(&rs);
        if (rc == 0) {
            char err[300];
            if (s3_parse_uploads(body.data ? body.data : "", body.len, out, err, sizeof(err)) != 0)
                rc = set_err(errstr, errstr_size, "s3: listing uploads of bucket '%s': %s", bucket,
                             err);
        }
        buf_release(&body);
        if (rc != 0 || !out->truncated)
            break;
        if (page > 10000 ||
            (km && strcmp(km, out->next_key_marker) == 0 && um && out->next_upload_id_marker &&
             strcmp(um, out->next_upload_id_marker) == 0)) {
            rc =
                set_err(errstr, errstr_size,
                        "s3: listing uploads of bucket '%s': the server repeated a marker", bucket);
            break;
        }
        free(km);
        free(um);
        km = xstrdup(out->next_key_marker);
        um = out->next_upload_id_marker ? xstrdup(out->next_upload_id_marker) : NULL;
    }
    free(km);
    free(um);
    return rc < 0 ? -1 : rc;
}

int s3_abort_upload(s3_client *c, const char *bucket, const char *key, const char *upload_id,
                    char *errstr, size_t errstr_size)
{
    if (s3_check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req r = {.method = "DELETE",
             .bucket = bucket,
             .key = key,
             .out_fd = -1,
             .budget_ns = c->write_retry_ns};
    r.query[r.nquery++] = (s3_kv){"uploadId", upload_id};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    /* Gone already (completed or aborted by someone else): nothing to do. */
    if (rc != 0 && rs.has_doc && strcmp(rs.doc.code, "NoSuchUpload") == 0)
        rc = 0;
    resp_release(&rs);
    return rc < 0 ? -1 : rc;
}

int s3_create_bucket(s3_client *c, const char *bucket, char *errstr, size_t errstr_size)
{
    if (s3_check_key(bucket, NULL, errstr, errstr_size) != 0)
        return -1;
    buf cfg = {0};
    s3_create_bucket_body(&cfg, c->region);
    req_body b = {.data = cfg.data ? cfg.data : "", .len = cfg.len, .fd = -1};
    s3_sha256_hex(b.data, b.len, b.sha256);
    req r = {.method = "PUT",
             .bucket = bucket,
             .body = &b,
             .out_fd = -1,
             .budget_ns = c->write_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    if (rc != 0 && rs.status == 409 && rs.has_doc &&
        strcmp(rs.doc.code, "BucketAlreadyOwnedByYou") == 0)
        rc = 0;
    resp_release(&rs);
    buf_release(&cfg);
    return rc < 0 ? -1 : rc;
}
