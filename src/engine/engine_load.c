/* engine_load.c - libduckdb.so loaded at run time (engine_duckdb.h), the first time an engine is
 * opened. */
#define ENGINE_DUCKDB_DEFINE /* engine_duckdb.h's function pointers live here */
#include "engine_internal.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* libduckdb.so is loaded, in this order, from beside an installed binary
 * (<bindir>/../lib/ticklake/, where `make install` puts it: the run path
 * $ORIGIN/../lib/ticklake, resolved here from /proc/self/exe), from the
 * DuckDB the binary was built against (ENGINE_DUCKDB_LIB, an absolute path
 * set by the Makefile), else by name (LD_LIBRARY_PATH, the system). Not
 * through the dynamic loader's run path: sanitizers intercept dlopen, and the
 * run path of the interceptor's library, not ours, would apply. Loaded once,
 * never unloaded. */
#ifndef ENGINE_DUCKDB_LIB
#define ENGINE_DUCKDB_LIB "libduckdb.so"
#endif
#define ENGINE_DUCKDB_INSTALLED "/../lib/ticklake/libduckdb.so" /* from the binary's folder */
static pthread_once_t duckdb_once = PTHREAD_ONCE_INIT;
static char duckdb_load_err[512];
static void *duckdb_handle;
static char duckdb_path[PATH_MAX];

/* dlopen of path, remembered in duckdb_path when it loads. */
static void *open_at(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h)
        snprintf(duckdb_path, sizeof(duckdb_path), "%s", path);
    return h;
}

static void duckdb_load(void)
{
    void *h = NULL;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
    if (slash && (size_t)(slash - exe) + sizeof(ENGINE_DUCKDB_INSTALLED) <= sizeof(exe)) {
        memcpy(slash, ENGINE_DUCKDB_INSTALLED, sizeof(ENGINE_DUCKDB_INSTALLED));
        if (access(exe, F_OK) == 0)
            h = open_at(exe);
    }
    if (!h)
        h = open_at(ENGINE_DUCKDB_LIB);
    if (!h)
        h = open_at("libduckdb.so");
    if (!h) {
        snprintf(duckdb_load_err, sizeof(duckdb_load_err),
                 "cannot load DuckDB (`./dev setup` fetches it): %s", dlerror());
        return;
    }
    duckdb_handle = h;
#define X(f)                                                                                       \
    if (!duckdb_load_err[0] && !(p_##f = (__typeof__(p_##f))dlsym(h, #f)))                         \
        snprintf(duckdb_load_err, sizeof(duckdb_load_err),                                         \
                 "libduckdb.so has no %s: DuckDB 1.5 is required", #f);
    ENGINE_DUCKDB_FUNCS(X)
#undef X
}

const char *engine_duckdb_version(const char **path, char *errstr, size_t errstr_size)
{
    if (engine_load_duckdb(errstr, errstr_size) != 0)
        return NULL;
    const char *(*version)(void) =
        (const char *(*)(void))dlsym(duckdb_handle, "duckdb_library_version");
    if (!version) {
        set_err(errstr, errstr_size, "libduckdb.so at '%s' has no duckdb_library_version",
                duckdb_path);
        return NULL;
    }
    if (path)
        *path = duckdb_path;
    return version();
}

int engine_load_duckdb(char *errstr, size_t errstr_size)
{
    pthread_once(&duckdb_once, duckdb_load);
    if (duckdb_load_err[0])
        return set_err(errstr, errstr_size, "%s", duckdb_load_err);
    return 0;
}
