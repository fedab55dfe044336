/* fake_env.h - a fake environment for the S3 unit tests: env_set(name,
 * value) and env_clear() fill it, env_fn (an s3_getenv_fn) reads it, so the
 * credential chain sees only what a test sets. Header-only: each test is one
 * translation unit. */
#ifndef TICKLAKE_TEST_FAKE_ENV_H
#define TICKLAKE_TEST_FAKE_ENV_H

#include <string.h>

static const char *fake_env[32][2];

static void env_set(const char *name, const char *value)
{
    for (int i = 0; i < 32; i++) {
        if (!fake_env[i][0] || strcmp(fake_env[i][0], name) == 0) {
            fake_env[i][0] = name;
            fake_env[i][1] = value;
            return;
        }
    }
}

static void env_clear(void)
{
    memset(fake_env, 0, sizeof(fake_env));
}

static const char *env_fn(const char *name)
{
    for (int i = 0; i < 32 && fake_env[i][0]; i++)
        if (strcmp(fake_env[i][0], name) == 0)
            return fake_env[i][1];
    return NULL;
}

#endif
