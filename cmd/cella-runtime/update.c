#include "cmd.h"
#include "base/json.h"
#include "base/log.h"
#include <getopt.h>
#include <string.h>

#define UPDATE_USAGE "[--resources FILE|-] [--memory N] [--cpu-quota N] [--cpu-period N] [--cpu-share N] " \
                     "[--cpuset-cpus L] [--cpuset-mems L] [--pids-limit N] ID"

/* "512m", "1g", "1048576" -> bytes (runc accepts units). */
static int parse_size(const char *s, int64_t *ret)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        int64_t mul = 1;
        switch (*end) {
        case 'k': case 'K': mul = 1LL << 10; end++; break;
        case 'm': case 'M': mul = 1LL << 20; end++; break;
        case 'g': case 'G': mul = 1LL << 30; end++; break;
        case '\0': break;
        default: return -EINVAL;
        }
        if (*end == 'b' || *end == 'B')
                end++;
        if (*end)
                return -EINVAL;
        *ret = v * mul;
        return 0;
}

static json_t *section(json_t *res, const char *name)
{
        json_t *s = json_object_get(res, name);
        if (!s) {
                s = json_object();
                json_object_set_new(res, name, s);
        }
        return s;
}

int cmd_update(struct cmd_ctx *c, int argc, char **argv)
{
        enum { OPT_RES = 256, OPT_MEM, OPT_QUOTA, OPT_PERIOD, OPT_SHARE, OPT_CPUS, OPT_MEMS, OPT_PIDS,
               OPT_SWAP, OPT_RESERVATION };
        static const struct option opts[] = {
                { "resources", required_argument, NULL, 'r' },
                { "memory", required_argument, NULL, OPT_MEM },
                { "memory-swap", required_argument, NULL, OPT_SWAP },
                { "memory-reservation", required_argument, NULL, OPT_RESERVATION },
                { "cpu-quota", required_argument, NULL, OPT_QUOTA },
                { "cpu-period", required_argument, NULL, OPT_PERIOD },
                { "cpu-share", required_argument, NULL, OPT_SHARE },
                { "cpuset-cpus", required_argument, NULL, OPT_CPUS },
                { "cpuset-mems", required_argument, NULL, OPT_MEMS },
                { "pids-limit", required_argument, NULL, OPT_PIDS },
                { 0 },
        };
        json_t *res = json_object();
        const char *file = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
                int64_t v = 0;
                const char *flag = NULL;
                switch (o) {
                case 'r': file = optarg; continue;
                case OPT_CPUS: json_object_set_new(section(res, "cpu"), "cpus", json_string(optarg)); continue;
                case OPT_MEMS: json_object_set_new(section(res, "cpu"), "mems", json_string(optarg)); continue;
                case OPT_MEM: flag = "memory"; break;
                case OPT_SWAP: flag = "memory-swap"; break;
                case OPT_RESERVATION: flag = "memory-reservation"; break;
                case OPT_QUOTA: flag = "cpu-quota"; break;
                case OPT_PERIOD: flag = "cpu-period"; break;
                case OPT_SHARE: flag = "cpu-share"; break;
                case OPT_PIDS: flag = "pids-limit"; break;
                default:
                        json_decref(res);
                        return cmd_usage("update", UPDATE_USAGE);
                }
                if (parse_size(optarg, &v) < 0) {
                        log_error("update: --%s %s: not a number", flag, optarg);
                        json_decref(res);
                        return 1;
                }
                switch (o) {
                case OPT_MEM: json_object_set_new(section(res, "memory"), "limit", json_integer(v)); break;
                case OPT_SWAP: json_object_set_new(section(res, "memory"), "swap", json_integer(v)); break;
                case OPT_RESERVATION: json_object_set_new(section(res, "memory"), "reservation", json_integer(v)); break;
                case OPT_QUOTA: json_object_set_new(section(res, "cpu"), "quota", json_integer(v)); break;
                case OPT_PERIOD: json_object_set_new(section(res, "cpu"), "period", json_integer(v)); break;
                case OPT_SHARE: json_object_set_new(section(res, "cpu"), "shares", json_integer(v)); break;
                case OPT_PIDS: json_object_set_new(section(res, "pids"), "limit", json_integer(v)); break;
                default: break;
                }
        }
        const char *id = cmd_id_arg(argc, argv, "update", UPDATE_USAGE);
        if (!id) {
                json_decref(res);
                return 1;
        }
        cella_error *err = NULL;
        if (file) {
                json_t *fromfile = NULL;
                int r = streq(file, "-") ? (fromfile = json_loadf(stdin, 0, NULL)) ? 0 : -EINVAL
                                         : json_load_path(file, 1 << 20, &fromfile, &err);
                if (r < 0 || !json_is_object(fromfile)) {
                        json_decref(res);
                        json_decref(fromfile);
                        if (!err)
                                err_setx(&err, EINVAL, "--resources %s: expected a JSON object", file);
                        return cmd_fail(err);
                }
                json_object_update_missing(res, fromfile);
                json_decref(fromfile);
        }
        int r = rt_update(&c->opts, id, res, &err);
        json_decref(res);
        return r < 0 ? cmd_fail(err) : 0;
}
