"""Runs that used to end 0 with a wrong number or lost data (issue 11):
each is now refused with the culprit named, or handled.

Subprocess runs stop before or at the first batch unless stated.
"""
import subprocess
import textwrap

HOLD_LOCK = '''
import sys, time
from mmtrpn.utils.work_dir_lock import WorkDirLock
WorkDirLock(sys.argv[1]).acquire()
print('HELD', flush=True)
time.sleep(120)
'''


def test_second_training_in_one_work_dir_is_refused(tools, tiny_data,
                                                    tmp_path):
    work = tmp_path / 'work'
    first = subprocess.Popen(
        [tools.PYTHON, '-c', textwrap.dedent(HOLD_LOCK), str(work)],
        stdout=subprocess.PIPE, text=True, env=tools.env())
    try:
        assert first.stdout.readline().strip() == 'HELD'
        proc = tools.run(['tools/train.py', tools.CONFIG, '--work-dir',
                          str(work), '--cfg-options'] +
                         tools.tiny_opts(tiny_data) +
                         ['train_cfg.max_iters=2'])
    finally:
        first.kill()
        first.wait()
        first.stdout.close()
    assert proc.returncode != 0
    out = tools.output(proc)
    assert f'is in use by another training: process {first.pid}' in out
    # Refused before the Runner wrote anything into the work dir.
    assert not [p for p in work.iterdir() if not p.name.startswith('.')]
