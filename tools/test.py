"""Evaluate a checkpoint: ``python tools/test.py CONFIG [CHECKPOINT]``.

CHECKPOINT may be a file or a training work dir; without it, the work dir
of CONFIG (``--work-dir``, the config's, else ``work_dirs/<config name>``).
From a work dir the best checkpoint validation kept is tested (else the
latest), and the tool says which. ``python tools/test.py WORK_DIR`` also
takes the config training dumped there. Prints the mAP@tIoU table;
``--dump results.json`` also writes the detections in the ActivityNet
results format, ``--report report.html`` one self-contained HTML report
(mAP tables, error diagnosis, a page per video; docs/diagnosis.md).
"""
import argparse
import os.path as osp
import time

from mmengine.config import Config
from mmengine.runner import Runner

from mmtrpn.utils import (apply_compat_fixes, atomic_write_json,
                          init_cpu_process_group, register_all_modules,
                          shutdown_distributed)
from mmtrpn.apis.report_hook import add_report_hook
from mmtrpn.utils.checkpoint_choice import (choose_checkpoint,
                                            config_of_work_dir)
from mmtrpn.utils.cli import (add_common_args, add_data_root_arg,
                              apply_common_args)
from mmtrpn.utils.config_checks import add_required_hooks, check_config
from mmtrpn.utils.data_files import check_data_files, set_data_root
from mmtrpn.utils.work_dir_lock import (is_training_work_dir,
                                        refuse_writes_into_live_training)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a WSTAL model')
    parser.add_argument(
        'config',
        help='test config file, or a training work dir (its dumped config)')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file, or a work dir to take its best_*.pth (else '
        'its latest); default: the work dir of the config')
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
    add_data_root_arg(parser)
    add_common_args(parser)
    return apply_common_args(parser.parse_args())


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    # From the training's work dir, before own_work_dir moves the test's.
    cfg.load_from = _checkpoint(args, cfg.work_dir)
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
    if args.data_root is not None:
        for line in set_data_root(cfg, args.data_root):
            print(line)
    cfg.resume = False
    # MMEngine only warns when checkpoint shapes differ from the model's;
    # the checks stay whatever custom_hooks the config sets.
    add_required_hooks(cfg, training=False)
    return cfg


def _checkpoint(args, work_dir):
    """The checkpoint file to test, said when taken from a work dir."""
    if args.checkpoint is not None and not osp.isdir(args.checkpoint):
        return args.checkpoint
    try:
        path, why = choose_checkpoint(args.checkpoint or work_dir)
    except FileNotFoundError as e:
        raise SystemExit(f'error: {e}')
    print(f'Testing {path} ({why})', flush=True)
    return path


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
    if osp.isdir(args.config):
        # A training work dir: its dumped config, its checkpoints.
        if args.checkpoint is None:
            args.checkpoint = args.config
        try:
            args.config = config_of_work_dir(args.config)
        except FileNotFoundError as e:
            raise SystemExit(f'error: {e}')
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    check_config(cfg)
    try:
        check_data_files(cfg, ('test', ))
    except FileNotFoundError as e:
        raise SystemExit(f'error: {e}')
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
