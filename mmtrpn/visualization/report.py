"""One self-contained HTML report of a test run: no server, no network.

Sections (tabs): the mAP table and per-class AP; the error diagnosis
(:mod:`mmtrpn.evaluation.diagnosis`) with its charts and tables; a
sortable list of the videos, each opening a page with its detection
figure (:func:`plot_detection`: curves, ground truth, proposals and
detections on one time axis) and its ground truth and detections with
their outcome. Figures are base64 PNG, CSS and JS are inline.

Written by ``tools/test.py --report`` (:class:`WSTALReportHook`) and by
``tools/analysis/make_report.py`` from a results file (and the curves file
the hook writes beside the report).
"""
import base64
import html
import json
from typing import Dict, Optional, Sequence

import numpy as np

from mmtrpn.evaluation.diagnosis import OUTCOMES, diagnose_detections
from mmtrpn.evaluation.functional import summarize_map, temporal_map
from mmtrpn.utils.fileio import atomic_write_text
from mmtrpn.version import __version__
from .det_plot import plot_detection
from .diagnosis_plot import (figure_png, plot_false_positives,
                             plot_ground_truth_bins)
from .report_assets import REPORT_CSS, REPORT_JS

# Detections listed per video page (best first); the figure shows fewer.
DETECTIONS_LISTED = 30


def _png_uri(png: bytes) -> str:
    return 'data:image/png;base64,' + base64.b64encode(png).decode('ascii')


def _pct(v) -> str:
    return 'n/a' if v is None or not np.isfinite(v) else f'{100 * v:.2f}'


def _table(table_id: str, head: Sequence[str], rows, caption: str = ''):
    cap = f'<caption>{html.escape(caption)}</caption>' if caption else ''
    body = ''.join(
        '<tr>' + ''.join(f'<td>{html.escape(str(c))}</td>' for c in r) +
        '</tr>' for r in rows)
    head_html = ''.join(f'<th>{html.escape(h)}</th>' for h in head)
    return (f'<table id="{table_id}">{cap}<thead><tr>{head_html}</tr>'
            f'</thead><tbody>{body}</tbody></table>')


def _run_value(run_metrics: dict, key: str):
    for name, value in run_metrics.items():
        if name == key or name.endswith('/' + key):
            return float(value) / 100.0
    return None


def _map_section(gt, pred, tious, run_metrics):
    ap, mean_ap = temporal_map(pred['video_ids'], pred['segments'],
                               pred['labels'], pred['scores'],
                               gt['video_ids'], gt['segments'], gt['labels'],
                               len(gt['classes']), tious)
    head = ['', *[f'{t:.2f}' for t in tious], 'AVG']
    rows = [['mAP'] + [_pct(v) for v in mean_ap] + [_pct(mean_ap.mean())]]
    note = ''
    if run_metrics:
        logged = [_run_value(run_metrics, f'mAP@{t:.2f}') for t in tious]
        logged.append(_run_value(run_metrics, 'mAP_AVG'))
        rows.append(['mAP as logged by the run'] + [_pct(v) for v in logged])
        ours = list(mean_ap) + [mean_ap.mean()]
        if any(v is None or abs(v - o) > 5e-7 for v, o in zip(logged, ours)):
            note = ('<p class="note">The run\'s metric differs from this '
                    'report\'s ActivityNet-protocol scoring in seconds: it '
                    'may score on the snippet grid, drop ambiguous segments '
                    'or block videos (see its config).</p>')
    class_rows = [[name] + [_pct(v) for v in ap[:, c]] +
                  [_pct(np.nanmean(ap[:, c]) if np.isfinite(ap[:, c]).any()
                        else np.nan)]
                  for c, name in enumerate(gt['classes'])]
    summary = summarize_map(tious, mean_ap)
    return ('<h2>mAP (%)</h2>' + _table('map-table', head, rows) + note +
            '<h2>Per-class AP (%)</h2>' +
            _table('class-ap-table', ['class'] + head[1:], class_rows),
            summary)


