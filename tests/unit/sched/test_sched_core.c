/* Placement, queue, preemption, gangs, GPUs, anti-starvation. */
#include "tap.h"

#define CPU_NODE(id, cpu, mem) "{\"type\":\"node\",\"id\":\"" id "\",\"capacity\":{\"cpu\":" #cpu ",\"memory\":" #mem "}}\n"
#define JOB(id, prio, cpu, mem) \
        "{\"type\":\"submit\",\"id\":\"" id "\",\"priority\":" #prio ",\"cpu\":" #cpu ",\"memory\":" #mem "}\n"
#define SCHED "{\"type\":\"schedule\"}\n"

/* A node with 8 GPUs in two NVLink groups of four (0-3 NUMA 0, 4-7 NUMA 1). */
static char *gpu_node(const char *id, bool shuffled)
{
        char *buf = malloc(8192);
        int o = snprintf(buf, 8192, "{\"type\":\"node\",\"id\":\"%s\",\"capacity\":{\"cpu\":64000,\"memory\":549755813888},"
                                    "\"gpus\":[", id);
        for (int k = 0; k < 8; k++) {
                int g = shuffled ? 7 - k : k, base = g < 4 ? 0 : 4;
                o += snprintf(buf + o, 8192 - o, "%s{\"uuid\":\"GPU-%s-%d\",\"model\":\"H200\",\"memory\":151397597184,"
                                                 "\"numa\":%d,\"nvlink\":[", k ? "," : "", id, g, g / 4);
                for (int p = base, first = 1; p < base + 4; p++)
                        if (p != g) {
                                o += snprintf(buf + o, 8192 - o, "%s\"GPU-%s-%d\"", first ? "" : ",", id, p);
                                first = 0;
                        }
                o += snprintf(buf + o, 8192 - o, "]}");
        }
        snprintf(buf + o, 8192 - o, "]}\n");
        return buf;
}

static void gpus_of(sched_state *s, const char *job, char *out, size_t n)
{
        const char *node, *g[SCHED_MAX_NODE_GPUS];
        unsigned ng = 0;
        char cs[64];
        out[0] = 0;
        if (sched_job_task(s, job, 0, &node, g, &ng, cs) < 0)
                return;
        for (unsigned i = 0; i < ng; i++) {
                const char *d = strrchr(g[i], '-');
                size_t l = strlen(out);
                snprintf(out + l, n - l, "%s", d + 1);
        }
}

static void test_no_hol_blocking(void)
{
        sched_state *s = new_state(NULL);
        feed(s, CPU_NODE("n1", 4000, 8589934592) JOB("big", 100, 8000, 1073741824) JOB("small", 0, 1000, 1073741824) SCHED);
        ok(state_of(s, "big") == SCHED_PENDING, "a job that fits nowhere stays pending");
        ok(state_of(s, "small") == SCHED_SCHEDULED, "a smaller, lower-priority job behind it is placed (no head-of-line blocking)");
        sched_state_free(s);
}

static void test_binpack_and_ties(void)
{
        sched_state *s = new_state(NULL);
        /* n2 is half full: binpack puts the next job there; empty twins tie -> smallest id */
        feed(s, CPU_NODE("n3", 8000, 8589934592) CPU_NODE("n1", 8000, 8589934592) CPU_NODE("n2", 8000, 8589934592)
                JOB("a", 0, 4000, 4294967296) SCHED);
        ok(streq(node_of(s, "a", 0), "n1"), "ties between identical empty nodes go to the smallest id (got %s)", node_of(s, "a", 0));
        feed(s, JOB("b", 0, 2000, 2147483648) SCHED);
        ok(streq(node_of(s, "b", 0), "n1"), "binpack: next job to the most allocated node (got %s)", node_of(s, "b", 0));
        sched_state_free(s);
        sched_state *sp = new_state(NULL);
        sched_state_free(sp);
}

static void spread_cfg(sched_config *c) { c->policy = SCHED_SPREAD; }
static void firstfit_cfg(sched_config *c) { c->policy = SCHED_FIRSTFIT; }

