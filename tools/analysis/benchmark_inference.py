"""Inference speed of a localizer: videos per second of the predict path.

    python tools/analysis/benchmark_inference.py CONFIG [CHECKPOINT] \
        [--num-videos 20] [--num-snippets 340] [--device cpu] [--out FILE]

Runs ``mmtrpn.apis.inference_localizer`` (test pipeline, data
preprocessor, ``predict`` with post-processing, ActivityNet-style
detections) on random (T, D_rgb) / (T, D_flow) features of the model's
widths, one video at a time as ``tools/test.py`` does, after
``--warmup`` untimed videos. Without CHECKPOINT the model keeps its random
initialisation (the speed of the network and post-processing, not of a
trained model's detections). Also times ``model.test_step`` alone on the
same packed inputs, so the share of packing and result conversion shows.
THUMOS-14 test videos average about 340 snippets (217 s at 16/25 s).
"""
import argparse
import json
import os.path as osp
import platform
import sys
import time

import numpy as np

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

from mmtrpn.utils.cli import add_version_arg  # noqa: E402
from mmtrpn.utils.fileio import atomic_write_json  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_version_arg(parser)
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?',
                        help='checkpoint (default: random initialisation)')
    parser.add_argument('--num-videos', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--num-snippets', type=int, default=340,
                        help='snippets per random video')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='also write the numbers to this JSON')
    parser.add_argument('--trust-checkpoint', action='store_true')
    args = parser.parse_args(argv)
    for key in ('num_videos', 'num_snippets'):
        if getattr(args, key) < 1:
            parser.error(f'--{key.replace("_", "-")} must be >= 1')
    return args


def _sync(device):
    import torch
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def measure(model, videos, warmup, device):
    """Seconds of the full predict path and of ``test_step`` alone, over
    ``videos`` (list of (rgb, flow)) after ``warmup`` untimed calls."""
    import torch

    from mmtrpn.apis import inference_localizer
    from mmtrpn.apis.inference import _pack, _test_dataset_cfg, _video_info
    for rgb, flow in videos[:warmup]:
        inference_localizer(model, (rgb, flow))
    timed = videos[warmup:]
    _sync(device)
    tic = time.perf_counter()
    for rgb, flow in timed:
        inference_localizer(model, (rgb, flow))
    _sync(device)
    full = time.perf_counter() - tic
    ds_cfg = _test_dataset_cfg(model.cfg)
    packed = [
        _pack(model, _video_info((rgb, flow), model, ds_cfg, None, 'v'))
        for rgb, flow in timed
    ]
    _sync(device)
    tic = time.perf_counter()
    with torch.no_grad():
        for inputs, sample in packed:
            model.test_step(dict(inputs=[inputs], data_samples=[sample]))
    _sync(device)
    return full, time.perf_counter() - tic


def main(argv=None):
    args = parse_args(argv)
    import torch

    from mmtrpn import __version__
    from mmtrpn.apis import init_localizer
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = init_localizer(args.config, args.checkpoint, device=args.device,
                           trust_checkpoint=args.trust_checkpoint)
    rng = np.random.default_rng(args.seed)
    d_rgb, d_flow = model.feature_dims
    videos = [(rng.standard_normal((args.num_snippets, d_rgb), np.float32),
               rng.standard_normal((args.num_snippets, d_flow), np.float32))
              for _ in range(args.warmup + args.num_videos)]
    full, step = measure(model, videos, args.warmup, args.device)
    n = args.num_videos
    result = dict(
        command='python tools/analysis/benchmark_inference.py ' +
        ' '.join(argv if argv is not None else sys.argv[1:]),
        config=args.config, checkpoint=args.checkpoint,
        device=args.device, torch_threads=torch.get_num_threads(),
        machine=platform.processor() or platform.machine(),
        torch=torch.__version__, mmtrpn=__version__,
        num_videos=n, num_snippets=args.num_snippets,
        feature_dims=[int(d_rgb), int(d_flow)],
        videos_per_s=n / full, seconds_per_video=full / n,
        snippets_per_s=n * args.num_snippets / full,
        test_step_videos_per_s=n / step,
        test_step_share=step / full)
    print(f'{n} videos of {args.num_snippets} snippets on {args.device} '
          f'({result["torch_threads"]} threads): '
          f'{result["videos_per_s"]:.2f} videos/s '
          f'({1000 * result["seconds_per_video"]:.1f} ms/video, '
          f'{result["snippets_per_s"]:.0f} snippets/s); model.test_step '
          f'alone {result["test_step_videos_per_s"]:.2f} videos/s '
          f'({100 * result["test_step_share"]:.0f} % of the time)')
    if args.out:
        atomic_write_json(args.out, result, indent=1)
    return result


if __name__ == '__main__':
    main()
