"""Refuse features whose RGB/flow split differs from the model's."""
from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS


def check_feature_dims(model, data_samples):
    """Raise ValueError when a sample's ``feature_dims`` (the widths of its
    RGB and flow files) differ from ``model.feature_dims``."""
    model = getattr(model, 'module', model)
    expected = getattr(model, 'feature_dims', None)
    if expected is None:
        return
    expected = tuple(int(d) for d in expected)
    for sample in data_samples or ():
        meta = getattr(sample, 'metainfo', sample)
        dims = meta.get('feature_dims')
        if dims is None or tuple(dims) == expected:
            continue
        video = meta.get('video_name', '?')
        same_total = sum(dims) == sum(expected)
        raise ValueError(
            f'Video {video}: its feature files have widths (rgb, flow) = '
            f'{tuple(dims)}, but model.feature_dims = {expected}'
            + (f'; the {sum(dims)} columns would be split at the wrong '
               'place between RGB and flow' if same_total else '') +
            f'. Set model.feature_dims={tuple(dims)} (and the pipeline\'s '
            'rgb_dim/flow_dim) to match the data, or use the features the '
            'model was built for.')


@HOOKS.register_module()
class FeatureDimsCheckHook(Hook):
    """Check every batch's per-modality feature widths against the model.

    The model only sees the concatenated (T, D_rgb + D_flow) input, so with
    ``feature_dims=(8, 24)`` and 16 + 16-d files only the total agrees and
    training runs on wrongly split features without a word.
    """

    priority = 'VERY_HIGH'

    def _check(self, runner, data_batch):
        if isinstance(data_batch, dict):
            check_feature_dims(runner.model, data_batch.get('data_samples'))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._check(runner, data_batch)

    def before_val_iter(self, runner, batch_idx, data_batch=None):
        self._check(runner, data_batch)

    def before_test_iter(self, runner, batch_idx, data_batch=None):
        self._check(runner, data_batch)
