"""The HTML report and its curves file, without a browser (the browser
check is tests/apis/test_report_browser.py)."""
import functools
import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmtrpn.apis import WSTALReportHook, build_report, curves_path
from mmtrpn.evaluation.functional import summarize_map, temporal_map
from mmtrpn.visualization import load_curves
from report_case import CLASSES, GT, MAP_AT_05, PRED, curves

TIOUS = [0.3, 0.5, 0.7]


def _report(**kw):
    if not kw:
        return _default_report()
    kw.setdefault('curves', curves())
    kw.setdefault('max_videos', 1)
    return build_report(gt=GT, pred=PRED, tious=TIOUS, **kw)


@functools.lru_cache(maxsize=1)
def _default_report():
    """Built once: figures are the slow part."""
    return build_report(gt=GT, pred=PRED, tious=TIOUS, curves=curves(),
                        max_videos=1)


def _table(page, table_id):
    body = re.search(f'<table id="{table_id}">(.*?)</table>', page).group(1)
    return [re.findall(r'<t[hd]>(.*?)</t[hd]>', row)
            for row in re.findall(r'<tr>(.*?)</tr>', body)]


def _data(page):
    raw = re.search(r'<script type="application/json" id="report-data">'
                    r'(.*?)</script>', page, re.S).group(1)
    return json.loads(raw)


def test_report_tables_hold_the_numbers():
    page = _report()
    ap, mean_ap = temporal_map(*PRED.values(), GT['video_ids'],
                               GT['segments'], GT['labels'], 2, TIOUS)
    rows = _table(page, 'map-table')
    assert rows[0] == ['', '0.30', '0.50', '0.70', 'AVG']
    assert rows[1][2] == f'{100 * MAP_AT_05:.2f}' == '66.67'
    assert rows[1][1:] == [f'{100 * v:.2f}' for v in mean_ap] + [
        f'{100 * mean_ap.mean():.2f}']
    classes = _table(page, 'class-ap-table')
    assert [r[0] for r in classes[1:]] == CLASSES
    assert classes[1][2] == f'{100 * (0.5 + 1 / 3):.2f}'  # A at 0.5
    gains = {r[0]: r[2] for r in _table(page, 'gain-table')[1:]}
    # Removing the double detection lifts A's second TP to rank 2:
    # AP_A = 1, mAP = .75, gain 75 - 66.67.
    assert gains['double detection'] == '+8.33'
    assert gains['background'] == '+0.00'


def test_report_is_one_self_contained_file():
    page = _report()
    assert not re.search(r'(src|href)="(?!data:|#)', page)
    assert 'http://' not in page and 'https://' not in page
    videos = _data(page)['videos']
    assert [v['name'] for v in videos] == ['v1', 'v2']
    assert videos[0]['figure'].startswith('data:image/png;base64,')
    assert 'figure' not in videos[1]  # max_videos=1
    v1, v2 = videos
    assert (v1['tp'], v1['fp'], v1['fn'], v2['fn']) == (3, 1, 0, 1)
    assert [d[-1] for d in v1['det']] == [
        'true positive', 'true positive', 'double detection',
        'true positive']


def test_run_metrics_shown_beside_and_difference_noted():
    logged = {'wstal/mAP@0.50': 100 * MAP_AT_05, 'wstal/mAP@0.30': 50.0}
    rows = _table(_report(max_videos=0, run_metrics=logged), 'map-table')
    assert rows[2][0] == 'mAP as logged by the run'
    assert rows[2][2] == '66.67' and rows[2][1] == '50.00'
    assert 'differs from this' in _report(max_videos=0,
                                          run_metrics={'mAP@0.30': 1.0})


def test_video_name_cannot_close_the_script():
    gt = dict(GT, videos=['v1</script>', 'v2'],
              video_ids=np.array(['v1</script>'] * 3 + ['v2']))
    pred = dict(PRED, video_ids=np.array(['v1</script>'] * 4))
    page = build_report(gt=gt, pred=pred, tious=TIOUS, max_videos=0)
    assert _data(page)['videos'][0]['name'] == 'v1</script>'


def _sample(video):
    c = curves()[video]
    s = BaseDataElement(metainfo=dict(video_name=video,
                                      duration=c['duration'],
                                      snippet_duration=0.64))
    pick = PRED['video_ids'] == video
    s.pred_segments = torch.tensor(PRED['segments'][pick])
    s.pred_labels = torch.tensor(PRED['labels'][pick])
    s.pred_scores = torch.tensor(PRED['scores'][pick])
    pick = GT['video_ids'] == video
    s.gt_segments = torch.tensor(GT['segments'][pick])
    s.gt_labels = torch.tensor(GT['labels'][pick])
    for key in ('fg_curve', 'cas', 'proposal_mask', 'video_scores'):
        setattr(s, key, torch.tensor(c[key]))
    return s


def test_hook_writes_report_and_curves(tmp_path):
    from mmtrpn.registry import HOOKS
    from mmtrpn.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    out = str(tmp_path / 'run' / 'report.html')
    hook = HOOKS.build(dict(type='WSTALReportHook', out_file=out,
                            max_videos=1))
    assert isinstance(hook, WSTALReportHook)
    metric = SimpleNamespace(tiou_thresholds=np.array(TIOUS))
    runner = SimpleNamespace(
        test_dataloader=SimpleNamespace(
            dataset=SimpleNamespace(metainfo=dict(classes=CLASSES))),
        test_evaluator=SimpleNamespace(metrics=[metric]),
        work_dir=str(tmp_path), cfg=dict(load_from='ckpt.pth'))
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, None, [_sample('v1')])
    # The distributed sampler's padding repeats a video: counted once.
    hook.after_test_iter(runner, 1, None, [_sample('v2'), _sample('v1')])
    _, mean_ap = temporal_map(*PRED.values(), GT['video_ids'],
                              GT['segments'], GT['labels'], 2, TIOUS)
    logged = {f'wstal/{k}': v
              for k, v in summarize_map(TIOUS, mean_ap).items()}
    hook.after_test_epoch(runner, logged)
    page = open(out, encoding='utf-8').read()
    rows = _table(page, 'map-table')
    assert rows[1][2] == rows[2][2] == '66.67'
    assert '<p class="note">' not in page  # the run's numbers agree
    assert list(load_curves(curves_path(out))) == ['v1', 'v2']
