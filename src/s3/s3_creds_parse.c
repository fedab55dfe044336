/* s3_creds_parse.c - the pure parts of the credential chain: which source
 * applies, when temporary keys are due for a refresh, and the answers of STS,
 * the metadata endpoints and credential_process. See s3_creds.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "s3_creds.h"
#include "s3_hash.h"
#include "s3_xml.h"

const char *s3_env_get(s3_getenv_fn env, const char *name)
{
    const char *v = env ? env(name) : getenv(name);
    return v && *v ? v : NULL;
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

const char *s3_cred_source_name(enum s3_cred_source s)
{
    switch (s) {
    case S3_CRED_ENV:
        return "environment";
    case S3_CRED_ASSUME_ROLE:
        return "assume-role";
    case S3_CRED_WEB_IDENTITY:
        return "web-identity";
    case S3_CRED_PROFILE_KEYS:
        return "shared-files";
    case S3_CRED_PROCESS:
        return "credential_process";
    case S3_CRED_CONTAINER:
        return "container";
    case S3_CRED_IMDS:
        return "instance-metadata";
    default:
        return "none";
    }
}

static int env_true(s3_getenv_fn env, const char *name)
{
    const char *v = s3_env_get(env, name);
    return v && strcasecmp(v, "true") == 0;
}

enum s3_cred_source s3_creds_choose(s3_getenv_fn env, int explicit_profile, const s3_ini *cred,
                                    const s3_ini *conf, const char *profile,
                                    const char *conf_section)
{
    if (!explicit_profile &&
        (s3_env_get(env, "AWS_ACCESS_KEY_ID") || s3_env_get(env, "AWS_SECRET_ACCESS_KEY")))
        return S3_CRED_ENV;
    if (s3_ini_get(conf, conf_section, "role_arn"))
        return s3_ini_get(conf, conf_section, "web_identity_token_file") ? S3_CRED_WEB_IDENTITY
                                                                         : S3_CRED_ASSUME_ROLE;
    if (s3_env_get(env, "AWS_WEB_IDENTITY_TOKEN_FILE") && s3_env_get(env, "AWS_ROLE_ARN"))
        return S3_CRED_WEB_IDENTITY;
    if (s3_ini_get(cred, profile, "aws_access_key_id"))
        return S3_CRED_PROFILE_KEYS;
    if (s3_ini_get(conf, conf_section, "credential_process"))
        return S3_CRED_PROCESS;
    if (s3_ini_get(conf, conf_section, "aws_access_key_id"))
        return S3_CRED_PROFILE_KEYS;
    if (s3_env_get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
        s3_env_get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
        return S3_CRED_CONTAINER;
    if (env_true(env, "AWS_EC2_METADATA_DISABLED"))
        return S3_CRED_NONE;
    return S3_CRED_IMDS;
}

int s3_creds_refresh_due(int64_t obtained_s, int64_t expires_s, int64_t now_s)
{
    if (expires_s <= 0)
        return 0;
    int64_t margin = 300;
    int64_t life = expires_s - obtained_s;
    if (obtained_s > 0 && life < 600)
        margin = life > 0 ? life / 2 : 0;
    return now_s >= expires_s - margin;
}

static void keys_release(s3_credentials *out)
{
    free(out->access_key);
    s3_free_secret(out->secret_key);
    s3_free_secret(out->session_token);
    out->access_key = out->secret_key = out->session_token = NULL;
    out->expires_s = 0;
}

static int parse_expiration(const char *s, int64_t *out)
{
    int64_t ns;
    if (s3_parse_iso8601(s, strlen(s), &ns) != 0)
        return -1;
    *out = ns / 1000000000LL;
    return 0;
}

int s3_creds_parse_sts(const char *xml, size_t len, s3_credentials *out, char *errstr,
                       size_t errstr_size)
{
    keys_release(out);
    char err[256];
    buf code = {0}, msg = {0};
    if (s3_xml_find(xml, len, "ErrorResponse/Error/Code", &code, err, sizeof(err)) == 1) {
        s3_xml_find(xml, len, "ErrorResponse/Error/Message", &msg, err, sizeof(err));
        char c[128], m[300];
        s3_copy_printable(c, sizeof(c), code.data, code.len);
        s3_copy_printable(m, sizeof(m), msg.data ? msg.data : "", msg.len);
        buf_release(&code);
        buf_release(&msg);
        return set_err(errstr, errstr_size, "STS error %s: %s", c, m);
    }
    buf_release(&code);
    static const char *const results[] = {
        "AssumeRoleResponse/AssumeRoleResult",
        "AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult"};
    int rc = -1;
    for (size_t i = 0; i < 2 && rc != 0; i++) {
        char path[128];
        buf ak = {0}, sk = {0}, tok = {0}, exp = {0};
        snprintf(path, sizeof(path), "%s/Credentials/AccessKeyId", results[i]);
        int f = s3_xml_find(xml, len, path, &ak, errstr, errstr_size);
        if (f < 0)
            return -1;
        if (f == 0) {
            buf_release(&ak);
            continue;
        }
        snprintf(path, sizeof(path), "%s/Credentials/SecretAccessKey", results[i]);
        s3_xml_find(xml, len, path, &sk, err, sizeof(err));
        snprintf(path, sizeof(path), "%s/Credentials/SessionToken", results[i]);
        s3_xml_find(xml, len, path, &tok, err, sizeof(err));
        snprintf(path, sizeof(path), "%s/Credentials/Expiration", results[i]);
        s3_xml_find(xml, len, path, &exp, err, sizeof(err));
        if (!ak.len || !sk.len || !tok.len) {
            set_err(errstr, errstr_size,
                    "STS answer lacks AccessKeyId, SecretAccessKey or SessionToken");
        } else if (!exp.len || parse_expiration(exp.data, &out->expires_s) != 0) {
            set_err(errstr, errstr_size, "STS answer has no valid Expiration");
        } else {
            out->access_key = xstrdup(ak.data);
            out->secret_key = xstrdup(sk.data);
            out->session_token = xstrdup(tok.data);
            rc = 0;
        }
        buf_release(&ak);
        s3_buf_release_secret(&sk);
        s3_buf_release_secret(&tok);
        buf_release(&exp);
        if (rc != 0)
            return -1;
    }
    if (rc != 0)
        return set_err(errstr, errstr_size, "STS answer holds no Credentials");
    return 0;
}

int s3_creds_parse_json(const char *json, size_t len, int process, s3_credentials *out,
                        char *errstr, size_t errstr_size)
{
    keys_release(out);
    char err[256];
    json_doc *d = json_parse(json, len, err, sizeof(err));
    if (!d)
        return set_err(errstr, errstr_size, "not JSON (%s)", err);
    const json_value *r = json_root(d);
    int rc = -1;
    if (r->type != JSON_OBJECT) {
        set_err(errstr, errstr_size, "not a JSON object");
        goto done;
    }
    if (process) {
        int64_t v = 0;
        if (json_get_int(r, "Version", &v) != 0 || v != 1) {
            set_err(errstr, errstr_size, "\"Version\" must be 1");
            goto done;
        }
    } else {
        const char *code = json_get_str(r, "Code");
        if (code && strcmp(code, "Success") != 0) {
            char c[128];
            s3_copy_printable(c, sizeof(c), code, strlen(code));
            set_err(errstr, errstr_size, "\"Code\" is \"%s\", not \"Success\"", c);
            goto done;
        }
    }
    const char *ak = json_get_str(r, "AccessKeyId");
    const char *sk = json_get_str(r, "SecretAccessKey");
    const char *tok = json_get_str(r, process ? "SessionToken" : "Token");
    const char *exp = json_get_str(r, "Expiration");
    if (!ak || !*ak || !sk || !*sk) {
        set_err(errstr, errstr_size, "no \"AccessKeyId\" or \"SecretAccessKey\"");
        goto done;
    }
    if (!process && (!tok || !*tok)) {
        set_err(errstr, errstr_size, "no \"Token\"");
        goto done;
    }
    if ((exp || !process) && (!exp || parse_expiration(exp, &out->expires_s) != 0)) {
        set_err(errstr, errstr_size,
                "no valid \"Expiration\" (ISO 8601, e.g. 2026-12-04T18:00:00Z)");
        goto done;
    }
    out->access_key = xstrdup(ak);
    out->secret_key = xstrdup(sk);
    out->session_token = tok && *tok ? xstrdup(tok) : NULL;
    rc = 0;
done:
    if (rc != 0)
        keys_release(out);
    json_doc_free(d);
    return rc;
}

/* The host of an http(s) URL's authority (without port or brackets) into h. */
static int url_host(const char *url, char *h, size_t hsz)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    p += 3;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (*p == '[') {
        const char *rb = memchr(p, ']', n);
        if (!rb)
            return -1;
        n = (size_t)(rb - p - 1);
        p++;
    } else {
        const char *colon = memchr(p, ':', n);
        if (colon)
            n = (size_t)(colon - p);
    }
    if (n == 0 || n >= hsz)
        return -1;
    memcpy(h, p, n);
    h[n] = '\0';
    return 0;
}

int s3_creds_container_url(s3_getenv_fn env, buf *out, char *errstr, size_t errstr_size)
{
    const char *rel = s3_env_get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    if (rel) {
        buf_printf(out, "http://169.254.170.2%s%s", rel[0] == '/' ? "" : "/", rel);
        return 0;
    }
    const char *full = s3_env_get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!full)
        return set_err(errstr, errstr_size,
                       "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                       "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
    char host[256];
    int https = strncmp(full, "https://", 8) == 0;
    if ((!https && strncmp(full, "http://", 7) != 0) || url_host(full, host, sizeof(host)) != 0)
        return set_err(errstr, errstr_size,
                       "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL");
    if (!https && strcmp(host, "localhost") != 0 && strncmp(host, "127.", 4) != 0 &&
        strcmp(host, "::1") != 0 && strcmp(host, "169.254.170.2") != 0 &&
        strcmp(host, "169.254.170.23") != 0 && strcasecmp(host, "fd00:ec2::23") != 0)
        return set_err(
            errstr, errstr_size,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI host '%s' is not allowed over http (only "
            "loopback, 169.254.170.2 and 169.254.170.23; else use https)",
            host);
    buf_puts(out, full);
    return 0;
}
