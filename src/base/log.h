/* Program-level logging. Libraries report failures through cella_error;
 * they may emit warnings and debug lines here, which go wherever the
 * program pointed the log (stderr by default, or a --log file, in text or
 * runc-compatible JSON). */
#pragma once
#include "macros.h"
#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* path NULL: stderr. Returns -errno when the file cannot be opened. */
int log_open(const char *program, const char *path, bool json, bool debug);
void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);
bool log_debug_enabled(void);
/* Errors also go to stderr when the log is a file, so a user sees them. */
void log_also_stderr(bool on);

/* Now as RFC 3339 UTC with nanoseconds ("2026-11-30T02:40:00.123456789Z"),
 * the form runc's JSON log and the OCI state's "created" use. */
void log_time_rfc3339(char buf[64]);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_debug_enabled()) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
