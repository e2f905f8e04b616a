/* Determinism: the same trace twice, equal things inserted in other orders,
 * and a snapshot round trip give the same decisions and the same state hash. */
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"

static uint64_t lcg;
static unsigned rnd(unsigned n)
{
        lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
        return (unsigned)((lcg >> 33) % n);
}

/* A trace with 40 nodes (some with GPUs) and 600 jobs; `variant` permutes
 * the order of equal things: nodes at t=0, GPUs and labels inside a node,
 * jobs submitted at the same instant. */
static char *make_trace(int variant)
{
        size_t cap = 1 << 20, o = 0;
        char *b = malloc(cap);
        int order[40];
        for (int i = 0; i < 40; i++)
                order[i] = variant ? 39 - i : i;
        for (int k = 0; k < 40; k++) {
                int i = order[k];
                o += snprintf(b + o, cap - o, "{\"type\":\"node\",\"t\":0,\"id\":\"n%02d\",\"labels\":%s,"
                              "\"capacity\":{\"cpu\":32000,\"memory\":137438953472}", i,
                              variant ? "{\"zone\":\"z1\",\"rack\":\"r1\"}" : "{\"rack\":\"r1\",\"zone\":\"z1\"}");
                if (i % 2 == 0) {
                        o += snprintf(b + o, cap - o, ",\"gpus\":[");
                        for (int q = 0; q < 4; q++) {
                                int g = variant ? 3 - q : q;
                                o += snprintf(b + o, cap - o, "%s{\"uuid\":\"GPU-%02d-%d\",\"model\":\"A100\","
                                              "\"memory\":85899345920,\"numa\":0,\"nvlink\":[\"GPU-%02d-%d\"]}",
                                              q ? "," : "", i, g, i, g ^ 1);
                        }
                        o += snprintf(b + o, cap - o, "]");
                }
                o += snprintf(b + o, cap - o, "}\n");
        }
        lcg = 42;
        int t = 0;
        for (int j = 0; j < 600; j += 4) {
                t += 1 + (int)rnd(3);
                int idx[4] = {0, 1, 2, 3};
                if (variant) {
                        idx[0] = 2, idx[1] = 0, idx[2] = 3, idx[3] = 1;
                }
                unsigned r[4][5];
                for (int k = 0; k < 4; k++)
                        for (int q = 0; q < 5; q++)
                                r[k][q] = rnd(1000);
                for (int k = 0; k < 4; k++) {
                        int id = j + idx[k];
                        unsigned *x = r[idx[k]];
                        o += snprintf(b + o, cap - o, "{\"type\":\"submit\",\"t\":%d,\"id\":\"j%04d\",\"priority\":%u,"
                                      "\"cpu\":%u,\"memory\":%llu,\"gpus\":%u,\"tasks\":%u,\"duration\":%u}\n",
                                      t, id, x[0] % 3 * 100, 1000 + x[1] % 8 * 1000,
                                      (unsigned long long)(1 + x[2] % 16) << 30, x[3] % 4 == 0 ? 1 + x[3] % 3 : 0,
                                      x[4] % 10 == 0 ? 2 : 1, 50 + x[4] % 400);
                }
        }
        b[o] = 0;
        return b;
}

static sched_sim_result simulate(const char *text, sched_state **ret)
{
        sched_trace t = {0};
        cella_error *e = NULL;
        if (sched_trace_parse("gen", text, strlen(text), &t, &e) < 0)
                die("parse", e);
        sched_sim_opts o = {0};
        sched_config_default(&o.cfg);
        sched_sim_result r;
        if (sched_simulate(&t, &o, ret, &r, &e) < 0)
                die("simulate", e);
        sched_trace_free(&t);
        return r;
}

int main(void)
{
        char *a = make_trace(0), *b = make_trace(1);
        ok(strcmp(a, b) != 0, "the two traces differ in the order of equal things");
        sched_sim_result r1 = simulate(a, NULL), r2 = simulate(a, NULL), r3 = simulate(b, NULL);
        ok(r1.placed > 300 && r1.evictions > 0, "the trace exercises placement and preemption (%llu placed, %llu evicted)",
           (unsigned long long)r1.placed, (unsigned long long)r1.evictions);
        ok(r1.digest == r2.digest && streq(r1.hash, r2.hash), "same trace twice: same decisions and state hash");
        ok(r1.digest == r3.digest && streq(r1.hash, r3.hash),
           "other insertion order of equal things: same decisions (%016llx vs %016llx) and hash",
           (unsigned long long)r1.digest, (unsigned long long)r3.digest);

        /* Mid-run states: cut the trace after 300 lines, compare, then snapshot round trip. */
        char *cut = strdup(a);
        char *p = cut;
        for (int i = 0; i < 300 && p; i++)
                p = strchr(p + 1, '\n');
        if (p)
                p[1] = 0;
        sched_state *s1 = NULL, *s2 = NULL;
        simulate(cut, &s1);
        char h1[65], h2[65];
        hash_of(s1, h1);
        json_t *snap = sched_state_to_json(s1);
        cella_error *e = NULL;
        if (sched_state_from_json(sched_get_config(s1), snap, &s2, &e) < 0)
                die("from_json", e);
        json_decref(snap);
        hash_of(s2, h2);
        ok(streq(h1, h2), "snapshot round trip keeps the hash");
        /* Both continue with the same events: same outcome. */
        const char *more = "{\"type\":\"submit\",\"id\":\"late1\",\"priority\":200,\"cpu\":30000,\"memory\":1073741824}\n"
                           "{\"type\":\"submit\",\"id\":\"late2\",\"cpu\":500,\"memory\":1073741824,\"gpus\":2}\n"
                           "{\"type\":\"schedule\"}\n";
        feed(s1, more);
        feed(s2, more);
        hash_of(s1, h1);
        hash_of(s2, h2);
        ok(streq(h1, h2), "a restored snapshot makes the same next decisions");

        /* Another process computes the same hash. */
        int fd[2];
        if (pipe(fd) < 0)
                die("pipe", NULL);
        pid_t pid = fork();
        if (pid == 0) {
                sched_state *c = NULL;
                char hc[65];
                close(fd[0]);
                simulate(a, &c);
                hash_of(c, hc);
                if (write(fd[1], hc, 64) != 64)
                        _exit(1);
                _exit(0);
        }
        close(fd[1]);
        char hc[65] = "";
        ssize_t n = read(fd[0], hc, 64);
        hc[n > 0 ? n : 0] = 0;
        close(fd[0]);
        int st;
        waitpid(pid, &st, 0);
        ok(streq(hc, r1.hash), "another process: same hash");
        sched_state_free(s1);
        sched_state_free(s2);
        free(cut);
        free(a);
        free(b);
        return tap_done();
}
