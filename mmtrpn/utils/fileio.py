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


class DuplicateKeyError(ValueError):
    """A JSON object repeats a key (``json`` would keep the last silently)."""


def _refuse_duplicate_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKeyError(key)
        obj[key] = value
    return obj


def load_json(path, kind='JSON file', hint=''):
    """A JSON object from ``path``; errors name the file (and ``kind``).

    A key repeated within one object is an error: ``json`` keeps the last
    one, so a video listed twice in annotations or results would silently
    replace the first.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{kind} not found: {path}.{hint}')
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f, object_pairs_hook=_refuse_duplicate_keys)
    except DuplicateKeyError as e:
        raise ValueError(f'{kind} {path} has a duplicate key {e.args[0]!r} '
                         'within one object (JSON keeps only the last; '
                         'remove or merge the repeated entry).') from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'Malformed JSON in {kind} {path}: {e}') from e
    if not isinstance(data, dict):
        raise ValueError(f'{kind} {path}: expected a JSON object at the top '
                         'level')
    return data
