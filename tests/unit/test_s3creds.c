/* test_s3creds.c - the AWS credential chain's pure parts: which source is
 * chosen, refresh timing, the STS / container / IMDS / credential_process
 * answers, the container URL rules; and the chain run through
 * s3_credentials_load with credential_process (no network). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3.h"
#include "testlib.h"
#include "fake_env.h"

static void ini(s3_ini *out, const char *text)
{
    char err[256];
    if (s3_ini_parse(text, strlen(text), "t", out, err, sizeof(err)) != 0)
        fprintf(stderr, "  %s\n", err);
}

static void test_choose(void)
{
    s3_ini cred, conf;
    ini(&cred, "[default]\naws_access_key_id = A\naws_secret_access_key = S\n[p2]\n");
    ini(&conf, "[default]\nregion = us-west-2\n"
               "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n"
               "[profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = /t\n"
               "[profile proc]\ncredential_process = /bin/creds\n"
               "[profile cfgkeys]\naws_access_key_id = B\naws_secret_access_key = T\n"
               "[profile p2]\ncredential_process = /bin/p2\n"
               "[profile empty]\nregion = x\n");
    env_clear();
    /* Files: keys, role, web identity in the profile, process, config keys. */
    CHECK_EQ_INT(s3_creds_choose(env_fn, 0, &cred, &conf, "default", "default"),
                 S3_CRED_PROFILE_KEYS);
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "role", "profile role"),
                 S3_CRED_ASSUME_ROLE);
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "web", "profile web"),
                 S3_CRED_WEB_IDENTITY);
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "proc", "profile proc"), S3_CRED_PROCESS);
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "cfgkeys", "profile cfgkeys"),
                 S3_CRED_PROFILE_KEYS);
    /* Keys in the credentials file beat the config's credential_process (botocore's order). */
    s3_ini_release(&cred);
    ini(&cred, "[p2]\naws_access_key_id = C\naws_secret_access_key = U\n");
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "p2", "profile p2"),
                 S3_CRED_PROFILE_KEYS);
    /* Nothing in the profile: the container, then IMDS, unless disabled. */
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "empty", "profile empty"), S3_CRED_IMDS);
    env_set("AWS_EC2_METADATA_DISABLED", "TRUE");
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "empty", "profile empty"), S3_CRED_NONE);
    env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds");
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "empty", "profile empty"),
                 S3_CRED_CONTAINER);
    /* Web identity from the environment needs both variables; it beats the files' keys. */
    env_set("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token");
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "p2", "profile p2"),
                 S3_CRED_PROFILE_KEYS);
    env_set("AWS_ROLE_ARN", "arn:aws:iam::1:role/eks");
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "p2", "profile p2"),
                 S3_CRED_WEB_IDENTITY);
    /* ... but not a profile's own role. */
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "role", "profile role"),
                 S3_CRED_ASSUME_ROLE);
    /* Environment keys beat everything, unless a profile was passed explicitly. */
    env_set("AWS_ACCESS_KEY_ID", "AKENV");
    CHECK_EQ_INT(s3_creds_choose(env_fn, 0, &cred, &conf, "role", "profile role"), S3_CRED_ENV);
    CHECK_EQ_INT(s3_creds_choose(env_fn, 1, &cred, &conf, "role", "profile role"),
                 S3_CRED_ASSUME_ROLE);
    CHECK_EQ_STR(s3_cred_source_name(S3_CRED_IMDS), "instance-metadata");
    s3_ini_release(&cred);
    s3_ini_release(&conf);
}

static void test_refresh_due(void)
{
    /* Static keys never. */
    CHECK_EQ_INT(s3_creds_refresh_due(0, 0, 1 << 30), 0);
    /* An hour's keys: five minutes before they expire. */
    CHECK_EQ_INT(s3_creds_refresh_due(1000, 4600, 4299), 0);
    CHECK_EQ_INT(s3_creds_refresh_due(1000, 4600, 4300), 1);
    CHECK_EQ_INT(s3_creds_refresh_due(1000, 4600, 9000), 1);
    /* Short-lived keys (under ten minutes): after half their life. */
    CHECK_EQ_INT(s3_creds_refresh_due(1000, 1020, 1009), 0);
    CHECK_EQ_INT(s3_creds_refresh_due(1000, 1020, 1010), 1);
    /* Unknown start (obtained 0): the five minutes. */
    CHECK_EQ_INT(s3_creds_refresh_due(0, 1000, 699), 0);
    CHECK_EQ_INT(s3_creds_refresh_due(0, 1000, 700), 1);
    /* Already expired when obtained: due at once. */
    CHECK_EQ_INT(s3_creds_refresh_due(1000, 990, 1000), 1);
}

