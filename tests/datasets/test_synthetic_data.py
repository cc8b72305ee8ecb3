import dataclasses
import hashlib
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mmtrpn.datasets import WSTALFeatureDataset
from mmtrpn.structures.annotations import read_video_list
from mmtrpn.datasets.splits import primary_labels
from mmtrpn.datasets.synthetic import (SyntheticConfig, generate_synthetic,
                                       render_video, _World)

SHARED = Path(__file__).resolve().parents[2].parent / 'shared'
THUMOS_JSON = SHARED / 'data' / 'thumos14' / 'thumos14.json'

SMALL = SyntheticConfig(num_classes=6, dim=16, num_train=12, num_test=8,
                        min_duration=20, max_duration=60)


def digest(root):
    h = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            h.update(f.encode())
            h.update(Path(dirpath, f).read_bytes())
    return h.hexdigest()


def test_deterministic_and_seed_dependent(tmp_path):
    generate_synthetic(str(tmp_path / 'a'), SMALL)
    generate_synthetic(str(tmp_path / 'b'), SMALL)
    generate_synthetic(str(tmp_path / 'c'), dataclasses.replace(SMALL,
                                                                seed=1))
    assert digest(tmp_path / 'a') == digest(tmp_path / 'b')
    assert digest(tmp_path / 'a') != digest(tmp_path / 'c')


def test_format_loads(tmp_path):
    res = generate_synthetic(str(tmp_path), dataclasses.replace(
        SMALL, ambiguous=True, ambiguous_prob=1.0))
    ann = json.loads((tmp_path / 'annotations.json').read_text())
    assert len(ann['classes']) == 6
    subsets = [v['subset'] for v in ann['database'].values()]
    assert subsets.count('validation') == 12 and subsets.count('test') == 8
    tr = WSTALFeatureDataset('annotations.json', data_root=str(tmp_path),
                             subset='validation', check_files=True)
    te = WSTALFeatureDataset('annotations.json', data_root=str(tmp_path),
                             subset='test', ambiguous_file='Ambiguous_test.txt')
    assert len(tr) == 12 and len(te) == 8
    assert sum(len(te.get_data_info(i)['ambiguous_segments'])
               for i in range(len(te))) > 0
    for i in range(len(tr)):
        d = tr.get_data_info(i)
        rgb, flow = np.load(d['rgb_path']), np.load(d['flow_path'])
        assert rgb.dtype == np.float32 and rgb.shape[1] == 16
        assert rgb.shape == flow.shape
        assert abs(rgb.shape[0] - d['duration'] / 0.64) <= 1
        assert d['label'].sum() >= 1 and len(d['gt_segments']) >= 1
        assert np.all(d['gt_segments'][:, 1] <= d['duration'] + 1e-3)
    assert res['stats']['videos'] == 20


def test_heldout_split_written_with_the_data(tmp_path):
    cfg = dataclasses.replace(SMALL, num_train=30, heldout_per_class=1)
    res = generate_synthetic(str(tmp_path / 'a'), cfg)
    assert res['heldout_file'] == str(tmp_path / 'a' / 'heldout.txt')
    ann = json.loads((tmp_path / 'a' / 'annotations.json').read_text())
    pool = {n: v for n, v in ann['database'].items()
            if v['subset'] == 'validation'}
    primary = primary_labels(pool, ann['classes'])
    groups = Counter(primary.values())
    heldout = read_video_list(res['heldout_file'])
    # One per primary label, from classes with two videos or more.
    assert Counter(primary[n] for n in heldout) == {
        c: 1 for c, k in groups.items() if k >= 2}
    # The configs' two halves of the training subset.
    root = dict(ann_file='annotations.json', data_root=str(tmp_path / 'a'),
                subset='validation')
    val = WSTALFeatureDataset(include_videos='heldout.txt', **root)
    train = WSTALFeatureDataset(exclude_videos='heldout.txt', **root)
    names = lambda ds: {ds.get_data_info(i)['video_name']  # noqa: E731
                        for i in range(len(ds))}
    assert names(val) == set(heldout)
    assert names(val) | names(train) == set(pool)
    assert not names(val) & names(train)
    generate_synthetic(str(tmp_path / 'b'),
                       dataclasses.replace(cfg, heldout_per_class=0))
    assert not (tmp_path / 'b' / 'heldout.txt').exists()


def _snippet_labels(d, num):
    lab = np.full(num, -1)
    centres = (np.arange(num) + 0.5) * d['snippet_duration']
    for (s, e), c in zip(d['gt_segments'], d['gt_labels']):
        lab[(centres >= s) & (centres < e)] = c
    return lab


