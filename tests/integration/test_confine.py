"""Confinement (issue 3): capabilities, seccomp, no_new_privs, rlimits."""
import errno
import os

import pytest

from itlib import CAP_NUM, SeccompListener, caps_of, host_bounding_caps, last_json

ARCHES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]


def lines(rt, bundle):
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, f"rc={r.returncode} stderr={r.stderr}"
    return [last_json(x) for x in r.stdout.strip().splitlines() if x.strip().startswith("{")]


def caps(*names):
    return {CAP_NUM[n] for n in names}


def test_capability_sets_as_configured(rt, bundle):
    bundle.process["capabilities"] = {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID"],
        "effective": ["CAP_CHOWN", "CAP_KILL"],
        "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"],
        "inheritable": ["CAP_KILL", "CAP_SETGID"],
        "ambient": ["CAP_KILL"],
    }
    rep = lines(rt, bundle)[0]
    assert caps_of(rep["CapBnd"]) == caps("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID",
                                          "CAP_SETGID")
    # uid 0 with no_new_privs: execve makes effective = permitted (file caps
    # of root are "all", capped by the old permitted set), whatever the
    # effective set was before exec. So only the permitted set shows here.
    assert caps_of(rep["CapEff"]) == caps("CAP_CHOWN", "CAP_KILL", "CAP_SETUID")
    assert caps_of(rep["CapPrm"]) == caps("CAP_CHOWN", "CAP_KILL", "CAP_SETUID")
    assert caps_of(rep["CapInh"]) == caps("CAP_KILL", "CAP_SETGID")
    assert caps_of(rep["CapAmb"]) == caps("CAP_KILL")


def test_no_capabilities(rt, bundle):
    bundle.process["capabilities"] = {k: [] for k in ("bounding", "effective", "permitted", "inheritable",
                                                      "ambient")}
    rep = lines(rt, bundle)[0]
    for k in ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert caps_of(rep[k]) == set(), k


def test_ambient_caps_for_non_root_user(rt, bundle):
    bundle.process["user"] = {"uid": 1234, "gid": 1234}
    bundle.process["capabilities"] = {k: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]
                                      for k in ("bounding", "effective", "permitted", "inheritable", "ambient")}
    rep = lines(rt, bundle)[0]
    assert rep["uid"] == 1234
    assert caps_of(rep["CapEff"]) == caps("CAP_CHOWN", "CAP_NET_BIND_SERVICE")
    assert caps_of(rep["CapAmb"]) == caps("CAP_CHOWN", "CAP_NET_BIND_SERVICE")


def test_non_root_without_ambient_has_no_effective(rt, bundle):
    bundle.process["user"] = {"uid": 1234, "gid": 1234}
    bundle.process["capabilities"] = {k: ["CAP_CHOWN"] for k in ("bounding", "effective", "permitted")}
    rep = lines(rt, bundle)[0]
    assert caps_of(rep["CapEff"]) == set()


@pytest.mark.parametrize("granted", [True, False], ids=["granted", "dropped"])
def test_dropped_capability_syscall_fails(rt, bundle, granted):
    have = ["CAP_CHOWN", "CAP_MKNOD", "CAP_SYS_CHROOT"] if granted else ["CAP_KILL"]
    bundle.process["capabilities"] = {k: have for k in ("bounding", "effective", "permitted")}
    open(os.path.join(bundle.rootfs, "tmp", "owned"), "w").close()
    bundle.args("/bin/sh", "-c", "/testinit try-syscall chown /tmp/owned 1 1;"
                " /testinit try-syscall mknod /tmp/node 8630 259; /testinit try-syscall chroot /tmp")
    chown, mknod, chroot = lines(rt, bundle)
    want = 0 if granted else errno.EPERM
    assert (chown["errno"], mknod["errno"], chroot["errno"]) == (want, want, want)


def test_bounding_set_dropped_even_for_root(rt, bundle):
    bundle.process["capabilities"] = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                                      "permitted": ["CAP_KILL"]}
    # setuid(0)->exec cannot regain a capability outside the bounding set.
    bundle.process["noNewPrivileges"] = False
    bundle.args("/bin/sh", "-c", "/testinit report")
    rep = lines(rt, bundle)[0]
    assert caps_of(rep["CapBnd"]) == caps("CAP_KILL")
    assert caps_of(rep["CapEff"]) <= caps("CAP_KILL")


