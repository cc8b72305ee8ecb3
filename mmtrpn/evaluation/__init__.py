"""Evaluation: the temporal mAP metric and its numpy functions.

The metric (MMEngine, torch) loads on first use (PEP 562): the offline
scorer ``tools/eval_results.py`` needs only the numpy functions."""
import importlib

from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all

_metrics_all = ['TemporalMAPMetric']
__all__ = list(_functional_all) + _metrics_all


def __getattr__(name):
    if name not in _metrics_all:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module('.metrics', __name__), name)
