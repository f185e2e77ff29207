"""Benchmarks (`make bench`): page latency under load, flag_courses, reminder sending."""
