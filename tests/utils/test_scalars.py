"""mmtrpn.utils.scalars on hand-written MMEngine scalar logs."""
import json

import pytest

from mmtrpn.utils.scalars import (find_scalars, join_segments,
                                  load_scalars, read_scalars_file)


def _write(work_dir, stamp, records, tail=''):
    path = work_dir / stamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records) + tail)
    return path


def train(it, loss):
    return dict(loss=loss, lr=1e-3, time=0.5, data_time=0.1, iter=it,
                step=it)


def val(step, avg):
    return {'wstal/mAP_AVG': avg, 'data_time': 0.1, 'time': 0.2,
            'step': step}


def test_partial_last_line_is_skipped_and_epoch_stamp_fixed(tmp_path):
    path = _write(tmp_path, '20240101_000000',
                  [train(5, 2.0), val(0, 10.0), train(10, 1.0)],
                  tail='{"loss": 0.5, "it')
    with pytest.warns(UserWarning, match='scalars.json:4: skipped'):
        records = read_scalars_file(str(path))
    # the validation stamped 0 (the epoch) belongs to iteration 5
    assert records == [train(5, 2.0), val(5, 10.0), train(10, 1.0)]


def test_resumed_segments_join_into_one_run(tmp_path):
    # segment 1 ran to iteration 30 and was killed; its last checkpoint was
    # iteration 20, so segment 2 redoes 21-30 and goes on to 40
    _write(tmp_path, '20240101_000000',
           [train(10, 4.0), train(20, 3.0), val(20, 30.0), train(30, 9.0)])
    # segment 2 is killed during the last validation ...
    _write(tmp_path, '20240101_010000', [train(30, 2.0), train(40, 1.0)])
    # ... and resumed: segment 3 only runs the validation owed
    _write(tmp_path, '20240101_020000', [val(40, 35.0)])
    assert [p.split('/')[-3] for p in find_scalars(str(tmp_path))] == [
        '20240101_000000', '20240101_010000', '20240101_020000']
    assert load_scalars(str(tmp_path)) == [
        train(10, 4.0), train(20, 3.0), val(20, 30.0), train(30, 2.0),
        train(40, 1.0), val(40, 35.0)]
    # one segment by name, or by its folder
    assert load_scalars(str(tmp_path), '20240101_010000') == [
        train(30, 2.0), train(40, 1.0)]
    assert load_scalars(str(tmp_path / '20240101_000000'))[-1] == \
        train(30, 9.0)


def test_fresh_run_replaces_an_earlier_one():
    first = [train(10, 4.0), val(10, 20.0)]
    second = [train(10, 1.0), train(20, 0.5)]
    assert join_segments([first, second]) == second
    # segments without training records (a validation owed) replace
    # nothing
    assert join_segments([first, [val(0, 50.0)]]) == first + [val(0, 50.0)]


def test_nothing_to_read_names_the_place(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        find_scalars(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='20990101_000000'):
        find_scalars(str(tmp_path), '20990101_000000')
