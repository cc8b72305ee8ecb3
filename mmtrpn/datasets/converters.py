"""Conversion of public feature releases to the canonical format.

This module is the ONLY place in mmtrpn that reads pickled files: the
W-TALC / CO2-Net / DELU releases store object arrays. They are read with a
restricted unpickler (:class:`_NumpyOnlyUnpickler`) that resolves only the
numpy and builtin names such arrays need, so a crafted file cannot run
code. Every feature array passes the loader's own check before it is
written; the canonical output is plain ``.npy`` arrays and JSON, read
without pickles.

Every write is atomic (temporary file + rename), so an interrupted
conversion keeps each file already written intact; ``skip_existing`` then
resumes it.
"""
import builtins
import codecs
import os
import os.path as osp
import pickle
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
from mmengine.utils import track_iter_progress

from mmtrpn.datasets.transforms.loading import (check_features,
                                                check_same_length)
from mmtrpn.structures.annotations import (check_video_name,
                                           load_annotation_json,
                                           load_annotations,
                                           normalize_layout)
from mmtrpn.structures.segments import DEFAULT_SNIPPET_DURATION
from mmtrpn.utils.fileio import atomic_save_npy, atomic_write_json, load_npy

WTALC_FILES = ('videoname', 'subset', 'duration', 'segments', 'labels',
               'labels_all', 'classlist')


def _text(x) -> str:
    """W-TALC arrays mix bytes and str (e.g. ActivityNet ``labels_all``)."""
    if isinstance(x, (bytes, np.bytes_)):
        return x.decode('utf-8')
    return str(x)


