"""tools/eval_results.py: once as a script, the rest in-process (each
interpreter start imports torch, ~4 s)."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'eval_results.py'


def _write(tmp_path, results):
    gt = {
        'classes': ['Jump', 'Throw'],
        'database': {
            'v1': {'subset': 'test', 'duration': 100.0, 'annotations': [
                {'label': 'Jump', 'segment': [0, 10]}]},
            'v2': {'subset': 'test', 'duration': 100.0, 'annotations': [
                {'label': 'Throw', 'segment': [20, 30]},
                {'label': 'Jump', 'segment': [60, 70]}]},
            'v3': {'subset': 'validation', 'duration': 50.0,
                   'annotations': [{'label': 'Jump', 'segment': [0, 5]}]},
        }
    }
    gt_path, pred_path = tmp_path / 'gt.json', tmp_path / 'pred.json'
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps({
        'version': 'test', 'results': results, 'external_data': {}}))
    return gt_path, pred_path


def _run(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def _load_tool():
    spec = importlib.util.spec_from_file_location('eval_results', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _main(*args):
    return tool.main([str(a) for a in args])


RESULTS = {
    'v1': [{'label': 'Jump', 'segment': [0, 10], 'score': .9},
           {'label': 'Jump', 'segment': [40, 50], 'score': .8}],
    'v2': [{'label': 'Throw', 'segment': [20, 30], 'score': .7}],
}


def test_tool_json_output(tmp_path):
    gt, pred = _write(tmp_path, RESULTS)
    proc = _run('--gt', gt, '--pred', pred, '--subset', 'test', '--tiou',
                '0.1:0.7:0.1', '--json')
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # Jump AP .5 (1 of 2 gt, FP after the TP), Throw AP 1 -> 75 %
    assert out['metrics']['mAP@0.10'] == pytest.approx(75.0)
    assert out['metrics']['mAP_AVG[0.3:0.7]'] == pytest.approx(75.0)
    assert out['tiou_thresholds'] == pytest.approx(
        [.1, .2, .3, .4, .5, .6, .7])
    assert out['num_ground_truth'] == 3 and out['num_predictions'] == 3
    assert out['per_class_ap']['Throw'][0] == pytest.approx(100.0)


def test_tool_table_blocked_and_ambiguous(tmp_path, capsys):
    gt, pred = _write(tmp_path, RESULTS)
    blocked = tmp_path / 'blocked.txt'
    blocked.write_text('v2\n')
    amb = tmp_path / 'Ambiguous_test.txt'
    amb.write_text('v1 45.0 46.0\n')
    assert _main('--gt', gt, '--pred', pred, '--subset', 'test', '--tiou',
                 '0.5', '--blocked-videos', blocked, '--drop-ambiguous',
                 amb) == 0
    out = capsys.readouterr().out
    # v2 blocked, the FP in v1 dropped: Jump AP 1, Throw has no gt.
    assert '0.50' in out and '100.00' in out


def test_tool_unknown_video_and_class(tmp_path):
    gt, pred = _write(tmp_path, {'v9': RESULTS['v1']})
    with pytest.raises(ValueError, match="'v9'"):
        _main('--gt', gt, '--pred', pred, '--subset', 'test')
    # v3 exists but belongs to another subset.
    gt, pred = _write(tmp_path, {'v3': RESULTS['v1']})
    with pytest.raises(ValueError, match="'v3'"):
        _main('--gt', gt, '--pred', pred, '--subset', 'test')
    gt, pred = _write(
        tmp_path, {'v1': [{'label': 'Swim', 'segment': [0, 1], 'score': 1}]})
    with pytest.raises(ValueError, match='Swim'):
        _main('--gt', gt, '--pred', pred, '--subset', 'test')


def test_parse_tious():
    assert tool.parse_tious('0.5:0.95:0.05') == pytest.approx(
        [.5, .55, .6, .65, .7, .75, .8, .85, .9, .95])
    assert tool.parse_tious('0.3,0.5') == pytest.approx([.3, .5])


@pytest.mark.parametrize('text', ['0', '-0.5', '1.5', 'nan', '0.3,inf',
                                  '0:0.5:0.1', '0.5:1.2:0.1'])
def test_tiou_out_of_range_is_refused(text):
    # tIoU 0 counts every overlap-free guess, > 1 matches nothing: both gave
    # a number without a word before.
    import argparse
    with pytest.raises(argparse.ArgumentTypeError, match='0 < t <= 1'):
        tool.parse_tious(text)


def test_tiou_out_of_range_exits_with_a_message(tmp_path):
    gt, pred = _write(tmp_path, RESULTS)
    proc = _run('--gt', gt, '--pred', pred, '--tiou', '0')
    assert proc.returncode == 2
    assert '--tiou' in proc.stderr and '0 < t <= 1' in proc.stderr


def test_tool_and_dataset_metric_agree_on_segments_past_the_end(tmp_path):
    # tools/test.py scores the dataset's ground truth, which is clipped to
    # the video with empty segments dropped; the offline loader kept them
    # (THUMOS-14 has 30 such segments: 53.91 vs 46.45). One rule now.
    from mmtrpn.evaluation import TemporalMAPMetric
    from mmtrpn.registry import DATASETS
    from mmtrpn.utils import register_all_modules
    gt = {'classes': ['Jump', 'Throw'], 'database': {
        'v1': {'subset': 'test', 'duration': 100.0, 'annotations': [
            {'label': 'Jump', 'segment': [90, 115]},    # clipped to 100
            {'label': 'Jump', 'segment': [102, 108]}]},  # dropped
        'v2': {'subset': 'test', 'duration': 50.0, 'annotations': [
            {'label': 'Throw', 'segment': [20, 30]}]}}}
    results = {'v1': [{'label': 'Jump', 'segment': [90, 100], 'score': .9}],
               'v2': [{'label': 'Throw', 'segment': [20, 30], 'score': .8}]}
    (tmp_path / 'ann.json').write_text(json.dumps(gt))
    (tmp_path / 'pred.json').write_text(json.dumps(
        {'version': 't', 'results': results, 'external_data': {}}))
    out = tmp_path / 'out.json'
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.warns(UserWarning,
                                                       match='clipped'):
        _main('--gt', tmp_path / 'ann.json', '--pred', tmp_path / 'pred.json',
              '--subset', 'test', '--json')
    offline = json.loads(buf.getvalue())['metrics']
    # Clipped, every prediction matches its ground truth exactly.
    assert offline['mAP_AVG'] == pytest.approx(100.0)

    register_all_modules(init_default_scope=False)
    with pytest.warns(UserWarning, match='clipped'):
        dataset = DATASETS.build(dict(
            type='WSTALFeatureDataset', ann_file='ann.json',
            data_root=str(tmp_path), subset='test', pipeline=[]))
    metric = TemporalMAPMetric()
    metric.dataset_meta = dataset.metainfo
    for info in dataset.load_data_list():
        det = results[info['video_name']][0]
        metric.process({}, [dict(
            video_name=info['video_name'],
            pred_segments=np.array([det['segment']], np.float64),
            pred_labels=np.array([gt['classes'].index(det['label'])]),
            pred_scores=np.array([det['score']]),
            gt_segments=info['gt_segments'], gt_labels=info['gt_labels'])])
    online = metric.compute_metrics(metric.results)
    assert online == pytest.approx(offline)


def test_videos_without_predictions_are_warned_with_the_subset(
        tmp_path, capsys):
    # Issue 19 case 11: results of the test subset scored without
    # --subset counted the validation video's instance as missed.
    gt, pred = _write(tmp_path, RESULTS)
    assert _main('--gt', gt, '--pred', pred, '--tiou', '0.5') == 0
    err = capsys.readouterr().err
    assert ("warning: 1 of 3 ground-truth videos have no entry in "
            f"{pred} (e.g. ['v3'])") in err
    assert "look like subset 'test' (2 of its 2 videos): pass --subset " \
        "test" in err
    assert _main('--gt', gt, '--pred', pred, '--tiou', '0.5', '--subset',
                 'test') == 0
    assert 'warning' not in capsys.readouterr().err
    # Within the right subset, a video without entry is still named.
    gt, pred = _write(tmp_path, {'v1': RESULTS['v1']})
    assert _main('--gt', gt, '--pred', pred, '--tiou', '0.5', '--subset',
                 'test') == 0
    err = capsys.readouterr().err
    assert "1 of 2 ground-truth videos of subset 'test' have no entry" in err
    assert 'pass --subset' not in err


def test_the_scorer_imports_neither_torch_nor_mmengine():
    # torch alone took 1 s and 280 MB of a 1M-prediction run (issue 18).
    code = ('import runpy, sys; sys.argv = ["eval_results.py", "--help"]\n'
            'try:\n'
            f'    runpy.run_path({str(TOOL)!r}, run_name="__main__")\n'
            'except SystemExit:\n'
            '    pass\n'
            'print(sorted(m for m in ("torch", "mmengine", "orjson") '
            'if m in sys.modules))')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=120,
                          cwd=str(TOOL.parents[1]))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == '[]'
