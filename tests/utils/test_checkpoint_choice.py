"""tools/test.py's choice of checkpoint and config from a work dir."""
import os

import pytest

from mmtrpn.utils.checkpoint_choice import (choose_checkpoint,
                                            config_of_work_dir)


def _touch(folder, name, mtime):
    path = folder / name
    path.write_bytes(b'x')
    os.utime(path, (mtime, mtime))
    return str(path)


def test_best_wins_over_later_iterations(tmp_path):
    # The demo's case: validation kept iter_200, training went on to 400.
    best = _touch(tmp_path, 'best_wstal_mAP_AVG_iter_200.pth', 100)
    _touch(tmp_path, 'iter_400.pth', 200)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_400.pth'))
    assert choose_checkpoint(str(tmp_path)) == (
        best, 'the best checkpoint validation kept')


def test_newest_of_several_best_files_and_says_so(tmp_path):
    _touch(tmp_path, 'best_wstal_mAP_AVG_iter_300.pth', 100)
    newest = _touch(tmp_path, 'best_wstal_mAP_AVG_iter_100.pth', 300)
    path, why = choose_checkpoint(str(tmp_path))
    assert path == newest
    assert 'newest of 2' in why and 'iter_300.pth not used' in why


def test_without_best_the_last_checkpoint_even_after_a_move(tmp_path):
    _touch(tmp_path, 'iter_10.pth', 100)
    latest = _touch(tmp_path, 'iter_20.pth', 50)
    # Written where the work dir was before it moved here.
    (tmp_path / 'last_checkpoint').write_text('/elsewhere/iter_20.pth')
    assert choose_checkpoint(str(tmp_path))[0] == latest


def test_without_pointer_the_largest_step(tmp_path):
    latest = _touch(tmp_path, 'iter_100.pth', 1)
    _touch(tmp_path, 'iter_20.pth', 2)
    _touch(tmp_path, 'other.pth', 3)
    path, why = choose_checkpoint(str(tmp_path))
    assert path == latest and why == 'no best_*.pth; the latest checkpoint'


def test_empty_work_dir_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='No checkpoint in'):
        choose_checkpoint(str(tmp_path))


def test_config_of_work_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match='found none'):
        config_of_work_dir(str(tmp_path))
    _touch(tmp_path, 'trpn_synthetic.py', 1)
    assert config_of_work_dir(str(tmp_path)).endswith('trpn_synthetic.py')
    _touch(tmp_path, 'other.py', 1)
    with pytest.raises(FileNotFoundError, match='other.py, trpn_synthetic'):
        config_of_work_dir(str(tmp_path))
