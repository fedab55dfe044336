/* s3_creds_fetch.c - requests to STS and the metadata endpoints, and
 * credential_process runs; see s3_creds_fetch.h. */
#include "s3_creds_fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include <curl/curl.h>

#include "log.h"
#include "s3_curl.h"
#include "s3_hash.h"
#include "s3_xml.h"

#define MAX_ANSWER (1u << 20)

/* One request; body NULL for none. Returns 0 with *status, or -1 with errstr
 * when there was no HTTP answer. what names the endpoint in messages. */
static int http_do(s3_getenv_fn env, const char *method, const char *url, struct curl_slist *hdrs,
                   const char *body, long connect_ms, long total_ms, long *status, buf *out,
                   char *errstr, size_t errstr_size)
{
    if (s3_curl_global_init(errstr, errstr_size) != 0)
        return -1;
    CURL *h = curl_easy_init();
    if (!h)
        return set_err(errstr, errstr_size, "unable to start a request");
    char cerr[CURL_ERROR_SIZE] = "";
    buf_reset(out);
    s3_curl_body sink = {out, MAX_ANSWER};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* metadata endpoints are never proxied */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ticklake");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3_curl_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    if (hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    const char *ca = s3_env_get(env, "AWS_CA_BUNDLE");
    if (ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    CURLcode cc = curl_easy_perform(h);
    *status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK)
        return set_err(errstr, errstr_size, "%s %.*s: %s", method, (int)strcspn(url, "?"), url,
                       cerr[0] ? cerr : curl_easy_strerror(cc));
    return 0;
}

static struct curl_slist *add(struct curl_slist *l, const char *h)
{
    struct curl_slist *r = curl_slist_append(l, h);
    if (!r)
        abort();
    return r;
}

