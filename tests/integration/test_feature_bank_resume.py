"""Training with the feature bank resumes exactly: RandomStateHook carries
the bank preprocessor's generator through the checkpoint."""
import re
import shutil

import pytest
import torch


def _args(tools, tiny_data, work_dir, *extra):
    return (['tools/train.py', tools.CONFIG, '--work-dir', work_dir,
             '--seed', '0', '--deterministic', '--no-validate'] +
            list(extra) + ['--cfg-options'] + tools.tiny_opts(tiny_data) +
            ['feature_bank=True', 'train_cfg.max_iters=20'])


@pytest.fixture(scope='module')
def straight(tools, tiny_data, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('bank') / 'straight')
    proc = tools.check(tools.run(_args(tools, tiny_data, work)))
    return work, tools.output(proc)


def _resume_from(tools, tiny_data, tmp_path, straight_dir, edit=None):
    kept = tmp_path / 'kept'
    kept.mkdir()
    ckpt = kept / 'iter_10.pth'
    shutil.copy(f'{straight_dir}/iter_10.pth', ckpt)
    extra = ['--resume', str(ckpt)]
    if edit is not None:
        state = torch.load(ckpt, map_location='cpu', weights_only=False)
        edit(state)
        torch.save(state, ckpt)  # re-pickled by us: trusted
        extra.append('--trust-checkpoint')
    work = str(tmp_path / 'resumed')
    tools.check(tools.run(_args(tools, tiny_data, work, *extra)))
    return work


def test_bank_run_logs_its_size_and_saves_its_generator(straight, tools):
    work, log = straight
    assert re.search(r'Feature bank: \d+ videos, about 0.00 GiB', log)
    state = torch.load(f'{work}/iter_10.pth', map_location='cpu',
                       weights_only=False)['random_state']
    assert state['data_preprocessor'].dtype == torch.uint8


def test_bank_resume_equals_uninterrupted(tools, tiny_data, tmp_path,
                                          straight):
    resumed = _resume_from(tools, tiny_data, tmp_path, straight[0])
    tools.assert_same_weights(f'{straight[0]}/iter_20.pth',
                              f'{resumed}/iter_20.pth')


def test_resume_without_the_bank_state_differs(tools, tiny_data, tmp_path,
                                               straight):
    """Control: the restored generator is what makes the two runs equal."""
    def drop(state):
        del state['random_state']['data_preprocessor']

    resumed = _resume_from(tools, tiny_data, tmp_path, straight[0], drop)
    with pytest.raises(AssertionError, match='tensors differ'):
        tools.assert_same_weights(f'{straight[0]}/iter_20.pth',
                                  f'{resumed}/iter_20.pth')
