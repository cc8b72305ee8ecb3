import json
import os

import numpy as np
import pytest

from mmtrpn.datasets import WSTALFeatureDataset


def write_ann(root, database, classes=('A', 'B', 'C'), name='ann.json'):
    path = os.path.join(root, name)
    with open(path, 'w') as f:
        json.dump(dict(classes=list(classes), database=database), f)
    return name


def video(subset='validation', duration=10.0, anns=(), **extra):
    return dict(subset=subset, duration=duration,
                annotations=[dict(label=c, segment=list(s))
                             for c, s in anns], **extra)


@pytest.fixture
def root(tmp_path):
    db = {
        'v1': video(anns=[('A', (1, 2)), ('C', (3, 5))]),
        'v2': video(anns=[('B', (0, 4))], labels=['B', 'C']),
        't1': video('test', 20.0, anns=[('A', (2, 3)), ('A', (5, 9))]),
        't2': video('test', 8.0, anns=[('B', (1, 2))]),
    }
    write_ann(tmp_path, db)
    return tmp_path


def make(root, **kw):
    kw.setdefault('subset', 'validation')
    return WSTALFeatureDataset('ann.json', data_root=str(root), **kw)


def test_load_keys_and_labels(root):
    ds = make(root)
    assert len(ds) == 2
    assert ds.metainfo['classes'] == ('A', 'B', 'C')
    d = ds.get_data_info(0)
    assert d['video_name'] == 'v1'
    assert d['rgb_path'] == os.path.join(str(root), 'features/rgb', 'v1.npy')
    assert d['flow_path'] == os.path.join(str(root), 'features/flow',
                                          'v1.npy')
    assert d['label'].dtype == np.float32
    np.testing.assert_array_equal(d['label'], [1, 0, 1])
    assert d['gt_segments'].dtype == np.float32
    np.testing.assert_allclose(d['gt_segments'], [[1, 2], [3, 5]])
    assert d['gt_labels'].dtype == np.int64
    np.testing.assert_array_equal(d['gt_labels'], [0, 2])
    assert d['ambiguous_segments'].shape == (0, 2)
    assert d['duration'] == 10.0
    assert d['snippet_duration'] == pytest.approx(0.64)
    for key in ('video_name rgb_path flow_path duration snippet_duration '
                'label gt_segments gt_labels ambiguous_segments').split():
        assert key in d
    # "labels" overrides the segment label set.
    np.testing.assert_array_equal(ds.get_data_info(1)['label'], [0, 1, 1])


def test_subset_list_and_exclusion(root, tmp_path):
    ds = make(root, subset=['validation', 'test'])
    assert len(ds) == 4
    ds = make(root, subset='test', exclude_videos=['t2'])
    assert [ds.get_data_info(i)['video_name'] for i in range(len(ds))] \
        == ['t1']
    (tmp_path / 'skip.txt').write_text('# blocked\nt1\n\n')
    ds = make(root, subset='test', exclude_videos='skip.txt')
    assert ds.get_data_info(0)['video_name'] == 't2'


def names(ds):
    return [ds.get_data_info(i)['video_name'] for i in range(len(ds))]


def test_include_videos_carves_a_heldout_split(root, tmp_path):
    # The same list held out of training and kept for validation: the two
    # datasets split the subset without overlap.
    (tmp_path / 'heldout.txt').write_text('# held out\nv2\n')
    assert names(make(root, include_videos='heldout.txt')) == ['v2']
    assert names(make(root, exclude_videos='heldout.txt')) == ['v1']
    # Names, an absolute path, and both options together.
    assert names(make(root, include_videos=['v1'])) == ['v1']
    assert names(make(root, include_videos=str(tmp_path / 'heldout.txt'))) \
        == ['v2']
    assert names(make(root, subset=['validation', 'test'],
                      include_videos=['v1', 't1', 't2'],
                      exclude_videos=['t2'])) == ['v1', 't1']


def test_include_videos_errors(root):
    # A listed video that is not in the subset would silently shrink the
    # held-out split: refuse it, naming the file and the videos.
    (root / 'split.txt').write_text('v1\nt1\nnope\n')
    with pytest.raises(ValueError, match=r"2 video\(s\) of include_videos "
                       r"file .*split.txt.*\['nope', 't1'\]"):
        make(root, include_videos='split.txt')
    with pytest.raises(FileNotFoundError, match='absent.txt'):
        make(root, include_videos='absent.txt')
    with pytest.raises(ValueError, match='No videos'):
        make(root, include_videos=[])


