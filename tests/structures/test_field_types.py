"""Every field of the annotation and results files is type- and
range-checked where it is read, with the file and the video named
(issue 11: a value of the wrong type used to be converted or skipped)."""
import json

import pytest

from mmtrpn.structures.annotations import (load_annotations,
                                           load_results_file)


def _ann(tmp_path, video, classes=('A', 'B')):
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(dict(classes=list(classes),
                                    database={'v': video})))
    return str(path)


def _video(**changes):
    video = dict(subset='test', duration=10.0,
                 annotations=[dict(label='A', segment=[1.0, 2.0])])
    video.update(changes)
    return video


@pytest.mark.parametrize('video, match', [
    # float('1') used to turn strings into numbers without a word.
    (_video(annotations=[dict(label='A', segment=['1', '2'])]),
     'numbers'),
    (_video(annotations=[dict(label='A', segment=[True, 2])]), 'numbers'),
    (_video(annotations=[dict(label='A', segment=[1, 2, 3])]),
     'Malformed annotation 0'),
    (_video(annotations=[dict(label=['A'], segment=[1, 2])]),
     'label'),
    (_video(annotations=['A']), 'Malformed annotation 0'),
    (_video(duration='10'), 'invalid duration'),
    (_video(duration=float('inf')), 'invalid duration'),
    # A video without a subset was dropped from every subset silently.
    ({k: v for k, v in _video().items() if k != 'subset'}, 'subset'),
    (_video(subset=1), 'subset'),
    (_video(subset=''), 'subset'),
    # A string of labels was read letter by letter.
    (_video(labels='AB'), '"labels"'),
])
def test_wrong_field_type_names_file_and_video(tmp_path, video, match):
    path = _ann(tmp_path, video)
    with pytest.raises(ValueError, match=match) as info:
        load_annotations(path)
    message = str(info.value)
    assert 'ann.json' in message and 'video v' in message.lower()


def test_non_finite_ground_truth_is_refused_by_the_dataset(tmp_path):
    # [NaN, 5] passed loading and failed after all inference, unnamed.
    from mmtrpn.registry import DATASETS
    from mmtrpn.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    (tmp_path / 'ann.json').write_text(
        '{"classes": ["A"], "database": {"v7": {"subset": "test", '
        '"duration": 10.0, "annotations": [{"label": "A", '
        '"segment": [NaN, 5]}]}}}')
    with pytest.raises(ValueError) as info:
        DATASETS.build(dict(type='WSTALFeatureDataset', ann_file='ann.json',
                            data_root=str(tmp_path), subset='test',
                            pipeline=[]))
    message = str(info.value)
    assert 'video v7' in message and 'not finite' in message
    assert 'ann.json' in message


def _results(tmp_path, det):
    path = tmp_path / 'res.json'
    path.write_text(json.dumps(dict(results={'v': [det]})))
    return str(path)


@pytest.mark.parametrize('det, match', [
    (dict(label='A', segment=[1, 2], score=float('inf')), 'bad score'),
    (dict(label='A', segment=[1, 2], score=float('-inf')), 'bad score'),
    (dict(label='A', segment=[1, 2], score='0.9'), 'bad score'),
    (dict(label='A', segment=[1, 2], score=True), 'bad score'),
    (dict(label='A', segment=['1', '2'], score=0.5), 'segment'),
])
def test_wrong_result_field_names_file_and_video(tmp_path, det, match):
    with pytest.raises(ValueError, match=match) as info:
        load_results_file(_results(tmp_path, det), ['A', 'B'])
    message = str(info.value)
    assert 'res.json' in message and 'video v' in message
