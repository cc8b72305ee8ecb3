"""RandomStateHook and OwnWorkDirFilesHook on their own (issue 19, cases
1 and 2); the whole runs are in tests/integration/test_resume.py."""
import types

import torch
from mmengine.logging import MessageHub

from mmtrpn.engine.hooks import OwnWorkDirFilesHook, RandomStateHook


def test_checkpoint_saved_inside_validation_holds_the_training_state():
    # MMEngine re-saves iter_N.pth inside validation when the best score
    # improves; it must store the state training continues with.
    # A data preprocessor with its own generator (the feature bank's) is
    # saved beside the global state, inside validation or not.
    bank_state = torch.tensor([7, 8], dtype=torch.uint8)
    runner = types.SimpleNamespace(model=types.SimpleNamespace(
        data_preprocessor=types.SimpleNamespace(
            rng_state=lambda: bank_state)))
    hook = RandomStateHook()
    torch.manual_seed(0)
    hook.before_val(runner)
    training_state = torch.get_rng_state()
    torch.rand(5)  # what the val loader's iterator draws
    resaved = {}
    hook.before_save_checkpoint(runner, resaved)
    hook.after_val(runner)
    assert torch.equal(resaved['random_state']['torch'], training_state)
    assert torch.equal(resaved['random_state']['data_preprocessor'],
                       bank_state)
    assert torch.equal(torch.get_rng_state(), training_state)
    outside = {}
    torch.rand(3)
    hook.before_save_checkpoint(runner, outside)
    assert torch.equal(outside['random_state']['torch'],
                       torch.get_rng_state())
    assert torch.equal(outside['random_state']['data_preprocessor'],
                       bank_state)


def test_paths_of_another_work_dir_are_rebased_or_dropped(tmp_path):
    work = tmp_path / 'copy'
    work.mkdir()
    (work / 'best_x_iter_20.pth').write_bytes(b'x')
    hub = MessageHub.get_instance('own_files_test')
    other = tmp_path / 'original'
    hub.update_info('best_ckpt', str(other / 'best_x_iter_20.pth'))
    hub.update_info('last_ckpt', str(other / 'iter_30.pth'))
    hub.update_info('keep', 7)
    logs = []
    runner = types.SimpleNamespace(
        message_hub=hub, work_dir=str(work),
        logger=types.SimpleNamespace(info=logs.append))
    OwnWorkDirFilesHook().before_train(runner)
    assert hub.get_info('best_ckpt') == str(work / 'best_x_iter_20.pth')
    assert 'last_ckpt' not in hub.runtime_info  # no such file here
    assert hub.get_info('keep') == 7 and len(logs) == 2
