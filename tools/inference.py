"""Localize actions with a trained model, without a dataset config.

    python tools/inference.py CONFIG CHECKPOINT INPUT --out results.json \
        [--vis DIR] [--data-root DIR] [--ann-file F] [--device cpu]
    python tools/inference.py CONFIG CHECKPOINT --video clip.mp4 [...] \
        --rgb-ckpt RGB.pt --flow-ckpt FLOW.pt --out results.json [--vis DIR]

CHECKPOINT may be a training work dir: its best_*.pth, as tools/test.py.

INPUT is one of
  RGB.npy,FLOW.npy   one video's feature pair, comma-separated (no spaces);
                     the video is named after the RGB file stem
  NAME               a video of the data root (--data-root, default the
                     config's): <root>/features/{rgb,flow}/NAME.npy
  FOLDER             every video of a data root (features/rgb + features/flow)
                     or of a folder holding rgb/ and flow/ <video>.npy files

--video VIDEO [...] (instead of INPUT) extracts I3D RGB + TV-L1 flow features
of raw video files first (see tools/data/extract_features.py for the options),
into --feature-dir when given (kept, and reused on a rerun), else into a
temporary folder, printing progress inside each video. Both I3D streams are
needed (docs/data_preparation.md says where the checkpoints come from); a
video that cannot be read is named and skipped, the others are localized,
and the exit status is then 1.

Writes the detections as an ActivityNet results JSON (score it with
tools/eval_results.py). Ground truth is taken from --ann-file, or else from
<data root>/annotations.json when present; it only feeds the figures
(--vis: one PNG per video) and the video durations.
"""
import argparse
import os
import os.path as osp
import sys

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmtrpn.apis import (cached_annotations, find_videos,  # noqa: E402
                         inference_localizer, init_localizer)
from mmtrpn.apis.extraction import add_extraction_args  # noqa: E402
from mmtrpn.structures.annotations import write_results_file  # noqa: E402
from mmtrpn.utils.checkpoint_choice import choose_checkpoint  # noqa: E402
from mmtrpn.utils.cli import add_common_args  # noqa: E402
from mmtrpn.utils.work_dir_lock import \
    refuse_writes_into_live_training  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n', 4)[4],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file, or a training work dir (its best_*.pth, as '
        'tools/test.py takes)')
    parser.add_argument(
        'input', nargs='?',
        help='RGB.npy,FLOW.npy | video name | folder (see below)')
    parser.add_argument(
        '--video', nargs='+', metavar='VIDEO',
        help='raw video file(s): extract features, then localize')
    parser.add_argument(
        '--feature-dir',
        help='with --video: data root to keep the extracted features in')
    parser.add_argument(
        '--out', required=True, help='results JSON to write')
    parser.add_argument('--vis', metavar='DIR', help='write figures here')
    parser.add_argument(
        '--data-root', help='dataset root (default: the config\'s)')
    parser.add_argument(
        '--ann-file', help='annotation JSON with ground truth (optional)')
    parser.add_argument(
        '--subset',
        help='with a folder INPUT and annotations: only videos of this '
        'subset (e.g. test)')
    parser.add_argument('--device', default='cpu')
    add_common_args(parser, launcher=False)
    add_extraction_args(parser, device_option='--extract-device')
    args = parser.parse_args(argv)
    if (args.input is None) == (args.video is None):
        parser.error('give either INPUT or --video')
    if args.video:
        from mmtrpn.apis.extraction import missing_stream_message
        message = missing_stream_message(args.rgb_ckpt, args.flow_ckpt)
        if message:
            parser.error(message)
    return args


def resolve_input(text, data_root, data_prefix):
    """(list of videos for inference_localizer, data root or None)."""
    if ',' in text:
        parts = [p for p in text.split(',')]
        if len(parts) != 2 or not all(parts):
            raise SystemExit(f'error: expected RGB.npy,FLOW.npy, got {text!r}')
        for p in parts:
            if not osp.isfile(p):
                raise SystemExit(f'error: feature file not found: {p}')
        return [tuple(parts)], None
    if osp.isdir(text):
        return find_videos(text, data_prefix), text
    if text.endswith('.npy'):
        raise SystemExit(
            f'error: {text} is a single file; give the pair as '
            'RGB.npy,FLOW.npy')
    if not data_root or not osp.isdir(data_root):
        raise SystemExit(
            f'error: {text!r} is neither a file pair nor a folder, and the '
            f'data root {data_root!r} to look it up in does not exist '
            '(--data-root)')
    return [text], data_root


