"""AppArmor and SELinux fields are accepted; where the host has neither LSM
the container still runs and cella says the label was ignored."""
import os

import pytest

NO_AA = not os.path.exists("/sys/kernel/security/apparmor")
NO_SE = not os.path.exists("/sys/fs/selinux")


@pytest.mark.skipif(not (NO_AA and NO_SE), reason="this host has AppArmor or SELinux")
def test_labels_accepted_and_ignored_with_a_warning(rt, bundle):
    bundle.process["apparmorProfile"] = "docker-default"
    bundle.process["selinuxLabel"] = "system_u:system_r:container_t:s0"
    bundle.args("/testinit", "exit", "0")
    r = rt.run(bundle.id, bundle)
    assert r.returncode == 0, r.stderr
    if rt.is_cella:
        assert 'process.apparmorProfile "docker-default" ignored' in r.stderr
        assert "process.selinuxLabel" in r.stderr and "ignored" in r.stderr
