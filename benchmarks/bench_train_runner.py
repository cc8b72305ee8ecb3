"""Training throughput through MMEngine's Runner at the THUMOS-14 shape.

Each config (default: DTRP-Loc ``configs/dtrp_loc/trpn_thumos.py``, CO2-Net,
ASM-Loc step 0 and step 1 on step 0's pseudo segments) trains ``--iters``
iterations with its own batch size, T_train, widths (1024 + 1024) and
loader workers on full-width synthetic feature files that replay THUMOS-14
video lengths (the committed layout), no validation and no checkpoints. Read from the Runner's own log
(``vis_data/scalars.json``), after ``--skip`` warm-up iterations:
iterations per second, the data-loader share (``data_time / time``) and,
on CUDA, the peak GPU memory. Unlike ``bench_train.py`` (one model step
timed apart from the data path) this is the whole training loop a user
runs with ``tools/train.py``.

    python -m benchmarks.bench_train_runner --iters 300 \
        --out-json docs/results/bench_train_runner_cuda.json
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
import time

import numpy as np
import torch

from benchmarks.bench_train import data_root_or_temp
from mmtrpn.utils.scalars import is_training_record, load_scalars

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = ['configs/dtrp_loc/trpn_thumos.py', 'configs/co2net/co2net_thumos.py',
           'configs/asm_loc/asm_loc_thumos_step0.py',
           'configs/asm_loc/asm_loc_thumos_step1.py']


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--configs', nargs='+', default=CONFIGS)
    p.add_argument('--iters', type=int, default=300)
    p.add_argument('--skip', type=int, default=20,
                   help='first iterations left out of the means')
    p.add_argument('--videos', type=int, default=64,
                   help='training feature files (THUMOS-14 layouts)')
    p.add_argument('--num-workers', type=int, default=None,
                   help='loader workers (default: each config\'s)')
    p.add_argument('--data-root', help='reuse/keep generated data here')
    p.add_argument('--work-dir', default=None)
    p.add_argument('--test', action='store_true',
                   help='also run the test loop after training (checks the '
                   'prediction and metric path on the device)')
    p.add_argument('--out-json')
    return p.parse_args()


def run_one(config, args, root, work_dir, segment_file=None):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(ROOT, config))
    loader = cfg.train_dataloader
    loader.dataset.data_root = root
    loader.dataset.ambiguous_file = None
    loader.dataset.exclude_videos = []
    if args.num_workers is not None:
        loader.num_workers = args.num_workers
        loader.persistent_workers = args.num_workers > 0
    # the test loader stays for PseudoSegmentExportHook (ASM-Loc steps)
    test = cfg.test_dataloader.dataset
    test.data_root = root
    test.ambiguous_file = None
    test.exclude_videos = []
    for key in ('train_dataloader', 'test_dataloader'):
        for t in cfg[key].dataset.pipeline:
            if t.type == 'LoadPseudoSegments':
                t.segment_file = segment_file
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=args.iters,
                         val_interval=10**9)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=10**9,
        save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    runner = Runner.from_cfg(cfg)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    tic = time.time()
    runner.train()
    wall = time.time() - tic
    rows = [r for r in load_scalars(runner.log_dir)
            if is_training_record(r) and r['iter'] > args.skip]
    step = float(np.mean([r['time'] for r in rows]))
    data = float(np.mean([r['data_time'] for r in rows]))
    res = dict(config=config, iters=args.iters, skipped=args.skip,
               batch_size=loader.batch_size,
               num_workers=loader.num_workers,
               seconds_per_iter=round(step, 4),
               iters_per_second=round(1 / step, 2),
               data_time_per_iter=round(data, 4),
               data_share=round(data / step, 3),
               wall_s=round(wall, 1))
    if torch.cuda.is_available():
        res['peak_gpu_memory_mib'] = round(
            torch.cuda.max_memory_allocated() / 2**20)
        res['peak_gpu_memory_reserved_mib'] = round(
            torch.cuda.max_memory_reserved() / 2**20)
    if args.test:
        tic = time.time()
        metrics = runner.test()
        res['test_s'] = round(time.time() - tic, 1)
        res['test_mAP_AVG'] = round(float(metrics['wstal/mAP_AVG']), 2)
    return res


def main():
    args = parse_args()
    os.chdir(ROOT)
    from mmtrpn.utils import atomic_write_json, register_all_modules
    register_all_modules()
    root, tmp = data_root_or_temp(args.data_root, args.videos,
                                  'bench_runner_')
    work = args.work_dir or tempfile.mkdtemp(prefix='bench_runner_work_')
    device = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
              else 'cpu')
    results, segments = [], None
    for config in args.configs:
        name = osp.splitext(osp.basename(config))[0]
        res = run_one(config, args, root, osp.join(work, name), segments)
        print(json.dumps(res), flush=True)
        results.append(res)
        # an ASM-Loc step writes the pseudo segments of the next
        written = osp.join(work, name, 'pseudo_segments.json')
        segments = written if osp.isfile(written) else segments
    out = dict(
        command=' '.join(['python -m benchmarks.bench_train_runner'] +
                         sys.argv[1:]),
        device=device, torch=torch.__version__,
        cpu_count=os.cpu_count(), videos=args.videos, results=results)
    if args.out_json:
        atomic_write_json(args.out_json, out, indent=1)
    if tmp is not None:
        tmp.cleanup()


if __name__ == '__main__':
    main()
