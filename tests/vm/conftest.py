"""Markers used by the VM stage (tests/vm/suite picks tests with them)."""


def pytest_configure(config):
    for line in (
        "vm_v2: needs a pure cgroup v2 host; runs only in the tests/vm v2 guest",
        "cgroup: cgroup test group; also runs in the tests/vm v1 and hybrid guests",
        "needs_memory_controller: creates memory cgroups; runs only in tests/vm guests "
        "(the host's memory hierarchy is off limits)",
    ):
        config.addinivalue_line("markers", line)