def _diagnosis_section(diag):
    counts = diag.profile_counts
    rows = []
    for k, row in enumerate(counts):
        total = row.sum()
        rows.append([f'{k + 1}G'] + [_pct(v / total) if total else 'n/a'
                                      for v in row] + [int(total)])
    gains = [[name, _pct(diag.mean_ap_fixed[name]), f'{100 * g:+.2f}']
             for name, g in diag.map_gain.items()]
    chars = []
    for c in diag.characteristics:
        for b, lab in enumerate(c.labels):
            chars.append([c.name, f'{lab} ({c.edges[b]:g}, '
                          f'{c.edges[b + 1]:g}]', int(c.gt_count[b]),
                          _pct(c.fn_rate[b]), _pct(c.map_n[b])])
    fp_png = figure_png(plot_false_positives(diag))
    gt_png = figure_png(plot_ground_truth_bins(diag))
    return (
        f'<h2>Error diagnosis at tIoU {diag.tiou:g}</h2>'
        f'<p>mAP@{diag.tiou:g} = {_pct(diag.mean_ap)} %; false-negative '
        f'rate {_pct(diag.fn_rate)} %. A false positive is a <b>double '
        'detection</b> (its ground truth was already taken), a <b>wrong '
        'label</b> (tIoU &ge; the threshold with another class), a '
        '<b>localization</b> error (tIoU in [' + f'{diag.min_tiou:g}, '
        f'{diag.tiou:g}) with its class), <b>wrong label + localization</b>'
        ' or <b>background</b> (tIoU &lt; ' + f'{diag.min_tiou:g}' +
        ' with all ground truth); the ground truth of the highest tIoU '
        'decides.</p>'
        f'<img class="chart" alt="false-positive profile" '
        f'src="{_png_uri(fp_png)}">' +
        _table('fp-table', ['top'] + list(OUTCOMES) + ['n'], rows,
               'Outcomes of the top predictions of each class (%), '
               'G = the class\'s ground-truth count') +
        _table('gain-table', ['error type', 'mAP if removed', 'gain'], gains,
               f'mAP@{diag.tiou:g} (%) with every prediction of one error '
               'type removed') +
        f'<img class="chart" alt="ground truth by characteristic" '
        f'src="{_png_uri(gt_png)}">' +
        _table('char-table', ['characteristic', 'bin', 'gt', 'FN %',
                              'mAP_N %'], chars,
               'Per bin of the ground truth: the share no prediction '
               'matched and the normalized mAP with only that bin as ground '
               f'truth (all: {_pct(diag.base_map_n)} %)'))


def _group(video_ids, videos):
    """{video: input indices} for ``video_ids`` (N,)."""
    order = np.argsort(video_ids, kind='stable')
    names, starts = np.unique(np.asarray(video_ids)[order],
                              return_index=True)
    parts = np.split(order, starts[1:]) if order.size else []
    found = dict(zip(names.tolist(), parts))
    return {v: found.get(v, np.zeros(0, np.int64)) for v in videos}


def _video_entries(gt, pred, diag, curves, max_videos):
    classes = gt['classes']
    outcome = np.full(pred['labels'].size, -1, dtype=np.int64)
    outcome[diag.order] = diag.outcome
    gt_of, pred_of = _group(gt['video_ids'], gt['videos']), _group(
        pred['video_ids'], gt['videos'])
    duration_of = dict(zip(gt['videos'], gt['durations']))
    entries = []
    for k, video in enumerate(gt['videos']):
        gi, pi = gt_of[video], pred_of[video]
        pi = pi[np.argsort(-pred['scores'][pi], kind='stable')]
        out = outcome[pi]
        entry = dict(
            name=video, duration=round(float(duration_of[video]), 2),
            n_gt=int(gi.size), n_det=int(pi.size),
            tp=int((out == 0).sum()), fp=int((out > 0).sum()),
            fn=int((~diag.gt_matched[gi]).sum()),
            gt=[[classes[gt['labels'][g]], *np.round(gt['segments'][g],
                                                     2).tolist(),
                 bool(diag.gt_matched[g])] for g in gi],
            det=[[classes[pred['labels'][p]], *np.round(
                pred['segments'][p], 2).tolist(),
                  round(float(pred['scores'][p]), 4),
                  OUTCOMES[o] if o >= 0 else 'not scored (class without '
                  'ground truth)'] for p, o in zip(pi[:DETECTIONS_LISTED],
                                                   out)])
        if max_videos is None or k < max_videos:
            sample = dict(curves.get(video, {}) if curves else {},
                          video_name=video, gt_segments=gt['segments'][gi],
                          gt_labels=gt['labels'][gi],
                          pred_segments=pred['segments'][pi],
                          pred_labels=pred['labels'][pi],
                          pred_scores=pred['scores'][pi])
            sample.setdefault('duration', float(duration_of[video]))
            entry['figure'] = _png_uri(figure_png(
                plot_detection(sample, classes), dpi=80, tight=False))
        entries.append(entry)
    return entries


