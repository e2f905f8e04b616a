/* cella-sched: the real scheduler run offline, against traces and logs. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/fileio.h"
#include "base/json.h"
#include "sched/sched-log.h"
#include "sched/sched.h"

#define TRACE_MAX_BYTES ((size_t)4 << 30)

int cmd_node_info(int argc, char **argv);

/* A non-negative integer option, or -1 after saying what is wrong. */
static long long num_arg(const char *opt, const char *v, long long max)
{
        char *end = NULL;
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (errno || !end || *end || end == v || x < 0 || x > max) {
                fprintf(stderr, "cella-sched: --%s: expected an integer in [0, %lld], got \"%s\"\n", opt, max, v);
                return -1;
        }
        return x;
}

static void usage(FILE *f)
{
        fputs("usage: cella-sched simulate TRACE [--policy binpack|spread|firstfit] [--nodes N]\n"
              "                            [--no-preemption] [--weights CPU,MEM,GPU,STRAND] [--search-budget N]\n"
              "                            [--log LOG [--snapshot-every N]] [--json]\n"
              "       cella-sched replay LOG [--no-snapshots] [--json]\n"
              "       cella-sched compact TRACE [--policy P] [--json]\n"
              "       cella-sched node-info [--nvml PATH] [--id ID]\n", f);
}

static int fail(cella_error *e)
{
        fprintf(stderr, "cella-sched: %s\n", e && e->msg ? e->msg : "error");
        err_free(e);
        return 1;
}

static int load_trace(const char *path, sched_trace *ret, cella_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, path, TRACE_MAX_BYTES, &buf, &len);
        if (r < 0)
                return err_set(err, -r, "read %s", path);
        return sched_trace_parse(path, buf, len, ret, err);
}

static int64_t mono_ns(void *ud)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct opts {
        sched_config cfg;
        size_t nodes;
        const char *log;
        uint64_t snap_every;
        bool json, no_snapshots;
} opts;

static int parse_opts(int argc, char **argv, opts *o)
{
        enum { O_POLICY = 256, O_NODES, O_NOPRE, O_WEIGHTS, O_LOG, O_SNAP, O_JSON, O_NOSNAP, O_BUDGET };
        static const struct option lo[] = {
                {"policy", required_argument, NULL, O_POLICY}, {"nodes", required_argument, NULL, O_NODES},
                {"no-preemption", no_argument, NULL, O_NOPRE}, {"weights", required_argument, NULL, O_WEIGHTS},
                {"log", required_argument, NULL, O_LOG}, {"snapshot-every", required_argument, NULL, O_SNAP},
                {"json", no_argument, NULL, O_JSON}, {"no-snapshots", no_argument, NULL, O_NOSNAP},
                {"search-budget", required_argument, NULL, O_BUDGET}, {"help", no_argument, NULL, 'h'}, {0},
        };
        sched_config_default(&o->cfg);
        o->snap_every = 10000;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
                long long a, b, d, e;
                switch (c) {
                case O_POLICY:
                        if (sched_policy_from_name(optarg, &o->cfg.policy) < 0) {
                                fprintf(stderr, "cella-sched: --policy: unknown policy \"%s\"\n", optarg);
                                return -1;
                        }
                        break;
                case O_NODES:
                        if ((a = num_arg("nodes", optarg, SCHED_MAX_NODES)) < 0)
                                return -1;
                        o->nodes = (size_t)a;
                        break;
                case O_NOPRE:
                        o->cfg.preemption = false;
                        break;
                case O_WEIGHTS:
                        if (sscanf(optarg, "%lld,%lld,%lld,%lld", &a, &b, &d, &e) != 4 || a < 0 || b < 0 || d < 0 ||
                            e < 0 || a > 1000 || b > 1000 || d > 1000 || e > 1000) {
                                fprintf(stderr, "cella-sched: --weights: expected CPU,MEM,GPU,STRAND in [0, 1000]\n");
                                return -1;
                        }
                        o->cfg.w_cpu = a, o->cfg.w_mem = b, o->cfg.w_gpu = d, o->cfg.w_strand = e;
                        break;
                case O_LOG:
                        o->log = optarg;
                        break;
                case O_SNAP:
                        if ((a = num_arg("snapshot-every", optarg, 1LL << 40)) < 0)
                                return -1;
                        o->snap_every = (uint64_t)a;
                        break;
                case O_BUDGET:
                        if ((a = num_arg("search-budget", optarg, UINT32_MAX)) < 0)
                                return -1;
                        o->cfg.search_budget = (uint32_t)a;
                        break;
                case O_JSON:
                        o->json = true;
                        break;
                case O_NOSNAP:
                        o->no_snapshots = true;
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        return -1;
                }
        }
        return optind;
}

