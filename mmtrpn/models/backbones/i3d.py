"""Inception-v1 I3D (Carreira & Zisserman, 2017) as a snippet feature
extractor: (B, C, T, H, W) clips -> (B, 1024) pooled features.

Checkpoint layout
-----------------
Parameter names follow the widely used PyTorch I3D checkpoints
(``rgb_imagenet.pt``, ``flow_imagenet.pt`` and the features of W-TALC,
CO2-Net, BaS-Net ...), so that their state dicts load without renaming:

=====================================  =====================================
checkpoint key                         meaning here
=====================================  =====================================
``<unit>.conv3d.weight``               conv of a unit, (out, in, t, h, w)
``<unit>.bn.{weight,bias,running_*}``  its batch norm (eps 1e-3)
``<unit>.bn.num_batches_tracked``      optional (old files lack it)
``Conv3d_1a_7x7`` ... ``Conv3d_2c_3x3``  stem units
``Mixed_<3b..5c>.b0``                  branch 0: 1x1x1
``Mixed_*.b1a`` / ``.b1b``             branch 1: 1x1x1 then 3x3x3
``Mixed_*.b2a`` / ``.b2b``             branch 2: 1x1x1 then 3x3x3
``Mixed_*.b3b``                        branch 3: 3x3x3 max pool, then 1x1x1
``logits.conv3d.{weight,bias}``        Kinetics classifier; loaded only when
                                       ``num_classes`` > 0, else ignored
``module.`` prefix                     stripped (files saved from
                                       DataParallel)
=====================================  =====================================

The RGB stream has 3 input channels, the flow stream 2 (x, y); the stem's
weight shape tells them apart, and loading a checkpoint of the other stream
is an error naming the file. TensorFlow-trained weights (DeepMind's, and
their ports) are brought to this layout by
``tools/data/convert_i3d_weights.py``.

Padding is TensorFlow's "SAME" (asymmetric, computed from the input size),
as the weights were trained with it; it is why units pad in ``forward``.
"""
import os
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmtrpn.registry import MODELS

FEATURE_DIM = 1024
STREAM_CHANNELS = dict(rgb=3, flow=2)
STEM_KEY = 'Conv3d_1a_7x7.conv3d.weight'

# (name, out channels of the branches b0, b1a, b1b, b2a, b2b, b3b)
_MIXED = OrderedDict([
    ('Mixed_3b', (64, 96, 128, 16, 32, 32)),
    ('Mixed_3c', (128, 128, 192, 32, 96, 64)),
    ('Mixed_4b', (192, 96, 208, 16, 48, 64)),
    ('Mixed_4c', (160, 112, 224, 24, 64, 64)),
    ('Mixed_4d', (128, 128, 256, 24, 64, 64)),
    ('Mixed_4e', (112, 144, 288, 32, 64, 64)),
    ('Mixed_4f', (256, 160, 320, 32, 128, 128)),
    ('Mixed_5b', (256, 160, 320, 32, 128, 128)),
    ('Mixed_5c', (384, 192, 384, 48, 128, 128)),
])
# Max pools before these blocks: (kernel, stride).
_POOL_BEFORE = {
    'Mixed_3b': ((1, 3, 3), (1, 2, 2)),
    'Mixed_4b': ((3, 3, 3), (2, 2, 2)),
    'Mixed_5b': ((2, 2, 2), (2, 2, 2)),
}


