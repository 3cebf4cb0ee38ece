"""Figures the benchmarks print."""

from __future__ import annotations


def percentile_ms(seconds: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of durations in seconds, in milliseconds."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000
