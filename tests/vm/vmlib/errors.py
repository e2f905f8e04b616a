"""Harness errors and the exit codes they map to (tests/vm/README.md)."""

EXIT_TIMEOUT = 124   # the guest ran past --timeout and was killed
EXIT_GUEST = 125     # the guest failed to boot, panicked, or could not run the command
EXIT_MISSING = 126   # kernel, busybox or qemu missing: run scripts/bootstrap


class Missing(Exception):
    """Something scripts/bootstrap provides is not there."""


class GuestFailed(Exception):
    """The guest could not be prepared or started."""
