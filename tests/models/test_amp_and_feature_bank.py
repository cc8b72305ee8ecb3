"""Each localizer trains under CPU bf16 autocast (``--amp`` on a machine
without CUDA) and from the feature bank, through the Runner."""
import os.path as osp

import pytest
import torch

from mmtrpn.engine.optim_wrappers import amp_optim_wrapper

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# configs/dtrp_loc/ once the headline configs move there
DTRP = next(c for c in ('dtrp_loc/trpn_synthetic.py', 'trpn_synthetic.py')
            if osp.isfile(osp.join(REPO, 'configs', c)))
CONFIGS = [DTRP, 'co2net/co2net_thumos.py', 'asm_loc/asm_loc_thumos_step0.py']


def _amp(cfg):
    cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper, cuda=False)


def _bank(cfg):
    from mmtrpn.datasets.feature_bank import enable_feature_bank
    enable_feature_bank(cfg)


@pytest.mark.parametrize('config', CONFIGS)
def test_cpu_bf16_autocast_trains_and_tests(config, smoke, smoke_data,
                                            tmp_path):
    seen = []
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda m, i, o: seen.append(o.dtype) if isinstance(
            o, torch.Tensor) else None)
    try:
        smoke(config, smoke_data, tmp_path, edit=_amp)
    finally:
        handle.remove()
    assert torch.bfloat16 in seen  # layers ran in bf16 (autocast on)


@pytest.mark.parametrize('config', CONFIGS)
def test_feature_bank_trains_and_tests(config, smoke, smoke_data, tmp_path):
    smoke(config, smoke_data, tmp_path, edit=_bank)


def test_amp_picks_the_wrapper_for_the_device():
    base = dict(optimizer=dict(type='Adam', lr=1e-4))
    cpu = amp_optim_wrapper(dict(base, loss_scale='dynamic'), cuda=False)
    assert cpu['type'] == 'CPUAutocastOptimWrapper'
    assert 'loss_scale' not in cpu and cpu['dtype'] == 'bfloat16'
    gpu = amp_optim_wrapper(base, cuda=True)
    assert (gpu['type'], gpu['dtype']) == ('AmpOptimWrapper', 'bfloat16')
    with pytest.raises(ValueError, match='ApexOptimWrapper'):
        amp_optim_wrapper(dict(base, type='ApexOptimWrapper'), cuda=False)
