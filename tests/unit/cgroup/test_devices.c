/* Device rules: the emulator's final state, its v1 text form, and the
 * eBPF program run in a small interpreter of the instructions it uses,
 * checked against a plain last-match-wins reading of the rule list. */
#include "tap.h"
#include "cgroup/cgroup-internal.h"
#include <linux/bpf.h>
#include <stdlib.h>

/* Interpreter for the opcodes cg_bpf_devices_build emits. Returns R0 or
 * -1 on an unknown opcode / jump out of the program. */
static int run(const cg_bpf_insn *p, size_t n, uint32_t type, uint32_t access, uint32_t major, uint32_t minor)
{
        uint32_t ctx[3] = { type | (access << 16), major, minor };
        uint64_t R[11] = { 0 };
        size_t steps = 0;
        for (size_t pc = 0; pc < n && steps < 10000; pc++, steps++) {
                const cg_bpf_insn *i = &p[pc];
                unsigned dst = i->regs & 0xf, src = i->regs >> 4;
                switch (i->code) {
                case 0x61: /* ldxw dst, [src+off]; src is the ctx (R1) */
                        if (src != 1 || i->off % 4 || i->off < 0 || i->off > 8)
                                return -1;
                        R[dst] = ctx[i->off / 4];
                        break;
                case 0x54: R[dst] = (uint32_t)(R[dst] & (uint32_t)i->imm); break;
                case 0x74: R[dst] = (uint32_t)R[dst] >> i->imm; break;
                case 0xbc: R[dst] = (uint32_t)R[src]; break;
                case 0xb4: R[dst] = (uint32_t)i->imm; break;
                case 0x55: if (R[dst] != (uint64_t)(int64_t)i->imm) pc += i->off; break;
                case 0x5d: if (R[dst] != R[src]) pc += i->off; break;
                case 0x15: if (R[dst] == (uint64_t)(int64_t)i->imm) pc += i->off; break;
                case 0x95: return (int)R[0];
                default: return -1;
                }
        }
        return -1;
}

static int verdict(const oci_device_rule *rules, size_t n, char type, uint32_t acc, uint32_t major, uint32_t minor)
{
        cg_dev_state s;
        cella_error *err = NULL;
        if (cg_dev_emulate(rules, n, &s, &err) < 0) {
                err_free(err);
                return -2;
        }
        cg_bpf_insn *p = NULL;
        size_t np = 0;
        int v = -3;
        if (cg_bpf_devices_build(&s, &p, &np, &err) == 0)
                v = run(p, np, type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, acc, major, minor);
        free(p);
        cg_dev_state_done(&s);
        err_free(err);
        return v;
}

/* The meaning of a rule list: the last rule that matches decides; none: deny. */
static int lmw(const oci_device_rule *rules, size_t n, char type, unsigned accbit, int64_t major, int64_t minor)
{
        for (size_t i = n; i > 0; i--) {
                const oci_device_rule *r = &rules[i - 1];
                if (r->type == 'a')
                        return r->allow;
                if (r->type != type || (r->major >= 0 && r->major != major) || (r->minor >= 0 && r->minor != minor))
                        continue;
                if (strchr(r->access, accbit == CG_DEV_R ? 'r' : accbit == CG_DEV_W ? 'w' : 'm'))
                        return r->allow;
        }
        return 0;
}

#define R_ BPF_DEVCG_ACC_READ
#define W_ BPF_DEVCG_ACC_WRITE
#define M_ BPF_DEVCG_ACC_MKNOD

static unsigned long long rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (unsigned)(rng % n);
}

