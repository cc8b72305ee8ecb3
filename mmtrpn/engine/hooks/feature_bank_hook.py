"""Hand the training set's feature bank to the model's data preprocessor."""
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmtrpn.registry import HOOKS


def data_preprocessor_of(model):
    """The data preprocessor of a (possibly DDP-wrapped) model."""
    return (model.module if is_model_wrapper(model) else model
            ).data_preprocessor


@HOOKS.register_module()
class FeatureBankHook(Hook):
    """Move the bank of ``WSTALFeatureBankDataset`` to the training device
    and attach it to ``FeatureBankPreprocessor`` before training.

    The preprocessor's generator is seeded with the run's seed plus the
    rank, so each rank draws its own offsets for its own shard of videos
    (``InfiniteSampler`` shards the indices), and one seed gives one run.

    Args:
        placement (str): ``'device'`` keeps the bank on the model's device
            (GPU memory when training on a GPU); ``'pinned'`` keeps it in
            pinned host memory and copies each gathered batch (for banks
            larger than the GPU's free memory).
    """

    priority = 'NORMAL'

    def __init__(self, placement: str = 'device') -> None:
        if placement not in ('device', 'pinned'):
            raise ValueError("FeatureBankHook placement must be 'device' or "
                             f"'pinned', got {placement!r}")
        self.placement = placement

    def before_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        bank = getattr(dataset, 'bank', None)
        if bank is None:
            raise TypeError(
                'FeatureBankHook needs a WSTALFeatureBankDataset training '
                f'set, got {type(dataset).__name__} (set feature_bank=True '
                'in the config instead of adding the hook by hand)')
        pre = data_preprocessor_of(runner.model)
        if not hasattr(pre, 'attach'):
            raise TypeError('FeatureBankHook needs the model\'s '
                            'data_preprocessor to be FeatureBankPreprocessor,'
                            f' got {type(pre).__name__}')
        device = pre.device
        if self.placement == 'pinned' and device.type == 'cuda':
            bank = bank.to('cpu', pin_memory=True)
        else:
            bank = bank.to(device)
        dataset.bank = bank  # no second copy of the features
        pre.attach(bank, dataset.num_snippets, dataset.random,
                   seed=runner.seed + get_rank())
        print_log(f'Feature bank on {bank.device}: {bank.num_videos} videos,'
                  f' {bank.nbytes() / 2**30:.2f} GiB, {dataset.num_snippets}'
                  ' snippets per video', logger='current')
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
