"""Which checkpoint and config ``tools/test.py`` takes from a work dir.

Training validates on held-out training videos and keeps the best
checkpoint as ``best_<metric>_iter_N.pth``; that is the one to test (as
OpenTAD's test tool does). A work dir without one (``--no-validate``,
``save_best=None``) gives its latest checkpoint.
"""
import glob
import os
import os.path as osp
import re
from typing import Tuple

from .last_checkpoint import (LAST_CHECKPOINT, newest_step_checkpoint,
                              resolve_last_checkpoint)


def _step(path: str) -> int:
    found = re.search(r'(?:iter|epoch)_(\d+)\.pth$', path)
    return int(found.group(1)) if found else -1


def choose_checkpoint(work_dir: str) -> Tuple[str, str]:
    """``(checkpoint path, why it was chosen)`` for a training work dir.

    The newest ``best_*.pth``; else the checkpoint a resume would load
    (:func:`~mmtrpn.utils.last_checkpoint.resolve_last_checkpoint`: the
    file ``last_checkpoint`` names, else the largest ``iter_N.pth`` /
    ``epoch_N.pth``).
    """
    best = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')),
                  key=lambda p: (os.stat(p).st_mtime, _step(p)))
    if best:
        why = 'the best checkpoint validation kept'
        if len(best) > 1:
            why += (f', the newest of {len(best)} best_*.pth: '
                    + ', '.join(osp.basename(p) for p in best[:-1]) +
                    ' not used')
        return best[-1], why
    try:
        latest = resolve_last_checkpoint(work_dir)
    except ValueError:  # the record names another run's file: not ours
        latest = newest_step_checkpoint(work_dir)
    if latest is not None:
        why = 'no best_*.pth; the latest checkpoint'
        if osp.isfile(osp.join(work_dir, LAST_CHECKPOINT)):
            why += ' (last_checkpoint)'
        return latest, why
    raise FileNotFoundError(
        f'No checkpoint in {work_dir} (no best_*.pth, last_checkpoint, '
        'iter_N.pth or epoch_N.pth). Train first, or give the checkpoint '
        'file.')


def config_of_work_dir(work_dir: str) -> str:
    """The config ``tools/train.py`` dumped into ``work_dir``."""
    configs = sorted(glob.glob(osp.join(work_dir, '*.py')))
    if len(configs) != 1:
        found = ', '.join(osp.basename(c) for c in configs) or 'none'
        raise FileNotFoundError(
            f'{work_dir} should hold the one config its training dumped '
            f'(found {found}); give the config file instead.')
    return configs[0]
