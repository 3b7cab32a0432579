"""Benchmarks for issue 7: synthetic colleges of N staff and `make bench` (writes BENCHMARKS.md)."""
