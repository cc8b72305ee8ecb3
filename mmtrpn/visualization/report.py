"""One self-contained HTML report of a test run: no server, no network.

This module renders numbers already computed (``mmtrpn.apis.report``
computes them: the mAP, the error diagnosis, the video figures) into one
file. Sections (tabs): the mAP table and per-class AP; the diagnosis with
its charts and tables; a sortable list of the videos, each opening a page
with its detection figure and its ground truth and detections with their
outcome. Figures are base64 PNG, CSS and JS are inline.
"""
import base64
import html
import json
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmtrpn.version import __version__
from .diagnosis_plot import diagnosis_pngs
from .report_assets import REPORT_CSS, REPORT_JS


def png_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI, to embed in the page."""
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


def _map_section(tious, mean_ap, ap, classes, run_metrics):
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
                  for c, name in enumerate(classes)]
    return ('<h2>mAP (%)</h2>' + _table('map-table', head, rows) + note +
            '<h2>Per-class AP (%)</h2>' +
            _table('class-ap-table', ['class'] + head[1:], class_rows))


def _edge(v) -> str:
    return 'inf' if v == 'inf' else f'{v:g}'


def _diagnosis_section(summary: dict) -> str:
    tiou, floor = summary['tiou'], summary['min_tiou']
    profile = summary['false_positive_profile']
    rows = []
    for name, row in zip(profile['bins'], profile['counts']):
        total = sum(row)
        rows.append([name] + [_pct(v / total) if total else 'n/a'
                              for v in row] + [total])
    gains = [[name, _pct(summary['mAP_if_fixed'][name]), f'{100 * g:+.2f}']
             for name, g in summary['mAP_gain'].items()]
    chars = []
    for name, c in summary['characteristics'].items():
        for b, lab in enumerate(c['labels']):
            fn, mapn = c['false_negative_rate'][b], c['mAP_N'][b]
            chars.append([name, f'{lab} ({_edge(c["edges"][b])}, '
                          f'{_edge(c["edges"][b + 1])}]', c['gt_count'][b],
                          _pct(np.nan if fn is None else fn),
                          _pct(np.nan if mapn is None else mapn)])
    pngs = diagnosis_pngs(summary)
    return (
        f'<h2>Error diagnosis at tIoU {tiou:g}</h2>'
        f'<p>mAP@{tiou:g} = {_pct(summary["mAP"])} %; false-negative '
        f'rate {_pct(summary["false_negative_rate"])} %. A false positive '
        'is a <b>double detection</b> (its ground truth was already taken), '
        'a <b>wrong label</b> (tIoU &ge; the threshold with another class), '
        f'a <b>localization</b> error (tIoU in [{floor:g}, {tiou:g}) with '
        'its class), <b>wrong label + localization</b> or <b>background</b>'
        f' (tIoU &lt; {floor:g} with all ground truth); the ground truth of '
        'the highest tIoU decides.</p>'
        '<img class="chart" alt="false-positive profile" '
        f'src="{png_uri(pngs["false_positives"])}">' +
        _table('fp-table', ['top'] + list(profile['outcomes']) + ['n'], rows,
               'Outcomes of the top predictions of each class (%), '
               'G = the class\'s ground-truth count') +
        _table('gain-table', ['error type', 'mAP if removed', 'gain'], gains,
               f'mAP@{tiou:g} (%) with every prediction of one error type '
               'removed') +
        '<img class="chart" alt="ground truth by characteristic" '
        f'src="{png_uri(pngs["ground_truth_bins"])}">' +
        _table('char-table', ['characteristic', 'bin', 'gt', 'FN %',
                              'mAP_N %'], chars,
               'Per bin of the ground truth: the share no prediction '
               'matched and the normalized mAP with only that bin as ground '
               f'truth (all: {_pct(summary["mAP_N"])} %)'))


def render_report(title: str, tious: Sequence[float], mean_ap: np.ndarray,
                  ap: np.ndarray, classes: Sequence[str], diagnosis: dict,
                  videos: List[dict], counts: Dict[str, int],
                  run_metrics: Optional[dict] = None,
                  sources: Optional[Dict[str, str]] = None) -> str:
    """The report page.

    Args:
        tious, mean_ap, ap: thresholds (T,), mAP (T,) and per-class AP
            (T, C), fractions.
        diagnosis (dict): ``Diagnosis.as_dict()``.
        videos (list[dict]): per video ``name``, ``duration``, ``n_gt``,
            ``n_det``, ``tp``, ``fp``, ``fn``, ``gt`` rows ``[class, start,
            end, found]``, ``det`` rows ``[class, start, end, score,
            outcome]`` and optionally ``figure`` (a ``data:`` URI).
        counts (dict): ``videos``, ``ground_truth``, ``detections``.
        run_metrics (dict, optional): what the run logged (percent).
        sources (dict, optional): ``{what: file}`` named in the header.
    """
    tious = np.asarray(tious, np.float64)
    with_fig = sum('figure' in v for v in videos)
    src = ''.join(f'<li>{html.escape(k)}: <code>{html.escape(str(v))}'
                  '</code></li>' for k, v in (sources or {}).items())
    data = json.dumps(dict(videos=videos), separators=(',', ':'))
    data = data.replace('</', '<\\/')  # a name cannot close the script
    return f'''<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title><style>{REPORT_CSS}</style></head>
<body>
<header><h1>{html.escape(title)}</h1>
<p>{counts['videos']} videos, {counts['ground_truth']} ground-truth
instances, {counts['detections']} detections, {len(classes)} classes;
average mAP {_pct(mean_ap.mean())} %. mmtrpn {html.escape(__version__)}.</p>
<ul class="sources">{src}</ul>
<nav><a href="#summary">mAP</a><a href="#diagnosis">Diagnosis</a>
<a href="#videos">Videos</a></nav></header>
<section id="summary">{_map_section(tious, mean_ap, ap, classes,
                                    run_metrics)}</section>
<section id="diagnosis">{_diagnosis_section(diagnosis)}</section>
<section id="videos"><h2>Videos</h2>
<p>Outcomes at tIoU {diagnosis['tiou']:g}. Click a column to sort, a video
to open its page ({with_fig} of {len(videos)} with a figure).</p>
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
