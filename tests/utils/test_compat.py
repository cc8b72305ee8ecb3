"""Each compatibility fix, with a check that the breakage is real without it."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

from mmtrpn.utils import apply_compat_fixes, compat

PYTHON = sys.executable
# What every entry point does first (tools, apis, register_all_modules).
apply_compat_fixes()


def _run(code, env=None, timeout=120):
    return subprocess.run([PYTHON, '-c', textwrap.dedent(code)],
                          capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_missing_drn_module_is_patched():
    import importlib.util
    pkg_dir = os.path.dirname(importlib.util.find_spec('mmaction').origin)
    drn_file = os.path.join(pkg_dir, 'models', 'localizers', 'drn', 'drn.py')
    if os.path.exists(drn_file):
        pytest.skip('this mmaction2 ships the DRN localizer; nothing to fix')
    broken = _run('import mmaction.models')
    assert broken.returncode != 0
    assert 'drn' in broken.stderr
    fixed = _run('from mmtrpn.utils import apply_compat_fixes; '
                 'apply_compat_fixes(); import mmaction.models; print("ok")')
    assert fixed.returncode == 0, fixed.stderr
    assert 'ok' in fixed.stdout


def test_config_scope_resolves_mmtrpn_bases(tmp_path):
    from mmengine.config import Config
    cfg_file = tmp_path / 'child.py'
    cfg_file.write_text(
        "_base_ = ['mmtrpn::_base_/default_runtime.py']\nlog_level = 'DEBUG'\n")
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.default_scope == 'mmtrpn'
    assert cfg.log_level == 'DEBUG'


def _mmengine_like_checkpoint():
    from mmengine.logging import HistoryBuffer
    buffer = HistoryBuffer()
    buffer.update(0.5)
    return dict(
        meta=dict(seed=0, iter=10, dataset_meta=dict(classes=('a', 'b'))),
        state_dict=dict(weight=torch.ones(2)),
        message_hub=dict(
            log_scalars=dict(loss=buffer),
            runtime_info=dict(
                best_score=np.float64(0.25), array=np.arange(3))))


def test_checkpoint_with_mmengine_objects_loads_safely(tmp_path):
    from mmengine.runner.checkpoint import (CheckpointLoader,
                                            save_checkpoint)
    path = str(tmp_path / 'ckpt.pth')
    save_checkpoint(_mmengine_like_checkpoint(), path)
    # Plain torch >= 2.6 refuses it: this is the breakage being fixed.
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(path)
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert loaded['meta']['iter'] == 10
    assert loaded['message_hub']['log_scalars']['loss'].current() == 0.5
    np.testing.assert_array_equal(
        loaded['message_hub']['runtime_info']['array'], np.arange(3))


class _Untrusted:
    """Stands for any class an attacker could smuggle into a pickle."""


def test_untrusted_checkpoint_needs_explicit_opt_in(tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import CheckpointLoader
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, payload=_Untrusted()), path)
    monkeypatch.delenv(compat.TRUST_CHECKPOINTS_ENV, raising=False)
    with pytest.raises(RuntimeError, match='MMTRPN_TRUST_CHECKPOINTS'):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    monkeypatch.setenv(compat.TRUST_CHECKPOINTS_ENV, '1')
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert isinstance(loaded['payload'], _Untrusted)


def test_cpu_ddp_wrapper_drops_device_ids():
    if torch.cuda.is_available():
        pytest.skip('the fix only applies without CUDA')
    code = '''
    import os, torch, torch.distributed as dist
    import mmtrpn
    from mmengine.model import MMDistributedDataParallel
    from mmtrpn.utils.model_wrapper import MMTRPNDistributedDataParallel
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT='29531')
    dist.init_process_group('gloo', rank=0, world_size=1)
    module = torch.nn.Linear(2, 2)
    try:
        MMDistributedDataParallel(module=module, device_ids=[0])
        print('plain-ok')
    except ValueError:
        print('plain-fails')
    wrapped = MMTRPNDistributedDataParallel(module=module, device_ids=[0])
    print('ours-ok', wrapped(torch.ones(1, 2)).shape)
    dist.destroy_process_group()
    '''
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert 'plain-fails' in result.stdout
    assert 'ours-ok' in result.stdout


_SLOW_FSYNC_WRITER = '''
import os, sys, time
from mmtrpn.utils import apply_compat_fixes
apply_compat_fixes()
{unpatch}
from mmengine.fileio.backends.local_backend import LocalBackend
os.fsync = lambda fd: time.sleep(30)  # a slow disk: the kill lands mid-write
print('writing', flush=True)
LocalBackend().put(b'new' * 1000, sys.argv[1])
'''


@pytest.mark.parametrize('patched', [True, False])
def test_checkpoint_write_is_atomic_under_kill(tmp_path, patched):
    target = tmp_path / 'epoch_1.pth'
    target.write_bytes(b'previous good checkpoint')
    unpatch = '' if patched else textwrap.dedent('''
        from mmengine.fileio.backends import local_backend
        def put(self, obj, filepath):
            with open(filepath, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
        local_backend.LocalBackend.put = put
        ''')
    proc = subprocess.Popen(
        [PYTHON, '-c', _SLOW_FSYNC_WRITER.format(unpatch=unpatch),
         str(target)],
        stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'writing'
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    content = target.read_bytes()
    if patched:
        assert content == b'previous good checkpoint'
        assert [p.name for p in tmp_path.iterdir()] == ['epoch_1.pth'] or all(
            p.name.endswith('.tmp') or p.name == 'epoch_1.pth'
            for p in tmp_path.iterdir())
    else:
        # Without the fix the old checkpoint is already gone.
        assert content != b'previous good checkpoint'


def test_import_changes_nothing_in_mmengine():
    code = '''
    import copyreg
    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils
    from mmengine.fileio.backends.local_backend import LocalBackend
    from mmengine.logging import HistoryBuffer
    from mmengine.registry import Registry
    from mmengine.runner import checkpoint
    from mmengine.runner.checkpoint import CheckpointLoader

    def state():
        return (LocalBackend.put, LocalBackend.put_text, Registry.build,
                checkpoint.FileClient,
                config_module.get_installed_path,
                dict(config_utils.MODULE2PACKAGE),
                dict(CheckpointLoader._schemes),
                copyreg.dispatch_table.get(HistoryBuffer))

    before = state()
    import mmtrpn, mmtrpn.registry, mmtrpn.structures  # noqa
    import mmtrpn.datasets, mmtrpn.models, mmtrpn.evaluation  # noqa
    print('same' if state() == before else 'changed')
    from mmtrpn.utils import apply_compat_fixes
    apply_compat_fixes()
    print('same' if state() == before else 'changed')
    '''
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['same', 'changed']


def test_checkpoint_saving_logs_no_file_client_deprecation(tmp_path):
    # Before the fix every start and every save logged the FileClient and
    # HardDiskBackend deprecations.
    code = f'''
    from types import SimpleNamespace
    from mmengine.hooks import CheckpointHook
    from mmengine.logging import MMLogger
    from mmengine.runner.checkpoint import save_checkpoint
    from mmtrpn.utils import apply_compat_fixes
    logger = MMLogger.get_instance('mmengine', log_level='INFO')
    apply_compat_fixes()
    save_checkpoint(dict(meta=dict()), {str(tmp_path / 'a.pth')!r})
    hook = CheckpointHook(interval=1)
    hook.before_train(
        SimpleNamespace(work_dir={str(tmp_path)!r}, logger=logger))
    print('saved', hook.file_client, type(hook.file_backend).__name__)
    '''
    result = _run(code)
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert 'deprecated' not in out
    assert 'saved None LocalBackend' in out
    assert (tmp_path / 'a.pth').is_file()


def test_registry_hints_only_for_mmtrpn_names():
    from mmengine.registry import Registry

    from mmtrpn.registry import MODELS
    with pytest.raises(KeyError, match=r"Did you mean \['DMFNeck'\]"):
        MODELS.build(dict(type='DMFNek'))
    other = Registry('gadget', scope='elsewhere')
    with pytest.raises(KeyError) as info:
        other.build(dict(type='Nothing'))
    assert 'Registered names' not in str(info.value)


def test_truncated_checkpoint_names_the_path(tmp_path):
    # Issue 19 case 14: half a checkpoint gave "OSError: [Errno 22]"
    # without the file.
    import torch

    from mmtrpn.utils.compat import load_checkpoint_file
    path = tmp_path / 'full.pth'
    torch.save(dict(state_dict={'w': torch.zeros(256, 256)}), str(path))
    data = path.read_bytes()
    for fraction in (0.5, 0.25, 0.99):
        cut = tmp_path / f'cut_{fraction}.pth'
        cut.write_bytes(data[:int(len(data) * fraction)])
        with pytest.raises(ValueError, match=f'checkpoint file {cut} is '
                           'truncated or corrupt'):
            load_checkpoint_file(str(cut))
