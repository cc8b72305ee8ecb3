"""Synthetic snippet features with WSTAL's real difficulties.

Writes the canonical format (``annotations.json`` + ``features/{rgb,flow}``)
so that the whole toolbox can be trained and evaluated without real I3D
features. Each difficulty below can be switched off to measure what it
costs a method (see docs/data_preparation.md):

- ``weak_boundaries``: the class signal ramps in and out of each action and
  dips inside long ones, so only action cores are clearly discriminative.
- ``context``: background snippets near an action (and, weakly, the whole
  video) carry a class-correlated scene signal, mostly in RGB.
- ``modality_split``: a third of the classes shows mainly in flow, a third
  mainly in RGB; flow is near zero on static background.
- ``nuisance``: per-video feature offsets and gains, temporally correlated
  noise.
- ``distractors``: class-less motion bursts in the background (flow).

Timelines follow THUMOS-14 statistics (segment lengths, coverage, classes
per video) with shorter videos, or replay a real annotation layout.
"""
import dataclasses
import math
import os.path as osp
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from mmtrpn.structures.annotations import (load_annotation_json,
                                           normalize_layout)
from mmtrpn.structures.segments import DEFAULT_SNIPPET_DURATION
from mmtrpn.utils.fileio import (atomic_save_npy, atomic_write_json,
                                 atomic_write_text)
from .splits import format_name_list, heldout_split

HELDOUT_FILE = 'heldout.txt'


@dataclass
class SyntheticConfig:
    """Knobs of the generator; amplitudes are in units of the noise std."""
    seed: int = 0
    num_classes: int = 10
    dim: int = 64  # per modality
    num_train: int = 120
    num_test: int = 80
    train_subset: str = 'validation'  # THUMOS-14 trains on its val set
    test_subset: str = 'test'
    min_duration: float = 30.0
    max_duration: float = 200.0
    snippet_duration: float = DEFAULT_SNIPPET_DURATION
    # Timeline statistics (THUMOS-14: coverage 15-30 %, mean segment 4-5 s,
    # 1.17 classes per video).
    coverage: float = 0.22
    mean_segment: float = 4.5
    segment_sigma: float = 0.8
    second_class_prob: float = 0.17
    # Signal strengths.
    signal: float = 6.0
    actionness_rgb: float = 0.5
    actionness_flow: float = 1.5
    noise: float = 1.0
    flow_bg_noise: float = 0.3  # static background: flow near zero
    # Difficulty switches and their strengths.
    weak_boundaries: bool = True
    boundary_ramp: float = 0.25  # fraction of a segment ramping on each side
    edge_level: float = 0.15  # signal left at the very boundary
    dip_depth: float = 0.4
    context: bool = True
    context_strength: float = 0.5
    context_width: float = 5.0  # seconds, decay of context away from actions
    scene_strength: float = 0.15
    modality_split: bool = True
    weak_modality: float = 0.25
    nuisance: bool = True
    shift_std: float = 0.5
    gain_range: Tuple[float, float] = (0.7, 1.3)
    smooth_noise: float = 0.5  # share of noise variance that is AR(1)
    distractors: bool = True
    distractor_rate: float = 1 / 60  # bursts per second of video
    # THUMOS-like "Ambiguous" segments (test subset only).
    ambiguous: bool = False
    ambiguous_prob: float = 0.3
    # Held-out validation split of train_subset, written to heldout.txt
    # (mmtrpn.datasets.splits.heldout_split); 0 writes none.
    heldout_per_class: int = 2
    heldout_seed: int = 0


def _unit_rows(rng, n, d):
    x = rng.standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _blend(a, b, w):
    """Unit vectors with cosine ~w to ``a``."""
    x = w * a + math.sqrt(1 - w * w) * b
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


