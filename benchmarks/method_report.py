"""Render the selection of ``proposal_stage.classifier_grad`` (and the
other settings of ``benchmarks/run_method.sh``) from ablation JSONs.

Per regime (``--run LABEL=FILE``, repeatable, one label per layout and
data regime): the held-out AVG mAP with the T-RPN's curve and with the
classifier's own curve at test (the only numbers choices use), the
training mask against ground truth, and, separately, the test split
(reported, never chosen on).

Example::

    .venv/bin/python -m benchmarks.method_report \\
        --run "A=docs/results/ablation/method_sel_A.json" \\
        --out docs/benchmarks_method.md
"""
from collections import OrderedDict

import numpy as np

from benchmarks.ablation_report import (fmt, metric, provenance,
                                       report_head, report_parser)

LABELS = OrderedDict([
    ('t3_02', 'no proposals'),
    ('t3_10', 'T-RPN* (paper)'),
    ('t3_10n', 'T-RPN* + norm (`_fgnorm`)'),
    ('t3_10d', 'decoupled (`classifier_grad=\'none\'`)'),
    ('t3_10nd', 'decoupled + norm'),
    ('t3_10r', 'ramp (`\'ramp\'`, 0 to 1 over 300 it)'),
    ('t3_10c', 'coverage (`\'coverage\'`, gate 0 to 1 as the mask covers '
               '0.6 to 0.8 of a video)'),
    ('t3_10nc', 'coverage + norm'),
    ('t3_10ncl', 'coverage 0.45 to 0.65 + norm'),
    ('t3_10s', 'scaled (`\'scaled\'`, 0.3)'),
    ('t3_10e', 'T-RPN*, `form=\'eq10\'`'),
    ('t3_10m', 'T-RPN*, `L_ml` without its stage-2 term'),
    ('t3_10ncl_k20', 'default, classifier learns from the top 0.2 '
                     '(`classifier_topk_ratio=0.2`)'),
    ('t3_10ncl_k10', 'default, classifier learns from the top 0.1'),
    ('t3_10ncl_3w', 'default, three-way pseudo label'),
    ('t3_10cl_3w', 'default without norm, three-way pseudo label'),
    ('t3_10ncl_bgk', 'default, background top-k (T // 3, weight 0.5)'),
    ('t3_10p', 'T-RPN* (paper), `mask_features=False`'),
    ('t3_10np', '`_fgnorm`, `mask_features=False`'),
    ('t3_10nclp', 'default, `mask_features=False`'),
    ('co2net_none', 'CO2-Net, no proposals'),
    ('co2net_trpn-pl', 'CO2-Net, T-RPN* (paper)'),
    ('co2net_trpn-pl_fgnorm', 'CO2-Net, T-RPN* + norm'),
    ('co2net_trpn-pl_decoupled', 'CO2-Net, decoupled + norm'),
    ('co2net_trpn-pl_coverage', 'CO2-Net, coverage 0.45 to 0.65 + norm'),
])


def last(runs, key):
    vals = [r['diagnostics'][key][-1] for r in runs
            if key in r.get('diagnostics', {})]
    return f'{np.mean(vals):.2f}' if vals else ''


def selection_table(by, seeds):
    labels = list(by)
    out = [f'### Held-out videos (AVG mAP, mean ± std over {seeds})',
           '', 'Each cell: the T-RPN\'s curve at test '
           '(`fg_source=\'proposal\'`, the configs\' default) / the '
           'classifier\'s own curve (`fg_source=\'detector\'`, '
           '`1 - bg`); without proposals only the latter exists. Then '
           'the training mask ratio (last fifth of training), its '
           'precision against ground truth and, where logged, the mean '
           'classifier gate.', '',
           '| setting | ' + ' | '.join(
               f'{lb}: T-RPN / cls | {lb}: mask (prec.)' for lb in labels)
           + ' |', '|---|' + '---|---|' * len(labels)]
    for key, name in LABELS.items():
        cells = []
        for lb in labels:
            runs = by[lb].get(key, [])
            if not runs:
                cells += ['', '']
                continue
            trpn = fmt(metric(runs, 'metrics_heldout'))
            cls = fmt(metric(runs, 'metrics_heldout_fg_cls'))
            cells.append(f'{trpn} / {cls}' if cls else trpn)
            ratio = last(runs, 'proposal_ratio')
            gate = last(runs, 'classifier_gate')
            focus = last(runs, 'classifier_focus_ratio')
            cells.append((f'{ratio} ({last(runs, "prop_precision")})' +
                          (f', gate {gate}' if gate else '') +
                          (f', focus {focus}' if focus else ''))
                         if ratio else (f'(GT {last(runs, "gt_ratio")})'
                                        if last(runs, 'gt_ratio') else ''))
        if any(cells):
            out.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return out


def test_table(by):
    labels = list(by)
    out = ['### Test split (reported, not used for any choice)', '',
           '| setting | ' + ' | '.join(
               f'{lb}: T-RPN / cls' for lb in labels) + ' |',
           '|---|' + '---|' * len(labels)]
    for key, name in LABELS.items():
        cells = []
        for lb in labels:
            runs = by[lb].get(key, [])
            cls = fmt(metric(runs, 'metrics_fg_cls'))
            main = fmt(metric(runs, 'metrics'))
            cells.append(f'{main} / {cls}' if cls else main)
        if any(cells):
            out.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return out


def main():
    p = report_parser(__doc__.split('\n')[0],
                      'What the masked branch teaches the classifier')
    p.add_argument('--seeds-note', default='seeds 0 and 1')
    args = p.parse_args()
    by, meta, lines = report_head(args)
    lines += selection_table(by, args.seeds_note) + [''] + \
        test_table(by) + [''] + provenance(meta)
    with open(args.out, 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