def build_report(gt: dict, pred: dict, tious: Sequence[float],
                 curves: Optional[Dict[str, dict]] = None,
                 run_metrics: Optional[dict] = None,
                 diag_tiou: float = 0.5, bins: str = 'thumos14',
                 max_videos: Optional[int] = None,
                 title: str = 'Test report',
                 sources: Optional[Dict[str, str]] = None) -> str:
    """The report as one HTML string.

    Args:
        gt (dict): ``load_ground_truth``'s dict (with ``durations``).
        pred (dict): ``load_results_file``'s dict.
        tious: thresholds of the mAP tables.
        curves (dict, optional): ``{video: curves}`` (``load_curves``);
            without them a video figure has no curve panel content.
        run_metrics (dict, optional): the metrics the run logged (e.g.
            ``wstal/mAP@0.10``, percent), shown beside the recomputed mAP.
        diag_tiou (float): the threshold of the diagnosis.
        bins (str): characteristic bins (``BIN_PRESETS`` key).
        max_videos (int, optional): figures for the first videos only.
        sources (dict, optional): ``{what: file}`` named in the header.
    """
    tious = np.asarray(tious, np.float64)
    map_html, summary = _map_section(gt, pred, tious, run_metrics)
    diag = diagnose_detections(pred, gt, tiou=diag_tiou, bins=bins)
    videos = _video_entries(gt, pred, diag, curves, max_videos)
    with_fig = sum('figure' in v for v in videos)
    src = ''.join(f'<li>{html.escape(k)}: <code>{html.escape(str(v))}'
                  '</code></li>' for k, v in (sources or {}).items())
    data = json.dumps(dict(videos=videos), separators=(',', ':'))
    data = data.replace('</', '<\\/')  # a name cannot close the script
    avg = summary['mAP_AVG']
    return f'''<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title><style>{REPORT_CSS}</style></head>
<body>
<header><h1>{html.escape(title)}</h1>
<p>{len(gt['videos'])} videos, {gt['labels'].size} ground-truth instances,
{pred['labels'].size} detections, {len(gt['classes'])} classes;
average mAP {avg:.2f} %. mmtrpn {html.escape(__version__)}.</p>
<ul class="sources">{src}</ul>
<nav><a href="#summary">mAP</a><a href="#diagnosis">Diagnosis</a>
<a href="#videos">Videos</a></nav></header>
<section id="summary">{map_html}</section>
<section id="diagnosis">{_diagnosis_section(diag)}</section>
<section id="videos"><h2>Videos</h2>
<p>Outcomes at tIoU {diag_tiou:g}. Click a column to sort, a video to open
its page ({with_fig} of {len(videos)} with a figure).</p>
<table id="video-list"><thead><tr><th data-key="name">video</th>
<th data-key="duration">duration (s)</th><th data-key="n_gt">ground truth
</th><th data-key="n_det">detections</th><th data-key="tp">true pos.</th>
<th data-key="fp">false pos.</th><th data-key="fn">missed</th></tr></thead>
<tbody></tbody></table></section>
<section id="video-page"></section>
<script type="application/json" id="report-data">{data}</script>
<script>{REPORT_JS}</script>
</body></html>
'''


def write_report(path: str, **kwargs) -> None:
    """:func:`build_report` written to ``path`` atomically."""
    atomic_write_text(path, build_report(**kwargs))
