"""Train -> checkpoint -> test through the real tools, on small synthetic data.

Asserts that training lifts mAP far above an untrained model of the same
config (the empirical chance level) and that reloading the checkpoint in
tools/test.py reproduces the validation score logged during training (on
the held-out training videos the config validates on).
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
from mmtrpn.registry import MODELS
from mmtrpn.utils import register_all_modules

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / 'configs' / 'dtrp_loc' / 'trpn_synthetic.py')
PYTHON = sys.executable


def _options(data_root):
    return [
        f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        'model.num_classes=5', 'model.feature_dims=(32,32)',
        'train_dataloader.dataset.pipeline.0.rgb_dim=32',
        'train_dataloader.dataset.pipeline.0.flow_dim=32',
        'train_dataloader.dataset.pipeline.1.num_snippets=96',
        'val_dataloader.dataset.pipeline.0.rgb_dim=32',
        'val_dataloader.dataset.pipeline.0.flow_dim=32',
        'test_dataloader.dataset.pipeline.0.rgb_dim=32',
        'test_dataloader.dataset.pipeline.0.flow_dim=32',
        'train_cfg.max_iters=200', 'train_cfg.val_interval=200',
        'default_hooks.checkpoint.interval=200',
    ]


def _run(args):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    result = subprocess.run([PYTHON] + args, cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    return result.stdout + result.stderr


def _score(data_root, results):
    out = _run([
        'tools/eval_results.py', '--gt',
        str(data_root / 'annotations.json'), '--pred',
        str(results), '--subset', 'test', '--json'
    ])
    return json.loads(out[out.index('{'):])['metrics']


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp('e2e')
    data_root = root / 'data'
    generate_synthetic(
        str(data_root),
        SyntheticConfig(
            seed=1, num_classes=5, dim=32, num_train=64, num_test=24,
            min_duration=30.0, max_duration=90.0))
    options = _options(data_root)
    work_dir = root / 'work'
    train_log = _run(['tools/train.py', CONFIG, '--work-dir',
                      str(work_dir), '--seed', '0', '--cfg-options'] +
                     options)
    checkpoint = work_dir / 'iter_200.pth'
    assert checkpoint.is_file()

    # An untrained model of the same config is the empirical chance level.
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(model=dict(num_classes=5, feature_dims=(32, 32))))
    torch.manual_seed(0)
    untrained = root / 'untrained.pth'
    save_checkpoint(
        dict(state_dict=MODELS.build(cfg.model).state_dict(), meta=dict()),
        str(untrained))
    return dict(root=root, data_root=data_root, options=options,
                checkpoint=checkpoint, untrained=untrained,
                train_log=train_log)


def _test(trained, checkpoint, name):
    results = trained['root'] / f'{name}.json'
    _run(['tools/test.py', CONFIG,
          str(checkpoint), '--work-dir',
          str(trained['root'] / f'test_{name}'), '--dump',
          str(results), '--cfg-options'] + trained['options'])
    assert results.is_file()
    return _score(trained['data_root'], results)


def test_training_beats_untrained_model_by_far(trained):
    after = _test(trained, trained['checkpoint'], 'trained')
    before = _test(trained, trained['untrained'], 'untrained')
    print('trained', after['mAP_AVG'], 'untrained', before['mAP_AVG'])
    assert after['mAP@0.10'] > 40.0
    assert after['mAP_AVG'] > before['mAP_AVG'] + 15.0
    assert after['mAP_AVG'] > 2 * before['mAP_AVG']


def test_reloaded_checkpoint_reproduces_training_validation(trained):
    logged = re.findall(r'wstal/mAP_AVG: ([0-9.]+)', trained['train_log'])
    assert logged, 'training did not log a validation mAP'
    # tools/test.py pointed at the validation split: the held-out list.
    metrics = trained['root'] / 'reloaded_val.json'
    _run(['tools/test.py', CONFIG, str(trained['checkpoint']), '--work-dir',
          str(trained['root'] / 'test_reloaded_val'), '--out-metrics',
          str(metrics), '--cfg-options'] + trained['options'] + [
              'test_dataloader.dataset.subset=validation',
              'test_dataloader.dataset.include_videos=heldout.txt'])
    reloaded = json.loads(metrics.read_text())['wstal/mAP_AVG']
    assert reloaded == pytest.approx(float(logged[-1]), abs=1e-4)
    # ... and it is not the test split's score.
    tested = _test(trained, trained['checkpoint'], 'reloaded')
    assert tested['mAP_AVG'] != pytest.approx(reloaded, abs=1e-4)
