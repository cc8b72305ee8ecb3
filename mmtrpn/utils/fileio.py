"""Atomic file writes: a kill mid-write leaves the previous file intact.

Every writer in mmtrpn (checkpoints through MMEngine's LocalBackend, result
dumps, converted features, generated data, figures) goes through
``atomic_write``.
"""
import json
import os
import tempfile

import msgspec
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


NPY_MAGIC = b'\x93NUMPY'


def load_npy(path, what='array file'):
    """A plain (unpickled) array from a ``.npy`` file.

    An empty, truncated or non-``.npy`` file is a ValueError naming ``what``
    and ``path`` (numpy says ``EOFError`` or "file seems not fully written"
    without the file); a pickled array is refused.
    """
    path = os.fspath(path)
    with open(path, 'rb') as f:
        head = f.read(len(NPY_MAGIC))
    if not head:
        raise ValueError(f'{what} {path} is empty (0 bytes): it was not '
                         'written completely; write it again.')
    if head != NPY_MAGIC:
        raise ValueError(f'{what} {path} is not a .npy file (it does not '
                         'start with the NumPy magic bytes).')
    try:
        return np.load(path, allow_pickle=False)
    except EOFError as e:
        raise ValueError(f'{what} {path} is truncated (it ends inside the '
                         f'header): write it again. ({e})') from e
    except ValueError as e:
        text = str(e)
        if 'pickled' in text:
            raise ValueError(
                f'Cannot read {what} from {path} as a plain array: it holds '
                'pickled (object) data, which only the converters in '
                f'tools/data read. ({text})') from e
        if 'EOF' in text or 'not fully written' in text:
            raise ValueError(f'{what} {path} is truncated: write it again. '
                             f'({text})') from e
        raise ValueError(f'Cannot read {what} from {path}: {text}') from e


def npy_shape(path):
    """Shape of a ``.npy`` from its header (nothing else is read), None when
    missing, unreadable or not a ``.npy`` (an ``.npz`` renamed, a pickle
    ...): the feature loader names those files when it reaches them."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path, 'rb') as f:
            if f.read(len(NPY_MAGIC)) != NPY_MAGIC:
                return None
        array = np.load(path, mmap_mode='r', allow_pickle=False)
    except Exception:  # any unreadable file: the loader names it
        return None
    return tuple(array.shape) if isinstance(array, np.ndarray) else None


def json_keys_and_colons(obj) -> int:
    """Keys of all objects in ``obj`` plus the colons inside its strings.

    Equals the colon count of the JSON text ``obj`` was parsed from (without
    ``\\u`` escapes) exactly when no object repeated a key: a parser that
    keeps the last of two equal keys loses one key and its value's colons.
    """
    if isinstance(obj, dict):
        return sum(1 + k.count(':') + json_keys_and_colons(v)
                   for k, v in obj.items())
    if isinstance(obj, list):
        return sum(json_keys_and_colons(v) for v in obj)
    if isinstance(obj, str):
        return obj.count(':')
    return 0


def escapes_a_colon(raw: bytes) -> bool:
    """Whether the JSON text ``raw`` writes a colon as ``\\u003a``: the
    decoded strings then hold colons that ``raw.count(b':')`` misses, and
    could cancel a key lost to a repeat in :func:`json_keys_and_colons`'s
    count. Other escapes (quotes, non-ASCII letters) change no colon."""
    return b'\\u003a' in raw or b'\\u003A' in raw


def load_json(path, kind='JSON file', hint=''):
    """A JSON object from ``path``; errors name the file (and ``kind``).

    A key repeated within one object is an error: ``json`` keeps the last
    one, so a video listed twice in annotations or results would silently
    replace the first. msgspec parses; a file it rejects, or one whose colon
    count shows a repeated key (:func:`json_keys_and_colons`), is parsed
    again by ``json`` for the error message (or, for NaN literals and lone
    surrogates that only ``json`` takes, for the data).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{kind} not found: {path}.{hint}')
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        data = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        data = None
    if data is None or escapes_a_colon(raw) or json_keys_and_colons(
            data) != raw.count(b':'):
        data = _load_json_exact(path, kind)
    if not isinstance(data, dict):
        raise ValueError(f'{kind} {path}: expected a JSON object at the top '
                         'level')
    return data


def _load_json_exact(path, kind):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f, object_pairs_hook=_refuse_duplicate_keys)
    except DuplicateKeyError as e:
        raise ValueError(f'{kind} {path} has a duplicate key {e.args[0]!r} '
                         'within one object (JSON keeps only the last; '
                         'remove or merge the repeated entry).') from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'Malformed JSON in {kind} {path}: {e}') from e
