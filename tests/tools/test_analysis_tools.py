"""tools/analysis: print_config, browse_dataset, benchmark_inference, and
the --version every tool prints."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import mmtrpn
from mmtrpn.structures.wstal_data_sample import WSTALDataSample

REPO = Path(__file__).resolve().parents[2]
ANALYSIS = REPO / 'tools' / 'analysis'
SYNTHETIC = str(REPO / 'configs' / 'dtrp_loc' / 'trpn_synthetic.py')


def _tool(name):
    sys.path.insert(0, str(ANALYSIS))
    spec = importlib.util.spec_from_file_location(name,
                                                  ANALYSIS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    root = tmp_path_factory.mktemp('data') / 'tiny'
    generate_synthetic(str(root), SyntheticConfig(
        seed=0, num_classes=3, dim=8, num_train=12, num_test=3,
        min_duration=20.0, max_duration=30.0))
    return str(root)


def _dims(split='train'):
    return [f'{split}_dataloader.dataset.pipeline.0.{m}_dim=8'
            for m in ('rgb', 'flow')]


def test_print_config_applies_options_and_data_root(capsys, tiny_root):
    _tool('print_config').main([SYNTHETIC, '--data-root', tiny_root,
                                '--cfg-options', 'train_cfg.max_iters=7'])
    text = capsys.readouterr().out
    assert text.startswith('Config:\n')
    assert 'max_iters=7' in text
    assert text.count(f"data_root='{tiny_root}'") == 3  # every split


def test_sample_view_by_hand():
    sample = WSTALDataSample()
    sample.set_metainfo(dict(video_name='v', duration=4.0,
                             snippet_duration=0.5, num_snippets=8,
                             feature_dims=(2, 1)))
    sample.set_data(dict(gt_label=np.array([0, 1, 1], np.float32),
                         gt_segments=np.array([[1.0, 2.0]], np.float32),
                         gt_labels=np.array([2]),
                         snippet_indices=np.array([1, 4, 6])))
    inputs = torch.arange(9, dtype=torch.float32).reshape(3, 3)
    view = _tool('browse_dataset').sample_view(
        dict(inputs=inputs, data_samples=sample), ['a', 'b', 'c'])
    np.testing.assert_allclose(view['centres'], [0.75, 2.25, 3.25])
    np.testing.assert_array_equal(view['rgb'], [[0, 1], [3, 4], [6, 7]])
    np.testing.assert_array_equal(view['flow'], [[2], [5], [8]])
    assert view['labels'] == ['b', 'c'] and view['gt_labels'].tolist() == [2]


def test_browse_dataset_writes_one_figure_per_sample(tmp_path, tiny_root):
    out = tmp_path / 'figs'
    _tool('browse_dataset').main(
        [SYNTHETIC, '--out', str(out), '--index', '0', '2', '--data-root',
         tiny_root, '--cfg-options'] + _dims())
    figures = sorted(p.name for p in out.iterdir())
    assert len(figures) == 2 and all(f.endswith('.png') for f in figures)
    assert all((out / f).stat().st_size > 10000 for f in figures)


def test_benchmark_inference_random_init(tmp_path):
    out = tmp_path / 'speed.json'
    result = _tool('benchmark_inference').main(
        [SYNTHETIC, '--num-videos', '2', '--warmup', '1', '--num-snippets',
         '40', '--threads', '1', '--out', str(out)])
    assert out.is_file()
    assert result['num_videos'] == 2 and result['feature_dims'] == [64, 64]
    assert result['videos_per_s'] == pytest.approx(
        1 / result['seconds_per_video'])
    assert result['snippets_per_s'] == pytest.approx(
        40 * result['videos_per_s'])
    # the share is two wall-clock intervals of a contended machine: check
    # how it relates to the rates, not its size
    assert result['test_step_share'] > 0
    assert result['test_step_videos_per_s'] == pytest.approx(
        result['videos_per_s'] / result['test_step_share'])


@pytest.mark.parametrize('tool', ['train.py', 'eval_results.py',
                                  'analysis/print_config.py'])
def test_tools_print_the_version(tool):
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / tool),
                           '--version'], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f'mmtrpn {mmtrpn.__version__}'
