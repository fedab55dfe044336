/* s3_creds.c - credentials, region, endpoint and addressing of the S3 client.
 * See s3_creds.h. */
#include "s3_creds.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s3_creds_fetch.h"
#include "s3_hash.h"
#include "s3_ini.h"
#include "s3_sigv4.h"

/* ------------------------------------------------------------------------
 * Credentials
 * ------------------------------------------------------------------------ */

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

/* What the chain needs while it resolves: the environment and the files. */
typedef struct chain {
    s3_getenv_fn env;
    s3_ini cred, conf;
    const char *cred_path, *conf_path;
    const char *region; /* for STS: the environment's or the profile's, else us-east-1 */
} chain;

static void section_of(const chain *ch, const char *profile, buf *out)
{
    buf_reset(out);
    if (strcmp(profile, "default") == 0 && !s3_ini_has_section(&ch->conf, "profile default"))
        buf_puts(out, "default");
    else
        buf_printf(out, "profile %s", profile);
}

/* Static keys of profile from ini's section sect (read from path). 1 found
 * (out filled), 0 none there, -1 with errstr. */
static int static_keys(const s3_ini *ini, const char *sect, const char *path, const char *profile,
                       s3_credentials *out, char *errstr, size_t errstr_size)
{
    const char *ak = s3_ini_get(ini, sect, "aws_access_key_id");
    if (!ak)
        return 0;
    const char *sk = s3_ini_get(ini, sect, "aws_secret_access_key");
    if (!sk || !*sk)
        return set_err(errstr, errstr_size,
                       "profile '%s' in '%s' has aws_access_key_id but no aws_secret_access_key",
                       profile, path);
    out->access_key = xstrdup(ak);
    out->secret_key = xstrdup(sk);
    const char *tok = s3_ini_get(ini, sect, "aws_session_token");
    out->session_token = tok && *tok ? xstrdup(tok) : NULL;
    snprintf(out->source, sizeof(out->source), "profile '%s' in '%s'", profile, path);
    return 1;
}

static void session_name(const chain *ch, const char *fromprofile, char *out, size_t n)
{
    const char *sn = fromprofile ? fromprofile : s3_env_get(ch->env, "AWS_ROLE_SESSION_NAME");
    if (sn)
        snprintf(out, n, "%s", sn);
    else
        snprintf(out, n, "ticklake-%lld", (long long)(now_ns() / NS_PER_SEC));
}

static int web_identity(chain *ch, const char *token_file, const char *role_arn, const char *sess,
                        s3_credentials *out, char *errstr, size_t errstr_size)
{
    buf tok = {0}, ep = {0};
    char err[512], name[128];
    if (read_file(token_file, &tok, err, sizeof(err)) != 0) {
        s3_buf_release_secret(&tok);
        return set_err(errstr, errstr_size, "web identity: unable to read the token file: %s", err);
    }
    while (tok.len && strchr("\r\n \t", tok.data[tok.len - 1]))
        tok.data[--tok.len] = '\0';
    session_name(ch, sess, name, sizeof(name));
    s3_kv params[] = {{"Action", "AssumeRoleWithWebIdentity"},
                      {"Version", "2011-06-15"},
                      {"RoleArn", role_arn},
                      {"RoleSessionName", name},
                      {"WebIdentityToken", tok.data ? tok.data : ""}};
    s3_creds_sts_endpoint(ch->env, ch->region, &ep);
    int rc =
        s3_creds_sts_call(ch->env, ep.data, ch->region, params, 5, NULL, out, err, sizeof(err));
    s3_buf_release_secret(&tok);
    buf_release(&ep);
    if (rc != 0)
        return set_err(errstr, errstr_size, "web identity (role '%s', token file '%s'): %s",
                       role_arn, token_file, err);
    snprintf(out->source, sizeof(out->source), "web identity (role '%s', token file '%s')",
             role_arn, token_file);
    return 0;
}

static int profile_creds(chain *ch, const char *profile, int depth, s3_credentials *out,
                         char *errstr, size_t errstr_size);

