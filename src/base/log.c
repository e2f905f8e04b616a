#include "log.h"
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

static const char *prog = "cella";
static int log_fd = STDERR_FILENO;
static bool log_json, log_dbg, log_stderr_too = true;

int log_open(const char *program, const char *path, bool json, bool debug)
{
        prog = program;
        log_json = json;
        log_dbg = debug;
        if (path && *path) {
                int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
                if (fd < 0)
                        return NEG_ERRNO();
                if (log_fd != STDERR_FILENO)
                        close(log_fd);
                log_fd = fd;
        }
        return 0;
}

bool log_debug_enabled(void) { return log_dbg; }

void log_time_rfc3339(char buf[64])
{
        struct timespec now;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &tm);
        size_t k = strftime(buf, 64, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + k, 64 - k, ".%09ldZ", now.tv_nsec);
}
void log_also_stderr(bool on) { log_stderr_too = on; }

static const char *level_name(enum log_level l)
{
        static const char *names[] = { "error", "warning", "info", "debug" };
        return names[l];
}

void log_msg(enum log_level level, const char *fmt, ...)
{
        char msg[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        int saved = errno;

        char line[8192];
        int n;
        if (log_json) {
                char ts[64];
                log_time_rfc3339(ts);
                json_t *o = json_pack("{s:s, s:s, s:s}", "level", level_name(level), "msg", msg, "time", ts);
                char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
                n = snprintf(line, sizeof(line), "%s\n", s ? s : "{}");
                free(s);
                json_decref(o);
        } else if (level == LOG_ERROR)
                n = snprintf(line, sizeof(line), "%s: %s\n", prog, msg);
        else
                n = snprintf(line, sizeof(line), "%s: %s: %s\n", prog, level_name(level), msg);
        if (n > (int)sizeof(line) - 1)
                n = sizeof(line) - 1;
        if (write(log_fd, line, n) < 0) { /* nowhere left to report it */ }
        if (log_fd != STDERR_FILENO && log_stderr_too && level <= LOG_WARN) {
                n = snprintf(line, sizeof(line), "%s: %s\n", prog, msg);
                if (n > (int)sizeof(line) - 1)
                        n = sizeof(line) - 1;
                if (write(STDERR_FILENO, line, n) < 0) { }
        }
        errno = saved;
}
