/* The event log on SQLite. Schema (version 1):
 *   meta(key TEXT PRIMARY KEY, value TEXT)  format, version, config
 *   events(seq INTEGER PRIMARY KEY, kind TEXT, body TEXT, sum TEXT)
 *   snapshots(seq INTEGER PRIMARY KEY, hash TEXT, state TEXT)
 * body is the event as JSON (sched_event_to_json); sum is the first 16 hex
 * digits of SHA-256(kind "\n" body), so a torn or altered record is seen. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sched-log.h"
#include "base/json.h"
#include "base/sha256.h"

sqlite3 *sched_log_db(const sched_log *l);
const char *sched_log_path(const sched_log *l);
void sched_log_sum(const char *kind, const char *body, char out[17]);

struct sched_log {
        sqlite3 *db;
        sqlite3_stmt *ins;
        sched_config cfg;
        uint64_t next_seq, every, since_snap;
        char path[4096];
};

static int db_err(sched_log *l, cella_error **err, const char *what)
{
        return err_setx(err, EIO, "%s: %s: %s", l->path, what, sqlite3_errmsg(l->db));
}

static int exec(sched_log *l, const char *sql, cella_error **err)
{
        char *msg = NULL;
        if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
                int r = err_setx(err, EIO, "%s: %s", l->path, msg ? msg : "sqlite error");
                sqlite3_free(msg);
                return r;
        }
        return 0;
}

static json_t *config_json(const sched_config *c)
{
        return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I,s:I}", "policy", sched_policy_name(c->policy),
                         "w_cpu", (json_int_t)c->w_cpu, "w_mem", (json_int_t)c->w_mem, "w_gpu", (json_int_t)c->w_gpu,
                         "w_strand", (json_int_t)c->w_strand, "w_nvlink", (json_int_t)c->w_nvlink,
                         "w_break", (json_int_t)c->w_break, "preemption", c->preemption,
                         "starve_passes", (json_int_t)c->starve_passes, "max_reservations",
                         (json_int_t)c->max_reservations, "search_budget", (json_int_t)c->search_budget);
}

static int config_from(const char *txt, sched_config *c, cella_error **err)
{
        json_error_t je;
        json_t *o = json_loads(txt, 0, &je);
        const char *pol = NULL;
        json_int_t v[10];
        int pre = 0;
        sched_config_default(c);
        int ok = o && json_unpack(o, "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I,s:I}", "policy", &pol, "w_cpu", &v[0],
                                  "w_mem", &v[1], "w_gpu", &v[2], "w_strand", &v[3], "w_nvlink", &v[4], "w_break",
                                  &v[5], "preemption", &pre, "starve_passes", &v[6], "max_reservations", &v[7],
                                  "search_budget", &v[8]) == 0 &&
                 sched_policy_from_name(pol, &c->policy) == 0;
        if (ok) {
                c->w_cpu = v[0], c->w_mem = v[1], c->w_gpu = v[2], c->w_strand = v[3], c->w_nvlink = v[4];
                c->w_break = v[5];
                c->preemption = pre;
                c->starve_passes = (uint32_t)v[6], c->max_reservations = (uint32_t)v[7];
                c->search_budget = (uint32_t)v[8];
        }
        json_decref(o);
        return ok ? 0 : err_setx(err, EINVAL, "log meta: bad config");
}

static int open_db(const char *path, int flags, sched_log **ret, cella_error **err)
{
        sched_log *l = calloc(1, sizeof(*l));
        if (!l)
                return err_setx(err, ENOMEM, "%s", path);
        snprintf(l->path, sizeof(l->path), "%s", path);
        if (sqlite3_open_v2(path, &l->db, flags, NULL) != SQLITE_OK) {
                int r = db_err(l, err, "open");
                sched_log_close(l);
                return r;
        }
        sqlite3_busy_timeout(l->db, 5000);
        int r = exec(l, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", err);
        if (r < 0) {
                sched_log_close(l);
                return r;
        }
        l->next_seq = 1;
        *ret = l;
        return 0;
}

static int prepare_insert(sched_log *l, cella_error **err)
{
        if (sqlite3_prepare_v2(l->db, "INSERT INTO events(seq, kind, body, sum) VALUES (?, ?, ?, ?)", -1, &l->ins,
                               NULL) != SQLITE_OK)
                return db_err(l, err, "prepare");
        return 0;
}

int sched_log_create(const char *path, const sched_config *cfg, sched_log **ret, cella_error **err)
{
        if (access(path, F_OK) == 0)
                return err_setx(err, EEXIST, "%s: exists already", path);
        sched_log *l;
        int r = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l, err);
        if (r < 0)
                return r;
        l->cfg = *cfg;
        json_t *cj = config_json(cfg);
        char *ctxt = cj ? json_dumps(cj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(cj);
        char *sql = ctxt ? sqlite3_mprintf(
                "BEGIN;"
                "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "CREATE TABLE events(seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL, sum TEXT NOT NULL);"
                "CREATE TABLE snapshots(seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, state TEXT NOT NULL);"
                "INSERT INTO meta VALUES ('format', 'cella-sched-log'), ('version', '%d'), ('config', %Q);"
                "COMMIT;", SCHED_LOG_VERSION, ctxt) : NULL;
        free(ctxt);
        if (!sql) {
                sched_log_close(l);
                return err_setx(err, ENOMEM, "%s", path);
        }
        r = exec(l, sql, err);
        sqlite3_free(sql);
        if (r < 0 || (r = prepare_insert(l, err)) < 0) {
                sched_log_close(l);
                return r;
        }
        *ret = l;
        return 0;
}

static int meta_get(sched_log *l, const char *key, char **ret, cella_error **err)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(l->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
                return err_setx(err, EINVAL, "%s: not a cella-sched log: %s", l->path, sqlite3_errmsg(l->db));
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        int r = 0;
        if (sqlite3_step(st) == SQLITE_ROW)
                *ret = strdup((const char *)sqlite3_column_text(st, 0));
        else
                r = err_setx(err, EINVAL, "%s: not a cella-sched log (no %s)", l->path, key);
        sqlite3_finalize(st);
        if (r == 0 && !*ret)
                r = err_setx(err, ENOMEM, "%s", l->path);
        return r;
}

int sched_log_open(const char *path, sched_log **ret, cella_error **err)
{
        sched_log *l;
        if (access(path, F_OK) < 0)
                return err_set(err, errno, "%s", path);
        int r = open_db(path, SQLITE_OPEN_READWRITE, &l, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *fmt = NULL, *ver = NULL, *cfg = NULL;
        if ((r = meta_get(l, "format", &fmt, err)) < 0 || (r = meta_get(l, "version", &ver, err)) < 0 ||
            (r = meta_get(l, "config", &cfg, err)) < 0)
                goto fail;
        if (!streq(fmt, "cella-sched-log") || atoi(ver) != SCHED_LOG_VERSION) {
                r = err_setx(err, EINVAL, "%s: format %s version %s, expected cella-sched-log version %d", path, fmt,
                             ver, SCHED_LOG_VERSION);
                goto fail;
        }
        if ((r = config_from(cfg, &l->cfg, err)) < 0 || (r = prepare_insert(l, err)) < 0)
                goto fail;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(l->db, "SELECT COALESCE(MAX(seq), 0) FROM events", -1, &st, NULL) != SQLITE_OK) {
                r = db_err(l, err, "read");
                goto fail;
        }
        if (sqlite3_step(st) == SQLITE_ROW)
                l->next_seq = (uint64_t)sqlite3_column_int64(st, 0) + 1;
        sqlite3_finalize(st);
        *ret = l;
        return 0;
fail:
        sched_log_close(l);
        return r;
}

void sched_log_close(sched_log *l)
{
        if (!l)
                return;
        sqlite3_finalize(l->ins);
        sqlite3_close(l->db);
        free(l);
}

const sched_config *sched_log_config(const sched_log *l) { return &l->cfg; }
sqlite3 *sched_log_db(const sched_log *l) { return l->db; }
const char *sched_log_path(const sched_log *l) { return l->path; }
void sched_log_set_snapshot_every(sched_log *l, uint64_t n) { l->every = n; }

void sched_log_sum(const char *kind, const char *body, char out[17])
{
        size_t kl = strlen(kind), bl = strlen(body);
        char *buf = malloc(kl + bl + 2);
        char hex[SHA256_HEX_LEN + 1];
        if (!buf) {
                snprintf(out, 17, "%s", "0000000000000000");
                return;
        }
        memcpy(buf, kind, kl);
        buf[kl] = '\n';
        memcpy(buf + kl + 1, body, bl + 1);
        sha256_hex(buf, kl + 1 + bl, hex);
        free(buf);
        memcpy(out, hex, 16);
        out[16] = 0;
}

int sched_log_append(sched_log *l, const sched_event *ev, uint64_t *ret_seq, cella_error **err)
{
        json_t *o = sched_event_to_json(ev);
        char *body = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(o);
        if (!body)
                return err_setx(err, ENOMEM, "%s: append", l->path);
        const char *kind = sched_event_kind_name(ev->kind);
        char sum[17];
        sched_log_sum(kind, body, sum);
        sqlite3_reset(l->ins);
        sqlite3_bind_int64(l->ins, 1, (sqlite3_int64)l->next_seq);
        sqlite3_bind_text(l->ins, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(l->ins, 3, body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(l->ins, 4, sum, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(l->ins);
        free(body);
        if (rc != SQLITE_DONE)
                return db_err(l, err, "append");
        if (ret_seq)
                *ret_seq = l->next_seq;
        l->next_seq++;
        l->since_snap++;
        return 0;
}

int sched_log_snapshot(sched_log *l, const sched_state *s, cella_error **err)
{
        json_t *o = sched_state_to_json(s);
        char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(o);
        if (!txt)
                return err_setx(err, ENOMEM, "%s: snapshot", l->path);
        char hash[SHA256_HEX_LEN + 1];
        sha256_hex(txt, strlen(txt), hash);
        sqlite3_stmt *st;
        int r = 0;
        if (sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO snapshots(seq, hash, state) VALUES (?, ?, ?)", -1, &st,
                               NULL) != SQLITE_OK) {
                free(txt);
                return db_err(l, err, "snapshot");
        }
        sqlite3_bind_int64(st, 1, (sqlite3_int64)(l->next_seq - 1));
        sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, txt, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                r = db_err(l, err, "snapshot");
        sqlite3_finalize(st);
        free(txt);
        l->since_snap = 0;
        return r;
}

int sched_log_apply(sched_log *l, sched_state *s, const sched_event *ev, const sched_observer *obs, cella_error **err)
{
        int r = sched_log_record(l, s, ev, err);
        return r < 0 ? r : sched_apply(s, ev, obs, err);
}

int sched_log_record(void *log, const sched_state *s, const sched_event *ev, cella_error **err)
{
        sched_log *l = log;
        int r;
        if (l->every && l->since_snap >= l->every && (r = sched_log_snapshot(l, s, err)) < 0)
                return r;
        return sched_log_append(l, ev, NULL, err);
}
