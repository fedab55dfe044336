/* s3_creds.c - credentials, region, endpoint and addressing of the S3 client.
 * See s3_creds.h. */
#include "s3_creds.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s3_hash.h"
#include "s3_ini.h"
#include "s3_sigv4.h"

/* ------------------------------------------------------------------------
 * Credentials
 * ------------------------------------------------------------------------ */

const char *s3_env_get(s3_getenv_fn env, const char *name)
{
    const char *v = env ? env(name) : getenv(name);
    return v && *v ? v : NULL;
}

/* Reads and parses an INI file; a missing file gives an empty ini. */
static int ini_load(const char *path, s3_ini *ini, char *errstr, size_t errstr_size)
{
    memset(ini, 0, sizeof(*ini));
    buf b = {0};
    char err[512];
    if (read_file(path, &b, err, sizeof(err)) != 0) {
        int e = errno;
        s3_buf_release_secret(&b);
        struct stat st;
        if (stat(path, &st) != 0 && (e == ENOENT || errno == ENOENT))
            return 0;
        return set_err(errstr, errstr_size, "%s", err);
    }
    int rc = s3_ini_parse(b.data ? b.data : "", b.len, path, ini, errstr, errstr_size);
    s3_buf_release_secret(&b);
    return rc;
}

void s3_credentials_release(s3_credentials *c)
{
    if (!c)
        return;
    free(c->access_key);
    s3_free_secret(c->secret_key);
    s3_free_secret(c->session_token);
    free(c->region);
    free(c->endpoint);
    free(c->addressing);
    memset(c, 0, sizeof(*c));
}

