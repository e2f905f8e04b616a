/* The event log: replay equals the run, snapshots + tail replay, kill -9
 * during appends, torn and damaged records. */
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sched/sched-log.h"
#include "tap.h"

static char dir[] = "/tmp/cella-sched-log-XXXXXX";

static char *trace_text(int jobs)
{
        size_t cap = 4 << 20, o = 0;
        char *b = malloc(cap);
        for (int i = 0; i < 20; i++)
                o += snprintf(b + o, cap - o, "{\"type\":\"node\",\"id\":\"n%02d\",\"capacity\":{\"cpu\":16000,\"memory\":68719476736}"
                              "%s}\n", i, i % 4 ? "" : ",\"gpus\":[{\"uuid\":\"G-a\",\"model\":\"X\",\"memory\":1,\"nvlink\":[\"G-b\"]},"
                                                       "{\"uuid\":\"G-b\",\"model\":\"X\",\"memory\":1}]");
        for (int j = 0; j < jobs; j++)
                o += snprintf(b + o, cap - o, "{\"type\":\"submit\",\"t\":%d,\"id\":\"j%05d\",\"priority\":%d,\"cpu\":%d,"
                              "\"memory\":1073741824,\"gpus\":%d,\"duration\":%d}\n",
                              j / 3, j, (j * 7) % 3 * 10, 1000 + (j * 13) % 7 * 1000, j % 9 == 0, 3 + (j * 11) % 17);
        b[o] = 0;
        return b;
}

static sched_trace parse(const char *text)
{
        sched_trace t = {0};
        cella_error *e = NULL;
        if (sched_trace_parse("gen", text, strlen(text), &t, &e) < 0)
                die("parse", e);
        return t;
}

/* The reference: the hash of the state after exactly k logged events. */
typedef struct ref {
        uint64_t k, seen;
        char hash[65];
} ref;

static int ref_record(void *ud, const sched_state *s, const sched_event *ev, cella_error **err)
{
        ref *r = ud;
        if (r->seen == r->k)
                sched_state_hash(s, r->hash);
        r->seen++;
        return 0;
}

static void hash_after(const sched_trace *t, uint64_t k, char out[65])
{
        ref r = {.k = k};
        sched_sim_opts o = {.record = ref_record, .record_ud = &r};
        sched_config_default(&o.cfg);
        sched_sim_result res;
        cella_error *e = NULL;
        if (sched_simulate(t, &o, NULL, &res, &e) < 0)
                die("simulate", e);
        if (r.seen <= k)
                memcpy(r.hash, res.hash, 65);   /* k is the whole log */
        memcpy(out, r.hash, 65);
}

static int replay(const char *path, bool snaps, char hash[65], sched_replay_info *inf, cella_error **e)
{
        sched_log *l = NULL;
        sched_state *s = NULL;
        int r = sched_log_open(path, &l, e);
        if (r >= 0)
                r = sched_log_replay(l, snaps, &s, inf, e);
        if (r >= 0)
                hash_of(s, hash);
        sched_state_free(s);
        sched_log_close(l);
        return r;
}

static int run_logged(const sched_trace *t, const char *path, uint64_t every, sched_sim_result *res)
{
        sched_log *l = NULL;
        cella_error *e = NULL;
        sched_sim_opts o = {.record = sched_log_record};
        sched_config_default(&o.cfg);
        if (sched_log_create(path, &o.cfg, &l, &e) < 0)
                die("create", e);
        sched_log_set_snapshot_every(l, every);
        o.record_ud = l;
        int r = sched_simulate(t, &o, NULL, res, &e);
        if (r < 0)
                die("simulate", e);
        sched_log_close(l);
        return r;
}

static void sql(const char *path, const char *q)
{
        sqlite3 *db;
        sqlite3_open(path, &db);
        sqlite3_exec(db, q, NULL, NULL, NULL);
        sqlite3_close(db);
}

