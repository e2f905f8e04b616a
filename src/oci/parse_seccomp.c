/* linux.seccomp: actions, operators and architectures are checked against
 * the spec's names here; syscall names are left to libseccomp when the
 * runtime compiles the filter (profiles list syscalls newer than the
 * library, and runc and crun skip those). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "oci/internal.h"

static int get_action(oci_pctx *p, const json_t *v, const char *key, enum oci_seccomp_action *ret)
{
        char *s = NULL;
        char q[OCI_QUOTE_MAX];
        int r = oci_get_str(p, v, key, &s);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, key);
        int a = oci_seccomp_action_from_name(s);
        if (a < 0)
                r = oci_fail_key(p, key, "unknown seccomp action %s", oci_quote(q, s));
        else
                *ret = (enum oci_seccomp_action) a;
        free(s);
        return r < 0 ? r : 0;
}

static int get_errno_ret(oci_pctx *p, const json_t *v, const char *key, bool *has, unsigned *ret)
{
        uint32_t x = 0;
        int r = oci_get_u32(p, v, key, &x);
        if (r < 0)
                return r;
        *has = r > 0;
        *ret = x;
        return 0;
}

static int parse_arg(oci_pctx *p, const json_t *v, void *elem)
{
        oci_seccomp_arg *a = elem;
        char *op = NULL;
        char q[OCI_QUOTE_MAX];
        int64_t idx = 0;
        int r = oci_get_int(p, v, "index", 0, 5, &idx);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, "index");
        a->index = (unsigned) idx;
        if ((r = oci_get_u64(p, v, "value", &a->value)) <= 0)
                return r < 0 ? r : oci_missing(p, "value");
        if ((r = oci_get_u64(p, v, "valueTwo", &a->value_two)) < 0)
                return r;
        if ((r = oci_get_str(p, v, "op", &op)) <= 0)
                return r < 0 ? r : oci_missing(p, "op");
        int o = oci_seccomp_op_from_name(op);
        if (o < 0)
                r = oci_fail_key(p, "op", "unknown seccomp operator %s", oci_quote(q, op));
        else
                a->op = (enum oci_seccomp_op) o;
        free(op);
        return r < 0 ? r : 0;
}

static int parse_rule(oci_pctx *p, const json_t *v, void *elem)
{
        oci_seccomp_rule *s = elem;
        int r = oci_get_strv(p, v, "names", &s->names, &s->n_names);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, "names");
        if ((r = get_action(p, v, "action", &s->action)) < 0 ||
            (r = get_errno_ret(p, v, "errnoRet", &s->has_errno_ret, &s->errno_ret)) < 0)
                return r;
        r = OCI_GET_OBJV(p, v, "args", parse_arg, s->args, s->n_args);
        return r < 0 ? r : 0;
}

static int check_names(oci_pctx *p, const char *key, char **names, size_t n, bool (*known)(const char *),
                       const char *what)
{
        char q[OCI_QUOTE_MAX];
        for (size_t i = 0; i < n; i++) {
                if (known(names[i]))
                        continue;
                size_t m = oci_push_key(p, key);
                size_t m2 = oci_push_index(p, i);
                int r = oci_fail(p, "unknown seccomp %s %s", what, oci_quote(q, names[i]));
                oci_pop(p, m2);
                oci_pop(p, m);
                return r;
        }
        return 0;
}

int oci_parse_seccomp(oci_pctx *p, const json_t *v, oci_seccomp *s)
{
        int r;
        s->present = true;
        if ((r = get_action(p, v, "defaultAction", &s->default_action)) < 0 ||
            (r = get_errno_ret(p, v, "defaultErrnoRet", &s->has_default_errno_ret, &s->default_errno_ret)) < 0 ||
            (r = oci_get_strv(p, v, "architectures", &s->architectures, &s->n_architectures)) < 0 ||
            (r = check_names(p, "architectures", s->architectures, s->n_architectures, oci_seccomp_arch_known,
                             "architecture")) < 0 ||
            (r = oci_get_strv(p, v, "flags", &s->flags, &s->n_flags)) < 0 ||
            (r = check_names(p, "flags", s->flags, s->n_flags, oci_seccomp_flag_known, "flag")) < 0 ||
            (r = oci_get_str(p, v, "listenerPath", &s->listener_path)) < 0 ||
            (r = oci_get_str(p, v, "listenerMetadata", &s->listener_metadata)) < 0 ||
            (r = OCI_GET_OBJV(p, v, "syscalls", parse_rule, s->syscalls, s->n_syscalls)) < 0)
                return r;
        return 0;
}
