"""Benchmarks: what the sandbox costs, and how WebTensor compares with its peers.

Timing lives here and in `webtensor-bench`, never in a test: the machines
are shared and noisy, so numbers are reported, not asserted.
"""
