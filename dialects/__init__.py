"""Typed helpers for the StableHLO ops WebTensor's passes read and build."""
