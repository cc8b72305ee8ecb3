import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmtrpn.datasets import WSTALFeatureDataset
from mmtrpn.datasets.converters import (convert_folders, convert_wtalc,
                                        load_wtalc_annotations)

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / 'shared'
THUMOS_WTALC = SHARED / 'data' / 'thumos14' / 'wtalc_annotations'
ANET_WTALC = SHARED / 'data' / 'anet12' / 'wtalc_annotations'
THUMOS_JSON = SHARED / 'data' / 'thumos14' / 'thumos14.json'


def obj_array(items):
    out = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        out[i] = x
    return out


def make_wtalc(folder):
    """Tiny release in the real layout: bytes names, object arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [b'vid_a', b'vid_b', b'vid_c']
    np.save(folder / 'videoname.npy', np.array(names))
    np.save(folder / 'subset.npy',
            np.array([b'validation', b'test', b'test']))
    np.save(folder / 'duration.npy', np.array([[10.0], [6.4], [3.2]]))
    np.save(folder / 'segments.npy',
            obj_array([[[1.0, 2.0], [3.0, 4.0]], [[0.5, 1.5]], []]),
            allow_pickle=True)
    np.save(folder / 'labels.npy',
            obj_array([[b'Run', b'Jump'], [b'Jump'], []]),
            allow_pickle=True)
    np.save(folder / 'labels_all.npy',
            obj_array([[b'Jump', b'Run'], ['Run'], []]), allow_pickle=True)
    np.save(folder / 'classlist.npy', np.array([b'Jump', b'Run']))
    feats = obj_array([
        np.random.rand(16, 8).astype(np.float32),
        np.random.rand(10, 8).astype(np.float32),
        np.random.rand(5, 8).astype(np.float32)
    ])
    np.save(folder / 'feats.npy', feats, allow_pickle=True)
    return feats


def test_convert_wtalc_tiny(tmp_path):
    feats = make_wtalc(tmp_path / 'src')
    out = tmp_path / 'out'
    info = convert_wtalc(str(tmp_path / 'src'), str(out),
                         features=str(tmp_path / 'src' / 'feats.npy'),
                         progress=False)
    assert info['median_seconds_per_snippet'] == pytest.approx(0.64)
    ann = json.loads((out / 'annotations.json').read_text())
    assert ann['classes'] == ['Jump', 'Run']
    vb = ann['database']['vid_b']
    assert vb['subset'] == 'test' and vb['duration'] == 6.4
    assert vb['labels'] == ['Run']  # labels_all differs from segments
    assert 'labels' not in ann['database']['vid_a']
    rgb = np.load(out / 'features' / 'rgb' / 'vid_a.npy')
    flow = np.load(out / 'features' / 'flow' / 'vid_a.npy')
    np.testing.assert_array_equal(rgb, feats[0][:, :4])
    np.testing.assert_array_equal(flow, feats[0][:, 4:])
    assert not list(out.rglob('*.tmp'))
    ds = WSTALFeatureDataset('annotations.json', data_root=str(out),
                             subset='test', check_files=True)
    assert len(ds) == 2
    np.testing.assert_array_equal(ds.get_data_info(0)['label'], [0, 1])

    # Resume keeps what is there.
    marker = out / 'features' / 'rgb' / 'vid_a.npy'
    np.save(marker, np.zeros((1, 4), np.float32))
    convert_wtalc(str(tmp_path / 'src'), str(out),
                  features=str(tmp_path / 'src' / 'feats.npy'),
                  skip_existing=True, progress=False)
    assert np.load(marker).shape == (1, 4)


def test_convert_wtalc_count_mismatch(tmp_path):
    make_wtalc(tmp_path / 'src')
    np.save(tmp_path / 'few.npy', obj_array([np.ones((2, 8))]),
            allow_pickle=True)
    with pytest.raises(ValueError, match='few.npy'):
        convert_wtalc(str(tmp_path / 'src'), str(tmp_path / 'o'),
                      features=str(tmp_path / 'few.npy'), progress=False)


def test_convert_wtalc_cli(tmp_path):
    make_wtalc(tmp_path / 'src')
    subprocess.run([
        sys.executable,
        str(REPO / 'tools' / 'data' / 'convert_wtalc.py'), '--annotations',
        str(tmp_path / 'src'), '--features',
        str(tmp_path / 'src' / 'feats.npy'), '--out',
        str(tmp_path / 'out')
    ], check=True, capture_output=True)
    assert (tmp_path / 'out' / 'features' / 'flow' / 'vid_c.npy').is_file()


@pytest.mark.skipif(not THUMOS_WTALC.is_dir(),
                    reason='shared THUMOS-14 annotations absent')
def test_real_thumos_wtalc_annotations(tmp_path):
    layout = load_wtalc_annotations(str(THUMOS_WTALC))
    db = layout['database']
    assert len(layout['classes']) == 20 and len(db) == 412
    assert sum(v['subset'] == 'test' for v in db.values()) == 212
    assert db['video_test_0000270']['labels'] == []
    assert all(isinstance(c, str) for c in layout['classes'])
    # Real annotations plus tiny fake features for a few videos load.
    convert_wtalc(str(THUMOS_WTALC), str(tmp_path), progress=False)
    names = sorted(n for n, v in db.items() if v['subset'] == 'test')[:3]
    for n in names:
        for m in ('rgb', 'flow'):
            p = tmp_path / 'features' / m
            p.mkdir(parents=True, exist_ok=True)
            np.save(p / f'{n}.npy', np.ones((4, 2), np.float32))
    with pytest.warns(UserWarning, match='segment'):
        ds = WSTALFeatureDataset(
            'annotations.json', data_root=str(tmp_path), subset='test',
            ambiguous_file=str(THUMOS_WTALC / 'Ambiguous_test.txt'))
    assert len(ds) == 212


@pytest.mark.skipif(not ANET_WTALC.is_dir(),
                    reason='shared ActivityNet-1.2 annotations absent')
def test_real_anet_wtalc_annotations():
    layout = load_wtalc_annotations(str(ANET_WTALC))
    db = layout['database']
    assert len(layout['classes']) == 100 and len(db) == 7202
    subsets = [v['subset'] for v in db.values()]
    assert subsets.count('training') == 4819
    # labels_all mixes str and bytes there; all must come out as str.
    assert all(isinstance(a['label'], str) for v in db.values()
               for a in v['annotations'])


def _tiny_anet_json(path):
    db = {
        'v1': dict(subset='Validation', duration=6.4, fps=30.0, annotations=[
            dict(label='Jump', segment=[1.0, 2.0], label_id=0)]),
        'v2': dict(subset='Test', duration=3.2, fps=30.0, annotations=[
            dict(label='Run', segment=[0.0, 1.0], label_id=1)]),
        'v3': dict(subset='Test', duration=3.2, fps=30.0, annotations=[]),
    }
    path.write_text(json.dumps(dict(version='x', database=db)))


def test_convert_folders_split(tmp_path):
    _tiny_anet_json(tmp_path / 'a.json')
    for m, w in (('rgb', 3), ('flow', 2)):
        for i, n in enumerate(['v1', 'v2']):
            d = tmp_path / ('train' if i == 0 else 'test') / m
            d.mkdir(parents=True, exist_ok=True)
            np.save(d / f'{n}.npy', np.full((10 // (i + 1), w), i,
                                            np.float64))
    info = convert_folders(
        str(tmp_path / 'a.json'), str(tmp_path / 'out'),
        rgb_dirs=[str(tmp_path / 'train/rgb'), str(tmp_path / 'test/rgb')],
        flow_dirs=[str(tmp_path / 'train/flow'),
                   str(tmp_path / 'test/flow')], progress=False)
    assert info['missing'] == ['v3']
    ann = json.loads((tmp_path / 'out' / 'annotations.json').read_text())
    assert ann['classes'] == ['Jump', 'Run']
    assert set(ann['database']) == {'v1', 'v2'}
    assert ann['database']['v2']['subset'] == 'test'
    r = np.load(tmp_path / 'out/features/rgb/v2.npy')
    assert r.dtype == np.float32 and r.shape == (5, 3)


def _one_folder_per_modality_suffix(tmp_path):
    """v1 and v2 as <v>_rgb.npy / <v>_flow.npy in one folder."""
    _tiny_anet_json(tmp_path / 'a.json')
    folder = tmp_path / 'feats'
    folder.mkdir()
    for n in ('v1', 'v2'):
        np.save(folder / f'{n}_rgb.npy', np.ones((4, 3), np.float32))
        np.save(folder / f'{n}_flow.npy', np.zeros((4, 2), np.float32))
    return str(folder)


def test_convert_folders_per_modality_suffixes(tmp_path):
    folder = _one_folder_per_modality_suffix(tmp_path)
    info = convert_folders(
        str(tmp_path / 'a.json'), str(tmp_path / 'out'), rgb_dirs=[folder],
        flow_dirs=[folder], rgb_suffix='_rgb.npy', flow_suffix='_flow.npy',
        progress=False)
    assert info['videos'] == 2 and info['missing'] == ['v3']
    assert np.load(tmp_path / 'out/features/rgb/v2.npy').shape == (4, 3)
    assert np.load(tmp_path / 'out/features/flow/v2.npy').shape == (4, 2)


def test_convert_folders_finding_nothing_is_an_error(tmp_path):
    # The friction: <v>_rgb.npy / <v>_flow.npy with the one --suffix
    # (default .npy) wrote 0 videos and an empty annotations.json, exit 0.
    folder = _one_folder_per_modality_suffix(tmp_path)
    cmd = [sys.executable, str(REPO / 'tools/data/convert_folders.py'),
           '--rgb', folder, '--flow', folder,
           '--annotations', str(tmp_path / 'a.json'),
           '--out', str(tmp_path / 'out')]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert ('No feature files found for any of the 3 videos of '
            f'{tmp_path / "a.json"}; looked for:') in proc.stderr
    assert (f'{folder}/v1.npy (<video>.npy; it holds e.g. '
            "['v1_flow.npy', 'v1_rgb.npy', 'v2_flow.npy'])") in proc.stderr
    assert '--rgb-suffix and --flow-suffix' in proc.stderr
    assert not (tmp_path / 'out').exists()  # nothing written


def test_convert_folders_joint(tmp_path):
    _tiny_anet_json(tmp_path / 'a.json')
    (tmp_path / 'j').mkdir()
    for n in ('v1', 'v2', 'v3'):
        x = np.arange(40, dtype=np.float32).reshape(5, 8)
        np.save(tmp_path / 'j' / f'{n}.npy', x)
    convert_folders(str(tmp_path / 'a.json'), str(tmp_path / 'out'),
                    joint_dirs=[str(tmp_path / 'j')], subsets=['test'],
                    progress=False)
    ann = json.loads((tmp_path / 'out' / 'annotations.json').read_text())
    assert set(ann['database']) == {'v2', 'v3'}
    f = np.load(tmp_path / 'out/features/flow/v3.npy')
    np.testing.assert_array_equal(f[0], [4, 5, 6, 7])
    with pytest.raises(ValueError, match='either'):
        convert_folders(str(tmp_path / 'a.json'), str(tmp_path / 'o2'),
                        rgb_dirs=['x'], joint_dirs=['y'], progress=False)


@pytest.mark.skipif(not THUMOS_JSON.is_file(),
                    reason='shared THUMOS-14 annotations absent')
def test_convert_folders_real_json(tmp_path):
    names = ['video_test_0000004', 'video_validation_0000051']
    for m in ('rgb', 'flow'):
        (tmp_path / m).mkdir()
        for n in names:
            np.save(tmp_path / m / f'{n}.npy', np.ones((7, 4), np.float32))
    info = convert_folders(str(THUMOS_JSON), str(tmp_path / 'out'),
                           rgb_dirs=[str(tmp_path / 'rgb')],
                           flow_dirs=[str(tmp_path / 'flow')],
                           progress=False)
    assert len(info['missing']) == 410
    ann = json.loads((tmp_path / 'out' / 'annotations.json').read_text())
    assert len(ann['classes']) == 20
    assert ann['database']['video_test_0000004']['subset'] == 'test'


@pytest.mark.parametrize('segment, match', [
    ('[NaN, 5]', 'not finite'),
    ('["1", "5"]', 'numbers'),
])
def test_converters_refuse_what_the_dataset_refuses(tmp_path, segment,
                                                    match):
    # Used to be converted (float('1'), NaN kept) and fail at training.
    from mmtrpn.datasets.converters import convert_folders
    ann = tmp_path / 'thumos14.json'
    ann.write_text('{"database": {"video_test_1": {"subset": "Test", '
                   '"duration": 20.0, "annotations": [{"label": "Jump", '
                   f'"segment": {segment}}}]}}}}}}')
    (tmp_path / 'rgb').mkdir()
    (tmp_path / 'flow').mkdir()
    with pytest.raises(ValueError, match=match) as info:
        convert_folders(str(ann), str(tmp_path / 'out'),
                        rgb_dirs=[str(tmp_path / 'rgb')],
                        flow_dirs=[str(tmp_path / 'flow')], progress=False)
    assert 'thumos14.json' in str(info.value)
    assert 'video_test_1' in str(info.value)
    assert not (tmp_path / 'out').exists()


def test_wtalc_duplicate_video_name_names_both_indices(tmp_path):
    # Issue 19 case 8: [vid_a, vid_b, vid_a] silently dropped a video.
    make_wtalc(tmp_path / 'src')
    np.save(tmp_path / 'src' / 'videoname.npy',
            np.array([b'vid_a', b'vid_b', b'vid_a']))
    with pytest.raises(ValueError, match=r'vid_a is listed twice in .*'
                       r'videoname\.npy, at indices 0 and 2'):
        convert_wtalc(str(tmp_path / 'src'), str(tmp_path / 'out'),
                      progress=False)
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('value', [np.nan, np.inf, 1e300])
def test_converters_refuse_non_finite_features(tmp_path, value):
    # Issue 19 case 9: NaN and Inf were written; float64 1e300 is Inf as
    # float32.
    feats = make_wtalc(tmp_path / 'src')
    feats[1] = feats[1].astype(np.float64)
    feats[1][3, 5] = value
    np.save(tmp_path / 'src' / 'feats.npy', feats, allow_pickle=True)
    with pytest.raises(ValueError, match=r'flow features of video vid_b '
                       r'from .*feats\.npy \(index 1\) contain NaN or Inf'):
        convert_wtalc(str(tmp_path / 'src'), str(tmp_path / 'w'),
                      features=str(tmp_path / 'src' / 'feats.npy'),
                      progress=False)
    _tiny_anet_json(tmp_path / 'a.json')
    for modality in ('rgb', 'flow'):
        folder = tmp_path / modality
        folder.mkdir()
        for name in ('v1', 'v2', 'v3'):
            feat = np.ones((4, 3))
            if (modality, name) == ('rgb', 'v2'):
                feat[1, 1] = value
            np.save(folder / f'{name}.npy', feat)
    with pytest.raises(ValueError, match=r'rgb features of video v2 from '
                       r'.*rgb/v2\.npy and .*flow/v2\.npy contain NaN'):
        convert_folders(str(tmp_path / 'a.json'), str(tmp_path / 'f'),
                        rgb_dirs=[str(tmp_path / 'rgb')],
                        flow_dirs=[str(tmp_path / 'flow')], progress=False)


def test_video_in_two_input_folders_names_both(tmp_path):
    _tiny_anet_json(tmp_path / 'a.json')
    for folder in ('train', 'test'):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / 'v1.npy', np.ones((4, 6)))
    with pytest.raises(ValueError, match=r'Video v1 has features in 2 input '
                       r'folders: .*train/v1\.npy.*test/v1\.npy'):
        convert_folders(str(tmp_path / 'a.json'), str(tmp_path / 'out'),
                        joint_dirs=[str(tmp_path / 'train'),
                                    str(tmp_path / 'test')], progress=False)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return (os.system, (f'touch {self.marker}',))


def test_wtalc_pickle_with_code_is_refused_and_nothing_runs(tmp_path):
    # Issue 19 case 12: a crafted videoname.npy ran code.
    make_wtalc(tmp_path / 'src')
    marker = tmp_path / 'ran'
    np.save(tmp_path / 'src' / 'videoname.npy',
            obj_array([_Payload(marker), 'vid_b', 'vid_c']),
            allow_pickle=True)
    with pytest.raises(ValueError, match=r'videoname\.npy holds a pickle '
                       r'that refers to (posix|os|nt)\.system'):
        convert_wtalc(str(tmp_path / 'src'), str(tmp_path / 'out'),
                      progress=False)
    assert not marker.exists()
    # What the format needs still loads: object arrays of arrays, lists
    # and bytes/str (the tiny release above, the real ones below).
    make_wtalc(tmp_path / 'ok')
    convert_wtalc(str(tmp_path / 'ok'), str(tmp_path / 'out'),
                  features=str(tmp_path / 'ok' / 'feats.npy'),
                  progress=False)