static void test_policies(void)
{
        sched_state *s = new_state(spread_cfg);
        feed(s, CPU_NODE("n1", 8000, 8589934592) CPU_NODE("n2", 8000, 8589934592) JOB("a", 0, 2000, 1073741824)
                JOB("b", 0, 2000, 1073741824) SCHED);
        ok(!streq(node_of(s, "a", 0), node_of(s, "b", 0)), "spread: two jobs on two nodes");
        sched_state_free(s);
        s = new_state(firstfit_cfg);
        feed(s, CPU_NODE("n2", 8000, 8589934592) CPU_NODE("n1", 16000, 8589934592) JOB("a", 0, 2000, 1073741824)
                JOB("b", 0, 2000, 1073741824) SCHED);
        ok(streq(node_of(s, "a", 0), "n1") && streq(node_of(s, "b", 0), "n1"), "firstfit: lowest node id that fits");
        sched_state_free(s);
}

static void test_gang(void)
{
        sched_state *s = new_state(NULL);
        char *n1 = gpu_node("g1", false), *n2 = gpu_node("g2", false);
        feed(s, n1);
        feed(s, n2);
        feed(s, "{\"type\":\"submit\",\"id\":\"gang3\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":8,\"tasks\":3}\n" SCHED);
        sched_job_info inf;
        sched_job_status(s, "gang3", &inf);
        ok(inf.state == SCHED_PENDING && inf.ntasks_placed == 0, "gang of 3 whole-node tasks on 2 nodes: none placed");
        feed(s, "{\"type\":\"submit\",\"id\":\"one\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":8}\n"
                "{\"type\":\"submit\",\"id\":\"two\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":8}\n" SCHED);
        ok(state_of(s, "one") == SCHED_SCHEDULED && state_of(s, "two") == SCHED_SCHEDULED,
           "the failed gang left every GPU free for the jobs behind it");
        feed(s, "{\"type\":\"cancel\",\"id\":\"one\"}\n{\"type\":\"cancel\",\"id\":\"two\"}\n{\"type\":\"cancel\",\"id\":\"gang3\"}\n"
                "{\"type\":\"submit\",\"id\":\"gang2\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":8,\"tasks\":2}\n" SCHED);
        sched_job_status(s, "gang2", &inf);
        ok(inf.state == SCHED_SCHEDULED && inf.ntasks_placed == 2 && !streq(node_of(s, "gang2", 0), node_of(s, "gang2", 1)),
           "gang of 2 placed whole, one task per node");
        free(n1);
        free(n2);
        sched_state_free(s);
}

