/* Seccomp: from the OCI profile to a BPF program. The only file that calls
 * libseccomp; a cache hit (seccomp_cache.c) skips it entirely. */
#include "runtime/seccomp_internal.h"
#include "base/macros.h"
#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Names for messages; the oci layer has its own table for parsing. */
static const char *const action_names[OCI_SECCOMP_ACTION__COUNT] = {
        [OCI_SECCOMP_KILL] = "SCMP_ACT_KILL", [OCI_SECCOMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
        [OCI_SECCOMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD", [OCI_SECCOMP_TRAP] = "SCMP_ACT_TRAP",
        [OCI_SECCOMP_ERRNO] = "SCMP_ACT_ERRNO", [OCI_SECCOMP_TRACE] = "SCMP_ACT_TRACE",
        [OCI_SECCOMP_ALLOW] = "SCMP_ACT_ALLOW", [OCI_SECCOMP_LOG] = "SCMP_ACT_LOG",
        [OCI_SECCOMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const struct { const char *name; unsigned flag; } flag_table[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
        { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
        { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

unsigned rt_seccomp_flag_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(flag_table); i++)
                if (streq(flag_table[i].name, name))
                        return flag_table[i].flag;
        return 0;
}

static int parse_flags(const oci_seccomp *s, unsigned *ret, cella_error **err)
{
        unsigned flags = 0;
        for (size_t i = 0; i < s->n_flags; i++) {
                unsigned f = rt_seccomp_flag_from_name(s->flags[i]);
                if (!f)
                        return err_setx(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag \"%.64s\"",
                                        i, s->flags[i]);
                flags |= f;
        }
        *ret = flags;
        return 0;
}

/* errnoRet for ERRNO and TRACE; EPERM when absent (as runc and crun). */
static int action_to_scmp(enum oci_seccomp_action a, bool has_ret, unsigned ret, uint32_t *out,
                          const char *where, cella_error **err)
{
        unsigned e = has_ret ? ret : EPERM;
        if ((a == OCI_SECCOMP_ERRNO || a == OCI_SECCOMP_TRACE) && e > 4095)
                return err_setx(err, EINVAL, "%s: errnoRet %u out of range (0..4095)", where, e);
        switch (a) {
        case OCI_SECCOMP_KILL:
        case OCI_SECCOMP_KILL_THREAD:   *out = SCMP_ACT_KILL_THREAD; return 0;
        case OCI_SECCOMP_KILL_PROCESS:  *out = SCMP_ACT_KILL_PROCESS; return 0;
        case OCI_SECCOMP_TRAP:          *out = SCMP_ACT_TRAP; return 0;
        case OCI_SECCOMP_ERRNO:         *out = SCMP_ACT_ERRNO(e); return 0;
        case OCI_SECCOMP_TRACE:         *out = SCMP_ACT_TRACE(e); return 0;
        case OCI_SECCOMP_ALLOW:         *out = SCMP_ACT_ALLOW; return 0;
        case OCI_SECCOMP_LOG:           *out = SCMP_ACT_LOG; return 0;
        case OCI_SECCOMP_NOTIFY:        *out = SCMP_ACT_NOTIFY; return 0;
        case OCI_SECCOMP_ACTION__COUNT: break;
        }
        return err_setx(err, EINVAL, "%s: invalid action %d", where, (int)a);
}

static int op_to_scmp(enum oci_seccomp_op op, enum scmp_compare *out)
{
        switch (op) {
        case OCI_OP_NE:         *out = SCMP_CMP_NE; return 0;
        case OCI_OP_LT:         *out = SCMP_CMP_LT; return 0;
        case OCI_OP_LE:         *out = SCMP_CMP_LE; return 0;
        case OCI_OP_EQ:         *out = SCMP_CMP_EQ; return 0;
        case OCI_OP_GE:         *out = SCMP_CMP_GE; return 0;
        case OCI_OP_GT:         *out = SCMP_CMP_GT; return 0;
        case OCI_OP_MASKED_EQ:  *out = SCMP_CMP_MASKED_EQ; return 0;
        }
        return -EINVAL;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token ("x86_64"). */
static uint32_t arch_from_name(const char *name)
{
        char tok[32];
        if (!strneq(name, "SCMP_ARCH_", 10) || strlen(name + 10) >= sizeof(tok) || !name[10])
                return 0;
        size_t i;
        for (i = 0; name[10 + i]; i++)
                tok[i] = (char)tolower((unsigned char)name[10 + i]);
        tok[i] = '\0';
        return seccomp_arch_resolve_name(tok);
}

static void ctx_releasep(scmp_filter_ctx *c)
{
        if (*c)
                seccomp_release(*c);
}

/* Validate a rule's args and tell whether it must be split: the runc/crun
 * rule is that conditions on distinct indexes are ANDed in one rule, and
 * as soon as one index appears twice (libseccomp cannot AND two tests of
 * one argument) every condition becomes a rule of its own (OR). */
static int check_args(const oci_seccomp_rule *r, const char *where, bool *ret_split, cella_error **err)
{
        unsigned count[6] = { 0 };
        bool split = false;
        for (size_t k = 0; k < r->n_args; k++) {
                const oci_seccomp_arg *a = &r->args[k];
                enum scmp_compare op;
                if (a->index > 5)
                        return err_setx(err, EINVAL, "%s.args[%zu]: index %u out of range (0..5)",
                                        where, k, a->index);
                if (op_to_scmp(a->op, &op) < 0)
                        return err_setx(err, EINVAL, "%s.args[%zu]: invalid op %d", where, k, (int)a->op);
                if (count[a->index]++)
                        split = true;
        }
        *ret_split = split;
        return 0;
}

static struct scmp_arg_cmp to_cmp(const oci_seccomp_arg *a)
{
        enum scmp_compare op = SCMP_CMP_EQ;
        (void)op_to_scmp(a->op, &op);   /* checked by check_args */
        /* MASKED_EQ: value is the mask, valueTwo the datum. */
        return (struct scmp_arg_cmp){ .arg = a->index, .op = op, .datum_a = a->value,
                                      .datum_b = a->value_two };
}

static int add_rule(scmp_filter_ctx ctx, uint32_t act, int nr, const oci_seccomp_rule *r, bool split,
                    const char *where, const char *name, cella_error **err)
{
        int rc = 0;
        if (!split) {
                struct scmp_arg_cmp cmp[6];     /* distinct indexes: at most 6 */
                for (size_t k = 0; k < r->n_args; k++)
                        cmp[k] = to_cmp(&r->args[k]);
                rc = seccomp_rule_add_array(ctx, act, nr, (unsigned)r->n_args, cmp);
        } else {
                for (size_t k = 0; k < r->n_args && rc == 0; k++) {
                        struct scmp_arg_cmp c = to_cmp(&r->args[k]);
                        rc = seccomp_rule_add_array(ctx, act, nr, 1, &c);
                }
        }
        if (rc < 0)
                return err_set(err, -rc, "%s: syscall \"%.64s\": libseccomp rejected the rule", where, name);
        return 0;
}

static int export_bpf(scmp_filter_ctx ctx, rt_seccomp_prog *ret, cella_error **err)
{
        _cleanup_close_ int fd = memfd_create("cella-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return err_set(err, errno, "seccomp: memfd_create");
        int rc = seccomp_export_bpf(ctx, fd);
        if (rc < 0)
                return err_set(err, -rc, "seccomp: export BPF");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_set(err, errno, "seccomp: fstat exported BPF");
        size_t size = (size_t)st.st_size;
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return err_setx(err, EINVAL, "seccomp: exported BPF has a bad size (%zu bytes)", size);
        if (size / sizeof(struct sock_filter) > RT_SECCOMP_MAX_INSNS)
                return err_setx(err, E2BIG, "seccomp: filter too large (%zu instructions, the kernel "
                                "takes %u)", size / sizeof(struct sock_filter), RT_SECCOMP_MAX_INSNS);
        _cleanup_free_ struct sock_filter *insns = malloc(size);
        if (!insns)
                return err_set(err, ENOMEM, "seccomp");
        ssize_t n = pread(fd, insns, size, 0);
        if (n != (ssize_t)size)
                return err_set(err, n < 0 ? errno : EIO, "seccomp: read exported BPF");
        ret->insns = TAKE_PTR(insns);
        ret->n_insns = size / sizeof(struct sock_filter);
        return 0;
}

int rt_seccomp_compile(const oci_seccomp *s, rt_seccomp_prog *ret, cella_error **err)
{
        char where[96];
        uint32_t def;
        int r = action_to_scmp(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                               &def, "linux.seccomp.defaultAction", err);
        if (r < 0)
                return r;
        /* Nobody could answer: the listener fd only exists after install. */
        if (s->default_action == OCI_SECCOMP_NOTIFY)
                return err_setx(err, EINVAL, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be "
                                "the default action");
        _cleanup_(ctx_releasep) scmp_filter_ctx ctx = seccomp_init(def);
        if (!ctx)
                return err_setx(err, EINVAL, "linux.seccomp.defaultAction: libseccomp rejected %s",
                                action_names[s->default_action]);
        /* A binary tree over syscall numbers instead of libseccomp's linear
         * list: every syscall of the container is checked in ~log2(n)
         * steps, and the kernel installs it faster (measured: 0.35-1.1 ms
         * against 1.06-1.43 ms for Docker's profile). As runc, only from 8
         * names on: small filters gain nothing, and libseccomp <= 2.5.3
         * lost the default action of a tree without rules. */
        size_t n_names = 0;
        for (size_t i = 0; i < s->n_syscalls; i++)
                n_names += s->syscalls[i].n_names;
        if (n_names >= 8 && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
                return err_setx(err, ENOTSUP, "seccomp: libseccomp cannot build a binary tree filter");
        for (size_t i = 0; i < s->n_architectures; i++) {
                uint32_t arch = arch_from_name(s->architectures[i]);
                if (!arch)
                        return err_setx(err, EINVAL, "linux.seccomp.architectures[%zu]: unknown "
                                        "architecture \"%.64s\"", i, s->architectures[i]);
                int rc = seccomp_arch_add(ctx, arch);
                if (rc < 0 && rc != -EEXIST)
                        return err_set(err, -rc, "linux.seccomp.architectures[%zu]: %s", i,
                                       s->architectures[i]);
        }
        bool notify = false;
        for (size_t i = 0; i < s->n_syscalls; i++) {
                const oci_seccomp_rule *rule = &s->syscalls[i];
                uint32_t act;
                snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
                r = action_to_scmp(rule->action, rule->has_errno_ret, rule->errno_ret, &act, where, err);
                if (r < 0)
                        return r;
                /* libseccomp refuses a rule that repeats the default; runc and
                 * crun skip it, and so do we (its args are still checked). */
                bool skip = act == def, split = false;
                r = check_args(rule, where, &split, err);
                if (r < 0)
                        return r;
                if (rule->action == OCI_SECCOMP_NOTIFY)
                        notify = true;
                for (size_t j = 0; j < rule->n_names; j++) {
                        const char *name = rule->names[j];
                        /* A negative number is a name libseccomp knows on other
                         * architectures only (chown32 on x86_64): rule_add skips
                         * it on the arches that lack it, as runc and crun do. */
                        int nr = seccomp_syscall_resolve_name(name);
                        /* A name libseccomp has never heard of (a syscall newer
                         * than it, as current Docker and podman profiles list) is
                         * skipped, as runc and crun do: failing would refuse
                         * profiles that every peer runs. */
                        if (nr == __NR_SCMP_ERROR)
                                continue;
                        if (skip)
                                continue;
                        r = add_rule(ctx, act, nr, rule, split, where, name, err);
                        if (r < 0)
                                return r;
                }
        }
        r = export_bpf(ctx, ret, err);
        if (r < 0)
                return r;
        ret->notify = notify;
        return 0;
}

int rt_seccomp_prepare(const oci_seccomp *s, const char *cache_dir, rt_seccomp_prog *ret,
                       cella_error **err)
{
        rt_seccomp_prog p = { 0 };
        if (!s || !s->present) {
                *ret = p;
                return 0;
        }
        int r = parse_flags(s, &p.flags, err);
        if (r < 0)
                return r;
        char key[65];
        if (cache_dir) {
                r = rt_seccomp_cache_key(s, key, err);
                if (r < 0)
                        return r;
                r = rt_seccomp_cache_load(cache_dir, key, ret, err);
                if (r == 0 || r == -EPERM)
                        return r;       /* an unsafe entry is an error, not a miss */
        }
        r = rt_seccomp_compile(s, &p, err);
        if (r < 0) {
                rt_seccomp_prog_clear(&p);
                return r;
        }
        if (cache_dir) {
                _cleanup_close_ int dirfd = -1;
                r = rt_seccomp_cache_open(cache_dir, &dirfd, err);
                if (r < 0) {
                        rt_seccomp_prog_clear(&p);
                        return r;
                }
                if (dirfd >= 0)
                        (void)rt_seccomp_cache_store(dirfd, key, &p);
        }
        *ret = p;
        return 0;
}

void rt_seccomp_prog_clear(rt_seccomp_prog *p)
{
        if (!p)
                return;
        free(p->insns);
        *p = (rt_seccomp_prog){ 0 };
}