static void slist_free_wiped(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        s3_wipe(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

/* ------------------------------------------------------------------------
 * STS
 * ------------------------------------------------------------------------ */

void s3_creds_sts_endpoint(s3_getenv_fn env, const char *region, buf *out)
{
    const char *e = s3_env_get(env, "AWS_ENDPOINT_URL_STS");
    if (!e)
        e = s3_env_get(env, "AWS_ENDPOINT_URL");
    if (e) {
        size_t n = strlen(e);
        while (n > 0 && e[n - 1] == '/')
            n--;
        buf_append(out, e, n);
    } else {
        buf_printf(out, "https://sts.%s.amazonaws.com", region && *region ? region : "us-east-1");
    }
}

int s3_creds_sts_call(s3_getenv_fn env, const char *endpoint, const char *region,
                      const s3_kv *params, size_t nparams, const s3_credentials *signer,
                      s3_credentials *out, char *errstr, size_t errstr_size)
{
    buf body = {0}, answer = {0}, line = {0};
    for (size_t i = 0; i < nparams; i++) {
        if (i)
            buf_putc(&body, '&');
        s3_uri_encode(&body, params[i].name, strlen(params[i].name), 0);
        buf_putc(&body, '=');
        s3_uri_encode(&body, params[i].value, strlen(params[i].value), 0);
    }
    const char *hs = strstr(endpoint, "://");
    const char *host = hs ? hs + 3 : endpoint;
    char hostbuf[300];
    size_t hn = strcspn(host, "/");
    if (hn >= sizeof(hostbuf))
        hn = sizeof(hostbuf) - 1;
    memcpy(hostbuf, host, hn);
    hostbuf[hn] = '\0';
    struct curl_slist *hdrs =
        add(NULL, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
    hdrs = add(hdrs, "Accept:");
    if (signer) {
        char amz_date[S3_AMZ_DATE_SIZE], hash[S3_SHA256_HEX_SIZE];
        s3_amz_date(now_ns() / NS_PER_SEC, amz_date);
        s3_sha256_hex(body.data, body.len, hash);
        s3_kv h[4] = {{"host", hostbuf},
                      {"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
                      {"x-amz-date", amz_date}};
        size_t nh = 3;
        if (signer->session_token)
            h[nh++] = (s3_kv){"x-amz-security-token", signer->session_token};
        s3_sign_input in = {.method = "POST",
                            .canonical_uri = "/",
                            .headers = h,
                            .nheaders = nh,
                            .payload_hash = hash,
                            .amz_date = amz_date,
                            .region = region && *region ? region : "us-east-1",
                            .service = "sts",
                            .access_key = signer->access_key,
                            .secret_key = signer->secret_key};
        buf_printf(&line, "X-Amz-Date: %s", amz_date);
        hdrs = add(hdrs, line.data);
        if (signer->session_token) {
            buf_reset(&line);
            buf_printf(&line, "X-Amz-Security-Token: %s", signer->session_token);
            hdrs = add(hdrs, line.data);
        }
        buf_reset(&line);
        buf_puts(&line, "Authorization: ");
        s3_authorization(&line, &in);
        hdrs = add(hdrs, line.data);
    }
    long status = 0;
    char err[512];
    int rc = http_do(env, "POST", endpoint, hdrs, body.data ? body.data : "", 10000, 30000, &status,
                     &answer, err, sizeof(err));
    if (rc != 0) {
        set_err(errstr, errstr_size, "STS %s: %s", endpoint, err);
    } else {
        rc = s3_creds_parse_sts(answer.data ? answer.data : "", answer.len, out, err, sizeof(err));
        if (rc != 0 || status != 200) {
            if (rc == 0)
                snprintf(err, sizeof(err), "unexpected answer");
            set_err(errstr, errstr_size, "STS %s: HTTP %ld: %s", endpoint, status, err);
            rc = -1;
        }
    }
    slist_free_wiped(hdrs);
    s3_buf_release_secret(&line);
    s3_buf_release_secret(&body);
    s3_buf_release_secret(&answer);
    return rc;
}

/* ------------------------------------------------------------------------
 * credential_process
 * ------------------------------------------------------------------------ */

int s3_creds_run_process(const char *cmd, s3_credentials *out, char *errstr, size_t errstr_size)
{
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    if (!p)
        return set_err(errstr, errstr_size, "unable to run it: %s", strerror(errno));
    buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        if (b.len < MAX_ANSWER)
            buf_append(&b, chunk, n);
    s3_wipe(chunk, sizeof(chunk));
    int st = pclose(p);
    int rc;
    if (st == -1)
        rc = set_err(errstr, errstr_size, "unable to wait for it: %s", strerror(errno));
    else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        rc = set_err(errstr, errstr_size, "it %s %d",
                     WIFEXITED(st) ? "exited with status" : "was killed by signal",
                     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    else {
        char err[256];
        rc = s3_creds_parse_json(b.data ? b.data : "", b.len, 1, out, err, sizeof(err));
        if (rc != 0)
            set_err(errstr, errstr_size, "bad output: %s", err);
    }
    s3_buf_release_secret(&b);
    return rc;
}

/* ------------------------------------------------------------------------
 * The container endpoint (ECS, EKS Pod Identity)
 * ------------------------------------------------------------------------ */

int s3_creds_container(s3_getenv_fn env, s3_credentials *out, char *errstr, size_t errstr_size)
{
    buf url = {0}, tok = {0}, line = {0}, answer = {0};
    int rc = -1;
    char err[512];
    if (s3_creds_container_url(env, &url, errstr, errstr_size) != 0)
        goto done;
    const char *tf = s3_env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (tf) {
        if (read_file(tf, &tok, err, sizeof(err)) != 0) {
            set_err(errstr, errstr_size, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %s", err);
            goto done;
        }
        while (tok.len && (tok.data[tok.len - 1] == '\n' || tok.data[tok.len - 1] == '\r'))
            tok.data[--tok.len] = '\0';
    } else if (s3_env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
        buf_puts(&tok, s3_env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    }
    struct curl_slist *hdrs = add(NULL, "Accept: application/json");
    if (tok.len) {
        if (strpbrk(tok.data, "\r\n")) {
            curl_slist_free_all(hdrs);
            set_err(errstr, errstr_size, "the container authorization token holds a line break");
            goto done;
        }
        buf_printf(&line, "Authorization: %s", tok.data);
        hdrs = add(hdrs, line.data);
    }
    long status = 0;
    rc = http_do(env, "GET", url.data, hdrs, NULL, 2000, 5000, &status, &answer, err, sizeof(err));
    slist_free_wiped(hdrs);
    if (rc != 0) {
        set_err(errstr, errstr_size, "%s", err);
    } else if (status != 200) {
        set_err(errstr, errstr_size, "GET %.*s: HTTP %ld", (int)strcspn(url.data, "?"), url.data,
                status);
        rc = -1;
    } else if (s3_creds_parse_json(answer.data ? answer.data : "", answer.len, 0, out, err,
                                   sizeof(err)) != 0) {
        set_err(errstr, errstr_size, "GET %.*s: %s", (int)strcspn(url.data, "?"), url.data, err);
        rc = -1;
    }
done:
    buf_release(&url);
    s3_buf_release_secret(&tok);
    s3_buf_release_secret(&line);
    s3_buf_release_secret(&answer);
    return rc;
}

/* ------------------------------------------------------------------------
 * EC2 instance metadata, IMDSv2
 * ------------------------------------------------------------------------ */

int s3_creds_imds(s3_getenv_fn env, s3_credentials *out, char *errstr, size_t errstr_size)
{
    const char *ep = s3_env_get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!ep)
        ep = "http://169.254.169.254";
    size_t epn = strlen(ep);
    while (epn > 0 && ep[epn - 1] == '/')
        epn--;
    buf url = {0}, tok = {0}, line = {0}, answer = {0}, role = {0};
    char err[512], v1why[600] = "";
    long status = 0;
    int rc = -1;
    buf_printf(&url, "%.*s/latest/api/token", (int)epn, ep);
    struct curl_slist *hdrs = add(NULL, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
    int r = http_do(env, "PUT", url.data, hdrs, "", 1000, 2000, &status, &tok, err, sizeof(err));
    curl_slist_free_all(hdrs);
    hdrs = NULL;
    /* No token: IMDSv1 (no token header), as the SDKs fall back, when the
     * PUT was refused (403, 404, 405) or got no answer (a container behind
     * a hop limit of 1 never sees the token's reply), unless
     * AWS_EC2_METADATA_V1_DISABLED. A v1 failure then names both. */
    const char *v1off = s3_env_get(env, "AWS_EC2_METADATA_V1_DISABLED");
    if (r != 0 || status != 200) {
        if (r == 0)
            snprintf(err, sizeof(err), "PUT %s: HTTP %ld", url.data, status);
        if ((r == 0 && status != 403 && status != 404 && status != 405) ||
            (v1off && strcasecmp(v1off, "true") == 0)) {
            set_err(errstr, errstr_size, "no IMDSv2 token: %s", err);
            goto done;
        }
        snprintf(v1why, sizeof(v1why), " (IMDSv1: no IMDSv2 token: %s)", err);
        LOG_DEBUG("s3: instance metadata without a token%s", v1why);
    } else {
        buf_printf(&line, "X-aws-ec2-metadata-token: %.*s",
                   (int)strcspn(tok.data ? tok.data : "", "\r\n"), tok.data ? tok.data : "");
        hdrs = add(NULL, line.data);
    }
    buf_reset(&url);
    buf_printf(&url, "%.*s/latest/meta-data/iam/security-credentials/", (int)epn, ep);
    r = http_do(env, "GET", url.data, hdrs, NULL, 1000, 2000, &status, &role, err, sizeof(err));
    if (r != 0 || status != 200 || !role.len) {
        if (r == 0)
            snprintf(err, sizeof(err), "GET %s: HTTP %ld%s", url.data, status,
                     status == 404 ? " (no IAM role attached to the instance)" : "");
        set_err(errstr, errstr_size, "no instance role: %s%s", err, v1why);
        slist_free_wiped(hdrs);
        goto done;
    }
    size_t rn = strcspn(role.data, "\r\n");
    char rname[256];
    int bad = rn == 0 || rn >= sizeof(rname);
    for (size_t i = 0; i < rn && !bad; i++)
        bad = strchr("/?#% ", role.data[i]) != NULL;
    if (bad) {
        slist_free_wiped(hdrs);
        set_err(errstr, errstr_size, "GET %s: bad role name", url.data);
        goto done;
    }
    memcpy(rname, role.data, rn);
    rname[rn] = '\0';
    buf_puts(&url, rname);
    r = http_do(env, "GET", url.data, hdrs, NULL, 1000, 2000, &status, &answer, err, sizeof(err));
    slist_free_wiped(hdrs);
    if (r != 0 || status != 200) {
        if (r == 0)
            snprintf(err, sizeof(err), "GET %s: HTTP %ld", url.data, status);
        set_err(errstr, errstr_size, "%s%s", err, v1why);
        goto done;
    }
    if (s3_creds_parse_json(answer.data ? answer.data : "", answer.len, 0, out, err, sizeof(err)) !=
        0) {
        set_err(errstr, errstr_size, "GET %s: %s", url.data, err);
        goto done;
    }
    rc = 0;
done:
    buf_release(&url);
    buf_release(&role);
    s3_buf_release_secret(&tok);
    s3_buf_release_secret(&line);
    s3_buf_release_secret(&answer);
    return rc;
}