static void test_replay_and_snapshots(const sched_trace *t)
{
        char path[256], h1[65], h2[65];
        sched_sim_result res;
        sched_replay_info i1, i2;
        cella_error *e = NULL;
        snprintf(path, sizeof(path), "%s/a.db", dir);
        run_logged(t, path, 50, &res);
        ok(replay(path, false, h1, &i1, &e) == 0 && streq(h1, res.hash), "replay from the start gives the run's hash");
        ok(replay(path, true, h2, &i2, &e) == 0 && streq(h2, res.hash), "snapshot + tail replay gives the same hash");
        ok(i2.snapshot_seq > 0 && i2.replayed < i1.replayed && i2.replayed <= 50,
           "the snapshot at %llu left %llu of %llu events to replay", (unsigned long long)i2.snapshot_seq,
           (unsigned long long)i2.replayed, (unsigned long long)i1.replayed);
        /* A damaged newest snapshot: fall back to an older one, same hash. */
        char q[256];
        snprintf(q, sizeof(q), "UPDATE snapshots SET state = replace(state, '\"n00\"', '\"n0X\"') WHERE seq = %llu",
                 (unsigned long long)i2.snapshot_seq);
        sql(path, q);
        sched_replay_info i3;
        ok(replay(path, true, h2, &i3, &e) == 0 && streq(h2, res.hash) && i3.snapshot_seq < i2.snapshot_seq,
           "a damaged snapshot is skipped (used %llu instead)", (unsigned long long)i3.snapshot_seq);
        /* Damage in the middle of the log is an error naming the record. */
        sql(path, "UPDATE events SET body = body || ' ' WHERE seq = 40");
        int r = replay(path, false, h1, &i1, &e);
        ok(r < 0 && e && strstr(e->msg, "event 40") && strstr(e->msg, "checksum"), "damage mid-log: %s", e ? e->msg : "");
        err_free(e);
        e = NULL;
        /* A torn last record (its checksum does not match) is ignored. */
        snprintf(path, sizeof(path), "%s/b.db", dir);
        run_logged(t, path, 0, &res);
        sql(path, "UPDATE events SET sum = '0000000000000000' WHERE seq = (SELECT MAX(seq) FROM events)");
        char want[65];
        ok(replay(path, false, h1, &i1, &e) == 0 && i1.torn, "torn last record tolerated");
        hash_after(t, i1.last_seq, want);
        ok(streq(h1, want), "state = the first %llu events", (unsigned long long)i1.last_seq);
        err_free(e);
}

static void copy_file(const char *from, const char *to)
{
        char buf[65536];
        int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ssize_t n;
        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n)
                        break;
        if (in >= 0)
                close(in);
        if (out >= 0)
                close(out);
}

static void test_kill9(const sched_trace *t)
{
        char path[256], h[65], want[65];
        snprintf(path, sizeof(path), "%s/k.db", dir);
        pid_t pid = fork();
        if (pid == 0) {
                sched_sim_result res;
                run_logged(t, path, 200, &res);
                _exit(0);
        }
        /* Let it append for a while, then kill it mid-stream. */
        struct stat st;
        for (int i = 0; i < 2000 && (stat(path, &st) < 0 || st.st_size < 8192); i++)
                usleep(1000);
        usleep(150000);
        kill(pid, SIGKILL);
        int ws;
        waitpid(pid, &ws, 0);
        ok(WIFSIGNALED(ws), "writer killed with SIGKILL mid-run");
        /* Copy the files as the crash left them (for the torn-WAL case below). */
        char db2[256], wal[300], wal2[300];
        snprintf(db2, sizeof(db2), "%s/torn.db", dir);
        snprintf(wal, sizeof(wal), "%s-wal", path);
        snprintf(wal2, sizeof(wal2), "%s-wal", db2);
        copy_file(path, db2);
        copy_file(wal, wal2);
        sched_replay_info inf;
        cella_error *e = NULL;
        int r = replay(path, true, h, &inf, &e);
        ok(r == 0 && inf.last_seq > 0, "replay after kill -9: %llu events (snapshot at %llu)", (unsigned long long)inf.last_seq,
           (unsigned long long)inf.snapshot_seq);
        hash_after(t, inf.last_seq, want);
        ok(streq(h, want), "same hash as a clean run stopped after the same %llu events", (unsigned long long)inf.last_seq);
        char h0[65];
        sched_replay_info inf0;
        ok(replay(path, false, h0, &inf0, &e) == 0 && inf0.last_seq == inf.last_seq && streq(h0, h),
           "replaying every event (no snapshot) agrees");
        /* Tear the WAL mid-frame: SQLite drops the torn transaction; the rest replays. */
        if (stat(wal2, &st) == 0 && st.st_size > 4096) {
                if (truncate(wal2, st.st_size - 1500) < 0)
                        ok(0, "truncate");
                r = replay(db2, true, h, &inf, &e);
                ok(r == 0, "replay with a torn WAL tail: %s", r == 0 ? "ok" : e->msg);
                hash_after(t, inf.last_seq, want);
                ok(streq(h, want), "torn WAL: state = the first %llu events", (unsigned long long)inf.last_seq);
        } else {
                ok(1, "# SKIP the WAL was checkpointed away before the kill");
                ok(1, "# SKIP");
        }
        err_free(e);
}

