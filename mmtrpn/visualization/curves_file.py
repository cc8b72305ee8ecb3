"""The curves of a test run in one ``.npz`` file (no pickle), so a report
can be rebuilt from a dump (``tools/analysis/make_report.py --curves``).

Layout, for ``V`` videos with ``T_v`` snippets each and ``C`` classes:

* ``videos`` (V,) str, ``duration`` (V,) and ``snippet_duration`` (V,)
  seconds, ``offsets`` (V + 1,): video ``v`` owns snippet rows
  ``offsets[v]:offsets[v + 1]``;
* any of ``fg_curve`` (sum T_v,), ``proposal_mask`` (sum T_v,),
  ``cas`` (sum T_v, C) and ``video_scores`` (V, C), float32; a curve is
  kept only when every video has it.
"""
import io
import os.path as osp
from typing import Dict, List

import numpy as np

from mmtrpn.structures.segments import DEFAULT_SNIPPET_DURATION
from mmtrpn.utils.fileio import atomic_write_bytes

SNIPPET_CURVES = ('fg_curve', 'proposal_mask', 'cas')
VIDEO_CURVES = ('video_scores', )


def _num_snippets(entry: dict) -> int:
    lengths = {len(entry[k]) for k in SNIPPET_CURVES if entry.get(k)
               is not None}
    if len(lengths) > 1:
        raise ValueError(f'video {entry["video_name"]}: curves of different '
                         f'lengths {sorted(lengths)}')
    return lengths.pop() if lengths else 0


def save_curves(path: str, entries: List[dict]) -> List[str]:
    """Write the curves of ``entries`` (``to_detections`` dicts with
    ``video_name``, ``duration``, ``snippet_duration`` and curves);
    returns the curve names kept."""
    if not entries:
        raise ValueError(f'{path}: no videos to write')
    lengths = [_num_snippets(e) for e in entries]
    out = dict(
        videos=np.asarray([str(e['video_name']) for e in entries]),
        duration=np.asarray([float(e.get('duration') or 0) for e in entries]),
        snippet_duration=np.asarray([
            float(e.get('snippet_duration') or DEFAULT_SNIPPET_DURATION)
            for e in entries
        ]),
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
    kept = []
    for key in SNIPPET_CURVES + VIDEO_CURVES:
        if all(e.get(key) is not None for e in entries):
            parts = [np.asarray(e[key], np.float32) for e in entries]
            out[key] = np.concatenate(parts) if key in SNIPPET_CURVES \
                else np.stack(parts)
            kept.append(key)
    buf = io.BytesIO()
    np.savez_compressed(buf, **out)
    atomic_write_bytes(path, buf.getvalue())
    return kept


def load_curves(path: str) -> Dict[str, dict]:
    """``{video: dict(duration, snippet_duration, <curves>)}`` of a file
    written by :func:`save_curves`."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Curves file not found: {path}')
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (ValueError, OSError) as e:
        raise ValueError(f'{path}: not a curves file ({e})') from e
    missing = {'videos', 'offsets', 'duration', 'snippet_duration'} - set(
        arrays)
    if missing:
        raise ValueError(f'{path}: not a curves file, no {sorted(missing)}')
    videos, offsets = arrays['videos'], arrays['offsets']
    if offsets.size != videos.size + 1:
        raise ValueError(f'{path}: {videos.size} videos but '
                         f'{offsets.size} offsets')
    out = {}
    for v, name in enumerate(videos.tolist()):
        lo, hi = offsets[v], offsets[v + 1]
        entry = dict(duration=float(arrays['duration'][v]),
                     snippet_duration=float(arrays['snippet_duration'][v]))
        for key in SNIPPET_CURVES:
            if key in arrays:
                entry[key] = arrays[key][lo:hi]
        for key in VIDEO_CURVES:
            if key in arrays:
                entry[key] = arrays[key][v]
        out[name] = entry
    return out
