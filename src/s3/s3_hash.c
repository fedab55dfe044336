/* s3_hash.c - SHA-256, HMAC-SHA256 and secret wiping over libcrypto. See s3_hash.h. */
#include "s3_hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

void s3_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}

/* Frees a string that may hold a secret, wiping it first. */
void s3_free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void s3_buf_release_secret(buf *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    buf_release(b);
}

/* ------------------------------------------------------------------------
 * Hashing and encoding
 * ------------------------------------------------------------------------ */

static const char HEX[] = "0123456789abcdef";

void s3_hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[d[i] >> 4];
        out[2 * i + 1] = HEX[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void s3_sha256_hex(const void *data, size_t len, char out[S3_SHA256_HEX_SIZE])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        abort(); /* SHA-256 cannot fail short of memory exhaustion */
    s3_hex(md, 32, out);
}

void s3_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                    unsigned char out[32])
{
    unsigned int outlen = 0;
    if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen) || outlen != 32)
        abort();
}

/* Streams SHA-256 over a file range. 0 or -1 with errstr. */
int s3_sha256_file_range(int fd, int64_t off, int64_t len, const char *path,
                         char out[S3_SHA256_HEX_SIZE], char *errstr, size_t errstr_size)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        abort();
    size_t bsz = 1 << 20;
    char *b = malloc(bsz);
    if (!b)
        abort();
    int rc = 0;
    int64_t done = 0;
    while (done < len) {
        size_t want = (size_t)(len - done < (int64_t)bsz ? len - done : (int64_t)bsz);
        ssize_t r = pread(fd, b, want, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = set_err(errstr, errstr_size, "s3: unable to read '%s': %s", path,
                         r < 0 ? strerror(errno) : "the file shrank");
            break;
        }
        EVP_DigestUpdate(ctx, b, (size_t)r);
        done += r;
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    free(b);
    if (rc == 0)
        s3_hex(md, 32, out);
    return rc;
}
