"""--preserve-fds N (runc's flag, what podman uses for socket activation):
the caller's fds 3..3+N-1 reach the container's process; nothing else does."""
import os
import subprocess

from itlib import last_json


def test_run_preserve_fds(rt, bundle):
    r_kept, w_kept = os.pipe()
    r_other, w_other = os.pipe()
    # In the runtime, fd 3 is the kept pipe; fd 4 is passed but not preserved.
    bundle.args("/bin/sh", "-c", "echo through-fd-3 >&3; exec /testinit show-fds")
    bundle.save()
    try:
        def child_fds():
            os.dup2(w_kept, 3)
            os.dup2(w_other, 4)
        r = subprocess.run(rt.cmd("run", "--preserve-fds", "1", "--bundle", bundle.dir, bundle.id),
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30,
                           preexec_fn=child_fds, close_fds=False)
        rt.ids.append(bundle.id)
    finally:
        os.close(w_kept)
        os.close(w_other)
    assert r.returncode == 0, r.stderr
    assert os.read(r_kept, 100) == b"through-fd-3\n"
    fds = sorted(int(k) for k in last_json(r.stdout))
    assert fds == [0, 1, 2, 3], r.stdout
    os.close(r_kept)
    os.close(r_other)


def test_preserve_fds_bad_count(rt, bundle):
    bundle.save()
    r = rt("run", "--preserve-fds", "lots", "--bundle", bundle.dir, bundle.id)
    assert r.returncode != 0
    if rt.is_cella:
        assert "--preserve-fds" in r.stderr
