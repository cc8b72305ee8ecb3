"""Shared pieces of the integration tests: one tiny synthetic dataset and a
runner for the command-line tools (subprocesses, one thread each)."""
import glob
import json
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import time

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PYTHON = sys.executable
CONFIG = osp.join(REPO, 'configs', 'dtrp_loc', 'trpn_synthetic.py')

# Tiny data: 24 training and 13 (odd, for the 2-rank split) test videos of
# 20-40 s, i.e. 32-62 snippets, all shorter than the config's 128 training
# snippets.
NUM_CLASSES = 6
DIM = 16
NUM_TRAIN = 24
NUM_TEST = 13


def tool_env(**extra):
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHON=PYTHON,
               PYTHONUNBUFFERED='1')
    env.pop('MMTRPN_TRUST_CHECKPOINTS', None)
    env.update({k: str(v) for k, v in extra.items()})
    if 'PYTHONPATH' in extra:
        # A plugin folder must not hide the checkout under test from the
        # tools (another installed mmtrpn would be imported instead).
        env['PYTHONPATH'] = os.pathsep.join(
            [str(extra['PYTHONPATH']), REPO] +
            [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep)
             if p])
    return env


def run_tool(args, cwd=None, timeout=300, env=None):
    """Run ``python tools/...`` or ``bash tools/....sh``; output captured."""
    if args[0].endswith('.sh'):
        cmd = ['bash', osp.join(REPO, args[0])] + list(args[1:])
    else:
        cmd = [PYTHON, osp.join(REPO, args[0])] + list(args[1:])
    return subprocess.run(cmd, cwd=cwd or REPO, env=env or tool_env(),
                          capture_output=True, text=True, timeout=timeout)


def output(proc):
    return proc.stdout + proc.stderr


def check(proc):
    assert proc.returncode == 0, output(proc)[-6000:]
    return proc


def plugin_config(folder, module, source, hooks):
    """A config of the tiny model with ``custom_hooks`` ``hooks`` (list of
    dict sources) imported from the plugin ``module`` written in
    ``folder``; returns (config path, PYTHONPATH for the plugin)."""
    plugin = osp.join(folder, 'plugin')
    os.makedirs(plugin, exist_ok=True)
    with open(osp.join(plugin, module + '.py'), 'w') as f:
        f.write(source)
    config = osp.join(folder, module + '_config.py')
    with open(config, 'w') as f:
        f.write(f'_base_ = [{CONFIG!r}]\n'
                f'custom_imports = dict(imports=[{module!r}], '
                'allow_failed_imports=False)\n'
                'custom_hooks = [\n    ' + ',\n    '.join(hooks) + '\n]\n')
    return config, plugin


def kill_when(args, ready, env, stdout=subprocess.DEVNULL, timeout=240):
    """Run a tool in its own session and SIGKILL it (whole group) as soon
    as ``ready()`` holds; returns the finished Popen."""
    proc = subprocess.Popen(
        [PYTHON, osp.join(REPO, args[0])] + list(args[1:]), cwd=REPO,
        stdout=stdout, stderr=subprocess.STDOUT, env=env,
        start_new_session=True)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and proc.poll() is None:
            if ready():
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return proc


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def tiny_opts(data_root, pipeline_dims=True):
    """--cfg-options that shrink configs/dtrp_loc/trpn_synthetic.py to the tiny data."""
    opts = [f'data_root={data_root}']
    for loader in ('train', 'val', 'test'):
        opts.append(f'{loader}_dataloader.dataset.data_root={data_root}')
        if pipeline_dims:
            opts += [
                f'{loader}_dataloader.dataset.pipeline.0.rgb_dim={DIM}',
                f'{loader}_dataloader.dataset.pipeline.0.flow_dim={DIM}'
            ]
    opts += [
        f'model.num_classes={NUM_CLASSES}', f'model.feature_dims=({DIM},{DIM})',
        'model.neck.temporal_hidden=16',
        'model.proposal_stage.rpn_head.hidden=16',
        'train_dataloader.batch_size=4', 'default_hooks.logger.interval=5',
        'default_hooks.checkpoint.interval=10'
    ]
    return opts


