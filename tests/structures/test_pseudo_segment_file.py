"""The pseudo-segment file: written and read through structures, with its
classes and snippet duration checked on read."""
import json

import numpy as np
import pytest

from mmtrpn.datasets.transforms import LoadPseudoSegments
from mmtrpn.structures.annotations import (load_pseudo_segments,
                                           write_pseudo_segments)

ROWS = {'v': [dict(segment=[1.0, 2.5], label=1, score=0.5)], 'w': []}


def test_written_file_reads_back(tmp_path):
    path = str(tmp_path / 'seg.json')
    write_pseudo_segments(path, ROWS, ['a', 'b'], 0.64, step=2)
    data = load_pseudo_segments(path, classes=['a', 'b'],
                                snippet_duration=0.64)
    assert data['classes'] == ['a', 'b'] and data['step'] == 2
    segments, labels, scores = data['results']['v']
    assert segments.tolist() == [[1.0, 2.5]] and labels.tolist() == [1]
    assert scores.dtype == np.float64 and scores.tolist() == [0.5]
    assert data['results']['w'][0].shape == (0, 2)


def test_other_classes_or_duration_name_the_file(tmp_path):
    path = str(tmp_path / 'seg.json')
    write_pseudo_segments(path, ROWS, ['a', 'b'], 0.64)
    with pytest.raises(ValueError, match=r'seg.json was written for classes'
                       r" \['a', 'b'\], the dataset has \['b', 'a'\]"):
        load_pseudo_segments(path, classes=['b', 'a'])
    with pytest.raises(ValueError, match='seg.json was made with '
                       'snippet_duration 0.64, the data has 0.5'):
        load_pseudo_segments(path, snippet_duration=0.5)


@pytest.mark.parametrize('change,message', [
    (dict(snippet_duration=None), 'snippet_duration None'),
    (dict(classes='ab'), '"classes" of pseudo-segment file'),
    (dict(results={'v': [dict(segment=[1, 2], label=2, score=1.0)]}),
     'video v, segment 0: label 2 is not a class index below 2'),
    (dict(results={'v': [dict(segment=[2, 1], label=0, score=1.0)]}),
     'video v, segment 0: bad segment'),
    (dict(results={'v': [dict(segment=[1, 2], label=0)]}),
     'video v, segment 0: needs'),
])
def test_bad_content_names_file_and_video(tmp_path, change, message):
    path = tmp_path / 'seg.json'
    data = dict(classes=['a', 'b'], snippet_duration=0.64, results=ROWS)
    data.update(change)
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=message):
        load_pseudo_segments(str(path))


def test_transform_checks_the_video_against_the_file(tmp_path):
    path = str(tmp_path / 'seg.json')
    write_pseudo_segments(path, ROWS, ['a', 'b'], 0.64)
    load = LoadPseudoSegments(path, use_gt_labels=False, delta=0.0)
    out = load(dict(video_name='v', label=np.array([0., 1.]),
                    snippet_duration=0.64))
    assert out['pseudo_labels'].tolist() == [1]
    with pytest.raises(ValueError, match='has 2 classes, video v has '
                       'labels of 3'):
        load(dict(video_name='v', label=np.zeros(3), snippet_duration=0.64))
    with pytest.raises(ValueError, match=r'the data \(video v\) has 0.5'):
        load(dict(video_name='v', label=np.zeros(2), snippet_duration=0.5))
