/* Synthetic workload traces for cella-sched (JSON lines, docs/sched.md).
 *
 * Identical nodes (64 cores, 512 GiB, 8 GPUs in two NVLink groups of four,
 * one NUMA node per group). Jobs: 60% CPU-only (half CPU-heavy, half
 * memory-heavy), 40% GPU (1, 2, 4 or 8 GPUs;
 * some 8-GPU jobs are gangs of 2-4 tasks), three priorities (0, 100, 200),
 * Pareto-tailed durations, Poisson arrivals sized so that the mean demand is
 * L (default 0.75) of the scarcest resource; a few jobs are cancelled. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "genlib.h"

static uint64_t rng_state;

static uint64_t next_u64(void)
{
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);   /* splitmix64 */
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static double uniform(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }

#define GIB (1024LL * 1024 * 1024)
#define NODE_CPU 64000LL
#define NODE_MEM (512 * GIB)
#define NODE_GPU 8

typedef struct job {
        int64_t cpu, mem;
        int gpus, tasks, prio;
        double dur;
} job;

static void make_job(job *j)
{
        double u = uniform();
        j->tasks = 1;
        if (u < 0.6) {
                static const int64_t cpus[] = {1000, 2000, 4000, 8000, 16000, 32000};
                static const double cw[] = {0.1, 0.2, 0.25, 0.2, 0.15, 0.1};
                double x = uniform(), acc = 0;
                size_t k = 0;
                for (; k < 5; k++) {
                        acc += cw[k];
                        if (x < acc)
                                break;
                }
                j->cpu = cpus[k];
                j->gpus = 0;
                /* half CPU-heavy (1-2 GiB per core), half memory-heavy (8-16 GiB per core),
                 * in 256 MiB steps: the two pull a node's shape in opposite directions */
                double per_core = uniform() < 0.5 ? 1.0 + uniform() : 8.0 + 8.0 * uniform();
                int64_t m = (int64_t)((double)j->cpu / 1000.0 * per_core * 4) * GIB / 4;
                j->mem = m < GIB / 4 ? GIB / 4 : m;
        } else {
                double x = uniform();
                j->gpus = x < 0.4 ? 1 : x < 0.65 ? 2 : x < 0.85 ? 4 : 8;
                j->cpu = (int64_t)j->gpus * (5000 + 1000 * (int64_t)(uniform() * 4));
                j->mem = (int64_t)j->gpus * (32 + 8 * (int64_t)(uniform() * 4)) * GIB;
                if (j->gpus == 8 && uniform() < 0.2)
                        j->tasks = 2 + (int)(uniform() * 3);
        }
        double p = uniform();
        j->prio = p < 0.6 ? 0 : p < 0.9 ? 100 : 200;
        /* Pareto, alpha 1.5, minimum 60 s, capped at 8 h */
        double d = 60.0 / pow(1.0 - uniform(), 1.0 / 1.5);
        j->dur = d > 28800 ? 28800 : floor(d);
}

int sched_gen_write(FILE *f, long nodes, long jobs, uint64_t seed, double load)
{
        rng_state = seed;
        job *js = calloc((size_t)jobs, sizeof(*js));
        if (!js)
                return -ENOMEM;
        double dem[3] = {0};
        for (long i = 0; i < jobs; i++) {
                make_job(&js[i]);
                dem[0] += (double)js[i].cpu * js[i].tasks * js[i].dur / NODE_CPU;
                dem[1] += (double)js[i].mem * js[i].tasks * js[i].dur / NODE_MEM;
                dem[2] += (double)js[i].gpus * js[i].tasks * js[i].dur / NODE_GPU;
        }
        /* Arrival rate: mean concurrent demand = rate * E[size * duration] = load * nodes. */
        double worst = fmax(dem[0], fmax(dem[1], dem[2])) / (double)jobs;
        double rate = load * (double)nodes / worst;
        for (long n = 0; n < nodes; n++) {
                fprintf(f, "{\"type\":\"node\",\"t\":0,\"id\":\"n%06ld\",\"labels\":{\"rack\":\"r%03ld\"},"
                       "\"capacity\":{\"cpu\":%lld,\"memory\":%lld,\"pids\":65536},\"gpus\":[",
                       n, n / 40, NODE_CPU, NODE_MEM);
                for (int g = 0; g < NODE_GPU; g++) {
                        int base = g < 4 ? 0 : 4;
                        fprintf(f, "%s{\"uuid\":\"GPU-%06ld-%d\",\"model\":\"H200\",\"memory\":%lld,\"numa\":%d,\"nvlink\":[",
                               g ? "," : "", n, g, 141 * GIB, g / 4);
                        int first = 1;
                        for (int p = base; p < base + 4; p++)
                                if (p != g) {
                                        fprintf(f, "%s\"GPU-%06ld-%d\"", first ? "" : ",", n, p);
                                        first = 0;
                                }
                        fprintf(f, "]}");
                }
                fprintf(f, "]}\n");
        }
        double t = 0;
        for (long i = 0; i < jobs; i++) {
                t += -log(1.0 - uniform()) / rate;
                double ts = floor(t);   /* whole seconds: many jobs share an instant */
                const job *j = &js[i];
                fprintf(f, "{\"type\":\"submit\",\"t\":%.0f,\"id\":\"j%07ld\",\"tenant\":\"t%ld\",\"priority\":%d,"
                       "\"cpu\":%lld,\"memory\":%lld,\"gpus\":%d,\"tasks\":%d,\"duration\":%.0f}\n",
                       ts, i, i % 7, j->prio, (long long)j->cpu, (long long)j->mem, j->gpus, j->tasks, j->dur);
                if (i > 100 && uniform() < 0.005)
                        fprintf(f, "{\"type\":\"cancel\",\"t\":%.0f,\"id\":\"j%07ld\"}\n", ts,
                               i - 1 - (long)(uniform() * 100));
        }
        free(js);
        return ferror(f) ? -EIO : 0;
}
