"""Fast reading of large ActivityNet results files into arrays.

``json`` with a duplicate-key hook builds a Python dict per detection
(about 9 s and 600 MB for a million detections). Here the file is read as
bytes, cut at video boundaries into pieces of about :data:`PIECE_BYTES`,
and each piece is parsed with orjson and turned into arrays at once, so the
per-detection objects of only one piece exist at a time.

:func:`read_results_arrays` returns None whenever it cannot vouch for the
result (escapes, a piece that does not parse, a detection with other keys,
a value of the wrong type, a duplicate key): the caller then reads the file
the exact, slow way, which gives the detailed error. A returned result
equals that way's.
"""
import re
from typing import Dict, Mapping, Optional

import numpy as np
import orjson

from mmtrpn.utils.fileio import json_keys_and_colons

PIECE_BYTES = 4 << 20
# the end of one video's list and the start of the next: `], "name": [`
_VIDEO_BOUNDARY = re.compile(rb'\]\s*,\s*("[^"\[\]]*")\s*:\s*\[')
_RESULTS_KEY = re.compile(rb'"results"\s*:\s*\{')
_DET_KEYS = 3  # label, segment, score


def _pieces(raw: bytes, start: int):
    """(skeleton, middles, last): the document without its middle videos,
    those videos as JSON objects cut near every PIECE_BYTES, and the name
    of the first video after them (None when the file is one piece)."""
    cuts = []  # (end of a video's list, start of the next video's key)
    pos = start + PIECE_BYTES
    while pos < len(raw):
        m = _VIDEO_BOUNDARY.search(raw, pos)
        if m is None:
            break
        cuts.append((m.start() + 1, m.start(1), m.group(1)))
        pos = m.end() + PIECE_BYTES
    if len(cuts) < 2:
        return raw, [], None
    middles = [b'{' + raw[cuts[i][1]:cuts[i + 1][0]] + b'}'
               for i in range(len(cuts) - 1)]
    skeleton = raw[:cuts[0][0]] + b',' + raw[cuts[-1][1]:]
    return skeleton, middles, orjson.loads(cuts[-1][2])


class _Arrays:
    """Detections of the pieces read so far, as arrays per piece."""

    def __init__(self, classes, video_index, blocked, known):
        self.class_index = {c: i for i, c in enumerate(classes)}
        self.class_colons = np.array([c.count(':') for c in classes])
        self.video_index = video_index
        self.blocked, self.known = blocked, known
        self.parts = []
        self.colons = 0  # keys + string colons of the results, see above
        self.videos = []

    def add(self, results: dict) -> bool:
        """Convert one piece; False when it needs the exact reader."""
        names, dets = [], []
        for video, video_dets in results.items():
            if not isinstance(video_dets, list):
                return False
            self.videos.append(video)
            self.colons += 1 + video.count(':')
            if video in self.blocked:
                self.colons += json_keys_and_colons(video_dets)
                continue
            if self.known is not None and video not in self.known:
                return False
            names.append((video, len(video_dets)))
            dets += video_dets
        try:
            if sum(map(len, dets)) != _DET_KEYS * len(dets):
                return False
            labels = [self.class_index[d['label']] for d in dets]
            segments = [d['segment'] for d in dets]
            scores = [d['score'] for d in dets]
        except (KeyError, TypeError):
            return False
        flat = [v for s in segments if type(s) is list and len(s) == 2
                for v in s]
        if len(flat) != 2 * len(segments) or not (
                set(map(type, flat)) | set(map(type, scores))) <= {
                    int, float}:
            return False
        labels = np.array(labels, np.int64)
        segments = np.array(flat, np.float64).reshape(-1, 2)
        scores = np.array(scores, np.float64)
        if not (np.isfinite(segments).all() and np.isfinite(scores).all()
                and (segments[:, 1] >= segments[:, 0]).all()):
            return False
        self.colons += _DET_KEYS * len(dets) + int(
            self.class_colons[labels].sum())
        if self.video_index is None:
            vids = np.repeat(np.array([n for n, _ in names], dtype=str),
                             [k for _, k in names])
        else:
            vids = np.repeat(
                np.array([self.video_index[n] for n, _ in names], np.int64),
                [k for _, k in names])
        self.parts.append((vids, segments, labels, scores))
        return True

    def result(self) -> dict:
        if not self.parts:
            empty = np.zeros(0, str if self.video_index is None else np.int64)
            self.parts.append((empty, np.zeros((0, 2)), np.zeros(0, np.int64),
                               np.zeros(0)))
        vids, segs, labels, scores = zip(*self.parts)
        return dict(video_ids=np.concatenate(vids),
                    segments=np.concatenate(segs),
                    labels=np.concatenate(labels),
                    scores=np.concatenate(scores))


def read_results_arrays(raw: bytes, classes, known_videos=None,
                        blocked_videos=(),
                        video_index: Optional[Mapping[str, int]] = None
                        ) -> Optional[Dict[str, np.ndarray]]:
    """Arrays of ``load_results_file`` from the file's bytes, or None.

    ``video_index`` (name -> int) gives ``video_ids`` as int64 codes
    instead of strings (8 bytes a detection, whatever the name length).
    """
    if b'\\' in raw or raw.count(b'"results"') != 1:
        return None  # escapes could hide colons, quotes or brackets
    found = _RESULTS_KEY.search(raw)
    if found is None:
        return None
    out = _Arrays(classes, video_index, set(blocked_videos),
                  None if known_videos is None else set(known_videos))
    try:
        skeleton, middles, last = _pieces(raw, found.end())
        doc = orjson.loads(skeleton)
        del skeleton
        if not isinstance(doc, dict) or not isinstance(
                doc.get('results'), dict):
            return None
        results = list(doc.pop('results').items())
        header = json_keys_and_colons(doc) + 1  # + the "results" key
        # file order (score ties rank in it): first piece, middles, last
        split = len(results) if last is None else [
            name for name, _ in results].index(last)
        if not out.add(dict(results[:split])):
            return None
        for piece in middles:
            if not out.add(orjson.loads(piece)):
                return None
        if not out.add(dict(results[split:])):
            return None
        del results
    except (orjson.JSONDecodeError, ValueError):
        return None
    if header + out.colons != raw.count(b':') or len(out.videos) != len(
            set(out.videos)):
        return None  # a repeated key: the exact reader names it
    return out.result()
