"""tools/analysis/diagnose.py and make_report.py, in-process, on the
hand-built case of tests/evaluation/test_diagnosis.py written to files."""
import importlib.util
import json
from pathlib import Path

import numpy as np

from mmtrpn.structures.annotations import (detections_to_results,
                                           write_results_file)
from mmtrpn.visualization import save_curves

ROOT = Path(__file__).resolve().parents[2]


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        name, ROOT / 'tools' / 'analysis' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# v1 (100 s): A [10, 20], A [40, 50], B [60, 70]; v2 (50 s): B [5, 25].
ANNOTATIONS = dict(classes=['A', 'B'], database=dict(
    v1=dict(subset='test', duration=100.0, annotations=[
        dict(label='A', segment=[10, 20]), dict(label='A', segment=[40, 50]),
        dict(label='B', segment=[60, 70])]),
    v2=dict(subset='test', duration=50.0, annotations=[
        dict(label='B', segment=[5, 25])]),
    v3=dict(subset='validation', duration=10.0, annotations=[])))
# A: TP, double detection, background, then A2's TP; B: TP.
DETS = dict(v1=detections_to_results(
    [[10, 20], [10, 19], [85, 90], [40, 50], [60, 70]], [0, 0, 0, 0, 1],
    [0.9, 0.8, 0.4, 0.3, 0.95], ['A', 'B']))


def _files(tmp_path):
    gt = tmp_path / 'annotations.json'
    gt.write_text(json.dumps(ANNOTATIONS))
    pred = tmp_path / 'results.json'
    write_results_file(str(pred), DETS)
    return str(gt), str(pred)


def test_diagnose_prints_table_and_writes_out_dir(tmp_path, capsys):
    gt, pred = _files(tmp_path)
    out = tmp_path / 'diag'
    assert _tool('diagnose').main(['--gt', gt, '--pred', pred, '--subset',
                                   'test', '--out', str(out)]) == 0
    text = capsys.readouterr().out
    # A: TP at ranks 1 and 4 of 4, npos 2 -> .5 + .5 * 2/4 = .75; B: .5.
    assert 'mAP@0.5 = 62.50 %' in text
    assert '| double detection' in text
    summary = json.loads((out / 'diagnosis.json').read_text())
    assert summary['mAP'] == 0.625
    # Without the double detection or the background error A's second TP
    # is at rank 3: AP_A = .5 + .5 * 2/3.
    gain = (0.5 + 1 / 3 - 0.75) / 2
    assert np.isclose(summary['mAP_gain']['double detection'], gain)
    assert np.isclose(summary['mAP_gain']['background'], gain)
    assert summary['mAP_gain']['wrong label'] == 0.0
    assert summary['false_negative_rate'] == 0.25
    for name in ('false_positives.png', 'ground_truth_bins.png',
                 'report.html'):
        assert (out / name).stat().st_size > 1000


def test_diagnose_json_and_bad_input(tmp_path, capsys):
    gt, pred = _files(tmp_path)
    assert _tool('diagnose').main(['--gt', gt, '--pred', pred, '--json',
                                   '--bins', 'activitynet']) == 0
    got = json.loads(capsys.readouterr().out)
    assert got['characteristics']['length']['edges'][1] == 30


def test_make_report_from_dump_with_curves(tmp_path):
    gt, pred = _files(tmp_path)
    curves = tmp_path / 'c.npz'
    save_curves(str(curves), [dict(
        video_name='v1', duration=100.0, snippet_duration=1.0,
        fg_curve=np.linspace(0, 1, 100), cas=np.zeros((100, 2)))])
    out = tmp_path / 'r.html'
    assert _tool('make_report').main([
        '--gt', gt, '--pred', pred, '--subset', 'test', '--curves',
        str(curves), '--tiou', '0.3,0.5', '--max-videos', '1', '--out',
        str(out)]) == 0
    page = out.read_text()
    assert '<th>0.30</th><th>0.50</th>' in page
    assert '<td>62.50</td>' in page
