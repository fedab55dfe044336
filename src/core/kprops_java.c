/* kprops_java.c - the Java clients' settings read as librdkafka's; see kprops_java.h. */
#include "kprops_java.h"

#include <string.h>

#include "util.h"

#define MODULE_PLAIN "org.apache.kafka.common.security.plain.PlainLoginModule"
#define MODULE_SCRAM "org.apache.kafka.common.security.scram.ScramLoginModule"

static int key_is(const kprop *p, const char *name)
{
    return p->key_len == strlen(name) && memcmp(p->key, name, p->key_len) == 0;
}

static int value_is(const kprop *p, const char *v)
{
    size_t n = strlen(v);
    if (p->value_len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((p->value[i] | 0x20) != (v[i] | 0x20))
            return 0;
    return 1;
}

/* The last setting of name in props (Java's Properties: the last one wins), or NULL. */
static const kprop *last_of(const kprop *props, size_t n, const char *name)
{
    const kprop *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (key_is(&props[i], name))
            found = &props[i];
    return found;
}

static int emit(kprops_cb cb, void *ctx, const char *key, const char *v, size_t vn, int lineno)
{
    return cb(ctx, key, strlen(key), v, vn, lineno);
}

/* ---- sasl.jaas.config ---- */

typedef struct jaas {
    const char *s, *end;
} jaas;

static void jaas_blanks(jaas *j)
{
    while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\r' || *j->s == '\n'))
        j->s++;
}

static int word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '$' || c == '/' || c == '@' || c == '+' || c == ':';
}

/* A word: [out, *len) in place. 0, or -1 when there is none. */
static int jaas_word(jaas *j, const char **out, size_t *len)
{
    jaas_blanks(j);
    const char *b = j->s;
    while (j->s < j->end && word_char(*j->s))
        j->s++;
    *out = b;
    *len = (size_t)(j->s - b);
    return *len ? 0 : -1;
}

/* A value: a quoted string (a backslash escapes the next character) or a
 * word, unescaped into v (cap bytes). 0, or -1 with *why. */
static int jaas_value(jaas *j, char *v, size_t cap, size_t *vn, const char **why)
{
    jaas_blanks(j);
    size_t n = 0;
    if (j->s < j->end && *j->s == '"') {
        j->s++;
        for (;;) {
            if (j->s >= j->end) {
                *why = "a quoted value has no closing '\"'";
                return -1;
            }
            char c = *j->s++;
            if (c == '"')
                break;
            if (c == '\\') {
                if (j->s >= j->end) {
                    *why = "a quoted value ends in '\\'";
                    return -1;
                }
                c = *j->s++;
            }
            if (n + 1 >= cap) {
                *why = "a value is too long";
                return -1;
            }
            v[n++] = c;
        }
    } else {
        const char *w;
        size_t wn;
        if (jaas_word(j, &w, &wn) != 0) {
            *why = "expected a value after '='";
            return -1;
        }
        if (wn + 1 >= cap) {
            *why = "a value is too long";
            return -1;
        }
        memcpy(v, w, wn);
        n = wn;
    }
    v[n] = '\0';
    *vn = n;
    return 0;
}

/* "Module flag key=value ... ;": username and password of the PLAIN and
 * SCRAM login modules. */
static int jaas_translate(const kprop *p, const char *path, kprops_cb cb, void *ctx, char *errstr,
                          size_t errstr_size)
{
    jaas j = {p->value, p->value + p->value_len};
    const char *mod, *flag, *why = NULL;
    size_t modn, flagn;
    char user[1024], pass[1024], val[1024];
    size_t usern = 0, passn = 0;
    int have_user = 0, have_pass = 0, rc = 0;
    if (jaas_word(&j, &mod, &modn) != 0) {
        why = "expected a login module class";
        goto bad;
    }
    if (!((modn == strlen(MODULE_PLAIN) && memcmp(mod, MODULE_PLAIN, modn) == 0) ||
          (modn == strlen(MODULE_SCRAM) && memcmp(mod, MODULE_SCRAM, modn) == 0)))
        return set_err(errstr, errstr_size,
                       "%s:%d: sasl.jaas.config: login module %.*s is not read here: only "
                       "PlainLoginModule and ScramLoginModule (username, password) are; for "
                       "GSSAPI and OAUTHBEARER use librdkafka's sasl.kerberos.* and "
                       "sasl.oauthbearer.* properties",
                       path, p->lineno, (int)(modn > 120 ? 120 : modn), mod);
    if (jaas_word(&j, &flag, &flagn) != 0 ||
        !((flagn == 8 && memcmp(flag, "required", 8) == 0) ||
          (flagn == 9 && memcmp(flag, "requisite", 9) == 0) ||
          (flagn == 10 && memcmp(flag, "sufficient", 10) == 0) ||
          (flagn == 8 && memcmp(flag, "optional", 8) == 0))) {
        why = "expected a control flag (required, requisite, sufficient or optional) after the "
              "login module";
        goto bad;
    }
    for (;;) {
        jaas_blanks(&j);
        if (j.s < j.end && *j.s == ';') {
            j.s++;
            jaas_blanks(&j);
            if (j.s != j.end) {
                why = "text after the ';' that ends the entry (one login module only)";
                goto bad;
            }
            break;
        }
        const char *k;
        size_t kn, vn;
        if (jaas_word(&j, &k, &kn) != 0) {
            why = j.s < j.end ? "expected option=value or the closing ';'"
                              : "the entry does not end with ';'";
            goto bad;
        }
        jaas_blanks(&j);
        if (j.s >= j.end || *j.s != '=') {
            why = "expected '=' after an option's name";
            goto bad;
        }
        j.s++;
        if (jaas_value(&j, val, sizeof(val), &vn, &why) != 0)
            goto bad;
        if (kn == 8 && memcmp(k, "username", 8) == 0) {
            memcpy(user, val, vn + 1);
            usern = vn;
            have_user = 1;
        } else if (kn == 8 && memcmp(k, "password", 8) == 0) {
            memcpy(pass, val, vn + 1);
            passn = vn;
            have_pass = 1;
        } /* other options (e.g. tokenauth) have no librdkafka property */
    }
    if (!have_user || !have_pass) {
        why = have_user ? "no password=\"...\"" : "no username=\"...\"";
        goto bad;
    }
    rc = emit(cb, ctx, "sasl.username", user, usern, p->lineno);
    if (rc == 0)
        rc = emit(cb, ctx, "sasl.password", pass, passn, p->lineno);
    explicit_bzero(user, sizeof(user));
    explicit_bzero(pass, sizeof(pass));
    explicit_bzero(val, sizeof(val));
    return rc;
bad:
    explicit_bzero(user, sizeof(user));
    explicit_bzero(pass, sizeof(pass));
    explicit_bzero(val, sizeof(val));
    /* The text holds a password: the message says what is wrong, not what is there. */
    return set_err(errstr, errstr_size, "%s:%d: sasl.jaas.config: %s", path, p->lineno, why);
}

