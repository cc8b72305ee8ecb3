"""Runs that used to end 0 with a wrong number or lost data (issue 11):
each is now refused with the culprit named, or handled.

Subprocess runs stop before or at the first batch unless stated.
"""
import subprocess
import textwrap

import pytest

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


SLOW_VAL_HOOK = '''
import os
import time

from mmengine.hooks import Hook

from mmtrpn.registry import HOOKS


@HOOKS.register_module()
class StallValHook(Hook):
    """Announce the validation at ``at`` in ``marker``, then stall in it."""

    def __init__(self, at, marker):
        self.at, self.marker = at, marker

    def before_val_epoch(self, runner):
        if runner.iter == self.at:
            open(self.marker, 'w').close()
            time.sleep(120)
'''


def _train_10(tools, tiny_data, config, work_dir, *extra):
    return (['tools/train.py', config, '--work-dir', str(work_dir), '--seed',
             '0', '--deterministic'] + list(extra) + ['--cfg-options'] +
            tools.tiny_opts(tiny_data) +
            ['train_cfg.max_iters=10', 'train_cfg.val_interval=10'])


def test_kill_during_last_validation_then_resume_validates(
        tools, tiny_data, tmp_path):
    import signal
    marker = tmp_path / 'validating'
    cfg, plugin = tools.plugin_config(
        str(tmp_path), 'stall_val_hook', SLOW_VAL_HOOK,
        ["dict(type='RandomStateHook')", "dict(type='ResumeValidationHook')",
         f"dict(type='StallValHook', at=10, marker={str(marker)!r})"])
    killed = tmp_path / 'killed'
    proc = tools.kill_when(_train_10(tools, tiny_data, cfg, killed),
                           marker.exists, env=tools.env(PYTHONPATH=plugin))
    assert marker.exists() and proc.returncode == -signal.SIGKILL
    assert (killed / 'iter_10.pth').exists()
    assert not list(killed.glob('best_*.pth'))

    # Resuming at the last iteration used to exit 0 with no final mAP.
    resumed = tools.check(tools.run(
        _train_10(tools, tiny_data, tools.CONFIG, killed, '--resume')))
    assert 'validating first' in tools.output(resumed)
    got = tools.val_metrics(str(killed))
    assert [m['step'] for m in got] == [10]
    assert [p.name for p in killed.glob('best_*.pth')] == [
        'best_wstal_mAP_AVG_iter_10.pth']

    plain = tmp_path / 'plain'
    tools.check(tools.run(_train_10(tools, tiny_data, tools.CONFIG, plain)))
    assert got == tools.val_metrics(str(plain))


@pytest.mark.parametrize('opts, expected', [
    # 16 + 16-d files, model.feature_dims=(8, 24): only the total agreed,
    # and it trained.
    (['model.feature_dims=(8,24)'],
     ['do not have the widths of model.feature_dims=(8, 24)',
      '(rgb, width 16)']),
    # Looked up with Registry.get: "None is not a callable object".
    (['optim_wrapper.optimizer.type=Adamm'],
     ['optim_wrapper.optimizer.type: Adamm is not in the',
      "Did you mean ['Adam'"]),
    # A ZeroDivisionError after the first iteration.
    (['train_cfg.val_interval=0'],
     ['train_cfg.val_interval=0 must be an integer >= 1']),
])
def test_train_tool_refuses_a_bad_config(tools, tiny_data, tmp_path, opts,
                                         expected):
    proc = tools.run(['tools/train.py', tools.CONFIG, '--work-dir',
                      str(tmp_path), '--cfg-options'] +
                     tools.tiny_opts(tiny_data) +
                     ['train_cfg.max_iters=2'] + opts)
    assert proc.returncode != 0
    out = tools.output(proc)
    for text in expected:
        assert text in out


def _test_edited_checkpoint(tools, tiny_data, tiny_checkpoint, tmp_path,
                            edit):
    """tools/test.py on a copy of the tiny checkpoint changed by ``edit``;
    (path of the copy, the finished process)."""
    import torch
    ckpt = torch.load(tiny_checkpoint, map_location='cpu', weights_only=False)
    edit(ckpt)
    path = tmp_path / 'edited.pth'
    torch.save(ckpt, str(path))
    return path, tools.run(['tools/test.py', tools.CONFIG, str(path),
                            '--work-dir', str(tmp_path / 'w'),
                            '--cfg-options'] + tools.tiny_opts(tiny_data))


def test_test_tool_refuses_classes_in_another_order(tools, tiny_data,
                                                   tiny_checkpoint, tmp_path):
    # Same count, other order: shapes fit, every prediction is scored under
    # another class (mAP 3.87 -> 1.71 on THUMOS-14 before the check).
    import json
    with open(f'{tiny_data}/annotations.json') as f:
        classes = json.load(f)['classes']

    def reorder(ckpt):
        ckpt['meta'] = dict(dataset_meta=dict(classes=classes[::-1]))
    path, proc = _test_edited_checkpoint(tools, tiny_data, tiny_checkpoint,
                                         tmp_path, reorder)
    assert proc.returncode != 0
    out = tools.output(proc)
    assert f'Checkpoint {path} was trained on the classes' in out
    assert str(classes[::-1]) in out and str(classes) in out


def test_test_tool_refuses_checkpoint_missing_classifier(
        tools, tiny_data, tiny_checkpoint, tmp_path):
    # Used to exit 0 with the classifier at its random initialisation.
    def drop_classifier(ckpt):
        ckpt['state_dict'] = {k: v for k, v in ckpt['state_dict'].items()
                              if not k.startswith('cls_head.')}
    path, proc = _test_edited_checkpoint(tools, tiny_data, tiny_checkpoint,
                                         tmp_path, drop_classifier)
    assert proc.returncode != 0
    out = tools.output(proc)
    assert f'Checkpoint {path} is missing' in out and 'cls_head.' in out


def test_snippet_duration_off_by_10x_is_warned(tools, tiny_data,
                                               tiny_checkpoint, tmp_path):
    # mAP 3.87 -> 0.60 on THUMOS-14 without a word before.
    proc = tools.check(tools.run(
        ['tools/test.py', tools.CONFIG, tiny_checkpoint, '--work-dir',
         str(tmp_path), '--cfg-options'] + tools.tiny_opts(tiny_data) +
        ['test_dataloader.dataset.snippet_duration=6.4']))
    out = tools.output(proc)
    assert (f'{tools.NUM_TEST} of {tools.NUM_TEST} videos of the test '
            'dataset have features whose length') in out
    assert out.count('whose length times snippet_duration') == 1


def test_test_tool_names_an_empty_feature_file(tools, tiny_data,
                                              tiny_checkpoint, test_videos,
                                              tmp_path):
    # numpy says only "EOFError: No data left in file".
    import shutil
    data = tmp_path / 'data'
    shutil.copytree(tiny_data, data)
    empty = data / 'features' / 'flow' / f'{test_videos[1]}.npy'
    empty.write_bytes(b'')
    proc = tools.run(['tools/test.py', tools.CONFIG, tiny_checkpoint,
                      '--work-dir', str(tmp_path / 'w'), '--cfg-options'] +
                     tools.tiny_opts(str(data)))
    assert proc.returncode != 0
    out = tools.output(proc)
    assert f'flow features of video {test_videos[1]} {empty} is empty' in out
