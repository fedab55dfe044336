/* s3_curl.c - libcurl's global initialisation and a body collector; see s3_curl.h. */
#include "s3_curl.h"

#include <pthread.h>

#include <curl/curl.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_OK;

static void init_once(void)
{
    init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int s3_curl_global_init(char *errstr, size_t errstr_size)
{
    pthread_once(&once, init_once);
    if (init_rc != CURLE_OK)
        return set_err(errstr, errstr_size, "curl_global_init failed: %s",
                       curl_easy_strerror(init_rc));
    return 0;
}

size_t s3_curl_collect(char *p, size_t size, size_t n, void *arg)
{
    s3_curl_body *body = arg;
    if (body->b->len + size * n > body->max)
        return 0;
    buf_append(body->b, p, size * n);
    return size * n;
}