class _World:
    """Per-seed class prototypes shared by all videos."""

    def __init__(self, cfg: SyntheticConfig, num_classes: int):
        rng = np.random.default_rng([cfg.seed, 0])
        c, d = num_classes, cfg.dim
        self.mu_rgb = _unit_rows(rng, c, d)
        self.mu_flow = _unit_rows(rng, c, d)
        self.ctx_rgb = _blend(self.mu_rgb, _unit_rows(rng, c, d), 0.5)
        self.ctx_flow = _blend(self.mu_flow, _unit_rows(rng, c, d), 0.5)
        self.act_rgb = _unit_rows(rng, 1, d)[0]
        self.act_flow = _unit_rows(rng, 1, d)[0]
        # Which modality shows each class: cycle flow, rgb, both.
        kinds = ['flow', 'rgb', 'both']
        self.kind = [kinds[i % 3] if cfg.modality_split else 'both'
                     for i in range(c)]
        w = cfg.weak_modality
        self.s_rgb = np.array([w if k == 'flow' else 1.0 for k in self.kind])
        self.s_flow = np.array([w if k == 'rgb' else 1.0 for k in self.kind])


def sample_timeline(rng, duration: float, num_classes: int,
                    cfg: SyntheticConfig) -> List[Tuple[float, float, int]]:
    """THUMOS-like instances [(start, end, class)], sorted, no overlap."""
    n_cls = 2 if (num_classes > 1
                  and rng.random() < cfg.second_class_prob) else 1
    classes = rng.choice(num_classes, n_cls, replace=False)
    m = cfg.coverage
    coverage = float(np.clip(rng.beta(2.0, 2.0 * (1 - m) / m), 0.04, 0.6))
    # Log-normal lengths with mean ``mean_segment``; videos differ in scale.
    scale = math.exp(rng.normal(0.0, 0.4))
    median = cfg.mean_segment * math.exp(-cfg.segment_sigma**2 / 2) * scale
    n = max(1, int(rng.poisson(coverage * duration / (median * math.exp(
        cfg.segment_sigma**2 / 2)))))
    lengths = np.clip(
        rng.lognormal(math.log(median), cfg.segment_sigma, n), 0.4,
        0.5 * duration)
    if lengths.sum() > 0.6 * duration:
        lengths *= 0.6 * duration / lengths.sum()
    gaps = rng.dirichlet(np.ones(n + 1)) * (duration - lengths.sum())
    starts = np.cumsum(gaps[:-1]) + np.concatenate([[0], np.cumsum(
        lengths)[:-1]])
    labels = rng.choice(classes, n)
    labels[rng.permutation(n)[:len(classes)]] = classes[:n]
    return [(round(float(s), 2), round(float(s + ln), 2), int(c))
            for s, ln, c in zip(starts, lengths, labels)]


def _overlap_env(starts, ends, num, sd):
    """(T,) coverage fraction of each snippet by [start, end) and the
    relative position (0..1) of the covered part's middle."""
    t0 = np.arange(num) * sd
    t1 = t0 + sd
    lo = np.maximum(t0[None], starts[:, None])
    hi = np.minimum(t1[None], ends[:, None])
    frac = np.clip(hi - lo, 0, None) / sd
    mid = (lo + hi) / 2
    pos = (mid - starts[:, None]) / np.maximum(ends - starts, 1e-6)[:, None]
    return frac, np.clip(pos, 0, 1)


def _smooth_noise(rng, num, dim, rho=0.8):
    """AR(1) noise with unit marginal variance."""
    e = rng.standard_normal((num, dim))
    out = np.empty_like(e)
    out[0] = e[0]
    k = math.sqrt(1 - rho * rho)
    for t in range(1, num):
        out[t] = rho * out[t - 1] + k * e[t]
    return out