def newest_run_dir(work_dir):
    """The ``<timestamp>`` folder MMEngine made for the latest run."""
    runs = sorted(d for d in glob.glob(osp.join(work_dir, '*'))
                  if osp.isdir(d) and osp.basename(d)[:8].isdigit())
    assert runs, f'no run folder in {work_dir}'
    return runs[-1]


def metrics_of_test_run(work_dir):
    """Exact metrics of a tools/test.py run (``<ts>/<ts>.json``)."""
    run = newest_run_dir(work_dir)
    with open(osp.join(run, osp.basename(run) + '.json')) as f:
        metrics = json.load(f)
    return {k: v for k, v in metrics.items() if k.startswith('wstal/')}


def val_metrics(work_dir):
    """Exact metrics of every validation of the training in ``work_dir``
    (a resumed run's segments joined)."""
    from mmtrpn.utils.scalars import load_scalars
    return [{k: v for k, v in record.items()
             if k.startswith('wstal/') or k == 'step'}
            for record in load_scalars(work_dir)
            if 'wstal/mAP_AVG' in record]


def load_state_dict(path):
    import torch
    return torch.load(path, map_location='cpu', weights_only=False)[
        'state_dict']


def assert_same_weights(path_a, path_b):
    import torch
    a, b = load_state_dict(path_a), load_state_dict(path_b)
    assert sorted(a) == sorted(b)
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, f'{len(differ)}/{len(a)} tensors differ: {differ[:5]}'


class Tools:
    """What the tests use; a fixture, so tests need not import conftest."""
    REPO = REPO
    PYTHON = PYTHON
    CONFIG = CONFIG
    NUM_CLASSES = NUM_CLASSES
    DIM = DIM
    NUM_TRAIN = NUM_TRAIN
    NUM_TEST = NUM_TEST
    env = staticmethod(tool_env)
    run = staticmethod(run_tool)
    output = staticmethod(output)
    check = staticmethod(check)
    free_port = staticmethod(free_port)
    plugin_config = staticmethod(plugin_config)
    kill_when = staticmethod(kill_when)
    tiny_opts = staticmethod(tiny_opts)
    newest_run_dir = staticmethod(newest_run_dir)
    metrics_of_test_run = staticmethod(metrics_of_test_run)
    val_metrics = staticmethod(val_metrics)
    load_state_dict = staticmethod(load_state_dict)
    assert_same_weights = staticmethod(assert_same_weights)


@pytest.fixture(scope='session')
def tools():
    return Tools


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    root = tmp_path_factory.mktemp('tiny') / 'data'
    generate_synthetic(
        str(root),
        SyntheticConfig(seed=0, num_classes=NUM_CLASSES, dim=DIM,
                        num_train=NUM_TRAIN, num_test=NUM_TEST,
                        min_duration=20.0, max_duration=40.0))
    return str(root)


@pytest.fixture(scope='session')
def test_videos(tiny_data):
    with open(osp.join(tiny_data, 'annotations.json')) as f:
        database = json.load(f)['database']
    return sorted(k for k, v in database.items() if v['subset'] == 'test')


@pytest.fixture(scope='session')
def tiny_checkpoint(tiny_data, tmp_path_factory):
    """An untrained checkpoint of the tiny model (no training needed)."""
    import torch
    from mmengine.config import Config

    from mmtrpn.registry import MODELS
    from mmtrpn.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(CONFIG)
    cfg.model.update(num_classes=NUM_CLASSES, feature_dims=(DIM, DIM))
    cfg.model.neck.temporal_hidden = 16
    cfg.model.proposal_stage.rpn_head.hidden = 16
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = tmp_path_factory.mktemp('ckpt') / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), str(path))
    return str(path)
