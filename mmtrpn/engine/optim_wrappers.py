"""Mixed precision for ``tools/train.py --amp`` on GPUs and on CPUs.

MMEngine's ``AmpOptimWrapper`` asserts a GPU (or NPU/MLU) when the Runner
builds it, i.e. after the datasets and the model are built, with a bare
``AssertionError``. :func:`amp_optim_wrapper` picks the wrapper before the
Runner exists: on CUDA, ``AmpOptimWrapper`` with bf16 autocast; on a CPU,
:class:`CPUAutocastOptimWrapper` (bf16 autocast, no loss scaling: bf16 has
float32's exponent range).
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from mmtrpn.registry import OPTIM_WRAPPERS

AMP_WRAPPERS = ('AmpOptimWrapper', 'CPUAutocastOptimWrapper')


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward pass (data preprocessor, model and
    losses, inside ``optim_context``) runs under CPU autocast.

    Args:
        dtype (str): ``'bfloat16'`` (the one CPU autocast type that needs no
            loss scaling).
        **kwargs: ``OptimWrapper`` arguments.
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs) -> None:
        if dtype != 'bfloat16':
            raise ValueError('CPUAutocastOptimWrapper supports dtype '
                             f"'bfloat16' only, got {dtype!r}")
        super().__init__(**kwargs)
        self.cast_dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield


def amp_optim_wrapper(optim_wrapper: dict, cuda: bool) -> dict:
    """``optim_wrapper`` config switched to bf16 autocast on this machine.

    Raises ValueError, before any building, for a wrapper type that cannot
    be switched.
    """
    kind = optim_wrapper.get('type', 'OptimWrapper')
    if kind not in ('OptimWrapper', ) + AMP_WRAPPERS:
        raise ValueError(f'--amp switches OptimWrapper to mixed precision; '
                         f'this config uses {kind}')
    out = dict(optim_wrapper, dtype='bfloat16')
    if cuda:
        out['type'] = 'AmpOptimWrapper'
    else:
        out['type'] = 'CPUAutocastOptimWrapper'
        out.pop('loss_scale', None)
    return out
