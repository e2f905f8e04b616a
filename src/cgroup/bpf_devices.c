/* Device rules on cgroup v2: a hand-assembled BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached with BPF_CGROUP_DEVICE, built the way runc's
 * libcontainer/cgroups/devices/devicefilter does it (prologue loading
 * type/access/major/minor into R2..R5, one block per rule, a default at
 * the end), from the emulator's final state so v1 and v2 agree. */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>

enum { OP_LDXW = 0x61, OP_AND32K = 0x54, OP_RSH32K = 0x74, OP_MOV32X = 0xbc, OP_MOV32K = 0xb4,
       OP_JNEK = 0x55, OP_JNEX = 0x5d, OP_JEQK = 0x15, OP_EXIT = 0x95 };

static cg_bpf_insn insn(uint8_t code, unsigned dst, unsigned src, int16_t off, int32_t imm)
{
        return (cg_bpf_insn){ code, (uint8_t)(dst | (src << 4)), off, imm };
}

static int32_t bpf_access(unsigned a)
{
        return ((a & CG_DEV_M) ? BPF_DEVCG_ACC_MKNOD : 0) | ((a & CG_DEV_R) ? BPF_DEVCG_ACC_READ : 0) |
               ((a & CG_DEV_W) ? BPF_DEVCG_ACC_WRITE : 0);
}