def test_classes_override(root):
    ds = make(root, classes=['C', 'B', 'A'])
    assert ds.metainfo['classes'] == ('C', 'B', 'A')
    np.testing.assert_array_equal(ds.get_data_info(0)['gt_labels'], [2, 0])


def test_ambiguous_file(root):
    (root / 'amb.txt').write_text('t1  0.0 1.4\nt1  5.5 6.0\n'
                                  'other 1 2\n\n')
    ds = make(root, subset='test', ambiguous_file='amb.txt')
    np.testing.assert_allclose(ds.get_data_info(0)['ambiguous_segments'],
                               [[0, 1.4], [5.5, 6]])
    assert ds.get_data_info(1)['ambiguous_segments'].shape == (0, 2)
    (root / 'bad.txt').write_text('t1 0.0\n')
    with pytest.raises(ValueError, match='bad.txt:1'):
        make(root, subset='test', ambiguous_file='bad.txt')


def test_empty_subset(root):
    with pytest.raises(ValueError, match="subsets present"):
        make(root, subset='training')


def test_malformed_json(tmp_path):
    (tmp_path / 'ann.json').write_text('{"classes": [')
    with pytest.raises(ValueError, match='ann.json'):
        make(tmp_path)


def test_missing_keys(tmp_path):
    (tmp_path / 'ann.json').write_text('{"classes": ["A"]}')
    with pytest.raises(ValueError, match='"database"'):
        make(tmp_path)
    (tmp_path / 'ann.json').write_text('{"database": {}}')
    with pytest.raises(ValueError, match='"classes"'):
        make(tmp_path)


def test_missing_ann_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='ann.json'):
        make(tmp_path)


def test_unknown_class(tmp_path):
    write_ann(tmp_path, {'vx': video(anns=[('Z', (1, 2))])})
    with pytest.raises(ValueError, match="'Z'.*vx"):
        make(tmp_path)
    write_ann(tmp_path, {'vy': video(labels=['Q'])})
    with pytest.raises(ValueError, match="'Q'.*vy"):
        make(tmp_path)


def test_bad_duration_and_segment(tmp_path):
    write_ann(tmp_path, {'vd': video(duration=-1)})
    with pytest.raises(ValueError, match='vd'):
        make(tmp_path)
    write_ann(tmp_path, {'vs': dict(subset='validation', duration=5,
                                    annotations=[dict(label='A')])})
    with pytest.raises(ValueError, match='vs'):
        make(tmp_path)


def test_clipping_warning(tmp_path):
    write_ann(
        tmp_path, {
            'c1': video(anns=[('A', (8, 12)), ('B', (3, 3)), ('A', (1, 2))]),
            'c2': video(anns=[('C', (11, 13)), ('A', (-1, 1))]),
        })
    with pytest.warns(UserWarning) as rec:
        ds = make(tmp_path)
    msgs = [str(w.message) for w in rec if 'segment' in str(w.message)]
    assert len(msgs) == 1
    assert '4 segment(s) in 2 video(s)' in msgs[0]
    assert '2 left empty' in msgs[0]
    d1, d2 = ds.get_data_info(0), ds.get_data_info(1)
    np.testing.assert_allclose(d1['gt_segments'], [[8, 10], [1, 2]])
    np.testing.assert_array_equal(d1['gt_labels'], [0, 0])
    np.testing.assert_allclose(d2['gt_segments'], [[0, 1]])
    # Video labels still come from all segment labels given.
    np.testing.assert_array_equal(d2['label'], [1, 0, 0])


@pytest.mark.parametrize('name', ['../x', '/abs', 'a/b', 'a\\b', '..', ''])
def test_path_escape_rejected(tmp_path, name):
    write_ann(tmp_path, {name: video()})
    with pytest.raises(ValueError, match='video name'):
        make(tmp_path)


def test_check_files(root):
    (root / 'features' / 'rgb').mkdir(parents=True)
    (root / 'features' / 'flow').mkdir(parents=True)
    np.save(root / 'features' / 'rgb' / 'v1.npy', np.zeros((3, 2), 'f4'))
    with pytest.raises(FileNotFoundError) as e:
        make(root, check_files=True)
    msg = str(e.value)
    assert '1 of 2 rgb' in msg and 'v2' in msg
    assert 'features/rgb' in msg and 'data_preparation.md' in msg
    make(root)  # lazy by default


def test_registered():
    from mmtrpn.registry import DATASETS, TRANSFORMS
    assert DATASETS.get('WSTALFeatureDataset') is WSTALFeatureDataset
    for name in ('LoadSnippetFeatures', 'SampleSnippets',
                 'PackWSTALInputs'):
        assert TRANSFORMS.get(name) is not None
