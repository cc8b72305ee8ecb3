"""Exact resume after SIGKILL, determinism, and crash-safe result dumps.

All runs train the tiny model for 40 iterations with ``--seed 0
--deterministic``, a checkpoint every 10 and validation at 20 and 40.
``save_best=None`` keeps ``iter_20.pth`` as written before the validation
at 20 (with a best-score update MMEngine re-saves it afterwards), the case
that diverged before RandomStateHook forked the generators around
validation.
"""
import json
import os
import os.path as osp
import shutil
import signal
import subprocess

import pytest

SLOW_HOOK = '''

from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS


@HOOKS.register_module()
class SlowAfterHook(Hook):
    """Sleep after each iteration past ``after``: room to kill the run."""

    def __init__(self, after, seconds):
        self.after, self.seconds = after, seconds

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 > self.after:
            time.sleep(self.seconds)
'''


def _train_args(tools, tiny_data, config, work_dir, *extra):
    return (['tools/train.py', config, '--work-dir', work_dir, '--seed', '0',
             '--deterministic'] + list(extra) + ['--cfg-options'] +
            tools.tiny_opts(tiny_data) +
            ['train_cfg.max_iters=40', 'train_cfg.val_interval=20',
             'default_hooks.checkpoint.save_best=None'])


@pytest.fixture(scope='module')
def runs(tools, tiny_data, tmp_path_factory):
    base = tmp_path_factory.mktemp('resume')
    out = {}
    for name in ('uninterrupted', 'repeat'):
        out[name] = str(base / name)
        tools.check(tools.run(
            _train_args(tools, tiny_data, tools.CONFIG, out[name])))

    # The run to kill: the same config plus a hook that slows it down after
    # iteration 20, so that SIGKILL lands between checkpoints.
    slow_cfg, plugin = tools.plugin_config(
        str(base), 'slow_after_hook', SLOW_HOOK,
        ["dict(type='RandomStateHook')",
         "dict(type='SlowAfterHook', after=20, seconds=0.3)"])
    killed = out['killed'] = str(base / 'killed')
    last = osp.join(killed, 'last_checkpoint')
    with open(base / 'killed.log', 'w') as log:
        proc = tools.kill_when(
            _train_args(tools, tiny_data, slow_cfg, killed),
            lambda: osp.isfile(last) and open(last).read().strip().endswith(
                'iter_20.pth'),
            env=tools.env(PYTHONPATH=plugin), stdout=log)
    out['killed_returncode'] = proc.returncode
    out['killed_files'] = sorted(os.listdir(killed))
    out['killed_log'] = open(base / 'killed.log').read()

    # Explicit --resume PATH from a copy, into a fresh work dir.
    kept = base / 'kept'
    kept.mkdir()
    shutil.copy(osp.join(killed, 'iter_20.pth'), kept / 'iter_20.pth')
    out['explicit'] = str(base / 'explicit')
    out['explicit_proc'] = tools.check(tools.run(
        _train_args(tools, tiny_data, tools.CONFIG, out['explicit'],
                    '--resume', str(kept / 'iter_20.pth'))))
    # Auto resume (latest checkpoint of the work dir), plain config.
    out['auto_proc'] = tools.check(tools.run(
        _train_args(tools, tiny_data, tools.CONFIG, killed, '--resume')))
    return out


def test_run_was_killed_after_iter_20(runs):
    assert runs['killed_returncode'] == -signal.SIGKILL, runs['killed_log']
    assert 'iter_20.pth' in runs['killed_files']
    assert 'iter_40.pth' not in runs['killed_files']


def test_auto_resume_after_sigkill_equals_uninterrupted(tools, runs):
    log = tools.output(runs['auto_proc'])
    assert 'Auto resumed from the latest checkpoint' in log
    assert 'resumed epoch: 0, iter: 20' in log
    tools.assert_same_weights(
        osp.join(runs['uninterrupted'], 'iter_40.pth'),
        osp.join(runs['killed'], 'iter_40.pth'))
    assert (tools.val_metrics(runs['killed'])[-1] ==
            tools.val_metrics(runs['uninterrupted'])[-1])


def test_explicit_resume_path_equals_uninterrupted(tools, runs):
    assert 'resumed epoch: 0, iter: 20' in tools.output(runs['explicit_proc'])
    for it in (30, 40):
        tools.assert_same_weights(
            osp.join(runs['uninterrupted'], f'iter_{it}.pth'),
            osp.join(runs['explicit'], f'iter_{it}.pth'))


def test_seed_deterministic_twice_is_identical(tools, runs):
    first = tools.val_metrics(runs['uninterrupted'])
    second = tools.val_metrics(runs['repeat'])
    assert len(first) == 2 and first == second  # mAP at 20 and 40, exact
    tools.assert_same_weights(
        osp.join(runs['uninterrupted'], 'iter_40.pth'),
        osp.join(runs['repeat'], 'iter_40.pth'))


def test_validation_does_not_change_training(tools, tiny_data, runs,
                                             tmp_path):
    # Validation draws from torch's generator; RandomStateHook forks it.
    tools.check(tools.run(
        _train_args(tools, tiny_data, tools.CONFIG, str(tmp_path),
                    '--no-validate')))
    tools.assert_same_weights(
        osp.join(runs['uninterrupted'], 'iter_40.pth'),
        osp.join(tmp_path, 'iter_40.pth'))


KILLED_DUMP = '''
import os, sys, time
import numpy as np
import mmtrpn
from mmtrpn.evaluation import TemporalMAPMetric

path = sys.argv[1]
metric = TemporalMAPMetric(dump_results=path)
metric.dataset_meta = dict(classes=('a', 'b'))
entry = dict(video_name='v1', pred_segments=np.array([[1.0, 2.0]]),
             pred_labels=np.array([0]), pred_scores=np.array([0.9]),
             gt_segments=np.array([[1.0, 2.5]]), gt_labels=np.array([0]),
             ambiguous_segments=np.zeros((0, 2)))


def stuck(*args):  # the new file is complete, not yet renamed: die here
    print('READY', flush=True)
    time.sleep(120)


os.replace = stuck
metric.compute_metrics([entry])
'''


def test_dump_killed_mid_write_keeps_previous_file(tools, tmp_path):
    dump = tmp_path / 'results.json'
    previous = json.dumps(dict(version='previous', results={}))
    dump.write_text(previous)
    script = tmp_path / 'dump.py'
    script.write_text(KILLED_DUMP)
    proc = subprocess.Popen([tools.PYTHON, str(script), str(dump)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=tools.env(),
                            start_new_session=True)
    seen = []
    try:
        for line in proc.stdout:  # ends at READY or when the script exits
            seen.append(line)
            if line.strip() == 'READY':
                break
        assert seen and seen[-1].strip() == 'READY', (
            'the dump never reached os.replace (written in place?):\n' +
            ''.join(seen)[-3000:])
        assert dump.read_text() == previous
        # The new content is complete in a sibling temp file at that point.
        tmp = [f for f in tmp_path.iterdir()
               if f.name.startswith('.results.json')]
        assert len(tmp) == 1
        assert 'v1' in json.loads(tmp[0].read_text())['results']
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert dump.read_text() == previous  # intact, still valid JSON
    json.loads(dump.read_text())