static void pct(const char *name, const double v[SCHED_NRES])
{
        printf("%-12s cpu %.1f%%  memory %.1f%%  gpu %.1f%%\n", name, 100 * v[SCHED_CPU], 100 * v[SCHED_MEM],
               100 * v[SCHED_GPU]);
}

static int cmd_simulate(int argc, char **argv)
{
        opts o = {0};
        int i = parse_opts(argc, argv, &o);
        if (i < 0 || i + 1 != argc) {
                usage(stderr);
                return 2;
        }
        cella_error *e = NULL;
        sched_trace t = {0};
        if (load_trace(argv[i], &t, &e) < 0)
                return fail(e);
        _cleanup_sched_log_ sched_log *log = NULL;
        sched_sim_opts so = {.cfg = o.cfg, .max_nodes = o.nodes, .now_ns = mono_ns};
        if (o.log) {
                if (sched_log_create(o.log, &o.cfg, &log, &e) < 0) {
                        sched_trace_free(&t);
                        return fail(e);
                }
                sched_log_set_snapshot_every(log, o.snap_every);
                so.record = sched_log_record;
                so.record_ud = log;
        }
        sched_sim_result r;
        _cleanup_sched_state_ sched_state *s = NULL;
        int rc = sched_simulate(&t, &so, &s, &r, &e);
        sched_trace_free(&t);
        if (rc < 0)
                return fail(e);
        sched_stats st;
        sched_get_stats(s, &st);
        double secs = (double)r.decide_ns / 1e9;
        double dps = secs > 0 ? (double)r.decisions / secs : 0;
        if (o.json) {
                json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:I,s:I,s:s}",
                                      "policy", sched_policy_name(o.cfg.policy), "nodes", (json_int_t)st.nodes,
                                      "jobs", (json_int_t)r.jobs, "events", (json_int_t)r.events,
                                      "decisions", (json_int_t)r.decisions, "placed", (json_int_t)r.placed,
                                      "unschedulable", (json_int_t)r.unschedulable, "preemptions",
                                      (json_int_t)r.evictions, "decisions_per_s", dps, "p50_us", r.p50_ns / 1e3,
                                      "p99_us", r.p99_ns / 1e3, "wait_p99_s", r.wait_p99_s, "jobs_placed",
                                      (json_int_t)r.jobs_placed, "jobs_never_placed", (json_int_t)r.jobs_never_placed,
                                      "hash", r.hash);
                json_object_set_new(j, "util", json_pack("{s:f,s:f,s:f}", "cpu", r.util[SCHED_CPU], "memory",
                                                         r.util[SCHED_MEM], "gpu", r.util[SCHED_GPU]));
                json_object_set_new(j, "stranded", json_pack("{s:f,s:f,s:f}", "cpu", r.stranded[SCHED_CPU], "memory",
                                                             r.stranded[SCHED_MEM], "gpu", r.stranded[SCHED_GPU]));
                json_object_set_new(j, "wait_mean_s", json_real(r.wait_mean_s));
                char dg[17];
                snprintf(dg, sizeof(dg), "%016llx", (unsigned long long)r.digest);
                json_object_set_new(j, "digest", json_string(dg));
                json_object_set_new(j, "skipped", json_integer((json_int_t)r.skipped));
                json_object_set_new(j, "max_us", json_real(r.max_ns / 1e3));
                json_object_set_new(j, "wait_p50_s", json_real(r.wait_p50_s));
                json_object_set_new(j, "wait_max_s", json_real(r.wait_max_s));
                json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
                putchar('\n');
                json_decref(j);
                return 0;
        }
        printf("policy       %s\n", sched_policy_name(o.cfg.policy));
        printf("nodes        %zu\njobs         %llu (%llu placed, %llu never placed)\n", st.nodes,
               (unsigned long long)r.jobs, (unsigned long long)r.jobs_placed, (unsigned long long)r.jobs_never_placed);
        printf("events       %llu over %.1f s of simulated time, %llu passes\n", (unsigned long long)r.events,
               r.end_us / 1e6, (unsigned long long)r.passes);
        printf("decisions    %llu (%llu placed, %llu unschedulable; %llu skipped as dominated)\n",
               (unsigned long long)r.decisions, (unsigned long long)r.placed, (unsigned long long)r.unschedulable,
               (unsigned long long)r.skipped);
        printf("throughput   %.0f decisions/s (%.3f s deciding)\n", dps, secs);
        printf("latency      p50 %.1f us  p99 %.1f us  max %.1f us\n", r.p50_ns / 1e3, r.p99_ns / 1e3,
               r.max_ns / 1e3);
        pct("utilisation", r.util);
        pct("stranded", r.stranded);
        printf("queue wait   mean %.2f s  p50 %.2f s  p99 %.2f s  max %.2f s\n", r.wait_mean_s, r.wait_p50_s,
               r.wait_p99_s, r.wait_max_s);
        printf("preemptions  %llu\n", (unsigned long long)r.evictions);
        printf("decisions digest %016llx\n", (unsigned long long)r.digest);
        printf("state hash   %s\n", r.hash);
        return 0;
}