static int assume_role(chain *ch, const char *profile, const char *sect, int depth,
                       s3_credentials *out, char *errstr, size_t errstr_size)
{
    const char *arn = s3_ini_get(&ch->conf, sect, "role_arn");
    const char *sp = s3_ini_get(&ch->conf, sect, "source_profile");
    const char *cs = s3_ini_get(&ch->conf, sect, "credential_source");
    char err[768];
    if (depth > 4)
        return set_err(errstr, errstr_size,
                       "assume-role: profile '%s': source_profile chain too long (a loop?)",
                       profile);
    if (s3_ini_get(&ch->conf, sect, "mfa_serial"))
        return set_err(errstr, errstr_size,
                       "assume-role: profile '%s' needs an MFA code (mfa_serial), which ticklake "
                       "cannot ask for",
                       profile);
    if (sp && cs)
        return set_err(errstr, errstr_size,
                       "assume-role: profile '%s' has both source_profile and credential_source",
                       profile);
    s3_credentials src;
    memset(&src, 0, sizeof(src));
    int rc;
    if (sp && strcmp(sp, profile) == 0) {
        rc = static_keys(&ch->cred, profile, ch->cred_path, profile, &src, err, sizeof(err));
        if (rc == 0)
            rc = static_keys(&ch->conf, sect, ch->conf_path, profile, &src, err, sizeof(err));
        if (rc == 0)
            snprintf(err, sizeof(err), "profile '%s' is its own source_profile but has no keys",
                     profile);
        rc = rc == 1 ? 0 : -1;
    } else if (sp) {
        rc = profile_creds(ch, sp, depth + 1, &src, err, sizeof(err));
    } else if (cs && strcmp(cs, "Environment") == 0) {
        const char *ak = s3_env_get(ch->env, "AWS_ACCESS_KEY_ID");
        const char *sk = s3_env_get(ch->env, "AWS_SECRET_ACCESS_KEY");
        rc = ak && sk ? 0 : -1;
        if (rc == 0) {
            src.access_key = xstrdup(ak);
            src.secret_key = xstrdup(sk);
            src.session_token = xstrdup(s3_env_get(ch->env, "AWS_SESSION_TOKEN"));
        } else {
            snprintf(err, sizeof(err),
                     "credential_source Environment but no AWS_ACCESS_KEY_ID "
                     "and AWS_SECRET_ACCESS_KEY");
        }
    } else if (cs && strcmp(cs, "EcsContainer") == 0) {
        rc = s3_creds_container(ch->env, &src, err, sizeof(err));
    } else if (cs && strcmp(cs, "Ec2InstanceMetadata") == 0) {
        rc = s3_creds_imds(ch->env, &src, err, sizeof(err));
    } else {
        rc = -1;
        snprintf(err, sizeof(err), "%s",
                 cs ? "credential_source must be Environment, EcsContainer or Ec2InstanceMetadata"
                    : "role_arn needs source_profile or credential_source");
    }
    if (rc != 0) {
        s3_credentials_release(&src);
        return set_err(errstr, errstr_size, "assume-role: profile '%s': %s", profile, err);
    }
    char name[128];
    session_name(ch, s3_ini_get(&ch->conf, sect, "role_session_name"), name, sizeof(name));
    s3_kv params[6] = {{"Action", "AssumeRole"},
                       {"Version", "2011-06-15"},
                       {"RoleArn", arn},
                       {"RoleSessionName", name}};
    size_t np = 4;
    const char *ext = s3_ini_get(&ch->conf, sect, "external_id");
    if (ext)
        params[np++] = (s3_kv){"ExternalId", ext};
    const char *dur = s3_ini_get(&ch->conf, sect, "duration_seconds");
    if (dur) {
        if (strspn(dur, "0123456789") != strlen(dur) || !*dur) {
            s3_credentials_release(&src);
            return set_err(errstr, errstr_size,
                           "assume-role: profile '%s': bad duration_seconds '%s'", profile, dur);
        }
        params[np++] = (s3_kv){"DurationSeconds", dur};
    }
    buf ep = {0};
    s3_creds_sts_endpoint(ch->env, ch->region, &ep);
    rc = s3_creds_sts_call(ch->env, ep.data, ch->region, params, np, &src, out, err, sizeof(err));
    buf_release(&ep);
    s3_credentials_release(&src);
    if (rc != 0)
        return set_err(errstr, errstr_size, "assume-role: profile '%s' (role '%s'): %s", profile,
                       arn, err);
    snprintf(out->source, sizeof(out->source), "assume-role: profile '%s' (role '%s'%s%s)", profile,
             arn, sp ? ", source_profile " : "", sp ? sp : "");
    return 0;
}

