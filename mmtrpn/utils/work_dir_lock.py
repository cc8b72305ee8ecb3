"""One training per work dir.

Two trainings in one work dir interleave the log and ``scalars.json`` and
overwrite each other's checkpoints, and both exit 0. ``tools/train.py``
holds this lock for the whole run; a second run is refused with the first
one's process named.
"""
import json
import os
import os.path as osp
import socket
import sys
import time

try:
    import fcntl
except ImportError:  # not POSIX: fall back to the process-id check alone
    fcntl = None

LOCK_NAME = '.mmtrpn_train.lock'


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _describe(owner):
    if not owner:
        return 'another process (no owner recorded)'
    return (f'process {owner.get("pid")} on {owner.get("host")} '
            f'(started {owner.get("started")}: {owner.get("command")})')


class WorkDirLock:
    """Exclusive lock on ``<work_dir>/.mmtrpn_train.lock``.

    The kernel lock (``flock``) is released when the holder dies, even by
    SIGKILL, so a killed run never blocks its ``--resume``. The file records
    the holder (pid, host, command) for the error message; a record of a
    process that no longer exists is taken over.
    """

    def __init__(self, work_dir):
        self.work_dir = os.fspath(work_dir)
        self.path = osp.join(self.work_dir, LOCK_NAME)
        self._fd = None
        self.took_over = None

    def _read_owner(self):
        try:
            with open(self.path, encoding='utf-8') as f:
                return json.loads(f.read() or 'null')
        except (OSError, ValueError):
            return None

    def _refuse(self, owner):
        raise RuntimeError(
            f'Work dir {self.work_dir} is in use by another training: '
            f'{_describe(owner)}. Two runs in one work dir overwrite each '
            'other\'s checkpoints and logs; wait for it to end (or stop it), '
            'or pass another --work-dir.')

    def acquire(self):
        os.makedirs(self.work_dir, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        owner = self._read_owner()
        kernel_lock = fcntl is not None
        if kernel_lock:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                self._refuse(owner)
            except OSError:  # file system without locks: check the record
                kernel_lock = False
        if owner and not kernel_lock:
            same_host = owner.get('host') == socket.gethostname()
            pid = owner.get('pid')
            if (same_host and isinstance(pid, int) and pid != os.getpid()
                    and _pid_alive(pid)):
                os.close(fd)
                self._refuse(owner)
        if owner and owner.get('pid') != os.getpid():
            self.took_over = owner  # a run that ended without releasing
        record = dict(pid=os.getpid(), host=socket.gethostname(),
                      started=time.strftime('%Y-%m-%d %H:%M:%S'),
                      command=' '.join(sys.argv))
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(record).encode('utf-8'))
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self):
        if self._fd is None:
            return
        # The file stays (unlinking a locked file lets two later runs lock
        # two different files); an empty record means "free".
        os.ftruncate(self._fd, 0)
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
