/* s3_creds_fetch.h - the I/O of the credential chain (s3_creds.h): STS
 * AssumeRole / AssumeRoleWithWebIdentity requests, the ECS container
 * endpoint, EC2 instance metadata (IMDSv2) and credential_process runs. Each
 * fills out's keys and expires_s, or returns -1 with errstr saying what failed
 * and why (never a secret). AWS_CA_BUNDLE, when set, is the CA file of every
 * https request. */
#ifndef TICKLAKE_S3_CREDS_FETCH_H
#define TICKLAKE_S3_CREDS_FETCH_H

#include <stddef.h>

#include "s3_creds.h"
#include "s3_sigv4.h"

/* Where STS is: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else
 * https://sts.<region>.amazonaws.com. Appended to out. */
void s3_creds_sts_endpoint(s3_getenv_fn env, const char *region, buf *out);

/* POSTs the STS Action with its params (raw names and values) to endpoint
 * and parses the answer. signer: the keys that sign the request
 * (AssumeRole); NULL sends it unsigned (AssumeRoleWithWebIdentity). 0 or -1. */
int s3_creds_sts_call(s3_getenv_fn env, const char *endpoint, const char *region,
                      const s3_kv *params, size_t nparams, const s3_credentials *signer,
                      s3_credentials *out, char *errstr, size_t errstr_size);

/* Runs cmd with /bin/sh -c and parses its standard output (s3_creds_parse_json
 * with process = 1). A non-zero exit is an error. 0 or -1. */
int s3_creds_run_process(const char *cmd, s3_credentials *out, char *errstr, size_t errstr_size);

/* GETs the container endpoint (s3_creds_container_url) with the
 * Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, else
 * AWS_CONTAINER_AUTHORIZATION_TOKEN. 0 or -1. */
int s3_creds_container(s3_getenv_fn env, s3_credentials *out, char *errstr, size_t errstr_size);

/* IMDSv2: PUT /latest/api/token, GET the role name and then its keys from
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254, within
 * about a second per request as the SDKs do. 0 or -1. */
int s3_creds_imds(s3_getenv_fn env, s3_credentials *out, char *errstr, size_t errstr_size);

#endif
