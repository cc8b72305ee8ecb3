"""Refuse to start when a dataset does not fit the model."""
import os.path as osp

import numpy as np
from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS


def dataset_classes(dataset):
    """The class names of a (possibly lazily initialised) dataset."""
    if hasattr(dataset, 'full_init'):
        dataset.full_init()  # the class list is read with the annotations
    return (getattr(dataset, 'metainfo', None) or {}).get('classes')


def check_num_classes(model, dataset, phase: str) -> None:
    """ValueError when the dataset's class count differs from the model's
    ``num_classes``; models without ``num_classes`` are not checked."""
    num_classes = getattr(model, 'num_classes', None)
    classes = dataset_classes(dataset)
    if num_classes is None or classes is None:
        return
    if len(classes) != num_classes:
        source = getattr(dataset, 'ann_file', None) or type(dataset).__name__
        raise ValueError(
            f'The {phase} dataset ({source}) has {len(classes)} classes but '
            f'the model has num_classes={num_classes}: set model.num_classes '
            'in the top-level config to the class count of the annotation '
            'file.')


def _npy_width(path: str):
    """Columns of a (T, D) ``.npy`` from its header, None when unreadable
    (the feature loader reports those files when it reaches them)."""
    if not osp.isfile(path):
        return None
    try:
        array = np.load(path, mmap_mode='r', allow_pickle=False)
    except (ValueError, OSError):
        return None
    return int(array.shape[1]) if array.ndim == 2 else None


def check_feature_widths(model, dataset, phase: str) -> None:
    """ValueError naming the files whose feature widths differ from the
    model's ``feature_dims`` (read from the ``.npy`` headers only)."""
    dims = getattr(model, 'feature_dims', None)
    if dims is None:
        return
    bad = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        for modality, dim in zip(('rgb', 'flow'), dims):
            path = info.get(f'{modality}_path')
            width = None if path is None else _npy_width(path)
            if width is not None and width != dim:
                bad.append(f'{path} ({modality}, width {width})')
    if bad:
        raise ValueError(
            f'{len(bad)} feature file(s) of the {phase} dataset do not have '
            f'the widths of model.feature_dims={tuple(dims)}, e.g. '
            f'{bad[:3]}: set model.feature_dims in the top-level config to '
            'the widths of the feature files.')


@HOOKS.register_module()
class ModelDatasetCheckHook(Hook):
    """Fail at the start of training, validation or testing when a dataset
    does not fit the model: its class list has another length than
    ``model.num_classes``, or its feature files another width than
    ``model.feature_dims``.

    The config states both numbers once; without this check a model with
    too many classes trains and scores phantom classes, and a model whose
    widths were overridden alone fails inside the network, far from the
    config line to fix. Each dataset is checked once (feature files by
    their ``.npy`` header). Listed in ``configs/_base_/default_runtime.py``.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._checked = set()

    def _check(self, runner, loader, phase: str) -> None:
        if id(loader.dataset) in self._checked:
            return
        model = getattr(runner.model, 'module', runner.model)
        check_num_classes(model, loader.dataset, phase)
        check_feature_widths(model, loader.dataset, phase)
        self._checked.add(id(loader.dataset))

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_dataloader, 'training')

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_dataloader, 'validation')

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_dataloader, 'test')
