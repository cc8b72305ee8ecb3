"""The annotation file and the files around it: one reader, one set of rules.

The canonical annotation file (docs/data_preparation.md)::

    {"classes": [...],
     "database": {video: {"subset", "duration",
                          "annotations": [{"label", "segment": [s, e]}],
                          optional "labels": [...]}}}

:func:`load_annotations` reads and validates it for the dataset, the
evaluation, ``apis`` and the tools. Each field has its own check below
(``check_*``), so a stricter rule is added in one place. Beside it: the
ambiguous-segment and video-list readers, ActivityNet-style layouts
(:func:`normalize_layout`) and the ActivityNet results file (read and
written here).

Nothing here reads pickled data.
"""
import difflib
import json
import os
import os.path as osp
import warnings
from dataclasses import dataclass, field
from typing import (Dict, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import numpy as np

from mmtrpn.utils.fileio import atomic_write_json, load_json
from mmtrpn.version import __version__
from .results_file import read_results_arrays

DATA_DOC = 'docs/data_preparation.md'


# ---------------------------------------------------------------------------
# Field checks of the canonical file, one per field.

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


def check_database(raw, source: str) -> dict:
    """The ``database`` mapping of a parsed annotation file."""
    if not isinstance(raw, dict) or 'database' not in raw:
        raise ValueError(f'Annotation file {source} has no "database" '
                         f'key. See {DATA_DOC}.')
    database = raw['database']
    if not isinstance(database, dict):
        raise ValueError(f'"database" in {source} must map video '
                         'names to entries.')
    return database


def check_classes(classes, source: str) -> List[str]:
    """A non-empty list of distinct class names."""
    if (not isinstance(classes, (list, tuple)) or not classes
            or not all(isinstance(c, str) for c in classes)):
        raise ValueError(f'"classes" of {source} must be a non-empty '
                         'list of names.')
    if len(set(classes)) != len(classes):
        raise ValueError(f'Duplicate class names in {source}.')
    return list(classes)


def is_number(value) -> bool:
    """A real number, not a bool or a numeric string (``float('1')``
    would turn a mistyped field into a value without a word)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_))


# Keys of a video entry: read, and tolerated (ActivityNet / ActionFormer
# files carry them; nothing reads them).
VIDEO_KEYS = ('subset', 'duration', 'annotations', 'labels')
TOLERATED_VIDEO_KEYS = ('fps', 'url', 'resolution', 'num_frames',
                        'duration_second', 'duration_frame', 'feature_frame')
# Misspellings difflib does not find.
_KEY_ALIASES = {'segments': 'annotations', 'gt': 'annotations',
                'anns': 'annotations', 'instances': 'annotations',
                'classes': 'labels', 'split': 'subset'}


def check_video_keys(name: str, entry: dict, source: str) -> None:
    """ValueError with a did-you-mean for a key of a video entry that is
    neither read nor tolerated: a misspelled ``"annotations"`` would
    otherwise leave the video without a label, silently."""
    for key in entry:
        if key in VIDEO_KEYS or key in TOLERATED_VIDEO_KEYS:
            continue
        guess = _KEY_ALIASES.get(str(key).lower()) or next(
            iter(difflib.get_close_matches(str(key).lower(), VIDEO_KEYS,
                                           1, 0.6)), None)
        hint = f' Did you mean {guess!r}?' if guess else ''
        raise ValueError(
            f'Video {name} in {source} has an unknown key {key!r} (known: '
            f'{list(VIDEO_KEYS)}).{hint} See {DATA_DOC}.')


def check_video_entry(name, entry, source: str) -> dict:
    check_video_name(name, source)
    if not isinstance(entry, dict):
        raise ValueError(f'Entry of video {name} in {source} is '
                         'not a mapping.')
    check_video_keys(name, entry, source)
    subset = entry.get('subset')
    if not isinstance(subset, str) or not subset:
        # A video without a subset would be left out of every subset.
        raise ValueError(f'Video {name} in {source} has subset {subset!r}: '
                         'expected a non-empty string such as "test".')
    return entry


def check_duration(name: str, duration, source: str) -> float:
    """A finite, positive number of seconds."""
    if (not is_number(duration) or not np.isfinite(duration)
            or duration <= 0):
        raise ValueError(f'Video {name} in {source} has invalid '
                         f'duration {duration!r}.')
    return float(duration)


def check_segment(name: str, index: int, ann, source: str
                  ) -> Tuple[str, float, float]:
    """``(label, start, end)`` of one annotation: two finite numbers.

    Whether ``start <= end`` and the segment lies in the video is left to
    :func:`fit_segment`, which raises or clips.
    """
    try:
        label = ann['label']
        start, end = ann['segment']
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(
            f'Malformed annotation {index} of video {name} in {source}: '
            f'{ann!r} (need "label" and "segment": [start, end]).') from e
    if not isinstance(label, str):
        raise ValueError(f'Annotation {index} of video {name} in {source} '
                         f'has label {label!r}: expected a class name.')
    if not (is_number(start) and is_number(end)):
        raise ValueError(
            f'Malformed annotation {index} of video {name} in {source}: '
            f'segment {ann["segment"]!r} must be [start, end] numbers.')
    start, end = float(start), float(end)
    if not (np.isfinite(start) and np.isfinite(end)):
        raise ValueError(f'Segment {ann["segment"]!r} of video {name} in '
                         f'{source} is not finite.')
    return label, start, end


def check_label(name: str, label, class_index: Mapping[str, int],
                source: str, field_name: str = 'annotations') -> int:
    if not isinstance(label, str):
        raise ValueError(
            f'Video {name} in {source} has {label!r} in {field_name}: '
            'expected a class name (a string).')
    if label not in class_index:
        raise ValueError(
            f'Unknown class {label!r} in {field_name} of video {name} in '
            f'{source}; known classes: {list(class_index)}')
    return class_index[label]


def fit_segment(name: str, start: float, end: float, duration: float,
                source: str, clip: bool) -> Optional[Tuple[float, float]]:
    """The segment as kept, or None when clipping leaves it empty.

    Without ``clip`` a segment must have ``end >= start`` and is kept as
    given (official ground truth can run past the video end). With ``clip``
    it is clipped to ``[0, duration]`` and dropped when empty.
    """
    if not clip:
        if end < start:
            raise ValueError(f'Segment [{start}, {end}] of video {name} in '
                             f'{source} ends before it starts.')
        return start, end
    start, end = min(max(start, 0.0), duration), min(max(end, 0.0),
                                                     duration)
    return (start, end) if end > start else None


# ---------------------------------------------------------------------------
# The canonical annotation file.

@dataclass
class VideoAnnotation:
    """One video of the annotation file, validated."""
    name: str
    subset: str
    duration: float
    segments: np.ndarray  # (N, 2) float64 seconds
    labels: np.ndarray  # (N,) int64 class indices
    # Class indices of the video-level "labels" field, None when absent
    # (the segment labels are the video labels then).
    video_labels: Optional[List[int]] = None

    def multi_hot(self, num_classes: int) -> np.ndarray:
        """(C,) float32 video-level label."""
        ids = self.labels if self.video_labels is None else self.video_labels
        out = np.zeros(num_classes, dtype=np.float32)
        out[np.asarray(ids, dtype=np.int64)] = 1.0
        return out


@dataclass
class Annotations:
    """A validated annotation file: classes and the kept videos in order."""
    source: str
    classes: List[str]
    videos: Dict[str, VideoAnnotation] = field(default_factory=dict)

    def ground_truth_arrays(self) -> dict:
        """``video_ids`` (M,) str, ``segments`` (M, 2), ``labels`` (M,) of
        every instance, in file order (what ``temporal_map`` takes)."""
        videos = list(self.videos.values())
        counts = [len(v.labels) for v in videos]
        return dict(
            video_ids=np.repeat(
                np.asarray([v.name for v in videos], dtype=str), counts),
            segments=np.concatenate(
                [v.segments for v in videos] +
                [np.zeros((0, 2))]).astype(np.float64).reshape(-1, 2),
            labels=np.concatenate([v.labels for v in videos] +
                                  [np.zeros(0, np.int64)]).astype(np.int64))


def load_annotation_json(path: str) -> dict:
    """An annotation/layout JSON file; errors name it and the data docs."""
    return load_json(path, 'Annotation file', f' See {DATA_DOC}.')


def _resolve_classes(raw: dict, database: dict, classes, infer_classes: bool,
                     source: str) -> List[str]:
    if classes is None:
        classes = raw.get('classes')
    if classes is None and infer_classes:
        # ActivityNet-style files have no class list: the sorted labels.
        classes = sorted({
            str(a.get('label'))
            for v in database.values() if isinstance(v, dict)
            for a in v.get('annotations', []) if isinstance(a, dict)
        })
    if classes is None:
        raise ValueError(
            f'Annotation file {source} has no "classes" list and no '
            f'classes were given. See {DATA_DOC}.')
    return check_classes(classes, source)


def _wanted(subset) -> Optional[List[str]]:
    if subset is None:
        return None
    subsets = [subset] if isinstance(subset, str) else list(subset)
    if not subsets:
        raise ValueError('subset must name at least one subset.')
    return subsets


def _video(name: str, entry: dict, class_index: Dict[str, int], source: str,
           clip_segments: bool, clip_log: list) -> VideoAnnotation:
    duration = check_duration(name, entry.get('duration'), source)
    anns = entry.get('annotations', [])
    if not isinstance(anns, list):
        raise ValueError(f'"annotations" of video {name} in {source} must '
                         'be a list.')
    segments, labels, changed, dropped = [], [], 0, 0
    for k, ann in enumerate(anns):
        label, start, end = check_segment(name, k, ann, source)
        label_id = check_label(name, label, class_index, source)
        kept = fit_segment(name, start, end, duration, source, clip_segments)
        if kept != (start, end) or end <= start:
            changed += 1
        if kept is None:
            dropped += 1
            continue
        segments.append(kept)
        labels.append(label_id)
    if clip_segments and changed:
        clip_log.append((name, changed, dropped))
    video_labels = None
    if 'labels' in entry:
        if not isinstance(entry['labels'], list):
            raise ValueError(f'"labels" of video {name} in {source} must be '
                             f'a list of class names, got {entry["labels"]!r}')
        video_labels = [
            check_label(name, c, class_index, source, '"labels"')
            for c in entry['labels']
        ]
    return VideoAnnotation(
        name=name,
        subset=str(entry.get('subset')),
        duration=duration,
        segments=np.asarray(segments, dtype=np.float64).reshape(-1, 2),
        labels=np.asarray(labels, dtype=np.int64),
        video_labels=video_labels)


def load_annotations(source: Union[str, dict],
                     classes: Optional[Sequence[str]] = None,
                     subset: Union[str, Sequence[str], None] = None,
                     exclude: Iterable[str] = (),
                     infer_classes: bool = False,
                     clip_segments: bool = False,
                     name: Optional[str] = None) -> Annotations:
    """Read and validate a canonical annotation file.

    Args:
        source: the JSON file, or its parsed content.
        classes: class names and their order; default the file's
            ``classes`` (or, with ``infer_classes``, the sorted labels).
        subset: subset name(s) to keep, compared case-insensitively (THUMOS
            files say "Test"); None keeps every video.
        exclude: video names to leave out.
        infer_classes: without a class list, take the sorted segment labels
            (ActivityNet-style files).
        clip_segments: clip segments to ``[0, duration]``, drop the empty
            ones and warn once; otherwise a segment ending before it starts
            is an error and segments are kept as given.
        name: how messages call a parsed ``source`` (e.g. the file it came
            from); default ``<annotations>``.

    Every video name is checked; the fields of the kept videos are.
    """
    if isinstance(source, dict):
        raw, path = source, name or '<annotations>'
    else:
        path = os.fspath(source)
        raw = load_annotation_json(path)
    database = check_database(raw, path)
    names = _resolve_classes(raw, database, classes, infer_classes, path)
    class_index = {c: i for i, c in enumerate(names)}
    wanted = _wanted(subset)
    wanted_lower = None if wanted is None else {str(s).lower()
                                                for s in wanted}
    excluded = set(exclude)
    unknown = sorted(excluded - set(database))
    if unknown:
        warnings.warn(f'{len(unknown)} excluded video(s) are not in '
                      f'{path}, e.g. {unknown[:3]}')

    out = Annotations(source=path, classes=names)
    subsets_seen, clip_log = set(), []
    for name, entry in database.items():
        check_video_entry(name, entry, path)
        subsets_seen.add(entry.get('subset'))
        if name in excluded or (wanted_lower is not None and str(
                entry.get('subset')).lower() not in wanted_lower):
            continue
        out.videos[name] = _video(name, entry, class_index, path,
                                  clip_segments, clip_log)
    if wanted is not None and not out.videos:
        raise ValueError(
            f'No videos of subset {wanted} in {path} '
            f'(subsets present: {sorted(map(str, subsets_seen))}, '
            f'{len(excluded)} excluded).')
    if clip_log:
        warnings.warn(
            f'{path}: {sum(c for _, c, _ in clip_log)} segment(s) in '
            f'{len(clip_log)} video(s) had end <= start or lay outside '
            f'[0, duration]; clipped to the video, '
            f'{sum(d for _, _, d in clip_log)} left empty were dropped '
            f'(e.g. {[n for n, _, _ in clip_log[:3]]}).')
    return out


def load_ground_truth(path: str,
                      subset: Optional[str] = None,
                      classes: Optional[Sequence[str]] = None) -> dict:
    """Ground truth of an annotation file (canonical or ActivityNet-style)
    as arrays for ``temporal_map``.

    Without a class list in the file or ``classes``, the classes are the
    sorted labels of the whole database. Segments follow the dataset's rule
    (clipped to ``[0, duration]``, the empty ones dropped, one warning), so
    ``tools/eval_results.py`` scores the ground truth that ``tools/test.py``
    scores.

    Returns:
        dict: ``classes`` (list), ``videos`` (list of all kept videos, with
        or without instances), ``durations`` (V,) seconds of those videos,
        ``video_ids`` (M,) str, ``segments`` (M, 2), ``labels`` (M,) int64.
    """
    annotations = load_annotations(
        path, classes=classes, subset=subset, infer_classes=True,
        clip_segments=True)
    return dict(
        classes=annotations.classes,
        videos=list(annotations.videos),
        durations=np.asarray(
            [v.duration for v in annotations.videos.values()], np.float64),
        **annotations.ground_truth_arrays())


def normalize_layout(raw: dict, source: str = '') -> dict:
    """Bring a canonical or ActivityNet-style annotation dict to canonical.

    ActivityNet-style files (e.g. ``thumos14.json``) have no ``classes``
    (taken here as the sorted segment labels) and may capitalise subsets
    (``Test``); subsets are lower-cased. Extra per-segment keys are dropped.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get('database'),
                                                   dict):
        raise ValueError(f'{source}: no "database" mapping of videos found.')
    # What the dataset would refuse is refused before anything is written:
    # the dataset's loader and rule (clip and warn) on the raw file.
    load_annotations(raw, infer_classes=True, clip_segments=True,
                     name=source or None)
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