/* The daemon's path: sched_log_apply appends before applying; a restart replays to the same state. */
static void test_log_apply(void)
{
        char path[256], h1[65], h2[65];
        snprintf(path, sizeof(path), "%s/d.db", dir);
        sched_config c;
        sched_config_default(&c);
        c.policy = SCHED_SPREAD;
        sched_log *l = NULL;
        sched_state *s = NULL;
        cella_error *e = NULL;
        if (sched_log_create(path, &c, &l, &e) < 0 || sched_state_new(&c, &s, &e) < 0)
                die("create", e);
        sched_log_set_snapshot_every(l, 3);
        const char *lines[] = {
                "{\"type\":\"node\",\"id\":\"a\",\"capacity\":{\"cpu\":4000,\"memory\":4096}}",
                "{\"type\":\"node\",\"id\":\"b\",\"capacity\":{\"cpu\":4000,\"memory\":4096}}",
                "{\"type\":\"submit\",\"id\":\"j1\",\"cpu\":1000,\"memory\":1}",
                "{\"type\":\"submit\",\"id\":\"j2\",\"cpu\":1000,\"memory\":1}",
                "{\"type\":\"schedule\"}",
                "{\"type\":\"start\",\"id\":\"j1\"}",
                "{\"type\":\"finish\",\"id\":\"j1\",\"ok\":false}",
        };
        for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
                json_t *o = json_loads(lines[i], 0, NULL);
                sched_event ev;
                if (!o || sched_event_from_json(o, &ev, &e) < 0 || sched_log_apply(l, s, &ev, NULL, &e) < 0)
                        die("apply", e);
                sched_event_clear(&ev);
                json_decref(o);
        }
        ok(state_of(s, "j1") == SCHED_FAILED && !streq(node_of(s, "j2", 0), "(none)"), "applied through the log");
        hash_of(s, h1);
        sched_log_close(l);
        sched_state_free(s);
        sched_replay_info inf;
        ok(replay(path, true, h2, &inf, &e) == 0 && streq(h1, h2) && inf.snapshot_seq == 6 && inf.replayed == 1,
           "restart: snapshot at 6 + 1 event, same hash, and the log's policy (spread) was used");
        err_free(e);
}

int main(void)
{
        if (!mkdtemp(dir))
                die("mkdtemp", NULL);
        char *text = trace_text(1500);
        sched_trace t = parse(text);
        test_replay_and_snapshots(&t);
        test_kill9(&t);
        test_log_apply();
        /* Bad files. */
        sched_log *l = NULL;
        cella_error *e = NULL;
        char path[256];
        snprintf(path, sizeof(path), "%s/a.db", dir);
        sched_config c;
        sched_config_default(&c);
        ok(sched_log_create(path, &c, &l, &e) == -EEXIST, "create refuses an existing file");
        err_free(e);
        e = NULL;
        snprintf(path, sizeof(path), "%s/junk.db", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
                if (write(fd, "not sqlite at all, not at all, no", 33) < 0)
                        ok(0, "write");
                close(fd);
        }
        ok(sched_log_open(path, &l, &e) < 0 && e, "a file that is not a log: %s", e ? e->msg : "");
        err_free(e);
        sched_trace_free(&t);
        free(text);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                ok(0, "cleanup");
        return tap_done();
}
