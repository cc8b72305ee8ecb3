"""The HTML report in a real headless Chromium (file://, no server): no
console errors, the tables hold the run's numbers, a video page opens
with its figure. Skipped where Chromium, chromedriver or selenium is
missing; tools/analysis/check_report_browser.py is the same check for CI.
"""
import importlib.util
from pathlib import Path

import pytest

from mmtrpn.evaluation.functional import temporal_map
from mmtrpn.apis import write_report
from report_case import GT, PRED, curves

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'analysis' / \
    'check_report_browser.py'
spec = importlib.util.spec_from_file_location('check_report_browser', TOOL)
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

TIOUS = [0.3, 0.5, 0.7]


@pytest.fixture(scope='module')
def browser():
    found = tool.find_browser()
    if found is None:
        pytest.skip('headless browser check needs chromium, chromedriver '
                    'and selenium (requirements/tests.txt)')
    return found


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp('report') / 'report.html'
    write_report(str(path), gt=GT, pred=PRED, tious=TIOUS, curves=curves(),
                 max_videos=1)
    return str(path)


def test_report_in_headless_chromium(tmp_path, browser, report):
    shot = tmp_path / 'video.png'
    got = tool.check_report(report, video='v1', screenshot=str(shot),
                            browser=browser)
    assert got['errors'] == []
    ap, mean_ap = temporal_map(*PRED.values(), GT['video_ids'],
                               GT['segments'], GT['labels'], 2, TIOUS)
    assert got['map_table'][0] == ['', '0.30', '0.50', '0.70', 'AVG']
    assert got['map_table'][1] == ['mAP'] + [
        f'{100 * v:.2f}' for v in mean_ap] + [f'{100 * mean_ap.mean():.2f}']
    assert got['class_ap_table'][1][:3] == ['A', f'{100 * ap[0, 0]:.2f}',
                                            f'{100 * ap[1, 0]:.2f}']
    assert got['num_videos_listed'] == 2
    assert got['video_heading'] == 'v1 (64 s)'
    assert got['figure_width'] > 500
    assert got['video_gt_table'][1] == ['A', '10', '20', 'yes']
    assert shot.read_bytes().startswith(b'\x89PNG')


def test_check_script_exit_codes(browser, report, capsys):
    assert tool.main([report, '--expect-map', '0.50=66.67']) == 0
    assert tool.main([report, '--expect-map', '0.50=1.00']) == 1
    assert 'report shows 66.67, expected 1.00' in capsys.readouterr().out