int cg_bpf_devices_build(const cg_dev_state *s, cg_bpf_insn **ret, size_t *ret_n, cella_error **err)
{
        size_t cap = 6 + s->n_ex * 9 + 2, n = 0;
        cg_bpf_insn *p = calloc(cap, sizeof(*p));
        if (!p)
                return err_set(err, ENOMEM, "device program");
        /* ctx: struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } */
        p[n++] = insn(OP_LDXW, 2, 1, 0, 0);
        p[n++] = insn(OP_AND32K, 2, 0, 0, 0xffff);     /* R2 = device type */
        p[n++] = insn(OP_LDXW, 3, 1, 0, 0);
        p[n++] = insn(OP_RSH32K, 3, 0, 0, 16);         /* R3 = requested access */
        p[n++] = insn(OP_LDXW, 4, 1, 4, 0);            /* R4 = major */
        p[n++] = insn(OP_LDXW, 5, 1, 8, 0);            /* R5 = minor */
        const unsigned rwm = CG_DEV_R | CG_DEV_W | CG_DEV_M;
        for (size_t i = 0; i < s->n_ex; i++) {
                const cg_dev_ex *e = &s->ex[i];
                bool deny = s->default_allow;
                size_t len = 1 + (e->access != rwm ? 3 : 0) + (e->major >= 0) + (e->minor >= 0) + 2;
                size_t end = n + len;  /* first insn of the next block */
#define SKIP() ((int16_t)(end - (n + 1)))
                p[n] = insn(OP_JNEK, 2, 0, 0, e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
                p[n].off = SKIP();
                n++;
                if (e->access != rwm) {
                        p[n++] = insn(OP_MOV32X, 1, 3, 0, 0);
                        p[n++] = insn(OP_AND32K, 1, 0, 0, bpf_access(e->access));
                        /* An allow needs every requested bit granted; a deny
                         * hits when any requested bit is denied (as v1 does). */
                        if (deny)
                                p[n] = insn(OP_JEQK, 1, 0, 0, 0);
                        else
                                p[n] = insn(OP_JNEX, 1, 3, 0, 0);
                        p[n].off = SKIP();
                        n++;
                }
                if (e->major >= 0) {
                        p[n] = insn(OP_JNEK, 4, 0, 0, (int32_t)e->major);
                        p[n].off = SKIP();
                        n++;
                }
                if (e->minor >= 0) {
                        p[n] = insn(OP_JNEK, 5, 0, 0, (int32_t)e->minor);
                        p[n].off = SKIP();
                        n++;
                }
#undef SKIP
                p[n++] = insn(OP_MOV32K, 0, 0, 0, deny ? 0 : 1);
                p[n++] = insn(OP_EXIT, 0, 0, 0, 0);
        }
        p[n++] = insn(OP_MOV32K, 0, 0, 0, s->default_allow ? 1 : 0);
        p[n++] = insn(OP_EXIT, 0, 0, 0, 0);
        *ret = p;
        *ret_n = n;
        return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(const cg_bpf_insn *p, size_t n, char *log, size_t log_len)
{
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        a.insns = (uint64_t)(uintptr_t)p;
        a.insn_cnt = (uint32_t)n;
        a.license = (uint64_t)(uintptr_t)"Apache";
        if (log) {
                a.log_buf = (uint64_t)(uintptr_t)log;
                a.log_size = (uint32_t)log_len;
                a.log_level = 1;
        }
        return RETRY_EINTR(sys_bpf(BPF_PROG_LOAD, &a));
}

static int prog_id(int fd, uint32_t *ret)
{
        struct bpf_prog_info info;
        union bpf_attr a;
        memset(&info, 0, sizeof(info));
        memset(&a, 0, sizeof(a));
        a.info.bpf_fd = (uint32_t)fd;
        a.info.info_len = sizeof(info);
        a.info.info = (uint64_t)(uintptr_t)&info;
        if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
                return NEG_ERRNO();
        *ret = info.id;
        return 0;
}

/* Detach every device program on the cgroup except `keep` (0: all). */
static int detach_others(int cgfd, uint32_t keep)
{
        uint32_t ids[64];
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.query.target_fd = (uint32_t)cgfd;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        a.query.prog_ids = (uint64_t)(uintptr_t)ids;
        a.query.prog_cnt = ARRAY_SIZE(ids);
        if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
                return NEG_ERRNO();
        for (uint32_t i = 0; i < a.query.prog_cnt && i < ARRAY_SIZE(ids); i++) {
                if (ids[i] == keep)
                        continue;
                union bpf_attr g;
                memset(&g, 0, sizeof(g));
                g.prog_id = ids[i];
                _cleanup_close_ int pfd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
                if (pfd < 0)
                        continue;       /* gone meanwhile */
                union bpf_attr d;
                memset(&d, 0, sizeof(d));
                d.target_fd = (uint32_t)cgfd;
                d.attach_bpf_fd = (uint32_t)pfd;
                d.attach_type = BPF_CGROUP_DEVICE;
                if (sys_bpf(BPF_PROG_DETACH, &d) < 0 && errno != ENOENT)
                        return NEG_ERRNO();
        }
        return 0;
}

int cg_bpf_devices_apply(int cgfd, const oci_device_rule *rules, size_t n, cella_error **err)
{
        cg_dev_state s;
        int r = cg_dev_emulate(rules, n, &s, err);
        if (r < 0)
                return r;
        _cleanup_free_ cg_bpf_insn *prog = NULL;
        size_t np = 0;
        r = cg_bpf_devices_build(&s, &prog, &np, err);
        cg_dev_state_done(&s);
        if (r < 0)
                return r;
        _cleanup_close_ int pfd = prog_load(prog, np, NULL, 0);
        if (pfd < 0) {
                int e = errno;
                char log[2048] = "";
                int fd2 = prog_load(prog, np, log, sizeof(log));
                if (fd2 >= 0)
                        close(fd2);
                log[sizeof(log) - 1] = '\0';
                return err_set(err, e, "linux.resources.devices: load the eBPF device program%s%s",
                               *log ? ": verifier: " : "", log);
        }
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.target_fd = (uint32_t)cgfd;
        a.attach_bpf_fd = (uint32_t)pfd;
        a.attach_type = BPF_CGROUP_DEVICE;
        a.attach_flags = BPF_F_ALLOW_MULTI;
        if (sys_bpf(BPF_PROG_ATTACH, &a) < 0) {
                /* Something attached without ALLOW_MULTI: replace it. */
                int e = errno;
                if (detach_others(cgfd, 0) < 0 || sys_bpf(BPF_PROG_ATTACH, &a) < 0)
                        return err_set(err, e, "linux.resources.devices: attach the eBPF device program");
        }
        uint32_t id;
        if ((r = prog_id(pfd, &id)) < 0 || (r = detach_others(cgfd, id)) < 0)
                return err_set(err, -r, "linux.resources.devices: replace the previous device program");
        return 0;
}
