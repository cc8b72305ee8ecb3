"""The data preprocessor that turns video indices into a training batch."""
from typing import Optional

import torch
from mmengine.model import BaseDataPreprocessor

from mmtrpn.registry import MODELS
from mmtrpn.structures.wstal_data_sample import WSTALDataSample
from .feature_bank import SAMPLE_GT, SAMPLE_META, FeatureBank


@MODELS.register_module()
class FeatureBankPreprocessor(BaseDataPreprocessor):
    """``BaseDataPreprocessor`` that also builds training batches from a
    :class:`~mmtrpn.datasets.feature_bank.FeatureBank`.

    A batch ``{'bank_index': [i, ...]}`` (from ``WSTALFeatureBankDataset``)
    becomes ``inputs`` (B, K, D_rgb + D_flow) sampled as ``SampleSnippets``
    does, and one ``WSTALDataSample`` per video with the fields
    ``PackWSTALInputs`` gives (``snippet_indices`` included), all on the
    bank's device. Any other batch (validation, test) is moved to the
    device as ``BaseDataPreprocessor`` does.

    The offsets come from the preprocessor's own ``torch.Generator`` (on the
    bank's device), seeded by ``FeatureBankHook`` and carried through
    checkpoints by ``RandomStateHook`` (:meth:`rng_state`).
    """

    def __init__(self, non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        self.bank: Optional[FeatureBank] = None
        self.generator: Optional[torch.Generator] = None
        self.num_snippets = None
        self.random = True

    def attach(self, bank: FeatureBank, num_snippets: int, random: bool,
               seed: int) -> None:
        """Sample from ``bank`` (already on its device) with offsets drawn
        from a generator seeded with ``seed``."""
        self.bank = bank
        self.num_snippets = int(num_snippets)
        self.random = bool(random)
        self.generator = torch.Generator(device=bank.device)
        self.generator.manual_seed(int(seed))
        self._metainfo = [
            {k: info[k] for k in SAMPLE_META if k in info}
            for info in bank.infos]
        for meta, length in zip(self._metainfo, bank.lengths.tolist()):
            meta['num_snippets'] = int(length)
            meta['feature_dims'] = bank.feature_dims
        # ground truth as device tensors once, not per batch
        self._ground_truth = [
            {k: torch.as_tensor(info[k]).to(bank.device)
             for k in SAMPLE_GT if k in info} for info in bank.infos]

    def rng_state(self) -> Optional[torch.Tensor]:
        return None if self.generator is None else self.generator.get_state()

    def set_rng_state(self, state: torch.Tensor) -> None:
        if self.generator is None:
            raise RuntimeError('set_rng_state before the feature bank is '
                               'attached (FeatureBankHook.before_train)')
        self.generator.set_state(state)

    def forward(self, data: dict, training: bool = False) -> dict:
        if 'bank_index' not in data:
            return super().forward(data, training)
        if self.bank is None:
            raise RuntimeError(
                'A feature-bank batch reached the data preprocessor before a '
                'bank was attached: add FeatureBankHook to custom_hooks '
                '(enable_feature_bank does; see docs/feature_bank.md).')
        videos = torch.as_tensor(data['bank_index'], dtype=torch.int64)
        inputs, idx = self.bank.sample(
            videos.to(self.bank.device), self.num_snippets, self.generator,
            self.random)
        if inputs.device != self.device:
            inputs = inputs.to(self.device, non_blocking=self._non_blocking)
            idx = idx.to(self.device, non_blocking=self._non_blocking)
        labels = self.bank.labels[videos.to(self.bank.device)].to(
            inputs.device)
        samples = []
        for row, video in enumerate(videos.tolist()):
            sample = WSTALDataSample(metainfo=self._metainfo[video])
            sample.gt_label = labels[row]
            sample.snippet_indices = idx[row]
            for key, value in self._ground_truth[video].items():
                setattr(sample, key, value)
            samples.append(sample)
        return dict(inputs=inputs, data_samples=samples)
