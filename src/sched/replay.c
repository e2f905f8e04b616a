/* Rebuilding the state from the event log: the latest snapshot whose hash
 * checks out, then every later event in sequence order. A last record that
 * fails its checksum is a torn append and is ignored; any earlier damage, or
 * a gap in the sequence, is an error naming the record. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "sched-log.h"
#include "base/json.h"
#include "base/sha256.h"

/* eventlog.c keeps its struct private; replay needs only the handle and config. */
sqlite3 *sched_log_db(const sched_log *l);
const char *sched_log_path(const sched_log *l);
void sched_log_sum(const char *kind, const char *body, char out[17]);

static int load_snapshot(const sched_log *l, sched_state **ret, uint64_t *ret_seq, cella_error **err)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(sched_log_db(l), "SELECT seq, hash, state FROM snapshots ORDER BY seq DESC", -1, &st,
                               NULL) != SQLITE_OK)
                return err_setx(err, EIO, "%s: snapshots: %s", sched_log_path(l), sqlite3_errmsg(sched_log_db(l)));
        int r = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *hash = (const char *)sqlite3_column_text(st, 1);
                const char *txt = (const char *)sqlite3_column_text(st, 2);
                char got[SHA256_HEX_LEN + 1];
                if (!hash || !txt)
                        continue;
                sha256_hex(txt, strlen(txt), got);
                if (!streq(got, hash))
                        continue;   /* damaged: try an older one */
                json_t *o = json_loads(txt, 0, NULL);
                sched_state *s = NULL;
                cella_error *e = NULL;
                r = o ? sched_state_from_json(sched_log_config(l), o, &s, &e) : -EINVAL;
                json_decref(o);
                if (r < 0) {
                        err_free(e);
                        r = 0;
                        continue;
                }
                /* The rebuilt state must serialise to the bytes that were hashed. */
                char again[SHA256_HEX_LEN + 1];
                if (sched_state_hash(s, again) < 0 || !streq(again, hash)) {
                        sched_state_free(s);
                        continue;
                }
                *ret = s;
                *ret_seq = (uint64_t)sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
                return 1;
        }
        sqlite3_finalize(st);
        return r;
}

int sched_log_replay(sched_log *l, bool use_snapshots, sched_state **ret, sched_replay_info *info, cella_error **err)
{
        sched_replay_info inf = {0};
        _cleanup_sched_state_ sched_state *s = NULL;
        int r = 0;
        if (use_snapshots && (r = load_snapshot(l, &s, &inf.snapshot_seq, err)) < 0)
                return r;
        if (!s && (r = sched_state_new(sched_log_config(l), &s, err)) < 0)
                return r;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(sched_log_db(l), "SELECT seq, kind, body, sum FROM events WHERE seq > ? ORDER BY seq",
                               -1, &st, NULL) != SQLITE_OK)
                return err_setx(err, EIO, "%s: events: %s", sched_log_path(l), sqlite3_errmsg(sched_log_db(l)));
        sqlite3_bind_int64(st, 1, (sqlite3_int64)inf.snapshot_seq);
        uint64_t expect = inf.snapshot_seq + 1;
        int rc;
        const char *bad = NULL;   /* a checksum failure waits: fatal unless it was the last record */
        uint64_t bad_seq = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
                const char *kind = (const char *)sqlite3_column_text(st, 1);
                const char *body = (const char *)sqlite3_column_text(st, 2);
                const char *sum = (const char *)sqlite3_column_text(st, 3);
                if (bad) {
                        r = err_setx(err, EBADMSG, "%s: event %llu: %s", sched_log_path(l), (unsigned long long)bad_seq,
                                     bad);
                        goto out;
                }
                if (seq != expect) {
                        r = err_setx(err, EBADMSG, "%s: event %llu missing (next is %llu)", sched_log_path(l),
                                     (unsigned long long)expect, (unsigned long long)seq);
                        goto out;
                }
                char want[17];
                sched_log_sum(kind ? kind : "", body ? body : "", want);
                if (!kind || !body || !sum || !streq(want, sum)) {
                        bad = "checksum mismatch";
                        bad_seq = seq;
                        continue;
                }
                json_error_t je;
                json_t *o = json_loads(body, 0, &je);
                sched_event ev;
                if (!o) {
                        r = err_setx(err, EBADMSG, "%s: event %llu: %s", sched_log_path(l), (unsigned long long)seq,
                                     je.text);
                        goto out;
                }
                r = sched_event_from_json(o, &ev, err);
                json_decref(o);
                if (r < 0) {
                        err_wrap(err, "%s: event %llu", sched_log_path(l), (unsigned long long)seq);
                        goto out;
                }
                r = sched_apply(s, &ev, NULL, err);
                sched_event_clear(&ev);
                if (r < 0) {
                        err_wrap(err, "%s: event %llu", sched_log_path(l), (unsigned long long)seq);
                        goto out;
                }
                inf.replayed++;
                inf.last_seq = seq;
                expect = seq + 1;
        }
        if (rc != SQLITE_DONE) {
                r = err_setx(err, EIO, "%s: events: %s", sched_log_path(l), sqlite3_errmsg(sched_log_db(l)));
                goto out;
        }
        inf.torn = bad != NULL;
        if (!inf.last_seq)
                inf.last_seq = inf.snapshot_seq;
        r = 0;
out:
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        if (info)
                *info = inf;
        *ret = TAKE_PTR(s);
        return 0;
}