def _numpy_pickle_globals() -> dict:
    """``{(module, name): object}`` that numpy object-array pickles (of
    any numpy version, Python 2 or 3) refer to; nothing else is loaded."""
    core = getattr(np, '_core', None) or np.core
    reconstruct = core.multiarray._reconstruct
    scalar = core.multiarray.scalar
    allowed = {}
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[(module, '_reconstruct')] = reconstruct
        allowed[(module, 'scalar')] = scalar
    allowed[('numpy', 'ndarray')] = np.ndarray
    allowed[('numpy', 'dtype')] = np.dtype
    # Protocol-2 pickles write bytes as _codecs.encode(text, 'latin1').
    allowed[('_codecs', 'encode')] = codecs.encode
    for name in ('set', 'frozenset', 'bytes', 'bytearray', 'complex',
                 'list', 'tuple', 'dict', 'str', 'int', 'float'):
        allowed[('builtins', name)] = getattr(builtins, name)
        allowed[('__builtin__', name)] = getattr(builtins, name)
    return allowed


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles arrays of arrays and strings; any other global (what a
    crafted ``__reduce__`` payload calls: ``os.system``, ``eval`` ...)
    is refused before it is looked up."""

    def __init__(self, file, source):
        super().__init__(file, encoding='bytes')
        self.source = source
        self.allowed = _numpy_pickle_globals()

    def find_class(self, module, name):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f'{self.source} holds a pickle that refers to '
                f'{module}.{name}, which a W-TALC array file never needs; '
                'refusing to load it (the file is corrupt or crafted).'
            ) from None


def _load_pickled(path: str):
    """A W-TALC ``.npy`` file: a plain array, or an object array read by
    :class:`_NumpyOnlyUnpickler` (no arbitrary code runs)."""
    with open(path, 'rb') as f:
        try:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0
                           if version == (1, 0) else
                           np.lib.format.read_array_header_2_0)
            _, _, dtype = read_header(f)
        except ValueError as e:
            raise ValueError(f'{path} is not a .npy file: {e}') from e
        if not dtype.hasobject:
            f.seek(0)
            return np.load(f, allow_pickle=False)
        try:
            array = _NumpyOnlyUnpickler(f, path).load()
        except pickle.UnpicklingError as e:
            raise ValueError(str(e)) from e
        except (EOFError, ValueError, TypeError) as e:
            raise ValueError(f'{path}: cannot read its pickled array '
                             f'({type(e).__name__}: {e}).') from e
    if not isinstance(array, np.ndarray):
        raise ValueError(f'{path} holds a {type(array).__name__}, not an '
                         'array.')
    return array


def load_wtalc_annotations(ann_dir: str) -> dict:
    """Read a W-TALC annotation folder into a canonical annotation dict.

    ``labels_all`` (the video-level label set the W-TALC family trains on)
    is written as ``labels`` when it differs from the segment labels, e.g.
    THUMOS ``video_test_0000270`` (no video label, 29 HammerThrow segments).
    """
    arrays = {}
    for key in WTALC_FILES:
        path = osp.join(ann_dir, key + '.npy')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'W-TALC annotation file missing: {path} (need '
                f'{", ".join(k + ".npy" for k in WTALC_FILES)})')
        arrays[key] = _load_pickled(path)
    n = len(arrays['videoname'])
    for key in WTALC_FILES[1:-1]:
        if len(arrays[key]) != n:
            raise ValueError(
                f'{osp.join(ann_dir, key + ".npy")} has {len(arrays[key])} '
                f'entries, videoname.npy has {n}.')
    classes = [_text(c) for c in arrays['classlist']]
    database, index_of = {}, {}
    for i in range(n):
        name = check_video_name(_text(arrays['videoname'][i]), ann_dir)
        if name in index_of:
            raise ValueError(
                f'Video {name} is listed twice in '
                f'{osp.join(ann_dir, "videoname.npy")}, at indices '
                f'{index_of[name]} and {i}: one would silently replace the '
                'other (and its features).')
        index_of[name] = i
        duration = float(np.asarray(arrays['duration'][i]).reshape(-1)[0])
        segs = list(arrays['segments'][i])
        labs = [_text(x) for x in arrays['labels'][i]]
        if len(segs) != len(labs):
            raise ValueError(f'Video {name} in {ann_dir}: {len(segs)} '
                             f'segments but {len(labs)} labels.')
        anns = [
            dict(label=lab, segment=[float(s[0]), float(s[1])])
            for s, lab in zip(segs, labs)
        ]
        entry = dict(
            subset=_text(arrays['subset'][i]).lower(),
            duration=duration,
            annotations=anns)
        labels_all = sorted({_text(x) for x in arrays['labels_all'][i]})
        if labels_all != sorted(set(labs)):
            entry['labels'] = labels_all
        database[name] = entry
    layout = dict(classes=classes, database=database)
    # Refuse now what the dataset would refuse after the conversion.
    load_annotations(layout, clip_segments=True, name=ann_dir)
    return layout


def load_annotation_source(source: str) -> dict:
    """Canonical annotations from a JSON file (canonical or ActivityNet
    style) or a W-TALC annotation folder."""
    if osp.isdir(source):
        return load_wtalc_annotations(source)
    return normalize_layout(load_annotation_json(source), source)


def _median_snippet_duration(lengths: Dict[str, int], database: dict):
    ratios = [
        database[v]['duration'] / t for v, t in lengths.items()
        if t > 0 and v in database
    ]
    return float(np.median(ratios)) if ratios else None


def _write_pair(out_root: str, name: str, feat_rgb, feat_flow,
                source: str) -> None:
    """Write both modalities after the loader's own checks (2-D, T > 0,
    real, finite once float32: 1e300 becomes Inf), naming ``source``."""
    checked = [
        check_features(np.asarray(feat), name, sub, f' from {source}')
        for sub, feat in (('rgb', feat_rgb), ('flow', feat_flow))
    ]
    check_same_length(*checked, name, f' ({source})', f' ({source})')
    for sub, feat in zip(('rgb', 'flow'), checked):
        atomic_save_npy(
            osp.join(out_root, 'features', sub, name + '.npy'), feat)


def _exists(out_root, name):
    return all(
        osp.isfile(osp.join(out_root, 'features', s, name + '.npy'))
        for s in ('rgb', 'flow'))


def _split_joint(feat, name, source, split_dim=None):
    feat = np.asarray(feat)
    if feat.ndim != 2:
        raise ValueError(f'Features of video {name} in {source} must be '
                         f'2-D (T, D), got shape {feat.shape}.')
    half = split_dim if split_dim is not None else feat.shape[1] // 2
    if split_dim is None and feat.shape[1] % 2:
        raise ValueError(f'Joint features of video {name} in {source} have '
                         f'odd width {feat.shape[1]}; pass split_dim.')
    return feat[:, :half], feat[:, half:]


def _finish(out_root, layout, lengths, source, extra=None):
    info = dict(source=source, **(extra or {}))
    sd = _median_snippet_duration(lengths, layout['database'])
    if sd is not None:
        info['median_seconds_per_snippet'] = round(sd, 4)
    layout = dict(layout, info=info)
    atomic_write_json(osp.join(out_root, 'annotations.json'), layout, indent=1)
    return info


def convert_wtalc(ann_dir: str,
                  out_root: str,
                  features: Optional[str] = None,
                  split_dim: Optional[int] = None,
                  subsets: Optional[Sequence[str]] = None,
                  skip_existing: bool = False,
                  progress: bool = True) -> dict:
    """Convert the W-TALC / CO2-Net / DELU release to the canonical format.

    Args:
        ann_dir: Folder with ``videoname.npy``, ``subset.npy`` ... (pickled).
        out_root: Dataset root to write.
        features: ``*-I3D-JOINTFeatures.npy``, a pickled object array of
            (T_i, 2048) arrays aligned with ``videoname.npy``, RGB columns
            first. Without it only ``annotations.json`` is written.
        split_dim: RGB width; default half the width.
        subsets: Keep only these subsets (lower-case names).
        skip_existing: Keep feature files already written (resume).

    Returns:
        dict: the ``info`` written to annotations.json, with
        ``median_seconds_per_snippet`` to check ``snippet_duration``.
    """
    layout = load_wtalc_annotations(ann_dir)
    names = list(layout['database'])
    if subsets is not None:
        keep = {s.lower() for s in subsets}
        layout['database'] = {
            k: v
            for k, v in layout['database'].items() if v['subset'] in keep
        }
    lengths = {}
    if features is not None:
        feats = _load_pickled(features)
        if len(feats) != len(names):
            raise ValueError(
                f'{features} holds {len(feats)} videos but '
                f'{ann_dir}/videoname.npy lists {len(names)}.')
        todo = [i for i, n in enumerate(names) if n in layout['database']]
        it = track_iter_progress(todo) if progress and todo else todo
        for i in it:
            name = names[i]
            rgb, flow = _split_joint(feats[i], name, features, split_dim)
            lengths[name] = int(rgb.shape[0])
            if skip_existing and _exists(out_root, name):
                continue
            _write_pair(out_root, name, rgb, flow,
                        f'{features} (index {i})')
    return _finish(out_root, layout, lengths, 'wtalc',
                   dict(videos=len(layout['database'])))


def _find(dirs: Iterable[str], name: str, suffix: str) -> Optional[str]:
    """The one file ``<dir>/<name><suffix>`` of ``dirs``; a name found in
    two folders (e.g. train and test features) is an error naming both."""
    found = [osp.join(d, name + suffix) for d in dirs
             if osp.isfile(osp.join(d, name + suffix))]
    if len(found) > 1:
        raise ValueError(
            f'Video {name} has features in {len(found)} input folders: '
            f'{found}. Which one to convert is ambiguous; remove the '
            'duplicate or pass only one of the folders.')
    return found[0] if found else None


def _load_plain(path: str) -> np.ndarray:
    return load_npy(path, 'feature file')


def convert_folders(annotations: str,
                    out_root: str,
                    rgb_dirs: Sequence[str] = (),
                    flow_dirs: Sequence[str] = (),
                    joint_dirs: Sequence[str] = (),
                    split_dim: Optional[int] = None,
                    suffix: str = '.npy',
                    subsets: Optional[Sequence[str]] = None,
                    skip_existing: bool = False,
                    progress: bool = True,
                    rgb_suffix: Optional[str] = None,
                    flow_suffix: Optional[str] = None) -> dict:
    """Convert per-video feature folders to the canonical format.

    Either ``rgb_dirs`` + ``flow_dirs`` (BaS-Net / CoLA layout, one
    ``<video>.npy`` per modality; several folders are searched, e.g. their
    train and test folders) or ``joint_dirs`` (ActionFormer / OpenTAD layout,
    one (T, 2 * D) file per video, split in half). A file is
    ``<video><suffix>``; ``rgb_suffix`` / ``flow_suffix`` override it per
    modality (e.g. ``_rgb.npy`` and ``_flow.npy`` in one folder).

    ``annotations`` is an ActivityNet-style JSON (e.g. ``thumos14.json``) or
    a canonical one. Videos without features are left out of the written
    annotations and reported in the returned ``missing``; when no video has
    them, ValueError names the files looked for and writes nothing.
    """
    rgb_suffix = suffix if rgb_suffix is None else rgb_suffix
    flow_suffix = suffix if flow_suffix is None else flow_suffix
    if bool(joint_dirs) == bool(rgb_dirs or flow_dirs):
        raise ValueError('Give either joint folders or both rgb and flow '
                         'folders.')
    if not joint_dirs and not (rgb_dirs and flow_dirs):
        raise ValueError('Both rgb and flow folders are needed.')
    layout = normalize_layout(load_annotation_json(annotations), annotations)
    if subsets is not None:
        keep = {s.lower() for s in subsets}
        layout['database'] = {
            k: v
            for k, v in layout['database'].items() if v['subset'] in keep
        }
    names = sorted(layout['database'])
    lengths, missing = {}, []
    it = track_iter_progress(names) if progress and names else names
    for name in it:
        if skip_existing and _exists(out_root, name):
            lengths[name] = int(
                np.load(
                    osp.join(out_root, 'features', 'rgb', name + '.npy'),
                    mmap_mode='r').shape[0])
            continue
        if joint_dirs:
            path = _find(joint_dirs, name, suffix)
            if path is None:
                missing.append(name)
                continue
            rgb, flow = _split_joint(_load_plain(path), name, path, split_dim)
            source = path
        else:
            rp, fp = _find(rgb_dirs, name, rgb_suffix), _find(
                flow_dirs, name, flow_suffix)
            if rp is None or fp is None:
                missing.append(name)
                continue
            rgb, flow = _load_plain(rp), _load_plain(fp)
            source = f'{rp} and {fp}'
        lengths[name] = int(rgb.shape[0])
        _write_pair(out_root, name, rgb, flow, source)
    if not lengths:
        searched = [(joint_dirs, suffix)] if joint_dirs else [
            (rgb_dirs, rgb_suffix), (flow_dirs, flow_suffix)]
        raise ValueError(_nothing_found(annotations, names, searched))
    for name in missing:
        del layout['database'][name]
    info = _finish(out_root, layout, lengths, 'folders',
                   dict(videos=len(layout['database']),
                        missing=len(missing)))
    info['missing'] = missing
    return info


def _nothing_found(annotations, names, searched) -> str:
    """The error when no video of ``annotations`` has feature files."""
    if not names:
        return (f'No videos to convert: {annotations} has none in the '
                'subsets asked for.')
    lines = [f'No feature files found for any of the {len(names)} videos '
             f'of {annotations}; looked for:']
    for dirs, file_suffix in searched:
        for folder in dirs:
            present = sorted(os.listdir(folder)) if osp.isdir(folder) else []
            seen = (f'it holds e.g. {present[:3]}' if present else
                    'it is empty' if osp.isdir(folder) else 'no such folder')
            lines.append(f'  {osp.join(folder, names[0] + file_suffix)} '
                         f'(<video>{file_suffix}; {seen})')
    lines.append('Set --suffix, or --rgb-suffix and --flow-suffix, to the '
                 'part of the file names after the video name.')
    return '\n'.join(lines)


def describe(info: dict) -> List[str]:
    """Lines for the CLI summary."""
    lines = [f'videos written: {info.get("videos")}']
    sd = info.get('median_seconds_per_snippet')
    if sd is not None:
        lines.append(
            f'median seconds per snippet: {sd:.4f} (I3D at 25 fps: '
            f'{DEFAULT_SNIPPET_DURATION:.2f}); set snippet_duration in the '
            'dataset config to match')
    missing = info.get('missing')
    if isinstance(missing, list) and missing:
        lines.append(f'{len(missing)} videos had no features and were left '
                     f'out, e.g. {missing[:5]}')
    return lines


__all__ = [
    'load_wtalc_annotations', 'convert_wtalc', 'convert_folders', 'describe'
]