static const char STS_OK[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n"
    "    <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIATEMP</AccessKeyId>\n"
    "      <SecretAccessKey>tempsecret/+=</SecretAccessKey>\n"
    "      <SessionToken>tok&amp;en</SessionToken>\n"
    "      <Expiration>2026-12-04T18:00:00Z</Expiration>\n"
    "    </Credentials>\n"
    "  </AssumeRoleResult>\n"
    "</AssumeRoleResponse>\n";

static void test_parse_sts(void)
{
    s3_credentials c;
    memset(&c, 0, sizeof(c));
    char err[512];
    CHECK_EQ_INT(s3_creds_parse_sts(STS_OK, strlen(STS_OK), &c, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "ASIATEMP");
    CHECK_EQ_STR(c.secret_key, "tempsecret/+=");
    CHECK_EQ_STR(c.session_token, "tok&en");
    CHECK(c.expires_s == 1796407200LL); /* 2026-12-04T18:00:00Z */
    s3_credentials_release(&c);

    const char *web = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                      "<Credentials><AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>s"
                      "</SecretAccessKey><SessionToken>t</SessionToken><Expiration>"
                      "2026-12-04T18:00:00.000Z</Expiration></Credentials>"
                      "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
    CHECK_EQ_INT(s3_creds_parse_sts(web, strlen(web), &c, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "ASIAWEB");
    CHECK(c.expires_s == 1796407200LL);
    s3_credentials_release(&c);

    const char *e = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                    "<Message>Not authorized to perform sts:AssumeRole</Message></Error>"
                    "</ErrorResponse>";
    CHECK_EQ_INT(s3_creds_parse_sts(e, strlen(e), &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "STS error AccessDenied: Not authorized to perform sts:AssumeRole");
    CHECK(c.access_key == NULL);

    /* No expiration, no token, no credentials, not XML: errors without secrets. */
    const char *noexp = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A"
                        "</AccessKeyId><SecretAccessKey>hush</SecretAccessKey><SessionToken>t"
                        "</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>";
    CHECK_EQ_INT(s3_creds_parse_sts(noexp, strlen(noexp), &c, err, sizeof(err)), -1);
    CHECK(strstr(err, "Expiration") && !strstr(err, "hush"));
    CHECK(c.access_key == NULL && c.secret_key == NULL);
    const char *notok = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A"
                        "</AccessKeyId><SecretAccessKey>hush</SecretAccessKey>"
                        "</Credentials></AssumeRoleResult></AssumeRoleResponse>";
    CHECK_EQ_INT(s3_creds_parse_sts(notok, strlen(notok), &c, err, sizeof(err)), -1);
    CHECK(strstr(err, "SessionToken") && !strstr(err, "hush"));
    const char *none = "<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>";
    CHECK_EQ_INT(s3_creds_parse_sts(none, strlen(none), &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "STS answer holds no Credentials");
    CHECK_EQ_INT(s3_creds_parse_sts("<a>", 3, &c, err, sizeof(err)), -1);
}

static void test_parse_json(void)
{
    s3_credentials c;
    memset(&c, 0, sizeof(c));
    char err[512];
    const char *proc = "{\"Version\": 1, \"AccessKeyId\": \"AKP\", \"SecretAccessKey\": \"sp\", "
                       "\"SessionToken\": \"tp\", \"Expiration\": \"2026-12-04T18:00:00Z\"}";
    CHECK_EQ_INT(s3_creds_parse_json(proc, strlen(proc), 1, &c, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "AKP");
    CHECK_EQ_STR(c.session_token, "tp");
    CHECK(c.expires_s == 1796407200LL);
    s3_credentials_release(&c);
    /* credential_process: no Expiration means static; no token is fine; Version must be 1. */
    const char *stat = "{\"Version\":1,\"AccessKeyId\":\"AKP\",\"SecretAccessKey\":\"sp\"}";
    CHECK_EQ_INT(s3_creds_parse_json(stat, strlen(stat), 1, &c, err, sizeof(err)), 0);
    CHECK(c.expires_s == 0 && c.session_token == NULL);
    s3_credentials_release(&c);
    const char *v2 = "{\"Version\":2,\"AccessKeyId\":\"AKP\",\"SecretAccessKey\":\"hush\"}";
    CHECK_EQ_INT(s3_creds_parse_json(v2, strlen(v2), 1, &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "\"Version\" must be 1");
    const char *badexp = "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"hush\","
                         "\"Expiration\":\"tomorrow\"}";
    CHECK_EQ_INT(s3_creds_parse_json(badexp, strlen(badexp), 1, &c, err, sizeof(err)), -1);
    CHECK(strstr(err, "Expiration") && !strstr(err, "hush"));
    CHECK(c.access_key == NULL);

    /* The container endpoint and IMDS: Token and Expiration required, Code Success. */
    const char *imds = "{\"Code\":\"Success\",\"LastUpdated\":\"2026-12-04T17:00:00Z\","
                       "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAI\",\"SecretAccessKey\":\"si\","
                       "\"Token\":\"ti\",\"Expiration\":\"2026-12-04T18:00:00Z\"}";
    CHECK_EQ_INT(s3_creds_parse_json(imds, strlen(imds), 0, &c, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "ASIAI");
    CHECK_EQ_STR(c.session_token, "ti");
    CHECK(c.expires_s == 1796407200LL);
    s3_credentials_release(&c);
    const char *fail = "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"AccessKeyId\":\"A\"}";
    CHECK_EQ_INT(s3_creds_parse_json(fail, strlen(fail), 0, &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "\"Code\" is \"AssumeRoleUnauthorizedAccess\", not \"Success\"");
    const char *notoken = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"hush\","
                          "\"Expiration\":\"2026-12-04T18:00:00Z\"}";
    CHECK_EQ_INT(s3_creds_parse_json(notoken, strlen(notoken), 0, &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "no \"Token\"");
    CHECK_EQ_INT(s3_creds_parse_json("[1]", 3, 0, &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "not a JSON object");
    CHECK_EQ_INT(s3_creds_parse_json("{", 1, 1, &c, err, sizeof(err)), -1);
    CHECK(strncmp(err, "not JSON", 8) == 0);
}

static void test_container_url(void)
{
    buf u = {0};
    char err[512];
    env_clear();
    CHECK_EQ_INT(s3_creds_container_url(env_fn, &u, err, sizeof(err)), -1);
    env_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
    CHECK_EQ_INT(s3_creds_container_url(env_fn, &u, err, sizeof(err)), 0);
    CHECK_EQ_STR(u.data, "http://169.254.170.2/v2/credentials/abc");
    /* The relative URI wins over the full one. */
    env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds");
    buf_reset(&u);
    CHECK_EQ_INT(s3_creds_container_url(env_fn, &u, err, sizeof(err)), 0);
    CHECK_EQ_STR(u.data, "http://169.254.170.2/v2/credentials/abc");
    env_clear();
    static const struct {
        const char *url;
        int ok;
    } full[] = {
        {"http://127.0.0.1:9/creds", 1},   {"http://localhost/c", 1},
        {"http://[::1]:80/c", 1},          {"http://169.254.170.23/v1/credentials", 1},
        {"https://creds.example.com/", 1}, {"http://creds.example.com/", 0},
        {"http://10.0.0.1/c", 0},          {"ftp://127.0.0.1/c", 0},
        {"http://user@10.0.0.1/", 0},
    };
    for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
        env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", full[i].url);
        buf_reset(&u);
        int rc = s3_creds_container_url(env_fn, &u, err, sizeof(err));
        if ((rc == 0) != full[i].ok)
            fprintf(stderr, "  %s: %s\n", full[i].url, rc ? err : "accepted");
        CHECK_EQ_INT(rc == 0, full[i].ok);
    }
    buf_release(&u);
}

static void write_text(const char *path, const char *text)
{
    char err[256];
    if (write_file_atomic(path, text, strlen(text), err, sizeof(err)) != 0)
        fprintf(stderr, "  %s\n", err);
}

/* The chain end to end where it needs no network: credential_process,
 * a source_profile that fails, IMDS disabled. */
static void test_load_process(void)
{
    char dir[] = "/tmp/ticklake-s3creds-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char conf[300], creds[300];
    snprintf(conf, sizeof(conf), "%s/config", dir);
    snprintf(creds, sizeof(creds), "%s/credentials", dir);
    write_text(creds, "");
    write_text(conf, "[profile proc]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":"
                     "\"AKPROC\",\"SecretAccessKey\":\"sproc\",\"SessionToken\":\"tproc\","
                     "\"Expiration\":\"2099-01-01T00:00:00Z\"}'\nregion = eu-west-1\n"
                     "[profile failing]\ncredential_process = sh -c 'exit 3'\n"
                     "[profile garbage]\ncredential_process = echo AKIA-not-json-hush\n"
                     "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = failing\n"
                     "[profile loop]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = loop2\n"
                     "[profile loop2]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = loop\n"
                     "[profile mfa]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = proc\n"
                     "mfa_serial = arn:aws:iam::1:mfa/u\n"
                     "[profile nosource]\nrole_arn = arn:aws:iam::1:role/r\n"
                     "[profile ra]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = rb\n"
                     "[profile rb]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = rc\n"
                     "aws_access_key_id = KB\naws_secret_access_key = sb\n"
                     "[profile rc]\naws_access_key_id = KC\naws_secret_access_key = sc\n"
                     "[profile empty]\nregion = x\n");
    env_clear();
    env_set("AWS_CONFIG_FILE", conf);
    env_set("AWS_SHARED_CREDENTIALS_FILE", creds);
    env_set("AWS_EC2_METADATA_DISABLED", "true");
    s3_credentials c;
    char err[1024];
    CHECK_EQ_INT(s3_credentials_load(&c, "proc", env_fn, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "AKPROC");
    CHECK_EQ_STR(c.secret_key, "sproc");
    CHECK_EQ_STR(c.session_token, "tproc");
    CHECK_EQ_STR(c.region, "eu-west-1");
    CHECK(c.expires_s == 4070908800LL && c.obtained_s > 0);
    CHECK(strstr(c.source, "credential_process of profile 'proc'") != NULL);
    s3_credentials_release(&c);

    CHECK_EQ_INT(s3_credentials_load(&c, "failing", env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "credential_process of profile 'failing'") && strstr(err, "status 3"));
    CHECK_EQ_INT(s3_credentials_load(&c, "garbage", env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "bad output: not JSON") && !strstr(err, "hush"));
    /* AssumeRole whose source fails names both; no request is sent. */
    CHECK_EQ_INT(s3_credentials_load(&c, "role", env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "assume-role: profile 'role'") &&
          strstr(err, "credential_process of profile 'failing'"));
    CHECK_EQ_INT(s3_credentials_load(&c, "loop", env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "too long") != NULL);
    CHECK_EQ_INT(s3_credentials_load(&c, "mfa", env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "mfa_serial") != NULL);
    /* A source profile's keys end the chain beside its role_arn (as in the SDKs): role A is
     * assumed with rb's keys, role B never (STS is refused here, so the call fails). */
    env_set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1");
    CHECK_EQ_INT(s3_credentials_load(&c, "ra", env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "assume-role: profile 'ra'") != NULL);
    if (strstr(err, "role/B"))
        fprintf(stderr, "  role B was assumed: %s\n", err);
    CHECK(strstr(err, "role/B") == NULL);
    env_set("AWS_ENDPOINT_URL_STS", NULL);
    CHECK_EQ_INT(s3_credentials_load(&c, "nosource", env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "needs source_profile or credential_source") != NULL);
    /* Nothing anywhere and IMDS disabled: the whole chain is named. */
    CHECK_EQ_INT(s3_credentials_load(&c, "empty", env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "no AWS credentials") && strstr(err, "AWS_EC2_METADATA_DISABLED"));
    /* A web identity token file that is missing. */
    env_set("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token");
    env_set("AWS_ROLE_ARN", "arn:aws:iam::1:role/eks");
    CHECK_EQ_INT(s3_credentials_load(&c, "empty", env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "web identity: unable to read the token file") != NULL);
    unlink(conf);
    unlink(creds);
    rmdir(dir);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    for (int ch; f && (ch = fgetc(f)) != EOF;)
        n += ch == '\n';
    if (f)
        fclose(f);
    return n;
}

/* A credential_process that notes each run in `runs` and prints keys
 * numbered by it (AK1, AK2, ...) that expire at `expiry` (a shell word), or
 * fails once `fail_after` runs have happened before it (0: never). */
static void counted_profile(const char *conf, const char *name, const char *runs,
                            const char *expiry, int fail_after)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "[profile %s]\ncredential_process = sh -c 'n=$(cat %s 2>/dev/null | wc -l); "
             "echo run >> %s; [ %d -gt 0 ] && [ $n -ge %d ] && exit 1; "
             "printf \"{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"AK%%s\\\","
             "\\\"SecretAccessKey\\\":\\\"s%%s\\\",\\\"SessionToken\\\":\\\"t\\\","
             "\\\"Expiration\\\":\\\"%%s\\\"}\" $((n+1)) $((n+1)) %s'\nregion = eu-west-1\n",
             name, runs, runs, fail_after, fail_after, expiry);
    write_text(conf, text);
}

/* s3_client_new reads the process environment: the test's own, restored after. */
static const char *const client_env[] = {"AWS_CONFIG_FILE",           "AWS_SHARED_CREDENTIALS_FILE",
                                         "AWS_EC2_METADATA_DISABLED", "AWS_REGION",
                                         "AWS_DEFAULT_REGION",        "AWS_PROFILE"};
#define NCLIENT_ENV (sizeof(client_env) / sizeof(client_env[0]))

static void client_env_set(char *saved[NCLIENT_ENV], const char *conf, const char *creds)
{
    for (size_t i = 0; i < NCLIENT_ENV; i++) {
        const char *v = getenv(client_env[i]);
        saved[i] = v ? strdup(v) : NULL;
        unsetenv(client_env[i]);
    }
    setenv("AWS_CONFIG_FILE", conf, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void client_env_restore(char *saved[NCLIENT_ENV])
{
    for (size_t i = 0; i < NCLIENT_ENV; i++) {
        if (saved[i])
            setenv(client_env[i], saved[i], 1);
        else
            unsetenv(client_env[i]);
        free(saved[i]);
    }
}

static s3_client *counted_client(const char *profile)
{
    char err[1024];
    s3_config cfg;
    s3_config_init(&cfg);
    cfg.endpoint = "http://127.0.0.1:7070";
    cfg.profile = profile;
    s3_client *c = s3_client_new(&cfg, err, sizeof(err));
    if (!c)
        fprintf(stderr, "  %s\n", err);
    return c;
}

/* A duplicated client takes its keys from the original: the chain runs only
 * when the original's keys are due (counted by the credential_process
 * itself), and the copy owns what it holds. */
static void test_client_dup(void)
{
    char dir[] = "/tmp/ticklake-s3dup-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char conf[300], creds[300], runs[300], err[1024], *saved[NCLIENT_ENV];
    snprintf(conf, sizeof(conf), "%s/config", dir);
    snprintf(creds, sizeof(creds), "%s/credentials", dir);
    snprintf(runs, sizeof(runs), "%s/runs", dir);
    write_text(creds, "");
    client_env_set(saved, conf, creds);

    /* Keys good until 2099: copies do not look anything up. */
    counted_profile(conf, "counted", runs, "2099-01-01T00:00:00Z", 0);
    s3_client *c = counted_client("counted");
    CHECK(c != NULL);
    s3_client *d1 = c ? s3_client_dup(c, err, sizeof(err)) : NULL;
    s3_client *d2 = d1 ? s3_client_dup(d1, err, sizeof(err)) : NULL;
    CHECK(d1 != NULL && d2 != NULL);
    CHECK_EQ_INT(count_lines(runs), 1);
    s3_access a, b;
    if (d2) {
        CHECK_EQ_INT(s3_client_access(c, "bkt", &a, err, sizeof(err)), 0);
        CHECK_EQ_INT(s3_client_access(d2, "bkt", &b, err, sizeof(err)), 0);
        CHECK_EQ_STR(b.access_key, "AK1");
        CHECK_EQ_STR(b.secret_key, a.secret_key);
        CHECK_EQ_STR(b.session_token, "t");
        CHECK_EQ_STR(b.region, "eu-west-1");
        CHECK_EQ_STR(b.authority, "127.0.0.1:7070");
        CHECK_EQ_INT(b.path_style, 1);
        CHECK(b.expires_s == 4070908800LL && b.expires_s == a.expires_s);
    }
    s3_client_free(d2);
    s3_client_free(c); /* wipes its secret: the copy's must be its own */
    if (d1) {
        CHECK_EQ_INT(s3_client_access(d1, "bkt", &b, err, sizeof(err)), 0);
        CHECK_EQ_STR(b.access_key, "AK1");
        CHECK_EQ_STR(b.secret_key, "s1");
    }
    s3_client_free(d1);

    /* Keys that expired long ago are due: the original refreshes them before
     * each copy, which starts with the new ones. */
    unlink(runs);
    counted_profile(conf, "stale", runs, "2000-01-01T00:00:00Z", 0);
    c = counted_client("stale");
    CHECK(c != NULL);
    d1 = c ? s3_client_dup(c, err, sizeof(err)) : NULL;
    CHECK(d1 != NULL);
    CHECK_EQ_INT(count_lines(runs), 2);
    if (d1) {
        CHECK_EQ_INT(s3_client_access(d1, "bkt", &b, err, sizeof(err)), 0);
        CHECK_EQ_STR(b.access_key, "AK2");
        CHECK(b.generation == 2);
        CHECK_EQ_INT(s3_client_access(c, "bkt", &a, err, sizeof(err)), 0);
        CHECK_EQ_STR(a.access_key, "AK2");
    }
    s3_client_free(d1);
    s3_client_free(c);

    /* Keys that are due but not expired, and a chain that then fails: one
     * try, a warning, and the current keys serve on; the copies made next
     * (and requests) do not try again for a while. Lifetime 5 s (6 when the
     * process's clock has passed a second): due after 3 s, as for short
     * lives s3_creds_refresh_due waits half of it; after 3.1 s it is due
     * and not yet expired, whatever the fractions of the seconds. */
    unlink(runs);
    counted_profile(conf, "failing", runs, "$(date -u -d @$(($(date +%s)+5)) +%Y-%m-%dT%H:%M:%SZ)",
                    1);
    c = counted_client("failing");
    CHECK(c != NULL);
    usleep(3100000);
    s3_client *ds[3] = {0};
    for (int i = 0; c && i < 3; i++) {
        ds[i] = s3_client_dup(c, err, sizeof(err));
        if (!ds[i])
            fprintf(stderr, "  %s\n", err);
        CHECK(ds[i] != NULL);
    }
    CHECK_EQ_INT(count_lines(runs), 2); /* the first run, and one failed try */
    if (ds[2]) {
        CHECK_EQ_INT(s3_client_access(ds[2], "bkt", &b, err, sizeof(err)), 0);
        CHECK_EQ_STR(b.access_key, "AK1");
    }
    for (int i = 0; i < 3; i++)
        s3_client_free(ds[i]);
    s3_client_free(c);

    client_env_restore(saved);
    unlink(conf);
    unlink(creds);
    unlink(runs);
    rmdir(dir);
}

TEST_MAIN(TEST(test_choose), TEST(test_refresh_due), TEST(test_parse_sts), TEST(test_parse_json),
          TEST(test_container_url), TEST(test_load_process), TEST(test_client_dup))
