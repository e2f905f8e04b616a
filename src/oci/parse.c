/* config.json -> oci_config: the top level, root, process and hooks.
 * Unknown fields are ignored (forward compatibility, as runc does); a known
 * field of the wrong type is an error naming its JSON path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "base/fileio.h"
#include "base/json.h"
#include "oci/internal.h"

static int parse_caps_set(oci_pctx *p, const json_t *caps, const char *key, int **ret, size_t *ret_n)
{
        json_t *a = NULL;
        int r = oci_get_arr(p, caps, key, &a);
        if (r <= 0)
                return r;
        size_t n = json_array_size(a);
        *ret = calloc(n ? n : 1, sizeof(int));
        if (!*ret)
                return err_setx(p->err, ENOMEM, "%s: out of memory", p->name);
        *ret_n = n;
        size_t mk = oci_push_key(p, key);
        for (size_t i = 0; i < n && r >= 0; i++) {
                size_t m = oci_push_index(p, i);
                const json_t *v = json_array_get(a, i);
                char q[OCI_QUOTE_MAX];
                if (!json_is_string(v))
                        r = oci_type_error(p, "string", v);
                else if (((*ret)[i] = oci_cap_from_name(json_string_value(v))) < 0)
                        r = oci_fail(p, "unknown capability %s", oci_quote(q, json_string_value(v)));
                oci_pop(p, m);
        }
        oci_pop(p, mk);
        return r < 0 ? r : 1;
}

static int parse_caps(oci_pctx *p, const json_t *v, oci_caps *c)
{
        int r;
        c->present = true;
        if ((r = parse_caps_set(p, v, "bounding", &c->bounding, &c->n_bounding)) < 0 ||
            (r = parse_caps_set(p, v, "effective", &c->effective, &c->n_effective)) < 0 ||
            (r = parse_caps_set(p, v, "inheritable", &c->inheritable, &c->n_inheritable)) < 0 ||
            (r = parse_caps_set(p, v, "permitted", &c->permitted, &c->n_permitted)) < 0 ||
            (r = parse_caps_set(p, v, "ambient", &c->ambient, &c->n_ambient)) < 0)
                return r;
        return 0;
}

static int parse_rlimit(oci_pctx *p, const json_t *v, void *elem)
{
        oci_rlimit *rl = elem;
        char q[OCI_QUOTE_MAX];
        int r = oci_get_str(p, v, "type", &rl->type);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, "type");
        rl->resource = oci_rlimit_from_name(rl->type);
        if (rl->resource < 0)
                return oci_fail_key(p, "type", "unknown rlimit type %s", oci_quote(q, rl->type));
        if ((r = oci_get_u64(p, v, "soft", &rl->soft)) <= 0)
                return r < 0 ? r : oci_missing(p, "soft");
        if ((r = oci_get_u64(p, v, "hard", &rl->hard)) <= 0)
                return r < 0 ? r : oci_missing(p, "hard");
        return 0;
}

static int parse_user(oci_pctx *p, const json_t *v, oci_user *u)
{
        int64_t x = 0;
        int r;
        if ((r = oci_get_u32(p, v, "uid", &u->uid)) < 0 || (r = oci_get_u32(p, v, "gid", &u->gid)) < 0)
                return r;
        if ((r = oci_get_int(p, v, "umask", 0, 0777, &x)) < 0)
                return r;
        if (r > 0) {
                u->has_umask = true;
                u->umask = (mode_t) x;
        }
        if ((r = oci_get_str(p, v, "username", &u->username)) < 0)
                return r;
        json_t *a = NULL;
        if ((r = oci_get_arr(p, v, "additionalGids", &a)) <= 0)
                return r;
        size_t n = json_array_size(a);
        u->additional_gids = calloc(n ? n : 1, sizeof(gid_t));
        if (!u->additional_gids)
                return err_setx(p->err, ENOMEM, "%s: out of memory", p->name);
        u->n_additional_gids = n;
        size_t mk = oci_push_key(p, "additionalGids");
        for (size_t i = 0; i < n && r >= 0; i++) {
                size_t m = oci_push_index(p, i);
                r = oci_val_int(p, json_array_get(a, i), 0, UINT32_MAX, &x);
                u->additional_gids[i] = (gid_t) x;
                oci_pop(p, m);
        }
        oci_pop(p, mk);
        return r < 0 ? r : 0;
}

int oci_parse_process(oci_pctx *p, const json_t *v, oci_process *pr)
{
        json_t *o = NULL;
        int64_t x = 0;
        int r;
        if ((r = oci_get_bool(p, v, "terminal", &pr->terminal)) < 0)
                return r;
        if ((r = oci_get_obj(p, v, "consoleSize", &o)) < 0)
                return r;
        if (r > 0) {
                size_t m = oci_push_key(p, "consoleSize");
                uint32_t h = 0, w = 0;
                if ((r = oci_get_u32(p, o, "height", &h)) >= 0)
                        r = oci_get_u32(p, o, "width", &w);
                oci_pop(p, m);
                if (r < 0)
                        return r;
                pr->has_console_size = true;
                pr->console_height = h;
                pr->console_width = w;
        }
        if ((r = oci_get_strv(p, v, "args", &pr->args, &pr->n_args)) < 0 ||
            (r = oci_get_strv(p, v, "env", &pr->env, &pr->n_env)) < 0 ||
            (r = oci_get_str(p, v, "cwd", &pr->cwd)) < 0)
                return r;
        if ((r = oci_get_obj(p, v, "user", &o)) < 0)
                return r;
        if (r > 0) {
                size_t m = oci_push_key(p, "user");
                r = parse_user(p, o, &pr->user);
                oci_pop(p, m);
                if (r < 0)
                        return r;
        }
        if ((r = OCI_GET_OBJV(p, v, "rlimits", parse_rlimit, pr->rlimits, pr->n_rlimits)) < 0 ||
            (r = oci_get_bool(p, v, "noNewPrivileges", &pr->no_new_privileges)) < 0 ||
            (r = oci_get_int(p, v, "oomScoreAdj", -1000, 1000, &x)) < 0)
                return r;
        if (r > 0) {
                pr->has_oom_score_adj = true;
                pr->oom_score_adj = (int) x;
        }
        if ((r = oci_get_obj(p, v, "capabilities", &o)) < 0)
                return r;
        if (r > 0) {
                size_t m = oci_push_key(p, "capabilities");
                r = parse_caps(p, o, &pr->caps);
                oci_pop(p, m);
                if (r < 0)
                        return r;
        }
        if ((r = oci_get_str(p, v, "apparmorProfile", &pr->apparmor_profile)) < 0 ||
            (r = oci_get_str(p, v, "selinuxLabel", &pr->selinux_label)) < 0)
                return r;
        return 0;
}

static int parse_hook(oci_pctx *p, const json_t *v, void *elem)
{
        oci_hook *h = elem;
        int64_t x = 0;
        int r = oci_get_str(p, v, "path", &h->path);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, "path");
        if ((r = oci_get_strv(p, v, "args", &h->args, &h->n_args)) < 0 ||
            (r = oci_get_strv(p, v, "env", &h->env, &h->n_env)) < 0 ||
            (r = oci_get_int(p, v, "timeout", 1, INT_MAX, &x)) < 0)
                return r;
        if (r > 0) {
                h->has_timeout = true;
                h->timeout = (int) x;
        }
        return 0;
}

int oci_parse_hooks(oci_pctx *p, const json_t *v, oci_hooks *hk)
{
        for (int k = 0; k < OCI_HOOK__COUNT; k++) {
                int r = OCI_GET_OBJV(p, v, oci_hook_kind_names[k], parse_hook, hk->list[k], hk->n[k]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Parse an object-valued section under `key` with fn. */
