"""One figure per video: curves, ground truth, T-RPN proposals, detections.

Rows share a time axis in seconds and each has its own axes, so labels of
one row never run into another row:

1. foreground curve and the T-CAS of one class (the top-scoring one
   unless ``cas_class`` says which), named in the panel; the ground truth
   of that class is shaded green behind the curves, that of other classes
   hatched grey, so a curve is never read against another class's truth,
2. ground truth, one row per class present (the T-CAS class green, the
   others grey),
3. T-RPN proposals (runs of ``proposal_mask``, dashed blue),
4. detections, one row per kept class (top ``top_k`` by score), with score
   text; overlapping boxes (or their text) go to separate lanes.

Each row kind has its own drawing function (``_draw_*``);
:func:`plot_detection` lays the rows out and calls them.

matplotlib is imported on first use with the Agg backend, so importing this
module (and registering the hook) stays cheap and works without a display.
"""
from types import SimpleNamespace
from typing import List, Optional, Sequence

import numpy as np

from mmtrpn.structures.segments import (DEFAULT_SNIPPET_DURATION, mask_runs,
                                        snippets_to_seconds)
from mmtrpn.structures.wstal_data_sample import to_detections
from mmtrpn.utils.fileio import atomic_write_bytes

GT_COLOR = '#2ca02c'
OTHER_GT_COLOR = '#7f7f7f'
PROPOSAL_COLOR = '#1f77b4'
PROPOSAL_FACE = (0.12, 0.47, 0.71, 0.15)
FG_COLOR = '#444444'
CAS_COLOR = '#d62728'
# Detection colours avoid the GT green and the proposal blue.
DET_COLORS = ('#d62728', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
              '#bcbd22', '#17becf', '#7f7f7f')
# Row heights and margins in inches.
LANE_H, CURVE_H, ROW_PAD = 0.24, 1.7, 0.12
TOP_IN, BOTTOM_IN, GAP_IN = 0.5, 0.5, 0.08


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


def _cas_class(cas, video_scores, cas_class):
    """The class whose T-CAS is drawn: ``cas_class`` when given, else the
    top video score (else the top T-CAS peak); None without a T-CAS."""
    if cas is None or cas.ndim != 2 or not cas.shape[1]:
        return None
    if cas_class is not None:
        if not 0 <= int(cas_class) < cas.shape[1]:
            raise ValueError(f'cas_class {cas_class} is not a class of the '
                             f'T-CAS ({cas.shape[1]} classes)')
        return int(cas_class)
    if video_scores is not None and len(video_scores):
        return int(np.argmax(video_scores))
    return int(np.argmax(cas.max(axis=0)))


def _video_view(sample, classes, top_k, max_classes, width, cas_class=None):
    """What every row needs: times, curves, ground truth, detection rows."""
    d = to_detections(sample)
    snip = float(d.get('snippet_duration') or DEFAULT_SNIPPET_DURATION)
    fg, cas = d.get('fg_curve'), d.get('cas')
    num_t = len(fg) if fg is not None else (
        len(cas) if cas is not None else int(d.get('num_snippets') or 0))
    duration = float(d.get('duration') or num_t * snip or 1.0)
    gt_labels = d.get('gt_labels', np.zeros(0, np.int64))
    pred_segs = d.get('pred_segments', np.zeros((0, 2)))
    pred_scores = d.get('pred_scores', np.zeros(0))
    video_scores = d.get('video_scores')
    gt_classes = sorted(set(gt_labels.tolist()))
    det_rows = select_detections(
        pred_segs, d.get('pred_labels', np.zeros(0, np.int64)), pred_scores,
        top_k, max_classes, must_keep=gt_classes, class_scores=video_scores)
    view = SimpleNamespace(
        classes=classes, snip=snip, duration=duration,
        video=str(d.get('video_name', 'video')), fg=fg, cas=cas,
        times=(np.arange(num_t) + 0.5) * snip,
        has_gt='gt_segments' in d and 'gt_labels' in d,
        gt_segs=d.get('gt_segments', np.zeros((0, 2))), gt_labels=gt_labels,
        gt_classes=gt_classes, proposal_mask=d.get('proposal_mask'),
        pred_segs=pred_segs, pred_scores=pred_scores,
        video_scores=video_scores,
        cas_class=_cas_class(cas, video_scores, cas_class))
    view.det_layout = _detection_lanes(det_rows, pred_segs, duration, width)
    return view


