/* test_kprops_java.c - a Java client's properties file read as librdkafka's (kprops_java.h): the
 * SASL and TLS settings the Kafka tools' --command-config files use, mapped to librdkafka's, every
 * other setting passed through, and clear errors for what librdkafka cannot read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprops.h"
#include "kprops_java.h"
#include "testlib.h"
#include "util.h"

typedef struct props {
    kprop items[32];
    size_t n;
} props;

static int read_one(void *ctx, const char *key, size_t klen, const char *value, size_t vlen,
                    int lineno)
{
    props *p = ctx;
    if (p->n == 32)
        return 9;
    p->items[p->n++] = (kprop){key, value, klen, vlen, lineno};
    return 0;
}

static int collect(void *ctx, const char *key, size_t klen, const char *value, size_t vlen,
                   int lineno)
{
    buf *b = ctx;
    buf_printf(b, "%d:%.*s=%.*s\n", lineno, (int)klen, key, (int)vlen, value);
    return 0;
}

/* text read as a file, then translated: the settings ("LINE:key=value\n" each), or "ERR: msg". */
static void translate(const char *text, buf *out)
{
    props p = {0};
    char err[512] = "";
    char *copy = strdup(text); /* decoded in place; read_one keeps pointers into it */
    int rc = kprops_parse(copy, strlen(copy), "c.properties", read_one, &p, err, sizeof(err));
    if (rc == 0)
        rc = kprops_java_translate(p.items, p.n, "c.properties", collect, out, err, sizeof(err));
    if (rc != 0) {
        buf_reset(out);
        buf_printf(out, "ERR: %s", err);
    }
    free(copy);
}

#define EXPECT(text, want)                                                                         \
    do {                                                                                           \
        buf got_ = {0};                                                                            \
        translate(text, &got_);                                                                    \
        CHECK_EQ_STR(got_.data ? got_.data : "", want);                                            \
        buf_release(&got_);                                                                        \
    } while (0)

/* A Kafka tools' client file for SASL_SSL with SCRAM and a PEM trust store. */
static void test_java_scram_file(void)
{
    /* As Java's Properties.store writes it: '=' and ':' escaped (JAAS's own
     * \" is then \\\" in the file). */
    EXPECT("bootstrap.servers=h\\:9093\n"
           "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
           "username\\=\"u\" password\\=\"a\\\\\"b\\u00e9\";\n",
           "1:bootstrap.servers=h:9093\n2:sasl.username=u\n2:sasl.password=a\"b\xc3\xa9\n");
    EXPECT("bootstrap.servers=127.0.0.1:9093\n"
           "security.protocol=SASL_SSL\n"
           "sasl.mechanism=SCRAM-SHA-512\n"
           "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n",
           "ERR: c.properties:4: a line continuation (a trailing '\\') is not supported");
    EXPECT("bootstrap.servers=127.0.0.1:9093\n"
           "security.protocol=SASL_SSL\n"
           "sasl.mechanism=SCRAM-SHA-512\n"
           "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
           "username=\"alice\" password=\"p a\\\\\"ss=w;rd\";\n"
           "ssl.truststore.location=/etc/kafka/ca.pem\n"
           "ssl.truststore.type=PEM\n"
           "ssl.endpoint.identification.algorithm=\n",
           "1:bootstrap.servers=127.0.0.1:9093\n"
           "2:security.protocol=SASL_SSL\n"
           "3:sasl.mechanism=SCRAM-SHA-512\n"
           "4:sasl.username=alice\n"
           "4:sasl.password=p a\"ss=w;rd\n"
           "5:ssl.ca.location=/etc/kafka/ca.pem\n"
           "7:ssl.endpoint.identification.algorithm=none\n");
    /* PLAIN, other flags, unquoted values, options librdkafka has no use for, blanks. */
    EXPECT("sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule optional\t"
           "username=bob  password = s3cr3t unsecuredLoginStringClaim_sub=\"x\" ;  \n",
           "1:sasl.username=bob\n1:sasl.password=s3cr3t\n");
    /* A librdkafka (kcat) file passes through unchanged, PKCS#12 key store included. */
    EXPECT("security.protocol=SSL\nssl.ca.location=/ca.pem\nssl.keystore.location=/c.p12\n"
           "ssl.keystore.password=pw\nssl.endpoint.identification.algorithm=https\n",
           "1:security.protocol=SSL\n2:ssl.ca.location=/ca.pem\n3:ssl.keystore.location=/c.p12\n"
           "4:ssl.keystore.password=pw\n5:ssl.endpoint.identification.algorithm=https\n");
}

