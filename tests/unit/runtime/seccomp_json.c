#include "seccomp_json.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const actions[] = {
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
};
static const char *const ops[] = {
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
        "SCMP_CMP_MASKED_EQ",
};

static int lookup(const char *const *tab, size_t n, const json_t *v)
{
        const char *s = json_string_value(v);
        for (size_t i = 0; s && i < n; i++)
                if (strcmp(tab[i], s) == 0)
                        return (int)i;
        return -1;
}

static int strv(const json_t *a, char ***ret, size_t *ret_n)
{
        if (!a)
                return 0;
        if (!json_is_array(a))
                return -EINVAL;
        size_t n = json_array_size(a);
        char **v = calloc(n + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *s = json_string_value(json_array_get(a, i));
                v[i] = strdup(s ? s : "");
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int test_seccomp_from_json(const json_t *j, oci_seccomp *s)
{
        memset(s, 0, sizeof(*s));
        s->present = true;
        int a = lookup(actions, 9, json_object_get(j, "defaultAction"));
        if (a < 0)
                return -EINVAL;
        s->default_action = (enum oci_seccomp_action)a;
        const json_t *e = json_object_get(j, "defaultErrnoRet");
        if (e) {
                s->has_default_errno_ret = true;
                s->default_errno_ret = (unsigned)json_integer_value(e);
        }
        if (strv(json_object_get(j, "architectures"), &s->architectures, &s->n_architectures) < 0 ||
            strv(json_object_get(j, "flags"), &s->flags, &s->n_flags) < 0)
                return -EINVAL;
        const char *lp = json_string_value(json_object_get(j, "listenerPath"));
        if (lp)
                s->listener_path = strdup(lp);
        const json_t *calls = json_object_get(j, "syscalls");
        size_t n = json_array_size(calls);
        s->syscalls = calloc(n ? n : 1, sizeof(oci_seccomp_rule));
        if (!s->syscalls)
                return -ENOMEM;
        s->n_syscalls = n;
        for (size_t i = 0; i < n; i++) {
                const json_t *c = json_array_get(calls, i);
                oci_seccomp_rule *r = &s->syscalls[i];
                if (strv(json_object_get(c, "names"), &r->names, &r->n_names) < 0)
                        return -EINVAL;
                a = lookup(actions, 9, json_object_get(c, "action"));
                if (a < 0)
                        return -EINVAL;
                r->action = (enum oci_seccomp_action)a;
                if ((e = json_object_get(c, "errnoRet"))) {
                        r->has_errno_ret = true;
                        r->errno_ret = (unsigned)json_integer_value(e);
                }
                const json_t *args = json_object_get(c, "args");
                r->n_args = json_array_size(args);
                r->args = calloc(r->n_args ? r->n_args : 1, sizeof(oci_seccomp_arg));
                if (!r->args)
                        return -ENOMEM;
                for (size_t k = 0; k < r->n_args; k++) {
                        const json_t *x = json_array_get(args, k);
                        int op = lookup(ops, 7, json_object_get(x, "op"));
                        if (op < 0)
                                return -EINVAL;
                        r->args[k] = (oci_seccomp_arg){
                                .index = (unsigned)json_integer_value(json_object_get(x, "index")),
                                .value = (uint64_t)json_integer_value(json_object_get(x, "value")),
                                .value_two = (uint64_t)json_integer_value(json_object_get(x, "valueTwo")),
                                .op = (enum oci_seccomp_op)op };
                }
        }
        return 0;
}

int test_seccomp_from_text(const char *text, oci_seccomp *ret)
{
        json_t *j = json_loads(text, 0, NULL);
        if (!j)
                return -EINVAL;
        int r = test_seccomp_from_json(j, ret);
        json_decref(j);
        return r;
}

static void strv_free(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

void test_seccomp_free(oci_seccomp *s)
{
        strv_free(s->architectures, s->n_architectures);
        strv_free(s->flags, s->n_flags);
        free(s->listener_path);
        for (size_t i = 0; s->syscalls && i < s->n_syscalls; i++) {
                strv_free(s->syscalls[i].names, s->syscalls[i].n_names);
                free(s->syscalls[i].args);
        }
        free(s->syscalls);
        memset(s, 0, sizeof(*s));
}
