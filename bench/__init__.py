"""Benchmarks: synthetic colleges of N staff and `make bench` (writes BENCHMARKS.md)."""