def render_video(rng, world: _World, cfg: SyntheticConfig, duration: float,
                 instances: List[Tuple[float, float, int]],
                 video_classes: List[int],
                 weak_instances: List[Tuple[float, float, int]] = ()
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Features (rgb, flow), each float32 (T, dim), for one timeline.

    ``weak_instances`` are rendered at half strength and are not ground
    truth (used for ambiguous segments).
    """
    sd = cfg.snippet_duration
    num = max(1, int(round(duration / sd)))
    d = cfg.dim
    c_all = world.mu_rgb.shape[0]
    allinst = list(instances) + list(weak_instances)
    strength = np.array([1.0] * len(instances) + [0.5] * len(weak_instances))
    cls_signal = np.zeros((num, c_all))
    action = np.zeros(num)
    context = np.zeros((num, c_all))
    if allinst:
        starts = np.array([s for s, _, _ in allinst], dtype=np.float64)
        ends = np.array([e for _, e, _ in allinst], dtype=np.float64)
        labels = np.array([c for _, _, c in allinst])
        frac, pos = _overlap_env(starts, ends, num, sd)
        if cfg.weak_boundaries:
            # Signal rises from edge_level at the boundary to 1 in the core.
            ramp = np.clip(np.minimum(pos, 1 - pos) / cfg.boundary_ramp, 0, 1)
            shape = cfg.edge_level + (1 - cfg.edge_level) * ramp
            # Smooth dips inside actions fragment long ones.
            dips = np.clip(_smooth_noise(rng, num, 1, 0.9)[:, 0], 0, None)
            shape = shape * (1 - cfg.dip_depth * np.clip(dips, 0, 1))[None]
        else:
            shape = np.ones_like(frac)
        env = frac * shape * strength[:, None]  # (K, T)
        np.add.at(cls_signal.T, labels, env)
        # Class-agnostic actionness fades less than the class signal.
        action = np.clip((frac * np.sqrt(shape) * strength[:, None]).sum(0),
                         0, 1)
        if cfg.context:
            centres = (np.arange(num) + 0.5) * sd
            dist = np.maximum(starts[:, None] - centres[None],
                              centres[None] - ends[:, None])
            near = np.where(dist > 0, np.exp(-dist / cfg.context_width),
                            0.0) * strength[:, None]
            for k, c in enumerate(labels):
                context[:, c] = np.maximum(context[:, c], near[k])
    if cfg.context and video_classes:
        # The venue of the video: a weak class-correlated scene everywhere.
        context[:, video_classes] = np.maximum(context[:, video_classes],
                                               cfg.scene_strength)
        context *= 1 - np.clip(cls_signal.sum(1, keepdims=True), 0, 1)
    a = cfg.signal
    cs = cfg.context_strength if cfg.context else 0.0
    rgb = (cls_signal * world.s_rgb) @ world.mu_rgb * a
    flow = (cls_signal * world.s_flow) @ world.mu_flow * a
    rgb += a * cs * context @ world.ctx_rgb
    flow += 0.3 * a * cs * context @ world.ctx_flow
    rgb += cfg.actionness_rgb * action[:, None] * world.act_rgb
    flow += cfg.actionness_flow * action[:, None] * world.act_flow

    moving = action.copy()
    if cfg.distractors:
        # Camera motion etc.: class-less flow bursts in the background.
        for _ in range(rng.poisson(cfg.distractor_rate * duration)):
            length = int(rng.integers(3, 10))
            t0 = int(rng.integers(0, max(1, num - length)))
            idle = 1 - np.clip(cls_signal[t0:t0 + length].sum(1), 0, 1)
            direction = _blend(world.act_flow, _unit_rows(rng, 1, d)[0], 0.5)
            flow[t0:t0 + length] += (cfg.actionness_flow * idle[:, None] *
                                     direction)
            moving[t0:t0 + length] = np.maximum(moving[t0:t0 + length], idle)

    noise_rgb = rng.standard_normal((num, d))
    noise_flow = rng.standard_normal((num, d))
    if cfg.nuisance:
        w = math.sqrt(cfg.smooth_noise)
        v = math.sqrt(1 - cfg.smooth_noise)
        noise_rgb = v * noise_rgb + w * _smooth_noise(rng, num, d)
        noise_flow = v * noise_flow + w * _smooth_noise(rng, num, d)
        rgb += cfg.shift_std * rng.standard_normal(d)
        flow += 0.3 * cfg.shift_std * rng.standard_normal(d)
        rgb *= rng.uniform(*cfg.gain_range)
        flow *= rng.uniform(*cfg.gain_range)
    # Flow is quiet where nothing moves.
    flow_noise_std = cfg.flow_bg_noise + (1 - cfg.flow_bg_noise) * moving
    rgb += cfg.noise * noise_rgb
    flow += cfg.noise * flow_noise_std[:, None] * noise_flow
    return rgb.astype(np.float32), flow.astype(np.float32)


def _synthetic_layout(cfg: SyntheticConfig):
    rng = np.random.default_rng([cfg.seed, 1])
    classes = [f'class_{i:02d}' for i in range(cfg.num_classes)]
    videos = []
    for subset, count in ((cfg.train_subset, cfg.num_train),
                          (cfg.test_subset, cfg.num_test)):
        for i in range(count):
            duration = float(
                np.exp(
                    rng.uniform(
                        math.log(cfg.min_duration),
                        math.log(cfg.max_duration))))
            duration = round(duration, 2)
            inst = sample_timeline(rng, duration, cfg.num_classes, cfg)
            videos.append(
                dict(
                    name=f'video_{subset}_{i:05d}',
                    subset=subset,
                    duration=duration,
                    instances=inst,
                    labels=None))
    return classes, videos


def _replay_layout(cfg: SyntheticConfig, layout_file: str,
                   max_videos: Optional[int], duration_scale: float):
    layout = normalize_layout(load_annotation_json(layout_file), layout_file)
    classes = layout['classes']
    index = {c: i for i, c in enumerate(classes)}
    names = sorted(layout['database'])
    if max_videos is not None and max_videos < len(names):
        # Keep the subsets' proportions.
        rng = np.random.default_rng([cfg.seed, 2])
        by_subset: Dict[str, List[str]] = {}
        for n in names:
            by_subset.setdefault(layout['database'][n]['subset'], []).append(n)
        keep = []
        for subset, group in sorted(by_subset.items()):
            k = max(1, round(max_videos * len(group) / len(names)))
            keep += list(rng.choice(group, min(k, len(group)), replace=False))
        names = sorted(keep)
    videos = []
    for name in names:
        v = layout['database'][name]
        inst = [(a['segment'][0] * duration_scale,
                 a['segment'][1] * duration_scale, index[a['label']])
                for a in v['annotations']]
        videos.append(
            dict(
                name=name,
                subset=v['subset'],
                duration=v['duration'] * duration_scale,
                instances=inst,
                labels=v.get('labels')))
    return classes, videos


def timeline_stats(database: dict) -> dict:
    """Summary of a canonical database, to compare with THUMOS-14."""
    counts, lengths, cover, ncls, durs = [], [], [], [], []
    for v in database.values():
        segs = [a['segment'] for a in v['annotations']]
        counts.append(len(segs))
        lengths += [e - s for s, e in segs]
        cover.append(sum(e - s for s, e in segs) / v['duration'])
        ncls.append(len(set(v.get('labels') or
                            [a['label'] for a in v['annotations']])))
        durs.append(v['duration'])
    return dict(
        videos=len(database),
        instances_mean=float(np.mean(counts)),
        instances_median=float(np.median(counts)),
        segment_mean_s=float(np.mean(lengths)) if lengths else 0.0,
        coverage_mean=float(np.mean(cover)),
        classes_per_video=float(np.mean(ncls)),
        duration_min_s=float(np.min(durs)),
        duration_mean_s=float(np.mean(durs)),
        duration_max_s=float(np.max(durs)))


def generate_synthetic(out_dir: str,
                       cfg: Optional[SyntheticConfig] = None,
                       layout_file: Optional[str] = None,
                       max_videos: Optional[int] = None,
                       duration_scale: float = 1.0) -> dict:
    """Write a synthetic dataset in the canonical format to ``out_dir``.

    Args:
        out_dir: Dataset root to create.
        cfg: Generator settings; defaults to ``SyntheticConfig()``.
        layout_file: Replay the videos, durations, segments and classes of
            this annotation file (canonical or ActivityNet-style JSON).
        max_videos: With a layout, keep this many videos (subsets keep their
            proportions).
        duration_scale: With a layout, multiply durations and segments.

    Besides the data, writes ``heldout.txt``: a class-balanced held-out
    split of ``cfg.train_subset`` (``cfg.heldout_per_class`` videos per
    primary label), which the configs validate on and train without. For
    a layout whose training subset has another name (ActivityNet's
    ``training``) set ``cfg.train_subset`` to it.

    Returns:
        dict: timeline statistics, the output paths and the time taken.
    """
    cfg = cfg or SyntheticConfig()
    tic = time.time()
    if layout_file:
        classes, videos = _replay_layout(cfg, layout_file, max_videos,
                                         duration_scale)
    else:
        classes, videos = _synthetic_layout(cfg)
    world = _World(cfg, len(classes))
    database, ambiguous_lines = {}, []
    for i, v in enumerate(videos):
        rng = np.random.default_rng([cfg.seed, 3, i])
        insts = v['instances']
        if v['labels'] is not None:
            vid_cls = sorted({classes.index(c) for c in v['labels']})
        else:
            vid_cls = sorted({c for _, _, c in insts})
        weak = []
        if cfg.ambiguous and v['subset'] == cfg.test_subset and vid_cls \
                and rng.random() < cfg.ambiguous_prob:
            weak = _ambiguous_segments(rng, v['duration'], insts, vid_cls)
            ambiguous_lines += [f'{v["name"]}  {s:.1f} {e:.1f}'
                                for s, e, _ in weak]
        rgb, flow = render_video(rng, world, cfg, v['duration'], insts,
                                 vid_cls, weak)
        atomic_save_npy(osp.join(out_dir, 'features', 'rgb', v['name'] +
                                 '.npy'), rgb)
        atomic_save_npy(osp.join(out_dir, 'features', 'flow', v['name'] +
                                 '.npy'), flow)
        entry = dict(
            subset=v['subset'],
            duration=round(v['duration'], 3),
            annotations=[
                dict(label=classes[c], segment=[round(s, 3), round(e, 3)])
                for s, e, c in insts
            ])
        if v['labels'] is not None:
            entry['labels'] = list(v['labels'])
        database[v['name']] = entry
    stats = timeline_stats(database)
    info = dict(
        generator='mmtrpn.datasets.synthetic',
        config=dataclasses.asdict(cfg),
        layout=osp.basename(layout_file) if layout_file else None,
        max_videos=max_videos,
        duration_scale=duration_scale,
        class_modality=dict(zip(classes, world.kind)),
        stats=stats)
    ann = osp.join(out_dir, 'annotations.json')
    atomic_write_json(ann, dict(classes=list(classes), database=database,
                                info=info), indent=1)
    result = dict(stats=stats, ann_file=ann)
    if cfg.heldout_per_class:
        names = heldout_split(database, classes, cfg.train_subset,
                              per_class=cfg.heldout_per_class,
                              seed=cfg.heldout_seed)
        result['heldout_file'] = osp.join(out_dir, HELDOUT_FILE)
        atomic_write_text(result['heldout_file'], format_name_list(
            names, [f'Held-out validation split: {len(names)} of the '
                    f'"{cfg.train_subset}" videos, {cfg.heldout_per_class} '
                    f'per primary label, seed {cfg.heldout_seed}.']))
    result['seconds'] = time.time() - tic
    if cfg.ambiguous:
        amb = osp.join(out_dir, 'Ambiguous_test.txt')
        atomic_write_text(amb, ''.join(line + '\n'
                                       for line in ambiguous_lines))
        result['ambiguous_file'] = amb
    return result


def _ambiguous_segments(rng, duration, insts, vid_cls):
    """One or two weak action-like stretches in gaps between instances."""
    bounds = [0.0] + [x for s, e, _ in insts for x in (s, e)] + [duration]
    gaps = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)
            if bounds[i + 1] - bounds[i] > 6.0]
    out = []
    for j in rng.permutation(len(gaps))[:int(rng.integers(1, 3))]:
        lo, hi = gaps[j]
        length = float(rng.uniform(1.0, 3.0))
        start = float(rng.uniform(lo + 1.0, hi - 1.0 - length))
        out.append((round(start, 1), round(start + length, 1),
                    int(rng.choice(vid_cls))))
    return out
