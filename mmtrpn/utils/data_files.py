"""Where a config's datasets read their files: ``--data-root`` and the
pre-flight check the tools run before the Runner is built.

A config's top-level ``data_root`` is substituted into the datasets when
the file is parsed, so ``--cfg-options data_root=X`` changes nothing they
read; :func:`set_data_root` moves every split instead.
"""
import os.path as osp
from typing import Iterator, List

from mmtrpn.datasets.wstal_dataset import (DEFAULT_DATA_PREFIX,
                                           resolve_under_root)
from mmtrpn.structures.annotations import DATA_DOC

SPLITS = ('train', 'val', 'test')
# The held-out list a data root may carry (make_synthetic.py writes it;
# make_heldout_split.py --out <data_root>/heldout.txt for other data).
HELDOUT_NAME = 'heldout.txt'
_LIST_KEYS = ('include_videos', 'exclude_videos')
_LIST_FILES = (('include_videos', 'video list'),
               ('exclude_videos', 'video list'),
               ('ambiguous_file', 'ambiguous-segment file'))


def _datasets(dataset) -> Iterator[dict]:
    """The leaf dataset dicts of a (possibly wrapped) dataset config."""
    if not isinstance(dataset, dict):
        return
    inner = dataset.get('datasets', dataset.get('dataset'))
    if inner is None:
        yield dataset
    elif isinstance(inner, (list, tuple)):
        for each in inner:
            yield from _datasets(each)
    else:
        yield from _datasets(inner)


def split_datasets(cfg, splits=SPLITS) -> Iterator[tuple]:
    """``(split, dataset dict)`` of every dataloader the config has."""
    for split in splits:
        loader = cfg.get(f'{split}_dataloader', None)
        if loader:
            for dataset in _datasets(loader.get('dataset', None)):
                yield split, dataset


def set_data_root(cfg, root: str) -> List[str]:
    """Point every split's dataset at ``root``; return what was set.

    ``data_root`` of each split becomes ``root``: relative ``ann_file``,
    feature folders and ambiguous file follow it, an absolute ``ann_file``
    becomes ``<root>/<its name>``. The config's held-out list (the
    ``heldout_file`` variable, used as train ``exclude_videos`` and val
    ``include_videos``) becomes ``<root>/heldout.txt`` when that file
    exists, else it is kept (the same videos in another place).
    """
    heldout = cfg.get('heldout_file', None)
    new_heldout = osp.join(root, HELDOUT_NAME)
    # A relative list already follows data_root.
    replace = isinstance(heldout, str) and osp.isabs(heldout) and \
        osp.isfile(new_heldout)
    cfg.data_root = root
    for _, dataset in split_datasets(cfg):
        dataset['data_root'] = root
        ann_file = dataset.get('ann_file', None)
        if isinstance(ann_file, str) and osp.isabs(ann_file):
            dataset['ann_file'] = osp.join(root, osp.basename(ann_file))
        for key in _LIST_KEYS:
            if replace and dataset.get(key, None) == heldout:
                dataset[key] = new_heldout
    lines = [f'Data root: {root}']
    if replace:
        cfg.heldout_file = new_heldout
        lines.append(f'Held-out list: {new_heldout}')
    elif isinstance(heldout, str):
        lines.append('Held-out list: ' + (
            resolve_under_root(heldout, root) if not osp.isabs(heldout) else
            f'{heldout} (the config\'s; {new_heldout} does not exist)'))
    return lines


def check_data_files(cfg, splits=SPLITS) -> None:
    """Raise FileNotFoundError naming every missing annotation file,
    feature folder and video list of the given splits.

    Paths are resolved as the dataset resolves them, so the error comes
    before the Runner logs its environment and config.
    """
    missing = {}  # path -> [what, splits]

    def need(path, what, split, exists):
        if not exists(path):
            missing.setdefault(path, [what, []])[1].append(split)

    for split, dataset in split_datasets(cfg, splits):
        root = dataset.get('data_root', '') or ''
        ann_file = dataset.get('ann_file', None)
        if isinstance(ann_file, str):
            need(_under(ann_file, root), 'annotation file', split,
                 osp.isfile)
        prefix = dataset.get('data_prefix', None)
        if prefix is None and dataset.get('type') in (
                'WSTALFeatureDataset', 'WSTALFeatureBankDataset'):
            prefix = DEFAULT_DATA_PREFIX
        for modality, folder in (prefix or {}).items():
            need(_under(folder, root), f'{modality} feature folder', split,
                 osp.isdir)
        for key, what in _LIST_FILES:
            value = dataset.get(key, None)
            if isinstance(value, str) and value:
                need(resolve_under_root(value, root), what, split, osp.isfile)
    if missing:
        raise FileNotFoundError(
            'Missing data file(s):\n' + ''.join(
                f'  {what} {path} ({", ".join(used)})\n'
                for path, (what, used) in missing.items()) +
            f'Prepare the data ({DATA_DOC}) or point --data-root at it.')


def _under(path: str, root: str) -> str:
    """``path`` joined to ``root`` as BaseDataset joins ``ann_file``."""
    return path if osp.isabs(path) or not root else osp.join(root, path)
