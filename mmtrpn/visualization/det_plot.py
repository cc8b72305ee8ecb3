"""One figure per video: curves, ground truth, T-RPN proposals, detections.

Rows share a time axis in seconds and each has its own axes, so labels of
one row never run into another row:

1. foreground curve and the T-CAS of the top-scoring class,
2. ground truth (green), one row per class present,
3. T-RPN proposals (runs of ``proposal_mask``, dashed blue),
4. detections, one row per kept class (top ``top_k`` by score), with score
   text; overlapping boxes (or their text) go to separate lanes.

matplotlib is imported on first use with the Agg backend, so importing this
module (and registering the hook) stays cheap and works without a display.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmtrpn.models.postprocessors.wstal_postprocessor import find_runs
from mmtrpn.utils.fileio import atomic_write_bytes

_KEYS_2D = ('gt_segments', 'pred_segments')
_KEYS = ('gt_segments', 'gt_labels', 'pred_segments', 'pred_labels',
         'pred_scores', 'video_scores', 'fg_curve', 'cas', 'proposal_mask')

GT_COLOR = '#2ca02c'
PROPOSAL_COLOR = '#1f77b4'
FG_COLOR = '#444444'
CAS_COLOR = '#d62728'
# Detection colours avoid the GT green and the proposal blue.
DET_COLORS = ('#d62728', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
              '#bcbd22', '#17becf', '#7f7f7f')


def _numpy(value):
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def sample_to_dict(sample) -> Dict:
    """Plain dict of numpy arrays from a predicted data sample (or dict)."""
    if not isinstance(sample, dict):
        sample = sample.to_dict()
    out = {k: v for k, v in sample.items() if k not in _KEYS}
    for key in _KEYS:
        if key in sample and sample[key] is not None:
            arr = _numpy(sample[key])
            out[key] = arr.reshape(-1, 2) if key in _KEYS_2D else arr
    return out


def mask_runs(mask: np.ndarray) -> np.ndarray:
    """(R, 2) [first, last + 1] snippet indices of runs of ``mask > 0.5``."""
    starts, ends = find_runs(
        np.asarray(mask, dtype=np.float64).reshape(-1), np.array([0.5]))
    return np.stack([starts, ends], axis=1)


def assign_lanes(starts, ends) -> np.ndarray:
    """Greedy interval partitioning: a lane per interval, none overlap."""
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    lanes = np.zeros(len(starts), dtype=np.int64)
    lane_end: List[float] = []
    for i in np.argsort(starts, kind='stable'):
        for lane, last in enumerate(lane_end):
            if starts[i] >= last:
                lanes[i], lane_end[lane] = lane, ends[i]
                break
        else:
            lanes[i] = len(lane_end)
            lane_end.append(ends[i])
    return lanes


def _class_name(classes, c) -> str:
    c = int(c)
    return str(classes[c]) if classes is not None and c < len(classes) \
        else f'class {c}'


def select_detections(pred_segments, pred_labels, pred_scores,
                      top_k: int = 5, max_classes: int = 4,
                      must_keep: Sequence[int] = (),
                      class_scores=None) -> List[tuple]:
    """[(class, indices of its top-k detections by score)].

    Classes are ordered by ``class_scores`` (video-level scores) when given,
    else by their best detection; classes in ``must_keep`` (e.g. the
    ground-truth classes) are shown whenever they have detections.
    """
    labels = np.asarray(pred_labels).reshape(-1)
    scores = np.asarray(pred_scores, dtype=float).reshape(-1)
    best = {}
    for c in np.unique(labels):
        c = int(c)
        if class_scores is not None and c < len(class_scores):
            best[c] = float(class_scores[c])
        else:
            best[c] = float(scores[labels == c].max())
    order = sorted(best, key=lambda c: -best[c])
    forced = [c for c in order if c in set(int(x) for x in must_keep)]
    rest = [c for c in order if c not in forced]
    chosen = forced + rest[:max(0, max_classes - len(forced))]
    chosen.sort(key=lambda c: -best[c])
    rows = []
    for c in chosen:
        idx = np.flatnonzero(labels == c)
        idx = idx[np.argsort(-scores[idx], kind='stable')[:top_k]]
        rows.append((c, idx))
    return rows


def plot_detection(sample,
                   classes: Optional[Sequence[str]] = None,
                   out_file: Optional[str] = None,
                   top_k: int = 5,
                   max_classes: int = 4,
                   width: float = 12.0,
                   dpi: int = 100,
                   title: Optional[str] = None):
    """Draw one video's prediction (Figure-3 style).

    Args:
        sample: a data sample from ``DTRPLoc.predict`` or a dict with
            ``duration``, ``snippet_duration`` and any of ``fg_curve`` (T,),
            ``cas`` (T, C), ``video_scores`` (C,), ``proposal_mask`` (T,),
            ``pred_segments``/``pred_labels``/``pred_scores`` and
            ``gt_segments``/``gt_labels``.
        classes: class names; default ``class <i>``.
        out_file: write a PNG here (atomically); otherwise return the figure.
        top_k: detections shown per class.
        max_classes: detection rows at most (ground-truth classes first).

    Returns:
        The matplotlib figure when ``out_file`` is None, else None.
    """
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    d = sample_to_dict(sample)
    snip = float(d.get('snippet_duration') or 16 / 25)
    fg = d.get('fg_curve')
    cas = d.get('cas')
    num_t = len(fg) if fg is not None else (
        len(cas) if cas is not None else int(d.get('num_snippets') or 0))
    duration = float(d.get('duration') or num_t * snip or 1.0)
    video = str(d.get('video_name', 'video'))

    gt_segs = d.get('gt_segments', np.zeros((0, 2)))
    gt_labels = d.get('gt_labels', np.zeros(0, np.int64)).astype(np.int64)
    has_gt = 'gt_segments' in d and 'gt_labels' in d
    gt_classes = sorted(set(gt_labels.tolist()))
    pred_segs = d.get('pred_segments', np.zeros((0, 2)))
    pred_labels = d.get('pred_labels', np.zeros(0, np.int64))
    pred_scores = d.get('pred_scores', np.zeros(0))
    vs = d.get('video_scores')
    det_rows = select_detections(pred_segs, pred_labels, pred_scores, top_k,
                                 max_classes, must_keep=gt_classes,
                                 class_scores=vs)

    # Seconds per character of 7-pt score text, to keep texts apart.
    plot_w_in = width * 0.80
    sec_per_char = duration / plot_w_in * (7 * 0.62 / 72)

    cas_label = None
    det_layout = []  # (class, idx, lanes, n_lanes)
    for c, idx in det_rows:
        s, e = pred_segs[idx, 0], pred_segs[idx, 1]
        half_text = 2.5 * sec_per_char  # "0.87" centred on the box
        # Text stays inside the time axis, so it is never clipped.
        mid = np.clip((s + e) / 2, half_text, max(duration - half_text,
                                                  half_text))
        lanes = assign_lanes(
            np.minimum(s, mid - half_text) - 0.3 * sec_per_char,
            np.maximum(e, mid + half_text) + 0.3 * sec_per_char)
        det_layout.append((c, idx, lanes, mid, int(lanes.max()) + 1
                           if len(lanes) else 1))

    # Row heights in inches.
    lane_h = 0.24
    curve_h = 1.7
    rows = [('curves', curve_h)]
    if has_gt:
        rows.append(('gt', lane_h * max(1, len(gt_classes)) + 0.12))
    if 'proposal_mask' in d:
        rows.append(('proposals', lane_h + 0.12))
    if det_layout:
        for c, idx, lanes, mid, n in det_layout:
            rows.append((('det', c), lane_h * n + 0.12))
    else:
        rows.append(('nodet', lane_h + 0.12))
    top_in, bottom_in, gap_in = 0.5, 0.5, 0.08
    height = top_in + bottom_in + sum(h for _, h in rows) + gap_in * (
        len(rows) - 1)
    fig, axes = plt.subplots(
        len(rows), 1, sharex=True, figsize=(width, height),
        gridspec_kw=dict(height_ratios=[h for _, h in rows]),
        squeeze=False)
    axes = axes[:, 0]
    fig.subplots_adjust(left=0.15, right=0.95, top=1 - top_in / height,
                        bottom=bottom_in / height, hspace=gap_in / np.mean(
                            [h for _, h in rows]))
    t = (np.arange(num_t) + 0.5) * snip

    def span_row(ax, labels):
        ax.set_ylim(len(labels), 0)
        ax.set_yticks(np.arange(len(labels)) + 0.5)
        ax.set_yticklabels(labels, fontsize=8)
        ax.tick_params(axis='y', length=0)
        ax.grid(axis='x', alpha=0.25)

    for ax, (kind, _) in zip(axes, rows):
        if kind == 'curves':
            if fg is not None:
                ax.plot(t, fg, color=FG_COLOR, lw=1.2, label='foreground')
            if cas is not None and cas.ndim == 2 and cas.shape[1]:
                top = int(np.argmax(vs)) if vs is not None and len(vs) \
                    else int(np.argmax(cas.max(axis=0)))
                cas_label = f'T-CAS of {_class_name(classes, top)}'
                ax.plot(t, cas[:, top], color=CAS_COLOR, lw=1.2)
            ax.set_ylim(-0.02, 1.05)
            ax.set_ylabel('score', fontsize=8)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.25)
            if has_gt:
                for s, e in gt_segs:
                    ax.axvspan(s, e, color=GT_COLOR, alpha=0.12, lw=0)
        elif kind == 'gt':
            names = [f'GT {_class_name(classes, c)}' for c in gt_classes]
            span_row(ax, names or ['GT (none)'])
            for (s, e), c in zip(gt_segs, gt_labels):
                row = gt_classes.index(int(c))
                ax.broken_barh([(s, max(e - s, 1e-3))], (row + 0.15, 0.7),
                               facecolors=GT_COLOR, edgecolors='none')
        elif kind == 'proposals':
            span_row(ax, ['T-RPN proposals'])
            for a, b in mask_runs(d['proposal_mask']):
                ax.broken_barh([(a * snip, (b - a) * snip)], (0.15, 0.7),
                               facecolors=(0.12, 0.47, 0.71, 0.15),
                               edgecolors=PROPOSAL_COLOR, linestyles='--',
                               linewidths=1.0)
        elif kind == 'nodet':
            span_row(ax, ['detections'])
            ax.text(0.5, 0.5, 'no detections', transform=ax.transAxes,
                    ha='center', va='center', fontsize=8, color='gray')
        else:
            c = kind[1]
            k = [r[0] for r in det_rows].index(c)
            _, idx, lanes, mid, n = det_layout[k]
            color = DET_COLORS[k % len(DET_COLORS)]
            labels = [''] * n
            labels[0] = f'{_class_name(classes, c)}'
            if vs is not None and c < len(vs):
                labels[0] += f' (video {float(vs[c]):.2f})'
            span_row(ax, labels)
            for j, lane, x_text in zip(idx, lanes, mid):
                s, e = pred_segs[j]
                score = float(pred_scores[j])
                ax.broken_barh([(s, max(e - s, 1e-3))], (lane + 0.12, 0.76),
                               facecolors=color, alpha=0.35 + 0.5 * min(
                                   max(score, 0.0), 1.0),
                               edgecolors=color)
                ax.text(x_text, lane + 0.5, f'{score:.2f}',
                        ha='center', va='center', fontsize=7,
                        color='black', clip_on=True)
    axes[-1].set_xlim(0, duration)
    axes[-1].set_xlabel('time (s)', fontsize=9)
    axes[-1].tick_params(labelsize=8)

    handles = []
    if has_gt:
        handles.append(Patch(facecolor=GT_COLOR, label='ground truth'))
    if 'proposal_mask' in d:
        handles.append(Patch(facecolor=(0.12, 0.47, 0.71, 0.15),
                             edgecolor=PROPOSAL_COLOR, linestyle='--',
                             label='T-RPN proposal'))
    handles.append(Patch(facecolor=DET_COLORS[0], alpha=0.7,
                         label=f'detections (top {top_k} per class) '
                         'with score'))
    handles.append(Line2D([], [], color=FG_COLOR, label='foreground curve'))
    if cas_label:
        handles.append(Line2D([], [], color=CAS_COLOR, label=cas_label))
    fig.legend(handles=handles, loc='lower right', ncol=len(handles),
               fontsize=8, frameon=False, borderaxespad=0.1,
               bbox_to_anchor=(0.95, 1 - (top_in - 0.02) / height))
    fig.text(0.01, 1 - 0.12 / height, title or
             f'{video}  ({duration:.1f} s)', ha='left', va='top',
             fontsize=10, weight='bold')

    if out_file is None:
        return fig
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi)
    plt.close(fig)
    atomic_write_bytes(out_file, buf.getvalue())
    return None
