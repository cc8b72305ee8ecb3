"""Held-out validation splits carved from the training videos.

Model selection (checkpoints, thresholds, defaults) uses a held-out part of
the training subset, so the test split is scored once. The split is
class-balanced by each video's *primary label* and reproducible: the same
annotations, rule and seed give the same names.
"""
from collections import Counter
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmtrpn.structures.annotations import check_video_name


def _split_labels(video: dict) -> List[str]:
    # Segment labels are the same in every THUMOS-14 release; video-level
    # label sets differ between them (W-TALC's labels_all), so they count
    # only for a video without segments.
    segment_labels = {a['label'] for a in video.get('annotations', [])}
    return sorted(segment_labels or set(video.get('labels', [])))


def primary_labels(database: Dict[str, dict],
                   classes: Sequence[str]) -> Dict[str, str]:
    """Each labelled video's primary label.

    The primary label is the video's segment label (its video-level
    ``labels`` if it has no segment) that the fewest videos of ``database``
    carry (ties: class order). A label that only ever occurs
    together with a more common one (THUMOS-14 CliffDiving inside Diving)
    so still gets videos of its own. Unlabelled videos are left out.
    """
    order = {c: i for i, c in enumerate(classes)}
    labels = {name: _split_labels(v) for name, v in database.items()}
    counts = Counter(c for labs in labels.values() for c in labs)
    for name, labs in labels.items():
        unknown = [c for c in labs if c not in order]
        if unknown:
            raise ValueError(f'Video {name} has labels {unknown} that are '
                             f'not in the class list.')
    return {
        name: min(labs, key=lambda c: (counts[c], order[c]))
        for name, labs in labels.items() if labs
    }


def heldout_split(database: Dict[str, dict],
                  classes: Sequence[str],
                  subset: str,
                  per_class: Optional[int] = None,
                  fraction: Optional[float] = None,
                  seed: int = 0) -> List[str]:
    """Pick a class-balanced held-out subset of the videos of ``subset``.

    Videos are grouped by primary label (:func:`primary_labels`, computed
    over ``subset``). From each group, ``per_class`` videos, or
    ``max(1, round(fraction * group size))``, are drawn at random with the
    generator ``numpy.random.default_rng([seed, class index])`` from the
    group's sorted names; at least one video of each group stays for
    training. Classes are drawn independently, so the draw of one class does
    not depend on the others.

    Returns:
        list[str]: the held-out names, sorted.
    """
    if (per_class is None) == (fraction is None):
        raise ValueError('Give exactly one of per_class and fraction.')
    if per_class is not None and per_class < 1:
        raise ValueError(f'per_class must be >= 1, got {per_class}.')
    if fraction is not None and not 0 < fraction < 1:
        raise ValueError(f'fraction must be in (0, 1), got {fraction}.')
    pool = {
        name: v
        for name, v in database.items() if v.get('subset') == subset
    }
    if not pool:
        found = sorted({str(v.get('subset')) for v in database.values()})
        raise ValueError(f'No videos of subset {subset!r} (subsets: '
                         f'{found}).')
    for name in pool:
        check_video_name(name)
    groups: Dict[str, List[str]] = {}
    for name, label in primary_labels(pool, classes).items():
        groups.setdefault(label, []).append(name)
    chosen = []
    for index, label in enumerate(classes):
        group = sorted(groups.get(label, []))
        if len(group) < 2:
            continue
        count = per_class if per_class is not None else max(
            1, round(fraction * len(group)))
        count = min(count, len(group) - 1)
        rng = np.random.default_rng([seed, index])
        chosen += [group[i] for i in rng.permutation(len(group))[:count]]
    return sorted(chosen)


def format_name_list(names: Sequence[str], header: Sequence[str] = ()) -> str:
    """A name list for ``read_video_list``: ``#`` header lines, one name a
    line."""
    return ''.join(f'# {line}\n' for line in header) + ''.join(
        f'{n}\n' for n in names)
