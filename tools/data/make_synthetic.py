"""Generate a synthetic WSTAL dataset in the canonical format.

Example::

    python tools/data/make_synthetic.py --out data/synthetic --seed 0
    python tools/data/make_synthetic.py --out data/synth_thumos \
        --layout benchmarks/data/thumos14_layout.json --max-videos 100 \
        --duration-scale 0.5

See docs/data_preparation.md for what each difficulty switch does.
"""
import argparse
import dataclasses
import json
import sys

from mmtrpn.structures.annotations import read_video_list
from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
from mmtrpn.utils.fileio import atomic_write_json

SWITCHES = ('weak_boundaries', 'context', 'modality_split', 'nuisance',
            'distractors')


def parse_args():
    d = SyntheticConfig()
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, help='dataset root to write')
    p.add_argument('--seed', type=int, default=d.seed)
    p.add_argument('--layout', help='replay the videos and segments of this '
                   'annotation file (canonical or ActivityNet-style JSON)')
    p.add_argument('--max-videos', type=int, help='with --layout: subsample')
    p.add_argument('--duration-scale', type=float, default=1.0,
                   help='with --layout: scale durations and segments')
    p.add_argument('--num-classes', type=int, default=d.num_classes)
    p.add_argument('--dim', type=int, default=d.dim,
                   help='feature width per modality')
    p.add_argument('--num-train', type=int, default=d.num_train)
    p.add_argument('--num-test', type=int, default=d.num_test)
    p.add_argument('--min-duration', type=float, default=d.min_duration)
    p.add_argument('--max-duration', type=float, default=d.max_duration)
    p.add_argument('--snippet-duration', type=float,
                   default=d.snippet_duration)
    p.add_argument('--signal', type=float, default=d.signal,
                   help='class-signal amplitude in action cores (noise=1)')
    p.add_argument('--noise', type=float, default=d.noise)
    p.add_argument('--ambiguous', action='store_true',
                   help='also write Ambiguous_test.txt with weak, '
                   'unlabelled action-like segments in test videos')
    p.add_argument('--heldout-per-class', type=int,
                   default=d.heldout_per_class,
                   help='videos per class in the held-out validation split '
                   'written to heldout.txt (0: none)')
    for name in SWITCHES:
        p.add_argument(f'--no-{name.replace("_", "-")}', action='store_true',
                       help=f'switch off the "{name}" difficulty')
    p.add_argument('--easy', action='store_true',
                   help='switch off every difficulty')
    p.add_argument('--stats-out', help='also write the timeline statistics '
                   'and this command as JSON here')
    return p.parse_args()


def main():
    args = parse_args()
    cfg = SyntheticConfig(
        seed=args.seed,
        num_classes=args.num_classes,
        dim=args.dim,
        num_train=args.num_train,
        num_test=args.num_test,
        min_duration=args.min_duration,
        max_duration=args.max_duration,
        snippet_duration=args.snippet_duration,
        signal=args.signal,
        noise=args.noise,
        ambiguous=args.ambiguous,
        heldout_per_class=args.heldout_per_class)
    off = {n: False for n in SWITCHES
           if args.easy or getattr(args, f'no_{n}')}
    cfg = dataclasses.replace(cfg, **off)
    result = generate_synthetic(
        args.out,
        cfg,
        layout_file=args.layout,
        max_videos=args.max_videos,
        duration_scale=args.duration_scale)
    print(f'Wrote {result["ann_file"]} in {result["seconds"]:.1f} s')
    if 'heldout_file' in result:
        print(f'Held-out validation split: {result["heldout_file"]}')
    print(json.dumps(result['stats'], indent=1))
    if args.stats_out:
        atomic_write_json(args.stats_out, dict(
            command=' '.join(['python', 'tools/data/make_synthetic.py'] +
                             sys.argv[1:]),
            stats=result['stats'],
            heldout_videos=len(read_video_list(result['heldout_file']))
            if 'heldout_file' in result else 0), indent=1)


if __name__ == '__main__':
    main()
