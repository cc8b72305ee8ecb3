"""Extract I3D RGB + TV-L1 flow snippet features from raw videos.

    python tools/data/extract_features.py VIDEO|DIR [...] --out DATA_ROOT \
        --rgb-ckpt rgb_imagenet.pt --flow-ckpt flow_imagenet.pt [--device cuda]

Writes DATA_ROOT/features/{rgb,flow}/<video>.npy (float32, (T, 1024)) and
adds each video to DATA_ROOT/annotations.json (subset, duration, no
annotations: fill in classes and segments to train or score on them).
Frames are resampled to 25 fps, resized to shorter side 256 and centre
cropped to 224; snippets are 16 frames, so snippet_duration = 16 / 25.

Progress inside each video (frames decoded, flow pairs, snippets embedded,
rates and time left) is printed to stderr every --progress-interval seconds.
--flow-backend torch computes the same TV-L1 in torch (on --flow-device,
default the I3D device): use it on a GPU.

Resumable: videos already written are skipped (--overwrite redoes them);
every file is written atomically. A video that fails (unreadable, corrupt)
is reported by name and the others are still extracted; the exit status is
then 1.
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
                                    list_videos, missing_stream_message,
                                    progress_printer_factory)


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
    args = parser.parse_args(argv)
    message = missing_stream_message(args.rgb_ckpt, args.flow_ckpt)
    if message:
        parser.error(message)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        videos = list_videos(args.inputs)
        extractor = extractor_from_args(args)
    except (OSError, ValueError, ImportError) as e:
        raise SystemExit(f'error: {e}')
    print(f'{len(videos)} video(s) -> {args.out} (I3D on '
          f'{extractor.device}, {extractor.flow.backend} TV-L1 flow)')
    finished = []

    def report(path, status):
        finished.append(path)
        print(f'[{len(finished)}/{len(videos)}] {path}: {status}',
              flush=True)

    done, skipped, failures = extract_videos(
        videos, args.out, extractor, subset=args.subset,
        overwrite=args.overwrite, progress=report,
        video_progress=progress_printer_factory(args.progress_interval,
                                                fps=extractor.fps))
    print(f'{len(done)} extracted, {len(skipped)} skipped (already '
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
