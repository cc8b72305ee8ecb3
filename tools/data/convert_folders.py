"""Convert per-video feature folders to the canonical format.

BaS-Net / CoLA layout: ``--rgb DIR [DIR ...] --flow DIR [DIR ...]`` with one
``<video>.npy`` (T, D) per modality. ActionFormer / OpenTAD layout:
``--joint DIR [DIR ...]`` with one (T, 2 * D) file per video, RGB first.
Inputs are read without pickles.

Both modalities in one folder as ``<video>_rgb.npy`` / ``<video>_flow.npy``:
``--rgb DIR --flow DIR --rgb-suffix _rgb.npy --flow-suffix _flow.npy``.
When no video is found, the tool fails naming the files it looked for.

Example::

    python tools/data/convert_folders.py \
        --rgb features/train/rgb features/test/rgb \
        --flow features/train/flow features/test/flow \
        --annotations thumos14.json --out data/thumos14
"""
import argparse

from mmtrpn.datasets.converters import convert_folders, describe


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--rgb', nargs='+', default=[], help='RGB folder(s)')
    p.add_argument('--flow', nargs='+', default=[], help='flow folder(s)')
    p.add_argument('--joint', nargs='+', default=[],
                   help='folder(s) of joint RGB+flow files')
    p.add_argument('--annotations', required=True,
                   help='ActivityNet-style (thumos14.json) or canonical JSON')
    p.add_argument('--out', required=True, help='dataset root to write')
    p.add_argument('--split-dim', type=int,
                   help='with --joint: RGB width (default: half)')
    p.add_argument('--suffix', default='.npy',
                   help='file name after the video name')
    p.add_argument('--rgb-suffix',
                   help='RGB file name after the video name (default: '
                   '--suffix), e.g. _rgb.npy')
    p.add_argument('--flow-suffix',
                   help='flow file name after the video name (default: '
                   '--suffix), e.g. _flow.npy')
    p.add_argument('--subsets', nargs='+', help='keep only these subsets')
    p.add_argument('--skip-existing', action='store_true',
                   help='resume: keep feature files already written')
    args = p.parse_args()
    try:
        info = _convert(args)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}')
    print()
    for line in describe(info):
        print(line)


def _convert(args):
    return convert_folders(
        args.annotations,
        args.out,
        rgb_dirs=args.rgb,
        flow_dirs=args.flow,
        joint_dirs=args.joint,
        split_dim=args.split_dim,
        suffix=args.suffix,
        rgb_suffix=args.rgb_suffix,
        flow_suffix=args.flow_suffix,
        subsets=args.subsets,
        skip_existing=args.skip_existing)


if __name__ == '__main__':
    main()
