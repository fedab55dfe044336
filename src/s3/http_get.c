/* http_get.c - a plain HTTP(S) GET over libcurl; see http_get.h. */
#include "http_get.h"

#include <pthread.h>
#include <string.h>

#include <curl/curl.h>

#define MAX_BODY (16u << 20)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_OK;

static void init(void)
{
    init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    buf *b = arg;
    if (b->len + size * n > MAX_BODY)
        return 0;
    buf_append(b, p, size * n);
    return size * n;
}

int http_get(const char *url, const char *ca_file, int timeout_ms, long *status, buf *body,
             char *errstr, size_t errstr_size)
{
    pthread_once(&once, init);
    int shown = (int)strcspn(url, "?");
    if (init_rc != CURLE_OK)
        return set_err(errstr, errstr_size, "curl_global_init failed: %s",
                       curl_easy_strerror(init_rc));
    CURL *h = curl_easy_init();
    if (!h)
        return set_err(errstr, errstr_size, "%.*s: unable to start a request", shown, url);
    buf_reset(body);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ticklake");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    CURLcode rc = curl_easy_perform(h);
    int ret = 0;
    if (rc != CURLE_OK)
        ret = set_err(errstr, errstr_size, "%.*s: %s", shown, url, curl_easy_strerror(rc));
    else
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    return ret;
}
