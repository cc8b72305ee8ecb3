"""Small file helpers shared by the dataset, the generator and converters.

Nothing here reads pickled data: annotation files are JSON or plain text,
features are plain ``.npy`` arrays. Pickled inputs are read only in
``mmtrpn/datasets/converters.py``.
"""
import os
import os.path as osp
from typing import Dict, Iterable, List, Sequence, Tuple, Union

import numpy as np

from mmtrpn.utils.fileio import load_json as read_json_object

DATA_DOC = 'docs/data_preparation.md'


def check_video_name(name, source: str = '') -> str:
    """Return ``name`` if it is safe as a file stem, else raise ValueError.

    Video names become ``<folder>/<name>.npy``; a name with a path separator,
    ``..`` or an absolute path could read or write outside the data root.
    """
    where = f' in {source}' if source else ''
    if not isinstance(name, str) or not name:
        raise ValueError(f'Invalid video name {name!r}{where}: '
                         'expected a non-empty string.')
    seps = {'/', '\\', os.sep} | ({os.altsep} if os.altsep else set())
    if (name in ('.', '..') or osp.isabs(name) or any(s in name for s in seps)
            or '\x00' in name):
        raise ValueError(
            f'Unsafe video name {name!r}{where}: video names are file stems '
            'and may not contain path separators, be "." or "..", or be '
            'absolute paths.')
    return name


def load_json(path: str) -> dict:
    """An annotation/layout JSON file; errors name it and the data docs."""
    return read_json_object(path, 'Annotation file', f' See {DATA_DOC}.')


def read_name_list(source: Union[str, Iterable[str], None]) -> List[str]:
    """Video names from a list, or from a text file with one per line.

    Blank lines and ``#`` comments are skipped.
    """
    if source is None:
        return []
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not osp.isfile(path):
            raise FileNotFoundError(f'Video list file not found: {path}')
        names = []
        with open(path, encoding='utf-8') as f:
            for line in f:
                line = line.split('#', 1)[0].strip()
                if line:
                    names.append(line)
        return names
    return [str(n) for n in source]


def read_ambiguous_file(path: str) -> Dict[str, List[Tuple[float, float]]]:
    """Parse a THUMOS ``Ambiguous_*.txt``: lines ``video start end``.

    Columns may be separated by any whitespace (the official file uses two
    spaces). Returns {video: [(start, end), ...]}.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Ambiguous-segment file not found: {path}')
    out: Dict[str, List[Tuple[float, float]]] = {}
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 3:
                raise ValueError(
                    f'{path}:{lineno}: expected "video start end", '
                    f'got {line.strip()!r}')
            try:
                start, end = float(parts[1]), float(parts[2])
            except ValueError as e:
                raise ValueError(f'{path}:{lineno}: start/end are not '
                                 f'numbers in {line.strip()!r}') from e
            out.setdefault(parts[0], []).append((start, end))
    return out


def normalize_layout(raw: dict, source: str = '') -> dict:
    """Bring a canonical or ActivityNet-style annotation dict to canonical.

    ActivityNet-style files (e.g. ``thumos14.json``) have no ``classes``
    (taken here as the sorted segment labels) and may capitalise subsets
    (``Test``); subsets are lower-cased. Extra per-segment keys are dropped.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get('database'),
                                                   dict):
        raise ValueError(f'{source}: no "database" mapping of videos found.')
    database = {}
    labels_seen = set()
    for name, video in raw['database'].items():
        check_video_name(name, source)
        anns = []
        for ann in video.get('annotations', []):
            anns.append(
                dict(label=ann['label'],
                     segment=[float(ann['segment'][0]),
                              float(ann['segment'][1])]))
            labels_seen.add(ann['label'])
        entry = dict(
            subset=str(video['subset']).lower(),
            duration=float(video['duration']),
            annotations=anns)
        if 'labels' in video:
            entry['labels'] = list(video['labels'])
            labels_seen.update(video['labels'])
        database[name] = entry
    classes = raw.get('classes')
    if classes is None:
        classes = sorted(labels_seen)
    return dict(classes=list(classes), database=database)


def segments_array(pairs: Sequence[Sequence[float]]) -> np.ndarray:
    return np.asarray(pairs, dtype=np.float32).reshape(-1, 2)
