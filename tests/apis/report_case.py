"""A small test run for the report tests: two videos, two classes, curves.

Class A in v1: TP (0.9), a double detection (0.8), then the second TP
(0.3); class B: one TP in v1 (0.95), v2's B missed. At tIoU 0.5:
AP_A = .5 + .5 * 2/3, AP_B = .5, mAP@0.5 = 66.67 %.
"""
import numpy as np

CLASSES = ['A', 'B']
GT = dict(
    classes=CLASSES, videos=['v1', 'v2'], durations=np.array([64.0, 32.0]),
    video_ids=np.array(['v1', 'v1', 'v1', 'v2']),
    segments=np.array([[10., 20.], [40., 50.], [30., 36.], [5., 25.]]),
    labels=np.array([0, 0, 1, 1]))
PRED = dict(
    video_ids=np.array(['v1', 'v1', 'v1', 'v1']),
    segments=np.array([[10., 20.], [10., 19.], [40., 50.], [30., 36.]]),
    labels=np.array([0, 0, 0, 1]),
    scores=np.array([0.9, 0.8, 0.3, 0.95]))
MAP_AT_05 = (0.5 + 0.5 * 2 / 3 + 0.5) / 2


def curves():
    """Per-video curves as a test run carries them (0.64 s snippets)."""
    out = {}
    for video, duration in zip(GT['videos'], GT['durations']):
        t = int(duration / 0.64)
        rng = np.random.default_rng(len(video) + t)
        out[video] = dict(
            video_name=video, duration=float(duration),
            snippet_duration=0.64,
            fg_curve=rng.random(t).astype(np.float32),
            cas=rng.random((t, 2)).astype(np.float32),
            proposal_mask=(rng.random(t) > 0.5).astype(np.float32),
            video_scores=np.array([0.9, 0.4], np.float32))
    return out