def _name(video):
    return video['video_name'] if isinstance(video, dict) else video


def main(argv=None) -> int:
    args = parse_args(argv)
    refuse_writes_into_live_training(
        [args.out, args.vis, getattr(args, 'feature_dir', None)],
        'tools/inference.py')
    from mmtrpn.apis.inference import _test_dataset_cfg

    checkpoint = args.checkpoint
    try:
        if osp.isdir(checkpoint):
            checkpoint, why = choose_checkpoint(checkpoint)
            print(f'Using {checkpoint} ({why})', flush=True)
        model = init_localizer(
            args.config,
            checkpoint,
            device=args.device,
            cfg_options=args.cfg_options,
            trust_checkpoint=args.trust_checkpoint)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    if args.video:
        return _main_videos(args, model)
    ds_cfg = _test_dataset_cfg(model.cfg)
    data_root = args.data_root if args.data_root is not None else \
        ds_cfg.get('data_root')
    try:
        videos, root = resolve_input(args.input, data_root,
                                     ds_cfg.get('data_prefix'))
    except FileNotFoundError as e:
        raise SystemExit(f'error: {e}')
    ann_file = args.ann_file
    if ann_file is None and root is not None:
        guess = osp.join(root, ds_cfg.get('ann_file', 'annotations.json'))
        ann_file = guess if osp.isfile(guess) else None
    if ann_file is not None and not osp.isfile(ann_file):
        raise SystemExit(f'error: annotation file not found: {ann_file}')

    if args.subset is not None:
        if ann_file is None:
            raise SystemExit('error: --subset needs annotations (--ann-file)')
        annotated = cached_annotations(
            ann_file, model.dataset_meta['classes']).videos
        want = args.subset.lower()
        videos = [
            v for v in videos if _name(v) in annotated
            and annotated[_name(v)].subset.lower() == want
        ]
        if not videos:
            raise SystemExit(f'error: no video of subset {args.subset!r} '
                             f'in {args.input}')

    return _localize(args, model, videos, root, ann_file)


def _main_videos(args, model) -> int:
    """--video: extract features into --feature-dir or a temporary folder,
    then localize as for feature files."""
    import tempfile

    from mmtrpn.apis.extraction import (extractor_from_args,
                                        progress_printer_factory)
    from mmtrpn.apis.video_inference import (check_snippet_duration,
                                             videos_to_inputs)
    try:
        extractor = extractor_from_args(args)
    except (OSError, ValueError, ImportError) as e:
        raise SystemExit(f'error: {e}')
    check_snippet_duration(model, extractor)
    with tempfile.TemporaryDirectory(prefix='mmtrpn_feats_') as tmp:
        try:
            videos, failures = videos_to_inputs(
                args.video, extractor, args.feature_dir or tmp,
                video_progress=progress_printer_factory(
                    args.progress_interval, fps=extractor.fps))
        except (OSError, ValueError) as e:
            raise SystemExit(f'error: {e}')
        if not videos:
            raise SystemExit('error: no video could be extracted: '
                             + '; '.join(failures.values()))
        for message in failures.values():
            print(f'skipped: {message}', file=sys.stderr)
        status = _localize(args, model, videos, None, args.ann_file)
    if failures:
        print(f'{len(failures)} of {len(args.video)} video(s) skipped '
              '(listed above); exit status 1', file=sys.stderr)
    return 1 if failures else status


def _localize(args, model, videos, root, ann_file) -> int:
    from mmengine.utils import track_iter_progress

    from mmtrpn.visualization import plot_detection
    classes = model.dataset_meta['classes']
    results = {}
    iterator = track_iter_progress(videos) if len(videos) > 1 else videos
    for video in iterator:
        try:
            res = inference_localizer(
                model, video, data_root=root, ann_file=ann_file)
        except (FileNotFoundError, ValueError) as e:
            raise SystemExit(f'error: {e}')
        name = res['video_name']
        if name in results:
            raise SystemExit(f'error: video {name!r} given twice')
        results[name] = res['detections']
        if args.vis:
            plot_detection(res['data_sample'], classes,
                           osp.join(args.vis, f'{name}.png'))
    write_results_file(args.out, results)
    num = sum(len(v) for v in results.values())
    print(f'{num} detections in {len(results)} video(s) written to '
          f'{args.out}' + (f'; figures in {args.vis}' if args.vis else ''))
    return 0


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    sys.exit(main())
