"""Hostile-module tests: small StableHLO modules built to crash, hang or
trick a compiler, each with the one outcome WebTensor defines for it.

cases.py builds the modules and their expected outcomes, runner.py runs them
in child processes with wall-time limits (`python -m
webtensor.tests.hostile.runner`), and test_hostile.py asserts, family by
family, that none crashed, hung or gave anything but its defined outcome.
"""
