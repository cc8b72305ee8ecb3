"""structures.annotations: one reader with one set of rules."""
import json

import numpy as np
import pytest

from mmtrpn.structures.annotations import (ambiguous_arrays,
                                           detections_to_results,
                                           load_annotations,
                                           load_ground_truth,
                                           load_results_file,
                                           read_ambiguous_file,
                                           read_video_list,
                                           write_results_file)


def _file(tmp_path, database, classes=('A', 'B')):
    path = tmp_path / 'ann.json'
    raw = dict(database=database)
    if classes is not None:
        raw['classes'] = list(classes)
    path.write_text(json.dumps(raw))
    return str(path)


def _video(subset='test', duration=10.0, anns=(), **extra):
    return dict(subset=subset, duration=duration,
                annotations=[dict(label=c, segment=list(s)) for c, s in anns],
                **extra)


def test_fields_of_a_video(tmp_path):
    path = _file(tmp_path, {
        'v1': _video(anns=[('B', (1, 2)), ('A', (3, 12))]),
        'v2': _video('Validation', anns=[('A', (0, 1))], labels=['A', 'B']),
    })
    ann = load_annotations(path)
    assert ann.classes == ['A', 'B'] and list(ann.videos) == ['v1', 'v2']
    v1, v2 = ann.videos['v1'], ann.videos['v2']
    # Kept as given without clip_segments (12 > duration stays).
    np.testing.assert_array_equal(v1.segments, [[1, 2], [3, 12]])
    assert v1.labels.tolist() == [1, 0] and v1.video_labels is None
    assert v1.multi_hot(2).tolist() == [1, 1]
    assert v2.video_labels == [0, 1] and v2.subset == 'Validation'


def test_subset_is_case_insensitive_and_exclude(tmp_path):
    path = _file(tmp_path, {'v1': _video('Test'), 'v2': _video('test'),
                            'v3': _video('validation')})
    assert list(load_annotations(path, subset='test').videos) == ['v1', 'v2']
    assert list(load_annotations(path, subset=['TEST'],
                                 exclude=['v1']).videos) == ['v2']
    with pytest.raises(ValueError, match=r"subsets present: \['Test', "):
        load_annotations(path, subset='training')


def test_clip_segments_is_the_explicit_option(tmp_path):
    path = _file(tmp_path, {'v': _video(anns=[('A', (8, 12)), ('A', (5, 3)),
                                              ('B', (-1, 1))])})
    with pytest.raises(ValueError, match='ends before it starts'):
        load_annotations(path)
    with pytest.warns(UserWarning, match=r'3 segment\(s\) in 1 video'):
        ann = load_annotations(path, clip_segments=True)
    np.testing.assert_array_equal(ann.videos['v'].segments,
                                  [[8, 10], [0, 1]])
    assert ann.videos['v'].labels.tolist() == [0, 1]


@pytest.mark.parametrize('video,match', [
    (_video(duration=0), 'invalid duration'),
    (_video(duration=True), 'invalid duration'),
    (_video(anns=[('A', ('x', 1))]), 'Malformed annotation 0 of video v'),
    (_video(anns=[('A', (float('nan'), 1))]), 'not finite'),
    (_video(anns=[('Z', (1, 2))]), "Unknown class 'Z' in annotations of "
     'video v'),
    (_video(labels=['Q']), "Unknown class 'Q' in \"labels\" of video v"),
])
def test_each_field_rule_names_file_and_video(tmp_path, video, match):
    path = _file(tmp_path, {'v': video})
    with pytest.raises(ValueError, match=match) as info:
        load_annotations(path)
    assert 'ann.json' in str(info.value)


def test_classes_given_or_inferred(tmp_path):
    path = _file(tmp_path, {'v': _video(anns=[('B', (1, 2))])},
                 classes=None)
    with pytest.raises(ValueError, match='no "classes" list'):
        load_annotations(path)
    assert load_annotations(path, infer_classes=True).classes == ['B']
    gt = load_ground_truth(path, classes=['X', 'B'])
    assert gt['classes'] == ['X', 'B'] and gt['labels'].tolist() == [1]
    assert gt['video_ids'].tolist() == ['v'] and gt['videos'] == ['v']
    np.testing.assert_array_equal(gt['segments'], [[1, 2]])


