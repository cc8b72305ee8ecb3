"""Read the scalar log MMEngine's ``LocalVisBackend`` writes.

Every ``tools/train.py`` run writes ``<work_dir>/<timestamp>/vis_data/
scalars.json``, one JSON object per line: training lines carry ``loss``
(and ``loss_*``, ``lr``, ``time``, ``data_time``, ``iter``, ``step``),
validation lines ``wstal/mAP*`` and ``step``. A run resumed in the same work
dir writes a new ``<timestamp>`` folder, so one training is spread over
several segments; :func:`load_scalars` joins them into the records of one
uninterrupted run.
"""
import json
import os
import os.path as osp
import re
import warnings
from typing import List, Optional

_TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')
SCALARS = osp.join('vis_data', 'scalars.json')


def is_training_record(record: dict) -> bool:
    return 'loss' in record and 'iter' in record


def read_scalars_file(path: str) -> List[dict]:
    """The records of one ``scalars.json``, in file order.

    A run killed mid-write leaves a partial last line: it is skipped with a
    warning naming the file and line. A validation record stamped behind
    the training iteration before it (LoggerHook's default
    ``log_metric_by_epoch=True`` stamps the epoch, 0, in iteration-based
    runs) gets that iteration as ``step``.
    """
    records, last_iter = [], None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                warnings.warn(f'{path}:{number}: skipped a line that is not '
                              'JSON (a run killed while writing it?)')
                continue
            if is_training_record(record):
                last_iter = record['iter']
            elif last_iter is not None and record.get('step', -1) < last_iter:
                record = dict(record, step=last_iter)
            records.append(record)
    return records


def iteration(record: dict) -> Optional[int]:
    """The training iteration a record belongs to (``iter``, else
    ``step``)."""
    return record.get('iter', record.get('step'))


def find_scalars(path: str, timestamp: Optional[str] = None) -> List[str]:
    """The ``scalars.json`` files of ``path``, oldest first.

    ``path`` may be the file itself, one run folder (``<timestamp>``), or a
    work dir: then every run folder in it with a scalar log, or only
    ``timestamp``'s. (``tools/test.py`` runs write none: their metrics go
    to ``<timestamp>/<timestamp>.json``.)

    Raises:
        FileNotFoundError: nothing to read, with the place looked at.
    """
    if osp.isfile(path):
        return [path]
    if timestamp is None and osp.isfile(osp.join(path, SCALARS)):
        return [osp.join(path, SCALARS)]
    if timestamp is not None:
        found = osp.join(path, timestamp, SCALARS)
        if not osp.isfile(found):
            raise FileNotFoundError(f'{found} does not exist')
        return [found]
    runs = sorted(d for d in os.listdir(path) if _TIMESTAMP.match(d)
                  and osp.isfile(osp.join(path, d, SCALARS))) \
        if osp.isdir(path) else []
    if not runs:
        raise FileNotFoundError(
            f'no <timestamp>/vis_data/scalars.json under {path} (is it a '
            'work dir of tools/train.py with LocalVisBackend?)')
    return [osp.join(path, d, SCALARS) for d in runs]


def join_segments(segments: List[List[dict]]) -> List[dict]:
    """One run's records from its segments, oldest first.

    A segment that starts training at iteration ``s`` (resumed from the
    checkpoint of ``s - 1``) replaces every earlier record from ``s`` on:
    what a killed segment logged after its last checkpoint was redone.
    A segment that starts at iteration 1 (a fresh run) replaces all; one
    without training records (a resume that only ran the validation it
    owed) replaces nothing.
    """
    joined = []
    for records in segments:
        starts = [r['iter'] for r in records if is_training_record(r)]
        if starts:
            start = min(starts)
            joined = [r for r in joined
                      if iteration(r) is not None and iteration(r) < start]
        joined += records
    return joined


def load_scalars(path: str, timestamp: Optional[str] = None) -> List[dict]:
    """Every record of the training logged under ``path`` (see
    :func:`find_scalars`), resumed segments joined (:func:`join_segments`).
    """
    return join_segments(
        [read_scalars_file(f) for f in find_scalars(path, timestamp)])