def _detection_lanes(det_rows, pred_segs, duration, width):
    """Per detection row ``(class, idx, lanes, text x, number of lanes)``;
    boxes and their score text never share a lane."""
    # Seconds per character of 7-pt score text, to keep texts apart.
    sec_per_char = duration / (width * 0.80) * (7 * 0.62 / 72)
    layout = []
    for c, idx in det_rows:
        s, e = pred_segs[idx, 0], pred_segs[idx, 1]
        half_text = 2.5 * sec_per_char  # "0.87" centred on the box
        # Text stays inside the time axis, so it is never clipped.
        mid = np.clip((s + e) / 2, half_text, max(duration - half_text,
                                                  half_text))
        lanes = assign_lanes(
            np.minimum(s, mid - half_text) - 0.3 * sec_per_char,
            np.maximum(e, mid + half_text) + 0.3 * sec_per_char)
        layout.append((c, idx, lanes, mid,
                       int(lanes.max()) + 1 if len(lanes) else 1))
    return layout


def _rows(view) -> List[tuple]:
    """``(drawing function, argument, height in inches)`` top to bottom."""
    rows = [(_draw_curves, None, CURVE_H)]
    if view.has_gt:
        rows.append((_draw_ground_truth, None,
                     LANE_H * max(1, len(view.gt_classes)) + ROW_PAD))
    if view.proposal_mask is not None:
        rows.append((_draw_proposals, None, LANE_H + ROW_PAD))
    for k, (_, _, _, _, n) in enumerate(view.det_layout):
        rows.append((_draw_class_detections, k, LANE_H * n + ROW_PAD))
    if not view.det_layout:
        rows.append((_draw_no_detections, None, LANE_H + ROW_PAD))
    return rows


def _span_row(ax, labels):
    ax.set_ylim(len(labels), 0)
    ax.set_yticks(np.arange(len(labels)) + 0.5)
    ax.set_yticklabels(labels, fontsize=8)
    ax.tick_params(axis='y', length=0)
    ax.grid(axis='x', alpha=0.25)


def _draw_curves(ax, view, _):
    if view.fg is not None:
        ax.plot(view.times, view.fg, color=FG_COLOR, lw=1.2,
                label='foreground')
    if view.cas_class is not None:
        ax.plot(view.times, view.cas[:, view.cas_class], color=CAS_COLOR,
                lw=1.2)
        ax.text(0.005, 0.97, f'T-CAS of {_cas_name(view)}',
                transform=ax.transAxes, ha='left', va='top', fontsize=8,
                color=CAS_COLOR, weight='bold',
                bbox=dict(facecolor='white', alpha=0.8, lw=0, pad=1.5))
    if view.fg is None and view.cas_class is None:
        ax.text(0.5, 0.5, 'no curves given', transform=ax.transAxes,
                ha='center', va='center', fontsize=8, color='gray')
    ax.set_ylim(-0.02, 1.05)
    ax.set_ylabel('score', fontsize=8)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.25)
    if view.has_gt:
        for (s, e), c in zip(view.gt_segs, view.gt_labels):
            if _is_shown_class(view, c):
                ax.axvspan(s, e, color=GT_COLOR, alpha=0.12, lw=0)
            else:
                ax.axvspan(s, e, facecolor='none', edgecolor=OTHER_GT_COLOR,
                           alpha=0.45, hatch='///', lw=0)


def _cas_name(view) -> str:
    return _class_name(view.classes, view.cas_class)


def _is_shown_class(view, c) -> bool:
    """Ground truth drawn green: of the T-CAS class, or any without one."""
    return view.cas_class is None or int(c) == view.cas_class


def _draw_ground_truth(ax, view, _):
    names = [f'GT {_class_name(view.classes, c)}' for c in view.gt_classes]
    _span_row(ax, names or ['GT (none)'])
    for (s, e), c in zip(view.gt_segs, view.gt_labels):
        row = view.gt_classes.index(int(c))
        color = GT_COLOR if _is_shown_class(view, c) else OTHER_GT_COLOR
        ax.broken_barh([(s, max(e - s, 1e-3))], (row + 0.15, 0.7),
                       facecolors=color, edgecolors='none')


def _draw_proposals(ax, view, _):
    _span_row(ax, ['T-RPN proposals'])
    for a, b in snippets_to_seconds(mask_runs(view.proposal_mask),
                                    view.snip):
        ax.broken_barh([(a, b - a)], (0.15, 0.7),
                       facecolors=PROPOSAL_FACE, edgecolors=PROPOSAL_COLOR,
                       linestyles='--', linewidths=1.0)


