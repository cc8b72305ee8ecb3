"""Charts of an error diagnosis, drawn from its JSON-ready summary
(``Diagnosis.as_dict()`` of :mod:`mmtrpn.evaluation.diagnosis`).

* :func:`plot_false_positives`: the false-positive profile (stacked
  outcome shares of the top ``1G`` ... ``KG`` predictions) beside the mAP
  gain of removing each error type;
* :func:`plot_ground_truth_bins`: per characteristic bin, the
  false-negative rate and the normalized mAP (dashed: over all ground
  truth).

matplotlib is imported on first use with the Agg backend.
"""
import io

import numpy as np

from mmtrpn.utils.fileio import atomic_write_bytes

# True positive green, then one colour per error type (DETAD's order).
OUTCOME_COLORS = ('#33a02c', '#b2df8a', '#1f78b4', '#fb9a99', '#e31a1c',
                  '#a6cee3')
CHARACTERISTIC_COLORS = ('#386cb0', '#f0027f', '#bf5b17')


def _pyplot():
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt
    return plt


def figure_png(fig, dpi: int = 100, tight: bool = True) -> bytes:
    """The figure as PNG bytes, cropped to its content when ``tight`` (an
    extra draw); the figure is closed."""
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi,
                bbox_inches='tight' if tight else None)
    plt.close(fig)
    return buf.getvalue()


def _values(items) -> np.ndarray:
    """A summary list with None for n/a as floats with NaN."""
    return np.array([np.nan if v is None else v for v in items], float)


def plot_false_positives(summary: dict):
    """Profile (left) and removal gains (right); returns the figure."""
    plt = _pyplot()
    fig, (ax, ax_gain) = plt.subplots(
        1, 2, figsize=(11, 4), gridspec_kw=dict(width_ratios=[3, 2]))
    profile = summary['false_positive_profile']
    counts = np.asarray(profile['counts'], float)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(100 * counts, totals, out=np.zeros_like(counts),
                      where=totals > 0)
    x = np.arange(len(counts))
    bottom = np.zeros(len(counts))
    for k, name in enumerate(profile['outcomes']):
        ax.bar(x, share[:, k], bottom=bottom, color=OUTCOME_COLORS[k],
               label=name, width=0.8)
        bottom += share[:, k]
    ax.set_xticks(x)
    ax.set_xticklabels(profile['bins'])
    ax.set_xlabel('top predictions of each class (G = its ground truth)')
    ax.set_ylabel('share of predictions (%)')
    ax.set_ylim(0, 100)
    ax.set_title(f'False-positive profile at tIoU {summary["tiou"]:g}')
    ax.legend(fontsize=7, loc='upper left', bbox_to_anchor=(1.0, 1.0))
    gains = [100 * g for g in summary['mAP_gain'].values()]
    names = list(summary['mAP_gain'])
    bars = ax_gain.bar(np.arange(len(gains)), gains,
                       color=OUTCOME_COLORS[1:])
    for bar, g in zip(bars, gains):
        ax_gain.text(bar.get_x() + bar.get_width() / 2, bar.get_height(),
                     f'{g:.2f}', ha='center', va='bottom', fontsize=8)
    ax_gain.set_xticks(np.arange(len(gains)))
    ax_gain.set_xticklabels(names, rotation=30, ha='right', fontsize=8)
    ax_gain.set_ylabel(f'mAP@{summary["tiou"]:g} gain (points)')
    ax_gain.set_title('Removing each error type')
    ax_gain.set_ylim(0, max(max(gains, default=0) * 1.2, 0.5))
    fig.tight_layout()
    return fig


def plot_ground_truth_bins(summary: dict):
    """False-negative rate (top) and mAP_N (bottom) per bin."""
    plt = _pyplot()
    fig, (ax_fn, ax_map) = plt.subplots(2, 1, figsize=(11, 5.5),
                                        sharex=True)
    x0, ticks, labels = 0, [], []
    chars = summary['characteristics']
    for k, (name, char) in enumerate(chars.items()):
        x = x0 + np.arange(len(char['labels']))
        color = CHARACTERISTIC_COLORS[k % len(CHARACTERISTIC_COLORS)]
        fn_rate = _values(char['false_negative_rate'])
        ax_fn.bar(x, 100 * np.nan_to_num(fn_rate), color=color,
                  label=name)
        ax_map.bar(x, 100 * np.nan_to_num(_values(char['mAP_N'])),
                   color=color)
        for xi, n in zip(x, char['gt_count']):
            ax_fn.text(xi, 1, f'n={n}', ha='center', va='bottom',
                       fontsize=6, rotation=90)
        ticks += list(x)
        labels += [f'{name}\n{lab}' if i == 0 else lab
                   for i, lab in enumerate(char['labels'])]
        x0 += len(char['labels']) + 1
    tiou = summary['tiou']
    ax_fn.set_ylabel('false negatives (%)')
    ax_fn.set_ylim(0, 100)
    ax_fn.set_title(f'Ground truth by characteristic, tIoU {tiou:g}')
    ax_fn.legend(fontsize=8, loc='upper right')
    base = 100 * _values([summary['mAP_N']])[0]
    ax_map.axhline(base, color='k', ls='--', lw=1)
    ax_map.text(x0 - 1.5, base, f'all: {base:.2f}', ha='right',
                va='bottom', fontsize=8)
    ax_map.set_ylabel('mAP$_N$ (%)')
    ax_map.set_ylim(0, 100)
    ax_map.set_xticks(ticks)
    ax_map.set_xticklabels(labels, fontsize=8)
    for ax in (ax_fn, ax_map):
        ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    return fig


def diagnosis_pngs(summary: dict) -> dict:
    """``{false_positives, ground_truth_bins}``: the charts as PNG bytes."""
    return dict(
        false_positives=figure_png(plot_false_positives(summary)),
        ground_truth_bins=figure_png(plot_ground_truth_bins(summary)))


def save_diagnosis_figures(summary: dict, out_dir: str) -> dict:
    """Write ``false_positives.png`` and ``ground_truth_bins.png`` under
    ``out_dir``; returns ``{name: PNG bytes}``."""
    import os.path as osp
    pngs = diagnosis_pngs(summary)
    for name, data in pngs.items():
        atomic_write_bytes(osp.join(out_dir, f'{name}.png'), data)
    return pngs
