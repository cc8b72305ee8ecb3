"""One training per work dir: a second one is refused naming the first."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from mmtrpn.utils.work_dir_lock import LOCK_NAME, WorkDirLock

HOLD = '''
import sys, time
from mmtrpn.utils.work_dir_lock import WorkDirLock
lock = WorkDirLock(sys.argv[1]).acquire()
print('HELD', flush=True)
time.sleep(120)
'''


@pytest.fixture
def holder(tmp_path):
    """A process holding the lock of ``tmp_path / 'work'``."""
    proc = subprocess.Popen(
        [sys.executable, '-c', textwrap.dedent(HOLD), str(tmp_path / 'work')],
        stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'HELD'
    yield proc
    proc.kill()
    proc.wait()
    proc.stdout.close()


def test_second_holder_is_refused_naming_the_first(tmp_path, holder):
    with pytest.raises(RuntimeError) as info:
        WorkDirLock(tmp_path / 'work').acquire()
    message = str(info.value)
    assert f'process {holder.pid}' in message
    assert str(tmp_path / 'work') in message and '--work-dir' in message


def test_lock_of_a_killed_process_is_taken_over(tmp_path, holder):
    holder.kill()  # SIGKILL: no clean-up ran, the record stays
    holder.wait()
    record = json.loads((tmp_path / 'work' / LOCK_NAME).read_text())
    assert record['pid'] == holder.pid
    lock = WorkDirLock(tmp_path / 'work').acquire()
    try:
        assert lock.took_over['pid'] == holder.pid
        record = json.loads((tmp_path / 'work' / LOCK_NAME).read_text())
        assert record['pid'] == os.getpid()
    finally:
        lock.release()


def test_stale_record_of_a_dead_pid_without_kernel_lock(tmp_path,
                                                        monkeypatch):
    # File systems without flock: the recorded pid decides.
    import socket

    from mmtrpn.utils import work_dir_lock
    monkeypatch.setattr(work_dir_lock, 'fcntl', None)
    work = tmp_path / 'work'
    work.mkdir()
    dead = subprocess.run([sys.executable, '-c', 'import os; '
                           'print(os.getpid())'], capture_output=True,
                          text=True).stdout.strip()
    (work / LOCK_NAME).write_text(json.dumps(
        dict(pid=int(dead), host=socket.gethostname(), command='x')))
    with WorkDirLock(work) as lock:
        assert lock.took_over['pid'] == int(dead)
    # A live one on this host is refused.
    (work / LOCK_NAME).write_text(json.dumps(
        dict(pid=os.getppid(), host=socket.gethostname(), command='other')))
    with pytest.raises(RuntimeError, match=f'process {os.getppid()}'):
        WorkDirLock(work).acquire()


def test_released_lock_is_free_again(tmp_path):
    with WorkDirLock(tmp_path):
        pass
    with WorkDirLock(tmp_path) as lock:
        assert lock.took_over is None