int s3_credentials_load(s3_credentials *out, const char *profile, s3_getenv_fn env, char *errstr,
                        size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    int explicit_profile = profile != NULL;
    if (!profile)
        profile = s3_env_get(env, "AWS_PROFILE");
    int named = profile != NULL;
    if (!profile)
        profile = "default";

    buf cred_path = {0}, conf_path = {0};
    const char *home = s3_env_get(env, "HOME");
    const char *p = s3_env_get(env, "AWS_SHARED_CREDENTIALS_FILE");
    if (p)
        buf_puts(&cred_path, p);
    else if (home)
        buf_printf(&cred_path, "%s/.aws/credentials", home);
    p = s3_env_get(env, "AWS_CONFIG_FILE");
    if (p)
        buf_puts(&conf_path, p);
    else if (home)
        buf_printf(&conf_path, "%s/.aws/config", home);

    s3_ini cred = {0}, conf = {0};
    int rc = -1;
    if (cred_path.len && ini_load(cred_path.data, &cred, errstr, errstr_size) != 0)
        goto done;
    if (conf_path.len && ini_load(conf_path.data, &conf, errstr, errstr_size) != 0)
        goto done;

    buf conf_section = {0};
    if (strcmp(profile, "default") == 0 && !s3_ini_has_section(&conf, "profile default"))
        buf_puts(&conf_section, "default");
    else
        buf_printf(&conf_section, "profile %s", profile);
    int in_cred = s3_ini_has_section(&cred, profile);
    int in_conf = s3_ini_has_section(&conf, conf_section.data);

    const char *ak = s3_env_get(env, "AWS_ACCESS_KEY_ID");
    const char *sk = s3_env_get(env, "AWS_SECRET_ACCESS_KEY");
    if (!explicit_profile && (ak || sk)) {
        if (!ak || !sk) {
            set_err(errstr, errstr_size, "%s is set but %s is not",
                    ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
            buf_release(&conf_section);
            goto done;
        }
        out->access_key = xstrdup(ak);
        out->secret_key = xstrdup(sk);
        out->session_token = xstrdup(s3_env_get(env, "AWS_SESSION_TOKEN"));
        snprintf(out->source, sizeof(out->source), "the environment (AWS_ACCESS_KEY_ID)");
    } else {
        if (named && !in_cred && !in_conf) {
            set_err(errstr, errstr_size, "AWS profile '%s' not found in '%s' or '%s'", profile,
                    cred_path.len ? cred_path.data : "(no HOME)",
                    conf_path.len ? conf_path.data : "(no HOME)");
            buf_release(&conf_section);
            goto done;
        }
        const s3_ini *from = NULL;
        const char *sect = NULL, *path = NULL;
        if (s3_ini_get(&cred, profile, "aws_access_key_id")) {
            from = &cred;
            sect = profile;
            path = cred_path.data;
        } else if (s3_ini_get(&conf, conf_section.data, "aws_access_key_id")) {
            from = &conf;
            sect = conf_section.data;
            path = conf_path.data;
        }
        if (!from) {
            set_err(errstr, errstr_size,
                    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add "
                    "aws_access_key_id and aws_secret_access_key to profile '%s' in '%s'",
                    profile, cred_path.len ? cred_path.data : "~/.aws/credentials");
            buf_release(&conf_section);
            goto done;
        }
        const char *fsk = s3_ini_get(from, sect, "aws_secret_access_key");
        if (!fsk || !*fsk) {
            set_err(errstr, errstr_size,
                    "profile '%s' in '%s' has aws_access_key_id but no "
                    "aws_secret_access_key",
                    profile, path);
            buf_release(&conf_section);
            goto done;
        }
        out->access_key = xstrdup(s3_ini_get(from, sect, "aws_access_key_id"));
        out->secret_key = xstrdup(fsk);
        const char *tok = s3_ini_get(from, sect, "aws_session_token");
        out->session_token = tok && *tok ? xstrdup(tok) : NULL;
        snprintf(out->source, sizeof(out->source), "profile '%s' in '%s'", profile, path);
    }
    const char *region = s3_env_get(env, "AWS_REGION");
    if (!region)
        region = s3_env_get(env, "AWS_DEFAULT_REGION");
    if (!region)
        region = s3_ini_get(&conf, conf_section.data, "region");
    out->region = region && *region ? xstrdup(region) : NULL;
    const char *ep = s3_env_get(env, "AWS_ENDPOINT_URL_S3");
    if (!ep)
        ep = s3_env_get(env, "AWS_ENDPOINT_URL");
    if (!ep)
        ep = s3_ini_get(&conf, conf_section.data, "s3.endpoint_url");
    if (!ep)
        ep = s3_ini_get(&conf, conf_section.data, "endpoint_url");
    out->endpoint = ep && *ep ? xstrdup(ep) : NULL;
    const char *as = s3_ini_get(&conf, conf_section.data, "s3.addressing_style");
    out->addressing = as && *as ? xstrdup(as) : NULL;
    buf_release(&conf_section);
    rc = 0;
done:
    s3_ini_release(&cred);
    s3_ini_release(&conf);
    buf_release(&cred_path);
    buf_release(&conf_path);
    if (rc != 0)
        s3_credentials_release(out);
    return rc;
}

/* ------------------------------------------------------------------------
 * Endpoints and addressing
 * ------------------------------------------------------------------------ */

int s3_parse_addressing(const char *s, enum s3_addressing *out)
{
    if (!s || !*s || strcmp(s, "auto") == 0)
        *out = S3_ADDRESSING_AUTO;
    else if (strcmp(s, "path") == 0)
        *out = S3_ADDRESSING_PATH;
    else if (strcmp(s, "virtual") == 0)
        *out = S3_ADDRESSING_VIRTUAL;
    else
        return -1;
    return 0;
}

int s3_endpoint_parse(const char *url, const char *region, s3_endpoint *out, char *errstr,
                      size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    if (!url || !*url) {
        strcpy(out->scheme, "https");
        snprintf(out->authority, sizeof(out->authority), "s3.%s.amazonaws.com",
                 region && *region ? region : "us-east-1");
        out->is_aws = 1;
        return 0;
    }
    const char *rest;
    if (strncmp(url, "http://", 7) == 0) {
        strcpy(out->scheme, "http");
        rest = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        strcpy(out->scheme, "https");
        rest = url + 8;
    } else {
        return set_err(errstr, errstr_size,
                       "bad S3 endpoint '%s': expected http://host[:port] or https://host[:port]",
                       url);
    }
    size_t n = strcspn(rest, "/?#");
    if (rest[n] == '?' || rest[n] == '#' || (rest[n] == '/' && rest[n + 1] != '\0'))
        return set_err(errstr, errstr_size,
                       "bad S3 endpoint '%s': a path, query or fragment is not supported", url);
    if (n == 0 || n >= sizeof(out->authority) || memchr(rest, '@', n))
        return set_err(errstr, errstr_size, "bad S3 endpoint '%s': bad host", url);
    memcpy(out->authority, rest, n);
    out->authority[n] = '\0';
    const char *host = out->authority;
    size_t hostlen;
    if (host[0] == '[') {
        const char *rb = strchr(host, ']');
        if (!rb)
            return set_err(errstr, errstr_size, "bad S3 endpoint '%s': bad IPv6 host", url);
        hostlen = (size_t)(rb + 1 - host);
        out->is_ip = 1;
    } else {
        const char *colon = strchr(host, ':');
        hostlen = colon ? (size_t)(colon - host) : strlen(host);
        int ip = hostlen > 0;
        for (size_t i = 0; i < hostlen; i++)
            if (!(isdigit((unsigned char)host[i]) || host[i] == '.'))
                ip = 0;
        out->is_ip = ip;
    }
    const char *port = host + hostlen;
    if (*port) {
        if (*port != ':' || !port[1] || strspn(port + 1, "0123456789") != strlen(port + 1) ||
            strlen(port + 1) > 5)
            return set_err(errstr, errstr_size, "bad S3 endpoint '%s': bad port", url);
    }
    for (size_t i = 0; i < hostlen; i++) {
        unsigned char ch = (unsigned char)host[i];
        if (ch <= 0x20 || ch >= 0x7f)
            return set_err(errstr, errstr_size, "bad S3 endpoint '%s': bad host", url);
    }
    return 0;
}

/* A bucket name usable as a DNS label in a virtual host (no dots, so TLS
 * wildcard certificates match). */
static int bucket_dns_safe(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '-'))
            return 0;
    return b[0] != '-' && b[n - 1] != '-';
}

int s3_target(const s3_endpoint *ep, enum s3_addressing addressing, const char *bucket,
              const char *key, buf *base, buf *host, buf *path, char *errstr, size_t errstr_size)
{
    int virt;
    if (addressing == S3_ADDRESSING_AUTO)
        virt = ep->is_aws && bucket_dns_safe(bucket);
    else
        virt = addressing == S3_ADDRESSING_VIRTUAL;
    if (virt && ep->is_ip)
        return set_err(errstr, errstr_size,
                       "virtual-host addressing needs a host name, not the IP address in '%s'",
                       ep->authority);
    if (virt) {
        for (const char *q = bucket; *q; q++)
            if (!(isalnum((unsigned char)*q) || *q == '-' || *q == '.'))
                return set_err(errstr, errstr_size,
                               "bucket '%s' cannot be used with virtual-host addressing", bucket);
        buf_printf(host, "%s.%s", bucket, ep->authority);
        buf_putc(path, '/');
    } else {
        buf_puts(host, ep->authority);
        buf_putc(path, '/');
        s3_uri_encode(path, bucket, strlen(bucket), 0);
        if (key)
            buf_putc(path, '/');
    }
    if (key)
        s3_uri_encode(path, key, strlen(key), 1);
    buf_printf(base, "%s://%s", ep->scheme, host->data);
    return 0;
}