def same_padding(size: Sequence[int], kernel: Sequence[int],
                 stride: Sequence[int]) -> Tuple[int, ...]:
    """TensorFlow 'SAME' padding of a (T, H, W) input, in ``F.pad`` order
    (w_front, w_back, h_front, h_back, t_front, t_back)."""
    pads = []
    for s, k, st in zip(size, kernel, stride):
        total = max(k - (st if s % st == 0 else s % st), 0)
        pads.append((total // 2, total - total // 2))
    return tuple(p for pair in reversed(pads) for p in pair)


class Unit3D(nn.Module):
    """Conv3d (no bias) + BatchNorm + ReLU with 'SAME' padding."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel: Tuple[int, int, int] = (1, 1, 1),
                 stride: Tuple[int, int, int] = (1, 1, 1),
                 norm_act: bool = True) -> None:
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)
        self.conv3d = nn.Conv3d(in_channels, out_channels, self.kernel,
                                self.stride, bias=not norm_act)
        self.bn = nn.BatchNorm3d(out_channels, eps=1e-3, momentum=0.01) \
            if norm_act else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if max(self.kernel) > 1:
            x = F.pad(x, same_padding(x.shape[2:], self.kernel, self.stride))
        x = self.conv3d(x)
        if self.bn is not None:
            x = F.relu(self.bn(x), inplace=True)
        return x


def max_pool_same(x: torch.Tensor, kernel, stride) -> torch.Tensor:
    # -inf padding: padded cells never win the max (TF semantics).
    x = F.pad(x, same_padding(x.shape[2:], kernel, stride),
              value=float('-inf'))
    return F.max_pool3d(x, kernel, stride)


class InceptionBlock(nn.Module):
    """Four parallel branches concatenated along channels."""

    def __init__(self, in_channels: int, widths: Sequence[int]) -> None:
        super().__init__()
        w0, w1a, w1b, w2a, w2b, w3 = widths
        self.b0 = Unit3D(in_channels, w0)
        self.b1a = Unit3D(in_channels, w1a)
        self.b1b = Unit3D(w1a, w1b, (3, 3, 3))
        self.b2a = Unit3D(in_channels, w2a)
        self.b2b = Unit3D(w2a, w2b, (3, 3, 3))
        self.b3b = Unit3D(in_channels, w3)
        self.out_channels = w0 + w1b + w2b + w3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = max_pool_same(x, (3, 3, 3), (1, 1, 1))
        return torch.cat([
            self.b0(x),
            self.b1b(self.b1a(x)),
            self.b2b(self.b2a(x)),
            self.b3b(pooled)
        ], 1)


@MODELS.register_module()
class I3D(BaseModule):
    """Inception-v1 I3D returning one 1024-d feature per clip.

    Args:
        in_channels (int): 3 for RGB, 2 for optical flow (x, y).
        num_classes (int): Width of the optional Kinetics classifier
            (``logits``); 0 (default) builds none.
        checkpoint (str, optional): A PyTorch I3D state dict to load (see the
            module docstring for the layout).

    Input: (B, in_channels, T, H, W) in [-1, 1]. The standard snippet is
    16 x 224 x 224; any size of at least 1 x 1 x 1 runs ('SAME' padding),
    and the output is the mean over what is left of time and space after
    ``Mixed_5c`` (for 16 x 224 x 224: 2 x 7 x 7, the original network's
    average pool).
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 0,
                 checkpoint: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.Conv3d_1a_7x7 = Unit3D(in_channels, 64, (7, 7, 7), (2, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3))
        channels = 192
        for name, widths in _MIXED.items():
            block = InceptionBlock(channels, widths)
            self.add_module(name, block)
            channels = block.out_channels
        assert channels == FEATURE_DIM
        self.logits = Unit3D(FEATURE_DIM, num_classes, norm_act=False) \
            if num_classes else None
        if checkpoint is not None:
            load_i3d_checkpoint(self, checkpoint)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> the ``Mixed_5c`` map (B, 1024, T', H', W')."""
        if x.dim() != 5 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'I3D with {self.in_channels} input channels expects '
                f'(B, {self.in_channels}, T, H, W), got {tuple(x.shape)}')
        x = self.Conv3d_1a_7x7(x)
        x = max_pool_same(x, (1, 3, 3), (1, 2, 2))
        x = self.Conv3d_2c_3x3(self.Conv3d_2b_1x1(x))
        for name in _MIXED:
            if name in _POOL_BEFORE:
                x = max_pool_same(x, *_POOL_BEFORE[name])
            x = getattr(self, name)(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, 1024) pooled features."""
        return self.feature_map(x).mean(dim=(2, 3, 4))

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, num_classes) logits, averaged over time
        (as the original network's ``Logits`` end point)."""
        if self.logits is None:
            raise RuntimeError('this I3D has no classifier (num_classes=0)')
        fmap = self.feature_map(x)
        pooled = fmap.mean(dim=(3, 4), keepdim=True)   # spatial mean
        return self.logits(pooled).flatten(2).mean(2)


def read_i3d_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Tensors of a PyTorch I3D file (a state dict, or a dict holding one
    under ``state_dict``), ``module.`` prefixes stripped."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'I3D checkpoint not found: {path}')
    try:
        obj = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # pickle, zip and torch errors alike
        raise ValueError(f'I3D checkpoint {path} could not be read as a '
                         f'PyTorch state dict: {e}') from e
    if isinstance(obj, dict) and isinstance(obj.get('state_dict'), dict):
        obj = obj['state_dict']
    if not isinstance(obj, dict) or not all(
            isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f'I3D checkpoint {path} is not a state dict of '
                         'tensors')
    return {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in obj.items()
    }


def checkpoint_stream(state: Dict[str, torch.Tensor]) -> Optional[str]:
    """'rgb' or 'flow' from the stem's input channels, None if unknown."""
    stem = state.get(STEM_KEY)
    if stem is None or stem.dim() != 5:
        return None
    for stream, channels in STREAM_CHANNELS.items():
        if stem.shape[1] == channels:
            return stream
    return None


def load_i3d_checkpoint(model: I3D, path: str,
                        stream: Optional[str] = None) -> None:
    """Load a PyTorch I3D state dict into ``model``, strictly.

    Every parameter and buffer of ``model`` must be in the file with its
    shape (``num_batches_tracked`` may be missing); ``logits.*`` is ignored
    when the model has no classifier. ``stream`` ('rgb' / 'flow'), when
    given, must match the file. Errors name the file and the keys.
    """
    state = read_i3d_state_dict(path)
    found = checkpoint_stream(state)
    if stream is not None:
        if stream not in STREAM_CHANNELS:
            raise ValueError(f'stream must be one of {list(STREAM_CHANNELS)}, '
                             f'got {stream!r}')
        if found is not None and found != stream:
            raise ValueError(
                f'I3D checkpoint {path} is for the {found} stream (its '
                f'{STEM_KEY} takes {STREAM_CHANNELS[found]} channels), but '
                f'was given for the {stream} stream')
    if model.logits is None:
        state = {k: v for k, v in state.items()
                 if not k.startswith('logits.')}
    own = model.state_dict()
    missing = [k for k in own if k not in state
               and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state if k not in own]
    wrong = [f'{k}: file {tuple(state[k].shape)} vs model '
             f'{tuple(own[k].shape)}' for k in own
             if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f'{len(missing)} missing key(s), e.g. {missing[:3]}')
        if unexpected:
            parts.append(f'{len(unexpected)} unexpected key(s), e.g. '
                         f'{unexpected[:3]}')
        if wrong:
            parts.append(f'{len(wrong)} shape mismatch(es), e.g. {wrong[:3]}')
        raise ValueError(
            f'I3D checkpoint {path} does not fit an I3D with '
            f'{model.in_channels} input channels and num_classes='
            f'{model.num_classes}: ' + '; '.join(parts) + '. Expected the '
            'PyTorch I3D layout (mmtrpn/models/backbones/i3d.py).')
    state = {k: v.to(own[k].dtype) for k, v in state.items()}
    model.load_state_dict(state, strict=False)
