"""Time WSTALPostProcessor against the plain-loop reference on THUMOS-sized
videos, checking that both give the same detections.

Durations, segment positions and classes replay the THUMOS-14 test split of
the committed layout ``benchmarks/data/thumos14_layout.json`` (or
``--annotations``) when it exists; otherwise 212 durations are drawn around the split's 217 s mean with no
ground truth layout. Curves are generated: a smooth noisy foreground curve
raised inside the ground-truth segments, and per-class scores raised inside
that class's segments.

    python benchmarks/bench_postprocess.py [--nms soft|hard|none] \
        [--out-json docs/results/bench_postprocess_soft.json]
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmtrpn.models.postprocessors import WSTALPostProcessor  # noqa: E402
from mmtrpn.structures.segments import DEFAULT_SNIPPET_DURATION  # noqa: E402
from mmtrpn.testing import reference_postprocess  # noqa: E402

SNIPPET_DURATION = DEFAULT_SNIPPET_DURATION
NUM_CLASSES = 20
DEFAULT_ANNOTATIONS = Path(__file__).resolve().parent / 'data' / \
    'thumos14_layout.json'


def load_layouts(path, num_videos, rng):
    """[(duration, [(start, end, class_index), ...])] per video."""
    if path is not None and Path(path).is_file():
        database = json.loads(Path(path).read_text())['database']
        test = {k: v for k, v in sorted(database.items())
                if v['subset'].lower() == 'test'}
        classes = sorted({a['label'] for v in test.values()
                          for a in v['annotations']})
        index = {name: i for i, name in enumerate(classes)}
        layouts = [(v['duration'], [(a['segment'][0], a['segment'][1],
                                     index[a['label']])
                                    for a in v['annotations']])
                   for v in test.values()]
        return layouts[:num_videos], 'THUMOS-14 test annotations'
    durations = rng.gamma(2.0, 217 / 2.0, size=num_videos).clip(15, 1700)
    return [(d, []) for d in durations], 'drawn durations (mean 217 s)'


def smooth(x, width):
    kernel = np.ones(width) / width
    return np.apply_along_axis(np.convolve, 0, x, kernel, 'same')


def make_video(duration, segments, rng):
    num = max(1, int(duration / SNIPPET_DURATION))
    gt = np.zeros((num, NUM_CLASSES))
    for start, end, label in segments:
        s = int(start / SNIPPET_DURATION)
        e = max(s + 1, int(np.ceil(end / SNIPPET_DURATION)))
        gt[s:e, label] = 1
    fg_gt = gt.max(axis=1)
    fg = 0.15 + 0.6 * smooth(fg_gt, 5) + 0.5 * (smooth(rng.random(num), 7)
                                                 - 0.5)
    cas = 0.25 * smooth(rng.random((num, NUM_CLASSES)), 5) + \
        0.6 * smooth(gt, 5)
    k = max(1, num // 8)
    video_scores = np.sort(cas, axis=0)[-k:].mean(axis=0)
    return cas.clip(0, 1), video_scores, fg.clip(0, 1), duration


def run_all(fn, videos):
    return [fn(*v[:3], SNIPPET_DURATION, v[3]) for v in videos]


def best_of(repeats, fn, videos):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = run_all(fn, videos)
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--annotations', default=str(DEFAULT_ANNOTATIONS))
    parser.add_argument('--videos', type=int, default=212)
    parser.add_argument('--nms', default='soft', choices=['soft', 'hard',
                                                          'none'])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--no-dedup', action='store_true')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out-json', help='also write the results here')
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    layouts, source = load_layouts(args.annotations, args.videos, rng)
    videos = [make_video(d, segs, rng) for d, segs in layouts]
    options = dict(nms=None if args.nms == 'none' else args.nms,
                   deduplicate=not args.no_dedup)
    post = WSTALPostProcessor(**options)

    def reference(*a):
        return reference_postprocess(*a, **options)

    fast_s, fast = best_of(args.repeats, post, videos)
    ref_s, ref = best_of(args.repeats, reference, videos)

    max_abs = 0.0
    for got, want in zip(fast, ref):
        assert np.array_equal(got['segments'], want['segments'])
        assert np.array_equal(got['labels'], want['labels'])
        assert got['scores'].shape == want['scores'].shape
        if got['scores'].size:
            max_abs = max(max_abs,
                          float(np.abs(got['scores'] - want['scores']).max()))
    assert max_abs < 1e-9, max_abs

    snippets = np.array([v[0].shape[0] for v in videos])
    uncapped = WSTALPostProcessor(max_per_video=None, **options)
    counts = np.array([len(uncapped(*v[:3], SNIPPET_DURATION, v[3])['scores'])
                       for v in videos])
    print(f'videos: {len(videos)} ({source}), C={NUM_CLASSES}, '
          f'T mean {snippets.mean():.0f} (min {snippets.min()}, '
          f'max {snippets.max()}), nms={args.nms}, '
          f'dedup={not args.no_dedup}')
    print(f'detections before the cap of {post.max_per_video}: mean '
          f'{counts.mean():.0f}, max {counts.max()}, capped in '
          f'{(counts > post.max_per_video).sum()} videos')
    print(f'vectorised: {fast_s:.3f} s ({1e3 * fast_s / len(videos):.2f} ms '
          f'per video), best of {args.repeats}')
    print(f'reference loop: {ref_s:.3f} s ({1e3 * ref_s / len(videos):.2f} '
          f'ms per video), best of {args.repeats}')
    print(f'speed-up: {ref_s / fast_s:.1f}x; outputs identical (segments, '
          f'labels exact; scores max abs diff {max_abs:.1e})')
    if args.out_json:
        from mmtrpn.utils.fileio import atomic_write_json
        atomic_write_json(args.out_json, dict(
            command=' '.join(['python', 'benchmarks/bench_postprocess.py'] +
                             sys.argv[1:]),
            source=source, videos=len(videos), classes=NUM_CLASSES,
            snippets_mean=float(snippets.mean()),
            snippets_min=int(snippets.min()),
            snippets_max=int(snippets.max()), nms=args.nms,
            dedup=not args.no_dedup, repeats=args.repeats,
            vectorised_s=fast_s, reference_s=ref_s, speedup=ref_s / fast_s,
            scores_max_abs_diff=max_abs), indent=1)


if __name__ == '__main__':
    main()
