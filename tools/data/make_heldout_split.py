"""Write a class-balanced held-out validation split of the training videos.

Picks, per primary label (the video's least common label; see
``mmtrpn.datasets.splits``), ``--per-class`` videos or a ``--fraction`` of
them at random with ``--seed``, from the videos of ``--subset``, and writes
their names one per line (with a ``#`` header that records the rule).
Configs read the list with ``include_videos`` (validation) and
``exclude_videos`` (training).

Examples (the committed lists)::

    python tools/data/make_heldout_split.py thumos14.json \
        --subset validation --per-class 2 --seed 0 \
        --out configs/_base_/datasets/splits/thumos14_heldout.txt
    python tools/data/make_heldout_split.py ANET_WTALC_ANNOTATION_DIR \
        --subset training --fraction 0.1 --seed 0 \
        --out configs/_base_/datasets/splits/anet12_heldout.txt

The source is a canonical or ActivityNet-style annotation JSON, or a
W-TALC annotation folder (``videoname.npy``, ...; read with pickles, trusted
public files only).
"""
import argparse
import os.path as osp
from collections import Counter

from mmtrpn.datasets.converters import load_annotation_source
from mmtrpn.datasets.splits import (format_name_list, heldout_split,
                                    primary_labels)
from mmtrpn.utils.fileio import atomic_write_text


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('source', help='annotation JSON or W-TALC folder')
    p.add_argument('--out', required=True, help='name list to write')
    p.add_argument('--subset', default='validation',
                   help='the training subset to carve from')
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument('--per-class', type=int)
    size.add_argument('--fraction', type=float)
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    ann = load_annotation_source(args.source)
    names = heldout_split(ann['database'], ann['classes'], args.subset,
                          per_class=args.per_class, fraction=args.fraction,
                          seed=args.seed)
    pool_videos = {n: v for n, v in ann['database'].items()
                   if v['subset'] == args.subset}
    primary = primary_labels(pool_videos, ann['classes'])
    per_class = Counter(primary[n] for n in names)
    source = osp.basename(osp.normpath(args.source))
    size = (f'--per-class {args.per_class}' if args.per_class is not None
            else f'--fraction {args.fraction:g}')
    header = [
        f'Held-out validation split: {len(names)} of the {len(pool_videos)} '
        f'"{args.subset}" videos of {source}, {len(ann["classes"])} classes.',
        f'Rule: {size} per primary label (the video\'s least common segment '
        f'label), seed {args.seed}; mmtrpn.datasets.splits.heldout_split.',
        f'Written by: python tools/data/make_heldout_split.py {source} '
        f'--subset {args.subset} {size} --seed {args.seed}',
    ]
    atomic_write_text(args.out, format_name_list(names, header))
    print(f'Wrote {len(names)} of {len(pool_videos)} {args.subset!r} videos '
          f'to {args.out}; per class: min {min(per_class.values())}, max '
          f'{max(per_class.values())} ({len(per_class)} classes).')
    return names


if __name__ == '__main__':
    main()