# ---------------------------------------------------------------------------
# Video lists and ambiguous segments.

def _video_names(names: list, source: str) -> List[str]:
    """``names`` if each is a string, else ValueError naming the entry."""
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise ValueError(f'Entry {i} of {source} is {name!r}: expected '
                             'a video name (a string).')
    return names


def read_video_list(source: Union[str, Iterable[str], None]) -> List[str]:
    """Video names from a list, a JSON list file, or a text file with one
    name per line (blank lines and ``#`` comments skipped)."""
    if source is None:
        return []
    if not isinstance(source, (str, os.PathLike)):
        return _video_names(list(source), 'the video list given')
    path = os.fspath(source)
    if not osp.isfile(path):
        raise FileNotFoundError(f'Video list file not found: {path}')
    if osp.splitext(path)[1].lower() == '.json':
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        if not isinstance(data, list):
            raise ValueError(f'{path}: expected a JSON list of video names')
        return _video_names(data, path)
    names = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                names.append(line)
    return names


def read_ambiguous_file(path: str) -> Dict[str, List[Tuple[float, float]]]:
    """Parse a THUMOS ``Ambiguous_*.txt``: lines ``video start end``.

    Columns may be separated by any whitespace (the official file uses two
    spaces). Returns {video: [(start, end), ...]} in file order.
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
            if not (np.isfinite(start) and np.isfinite(end)) or end < start:
                raise ValueError(f'{path}:{lineno}: bad segment '
                                 f'{line.strip()!r}')
            out.setdefault(parts[0], []).append((start, end))
    return out


def ambiguous_arrays(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """The ambiguous segments of a file as video ids (A,) str and
    segments (A, 2) float64, in file order."""
    by_video = read_ambiguous_file(path)
    vids = [v for v, segs in by_video.items() for _ in segs]
    segs = [s for segs in by_video.values() for s in segs]
    return (np.asarray(vids, dtype=str),
            np.asarray(segs, dtype=np.float64).reshape(-1, 2))


# ---------------------------------------------------------------------------
# The ActivityNet results file.

def detections_to_results(segments, labels, scores,
                          classes: Sequence[str]) -> List[dict]:
    """ActivityNet-style ``[{label, segment: [s, e], score}]`` of one video,
    best score first (ties keep their order)."""
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    labels = np.asarray(labels).reshape(-1)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    order = np.argsort(-scores, kind='stable')
    return [
        dict(label=str(classes[int(labels[i])]),
             segment=[float(segments[i, 0]), float(segments[i, 1])],
             score=float(scores[i])) for i in order
    ]


def results_payload(results: Dict[str, List[dict]]) -> dict:
    """The ActivityNet results-file object for ``{video: detections}``."""
    return dict(
        version=f'mmtrpn {__version__}', results=results, external_data={})


def write_results_file(path: str, results: Dict[str, List[dict]]) -> None:
    """Write ``{video: detections}`` as a results file, atomically (a crash
    mid-write leaves the previous file)."""
    atomic_write_json(path, results_payload(results))


def _result_segment(value, where: str) -> Tuple[float, float]:
    try:
        s, e = value
    except (TypeError, ValueError):
        s = e = None
    if not (is_number(s) and is_number(e)):
        raise ValueError(f'{where}: "segment" must be [start, end] numbers, '
                         f'got {value!r}')
    s, e = float(s), float(e)
    if not (np.isfinite(s) and np.isfinite(e)) or e < s:
        raise ValueError(f'{where}: bad segment {value!r}')
    return s, e


def load_results_file(path: str,
                      classes: Sequence[str],
                      known_videos: Optional[Iterable[str]] = None,
                      blocked_videos: Iterable[str] = (),
                      video_index: Optional[Mapping[str, int]] = None
                      ) -> dict:
    """Read an ActivityNet-style results file into arrays.

    ``{"results": {video: [{"label", "segment": [s, e], "score"}]}}``.
    Videos in ``blocked_videos`` are skipped; any other video missing from
    ``known_videos`` (when given) raises ValueError naming it. msgspec
    decodes the file into typed detections and arrays
    (:mod:`.results_file`); anything that reader cannot vouch for is read
    here detection by detection, which names the first bad one.

    Returns:
        dict: ``video_ids`` (N,) str (int64 codes from ``video_index``,
        name -> code, when given), ``segments`` (N, 2), ``labels`` (N,)
        int64, ``scores`` (N,) float64.
    """
    known = None if known_videos is None else set(known_videos)
    if osp.isfile(path):
        with open(path, 'rb') as f:
            fast = read_results_arrays(f.read(), classes, known,
                                       blocked_videos, video_index)
        if fast is not None:
            return fast
    out = _load_results_exact(path, classes, known, blocked_videos)
    if video_index is not None:
        out['video_ids'] = np.array(
            [video_index[v] for v in out['video_ids'].tolist()], np.int64)
    return out


def _load_results_exact(path, classes, known, blocked_videos) -> dict:
    data = load_json(path, 'results file')
    results = data.get('results')
    if not isinstance(results, dict):
        raise ValueError(f'{path}: missing "results" object')
    index = {c: i for i, c in enumerate(classes)}
    blocked = set(blocked_videos)
    vids, segs, labels, scores = [], [], [], []
    for video, dets in results.items():
        if video in blocked:
            continue
        if known is not None and video not in known:
            raise ValueError(f'{path}: predictions for video {video!r}, '
                             'which is not in the ground truth (subset)')
        if not isinstance(dets, list):
            raise ValueError(f'{path}: video {video}: expected a list')
        for k, det in enumerate(dets):
            where = f'{path}: video {video}, detection {k}'
            if not isinstance(det, dict) or not {'label', 'segment',
                                                  'score'} <= det.keys():
                raise ValueError(f'{where}: needs "label", "segment", '
                                 '"score"')
            if not isinstance(det['label'], str):
                raise ValueError(f'{where}: "label" is {det["label"]!r}: '
                                 'expected a class name (a string)')
            if det['label'] not in index:
                raise ValueError(f'{where}: unknown class {det["label"]!r}')
            score = det['score']
            # Inf would rank first whatever the detection.
            if not is_number(score) or not np.isfinite(score):
                raise ValueError(f'{where}: bad score {score!r} (a finite '
                                 'number is needed)')
            score = float(score)
            vids.append(video)
            segs.append(_result_segment(det['segment'], where))
            labels.append(index[det['label']])
            scores.append(score)
    return dict(
        video_ids=np.asarray(vids, dtype=str),
        segments=np.asarray(segs, dtype=np.float64).reshape(-1, 2),
        labels=np.asarray(labels, dtype=np.int64),
        scores=np.asarray(scores, dtype=np.float64))


# ---------------------------------------------------------------------------
# The pseudo-segment file: one refinement step's segments for the next
# (ASM-Loc), ``{"classes": [...], "snippet_duration": d, "step": k,
# "results": {video: [{"segment": [s, e], "label": i, "score": x}]}}`` in
# seconds and class indices.

PSEUDO_SEGMENT_HINT = (
    ' It is written by the previous refinement step (PseudoSegmentExportHook '
    'in that step\'s custom_hooks): train that step first, or point '
    'segment_file at its output.')


def write_pseudo_segments(path: str, results: Dict[str, List[dict]],
                          classes: Sequence[str], snippet_duration: float,
                          step: Optional[int] = None) -> None:
    """Write ``{video: [{segment, label, score}]}`` with the class list and
    snippet duration they were made for, atomically."""
    atomic_write_json(path, dict(
        classes=list(classes), snippet_duration=float(snippet_duration),
        step=step, results=results))


def _pseudo_segment_rows(rows, where: str, num_classes: int):
    """(N, 2) seconds, (N,) int64 labels, (N,) float64 scores of one video's
    entries."""
    if not isinstance(rows, list):
        raise ValueError(f'{where}: expected a list of segments')
    segments, labels, scores = [], [], []
    for k, row in enumerate(rows):
        at = f'{where}, segment {k}'
        if not isinstance(row, dict) or not {'segment', 'label',
                                              'score'} <= row.keys():
            raise ValueError(f'{at}: needs "segment", "label", "score"')
        label, score = row['label'], row['score']
        if not is_number(label) or int(label) != label or \
                not 0 <= label < num_classes:
            raise ValueError(f'{at}: label {label!r} is not a class index '
                             f'below {num_classes}')
        if not is_number(score) or not np.isfinite(score):
            raise ValueError(f'{at}: bad score {score!r}')
        segments.append(_result_segment(row['segment'], at))
        labels.append(int(label))
        scores.append(float(score))
    return (np.asarray(segments, np.float64).reshape(-1, 2),
            np.asarray(labels, np.int64), np.asarray(scores, np.float64))


def load_pseudo_segments(path: str,
                         classes: Optional[Sequence[str]] = None,
                         snippet_duration: Optional[float] = None) -> dict:
    """Read and check a pseudo-segment file.

    Its ``classes`` must be a list of names (equal to ``classes`` when
    given) and its ``snippet_duration`` a positive number (equal to
    ``snippet_duration`` when given); every error names the file (and the
    video).

    Returns:
        dict: ``classes`` (list), ``snippet_duration`` (float), ``step``,
        ``results`` ``{video: (segments (N, 2) seconds, labels (N,) int64,
        scores (N,) float64)}``.
    """
    data = load_json(path, 'pseudo-segment file', PSEUDO_SEGMENT_HINT)
    source = f'pseudo-segment file {path}'
    if not isinstance(data.get('results'), dict):
        raise ValueError(f'{source} has no "results" object of videos')
    names = check_classes(data.get('classes'), source)
    if classes is not None and list(classes) != names:
        raise ValueError(
            f'{source} was written for classes {names}, the dataset has '
            f'{list(classes)}: it belongs to another dataset or class order')
    duration = data.get('snippet_duration')
    if not is_number(duration) or not np.isfinite(duration) or \
            duration <= 0:
        raise ValueError(f'{source} has snippet_duration {duration!r}: '
                         'expected the seconds per snippet it was made with')
    check_snippet_duration(float(duration), snippet_duration, source)
    results = {
        video: _pseudo_segment_rows(rows, f'{source}: video {video}',
                                    len(names))
        for video, rows in data['results'].items()
    }
    return dict(classes=names, snippet_duration=float(duration),
                step=data.get('step'), results=results)


def check_snippet_duration(written: float, expected: Optional[float],
                           source: str, video: str = '') -> None:
    """ValueError unless a file's snippet duration equals the data's."""
    if expected is not None and not np.isclose(written, float(expected)):
        of = f' (video {video})' if video else ''
        raise ValueError(
            f'{source} was made with snippet_duration {written}, the '
            f'data{of} has {float(expected)}')
