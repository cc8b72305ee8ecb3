"""Print a config fully resolved: inheritance, variables, ``--cfg-options``
and ``--data-root`` applied, as ``tools/train.py`` would run it.

    python tools/analysis/print_config.py CONFIG [--data-root DIR] \
        [--cfg-options KEY=VALUE ...]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

from mmtrpn.utils import apply_compat_fixes  # noqa: E402
from mmtrpn.utils.cli import add_data_root_arg, add_version_arg  # noqa: E402
from mmtrpn.utils.data_files import set_data_root  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_version_arg(parser)
    parser.add_argument('config', help='config file')
    add_data_root_arg(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_iters=100')
    return parser.parse_args(argv)


def resolved_config(args) -> Config:
    """The config with the command line applied in the tools' order."""
    apply_compat_fixes()  # resolves mmtrpn:: bases
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    print(f'Config:\n{resolved_config(args).pretty_text}')


if __name__ == '__main__':
    main()
