"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``.

Prints the mAP@tIoU table; ``--dump results.json`` also writes the
detections in the ActivityNet results format.
"""
import argparse
import os.path as osp
import time

from mmengine.config import Config
from mmengine.runner import Runner

from mmtrpn.utils import (apply_compat_fixes, atomic_write_json,
                          init_cpu_process_group, register_all_modules,
                          shutdown_distributed)
from mmtrpn.utils.cli import add_common_args, apply_common_args
from mmtrpn.utils.config_checks import add_required_hooks, check_config
from mmtrpn.utils.work_dir_lock import (is_training_work_dir,
                                        refuse_writes_into_live_training)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a WSTAL model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--dump',
        type=str,
        help='write the detections to this ActivityNet-style JSON file')
    parser.add_argument(
        '--out-metrics',
        metavar='FILE',
        help='also write the returned metrics dict (e.g. wstal/mAP_AVG) to '
        'this JSON file, atomically (used by tools/multi_seed.py)')
    parser.add_argument(
        '--show-dir',
        help='write one figure per video (detections, proposals, curves) '
        'into this folder')
    add_common_args(parser)
    return apply_common_args(parser.parse_args())


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.dump is not None:
        evaluators = cfg.test_evaluator
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for evaluator in evaluators:
            if evaluator.get('type') == 'TemporalMAPMetric':
                evaluator['dump_results'] = args.dump
    if args.show_dir is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='WSTALVisualizationHook', out_dir=args.show_dir)
        ]
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.resume = False
    # MMEngine only warns when checkpoint shapes differ from the model's;
    # the checks stay whatever custom_hooks the config sets.
    add_required_hooks(cfg, training=False)
    return cfg


def own_work_dir(cfg, args):
    """A training's work dir keeps its saved config and logs: the test run
    writes into a timestamped subfolder of it; nothing is written into a
    running training's work dir otherwise."""
    refuse_writes_into_live_training(
        [args.dump, args.out_metrics, args.show_dir], 'tools/test.py')
    if is_training_work_dir(cfg.work_dir):
        cfg.work_dir = osp.join(cfg.work_dir,
                                time.strftime('test_%Y%m%d_%H%M%S'))
        print(f'{osp.dirname(cfg.work_dir)} is a training\'s work dir: '
              f'this test run writes into {cfg.work_dir}.')


def main():
    args = parse_args()
    apply_compat_fixes()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    check_config(cfg)
    own_work_dir(cfg, args)
    init_cpu_process_group(cfg.launcher)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if args.out_metrics is not None and runner.rank == 0:
        atomic_write_json(args.out_metrics,
                          {k: float(v) for k, v in metrics.items()},
                          indent=1)
    del runner
    shutdown_distributed()


if __name__ == '__main__':
    main()