@pytest.mark.cella_specific
def test_unknown_capability_is_an_error(rt, bundle):
    bundle.process["capabilities"]["bounding"].append("CAP_NOT_A_CAP")
    r = rt.create(bundle.id, bundle, check=False)
    assert r.returncode != 0 and "CAP_NOT_A_CAP" in r.stderr, r.stderr


def profile(rules, default="SCMP_ACT_ALLOW", **kw):
    return {"defaultAction": default, "architectures": ARCHES, "syscalls": rules, **kw}


def test_seccomp_errno_with_errno_ret(rt, bundle):
    bundle.linux["seccomp"] = profile([
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOMSG},
        {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"},
    ])
    bundle.args("/bin/sh", "-c", "/testinit report; /testinit try-syscall mkdir /tmp/d 493;"
                " /testinit try-syscall rmdir /tmp; /testinit try-syscall getppid")
    rep, mk, rm, ok = lines(rt, bundle)
    assert rep["Seccomp"] == "2"
    assert mk["errno"] == errno.ENOMSG
    assert rm["errno"] == errno.EPERM  # errno action without errnoRet: EPERM
    assert ok["errno"] == 0
    assert not os.path.exists(os.path.join(bundle.rootfs, "tmp", "d"))


UNISTD = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"


@pytest.mark.skipif(not os.path.exists(UNISTD), reason="no syscall table (linux-libc-dev)")
def test_seccomp_default_errno_allowlist(rt, bundle):
    # An allowlist of every x86-64 syscall but mkdir, with defaultErrnoRet.
    import re
    names = sorted(set(re.findall(r"#define __NR_(\w+)\s+\d+", open(UNISTD).read())) - {"mkdir"})
    bundle.linux["seccomp"] = profile([{"names": names, "action": "SCMP_ACT_ALLOW"}],
                                      default="SCMP_ACT_ERRNO", defaultErrnoRet=errno.EACCES)
    bundle.args("/bin/sh", "-c", "/testinit try-syscall mkdir /tmp/d 493; /testinit try-syscall getppid")
    mk, ok = lines(rt, bundle)
    assert mk["errno"] == errno.EACCES
    assert ok["errno"] == 0


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL",
                                    "SCMP_ACT_TRAP"])
def test_seccomp_kill_actions(rt, bundle, action):
    bundle.linux["seccomp"] = profile([{"names": ["getpriority"], "action": action}])
    bundle.args("/testinit", "try-syscall", "getpriority", "0", "0")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 128 + 31, (r.returncode, r.stdout, r.stderr)  # SIGSYS
    assert '"ret"' not in r.stdout


