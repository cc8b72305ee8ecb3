"""tools/analysis/plot_curves.py on fabricated MMEngine scalar logs."""
import importlib.util
import json
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'analysis' / \
    'plot_curves.py'
spec = importlib.util.spec_from_file_location('plot_curves', TOOL)
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)


def _write_run(work_dir, stamp, lines, tail=''):
    path = work_dir / stamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(x) + '\n' for x in lines) + tail)
    return path


def _train(it, loss):
    return dict(lr=1e-3, loss=loss, loss_mil_full=loss / 2, loss_kl=0.1,
                proposal_ratio=0.5, iter=it, step=it)


def _val(step, avg):
    return {'wstal/mAP@0.10': avg + 10, 'wstal/mAP@0.50': avg - 5,
            'wstal/mAP_AVG': avg, 'data_time': 0.1, 'step': step}


def test_latest_run_losses_and_val(tmp_path):
    _write_run(tmp_path, '20240101_000000', [_train(10, 9.0)])
    # Validation stamped with step 0 (LoggerHook's log_metric_by_epoch in an
    # iteration-based run) is placed at the preceding training iteration.
    _write_run(
        tmp_path, '20240102_000000',
        [_train(10, 3.0), _train(20, 2.0), _val(0, 30.0), _train(30, 1.0),
         _train(40, 0.5), _val(40, 35.0)],
        tail='{"loss": 0.4, "it')  # killed mid-write
    # the second run started afresh at iteration 10: it replaces the first
    losses, val = tool.curves(tool.join_segments(
        [tool.read_scalars_file(p) for p in tool.find_scalars(
            str(tmp_path))]))
    assert set(losses) == {'loss', 'loss_mil_full', 'loss_kl'}
    assert losses['loss'] == ([10, 20, 30, 40], [3.0, 2.0, 1.0, 0.5])
    assert set(val) == {'wstal/mAP@0.10', 'wstal/mAP@0.50', 'wstal/mAP_AVG'}
    assert val['wstal/mAP_AVG'] == ([20, 40], [30.0, 35.0])

    out = tmp_path / 'curves.png'
    assert tool.main([str(tmp_path), '--out', str(out)]) == 0
    assert out.read_bytes().startswith(b'\x89PNG') and \
        out.stat().st_size > 5000
    # An older run by name, and the default output place.
    assert tool.main([str(tmp_path), '--timestamp', '20240101_000000']) == 0
    assert (tmp_path / 'curves.png').exists()


def test_run_folder_without_validation(tmp_path):
    run = _write_run(tmp_path, '20240101_000000',
                     [_train(5, 2.0), _train(10, 1.0)]).parents[1]
    out = tmp_path / 'c.png'
    assert tool.main([str(run), '--out', str(out)]) == 0
    assert out.stat().st_size > 0


def test_errors(tmp_path):
    with pytest.raises(SystemExit, match='scalars.json'):
        tool.main([str(tmp_path)])
    _write_run(tmp_path, '20240101_000000', [{'lr': 1.0, 'step': 1}])
    with pytest.raises(SystemExit, match='no loss or mAP'):
        tool.main([str(tmp_path)])


def test_resumed_run_is_one_curve(tmp_path):
    # killed after iteration 30 with its last checkpoint at 20, resumed
    _write_run(tmp_path, '20240101_000000',
               [_train(10, 3.0), _train(20, 2.0), _val(20, 30.0),
                _train(30, 9.9)])
    _write_run(tmp_path, '20240101_010000',
               [_train(30, 1.0), _train(40, 0.5), _val(40, 35.0)])
    out = tmp_path / 'c.png'
    assert tool.main([str(tmp_path), '--out', str(out)]) == 0
    losses, val = tool.curves(tool.join_segments(
        [tool.read_scalars_file(p) for p in tool.find_scalars(
            str(tmp_path))]))
    assert losses['loss'] == ([10, 20, 30, 40], [3.0, 2.0, 1.0, 0.5])
    assert val['wstal/mAP_AVG'] == ([20, 40], [30.0, 35.0])
