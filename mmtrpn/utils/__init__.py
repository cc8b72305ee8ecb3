"""Utilities. Attributes load on first use (PEP 562), so that importing
``mmtrpn.utils.fileio`` (the JSON and array readers of the evaluation
tools) does not import torch and MMEngine."""
import importlib

_HOMES = {
    'apply_compat_fixes': 'compat',
    'init_cpu_process_group': 'dist',
    'shutdown_distributed': 'dist',
    'atomic_write_bytes': 'fileio',
    'atomic_write_json': 'fileio',
    'atomic_write_text': 'fileio',
    'register_all_modules': 'setup_env',
}

__all__ = sorted(_HOMES)


def __getattr__(name):
    if name not in _HOMES:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'.{_HOMES[name]}', __name__),
                   name)
