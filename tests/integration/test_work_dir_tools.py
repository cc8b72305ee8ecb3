"""A user's path through a work dir: train with --data-root, resume a
finished run, test the work dir, and a missing data root.

One tiny run of 20 iterations validating at 10 and 20 (best checkpoint
kept), configured only through ``--data-root`` (no ``data_root`` keys).
"""
import os
import os.path as osp

import pytest


def _opts(tools, tiny_data):
    return [o for o in tools.tiny_opts(tiny_data) if 'data_root' not in o]


@pytest.fixture(scope='module')
def trained(tools, tiny_data, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('work') / 'run')
    proc = tools.check(tools.run(
        ['tools/train.py', tools.CONFIG, '--work-dir', work_dir,
         '--data-root', tiny_data, '--cfg-options'] + _opts(tools, tiny_data)
        + ['train_cfg.max_iters=20', 'train_cfg.val_interval=10']))
    return work_dir, tools.output(proc)


def test_start_is_quiet_and_names_the_data(trained, tiny_data):
    _, log = trained
    # No registry-scope or FileClient/HardDiskBackend warnings any more.
    assert 'WARNING' not in log
    assert f'Data root: {tiny_data}' in log
    assert f'Held-out list: {osp.join(tiny_data, "heldout.txt")}' in log


def test_resume_does_not_repeat_a_finished_validation(tools, tiny_data,
                                                      trained):
    work_dir, _ = trained
    assert [m['step'] for m in tools.val_metrics(work_dir)] == [10, 20]
    # The run finished (validation at 20 done); go on to 30.
    proc = tools.check(tools.run(
        ['tools/train.py', tools.CONFIG, '--work-dir', work_dir, '--resume',
         '--data-root', tiny_data, '--cfg-options'] + _opts(tools, tiny_data)
        + ['train_cfg.max_iters=30', 'train_cfg.val_interval=10']))
    log = tools.output(proc)
    assert 'resumed epoch: 0, iter: 20' in log
    assert 'validating first' not in log
    assert 'whose validation finished before the run stopped' in log
    # the joined log of both runs: validation 20 is not repeated
    assert [m['step'] for m in tools.val_metrics(work_dir)] == [10, 20, 30]


def test_test_tool_takes_the_work_dirs_best_checkpoint(tools, tiny_data,
                                                       trained, tmp_path):
    work_dir, _ = trained
    best = sorted(p for p in os.listdir(work_dir)
                  if p.startswith('best_'))
    assert len(best) == 1
    proc = tools.check(tools.run(
        ['tools/test.py', work_dir, '--work-dir', str(tmp_path)]))
    log = tools.output(proc)
    assert (f'Testing {osp.join(work_dir, best[0])} (the best checkpoint '
            'validation kept)') in log
    assert 'wstal/mAP_AVG' in log


def test_missing_data_fails_before_the_runner_starts(tools, tiny_data,
                                                     tmp_path):
    proc = tools.run(
        ['tools/train.py', tools.CONFIG, '--work-dir', str(tmp_path / 'w'),
         '--data-root', str(tmp_path / 'absent'), '--cfg-options'] +
        _opts(tools, tiny_data))
    log = tools.output(proc)
    assert proc.returncode != 0
    assert 'Missing data file(s):' in log
    assert f'annotation file {tmp_path}/absent/annotations.json' in log
    assert 'Traceback' not in log and 'Environment' not in log
    assert len(log.splitlines()) < 12
