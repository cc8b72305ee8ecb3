"""Render the Table 3 / Table 4 report from ``benchmarks/ablation.py`` JSONs.

Each ``--run LABEL=FILE`` is one invocation of the ablation (one data regime
and schedule). The report gives, per run, the held-out mAP (the only number
used for choices), the test mAP (scored once), the two inference readings
and the training diagnostics against ground truth.

Example::

    .venv/bin/python -m benchmarks.ablation_report \\
        --run "A, 600 it=docs/results/ablation/A_core.json" \\
        --out docs/benchmarks_ablation.md
"""
import argparse
import json
import os.path as osp
from collections import OrderedDict

import numpy as np

ROWS = OrderedDict([
    # key: (Table 3 row, DMF, T-RPN, ACoL, PLG, label)
    ('t3_01', ('1', 0, 0, 0, 0, 'top-k MIL baseline')),
    ('t3_02', ('2', 1, 0, 0, 0, 'DMF (= T4 w/o proposal)')),
    ('t3_03', ('3', 0, 1, 0, 0, '')),
    ('t3_04', ('4', 1, 1, 0, 0, '')),
    ('t3_05', ('5', 0, 1, 1, 0, '')),
    ('t3_06', ('6', 1, 1, 1, 0, '(= T4 T-RPN)')),
    ('t3_07', ('7', 0, 1, 0, 1, '')),
    ('t3_08', ('8', 1, 1, 0, 1, '')),
    ('t3_09', ('9', 0, 1, 1, 1, '')),
    ('t3_10', ('10', 1, 1, 1, 1, 'full (= T4 T-RPN*)')),
    ('t3_07n', ('7n', 0, 1, 0, 1, '+ norm')),
    ('t3_08n', ('8n', 1, 1, 0, 1, '+ norm')),
    ('t3_09n', ('9n', 0, 1, 1, 1, '+ norm')),
    ('t3_10n', ('10n', 1, 1, 1, 1, 'full + norm (deviation)')),
    ('t3_10b', ('10b', 1, 1, 1, 1, 'full, biased sampler b = 3 (option)')),
])
TABLE4 = [('w/o proposal', 't3_02'), ('T-RPN', 't3_06'),
          ('T-RPN*', 't3_10'), ('T-RPN* + norm (deviation)', 't3_10n'),
          ('T-RPN*, biased sampler b = 3 (option)', 't3_10b'),
          ('GT, training and test (oracle)', 't4_gt'),
          ('GT, training only', 't4_gt_train')]
MAP_KEYS = [f'mAP@0.{i}0' for i in range(1, 8)] + ['mAP_AVG']
DIAG = [('proposal_ratio', 'mask ratio'), ('gt_ratio', 'GT ratio'),
        ('prop_precision', 'mask precision'), ('prop_recall', 'mask recall'),
        ('bg_in_gt', 'bg in GT'), ('bg_out_gt', 'bg out of GT'),
        ('pl_in_gt', 'PL in GT'), ('pl_out_gt', 'PL out of GT')]


def fmt(vals):
    vals = np.asarray([v for v in vals if v is not None], dtype=float)
    if len(vals) == 0:
        return ''
    if len(vals) == 1:
        return f'{vals[0]:.1f}'
    return f'{vals.mean():.1f} ± {vals.std(ddof=1):.1f}'


def load(runs):
    """{label: {key: [result, ...]}} and {label: [json, ...]}."""
    by, meta = OrderedDict(), OrderedDict()
    for spec in runs:
        label, path = spec.rsplit('=', 1)
        data = json.load(open(path))
        meta.setdefault(label, []).append((path, data))
        for r in data['results']:
            by.setdefault(label, {}).setdefault(r['key'], []).append(r)
    return by, meta


def metric(runs, field, key='mAP_AVG'):
    return [r[field][key] if field in r else None for r in runs]


def table3(label, rows):
    cols = ['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7']
    out = [f'### Table 3 ({label})', '',
           '| # | DMF | T-RPN | ACoL | PLG | held-out AVG | ' +
           ' | '.join(f'test {c}' for c in cols) + ' | test AVG | seeds |',
           '|---|:-:|:-:|:-:|:-:|---|' + '---|' * len(cols) + '---|---|']
    mark = lambda b: '✓' if b else ''  # noqa: E731
    for key, (num, dmf, trpn, acol, plg, note) in ROWS.items():
        if key not in rows:
            continue
        runs = rows[key]
        cells = [fmt(metric(runs, 'metrics', k)) for k in MAP_KEYS]
        name = f'{num} {note}'.strip()
        out.append(f'| {name} | {mark(dmf)} | {mark(trpn)} | {mark(acol)} '
                   f'| {mark(plg)} | {fmt(metric(runs, "metrics_heldout"))} '
                   f'| ' + ' | '.join(cells) + f' | {len(runs)} |')
    return out


