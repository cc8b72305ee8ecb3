"""Training throughput at the THUMOS-14 shape, data path and model step apart.

Full DTRP-Loc (``configs/dtrp_loc/trpn_thumos.py``): batch 16, T_train = 320,
RGB + flow 1024 + 1024, 20 classes. Data goes through the Runner's path
(``WSTALFeatureDataset`` + pipeline + DataLoader with ``pseudo_collate``)
over full-width synthetic feature files that replay THUMOS-14 video
lengths, written to a temporary directory. The model step is
``model.train_step(data, optim_wrapper)`` (data preprocessor, forward,
backward, Adam step). Runs on CUDA when available, else CPU.

Example::

    .venv/bin/python benchmarks/bench_train.py --iters 5 --threads 1
"""
import argparse
import os
import os.path as osp
import tempfile
import time

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# THUMOS-14's real layout, committed (tools/data/make_layout.py)
LAYOUT = osp.join(ROOT, 'benchmarks', 'data', 'thumos14_layout.json')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default='configs/dtrp_loc/trpn_thumos.py')
    p.add_argument('--videos', type=int, default=48,
                   help='feature files to generate (THUMOS-14 layouts)')
    p.add_argument('--iters', type=int, default=5, help='timed iterations')
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--num-workers', type=int, default=None,
                   help='DataLoader workers (default: the config, 2)')
    p.add_argument('--threads', type=int, default=None,
                   help='torch threads (default: torch default)')
    p.add_argument('--data-root', help='reuse/keep generated data here')
    p.add_argument('--device', default=None, help='cuda|cpu (auto)')
    return p.parse_args()


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def make_data(root, videos):
    if osp.isfile(osp.join(root, 'annotations.json')):
        return
    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    layout = LAYOUT if osp.isfile(LAYOUT) else None
    cfg = SyntheticConfig(
        dim=1024, num_classes=20, num_train=videos, num_test=4,
        min_duration=30, max_duration=800)
    tic = time.time()
    generate_synthetic(root, cfg, layout_file=layout, max_videos=2 * videos)
    print(f'generated {videos}+ full-width videos in '
          f'{time.time() - tic:.0f} s')


def data_root_or_temp(data_root, videos, prefix):
    """``(root, tmp)``: ``data_root`` or else a temporary directory
    (``tmp``, to clean up), holding the generated videos."""
    tmp = None
    if data_root is None:
        tmp = tempfile.TemporaryDirectory(prefix=prefix)
        data_root = tmp.name
    make_data(data_root, videos)
    return data_root, tmp


def pipeline_breakdown(dataset, n=32):
    """Per-transform seconds per video, then collate seconds per batch."""
    from mmengine.dataset import pseudo_collate
    times = {}
    batch = []
    for i in range(n):
        results = dataset.get_data_info(i % len(dataset))
        for t in dataset.pipeline.transforms:
            tic = time.perf_counter()
            results = t(results)
            times[type(t).__name__] = times.get(type(t).__name__, 0) + (
                time.perf_counter() - tic)
        batch.append(results)
    out = {k: v / n for k, v in times.items()}
    tic = time.perf_counter()
    for _ in range(5):
        pseudo_collate(batch[:16])
    out['pseudo_collate (per batch)'] = (time.perf_counter() - tic) / 5
    return out


def main():
    args = parse_args()
    os.chdir(ROOT)
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner

    import mmtrpn  # noqa: F401
    from mmtrpn.registry import MODELS
    from mmtrpn.utils import register_all_modules
    register_all_modules()

    device = torch.device(args.device or (
        'cuda' if torch.cuda.is_available() else 'cpu'))
    root, tmp = data_root_or_temp(args.data_root, args.videos, 'bench_train_')

    cfg = Config.fromfile(args.config)
    dl = cfg.train_dataloader
    dl.dataset.data_root = root
    dl.dataset.ambiguous_file = None
    if args.num_workers is not None:
        dl.num_workers = args.num_workers
        dl.persistent_workers = args.num_workers > 0
    batch_size, workers = dl.batch_size, dl.num_workers
    loader = Runner.build_dataloader(dl, seed=0)
    dataset = loader.dataset
    t_train = [t for t in dataset.pipeline.transforms
               if type(t).__name__ == 'SampleSnippets'][0].num_snippets
    lengths = [dataset.get_data_info(i)['duration'] /
               dataset.get_data_info(i)['snippet_duration']
               for i in range(len(dataset))]

    model = MODELS.build(cfg.model).to(device)
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)

    print(f'device {device}, torch threads {torch.get_num_threads()}, '
          f'batch {batch_size}, T_train {t_train}, dims '
          f'{tuple(cfg.model.feature_dims)}, {dataset.metainfo.get("classes") and len(dataset.metainfo["classes"])} '
          f'classes, {len(dataset)} train videos of mean '
          f'{np.mean(lengths):.0f} snippets, {workers} loader workers')

    parts = pipeline_breakdown(dataset)
    print('pipeline, one worker, per video (ms): ' + ', '.join(
        f'{k} {v * 1e3:.2f}' for k, v in parts.items()))

    it = iter(loader)
    data_t, step_t = [], []
    for i in range(args.warmup + args.iters):
        tic = time.perf_counter()
        data = next(it)
        t1 = time.perf_counter()
        logs = model.train_step(data, optim)
        sync(device)
        t2 = time.perf_counter()
        if i >= args.warmup:
            data_t.append(t1 - tic)
            step_t.append(t2 - t1)
    data_s, step_s = float(np.mean(data_t)), float(np.mean(step_t))
    total = data_s + step_s
    print(f'loss {float(logs["loss"].detach()):.3f}')
    print(f'data wait (load+sample+pack+collate, {workers} workers): '
          f'{data_s:.4f} s/iter')
    print(f'model step (fwd+bwd+Adam): {step_s:.4f} s/iter, '
          f'{1 / step_s:.2f} it/s')
    print(f'total: {total:.4f} s/iter, {1 / total:.2f} it/s; data share '
          f'{100 * data_s / total:.1f} %')
    # the data path without workers: what it costs the main process
    serial = sum(v for k, v in parts.items() if 'collate' not in k) * \
        batch_size + parts['pseudo_collate (per batch)']
    print(f'data path serial (0 workers): {serial:.4f} s/batch')
    if tmp is not None:
        tmp.cleanup()


if __name__ == '__main__':
    main()
