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


def _step(path: str) -> int:
    found = re.search(r'(?:iter|epoch)_(\d+)\.pth$', path)
    return int(found.group(1)) if found else -1


def choose_checkpoint(work_dir: str) -> Tuple[str, str]:
    """``(checkpoint path, why it was chosen)`` for a training work dir.

    The newest ``best_*.pth``; else the file ``last_checkpoint`` names;
    else the ``iter_N.pth`` / ``epoch_N.pth`` of the largest N.
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
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        # A name (mmtrpn.utils.last_checkpoint) is relative to the work
        # dir; an absolute path may predate a move: then look inside it.
        for path in (osp.join(work_dir, named),
                     osp.join(work_dir, osp.basename(named))):
            if osp.isfile(path):
                return path, ('no best_*.pth; the latest checkpoint '
                              '(last_checkpoint)')
    steps = [p for p in glob.glob(osp.join(work_dir, '*.pth'))
             if _step(p) >= 0]
    if steps:
        return max(steps, key=_step), 'no best_*.pth; the latest checkpoint'
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