static void test_java_tls_stores(void)
{
    /* The type may follow the location; a PEM trust store's password is dropped. */
    EXPECT("ssl.truststore.password=x\nssl.truststore.location=/t.pem\nssl.truststore.type=pem\n",
           "2:ssl.ca.location=/t.pem\n");
    EXPECT("ssl.truststore.type=PEM\nssl.truststore.certificates=-----BEGIN CERTIFICATE-----\n",
           "2:ssl.ca.pem=-----BEGIN CERTIFICATE-----\n");
    /* A PEM key store: key and chain in one file; its key's password is ssl.key.password. */
    EXPECT("ssl.keystore.type=PEM\nssl.keystore.location=/k.pem\nssl.keystore.password=x\n"
           "ssl.key.password=kp\n",
           "2:ssl.certificate.location=/k.pem\n2:ssl.key.location=/k.pem\n4:ssl.key.password=kp\n");
    EXPECT("ssl.keystore.key=-----BEGIN PRIVATE KEY-----\n"
           "ssl.keystore.certificate.chain=-----BEGIN CERTIFICATE-----\n",
           "1:ssl.key.pem=-----BEGIN PRIVATE KEY-----\n"
           "2:ssl.certificate.pem=-----BEGIN CERTIFICATE-----\n");
    EXPECT("ssl.keystore.type=PKCS12\nssl.keystore.location=/k.p12\nssl.keystore.password=x\n",
           "2:ssl.keystore.location=/k.p12\n3:ssl.keystore.password=x\n");
}

static void test_errors(void)
{
    EXPECT("ssl.truststore.location=/t.jks\nssl.truststore.password=x\n",
           "ERR: c.properties:1: ssl.truststore.location without ssl.truststore.type=PEM is a "
           "Java trust store (JKS by default), which librdkafka cannot read; export its CA "
           "certificates (keytool -exportcert -rfc) and give the file as ssl.ca.location, or set "
           "ssl.truststore.type=PEM if it is PEM already");
    EXPECT("a=1\nssl.truststore.type=JKS\n",
           "ERR: c.properties:2: ssl.truststore.type JKS: librdkafka reads CA certificates from "
           "PEM only; export them (keytool -exportcert -rfc) and give the file as "
           "ssl.ca.location, or as ssl.truststore.location with ssl.truststore.type=PEM");
    EXPECT("ssl.keystore.type=JKS\n",
           "ERR: c.properties:1: ssl.keystore.type JKS: librdkafka reads key stores as PKCS12 or "
           "PEM only; convert it (keytool -importkeystore -deststoretype PKCS12)");
    EXPECT("sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required;\n",
           "ERR: c.properties:1: sasl.jaas.config: login module "
           "com.sun.security.auth.module.Krb5LoginModule is not read here: only PlainLoginModule "
           "and ScramLoginModule (username, password) are; for GSSAPI and OAUTHBEARER use "
           "librdkafka's sasl.kerberos.* and sasl.oauthbearer.* properties");
    /* Broken JAAS texts: the message never repeats the text (it holds a password). */
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"sasl.jaas.config=\n", "expected a login module class"},
        {"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
         "username=\"a\";\n",
         "expected a control flag (required, requisite, sufficient or optional) after the login "
         "module"},
        {"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
         "username=\"a\" password=\"secret\"\n",
         "the entry does not end with ';'"},
        {"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
         "username=\"a\" password=\"secret;\n",
         "a quoted value has no closing '\"'"},
        {"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
         "username \"a\";\n",
         "expected '=' after an option's name"},
        {"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
         "username=\"a\";\n",
         "no password=\"...\""},
        {"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
         "password=\"secret\";\n",
         "no username=\"...\""},
        {"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
         "username=\"a\" password=\"secret\"; other.Module required;\n",
         "text after the ';' that ends the entry (one login module only)"},
        {"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
         "username=\"a\" password=;\n",
         "expected a value after '='"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf got = {0}, want = {0};
        translate(bad[i].text, &got);
        buf_printf(&want, "ERR: c.properties:1: sasl.jaas.config: %s", bad[i].why);
        CHECK_EQ_STR(got.data, want.data);
        CHECK(strstr(got.data, "secret") == NULL);
        buf_release(&got);
        buf_release(&want);
    }
}

/* The callback's non-zero return stops the translation and is returned. */
static int refuse(void *ctx, const char *key, size_t klen, const char *value, size_t vlen,
                  int lineno)
{
    (void)ctx, (void)key, (void)klen, (void)value, (void)vlen, (void)lineno;
    return 5;
}

static void test_callback_stops(void)
{
    kprop p = {"sasl.jaas.config",
               "org.apache.kafka.common.security.plain.PlainLoginModule required username=a "
               "password=b;",
               16, 0, 1};
    p.value_len = strlen(p.value);
    char err[128];
    CHECK_EQ_INT(kprops_java_translate(&p, 1, "f", refuse, NULL, err, sizeof(err)), 5);
}

TEST_MAIN(TEST(test_java_scram_file), TEST(test_java_tls_stores), TEST(test_errors),
          TEST(test_callback_stops))
