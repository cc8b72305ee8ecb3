"""One training per work dir.

Two trainings in one work dir interleave the log and ``scalars.json`` and
overwrite each other's checkpoints, and both exit 0. ``tools/train.py``
holds this lock for the whole run; a second run is refused with the first
one's process named. ``tools/test.py`` and ``tools/inference.py`` ask
:func:`held_by_live_training` before they write near a training.
"""
import json
import os
import os.path as osp
import socket
import sys
import time

import filelock

from .fileio import atomic_write_json

LOCK_NAME = '.mmtrpn_train.lock'
# Held locks stay held until released or the process ends, even when the
# WorkDirLock object is dropped (filelock releases on garbage collection).
_HELD = set()
# The holder's record lives beside the lock: filelock truncates the lock
# file when a contender opens it.
OWNER_NAME = '.mmtrpn_train.owner.json'


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


def holder_alive(owner):
    """True / False for a record of this host, None when it cannot tell
    (another host, or no pid)."""
    owner = owner or {}
    pid = owner.get('pid')
    if owner.get('host') != socket.gethostname() or not isinstance(pid, int):
        return None
    return _pid_alive(pid)


def read_owner(work_dir):
    """The record of the last training that held ``work_dir``, or None."""
    try:
        with open(osp.join(os.fspath(work_dir), OWNER_NAME),
                  encoding='utf-8') as f:
            return json.loads(f.read() or 'null')
    except (OSError, ValueError):
        return None


def held_by_live_training(work_dir):
    """The owner record when a training holds ``work_dir`` now, else None."""
    path = osp.join(os.fspath(work_dir), LOCK_NAME)
    if not osp.isfile(path):
        return None
    probe = filelock.FileLock(path, timeout=0, thread_local=False)
    try:
        probe.acquire()
    except filelock.Timeout:
        return read_owner(work_dir) or {}
    probe.release()
    return None


def live_training_around(path):
    """``(work dir, owner record)`` of a live training whose work dir is
    ``path`` or holds it, else None."""
    folder = osp.abspath(os.fspath(path))
    while True:
        owner = held_by_live_training(folder)
        if owner is not None:
            return folder, owner
        parent = osp.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def refuse_writes_into_live_training(paths, what='this tool'):
    """SystemExit naming the training when a path of ``paths`` lies in the
    work dir of a live training (its checkpoints, config and logs could be
    overwritten)."""
    for path in paths:
        if path is None:
            continue
        found = live_training_around(path)
        if found is not None:
            raise SystemExit(
                f'error: {path} lies in the work dir {found[0]} of a '
                f'running training ({_describe(found[1])}); {what} does not '
                'write there. Choose another output path.')


def is_training_work_dir(work_dir):
    """True when a training has used ``work_dir`` (its lock file exists)."""
    return osp.isfile(osp.join(os.fspath(work_dir), LOCK_NAME))


def took_over_message(owner):
    """What to print when the lock was free but a record names another
    process: a crashed run, or (holder alive) a copy of a running one."""
    alive = holder_alive(owner)
    who = f'process {owner.get("pid")} on {owner.get("host")}'
    if alive:
        return (f'The work dir lock record names {who}, which is still '
                'running but does not hold this work dir: this work dir is '
                'a copy of a running training\'s. This run uses only the '
                'files of this work dir.')
    if alive is None:
        return (f'Took over the work dir lock record of {who} (another '
                'host: cannot tell whether it still runs; its lock was '
                'free here).')
    return (f'Took over the work dir lock of {who}, an earlier run that '
            'did not end cleanly.')


class WorkDirLock:
    """Exclusive ``filelock`` on ``<work_dir>/.mmtrpn_train.lock``.

    The kernel lock is released when the holder dies, even by SIGKILL, so
    a killed run never blocks its ``--resume``. ``.mmtrpn_train.owner.json``
    records the holder (pid, host, command) for the messages; a record of
    another process found on acquiring is kept in ``took_over``.
    """

    def __init__(self, work_dir):
        self.work_dir = os.fspath(work_dir)
        self.path = osp.join(self.work_dir, LOCK_NAME)
        self._lock = None
        self.took_over = None

    def _refuse(self, owner):
        raise RuntimeError(
            f'Work dir {self.work_dir} is in use by another training: '
            f'{_describe(owner)}. Two runs in one work dir overwrite each '
            'other\'s checkpoints and logs; wait for it to end (or stop it), '
            'or pass another --work-dir.')

    def acquire(self):
        os.makedirs(self.work_dir, exist_ok=True)
        lock = filelock.FileLock(self.path, timeout=0, thread_local=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            self._refuse(read_owner(self.work_dir))
        owner = read_owner(self.work_dir)
        if owner and owner.get('pid') != os.getpid():
            self.took_over = owner
        atomic_write_json(osp.join(self.work_dir, OWNER_NAME), dict(
            pid=os.getpid(), host=socket.gethostname(),
            started=time.strftime('%Y-%m-%d %H:%M:%S'),
            command=' '.join(sys.argv)))
        self._lock = lock
        _HELD.add(lock)
        return self

    def release(self):
        if self._lock is None:
            return
        # An empty record means "ended cleanly".
        atomic_write_json(osp.join(self.work_dir, OWNER_NAME), None)
        self._lock.release()
        _HELD.discard(self._lock)
        self._lock = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
