"""One training per work dir: a second one is refused naming the first."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from mmtrpn.utils.work_dir_lock import (OWNER_NAME, WorkDirLock,
                                        live_training_around,
                                        refuse_writes_into_live_training,
                                        took_over_message)

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
    record = json.loads((tmp_path / 'work' / OWNER_NAME).read_text())
    assert record['pid'] == holder.pid
    lock = WorkDirLock(tmp_path / 'work').acquire()
    try:
        assert lock.took_over['pid'] == holder.pid
        record = json.loads((tmp_path / 'work' / OWNER_NAME).read_text())
        assert record['pid'] == os.getpid()
    finally:
        lock.release()


def _record(work, pid):
    import socket
    (work / OWNER_NAME).write_text(json.dumps(
        dict(pid=pid, host=socket.gethostname(), command='x')))


def test_message_says_whether_the_recorded_holder_is_alive(tmp_path):
    # Issue 19 case 2: a work dir copied while its training ran said it
    # "took over the lock" of a process that was alive.
    work = tmp_path / 'work'
    work.mkdir()
    _record(work, os.getppid())  # alive, but holds no lock here: a copy
    with WorkDirLock(work) as lock:
        message = took_over_message(lock.took_over)
    assert 'still running' in message and 'copy' in message
    assert 'did not end cleanly' not in message
    dead = subprocess.run([sys.executable, '-c', 'import os; '
                           'print(os.getpid())'], capture_output=True,
                          text=True).stdout.strip()
    _record(work, int(dead))
    with WorkDirLock(work) as lock:
        message = took_over_message(lock.took_over)
    assert 'did not end cleanly' in message and dead in message


def test_outputs_inside_a_live_training_are_refused(tmp_path, holder):
    # Issue 19 case 3: tools/test.py and inference.py never write there.
    inside = tmp_path / 'work' / 'sub' / 'results.json'
    assert live_training_around(inside)[0] == str(tmp_path / 'work')
    with pytest.raises(SystemExit, match=f'process {holder.pid}'):
        refuse_writes_into_live_training([str(inside)], 'tools/test.py')
    refuse_writes_into_live_training([str(tmp_path / 'elsewhere.json')])
    holder.kill()
    holder.wait()
    assert live_training_around(inside) is None


def test_released_lock_is_free_again(tmp_path):
    with WorkDirLock(tmp_path):
        pass
    with WorkDirLock(tmp_path) as lock:
        assert lock.took_over is None