def table4(by):
    labels = list(by)
    out = ['### Table 4 (AVG mAP 0.1:0.7, mean ± std over training seeds)',
           '', '| proposals | ' + ' | '.join(
               f'{lb}: held-out | {lb}: test' for lb in labels) + ' |',
           '|---|' + '---|---|' * len(labels)]
    for name, key in TABLE4:
        cells = []
        for lb in labels:
            runs = by[lb].get(key, [])
            cells += [fmt(metric(runs, 'metrics_heldout')),
                      fmt(metric(runs, 'metrics'))]
        if any(cells):
            out.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return out


def inference_table(by):
    out = ['### Inference readings (same trained models)', '',
           'AVG mAP with the stage-2 classifier on the unmasked input '
           '(`cas_source=\'full\'`) or on the features masked by the '
           'inference proposals (`\'masked\'`, two-stage), and, for '
           'diagnosis, the foreground curve from the classifier '
           '(`fg_source=\'detector\'`).', '',
           '| run | row | held-out full | held-out masked | test full | '
           'test masked | test fg from classifier |',
           '|---|---|---|---|---|---|---|']
    for lb, rows in by.items():
        for key, (num, *_rest, note) in ROWS.items():
            runs = rows.get(key, [])
            if not runs or 'metrics_masked' not in runs[0]:
                continue
            out.append(
                f'| {lb} | {num} | {fmt(metric(runs, "metrics_heldout"))} '
                f'| {fmt(metric(runs, "metrics_heldout_masked"))} '
                f'| {fmt(metric(runs, "metrics"))} '
                f'| {fmt(metric(runs, "metrics_masked"))} '
                f'| {fmt(metric(runs, "metrics_fg_cls"))} |')
    return out


def diagnostics_table(by):
    out = ['### Training diagnostics against ground truth', '',
           'Logged during training (`log_gt_diagnostics=True`; never used '
           'for training): mean over the last fifth of training and over '
           'seeds. "bg" is the background column of T-CAS_full, "PL" the '
           'pseudo-label target.', '',
           '| run | row | ' + ' | '.join(n for _, n in DIAG) + ' |',
           '|---|---|' + '---|' * len(DIAG)]
    for lb, rows in by.items():
        for key in list(ROWS) + ['t4_gt', 't4_gt_train']:
            runs = rows.get(key, [])
            if not runs:
                continue
            cells = []
            for k, _ in DIAG:
                vals = [r['diagnostics'][k][-1] for r in runs
                        if k in r.get('diagnostics', {})]
                cells.append(f'{np.mean(vals):.2f}' if vals else '')
            num = ROWS[key][0] if key in ROWS else key
            out.append(f'| {lb} | {num} | ' + ' | '.join(cells) + ' |')
    return out


def runs_table(meta):
    """What each labelled run is: data regime, schedule and seeds."""
    out = ['### Runs', '',
           '| run | data regime (generator overrides) | iterations | '
           'T_train | widths | held-out videos | seeds |',
           '|---|---|---|---|---|---|---|']
    for lb, items in meta.items():
        a = items[0][1]['args']
        seeds = sorted({s for _, d in items for s in d['args']['seeds']})
        regime = ' '.join(a.get('gen_options') or []) or 'all difficulties on'
        out.append(f'| {lb} | {regime} | {a["iters"]} | {a["t_train"]} | '
                   f'{a["dim"]} + {a["dim"]} | {a.get("heldout", 0)} | '
                   f'{", ".join(map(str, seeds))} |')
    return out


def provenance(meta):
    out = ['### Commands and wall time', '']
    for lb, items in meta.items():
        for path, data in items:
            n = len(data['results'])
            out.append(f'- {lb}: `{data["command"]}` — {n} runs, wall '
                       f'{data["wall_s"] / 60:.1f} min (`{path}`)')
    return out


def report_parser(description, title):
    """The options every report renderer takes: ``--run LABEL=FILE``
    (repeatable), ``--title``, ``--intro`` (a markdown file put under the
    title) and ``--out``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--run', action='append', required=True,
                   help='LABEL=FILE, repeatable')
    p.add_argument('--title', default=title)
    p.add_argument('--intro', default='')
    p.add_argument('--out', required=True)
    return p


def report_head(args):
    """``(by, meta, lines)``: the loaded runs and the title and intro."""
    by, meta = load(args.run)
    lines = [f'# {args.title}', '']
    if args.intro:
        lines += [open(args.intro).read().strip(), '']
    return by, meta, lines


def main():
    args = report_parser(__doc__.split('\n')[0],
                         'Ablations (Tables 3 and 4)').parse_args()
    by, meta, lines = report_head(args)
    lines += runs_table(meta) + [''] + table4(by) + ['']
    for lb, rows in by.items():
        if any(k in rows for k in ('t3_03', 't3_07')):
            lines += table3(lb, rows) + ['']
    lines += inference_table(by) + [''] + diagnostics_table(by) + ['']
    lines += provenance(meta) + ['']
    with open(args.out, 'w') as f:
        f.write('\n'.join(lines))
    print(f'wrote {osp.abspath(args.out)}')


if __name__ == '__main__':
    main()
