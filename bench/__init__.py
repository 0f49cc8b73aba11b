"""Benchmarks of Technopolis Warehouse (``make bench``); see bench/README.md and BENCHMARKS.md.

Timings live here, never in tests/.
"""
