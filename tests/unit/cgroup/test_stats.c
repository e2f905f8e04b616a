/* Stats parsing from sample files, shaped like runc's types.Stats. */
#include "tap.h"
#include "cgroup/cgroup-internal.h"
#include <stdlib.h>

static char *dump(json_t *j)
{
        char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(j);
        return s;
}

int main(void)
{
        char *s = dump(cg_stats_blkio_v1("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:16 Read 1\nTotal 4609\n"));
        EQ_S(s, "[{\"major\":8,\"op\":\"Read\",\"value\":4096},{\"major\":8,\"op\":\"Write\",\"value\":512},"
                "{\"major\":8,\"op\":\"Sync\"},{\"major\":8,\"minor\":16,\"op\":\"Read\",\"value\":1}]",
             "blkio v1 lines, omitempty like runc");
        free(s);

        json_t *b, *i;
        cg_stats_io_v2("8:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n253:1 rbytes=0 wbytes=7 rios=0 wios=1\n",
                       &b, &i);
        s = dump(b);
        EQ_S(s, "[{\"major\":8,\"op\":\"Read\",\"value\":100},{\"major\":8,\"op\":\"Write\",\"value\":200},"
                "{\"major\":253,\"minor\":1,\"op\":\"Read\"},{\"major\":253,\"minor\":1,\"op\":\"Write\",\"value\":7}]",
             "io.stat bytes");
        free(s);
        s = dump(i);
        EQ_S(s, "[{\"major\":8,\"op\":\"Read\",\"value\":3},{\"major\":8,\"op\":\"Write\",\"value\":4},"
                "{\"major\":253,\"minor\":1,\"op\":\"Read\"},{\"major\":253,\"minor\":1,\"op\":\"Write\",\"value\":1}]",
             "io.stat ios");
        free(s);

        s = dump(cg_stats_raw("anon 1024\nfile 2048\nkernel_stack 16384\n"));
        EQ_S(s, "{\"anon\":1024,\"file\":2048,\"kernel_stack\":16384}", "memory.stat -> raw");
        free(s);
        s = dump(cg_stats_percpu("123 456 0 \n"));
        EQ_S(s, "[123,456,0]", "usage_percpu");
        free(s);

        const char *cpu_stat = "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\n"
                               "nr_throttled 2\nthrottled_usec 300\n";
        uint64_t v = 0;
        OK(cg_kv_get(cpu_stat, "usage_usec", &v) == 0 && v == 1500, "usage_usec");
        OK(cg_kv_get(cpu_stat, "throttled_usec", &v) == 0 && v == 300, "throttled_usec");
        OK(cg_kv_get(cpu_stat, "usage", &v) == -ENOENT, "prefix of a key is not the key");
        OK(cg_kv_get("low 0\nhigh 0\nmax 5\noom 1\noom_kill 3\n", "oom_kill", &v) == 0 && v == 3,
           "memory.events oom_kill");
        OK(cg_kv_get("under_oom 0\noom_kill_disable 0\noom_kill 2\n", "oom_kill", &v) == 0 && v == 2,
           "v1 memory.oom_control oom_kill");
        OK(cg_kv_get("populated 1\nfrozen 1\n", "frozen", &v) == 0 && v == 1, "cgroup.events frozen");
        OK(cg_kv_get("x max\n", "x", &v) == 0 && v == UINT64_MAX, "max");
        return tap_done();
}
