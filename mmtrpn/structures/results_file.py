"""Fast reading of large ActivityNet results files into arrays.

A generic JSON parser builds a dict, a list and four or five objects per
detection, which are then copied into arrays (about 2.5 CPU-s for a
million detections with orjson). Here msgspec decodes in two typed passes:
the file into :class:`ResultsFile`, whose ``results`` maps each video to
its raw (unparsed) list, then each list straight into the structs of
:func:`detection_struct`, whose label msgspec checks against the class
list and returns as the class name object itself. Every :data:`BATCH`
detections are written into arrays allocated once and the structs are
dropped, so only a few thousand exist at a time.

:func:`read_results_arrays` returns None whenever it cannot vouch for the
result (a colon written as an escape, a value of the wrong type or out of
range, a detection with other keys, a repeated key, a video outside the
ground truth): the caller then reads the file the exact, slow way, which
names the file, the video and what is wrong. A returned result equals that
way's.
"""
from itertools import chain
from operator import attrgetter
from typing import Any, Dict, Literal, Mapping, Optional, Tuple

import msgspec
import numpy as np

from mmtrpn.utils.fileio import (escapes_a_colon, json_keys_and_colons,
                                  load_json)

# Detections converted at a time: large enough to amortise the per-batch
# numpy calls, small enough that the structs stay in cache.
BATCH = 4096
_DET_KEYS = 3  # label, segment, score
_LABEL, _SEGMENT, _SCORE = (attrgetter('label'), attrgetter('segment'),
                            attrgetter('score'))


def detection_struct(classes) -> type:
    """A msgspec struct of one detection ``{"label", "segment", "score"}``
    whose label must be one of ``classes``; other keys are refused."""

    class Detection(msgspec.Struct, gc=False, forbid_unknown_fields=True):
        label: Literal[tuple(classes)]
        segment: Tuple[float, float]
        score: float

    return Detection


class ResultsFile(msgspec.Struct, forbid_unknown_fields=True):
    """The keys of an ActivityNet results file; a file with other keys goes
    to the exact reader (which accepts them)."""
    results: Dict[str, msgspec.Raw]
    version: Any = msgspec.UNSET
    external_data: Any = msgspec.UNSET

    def keys_and_colons(self) -> int:
        """Keys and string colons outside ``results`` (see below)."""
        return 1 + sum(
            1 + json_keys_and_colons(value)
            for value in (self.version, self.external_data)
            if value is not msgspec.UNSET)


class _Reader:
    """Detections of the batches read so far, as arrays per batch.

    ``colons`` counts the keys read plus the colons inside their strings: it
    equals the file's colon count exactly when no object repeated a key
    (msgspec keeps the last of two, as ``json`` does), see
    :func:`~mmtrpn.utils.fileio.json_keys_and_colons`.
    """

    def __init__(self, classes, video_index, blocked, known, capacity):
        self.decoder = msgspec.json.Decoder(list[detection_struct(classes)])
        self.class_index = {c: i for i, c in enumerate(classes)}
        self.class_colons = np.array([c.count(':') for c in classes])
        self.video_index = video_index
        self.blocked, self.known = blocked, known
        self.names, self.counts, self.batch = [], [], []
        # Filled in place: no copies of the parts, no concatenation.
        self.segments = np.empty((capacity, 2))
        self.labels = np.empty(capacity, np.int64)
        self.scores = np.empty(capacity)
        self.size = 0
        self.colons = 0

    def add_video(self, name: str, raw: msgspec.Raw) -> bool:
        """Decode one video's list; False when it needs the exact reader."""
        self.colons += 1 + name.count(':')
        if name in self.blocked:
            self.colons += json_keys_and_colons(msgspec.json.decode(raw))
            return True
        if self.known is not None and name not in self.known:
            return False
        dets = self.decoder.decode(raw)
        self.names.append(name)
        self.counts.append(len(dets))
        self.batch += dets
        return len(self.batch) < BATCH or self.flush()

    def flush(self) -> bool:
        """Turn the batch into arrays; False on a value the exact reader
        refuses (not finite, or a segment ending before it starts)."""
        batch, n, at = self.batch, len(self.batch), self.size
        self.batch = []
        if at + n > self.scores.size:
            return False  # more detections than colons allow: a bad file
        labels = self.labels[at:at + n]
        segments = self.segments[at:at + n]
        scores = self.scores[at:at + n]
        labels[:] = np.fromiter(map(self.class_index.__getitem__,
                                    map(_LABEL, batch)), np.int64, n)
        segments.reshape(-1)[:] = np.fromiter(
            chain.from_iterable(map(_SEGMENT, batch)), np.float64, 2 * n)
        scores[:] = np.fromiter(map(_SCORE, batch), np.float64, n)
        if not (np.isfinite(segments).all() and np.isfinite(scores).all()
                and (segments[:, 1] >= segments[:, 0]).all()):
            return False
        self.colons += _DET_KEYS * n + int(self.class_colons[labels].sum())
        self.size += n
        return True

    def result(self) -> Dict[str, np.ndarray]:
        if self.video_index is None:
            names = np.array(self.names, dtype=str)
        else:
            names = np.array([self.video_index[v] for v in self.names],
                             np.int64)
        n = self.size
        return dict(video_ids=np.repeat(names, self.counts),
                    segments=self.segments[:n], labels=self.labels[:n],
                    scores=self.scores[:n])


def read_results_arrays(raw: bytes, classes, known_videos=None,
                        blocked_videos=(),
                        video_index: Optional[Mapping[str, int]] = None
                        ) -> Optional[Dict[str, np.ndarray]]:
    """Arrays of ``load_results_file`` from the file's bytes, or None.

    ``video_index`` (name -> int) gives ``video_ids`` as int64 codes
    instead of strings (8 bytes a detection, whatever the name length).
    """
    if escapes_a_colon(raw) or not len(classes) or not all(
            isinstance(c, str) for c in classes):
        return None
    colons = raw.count(b':')
    # each detection has three keys, each with its colon
    reader = _Reader(classes, video_index, set(blocked_videos),
                     None if known_videos is None else set(known_videos),
                     colons // _DET_KEYS)
    try:
        top = msgspec.json.decode(raw, type=ResultsFile)
        for name, value in top.results.items():
            if not reader.add_video(name, value):
                return None
        if not reader.flush():
            return None
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if top.keys_and_colons() + reader.colons != colons:
        return None  # a repeated key: the exact reader names it
    return reader.result()


def results_video_names(path: str) -> list:
    """The video keys of a results file, in file order, from one pass that
    skips the detections (the exact reader's, for a file msgspec refuses
    or one with other top-level keys)."""
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        return list(msgspec.json.decode(raw, type=ResultsFile).results)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return list(load_json(path, 'results file')['results'])
