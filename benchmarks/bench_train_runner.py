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

``--paths file bank`` runs each config with the file loader and with the
feature bank (``feature_bank=True``, docs/feature_bank.md) in the same
process, one after the other, and ``--amp off on`` without and with bf16
autocast (``tools/train.py --amp``). Besides the loader share, each run
reports the data preprocessor's seconds per iteration (timed between
device synchronisations): for the bank that is where batches are sampled
and gathered, so ``data_path_share`` = (loader + preprocessor) / iteration
is the figure to compare. ``ratios`` give bank over file it/s per config.
A config whose pipeline the bank cannot replace (ASM-Loc refinement steps)
is reported as skipped for the bank. ``--full-schedule`` also times one
config's own schedule (training with its validations, then the test)
end to end.

    python -m benchmarks.bench_train_runner --configs configs/dtrp_loc/trpn_thumos.py \
        --paths file bank --iters 40 --skip 10 \
        --out-json docs/results/bench_train_runner_cpu.json

On a GPU (docs/results/bench_train_runner_cuda.json was measured so, before the bank):

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
    p.add_argument('--configs', nargs='*', default=CONFIGS,
                   help='configs timed for --iters (none: only '
                   '--full-schedule)')
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
    p.add_argument('--paths', nargs='+', default=['file'],
                   choices=['file', 'bank'], help='training data paths')
    p.add_argument('--amp', nargs='+', default=['off'],
                   choices=['off', 'on'], help='bf16 autocast off/on')
    p.add_argument('--full-schedule', metavar='CONFIG',
                   help='also run this config\'s whole schedule (train + '
                   'validation + test) with each path, timed end to end')
    p.add_argument('--out-json')
    return p.parse_args()


def configure(cfg, path, amp):
    """The data path and precision of one run."""
    if path == 'bank':
        from mmtrpn.datasets.feature_bank import enable_feature_bank
        enable_feature_bank(cfg)
    if amp == 'on':
        from mmtrpn.engine.optim_wrappers import amp_optim_wrapper
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper,
                                              torch.cuda.is_available())


def time_preprocessor(runner):
    """Seconds of each training call of the data preprocessor (list)."""
    pre = runner.model.data_preprocessor
    forward, seconds = pre.forward, []

    def timed(data, training=False):
        if not training:
            return forward(data, training)
        sync()
        tic = time.perf_counter()
        out = forward(data, training)
        sync()
        seconds.append(time.perf_counter() - tic)
        return out

    pre.forward = timed
    return seconds


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def point_at_data(cfg, root, segment_file):
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key) is None:
            continue
        ds = cfg[key].dataset
        ds.data_root = root
        ds.ambiguous_file = None
        ds.exclude_videos = []
        ds.pop('include_videos', None)
        for t in ds.pipeline:
            if t.type == 'LoadPseudoSegments':
                t.segment_file = segment_file


def run_full(config, args, root, work_dir, path, amp):
    """The config's own schedule, validations and test, timed end to end
    (training and validation on the generated training videos)."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(ROOT, config))
    point_at_data(cfg, root, None)
    configure(cfg, path, amp)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    tic = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_s = time.time() - tic
    metrics = runner.test()
    return dict(config=config, path=path, amp=amp, schedule='full',
                max_iters=cfg.train_cfg.max_iters,
                train_and_val_s=round(train_s, 1),
                end_to_end_s=round(time.time() - tic, 1),
                test_mAP_AVG=round(float(metrics['wstal/mAP_AVG']), 2))


def run_one(config, args, root, work_dir, segment_file=None, path='file',
            amp='off'):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(ROOT, config))
    try:
        configure(cfg, path, amp)
    except ValueError as e:
        return dict(config=config, path=path, amp=amp, skipped=str(e))
    loader = cfg.train_dataloader
    point_at_data(cfg, root, segment_file)
    if args.num_workers is not None and path == 'file':
        loader.num_workers = args.num_workers
        loader.persistent_workers = args.num_workers > 0
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
    pre_seconds = time_preprocessor(runner)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    tic = time.time()
    runner.train()
    wall = time.time() - tic
    rows = [r for r in load_scalars(runner.log_dir)
            if is_training_record(r) and r['iter'] > args.skip]
    step = float(np.mean([r['time'] for r in rows]))
    data = float(np.mean([r['data_time'] for r in rows]))
    pre = float(np.mean(pre_seconds[args.skip:]))
    res = dict(config=config, path=path, amp=amp, iters=args.iters,
               skipped_iters=args.skip,
               batch_size=loader.batch_size,
               num_workers=loader.num_workers,
               seconds_per_iter=round(step, 4),
               iters_per_second=round(1 / step, 2),
               data_time_per_iter=round(data, 4),
               data_share=round(data / step, 3),
               preprocess_time_per_iter=round(pre, 4),
               data_path_share=round((data + pre) / step, 3),
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
    results, ratios, full, segments = [], [], [], None
    for config in args.configs:
        name = osp.splitext(osp.basename(config))[0]
        for amp in args.amp:
            speed = {}
            for path in args.paths:
                run_dir = osp.join(work, f'{name}_{path}_amp-{amp}')
                res = run_one(config, args, root, run_dir, segments, path,
                              amp)
                print(json.dumps(res), flush=True)
                results.append(res)
                speed[path] = res.get('iters_per_second')
                # an ASM-Loc step writes the pseudo segments of the next
                written = osp.join(run_dir, 'pseudo_segments.json')
                segments = written if osp.isfile(written) else segments
            if speed.get('file') and speed.get('bank'):
                ratios.append(dict(config=config, amp=amp,
                                   bank_over_file=round(
                                       speed['bank'] / speed['file'], 2)))
    if args.full_schedule:
        name = osp.splitext(osp.basename(args.full_schedule))[0]
        for path in args.paths:
            res = run_full(args.full_schedule, args, root,
                           osp.join(work, f'{name}_full_{path}'), path,
                           args.amp[-1])
            print(json.dumps(res), flush=True)
            full.append(res)
    out = dict(
        command=' '.join(['python -m benchmarks.bench_train_runner'] +
                         sys.argv[1:]),
        device=device, torch=torch.__version__,
        cpu_count=os.cpu_count(), videos=args.videos,
        load_average_after=[round(x, 2) for x in os.getloadavg()],
        results=results, ratios=ratios, full_schedule=full)
    if args.out_json:
        atomic_write_json(args.out_json, out, indent=1)
    if tmp is not None:
        tmp.cleanup()


if __name__ == '__main__':
    main()
