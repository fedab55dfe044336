/* s3_hash.h - SHA-256 and HMAC-SHA256 over OpenSSL's libcrypto, and the wiping
 * of secrets (keys, tokens, derived signing keys) before their memory is
 * freed. The only file of the S3 client that calls libcrypto. */
#ifndef TICKLAKE_S3_HASH_H
#define TICKLAKE_S3_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define S3_SHA256_HEX_SIZE 65 /* 64 hex digits + NUL */

/* Lower-case hex SHA-256 of data. */
void s3_sha256_hex(const void *data, size_t len, char out[S3_SHA256_HEX_SIZE]);

/* Lower-case hex SHA-256 of len bytes of the file fd from offset off (read
 * with pread, 1 MiB at a time; path is for messages). 0, or -1 with errstr
 * when the file cannot be read or is shorter. */
int s3_sha256_file_range(int fd, int64_t off, int64_t len, const char *path,
                         char out[S3_SHA256_HEX_SIZE], char *errstr, size_t errstr_size);

/* The 32-byte HMAC-SHA256 of msg with key. */
void s3_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                    unsigned char out[32]);

/* Writes n bytes of d as 2n lower-case hex digits and a NUL to out. */
void s3_hex(const unsigned char *d, size_t n, char *out);

/* Overwrites n bytes at p with zeros in a way the compiler cannot drop. */
void s3_wipe(void *p, size_t n);
/* Frees a string that may hold a secret, wiping it first. Accepts NULL. */
void s3_free_secret(char *s);
/* Releases a buffer that may hold a secret, wiping its whole capacity first. */
void s3_buf_release_secret(buf *b);

#endif