def test_class_signal_exists(tmp_path):
    cfg = dataclasses.replace(SMALL, num_train=30, num_test=1)
    generate_synthetic(str(tmp_path), cfg)
    ds = WSTALFeatureDataset('annotations.json', data_root=str(tmp_path))
    feats, labs = [], []
    for i in range(len(ds)):
        d = ds.get_data_info(i)
        x = np.concatenate([np.load(d['rgb_path']),
                            np.load(d['flow_path'])], 1)
        feats.append(x)
        labs.append(_snippet_labels(d, len(x)))
    x, y = np.concatenate(feats), np.concatenate(labs)
    present = [c for c in range(6) if (y == c).sum() > 5]
    assert len(present) >= 4
    means = np.stack([x[y == c].mean(0) for c in present])
    bg = x[y == -1].mean(0)
    # Class means differ from each other and from background by far more
    # than the noise of a mean.
    dists = np.linalg.norm(means[:, None] - means[None], axis=-1)
    assert dists[~np.eye(len(present), dtype=bool)].min() > 1.0
    assert np.linalg.norm(means - bg, axis=1).min() > 1.0


def test_difficulty_switches():
    cfg = SyntheticConfig(dim=32, num_classes=3)
    easy = dataclasses.replace(cfg, weak_boundaries=False, context=False,
                               modality_split=False, nuisance=False,
                               distractors=False)
    inst = [(10.0, 20.0, 0)]
    out = {}
    for name, c in (('hard', cfg), ('easy', easy)):
        world = _World(c, 3)
        rgb, flow = render_video(np.random.default_rng(0), world, c, 40.0,
                                 inst, [0])
        proj = rgb @ world.mu_rgb[0]
        out[name] = (world, rgb, flow, proj)
    centres = (np.arange(62) + 0.5) * 0.64
    core = (centres > 13) & (centres < 17)
    edge = ((centres > 10) & (centres < 11)) | ((centres > 19) &
                                                (centres < 20))
    near = ((centres > 6) & (centres < 9.5))
    far = centres > 32
    _, _, _, p_easy = out['easy']
    world, _, flow_h, p_hard = out['hard']
    # Weak boundaries: edges much weaker than cores only when switched on.
    assert p_easy[edge].mean() > 0.8 * p_easy[core].mean()
    # Context: the class leaks next to the action only when switched on.
    ctx = out['hard'][1] @ world.ctx_rgb[0]
    assert ctx[near].mean() > ctx[far].mean() + 0.5
    # Modality split: class 0 is flow-dominant.
    assert world.kind[0] == 'flow' and out['easy'][0].kind[0] == 'both'
    # Flow is quiet on static background.
    assert np.abs(flow_h[far]).mean() < 0.5 * np.abs(flow_h[core]).mean()


@pytest.mark.skipif(not THUMOS_JSON.is_file(),
                    reason='shared THUMOS-14 annotations absent')
def test_replay_real_layout(tmp_path):
    res = generate_synthetic(
        str(tmp_path), SyntheticConfig(dim=8), layout_file=str(THUMOS_JSON),
        max_videos=12, duration_scale=0.2)
    ann = json.loads((tmp_path / 'annotations.json').read_text())
    real = json.loads(THUMOS_JSON.read_text())['database']
    assert len(ann['classes']) == 20
    assert 5 <= len(ann['database']) <= 14
    assert {v['subset'] for v in ann['database'].values()} == {
        'validation', 'test'}
    for name, v in ann['database'].items():
        r = real[name]
        assert v['duration'] == pytest.approx(0.2 * r['duration'], abs=1e-3)
        assert [a['label'] for a in v['annotations']] == \
            [a['label'] for a in r['annotations']]
        for a, b in zip(v['annotations'], r['annotations']):
            assert a['segment'][0] == pytest.approx(0.2 * b['segment'][0],
                                                    abs=1e-3)
    assert res['stats']['videos'] == len(ann['database'])


def test_make_synthetic_cli(tmp_path):
    import subprocess
    import sys
    script = Path(__file__).resolve().parents[2] / 'tools' / 'data' / \
        'make_synthetic.py'
    proc = subprocess.run([
        sys.executable, str(script), '--out', str(tmp_path), '--seed', '3',
        '--num-train', '4', '--num-test', '3', '--dim', '8', '--easy',
        '--ambiguous'
    ], check=True, capture_output=True, text=True)
    assert '"videos": 7' in proc.stdout
    ann = json.loads((tmp_path / 'annotations.json').read_text())
    cfg = ann['info']['config']
    assert cfg['seed'] == 3 and not cfg['context'] and cfg['ambiguous']
    assert (tmp_path / 'Ambiguous_test.txt').is_file()