int main(void)
{
        /* Docker's default device list, abridged. */
        oci_device_rule docker[] = {
                { false, 'a', -1, -1, "rwm" }, { true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },
                { true, 'c', 1, 3, "rwm" }, { true, 'c', 1, 5, "rwm" }, { true, 'c', 136, -1, "rwm" },
                { true, 'c', 5, 2, "rwm" },
        };
        size_t nd = sizeof(docker) / sizeof(docker[0]);
        OK(verdict(docker, nd, 'c', R_ | W_, 1, 3) == 1, "docker: /dev/null rw allowed");
        OK(verdict(docker, nd, 'c', R_, 1, 4) == 0, "docker: c 1:4 read denied");
        OK(verdict(docker, nd, 'c', M_, 1, 4) == 1, "docker: c *:* mknod allowed");
        OK(verdict(docker, nd, 'b', M_, 8, 0) == 1, "docker: b *:* mknod allowed");
        OK(verdict(docker, nd, 'b', R_, 8, 0) == 0, "docker: b 8:0 read denied");
        OK(verdict(docker, nd, 'c', W_, 136, 7) == 1, "docker: pty 136:7 allowed");
        OK(verdict(docker, nd, 'c', R_ | M_, 1, 4) == 0, "docker: read+mknod of c 1:4 denied");

        oci_device_rule blk[] = { { true, 'a', -1, -1, "rwm" }, { false, 'c', 1, 3, "w" } };
        OK(verdict(blk, 2, 'c', R_, 1, 3) == 1, "allow-all minus c 1:3 w: read allowed");
        OK(verdict(blk, 2, 'c', W_, 1, 3) == 0, "allow-all minus c 1:3 w: write denied");
        OK(verdict(blk, 2, 'c', R_ | W_, 1, 3) == 0, "allow-all minus c 1:3 w: read+write denied");
        OK(verdict(blk, 2, 'b', W_, 8, 0) == 1, "allow-all: other devices allowed");

        oci_device_rule reset[] = { { true, 'c', 1, 3, "rwm" }, { false, 'a', -1, -1, "rwm" } };
        OK(verdict(reset, 2, 'c', R_, 1, 3) == 0, "a later deny-all wins");
        OK(verdict(NULL, 0, 'c', R_, 1, 3) == 0, "no rules: deny");

        oci_device_rule hole[] = { { false, 'a', -1, -1, "rwm" }, { true, 'c', -1, -1, "rwm" },
                                   { false, 'c', 1, 3, "rwm" } };
        cg_dev_state s;
        cella_error *err = NULL;
        OK(cg_dev_emulate(hole, 3, &s, &err) == -EINVAL && err && strstr(err->msg, "devices[2]"),
           "hole in a wildcard refused: %s", err ? err->msg : "");
        err_freep(&err);
        oci_device_rule badtype[] = { { true, 'x', 1, 1, "r" } };
        OK(cg_dev_emulate(badtype, 1, &s, &err) == -EINVAL && err && strstr(err->msg, "devices[0].type"),
           "bad type refused: %s", err ? err->msg : "");
        err_freep(&err);

        OK(cg_dev_emulate(docker, nd, &s, &err) == 0 && !s.default_allow && s.n_ex == 6, "docker: 6 exceptions");
        char buf[64];
        cg_dev_format(&s.ex[0], buf, sizeof(buf));
        EQ_S(buf, "c *:* m", "v1 text form");
        cg_dev_format(&s.ex[2], buf, sizeof(buf));
        EQ_S(buf, "c 1:3 rwm", "v1 text form");
        cg_dev_state_done(&s);

        /* Random rule lists over a small domain: wherever the emulator
         * accepts the list, the program agrees with last-match-wins for
         * every single-access request. */
        static const char *const accs[] = { "r", "w", "m", "rw", "rm", "wm", "rwm" };
        static const int64_t majors[] = { -1, 1, 2 }, minors[] = { -1, 3, 4 };
        int checked = 0, agree = 0, lists = 0;
        for (int t = 0; t < 3000; t++) {
                oci_device_rule rules[6];
                size_t n = 1 + rnd(6);
                for (size_t i = 0; i < n; i++) {
                        rules[i].allow = rnd(2);
                        rules[i].type = rnd(8) == 0 ? 'a' : rnd(2) ? 'c' : 'b';
                        rules[i].major = rules[i].type == 'a' ? -1 : majors[rnd(3)];
                        rules[i].minor = rules[i].type == 'a' ? -1 : minors[rnd(3)];
                        strcpy(rules[i].access, rules[i].type == 'a' ? "rwm" : accs[rnd(7)]);
                }
                if (cg_dev_emulate(rules, n, &s, &err) < 0) {
                        err_freep(&err);
                        continue;
                }
                cg_dev_state_done(&s);
                lists++;
                for (int ty = 0; ty < 2; ty++)
                        for (int ma = 1; ma <= 3; ma++)
                                for (int mi = 3; mi <= 5; mi++)
                                        for (unsigned a = 1; a <= 4; a <<= 1) {
                                                char type = ty ? 'b' : 'c';
                                                uint32_t bacc = a == CG_DEV_R ? R_ : a == CG_DEV_W ? W_ : M_;
                                                checked++;
                                                int v1 = verdict(rules, n, type, bacc, (uint32_t)ma, (uint32_t)mi);
                                                int v2 = lmw(rules, n, type, a, ma, mi);
                                                agree += v1 == v2;
                                                if (v1 != v2 && checked - agree <= 3) {
                                                        printf("# disagree on %c %d:%d %u: program %d, lmw %d; rules:", type, ma, mi, a, v1, v2);
                                                        for (size_t i = 0; i < n; i++)
                                                                printf(" [%s %c %lld:%lld %s]", rules[i].allow ? "allow" : "deny", rules[i].type,
                                                                       (long long)rules[i].major, (long long)rules[i].minor, rules[i].access);
                                                        printf("\n");
                                                }
                                        }
        }
        OK(lists > 1000 && checked == agree, "program == last-match-wins: %d/%d requests over %d lists", agree,
           checked, lists);
        return tap_done();
}