def test_seccomp_log_and_allow_actions_let_the_call_through(rt, bundle):
    bundle.linux["seccomp"] = profile([{"names": ["getpriority"], "action": "SCMP_ACT_LOG"},
                                       {"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}],
                                      default="SCMP_ACT_ALLOW")
    bundle.args("/bin/sh", "-c", "/testinit try-syscall getpriority 0 0; /testinit try-syscall mkdir /tmp/d 493")
    a, b = lines(rt, bundle)
    assert a["errno"] == 0 and b["errno"] == 0


def test_seccomp_argument_conditions(rt, bundle):
    bundle.linux["seccomp"] = profile([
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOMSG,
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
        {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EBADMSG,
         "args": [{"index": 1, "value": 100, "op": "SCMP_CMP_GT"}]},
    ])
    bundle.args("/bin/sh", "-c", "/testinit try-syscall personality 8; /testinit try-syscall personality 0xffffffff;"
                " /testinit try-syscall getpriority 0 101; /testinit try-syscall getpriority 0 0")
    p8, pq, g101, g0 = lines(rt, bundle)
    assert p8["errno"] == errno.ENOMSG
    assert pq["errno"] == 0
    assert g101["errno"] == errno.EBADMSG
    assert g0["errno"] == 0


def test_seccomp_notify_listener(rt, bundle):
    sock = os.path.join(bundle.dir, "seccomp.sock")
    listener = SeccompListener(sock, errno.ENOMSG)
    try:
        bundle.linux["seccomp"] = profile([{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}],
                                          listenerPath=sock, listenerMetadata="cella-it")
        bundle.args("/bin/sh", "-c", "/testinit try-syscall mkdir /tmp/d 493; /testinit try-syscall getppid")
        mk, ok = lines(rt, bundle)
        assert listener.fd is not None, "no seccomp fd arrived on listenerPath"
        assert mk["errno"] == errno.ENOMSG, "the listener's answer did not reach the process"
        assert ok["errno"] == 0
        assert listener.notified, "no notification was received"
        st = listener.state
        assert isinstance(st, dict), st
        assert st["state"]["id"] == bundle.id
        assert "seccompFd" in st["fds"]
        assert st.get("metadata") == "cella-it"
    finally:
        listener.close()


def test_seccomp_unknown_syscall_name_ignored_or_error(rt, bundle):
    bundle.linux["seccomp"] = profile([{"names": ["not_a_syscall_xyz", "mkdir"], "action": "SCMP_ACT_ERRNO"}])
    bundle.args("/testinit", "try-syscall", "mkdir", "/tmp/d", "493")
    r = rt.run(bundle.id, bundle)
    if r.returncode == 0:
        assert last_json(r.stdout)["errno"] == errno.EPERM
    else:
        assert "not_a_syscall_xyz" in r.stderr


def test_no_new_privs_blocks_setuid_gain(rt, bundle):
    # A setuid-root copy of testinit, run as uid 1234: with no_new_privs the
    # exec does not raise euid.
    import shutil
    exe = os.path.join(bundle.rootfs, "suid-testinit")
    shutil.copy2(os.path.join(bundle.rootfs, "testinit"), exe)
    os.chown(exe, 0, 0)
    os.chmod(exe, 0o4755)
    bundle.process["user"] = {"uid": 1234, "gid": 1234}
    bundle.process["noNewPrivileges"] = True
    bundle.args("/suid-testinit", "report")
    rep = lines(rt, bundle)[0]
    assert rep["euid"] == 1234 and rep["no_new_privs"] == 1


def test_setuid_works_without_no_new_privs(rt, bundle):
    import shutil
    exe = os.path.join(bundle.rootfs, "suid-testinit")
    shutil.copy2(os.path.join(bundle.rootfs, "testinit"), exe)
    os.chown(exe, 0, 0)
    os.chmod(exe, 0o4755)
    bundle.process["user"] = {"uid": 1234, "gid": 1234}
    bundle.process["noNewPrivileges"] = False
    bundle.args("/suid-testinit", "report")
    rep = lines(rt, bundle)[0]
    assert rep["euid"] == 0 and rep["no_new_privs"] == 0


def nr_open():
    with open("/proc/sys/fs/nr_open") as f:
        return int(f.read())


def test_rlimit_above_allowed_fails(rt, bundle):
    big = nr_open() + 1
    bundle.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": big, "hard": big}]
    r = rt.run(bundle.id, bundle)
    assert r.returncode != 0 and r.stderr.strip()
    assert '"pid"' not in r.stdout, "the process ran despite the failed rlimit"


@pytest.mark.cella_specific
def test_rlimit_above_allowed_names_the_limit(rt, bundle):
    big = nr_open() + 1
    bundle.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": big, "hard": big}]
    r = rt.run(bundle.id, bundle)
    assert r.returncode != 0 and "RLIMIT_NOFILE" in r.stderr, r.stderr


def test_rlimit_soft_above_hard_fails(rt, bundle):
    bundle.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 200, "hard": 100}]
    r = rt.run(bundle.id, bundle)
    assert r.returncode != 0 and r.stderr.strip()


@pytest.mark.cella_specific
def test_unknown_rlimit_type_is_an_error(rt, bundle):
    bundle.process["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]
    r = rt.create(bundle.id, bundle, check=False)
    assert r.returncode != 0 and "RLIMIT_BOGUS" in r.stderr


def test_host_bounding_set_limits_container(rt, bundle):
    """Asking for every capability gives at most the host's bounding set."""
    every = sorted(CAP_NUM)
    host = host_bounding_caps()
    every = [c for c in every if CAP_NUM[c] in host]
    bundle.process["capabilities"] = {k: every for k in ("bounding", "effective", "permitted")}
    rep = lines(rt, bundle)[0]
    assert caps_of(rep["CapBnd"]) == {CAP_NUM[c] for c in every}
    assert caps_of(rep["CapEff"]) == {CAP_NUM[c] for c in every}