/* ---- the whole file ---- */

int kprops_java_translate(const kprop *props, size_t n, const char *path, kprops_cb cb, void *ctx,
                          char *errstr, size_t errstr_size)
{
    const kprop *tstype = last_of(props, n, "ssl.truststore.type");
    const kprop *kstype = last_of(props, n, "ssl.keystore.type");
    int ts_pem = tstype && value_is(tstype, "PEM");
    int ks_pem = kstype && value_is(kstype, "PEM");
    if (kstype && !ks_pem && !value_is(kstype, "PKCS12"))
        return set_err(errstr, errstr_size,
                       "%s:%d: ssl.keystore.type %.*s: librdkafka reads key stores as PKCS12 or "
                       "PEM only; convert it (keytool -importkeystore -deststoretype PKCS12)",
                       path, kstype->lineno, (int)(kstype->value_len > 32 ? 32 : kstype->value_len),
                       kstype->value);
    if (tstype && !ts_pem)
        return set_err(errstr, errstr_size,
                       "%s:%d: ssl.truststore.type %.*s: librdkafka reads CA certificates from PEM "
                       "only; export them (keytool -exportcert -rfc) and give the file as "
                       "ssl.ca.location, or as ssl.truststore.location with "
                       "ssl.truststore.type=PEM",
                       path, tstype->lineno, (int)(tstype->value_len > 32 ? 32 : tstype->value_len),
                       tstype->value);
    for (size_t i = 0; i < n; i++) {
        const kprop *p = &props[i];
        int rc = 0;
        if (key_is(p, "sasl.jaas.config")) {
            rc = jaas_translate(p, path, cb, ctx, errstr, errstr_size);
        } else if (key_is(p, "ssl.truststore.location")) {
            if (!ts_pem)
                return set_err(errstr, errstr_size,
                               "%s:%d: ssl.truststore.location without ssl.truststore.type=PEM "
                               "is a Java trust store (JKS by default), which librdkafka cannot "
                               "read; export its CA certificates (keytool -exportcert -rfc) and "
                               "give the file as ssl.ca.location, or set ssl.truststore.type=PEM "
                               "if it is PEM already",
                               path, p->lineno);
            rc = emit(cb, ctx, "ssl.ca.location", p->value, p->value_len, p->lineno);
        } else if (key_is(p, "ssl.truststore.certificates")) {
            rc = emit(cb, ctx, "ssl.ca.pem", p->value, p->value_len, p->lineno);
        } else if (key_is(p, "ssl.truststore.type") || key_is(p, "ssl.keystore.type") ||
                   (key_is(p, "ssl.truststore.password") && ts_pem)) {
            continue; /* decided above */
        } else if (key_is(p, "ssl.keystore.location") && ks_pem) {
            rc = emit(cb, ctx, "ssl.certificate.location", p->value, p->value_len, p->lineno);
            if (rc == 0)
                rc = emit(cb, ctx, "ssl.key.location", p->value, p->value_len, p->lineno);
        } else if (key_is(p, "ssl.keystore.password") && ks_pem) {
            continue; /* a PEM key store has none; the key's is ssl.key.password */
        } else if (key_is(p, "ssl.keystore.key")) {
            rc = emit(cb, ctx, "ssl.key.pem", p->value, p->value_len, p->lineno);
        } else if (key_is(p, "ssl.keystore.certificate.chain")) {
            rc = emit(cb, ctx, "ssl.certificate.pem", p->value, p->value_len, p->lineno);
        } else if (key_is(p, "ssl.endpoint.identification.algorithm") && p->value_len == 0) {
            rc = emit(cb, ctx, "ssl.endpoint.identification.algorithm", "none", 4, p->lineno);
        } else {
            rc = cb(ctx, p->key, p->key_len, p->value, p->value_len, p->lineno);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}
