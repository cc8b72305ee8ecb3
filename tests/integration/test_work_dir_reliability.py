"""Issue 19: exact resume from every checkpoint a run wrote, work dirs that
belong to one run, and checks a config cannot switch off.

One short run (30 iterations, a checkpoint and a validation every 10,
``max_keep_ckpts=-1``, the best score improving at each validation, so
MMEngine re-saves every ``iter_N.pth`` inside the validation) is resumed
from each of its checkpoints, and its work dir is copied and resumed.
"""
import os
import os.path as osp
import shutil

import pytest


def _train(tools, tiny_data, work_dir, *extra, iters=30, opts=()):
    return tools.run(
        ['tools/train.py', tools.CONFIG, '--work-dir', str(work_dir),
         '--seed', '0', '--deterministic'] + list(extra) +
        ['--cfg-options'] + tools.tiny_opts(tiny_data) +
        [f'train_cfg.max_iters={iters}', 'train_cfg.val_interval=10',
         'default_hooks.checkpoint.max_keep_ckpts=-1'] + list(opts))


@pytest.fixture(scope='module')
def full_run(tools, tiny_data, tmp_path_factory):
    work = tmp_path_factory.mktemp('full') / 'A'
    proc = tools.check(_train(tools, tiny_data, work))
    return str(work), tools.output(proc)


def _resaved_during_validation(path):
    import torch
    hub = torch.load(path, map_location='cpu',
                     weights_only=False)['message_hub']
    return 'best_score' in hub['runtime_info']


@pytest.mark.parametrize('step', [10, 20])
def test_resume_from_every_checkpoint_is_exact(tools, tiny_data, full_run,
                                               tmp_path, step):
    # Case 1: a checkpoint re-saved during validation held the random
    # state from inside validation (final mAP 16.92 instead of 19.49).
    work, log = full_run
    ckpt = osp.join(work, f'iter_{step}.pth')
    assert _resaved_during_validation(ckpt)
    kept = tmp_path / 'kept.pth'
    shutil.copy(ckpt, kept)
    resumed = tmp_path / 'resumed'
    tools.check(_train(tools, tiny_data, resumed, '--resume', str(kept)))
    tools.assert_same_weights(osp.join(work, 'iter_30.pth'),
                              str(resumed / 'iter_30.pth'))


def _listing(folder):
    return {n: os.stat(osp.join(folder, n)).st_mtime_ns
            for n in os.listdir(folder)}


def test_copied_work_dir_resumes_its_own_files(tools, tiny_data, full_run,
                                               tmp_path):
    # Case 2: last_checkpoint held A's absolute path, so B resumed A's
    # files, and the resumed run deleted A's best checkpoint. Case 17: an
    # empty last_checkpoint, and a kill's .tmp file left for good.
    work, _ = full_run
    before = _listing(work)
    copy = tmp_path / 'B'
    shutil.copytree(work, copy)
    assert (copy / 'last_checkpoint').read_text() == 'iter_30.pth'
    (copy / 'last_checkpoint').write_text(osp.join(work, 'iter_20.pth'))
    proc = tools.check(_train(tools, tiny_data, copy, '--resume', iters=40))
    out = tools.output(proc)
    assert f'resuming from this work dir\'s own {copy}/iter_20.pth' in out
    assert 'resumed epoch: 0, iter: 20' in out
    assert _listing(work) == before  # nothing of A touched
    assert (copy / 'last_checkpoint').read_text() == 'iter_40.pth'

    (copy / 'last_checkpoint').write_text('')
    stale = copy / '.iter_50.pth.x1y2z3.tmp'
    stale.write_bytes(b'\0' * 1000)
    proc = tools.check(_train(tools, tiny_data, copy, '--resume', iters=40))
    out = tools.output(proc)
    assert 'is empty' in out and f'{copy}/iter_40.pth' in out
    assert 'resumed epoch: 0, iter: 40' in out
    assert f'Removed {stale}' in out and not stale.exists()


def test_test_tool_keeps_the_training_config(tools, tiny_data, full_run,
                                             tiny_checkpoint):
    # Case 3: tools/test.py into a training's work dir overwrote its saved
    # config (it gained load_from=...).
    work, _ = full_run
    saved = osp.join(work, 'trpn_synthetic.py')
    text = open(saved).read()
    proc = tools.check(tools.run(
        ['tools/test.py', tools.CONFIG, tiny_checkpoint, '--work-dir', work,
         '--cfg-options'] + tools.tiny_opts(tiny_data)))
    assert open(saved).read() == text
    subfolders = [n for n in os.listdir(work) if n.startswith('test_')]
    assert len(subfolders) == 1
    assert f'this test run writes into {work}/{subfolders[0]}' in \
        tools.output(proc)


def _edited(tiny_checkpoint, path, edit):
    import torch
    ckpt = torch.load(tiny_checkpoint, map_location='cpu', weights_only=False)
    edit(ckpt['state_dict'])
    torch.save(ckpt, str(path))
    return str(path)


def test_resume_true_in_a_config_gets_the_checks(tools, tiny_data,
                                                 tiny_checkpoint, tmp_path):
    # Case 4: resume=True (not --resume) trained a checkpoint without its
    # classifier to exit 0.
    path = _edited(tiny_checkpoint, tmp_path / 'nocls.pth', lambda s: [
        s.pop(k) for k in list(s) if k.startswith('cls_head.')])
    proc = _train(tools, tiny_data, tmp_path / 'w', iters=2,
                  opts=['resume=True', f'load_from={path}'])
    assert proc.returncode != 0
    out = tools.output(proc)
    assert f'Checkpoint {path} is missing' in out and 'cls_head.' in out


def test_load_from_nan_weights_is_refused(tools, tiny_data, tiny_checkpoint,
                                          tmp_path):
    # Case 5: trained with loss nan to the end, exit 0.
    import torch

    def poison(state):
        key = next(k for k in state if state[k].is_floating_point())
        state[key] = torch.full_like(state[key], float('nan'))
    path = _edited(tiny_checkpoint, tmp_path / 'nan.pth', poison)
    proc = _train(tools, tiny_data, tmp_path / 'w', iters=2,
                  opts=[f'load_from={path}'])
    assert proc.returncode != 0
    assert f'Checkpoint {path} has weights that are not finite' in \
        tools.output(proc)
    assert not list((tmp_path / 'w').glob('iter_*.pth'))


def test_replaced_custom_hooks_keep_the_dataset_check(tools, tiny_data,
                                                      tmp_path):
    # Case 6: custom_hooks=[EMAHook] dropped the check; a wrong
    # feature_dims trained (mAP 1.29).
    config = tmp_path / 'ema.py'
    config.write_text(f'_base_ = [{tools.CONFIG!r}]\n'
                      "custom_hooks = [dict(type='EMAHook')]\n")
    proc = tools.run(
        ['tools/train.py', str(config), '--work-dir', str(tmp_path / 'w'),
         '--cfg-options'] + tools.tiny_opts(tiny_data, pipeline_dims=False)
        + ['model.feature_dims=(8,24)', 'train_cfg.max_iters=2'])
    assert proc.returncode != 0
    assert 'do not have the widths of model.feature_dims=(8, 24)' in \
        tools.output(proc)
