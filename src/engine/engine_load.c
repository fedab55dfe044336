/* engine_load.c - libduckdb.so loaded at run time (engine_duckdb.h), the first time an engine is
 * opened. */
#define ENGINE_DUCKDB_DEFINE /* engine_duckdb.h's function pointers live here */
#include "engine_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* libduckdb.so is loaded from the DuckDB the binary was built against
 * (ENGINE_DUCKDB_LIB, an absolute path set by the Makefile), else by name
 * (LD_LIBRARY_PATH, the system). Not through the run path: sanitizers
 * intercept dlopen, and the run path of the interceptor's library, not ours,
 * would apply. Loaded once, never unloaded. */
#ifndef ENGINE_DUCKDB_LIB
#define ENGINE_DUCKDB_LIB "libduckdb.so"
#endif
static pthread_once_t duckdb_once = PTHREAD_ONCE_INIT;
static char duckdb_load_err[512];

static void duckdb_load(void)
{
    void *h = dlopen(ENGINE_DUCKDB_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        h = dlopen("libduckdb.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(duckdb_load_err, sizeof(duckdb_load_err),
                 "cannot load DuckDB (`./dev setup` fetches it): %s", dlerror());
        return;
    }
#define X(f)                                                                                       \
    if (!duckdb_load_err[0] && !(p_##f = (__typeof__(p_##f))dlsym(h, #f)))                         \
        snprintf(duckdb_load_err, sizeof(duckdb_load_err),                                         \
                 "libduckdb.so has no %s: DuckDB 1.5 is required", #f);
    ENGINE_DUCKDB_FUNCS(X)
#undef X
}

int engine_load_duckdb(char *errstr, size_t errstr_size)
{
    pthread_once(&duckdb_once, duckdb_load);
    if (duckdb_load_err[0])
        return set_err(errstr, errstr_size, "%s", duckdb_load_err);
    return 0;
}