static int cmd_replay(int argc, char **argv)
{
        opts o = {0};
        int i = parse_opts(argc, argv, &o);
        if (i < 0 || i + 1 != argc) {
                usage(stderr);
                return 2;
        }
        cella_error *e = NULL;
        _cleanup_sched_log_ sched_log *log = NULL;
        if (sched_log_open(argv[i], &log, &e) < 0)
                return fail(e);
        _cleanup_sched_state_ sched_state *s = NULL;
        sched_replay_info inf;
        if (sched_log_replay(log, !o.no_snapshots, &s, &inf, &e) < 0)
                return fail(e);
        char hash[65];
        if (sched_state_hash(s, hash) < 0)
                return fail(NULL);
        sched_stats st;
        sched_get_stats(s, &st);
        if (inf.torn)
                fprintf(stderr, "cella-sched: %s: last record torn (checksum mismatch), ignored\n", argv[i]);
        if (o.json) {
                printf("{\"hash\":\"%s\",\"events\":%llu,\"snapshot_seq\":%llu,\"replayed\":%llu,\"torn\":%s,"
                       "\"nodes\":%zu,\"jobs\":%zu,\"pending\":%zu,\"running\":%zu}\n",
                       hash, (unsigned long long)inf.last_seq, (unsigned long long)inf.snapshot_seq,
                       (unsigned long long)inf.replayed, inf.torn ? "true" : "false", st.nodes, st.jobs, st.pending,
                       st.running);
                return 0;
        }
        printf("events       %llu (snapshot at %llu, %llu replayed%s)\n", (unsigned long long)inf.last_seq,
               (unsigned long long)inf.snapshot_seq, (unsigned long long)inf.replayed,
               inf.torn ? ", torn last record ignored" : "");
        printf("nodes        %zu\njobs         %zu (%zu pending, %zu running)\n", st.nodes, st.jobs, st.pending,
               st.running);
        printf("state hash   %s\n", hash);
        return 0;
}

static int cmd_compact(int argc, char **argv)
{
        opts o = {0};
        int i = parse_opts(argc, argv, &o);
        if (i < 0 || i + 1 != argc) {
                usage(stderr);
                return 2;
        }
        cella_error *e = NULL;
        sched_trace t = {0};
        if (load_trace(argv[i], &t, &e) < 0)
                return fail(e);
        sched_compact_result r;
        int rc = sched_compact(&t, &o.cfg, &r, &e);
        sched_trace_free(&t);
        if (rc < 0)
                return fail(e);
        double ratio = r.lower_bound ? (double)r.nodes_needed / (double)r.lower_bound : 0;
        if (o.json) {
                printf("{\"policy\":\"%s\",\"peak_t\":%.6f,\"peak_jobs\":%zu,\"nodes_available\":%zu,"
                       "\"nodes_needed\":%zu,\"lower_bound\":%zu,\"ratio\":%.4f,\"fits\":%s}\n",
                       sched_policy_name(o.cfg.policy), r.peak_us / 1e6, r.peak_jobs, r.nodes_available,
                       r.nodes_needed, r.lower_bound, ratio, r.fits ? "true" : "false");
                return 0;
        }
        printf("policy       %s\n", sched_policy_name(o.cfg.policy));
        printf("peak         t=%.3f s, %zu jobs\n", r.peak_us / 1e6, r.peak_jobs);
        printf("nodes needed %zu%s (the trace has %zu)\n", r.nodes_needed, r.fits ? "" : " (does not fit even on twice the nodes)",
               r.nodes_available);
        printf("lower bound  %zu\n", r.lower_bound);
        printf("ratio        %.4f\n", ratio);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        const char *verb = argv[1];
        if (streq(verb, "simulate"))
                return cmd_simulate(argc - 1, argv + 1);
        if (streq(verb, "replay"))
                return cmd_replay(argc - 1, argv + 1);
        if (streq(verb, "compact"))
                return cmd_compact(argc - 1, argv + 1);
        if (streq(verb, "node-info"))
                return cmd_node_info(argc - 1, argv + 1);
        if (streq(verb, "--help") || streq(verb, "-h")) {
                usage(stdout);
                return 0;
        }
        fprintf(stderr, "cella-sched: unknown command \"%s\"\n", verb);
        usage(stderr);
        return 2;
}
