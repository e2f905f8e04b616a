"""Throwaway-VM harness library (see tests/vm/README.md)."""
