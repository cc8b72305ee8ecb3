"""Fixes for known breakages of the pinned OpenMMLab stack.

``import mmtrpn`` changes nothing in MMEngine or MMAction2. The fixes are
applied by one explicit, idempotent call, :func:`apply_compat_fixes`, that
every entry point makes: the tools, ``mmtrpn.apis`` and
``register_all_modules``. Each fix touches one function or table and is
tested in ``tests/utils/test_compat.py`` (each test fails without its fix).
See docs/faq.md for the symptoms.
"""
import importlib.util
import os
import sys
import types
import zipfile

import torch

# Environment variable that opts in to full (pickle) checkpoint loading.
TRUST_CHECKPOINTS_ENV = 'MMTRPN_TRUST_CHECKPOINTS'


def patch_missing_drn_module():
    """mmaction2 1.2.0 wheels lack ``localizers/drn`` but import it.

    Without this ``import mmaction.models`` raises ModuleNotFoundError. A
    placeholder module is inserted only when the real file is missing.
    """
    name = 'mmaction.models.localizers.drn.drn'
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return False
    pkg_dir = list(spec.submodule_search_locations)[0]
    if os.path.exists(
            os.path.join(pkg_dir, 'models', 'localizers', 'drn', 'drn.py')):
        return False
    package = types.ModuleType('mmaction.models.localizers.drn')
    package.__path__ = []
    module = types.ModuleType(name)

    class DRN:  # noqa: D401 - placeholder matching the missing symbol
        """Placeholder: the DRN localizer is absent from this mmaction2."""

        def __init__(self, *args, **kwargs):
            raise ImportError('mmaction2 was installed without the DRN '
                              'localizer; it cannot be built.')

    module.DRN = DRN
    package.drn = module
    package.DRN = DRN
    sys.modules['mmaction.models.localizers.drn'] = package
    sys.modules[name] = module
    return True


def register_config_scope():
    """Let MMEngine resolve ``mmtrpn::path/to/config.py`` bases.

    MMEngine only knows a fixed list of packages, and finds their
    ``.mim/configs`` from the distribution's location, which is wrong for
    editable installs; mmtrpn's own path is taken from the imported package.
    """
    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils
    config_utils.MODULE2PACKAGE.setdefault('mmtrpn', 'mmtrpn')
    original = config_module.get_installed_path
    if getattr(original, '_mmtrpn_patched', False):
        return

    def get_installed_path(package):
        if package == 'mmtrpn':
            return os.path.dirname(
                os.path.dirname(os.path.abspath(__file__)))
        return original(package)

    get_installed_path._mmtrpn_patched = True
    config_module.get_installed_path = get_installed_path


def _mmengine_safe_globals():
    """Classes an MMEngine checkpoint of ours holds besides tensors."""
    import numpy as np
    from mmengine.logging import HistoryBuffer
    safe = [HistoryBuffer, np.ndarray, np.dtype,
            np.core.multiarray._reconstruct if hasattr(np, 'core') else None]
    safe += [type(np.dtype(t)) for t in ('float64', 'float32', 'int64',
                                         'int32', 'bool', 'uint8')]
    safe += [np.float64, np.float32, np.int64, np.int32, np.bool_]
    try:
        from numpy._core.multiarray import _reconstruct, scalar
        safe += [_reconstruct, scalar]
    except ImportError:  # numpy < 2
        pass
    return [s for s in safe if s is not None]


def trust_checkpoints():
    """True when the user opted in to unrestricted checkpoint unpickling."""
    return os.environ.get(TRUST_CHECKPOINTS_ENV, '0').lower() in ('1', 'true',
                                                                  'yes')


def load_checkpoint_file(filename, map_location=None):
    """Load a local checkpoint safely under torch >= 2.6.

    ``torch.load(weights_only=True)`` refuses MMEngine's ``HistoryBuffer`` and
    numpy objects; they are allow-listed here, so checkpoints that MMEngine
    writes load without running arbitrary pickle code. Anything else is
    refused unless the user sets ``MMTRPN_TRUST_CHECKPOINTS=1`` (or passes
    ``--trust-checkpoint`` to the tools): load only files you trust then.
    """
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename} does not exist')
    if os.path.getsize(filename) == 0:
        raise ValueError(f'checkpoint file {filename} is empty (0 bytes): '
                         'the run writing it was interrupted; use another '
                         'checkpoint.')
    try:
        if trust_checkpoints():
            return torch.load(filename, map_location=map_location,
                              weights_only=False)
        with torch.serialization.safe_globals(_mmengine_safe_globals()):
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except (EOFError, RuntimeError, OSError) as error:
        text = str(error)
        # A torch.save file is a zip archive; a cut one has no central
        # directory (or, cut elsewhere, a bad offset: OSError EINVAL),
        # which torch reports without the file name.
        reason = text.splitlines()[0] if text else type(error).__name__
        raise ValueError(
            f'checkpoint file {filename} is truncated or corrupt (not a '
            f'complete torch.save archive: {reason}). Use another '
            'checkpoint.') from error
    except Exception as error:  # pickle.UnpicklingError and friends
        if 'Weights only load failed' not in str(error):
            raise ValueError(f'checkpoint file {filename} cannot be read: '
                             f'{type(error).__name__}: {error}') from error
        if not zipfile.is_zipfile(filename):
            raise ValueError(
                f'checkpoint file {filename} is not a torch.save archive '
                '(truncated, corrupt or another kind of file). If it is an '
                'old-format checkpoint you trust, set '
                f'{TRUST_CHECKPOINTS_ENV}=1 (or pass --trust-checkpoint).'
            ) from error
        raise RuntimeError(
            f'Refusing to unpickle {filename}: it holds objects outside the '
            'allow-list of MMEngine checkpoints. If you trust this file, set '
            f'{TRUST_CHECKPOINTS_ENV}=1 (or pass --trust-checkpoint).') from (
                error)


