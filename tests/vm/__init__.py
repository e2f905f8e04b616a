# Makes tests/vm a package so its test modules (test_guest, test_harness)
# cannot clash with same-named modules under tests/integration.