static void test_preemption(void)
{
        sched_state *s = new_state(NULL);
        /* nA: one priority-0 job fills it; nB: two priority-0 jobs fill it. */
        feed(s, CPU_NODE("nA", 8000, 8589934592) CPU_NODE("nB", 8000, 8589934592) JOB("a1", 0, 8000, 1073741824)
                SCHED JOB("b1", 0, 4000, 1073741824) JOB("b2", 0, 4000, 1073741824) SCHED);
        ok(streq(node_of(s, "a1", 0), "nA") && streq(node_of(s, "b1", 0), "nB"), "setup");
        feed(s, JOB("hi", 100, 6000, 1073741824) SCHED);
        sched_job_info inf;
        sched_job_status(s, "a1", &inf);
        ok(state_of(s, "hi") == SCHED_SCHEDULED && streq(node_of(s, "hi", 0), "nA"), "high priority job placed on nA");
        ok(inf.state == SCHED_PENDING && inf.preemptions == 1, "fewest victims: the one job on nA was evicted, back to PENDING");
        ok(state_of(s, "b1") == SCHED_SCHEDULED && state_of(s, "b2") == SCHED_SCHEDULED, "nB's two jobs were left alone");
        sched_state_free(s);

        /* nA: one priority-50 job; nB: two priority-0 jobs. Lower priority wins over fewer. */
        s = new_state(NULL);
        feed(s, CPU_NODE("nA", 8000, 8589934592) CPU_NODE("nB", 8000, 8589934592)
                "{\"type\":\"submit\",\"id\":\"mid\",\"priority\":50,\"cpu\":8000,\"memory\":1073741824,\"selector\":{}}\n"
                SCHED JOB("b1", 0, 4000, 1073741824) JOB("b2", 0, 4000, 1073741824) SCHED);
        feed(s, JOB("hi", 100, 6000, 1073741824) SCHED);
        ok(streq(node_of(s, "hi", 0), "nB") && state_of(s, "mid") == SCHED_SCHEDULED,
           "lowest priority victims: the two priority-0 jobs, not the priority-50 one");
        ok(state_of(s, "b1") == SCHED_PENDING && state_of(s, "b2") == SCHED_PENDING, "both evicted to PENDING");
        /* Only as many as needed: a 4-core job at priority 100 needs one of them back... */
        sched_stats st;
        sched_get_stats(s, &st);
        ok(st.preemptions == 2, "two preemptions counted (%llu)", (unsigned long long)st.preemptions);
        sched_state_free(s);

        /* Minimal victim set: evict one of two when one is enough; the larger goes first. */
        s = new_state(NULL);
        feed(s, CPU_NODE("n1", 8000, 8589934592) JOB("small", 0, 2000, 1073741824) JOB("large", 0, 6000, 1073741824)
                SCHED JOB("hi", 100, 5000, 1073741824) SCHED);
        ok(state_of(s, "large") == SCHED_PENDING && state_of(s, "small") == SCHED_SCHEDULED,
           "one victim (the larger) is enough; the smaller stays");
        sched_state_free(s);

        /* No preemption among equals. */
        s = new_state(NULL);
        feed(s, CPU_NODE("n1", 8000, 8589934592) JOB("x", 100, 8000, 1073741824) SCHED JOB("y", 100, 8000, 1073741824) SCHED);
        ok(state_of(s, "x") == SCHED_SCHEDULED && state_of(s, "y") == SCHED_PENDING, "equal priority never preempts");
        sched_state_free(s);
}

static void starve_cfg(sched_config *c) { c->starve_passes = 3; }
static void nostarve_cfg(sched_config *c) { c->starve_passes = UINT32_MAX; }

/* One 4-core node kept busy by a stream of 1-core jobs; a 4-core job waits. */
static int rounds_until_big(void (*cfg)(sched_config *))
{
        sched_state *s = new_state(cfg);
        char buf[512];
        feed(s, CPU_NODE("n1", 4000, 8589934592));
        for (int i = 0; i < 4; i++) {
                snprintf(buf, sizeof(buf), JOB("s%d", 0, 1000, 1073741824), i);
                feed(s, buf);
        }
        feed(s, SCHED JOB("big", 0, 4000, 1073741824) SCHED);
        int next = 4, found = -1;
        for (int round = 0; round < 60 && found < 0; round++) {
                /* the oldest running small job finishes, a new one arrives */
                for (int k = 0; k < next; k++) {
                        snprintf(buf, sizeof(buf), "s%d", k);
                        if (state_of(s, buf) == SCHED_SCHEDULED) {
                                snprintf(buf, sizeof(buf), "{\"type\":\"finish\",\"id\":\"s%d\"}\n", k);
                                feed(s, buf);
                                break;
                        }
                }
                snprintf(buf, sizeof(buf), JOB("s%d", 0, 1000, 1073741824) SCHED, next++);
                feed(s, buf);
                if (state_of(s, "big") == SCHED_SCHEDULED)
                        found = round;
        }
        sched_state_free(s);
        return found;
}

static void test_anti_starvation(void)
{
        int without = rounds_until_big(nostarve_cfg);
        int with = rounds_until_big(starve_cfg);
        ok(without < 0, "without reservations a stream of small jobs starves the big one (%d)", without);
        ok(with >= 0 && with <= 3 + 4 + 1, "with starve_passes=3 the big job is placed after %d rounds", with);
}

