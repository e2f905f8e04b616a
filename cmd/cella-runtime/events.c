#include "cmd.h"
#include "base/log.h"
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

/* runc-compatible: {"type":"stats","id":ID,"data":{...}} once with --stats,
 * else every --interval; an {"type":"oom"} event whenever the OOM kill
 * count grows. Ends when the container stops. */
int cmd_events(struct cmd_ctx *c, int argc, char **argv)
{
        static const struct option opts[] = {
                { "stats", no_argument, NULL, 's' }, { "interval", required_argument, NULL, 'i' }, { 0 } };
        bool once = false;
        double interval = 5.0;
        int o;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (o == 's')
                        once = true;
                else if (o == 'i') {
                        char *end;
                        interval = strtod(optarg, &end);
                        if (*end == 's')
                                end++;
                        else if (strneq(end, "ms", 2)) {
                                interval /= 1000;
                                end += 2;
                        }
                        if (*end || interval <= 0) {
                                log_error("events: --interval %s: expected a duration like 5s or 500ms", optarg);
                                return 1;
                        }
                } else
                        return cmd_usage("events", "[--stats] [--interval D] ID");
        }
        const char *id = cmd_id_arg(argc, argv, "events", "[--stats] [--interval D] ID");
        if (!id)
                return 1;
        uint64_t reported_oom = 0;
        bool first = true;
        for (;;) {
                cella_error *err = NULL;
                json_t *data = NULL;
                uint64_t oom = 0;
                if (rt_stats(&c->opts, id, &data, &oom, &err) < 0) {
                        if (!first && err && err->code == ESRCH) {
                                err_free(err);
                                return 0;
                        }
                        return cmd_fail(err);
                }
                /* Every OOM kill in the container's cgroup since it was created
                 * is reported once, including those before we started watching. */
                if (oom > reported_oom) {
                        json_t *ev = json_pack("{s:s, s:s, s:{s:I}}", "type", "oom", "id", id, "data",
                                               "oom_kill", (json_int_t)oom);
                        cmd_print_json(ev, false);
                        json_decref(ev);
                        reported_oom = oom;
                }
                json_t *ev = json_pack("{s:s, s:s, s:o}", "type", "stats", "id", id, "data", data);
                cmd_print_json(ev, false);
                json_decref(ev);
                fflush(stdout);
                if (once)
                        return 0;
                first = false;
                poll(NULL, 0, (int)(interval * 1000));
        }
}
