"""``<work_dir>/last_checkpoint``: written atomically, read relative to the
work dir it is in.

MMEngine writes the absolute path of the newest checkpoint with a plain
``open('w')``: a kill just after a save leaves the file empty, and a copied
work dir resumes the original's checkpoints. Here the file holds the
checkpoint's name when it lies in the work dir, and a copied, empty or
dangling record is resolved to this work dir's own files (or refused).
"""
import glob
import os
import os.path as osp
import re
import warnings

from .fileio import atomic_write_text

LAST_CHECKPOINT = 'last_checkpoint'
_STEP = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')
# atomic_write's temporary siblings: ".<name>.<random>.tmp".
_TMP = re.compile(r'^\..+\.[^.]+\.tmp$')


def write_last_checkpoint(work_dir, checkpoint):
    """Record ``checkpoint`` atomically, by name when it is in
    ``work_dir`` (so a copy of the folder names its own file)."""
    checkpoint = os.fspath(checkpoint)
    if osp.dirname(osp.abspath(checkpoint)) == osp.abspath(work_dir):
        checkpoint = osp.basename(checkpoint)
    atomic_write_text(osp.join(work_dir, LAST_CHECKPOINT), checkpoint)


def newest_step_checkpoint(work_dir):
    """The non-empty ``iter_N.pth`` / ``epoch_N.pth`` of ``work_dir`` with
    the largest N, or None."""
    found = []
    for path in glob.glob(osp.join(glob.escape(work_dir), '*.pth')):
        match = _STEP.match(osp.basename(path))
        if match and osp.getsize(path) > 0:
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else None


def _fallback(work_dir, why):
    newest = newest_step_checkpoint(work_dir)
    warnings.warn(f'{osp.join(work_dir, LAST_CHECKPOINT)} {why}; resuming '
                  f'from the newest checkpoint of the work dir instead: '
                  f'{newest}.')
    return newest


def resolve_last_checkpoint(work_dir):
    """The checkpoint a resume of ``work_dir`` should load, or None.

    The record is read relative to ``work_dir``. An empty record, or one
    naming a missing file, falls back to the newest ``iter_*.pth`` with a
    warning. A record naming a file in another folder (the work dir was
    copied) resolves to this folder's file of that name, with a warning;
    without one it is a ValueError saying why.
    """
    work_dir = os.fspath(work_dir)
    record = osp.join(work_dir, LAST_CHECKPOINT)
    if not osp.isfile(record):
        return newest_step_checkpoint(work_dir)
    with open(record, encoding='utf-8') as f:
        named = f.read().strip()
    if not named:
        return _fallback(work_dir, 'is empty (a run was killed while '
                         'writing it)')
    path = named if osp.isabs(named) else osp.join(work_dir, named)
    if osp.dirname(osp.abspath(path)) != osp.abspath(work_dir):
        own = osp.join(work_dir, osp.basename(path))
        if not osp.isfile(own):
            raise ValueError(
                f'{record} names {named}, outside this work dir (was the '
                f'folder copied?), and the work dir has no '
                f'{osp.basename(path)} of its own. Resuming would mix two '
                'runs; pass --resume PATH to resume from a checkpoint '
                'explicitly.')
        warnings.warn(f'{record} names {named}, outside this work dir (a '
                      f'copied folder?); resuming from this work dir\'s own '
                      f'{own}.')
        return own
    if not osp.isfile(path):
        return _fallback(work_dir, f'names {named}, which does not exist')
    return path


def remove_stale_temporaries(work_dir):
    """Delete the temporary files that writes killed mid-way left in
    ``work_dir`` (call only while holding its lock); returns their paths."""
    removed = []
    for name in sorted(os.listdir(work_dir)) if osp.isdir(work_dir) else []:
        path = osp.join(work_dir, name)
        if _TMP.match(name) and osp.isfile(path):
            os.remove(path)
            removed.append(path)
    return removed
