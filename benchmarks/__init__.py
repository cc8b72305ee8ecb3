"""Benchmarks of mmtrpn; run from the repository root, e.g.
``python -m benchmarks.table4`` (see docs/benchmarks.md)."""
