/* kprops_java.h - the Java clients' settings in a client properties file,
 * read as librdkafka's (pure: settings in, settings out).
 *
 * The Kafka tools' --command-config files are written for the Java client;
 * kcat's -F files for librdkafka. Most names are the same. Where they differ,
 * this maps the Java setting to librdkafka's, so that the same file works
 * unchanged with ticklake -F:
 *
 *   sasl.jaas.config = ...PlainLoginModule|ScramLoginModule required
 *       username="u" password="p";        -> sasl.username, sasl.password
 *   ssl.truststore.type=PEM + ssl.truststore.location    -> ssl.ca.location
 *   ssl.truststore.certificates (PEM text)               -> ssl.ca.pem
 *   ssl.keystore.type=PEM + ssl.keystore.location (key and chain in one
 *       file)                 -> ssl.certificate.location + ssl.key.location
 *   ssl.keystore.key, ssl.keystore.certificate.chain (PEM text)
 *                                          -> ssl.key.pem, ssl.certificate.pem
 *   ssl.keystore.type=PKCS12 (librdkafka's own ssl.keystore.* are PKCS#12)
 *   ssl.endpoint.identification.algorithm= (empty: off)  -> ... = none
 *   ssl.truststore.password with a PEM trust store       -> dropped
 *
 * Refused with a clear error (file and line) instead of read differently: a
 * trust store that is not PEM (JKS, Java's default, or PKCS12: librdkafka
 * reads CA certificates from PEM only), a JKS key store, a JAAS login module
 * other than PLAIN's and SCRAM's (GSSAPI and OAUTHBEARER have librdkafka
 * properties of their own), a JAAS text that does not parse. Every other
 * setting passes through as written. */
#ifndef TICKLAKE_KPROPS_JAVA_H
#define TICKLAKE_KPROPS_JAVA_H

#include <stddef.h>

#include "kprops.h"

/* One setting of a file as kprops_parse gives it (key and value not
 * NUL-terminated; borrowed from the file's text). */
typedef struct kprop {
    const char *key, *value;
    size_t key_len, value_len;
    int lineno;
} kprop;

/* Calls cb with the librdkafka settings of props[0..n), in the file's order
 * (a Java setting's translation at its own line). 0, cb's non-zero return, or
 * -1 with errstr ("PATH:LINE: ..."). Values cb receives may point into a
 * scratch buffer that is wiped after the call (passwords): cb copies them. */
int kprops_java_translate(const kprop *props, size_t n, const char *path, kprops_cb cb, void *ctx,
                          char *errstr, size_t errstr_size);

#endif