#define SECTION(p, root, key, fn, out, present)                         \
        ({                                                              \
                json_t *_o = NULL;                                      \
                int _r = oci_get_obj((p), (root), (key), &_o);          \
                if (_r > 0) {                                           \
                        size_t _m = oci_push_key((p), (key));           \
                        _r = fn((p), _o, (out));                        \
                        oci_pop((p), _m);                               \
                        if (_r >= 0)                                    \
                                *(present) = true;                      \
                }                                                       \
                _r;                                                     \
        })

static int parse_root(oci_pctx *p, const json_t *v, oci_config *c)
{
        int r = oci_get_str(p, v, "path", &c->root_path);
        if (r >= 0)
                r = oci_get_bool(p, v, "readonly", &c->root_readonly);
        return r;
}

static int parse_top(oci_pctx *p, const json_t *j, oci_config *c)
{
        bool root_present = false, hooks_present = false;
        int r;
        if ((r = oci_get_str(p, j, "ociVersion", &c->oci_version)) < 0 ||
            (r = SECTION(p, j, "root", parse_root, c, &root_present)) < 0 ||
            (r = SECTION(p, j, "process", oci_parse_process, &c->process, &c->has_process)) < 0 ||
            (r = oci_get_str(p, j, "hostname", &c->hostname)) < 0 ||
            (r = oci_get_str(p, j, "domainname", &c->domainname)) < 0 ||
            (r = oci_parse_mounts(p, j, c)) < 0 ||
            (r = SECTION(p, j, "hooks", oci_parse_hooks, &c->hooks, &hooks_present)) < 0 ||
            (r = oci_get_kv(p, j, "annotations", &c->annotations, &c->n_annotations)) < 0 ||
            (r = SECTION(p, j, "linux", oci_parse_linux, &c->linux_, &c->has_linux)) < 0)
                return r;
        return 0;
}