static void test_nvlink(void)
{
        sched_state *s = new_state(NULL);
        char *n = gpu_node("g1", true);
        feed(s, n);
        char g[64];
        feed(s, "{\"type\":\"submit\",\"id\":\"two\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":2}\n" SCHED);
        gpus_of(s, "two", g, sizeof(g));
        ok(streq(g, "01"), "2 GPUs inside one NVLink group and NUMA node (got %s)", g);
        feed(s, "{\"type\":\"submit\",\"id\":\"two2\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":2}\n" SCHED);
        gpus_of(s, "two2", g, sizeof(g));
        ok(streq(g, "23"), "the next 2 fill the same group, keeping the other whole (got %s)", g);
        feed(s, "{\"type\":\"submit\",\"id\":\"four\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":4}\n" SCHED);
        gpus_of(s, "four", g, sizeof(g));
        ok(streq(g, "4567"), "a 4-GPU job gets the whole free group (got %s)", g);
        sched_state_free(s);

        /* Across nodes: a 2-GPU job goes where a group is already broken. */
        s = new_state(NULL);
        char *a = gpu_node("ga", false), *b = gpu_node("gb", false);
        feed(s, a);
        feed(s, b);
        feed(s, "{\"type\":\"submit\",\"id\":\"x\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":6}\n" SCHED
                "{\"type\":\"submit\",\"id\":\"y\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":2}\n" SCHED);
        gpus_of(s, "x", g, sizeof(g));
        ok(strlen(g) == 6, "6 GPUs span two groups when they must (%s)", g);
        ok(streq(node_of(s, "y", 0), node_of(s, "x", 0)), "the 2-GPU job joins the broken node, keeping %s whole",
           streq(node_of(s, "x", 0), "ga") ? "gb" : "ga");
        free(a);
        free(b);
        free(n);
        sched_state_free(s);
}

static void test_cpuset_and_constraints(void)
{
        sched_state *s = new_state(NULL);
        feed(s, "{\"type\":\"node\",\"id\":\"n1\",\"labels\":{\"zone\":\"a\"},\"capacity\":{\"cpu\":8000,\"memory\":8589934592}}\n"
                "{\"type\":\"node\",\"id\":\"n2\",\"labels\":{\"zone\":\"b\"},\"capacity\":{\"cpu\":8000,\"memory\":8589934592}}\n"
                "{\"type\":\"submit\",\"id\":\"c1\",\"cpu\":2000,\"memory\":1,\"cpuset\":true,\"selector\":{\"zone\":\"b\"}}\n"
                "{\"type\":\"submit\",\"id\":\"c2\",\"cpu\":3000,\"memory\":1,\"cpuset\":true,\"selector\":{\"zone\":\"b\"}}\n"
                "{\"type\":\"submit\",\"id\":\"z\",\"cpu\":1000,\"memory\":1,\"selector\":{\"zone\":\"c\"}}\n"
                "{\"type\":\"submit\",\"id\":\"m\",\"cpu\":1000,\"memory\":1,\"gpus\":1}\n" SCHED);
        const char *node, *g[SCHED_MAX_NODE_GPUS];
        unsigned ng;
        char cs1[64] = "", cs2[64] = "";
        sched_job_task(s, "c1", 0, &node, g, &ng, cs1);
        ok(streq(node, "n2"), "label selector honoured");
        sched_job_task(s, "c2", 0, &node, g, &ng, cs2);
        ok(streq(cs1, "0-1") && streq(cs2, "2-4"), "CPU sets: %s and %s", cs1, cs2);
        ok(state_of(s, "z") == SCHED_PENDING && state_of(s, "m") == SCHED_PENDING,
           "no node with zone=c, no node with GPUs: both pending");
        /* Node removal puts its jobs back in the queue. */
        feed(s, "{\"type\":\"node_remove\",\"id\":\"n2\"}\n");
        ok(state_of(s, "c1") == SCHED_PENDING && state_of(s, "c2") == SCHED_PENDING, "removing a node requeues its jobs");
        cella_error *e = NULL;
        ok(feed_try(s, "{\"type\":\"start\",\"id\":\"c1\"}\n", &e) == -EINVAL && e && strstr(e->msg, "PENDING"),
           "illegal transition refused: %s", e ? e->msg : "");
        err_free(e);
        sched_state_free(s);
}

