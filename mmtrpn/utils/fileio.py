"""Atomic file writes: a kill mid-write leaves the previous file intact.

Every writer in mmtrpn (checkpoints through MMEngine's LocalBackend, result
dumps, converted features, generated data, figures) goes through
``atomic_write``.
"""
import json
import os
import tempfile

import numpy as np


def _default_mode():
    # mkstemp creates owner-only files; give the result the usual mode.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path, write_fn):
    """Call ``write_fn(binary_file)`` on a temp sibling, then rename it."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix='.' + os.path.basename(path) + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_path, _default_mode())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def atomic_write_bytes(path, data):
    atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path, text, encoding='utf-8'):
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_json(path, obj, **dump_kwargs):
    atomic_write_text(path, json.dumps(obj, **dump_kwargs))


def atomic_save_npy(path, array):
    """``np.save`` without pickles, atomically."""
    array = np.ascontiguousarray(array)
    atomic_write(path, lambda f: np.save(f, array, allow_pickle=False))


def load_json(path, kind='JSON file', hint=''):
    """A JSON object from ``path``; errors name the file (and ``kind``)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{kind} not found: {path}.{hint}')
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'Malformed JSON in {kind} {path}: {e}') from e
    if not isinstance(data, dict):
        raise ValueError(f'{kind} {path}: expected a JSON object at the top '
                         'level')
    return data
