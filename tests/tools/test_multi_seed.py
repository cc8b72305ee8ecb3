"""tools/multi_seed.py: statistics on fabricated metrics, then a real
2-seed sweep (10 iterations each) on a tiny synthetic set."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'multi_seed.py'
spec = importlib.util.spec_from_file_location('multi_seed', TOOL)
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)


def test_summary_uses_sample_std_and_orders_keys():
    per_seed = {
        0: {'wstal/mAP_AVG': 30.0, 'wstal/mAP@0.50': 20.0,
            'wstal/mAP@0.10': 50.0, 'wstal/mAP_AVG[0.1:0.5]': 40.0},
        1: {'wstal/mAP_AVG': 34.0, 'wstal/mAP@0.50': 22.0,
            'wstal/mAP@0.10': 52.0, 'wstal/mAP_AVG[0.1:0.5]': 41.0},
        2: {'wstal/mAP_AVG': 32.0, 'wstal/mAP@0.50': 24.0,
            'wstal/mAP@0.10': 54.0, 'wstal/mAP_AVG[0.1:0.5]': 42.0},
    }
    summary = tool.summarize(per_seed)
    assert list(summary) == ['wstal/mAP@0.10', 'wstal/mAP@0.50',
                             'wstal/mAP_AVG', 'wstal/mAP_AVG[0.1:0.5]']
    avg = summary['wstal/mAP_AVG']
    assert avg['mean'] == pytest.approx(32.0)
    assert avg['std'] == pytest.approx(2.0)  # ddof=1; ddof=0 gives 1.63
    assert (avg['min'], avg['max'], avg['n']) == (30.0, 34.0, 3)
    assert avg['median'] == 32.0
    table = tool.markdown_table(per_seed, summary)
    lines = table.splitlines()
    assert lines[0] == '| seed | 0.10 | 0.50 | AVG | AVG[0.1:0.5] |'
    assert '**32.00 ± 2.00**' in table
    assert lines[-2].startswith('| min | 50.00 | 20.00 | 30.00')
    # One seed: no spread, written as n/a (JSON null).
    one = tool.summarize({0: per_seed[0]})
    assert one['wstal/mAP_AVG']['std'] is None
    assert 'n/a' in tool.markdown_table({0: per_seed[0]}, one)


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    root = tmp_path_factory.mktemp('multi_seed') / 'data'
    generate_synthetic(
        str(root),
        SyntheticConfig(seed=1, num_train=8, num_test=4, min_duration=20,
                        max_duration=40))
    return root


def test_two_seed_sweep(tiny_root, tmp_path):
    work = tmp_path / 'work'
    # No validation during training (as train.py --no-validate).
    options = ['train_cfg.max_iters=10', 'val_cfg=None',
                'val_dataloader=None', 'val_evaluator=None',
                'train_dataloader.batch_size=4']
    cmd = [sys.executable, str(TOOL), 'configs/dtrp_loc/trpn_synthetic.py', '--seeds',
           '0', '1', '--work-dir', str(work), '--data-root', str(tiny_root),
           '--cfg-options'] + options
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((work / 'multi_seed.json').read_text())
    assert result['seeds'] == [0, 1]
    assert result['command'].startswith(
        'python tools/multi_seed.py configs/dtrp_loc/trpn_synthetic.py --seeds 0 1')
    assert result['wall_s'] > 0
    per_seed = {int(s): m for s, m in result['per_seed'].items()}
    for seed in (0, 1):
        saved = json.loads((work / f'seed_{seed}' / 'metrics.json')
                           .read_text())
        assert saved == per_seed[seed]
        assert (work / f'seed_{seed}' / 'iter_10.pth').exists()
    keys = [f'wstal/mAP@{t:.2f}' for t in np.linspace(0.1, 0.7, 7)]
    keys.append('wstal/mAP_AVG')
    for key in keys:
        vals = [per_seed[s][key] for s in (0, 1)]
        stats = result['summary'][key]
        assert stats['mean'] == pytest.approx(np.mean(vals))
        assert stats['std'] == pytest.approx(np.std(vals, ddof=1))
        assert (stats['min'], stats['max']) == (min(vals), max(vals))
        assert stats['median'] == pytest.approx(np.median(vals))
    # --data-root reached both tools of each seed.
    log = (work / 'seed_0' / 'multi_seed.log').read_text()
    assert log.count(f'Data root: {tiny_root}') == 2
    table = (work / 'multi_seed.md').read_text()
    assert '| seed | 0.10 |' in table and 'mean ± std' in table
    assert table.split('\n\n')[-1].strip() in proc.stdout

    # An interrupted sweep resumes without retraining finished seeds.
    proc = subprocess.run(cmd + ['--skip-existing'], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count('reusing') == 2
    assert 'train.py' not in proc.stdout
