"""last_checkpoint: atomic, by name, resolved in its own work dir (issue
19, cases 2 and 17)."""
import os

import pytest

from mmtrpn.utils.compat import apply_compat_fixes
from mmtrpn.utils.last_checkpoint import (newest_step_checkpoint,
                                          remove_stale_temporaries,
                                          resolve_last_checkpoint,
                                          write_last_checkpoint)


def _ckpt(folder, name, size=4):
    path = folder / name
    path.write_bytes(b'x' * size)
    return path


def test_record_names_the_file_and_a_copy_resumes_its_own(tmp_path):
    a, b = tmp_path / 'A', tmp_path / 'B'
    a.mkdir()
    _ckpt(a, 'iter_10.pth')
    write_last_checkpoint(str(a), str(a / 'iter_10.pth'))
    assert (a / 'last_checkpoint').read_text() == 'iter_10.pth'
    os.rename(a, b)
    assert resolve_last_checkpoint(str(b)) == str(b / 'iter_10.pth')


def test_old_absolute_record_of_a_copied_work_dir(tmp_path):
    # MMEngine's record: the absolute path of the original run's file.
    a, b = tmp_path / 'A', tmp_path / 'B'
    for folder in (a, b):
        folder.mkdir()
        _ckpt(folder, 'iter_10.pth')
    _ckpt(a, 'iter_20.pth')  # A trained on after the copy
    (b / 'last_checkpoint').write_text(str(a / 'iter_20.pth'))
    with pytest.raises(ValueError, match='outside this work dir'):
        resolve_last_checkpoint(str(b))
    (b / 'last_checkpoint').write_text(str(a / 'iter_10.pth'))
    with pytest.warns(UserWarning, match='copied'):
        assert resolve_last_checkpoint(str(b)) == str(b / 'iter_10.pth')


@pytest.mark.parametrize('record', ['', 'iter_30.pth'])
def test_empty_or_dangling_record_falls_back_to_newest(tmp_path, record):
    for name in ('iter_10.pth', 'iter_20.pth', 'iter_9.pth',
                 'best_x_iter_40.pth'):
        _ckpt(tmp_path, name)
    _ckpt(tmp_path, 'iter_25.pth', size=0)  # cut by a kill: skipped
    (tmp_path / 'last_checkpoint').write_text(record)
    with pytest.warns(UserWarning, match='newest checkpoint'):
        got = resolve_last_checkpoint(str(tmp_path))
    assert got == str(tmp_path / 'iter_20.pth')
    assert newest_step_checkpoint(str(tmp_path / 'none')) is None


def test_stale_temporaries_are_removed(tmp_path):
    stale = _ckpt(tmp_path, '.iter_20.pth.k2j4x8.tmp', size=100)
    kept = [_ckpt(tmp_path, 'iter_20.pth'), _ckpt(tmp_path, 'notes.tmp')]
    assert remove_stale_temporaries(str(tmp_path)) == [str(stale)]
    assert not stale.exists() and all(p.exists() for p in kept)


def test_checkpoint_hook_writes_the_record_atomically(tmp_path):
    # MMEngine's CheckpointHook writes it with open('w'); patched, the
    # write goes through a temporary file and stores the name.
    apply_compat_fixes()
    from mmengine.hooks import checkpoint_hook
    path = tmp_path / 'last_checkpoint'
    path.write_text('iter_10.pth')
    with checkpoint_hook.open(str(path), 'w') as f:
        f.write(str(tmp_path / 'iter_20.pth'))
        assert path.read_text() == 'iter_10.pth'  # untouched until closed
    assert path.read_text() == 'iter_20.pth'
    with checkpoint_hook.open(str(path)) as f:  # other opens unchanged
        assert f.read() == 'iter_20.pth'