def _draw_no_detections(ax, view, _):
    _span_row(ax, ['detections'])
    ax.text(0.5, 0.5, 'no detections', transform=ax.transAxes,
            ha='center', va='center', fontsize=8, color='gray')


def _draw_class_detections(ax, view, k):
    c, idx, lanes, mid, n = view.det_layout[k]
    color = DET_COLORS[k % len(DET_COLORS)]
    labels = [''] * n
    labels[0] = f'{_class_name(view.classes, c)}'
    vs = view.video_scores
    if vs is not None and c < len(vs):
        labels[0] += f' (video {float(vs[c]):.2f})'
    _span_row(ax, labels)
    for j, lane, x_text in zip(idx, lanes, mid):
        s, e = view.pred_segs[j]
        score = float(view.pred_scores[j])
        ax.broken_barh([(s, max(e - s, 1e-3))], (lane + 0.12, 0.76),
                       facecolors=color,
                       alpha=0.35 + 0.5 * min(max(score, 0.0), 1.0),
                       edgecolors=color)
        ax.text(x_text, lane + 0.5, f'{score:.2f}', ha='center',
                va='center', fontsize=7, color='black', clip_on=True)


def _legend_and_title(fig, view, top_k, height, title):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles = []
    if view.has_gt and view.cas_class is None:
        handles.append(Patch(facecolor=GT_COLOR, label='ground truth'))
    elif view.has_gt:
        handles.append(Patch(facecolor=GT_COLOR,
                             label=f'ground truth of {_cas_name(view)}'))
        if any(not _is_shown_class(view, c) for c in view.gt_labels):
            handles.append(Patch(facecolor='white',
                                 edgecolor=OTHER_GT_COLOR, hatch='///',
                                 label='ground truth, other classes'))
    if view.proposal_mask is not None:
        handles.append(Patch(facecolor=PROPOSAL_FACE,
                             edgecolor=PROPOSAL_COLOR, linestyle='--',
                             label='T-RPN proposal'))
    handles.append(Patch(facecolor=DET_COLORS[0], alpha=0.7,
                         label=f'detections (top {top_k} per class) '
                         'with score'))
    handles.append(Line2D([], [], color=FG_COLOR, label='foreground curve'))
    if view.cas_class is not None:
        handles.append(Line2D([], [], color=CAS_COLOR,
                              label=f'T-CAS of {_cas_name(view)}'))
    fig.legend(handles=handles, loc='lower right', ncol=len(handles),
               fontsize=8, frameon=False, borderaxespad=0.1,
               bbox_to_anchor=(0.95, 1 - (TOP_IN - 0.02) / height))
    fig.text(0.01, 1 - 0.12 / height, title or
             f'{view.video}  ({view.duration:.1f} s)', ha='left', va='top',
             fontsize=10, weight='bold')


def plot_detection(sample,
                   classes: Optional[Sequence[str]] = None,
                   out_file: Optional[str] = None,
                   top_k: int = 5,
                   max_classes: int = 4,
                   width: float = 12.0,
                   dpi: int = 100,
                   title: Optional[str] = None,
                   cas_class: Optional[int] = None):
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
        cas_class: the class whose T-CAS is drawn; default the top video
            score. Its ground truth is green, other classes' grey.

    Returns:
        The matplotlib figure when ``out_file`` is None, else None.
    """
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt

    view = _video_view(sample, classes, top_k, max_classes, width,
                       cas_class)
    rows = _rows(view)
    heights = [h for _, _, h in rows]
    height = TOP_IN + BOTTOM_IN + sum(heights) + GAP_IN * (len(rows) - 1)
    fig, axes = plt.subplots(
        len(rows), 1, sharex=True, figsize=(width, height),
        gridspec_kw=dict(height_ratios=heights), squeeze=False)
    axes = axes[:, 0]
    fig.subplots_adjust(left=0.15, right=0.95, top=1 - TOP_IN / height,
                        bottom=BOTTOM_IN / height,
                        hspace=GAP_IN / np.mean(heights))
    for ax, (draw, arg, _) in zip(axes, rows):
        draw(ax, view, arg)
    axes[-1].set_xlim(0, view.duration)
    axes[-1].set_xlabel('time (s)', fontsize=9)
    axes[-1].tick_params(labelsize=8)
    _legend_and_title(fig, view, top_k, height, title)

    if out_file is None:
        return fig
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi)
    plt.close(fig)
    atomic_write_bytes(out_file, buf.getvalue())
    return None
