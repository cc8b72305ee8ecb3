"""Refuse to start when a dataset does not fit the model."""
import numpy as np
from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS
from mmtrpn.utils.fileio import npy_shape


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
    """Columns of a (T, D) ``.npy`` from its header, or None."""
    shape = npy_shape(path)
    return int(shape[1]) if shape is not None and len(shape) == 2 else None


# A video's feature length T times the snippet duration should give its
# duration. Extraction at another frame rate (30 vs 25 fps: 20 %) or
# padding stays within the margin; a snippet duration or a feature rate off
# by a factor (mAP 3.87 -> 0.60 with 10x) does not. See
# docs/troubleshooting.md.
DURATION_MARGIN = 0.25  # relative
DURATION_MARGIN_SNIPPETS = 2  # absolute, in snippets, for short videos


def duration_mismatches(dataset):
    """``[(video, T, T * snippet_duration, duration)]`` of the videos whose
    feature length disagrees with their duration beyond the margin, worst
    (largest ratio either way) first; lengths from the ``.npy`` headers."""
    bad = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        duration = info.get('duration')
        step = info.get('snippet_duration')
        shape = npy_shape(info.get('rgb_path') or '')
        # Zero snippets: the loader refuses the file, naming it.
        if not duration or not step or not shape or not shape[0]:
            continue
        covered = shape[0] * step
        if abs(covered - duration) > max(DURATION_MARGIN * duration,
                                         DURATION_MARGIN_SNIPPETS * step):
            bad.append((info.get('video_name'), int(shape[0]), covered,
                        float(duration)))
    bad.sort(key=lambda b: -abs(np.log(max(b[2], 1e-9) / b[3])))
    return bad


def warn_duration_mismatches(dataset, phase: str, logger=None) -> None:
    """One warning naming the worst videos of :func:`duration_mismatches`."""
    bad = duration_mismatches(dataset)
    if not bad:
        return
    from mmengine.logging import print_log
    worst = '; '.join(f'{v}: T={t} x {c / t:.4g} s = {c:.1f} s vs '
                      f'duration {d:.1f} s' for v, t, c, d in bad[:5])
    print_log(
        f'{len(bad)} of {len(dataset)} videos of the {phase} dataset have '
        f'features whose length times snippet_duration differs from their '
        f'duration by more than {DURATION_MARGIN:.0%} (worst: {worst}). '
        'Is snippet_duration right for these features (16/25 for I3D at '
        '25 fps), and were they extracted at the rate it assumes? Segments '
        'in seconds are placed by it.',
        logger=logger or 'current', level=30)


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


def check_has_labels(dataset, phase: str) -> None:
    """ValueError when no video of ``dataset`` has a video-level label:
    training would learn nothing and end 0 (mAP nan)."""
    if not len(dataset):
        return
    for i in range(len(dataset)):
        label = dataset.get_data_info(i).get('label')
        if label is None or np.asarray(label).any():
            return
    source = getattr(dataset, 'ann_file', None) or type(dataset).__name__
    raise ValueError(
        f'None of the {len(dataset)} videos of the {phase} dataset '
        f'({source}, subset {getattr(dataset, "subset", "?")}) has a label: '
        'every "annotations" list is empty and no "labels" is given. '
        'Weak supervision needs video labels; check the annotation file '
        '(see docs/data_preparation.md).')


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
        warn_duration_mismatches(loader.dataset, phase,
                                 getattr(runner, 'logger', None))
        self._checked.add(id(loader.dataset))

    def before_train(self, runner) -> None:
        check_has_labels(runner.train_dataloader.dataset, 'training')
        self._check(runner, runner.train_dataloader, 'training')

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_dataloader, 'validation')

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_dataloader, 'test')
