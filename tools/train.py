"""Train a WSTAL model: ``python tools/train.py CONFIG [options]``.

Flags follow MMAction2's ``tools/train.py``. Multi-process runs go through
``tools/dist_train.sh`` (torchrun) or ``tools/slurm_train.sh``; on machines
without CUDA the same scripts use gloo and the CPU DDP wrapper.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from mmtrpn.utils import (apply_compat_fixes, init_cpu_process_group,
                          register_all_modules, shutdown_distributed)
from mmtrpn.utils.cli import (add_common_args, add_data_root_arg,
                              apply_common_args)
from mmtrpn.utils.config_checks import add_required_hooks, check_config
from mmtrpn.utils.data_files import check_data_files, set_data_root
from mmtrpn.utils.last_checkpoint import (remove_stale_temporaries,
                                          resolve_last_checkpoint)
from mmtrpn.utils.work_dir_lock import WorkDirLock, took_over_message


def parse_args():
    parser = argparse.ArgumentParser(description='Train a WSTAL model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or with no value from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument(
        '--diff-rank-seed',
        action='store_true',
        help='use a different seed on each rank')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='use deterministic algorithms (see docs/reproducibility.md)')
    add_data_root_arg(parser)
    add_common_args(parser)
    return apply_common_args(parser.parse_args())


def merge_args(cfg, args):
    """Merge command-line arguments into the config (CLI wins)."""
    # --cfg-options first (as MMAction2): --no-validate must still drop the
    # val settings that --cfg-options touched.
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.data_root is not None:
        for line in set_data_root(cfg, args.data_root):
            print(line)
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    cfg.launcher = args.launcher
    if cfg.get('feature_bank', False):  # docs/feature_bank.md
        from mmtrpn.datasets.feature_bank import enable_feature_bank
        enable_feature_bank(cfg)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:  # bf16 autocast, on CUDA or on the CPU
        import torch
        from mmtrpn.engine.optim_wrappers import amp_optim_wrapper
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper,
                                              torch.cuda.is_available())
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    randomness = cfg.get('randomness', None) or dict()
    if args.seed is not None:
        randomness['seed'] = args.seed
    if args.diff_rank_seed:
        randomness['diff_rank_seed'] = True
    if args.deterministic:
        randomness['deterministic'] = True
    cfg.randomness = randomness
    # Whatever custom_hooks the config sets; resume=True in a config gets
    # the checks of --resume.
    add_required_hooks(cfg, training=True)
    return cfg


def resolve_auto_resume(cfg):
    """Pick the checkpoint an auto resume loads, relative to this work dir
    (every rank reads the same files)."""
    if cfg.get('resume', False) and not cfg.get('load_from', None):
        try:
            cfg.load_from = resolve_last_checkpoint(cfg.work_dir)
        except ValueError as e:
            raise SystemExit(f'error: {e}')
        if cfg.load_from:
            print('Auto resumed from the latest checkpoint '
                  f'{cfg.load_from}.')


def main():
    args = parse_args()
    apply_compat_fixes()
    if args.deterministic:
        # cuBLAS refuses deterministic mode without it (no-op on CPU); must
        # be set before CUDA initialises.
        os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    check_config(cfg)
    try:
        check_data_files(cfg, ('train', 'val'))
    except FileNotFoundError as e:
        raise SystemExit(f'error: {e}')
    lock = None
    if _global_rank(cfg.launcher) == 0:
        try:
            lock = WorkDirLock(cfg.work_dir).acquire()
        except RuntimeError as e:
            raise SystemExit(f'error: {e}')
        if lock.took_over:
            print(took_over_message(lock.took_over))
        for path in remove_stale_temporaries(cfg.work_dir):
            print(f'Removed {path}, left by a write that was killed.')
    try:
        resolve_auto_resume(cfg)
        init_cpu_process_group(cfg.launcher)
        runner = Runner.from_cfg(cfg)
        runner.train()
        del runner
        shutdown_distributed()
    finally:
        if lock is not None:
            lock.release()


def _global_rank(launcher):
    """This process's rank, before any process group exists."""
    if launcher == 'none':
        return 0
    return int(os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0')))


if __name__ == '__main__':
    main()