def _reduce_history_buffer(buffer):
    return (type(buffer), (buffer._log_history, buffer._count_history,
                           buffer.max_length))


def patch_history_buffer_pickling():
    """Pickle MMEngine's ``HistoryBuffer`` from its data alone.

    By default its pickle holds bound methods, rebuilt through
    ``builtins.getattr``, which a weights-only load must refuse (allowing
    ``getattr`` would open the door to arbitrary code). Reduced to its
    constructor and arrays, checkpoints we write load with
    ``weights_only=True``.
    """
    import copyreg

    from mmengine.logging import HistoryBuffer
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)


def patch_checkpoint_loader():
    """Route MMEngine's local checkpoint loading through the safe loader."""
    from mmengine.runner.checkpoint import CheckpointLoader

    def load_from_local(filename, map_location):
        filename = os.path.expanduser(filename)
        return load_checkpoint_file(filename, map_location)

    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)


def patch_atomic_local_writes():
    """Make MMEngine's local file writes atomic (temp file + rename).

    Checkpoints go through ``LocalBackend.put`` / ``put_text``
    (``last_checkpoint`` through :func:`patch_last_checkpoint_io`); a
    process killed mid-write would otherwise leave a truncated file where
    the previous good one was.
    """
    from mmengine.fileio.backends.local_backend import LocalBackend

    from .fileio import atomic_write_bytes, atomic_write_text
    if getattr(LocalBackend.put, '_mmtrpn_atomic', False):
        return

    def put(self, obj, filepath):
        atomic_write_bytes(filepath, obj)

    def put_text(self, obj, filepath, encoding='utf-8'):
        atomic_write_text(filepath, obj, encoding=encoding)

    put._mmtrpn_atomic = True
    LocalBackend.put = put
    LocalBackend.put_text = put_text


class _LastCheckpointRecord:
    """What ``CheckpointHook``'s ``open(last_checkpoint, 'w')`` gets: the
    text is written atomically, by name, on close."""

    def __init__(self, path):
        self.path, self.parts = path, []

    def write(self, text):
        self.parts.append(text)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            from .last_checkpoint import write_last_checkpoint
            write_last_checkpoint(os.path.dirname(self.path),
                                  ''.join(self.parts))


def patch_last_checkpoint_io():
    """Write ``last_checkpoint`` atomically and relative to the work dir,
    and resolve it the same way on auto resume (see
    :mod:`mmtrpn.utils.last_checkpoint`).

    MMEngine writes it with a plain ``open('w')`` (a kill leaves it empty)
    holding an absolute path (a copied work dir resumes the original's
    files). Only that one ``open`` of ``CheckpointHook`` is redirected.
    """
    import builtins

    from mmengine.hooks import checkpoint_hook
    from mmengine.runner import runner as runner_module

    from .last_checkpoint import LAST_CHECKPOINT, resolve_last_checkpoint
    if getattr(checkpoint_hook.__dict__.get('open'), '_mmtrpn_patched',
               False):
        return

    def open_(file, mode='r', *args, **kwargs):
        if mode == 'w' and os.path.basename(str(file)) == LAST_CHECKPOINT:
            return _LastCheckpointRecord(os.fspath(file))
        return builtins.open(file, mode, *args, **kwargs)

    open_._mmtrpn_patched = True
    checkpoint_hook.open = open_
    runner_module.find_latest_checkpoint = resolve_last_checkpoint


# Modules that build a FileClient whether or not they use it.
_FILE_CLIENT_USERS = ('mmengine.hooks.checkpoint_hook',
                      'mmengine.runner.checkpoint')


def patch_unused_checkpoint_file_client():
    """Stop checkpoint saving from building a FileClient it never uses.

    In MMEngine 0.10 ``CheckpointHook.before_train`` and
    ``runner.checkpoint.save_checkpoint`` always call
    ``FileClient.infer_client`` and use the result only when
    ``file_client_args`` is set; building it logs the ``FileClient`` and
    ``HardDiskBackend`` deprecations at every start and every save. Their
    module's ``FileClient`` becomes a subclass whose ``infer_client``
    returns None when there are no ``file_client_args``.
    """
    patched = False
    for name in _FILE_CLIENT_USERS:
        module = importlib.import_module(name)
        file_client = module.FileClient
        if getattr(file_client, '_mmtrpn_lazy', False):
            continue
        module.FileClient = _lazy_file_client(file_client)
        patched = True
    return patched


def _lazy_file_client(file_client):

    class FileClientWhenAsked(file_client):
        _mmtrpn_lazy = True

        @classmethod
        def infer_client(cls, file_client_args=None, uri=None):
            if file_client_args is None:
                return None
            return file_client.infer_client(file_client_args, uri)

    return FileClientWhenAsked


_APPLIED = False


def apply_compat_fixes() -> None:
    """Apply every fix of this module, once per process."""
    global _APPLIED
    if _APPLIED:
        return
    patch_missing_drn_module()
    register_config_scope()
    patch_history_buffer_pickling()
    patch_checkpoint_loader()
    patch_atomic_local_writes()
    patch_last_checkpoint_io()
    patch_unused_checkpoint_file_client()
    from .registry_hints import patch_registry_build_errors
    patch_registry_build_errors()
    _APPLIED = True
