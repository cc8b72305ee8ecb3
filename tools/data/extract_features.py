"""Extract I3D RGB + TV-L1 flow snippet features from raw videos.

    python tools/data/extract_features.py VIDEO|DIR [...] --out DATA_ROOT \
        --rgb-ckpt rgb_imagenet.pt --flow-ckpt flow_imagenet.pt [--device cuda]

Writes DATA_ROOT/features/{rgb,flow}/<video>.npy (float32, (T, 1024)) and
adds each video to DATA_ROOT/annotations.json (subset, duration, no
annotations: fill in classes and segments to train or score on them).
Frames are resampled to 25 fps, resized to shorter side 256 and centre
cropped to 224; snippets are 16 frames, so snippet_duration = 16 / 25.

Resumable: videos already written are skipped (--overwrite redoes them);
every file is written atomically. A video that fails is reported and the
others are still extracted; the exit status is then 1.
"""
import argparse
import os
import os.path as osp
import sys

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))

from mmtrpn.apis.extraction import (add_extraction_args,  # noqa: E402
                                    extract_videos, extractor_from_args,
                                    list_videos)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n', 4)[4],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('inputs', nargs='+', metavar='VIDEO|DIR',
                        help='video files and/or folders of videos')
    parser.add_argument('--out', required=True, help='data root to write')
    parser.add_argument('--subset', default='test',
                        help='subset written in annotations.json (test)')
    parser.add_argument('--overwrite', action='store_true',
                        help='re-extract videos already written')
    add_extraction_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.utils import ProgressBar
    try:
        videos = list_videos(args.inputs)
        extractor = extractor_from_args(args)
    except (OSError, ValueError, ImportError) as e:
        raise SystemExit(f'error: {e}')
    print(f'{len(videos)} video(s) -> {args.out} (I3D on '
          f'{extractor.device})')
    bar = ProgressBar(len(videos))
    done, skipped, failures = extract_videos(
        videos, args.out, extractor, subset=args.subset,
        overwrite=args.overwrite, progress=lambda path, status: bar.update())
    print(f'\n{len(done)} extracted, {len(skipped)} skipped (already '
          f'written), {len(failures)} failed; snippet_duration = '
          f'{extractor.snippet_frames} / {extractor.fps:g}')
    if failures:
        print(f'{len(failures)} video(s) failed:', file=sys.stderr)
        for message in failures.values():
            print(f'  {message}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    sys.exit(main())