/* A node line with the GPUs in mask (groups 0-3 and 4-7, peers inside a group). */
static void node_line(char *buf, size_t cap, const char *type, const char *id, int cpu, unsigned mask)
{
        size_t o = (size_t)snprintf(buf, cap, "{\"type\":\"%s\",\"id\":\"%s\",\"capacity\":{\"cpu\":%d,"
                                    "\"memory\":549755813888},\"gpus\":[", type, id, cpu);
        bool first = true;
        for (int g = 0; g < 8; g++) {
                if (!(mask & (1u << g)))
                        continue;
                o += (size_t)snprintf(buf + o, cap - o, "%s{\"uuid\":\"GPU-%s-%d\",\"model\":\"H200\",\"memory\":1,"
                                      "\"numa\":%d,\"nvlink\":[", first ? "" : ",", id, g, g / 4);
                first = false;
                bool pf = true;
                for (int p = g / 4 * 4; p < g / 4 * 4 + 4; p++)
                        if (p != g && (mask & (1u << p))) {
                                o += (size_t)snprintf(buf + o, cap - o, "%s\"GPU-%s-%d\"", pf ? "" : ",", id, p);
                                pf = false;
                        }
                o += (size_t)snprintf(buf + o, cap - o, "]}");
        }
        snprintf(buf + o, cap - o, "]}\n");
}

static void test_node_update(void)
{
        sched_state *s = new_state(NULL);
        char line[8192], g[64];
        node_line(line, sizeof(line), "node", "g1", 64000, 0xff);
        feed(s, line);
        feed(s, "{\"type\":\"submit\",\"id\":\"cpu\",\"cpu\":30000,\"memory\":1073741824}\n"
                "{\"type\":\"submit\",\"id\":\"gpu\",\"cpu\":1000,\"memory\":1073741824,\"gpus\":2}\n" SCHED);
        gpus_of(s, "gpu", g, sizeof(g));
        /* 16 cores and GPUs 0-3 only: both jobs keep their places (they hold GPUs 0 and 1). */
        node_line(line, sizeof(line), "node_update", "g1", 16000, 0x0f);
        feed(s, line);
        ok(streq(g, "01") && state_of(s, "cpu") == SCHED_SCHEDULED && state_of(s, "gpu") == SCHED_SCHEDULED,
           "node_update keeps jobs whose GPUs still exist, even when CPU is now overcommitted");
        feed(s, "{\"type\":\"submit\",\"id\":\"more\",\"cpu\":1000,\"memory\":1}\n" SCHED);
        ok(state_of(s, "more") == SCHED_PENDING, "an overcommitted node takes nothing new until it drains");
        /* GPU 0 goes away: the GPU job is evicted back to the queue. */
        node_line(line, sizeof(line), "node_update", "g1", 64000, 0x0e);
        feed(s, line);
        ok(state_of(s, "gpu") == SCHED_PENDING && state_of(s, "cpu") == SCHED_SCHEDULED,
           "a job whose GPU vanished is evicted back to the queue");
        feed(s, SCHED);
        gpus_of(s, "gpu", g, sizeof(g));
        ok(state_of(s, "gpu") == SCHED_SCHEDULED && state_of(s, "more") == SCHED_SCHEDULED && strlen(g) == 2,
           "after the update both run again (GPUs %s)", g);
        sched_state_free(s);
}

int main(void)
{
        test_node_update();
        test_no_hol_blocking();
        test_binpack_and_ties();
        test_policies();
        test_gang();
        test_preemption();
        test_anti_starvation();
        test_nvlink();
        test_cpuset_and_constraints();
        return tap_done();
}