static void bigints_clear(oci_bigints *b)
{
        free(b->v);
}
#define _cleanup_bigints_ _cleanup_(bigints_clear)

int oci_config_parse(const char *name, const char *text, size_t len, oci_config **ret, cella_error **err)
{
        if (!name)
                name = "config.json";
        if (len > OCI_CONFIG_MAX_BYTES)
                return err_setx(err, EFBIG, "%s: %zu bytes, larger than the limit of %u bytes", name, len,
                                OCI_CONFIG_MAX_BYTES);
        json_t *j = NULL;
        _cleanup_free_ char *copy = NULL;
        _cleanup_bigints_ oci_bigints big = { 0 };
        cella_error *jerr = NULL;
        int r = json_load_buffer(name, text, len, &j, &jerr);
        if (r < 0 && jerr && jerr->msg && strstr(jerr->msg, "too big integer")) {
                /* Integers above INT64_MAX: read them through stand-ins. */
                int k = oci_bigints_rewrite(text, len, &copy, &big);
                if (k > 0) {
                        err_free(TAKE_PTR(jerr));
                        r = json_load_buffer(name, copy, len, &j, &jerr);
                } else if (k == 0) {
                        char *msg = TAKE_PTR(jerr->msg);
                        r = err_setx(&jerr, EINVAL, "%s (an integer above 2^64-1, or above 2^63-1 in a file "
                                     "that also has real numbers)", msg);
                        free(msg);
                }
        }
        if (r < 0) {
                if (err) {
                        err_free(*err);
                        *err = TAKE_PTR(jerr);
                }
                err_free(jerr);
                return r;
        }
        oci_config *c = calloc(1, sizeof(*c));
        if (!c) {
                json_decref(j);
                return err_setx(err, ENOMEM, "%s: out of memory", name);
        }
        c->json = j;
        oci_pctx p = { .name = name, .err = err, .big = big.n ? &big : NULL };
        if (!json_is_object(j))
                r = oci_type_error(&p, "an object at the top level", j);
        else
                r = parse_top(&p, j, c);
        if (r < 0) {
                oci_config_free(c);
                return r;
        }
        if (big.n)
                oci_bigints_restore(j, &big);
        *ret = c;
        return 0;
}

int oci_config_load(const char *path, oci_config **ret, cella_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, path, OCI_CONFIG_MAX_BYTES, &buf, &len);
        if (r == -EFBIG)
                return err_setx(err, EFBIG, "%s: larger than the limit of %u bytes", path, OCI_CONFIG_MAX_BYTES);
        if (r < 0)
                return err_set(err, -r, "read %s", path);
        return oci_config_parse(path, buf, len, ret, err);
}
