"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``.

Prints the mAP@tIoU table; ``--dump results.json`` also writes the
detections in the ActivityNet results format, ``--report report.html`` one
self-contained HTML report (mAP tables, error diagnosis, a page per video;
docs/diagnosis.md).
"""
import argparse
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from mmtrpn.utils import (apply_compat_fixes, atomic_write_json,
                          init_cpu_process_group, register_all_modules,
                          shutdown_distributed)
from mmtrpn.utils.cli import add_common_args, apply_common_args
from mmtrpn.utils.config_checks import check_config
from mmtrpn.apis.report_hook import add_report_hook


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
    parser.add_argument(
        '--report',
        metavar='HTML',
        help='write an HTML report of the run (mAP, error diagnosis, a page '
        'per video with its curves) here, and its curves beside it')
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
    # MMEngine only warns when checkpoint shapes differ from the model's.
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
        dict(type='CheckpointShapeCheckHook')
    ]
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
    add_report_hook(cfg, args.report)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main():
    args = parse_args()
    apply_compat_fixes()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    check_config(cfg)
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
