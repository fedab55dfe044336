/* log.h - level-gated logging to stderr.
 *
 * Logs go to stderr, data to stdout. The level is process-wide and set once by
 * the command layer (-v / -q). LOG_* are macros so arguments are not evaluated
 * below the active level. Thread-safe: each line is written with one call. */
#ifndef TICKLAKE_LOG_H
#define TICKLAKE_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

extern int log_level;

void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_ERROR(...) log_write(LOG_LVL_ERROR, __VA_ARGS__)
#define LOG_WARN(...)                                                                              \
    do {                                                                                           \
        if (log_level >= LOG_LVL_WARN)                                                             \
            log_write(LOG_LVL_WARN, __VA_ARGS__);                                                  \
    } while (0)
#define LOG_INFO(...)                                                                              \
    do {                                                                                           \
        if (log_level >= LOG_LVL_INFO)                                                             \
            log_write(LOG_LVL_INFO, __VA_ARGS__);                                                  \
    } while (0)
#define LOG_DEBUG(...)                                                                             \
    do {                                                                                           \
        if (log_level >= LOG_LVL_DEBUG)                                                            \
            log_write(LOG_LVL_DEBUG, __VA_ARGS__);                                                 \
    } while (0)

#endif