def test_video_lists(tmp_path):
    text = tmp_path / 'list.txt'
    text.write_text('a\n\n# comment\nb  # trailing\n')
    assert read_video_list(str(text)) == ['a', 'b']
    js = tmp_path / 'list.json'
    js.write_text('["c", "4"]')
    assert read_video_list(str(js)) == ['c', '4']
    # A number or a list is not a video name (issue 19, case 15's kind).
    for bad in ('["c", 4]', '["c", ["d"]]'):
        js.write_text(bad)
        with pytest.raises(ValueError, match=r'Entry 1 of .*list\.json'):
            read_video_list(str(js))
    assert read_video_list(('x', 'y')) == ['x', 'y']
    with pytest.raises(FileNotFoundError, match='absent'):
        read_video_list(str(tmp_path / 'absent.txt'))


def test_ambiguous_file(tmp_path):
    path = tmp_path / 'amb.txt'
    path.write_text('v1  1.0 2.0\nv2 0 1\nv1 5 6\n')
    assert read_ambiguous_file(str(path)) == {
        'v1': [(1.0, 2.0), (5.0, 6.0)], 'v2': [(0.0, 1.0)]}
    ids, segs = ambiguous_arrays(str(path))
    assert ids.tolist() == ['v1', 'v1', 'v2']
    np.testing.assert_array_equal(segs, [[1, 2], [5, 6], [0, 1]])
    path.write_text('v1 3 2\n')
    with pytest.raises(ValueError, match='amb.txt:1'):
        read_ambiguous_file(str(path))


def test_results_file_round_trip(tmp_path):
    seg = np.array([[1.0, 2.5], [0.1, 0.7]], np.float32)
    dets = detections_to_results(seg, [1, 0], np.float32([0.2, 0.9]),
                                 ['A', 'B'])
    # Best first; float32 values written exactly (as float64).
    assert [d['label'] for d in dets] == ['A', 'B']
    assert dets[0]['segment'] == [float(np.float32(0.1)),
                                  float(np.float32(0.7))]
    path = tmp_path / 'out' / 'res.json'
    write_results_file(str(path), {'v': dets})
    data = json.loads(path.read_text())
    assert set(data) == {'version', 'results', 'external_data'}
    back = load_results_file(str(path), ['A', 'B'])
    assert back['labels'].tolist() == [0, 1]
    np.testing.assert_array_equal(back['segments'], seg[[1, 0]])
    np.testing.assert_array_equal(back['scores'], np.float32([0.9, 0.2]))


def _one_video(**entry):
    video = dict(subset='test', duration=10.0,
                 annotations=[dict(label='a', segment=[1.0, 2.0])])
    video.update(entry)
    return dict(classes=['a', 'b'], database={'v1': video})


@pytest.mark.parametrize('key, guess', [
    ('segments', 'annotations'),  # issue 19 case 10
    ('annotation', 'annotations'),
    ('label', 'labels'),
    ('Subset', 'subset'),
])
def test_unknown_video_key_gets_a_did_you_mean(key, guess):
    with pytest.raises(ValueError, match=f"unknown key '{key}'.*Did you "
                       f"mean '{guess}'"):
        load_annotations(_one_video(**{key: []}), name='ann.json')
    load_annotations(_one_video(fps=30.0, url='u'))  # tolerated extras


@pytest.mark.parametrize('labels', [[['a']], [1], [None]])
def test_non_string_video_label_names_video_and_field(labels):
    # Issue 19 case 15: TypeError: unhashable type.
    with pytest.raises(ValueError, match=r'Video v1 in ann\.json has .* in '
                       r'"labels": expected a class name'):
        load_annotations(_one_video(labels=labels), name='ann.json')


def test_non_string_result_label_names_the_detection(tmp_path):
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(dict(results={'v1': [
        dict(label='a', segment=[1, 2], score=0.5),
        dict(label=['a'], segment=[1, 2], score=0.5)]})))
    with pytest.raises(ValueError, match=r'video v1, detection 1: "label" '
                       r"is \['a'\]"):
        load_results_file(str(path), ['a', 'b'])
