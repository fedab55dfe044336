/* http_get.c - a plain HTTP(S) GET over libcurl; see http_get.h. */
#include "http_get.h"

#include <string.h>

#include <curl/curl.h>

#include "s3_curl.h"

#define MAX_BODY (16u << 20)

int http_get(const char *url, const char *ca_file, int timeout_ms, long *status, buf *body,
             char *errstr, size_t errstr_size)
{
    int shown = (int)strcspn(url, "?");
    if (s3_curl_global_init(errstr, errstr_size) != 0)
        return -1;
    CURL *h = curl_easy_init();
    if (!h)
        return set_err(errstr, errstr_size, "%.*s: unable to start a request", shown, url);
    buf_reset(body);
    s3_curl_body sink = {body, MAX_BODY};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3_curl_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
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
