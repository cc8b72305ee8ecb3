"""Command-line arguments shared by tools/train.py, test.py and inference.py.

MMEngine (and through it torch) is imported only by the functions of the
Runner tools: ``add_version_arg`` serves the light tools too
(``tools/eval_results.py`` scores without importing torch).
"""
import os

from mmtrpn.version import __version__


def add_version_arg(parser):
    """``--version``: print mmtrpn's version and exit."""
    parser.add_argument(
        '--version', action='version', version=f'mmtrpn {__version__}')
    return parser


def add_common_args(parser, launcher=True):
    """``--trust-checkpoint``, ``--cfg-options`` and, for Runner tools,
    ``--launcher`` / ``--local-rank`` (as MMAction2's tools take them),
    and ``--version``."""
    from mmengine.config import DictAction
    add_version_arg(parser)
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow full unpickling of the checkpoint; only for files you '
        'trust')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_iters=100 '
        'model.test_cfg.topk_ratio=4')
    if launcher:
        parser.add_argument(
            '--launcher',
            choices=['none', 'pytorch', 'slurm', 'mpi'],
            default='none',
            help='job launcher')
        parser.add_argument(
            '--local_rank', '--local-rank', type=int, default=0)
    return parser


def apply_common_args(args):
    """Export what the common arguments ask of the environment."""
    if getattr(args, 'local_rank', None) is not None:
        os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.trust_checkpoint:
        from .compat import TRUST_CHECKPOINTS_ENV
        os.environ[TRUST_CHECKPOINTS_ENV] = '1'
    return args


def add_data_root_arg(parser):
    """``--data-root``: move every split (see ``utils/data_files.py``)."""
    parser.add_argument(
        '--data-root',
        metavar='DIR',
        help='read every split from this dataset root (annotations.json, '
        'features/; its heldout.txt, if any, replaces the config\'s '
        'held-out list)')
    return parser