static int process_creds(const char *cmd, const char *profile, const char *path,
                         s3_credentials *out, char *errstr, size_t errstr_size)
{
    char err[512];
    if (s3_creds_run_process(cmd, out, err, sizeof(err)) != 0)
        return set_err(errstr, errstr_size, "credential_process of profile '%s' in '%s': %s",
                       profile, path, err);
    snprintf(out->source, sizeof(out->source), "credential_process of profile '%s' in '%s'",
             profile, path);
    return 0;
}

/* The credentials of a source_profile: its role, unless it has keys; then
 * (or with neither) its keys in the credentials file, its process, its keys
 * in the config file. Keys end the chain even beside a role_arn, as in the
 * SDKs (botocore's AssumeRoleProvider; smithy-rs' "chained assume role
 * profiles with static credentials"). */
static int profile_creds(chain *ch, const char *profile, int depth, s3_credentials *out,
                         char *errstr, size_t errstr_size)
{
    buf sect = {0};
    section_of(ch, profile, &sect);
    int rc;
    int has_keys = s3_ini_get(&ch->cred, profile, "aws_access_key_id") ||
                   s3_ini_get(&ch->conf, sect.data, "aws_access_key_id");
    if (!s3_ini_has_section(&ch->cred, profile) && !s3_ini_has_section(&ch->conf, sect.data)) {
        rc = set_err(errstr, errstr_size, "source_profile '%s' not found", profile);
    } else if (!has_keys && s3_ini_get(&ch->conf, sect.data, "role_arn")) {
        const char *wf = s3_ini_get(&ch->conf, sect.data, "web_identity_token_file");
        rc = wf ? web_identity(ch, wf, s3_ini_get(&ch->conf, sect.data, "role_arn"),
                               s3_ini_get(&ch->conf, sect.data, "role_session_name"), out, errstr,
                               errstr_size)
                : assume_role(ch, profile, sect.data, depth, out, errstr, errstr_size);
    } else {
        rc = static_keys(&ch->cred, profile, ch->cred_path, profile, out, errstr, errstr_size);
        const char *proc = s3_ini_get(&ch->conf, sect.data, "credential_process");
        if (rc == 0 && proc)
            rc =
                process_creds(proc, profile, ch->conf_path, out, errstr, errstr_size) == 0 ? 1 : -1;
        if (rc == 0)
            rc =
                static_keys(&ch->conf, sect.data, ch->conf_path, profile, out, errstr, errstr_size);
        if (rc == 0)
            set_err(errstr, errstr_size, "source_profile '%s' has no credentials", profile);
        rc = rc == 1 ? 0 : -1;
    }
    buf_release(&sect);
    return rc;
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

    chain ch;
    memset(&ch, 0, sizeof(ch));
    ch.env = env;
    ch.cred_path = cred_path.len ? cred_path.data : "~/.aws/credentials";
    ch.conf_path = conf_path.len ? conf_path.data : "~/.aws/config";
    s3_ini *cred = &ch.cred, *conf = &ch.conf;
    buf conf_section = {0};
    int rc = -1;
    if (cred_path.len && ini_load(cred_path.data, cred, errstr, errstr_size) != 0)
        goto done;
    if (conf_path.len && ini_load(conf_path.data, conf, errstr, errstr_size) != 0)
        goto done;

    section_of(&ch, profile, &conf_section);
    int in_cred = s3_ini_has_section(cred, profile);
    int in_conf = s3_ini_has_section(conf, conf_section.data);
    ch.region = s3_env_get(env, "AWS_REGION");
    if (!ch.region)
        ch.region = s3_env_get(env, "AWS_DEFAULT_REGION");
    if (!ch.region)
        ch.region = s3_ini_get(conf, conf_section.data, "region");
    if (!ch.region || !*ch.region)
        ch.region = "us-east-1";

    enum s3_cred_source src =
        s3_creds_choose(env, explicit_profile, cred, conf, profile, conf_section.data);
    if (src != S3_CRED_ENV && named && !in_cred && !in_conf) {
        set_err(errstr, errstr_size, "AWS profile '%s' not found in '%s' or '%s'", profile,
                cred_path.len ? cred_path.data : "(no HOME)",
                conf_path.len ? conf_path.data : "(no HOME)");
        goto done;
    }
    char err[1024];
    switch (src) {
    case S3_CRED_ENV: {
        const char *ak = s3_env_get(env, "AWS_ACCESS_KEY_ID");
        const char *sk = s3_env_get(env, "AWS_SECRET_ACCESS_KEY");
        if (!ak || !sk) {
            set_err(errstr, errstr_size, "%s is set but %s is not",
                    ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
            goto done;
        }
        out->access_key = xstrdup(ak);
        out->secret_key = xstrdup(sk);
        out->session_token = xstrdup(s3_env_get(env, "AWS_SESSION_TOKEN"));
        snprintf(out->source, sizeof(out->source), "the environment (AWS_ACCESS_KEY_ID)");
        break;
    }
    case S3_CRED_ASSUME_ROLE:
        if (assume_role(&ch, profile, conf_section.data, 0, out, errstr, errstr_size) != 0)
            goto done;
        break;
    case S3_CRED_WEB_IDENTITY: {
        const char *arn = s3_ini_get(conf, conf_section.data, "role_arn");
        const char *wf = s3_ini_get(conf, conf_section.data, "web_identity_token_file");
        const char *sn = s3_ini_get(conf, conf_section.data, "role_session_name");
        if (!arn || !wf) {
            arn = s3_env_get(env, "AWS_ROLE_ARN");
            wf = s3_env_get(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
            sn = NULL;
        }
        if (web_identity(&ch, wf, arn, sn, out, errstr, errstr_size) != 0)
            goto done;
        break;
    }
    case S3_CRED_PROFILE_KEYS:
        if (static_keys(cred, profile, ch.cred_path, profile, out, errstr, errstr_size) == 0 &&
            static_keys(conf, conf_section.data, ch.conf_path, profile, out, errstr, errstr_size) ==
                0)
            set_err(errstr, errstr_size, "profile '%s': no keys", profile);
        if (!out->access_key)
            goto done;
        break;
    case S3_CRED_PROCESS:
        if (process_creds(s3_ini_get(conf, conf_section.data, "credential_process"), profile,
                          ch.conf_path, out, errstr, errstr_size) != 0)
            goto done;
        break;
    case S3_CRED_CONTAINER:
        if (s3_creds_container(env, out, err, sizeof(err)) != 0) {
            set_err(errstr, errstr_size, "container credentials: %s", err);
            goto done;
        }
        snprintf(out->source, sizeof(out->source), "container credentials (%s)",
                 s3_env_get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
                     ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                     : "AWS_CONTAINER_CREDENTIALS_FULL_URI");
        break;
    case S3_CRED_IMDS:
    case S3_CRED_NONE:
        if (src == S3_CRED_NONE)
            snprintf(err, sizeof(err), "instance metadata disabled by AWS_EC2_METADATA_DISABLED");
        if (src == S3_CRED_NONE || s3_creds_imds(env, out, err, sizeof(err)) != 0) {
            set_err(errstr, errstr_size,
                    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add "
                    "aws_access_key_id and aws_secret_access_key to profile '%s' in '%s' (tried "
                    "the environment, the shared files, web identity, the container endpoint and "
                    "EC2 instance metadata: %s)",
                    profile, ch.cred_path, err);
            goto done;
        }
        snprintf(out->source, sizeof(out->source), "EC2 instance metadata (IMDSv2)");
        break;
    }
    if (out->expires_s > 0)
        out->obtained_s = now_ns() / NS_PER_SEC;
    const char *region = s3_env_get(env, "AWS_REGION");
    if (!region)
        region = s3_env_get(env, "AWS_DEFAULT_REGION");
    if (!region)
        region = s3_ini_get(conf, conf_section.data, "region");
    out->region = region && *region ? xstrdup(region) : NULL;
    const char *ep = s3_env_get(env, "AWS_ENDPOINT_URL_S3");
    if (!ep)
        ep = s3_env_get(env, "AWS_ENDPOINT_URL");
    if (!ep)
        ep = s3_ini_get(conf, conf_section.data, "s3.endpoint_url");
    if (!ep)
        ep = s3_ini_get(conf, conf_section.data, "endpoint_url");
    out->endpoint = ep && *ep ? xstrdup(ep) : NULL;
    const char *as = s3_ini_get(conf, conf_section.data, "s3.addressing_style");
    out->addressing = as && *as ? xstrdup(as) : NULL;
    rc = 0;
done:
    buf_release(&conf_section);
    s3_ini_release(&ch.cred);
    s3_ini_release(&ch.conf);
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
