"""The typed msgspec reader of results files equals the exact reader, and
hands every file it cannot vouch for back to it, which names the file, the
video and what is wrong."""
import json

import numpy as np
import pytest

from mmtrpn.evaluation.functional import temporal_map
from mmtrpn.structures import annotations, results_file
from mmtrpn.structures.results_file import read_results_arrays

CLASSES = ['a', 'b:c']  # a colon inside a class name


def _results(num_videos=12, per_video=5):
    rng = np.random.default_rng(0)
    out = {}
    for v in range(num_videos):
        out[f'v{v}'] = [
            dict(label=CLASSES[int(rng.integers(2))],
                 segment=[float(s), float(s) + 1.5],
                 score=0.5 if k == 0 else float(rng.random()))  # ties
            for k, s in enumerate(rng.uniform(0, 50, per_video))]
    out['v:colon'] = [dict(label='a', segment=[1, 2], score=1)]  # ints
    return out


def _bytes(results, **extra):
    return json.dumps(dict(version='v: 1', results=results,
                           external_data=extra)).encode()


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(results_file, 'BATCH', 7)


def _exact(tmp_path, raw, **kwargs):
    path = tmp_path / 'r.json'
    path.write_bytes(raw)
    return annotations._load_results_exact(
        str(path), CLASSES, kwargs.get('known'), kwargs.get('blocked', ()))


def _assert_same(fast, exact):
    assert fast.keys() == exact.keys()
    for key in fast:
        assert fast[key].dtype == exact[key].dtype
        np.testing.assert_array_equal(fast[key], exact[key])


@pytest.mark.parametrize('batch', [7, 4096])
def test_equals_the_exact_reader_in_file_order(tmp_path, monkeypatch,
                                               batch):
    monkeypatch.setattr(results_file, 'BATCH', batch)
    raw = _bytes(_results(), note={'x:y': [1, {'z': 'w:'}]})
    fast = read_results_arrays(raw, CLASSES, blocked_videos=['v3'])
    _assert_same(fast, _exact(tmp_path, raw, blocked=['v3']))
    assert fast['labels'].size == 11 * 5 + 1
    assert 'v3' not in set(fast['video_ids'].tolist())
    assert fast['video_ids'][-1] == 'v:colon'


def test_same_map_as_the_exact_reader_on_a_generated_file(tmp_path):
    rng = np.random.default_rng(1)
    results = {}
    for v in range(40):
        k = int(rng.integers(0, 30))  # some videos without detections
        start = rng.uniform(0, 90, k)
        results[f'video_{v}'] = [
            dict(label=CLASSES[c], segment=[s, s + d], score=x)
            for c, s, d, x in zip(rng.integers(2, size=k).tolist(),
                                  start.tolist(),
                                  rng.uniform(0, 20, k).tolist(),
                                  np.round(rng.random(k), 2).tolist())]
    raw = _bytes(results)
    index = {f'video_{v}': v for v in range(40)}
    fast = read_results_arrays(raw, CLASSES, video_index=index)
    exact = _exact(tmp_path, raw)
    exact['video_ids'] = np.array([index[v] for v in exact['video_ids']])
    _assert_same(fast, exact)
    gt_ids = np.arange(40).repeat(2)
    gt_segments = np.tile([[10.0, 20.0], [40.0, 70.0]], (40, 1))
    gt_labels = np.tile([0, 1], 40)

    def score(pred):
        return temporal_map(pred['video_ids'], pred['segments'],
                            pred['labels'], pred['scores'], gt_ids,
                            gt_segments, gt_labels, 2)[1]

    assert score(fast).tolist() == score(exact).tolist()
    assert score(fast).max() > 0  # the file does score something


def test_video_index_gives_int_codes(small_batches):
    raw = _bytes({'v0': _results()['v0'][:2], 'v1': [], 'v2': [
        dict(label='a', segment=[0, 1], score=0.1)]})
    out = read_results_arrays(raw, CLASSES,
                              video_index={'v0': 7, 'v1': 8, 'v2': 9})
    np.testing.assert_array_equal(out['video_ids'], [7, 7, 9])
    assert out['video_ids'].dtype == np.int64


def test_no_detections_at_all():
    out = read_results_arrays(_bytes({}), CLASSES)
    assert out['segments'].shape == (0, 2) and out['labels'].size == 0


def test_a_blocked_video_is_skipped_whatever_it_holds(tmp_path):
    results = _results()
    results['v3'] = {'not': 'a list: of detections'}
    raw = _bytes(results)
    fast = read_results_arrays(raw, CLASSES, blocked_videos=['v3'])
    _assert_same(fast, _exact(tmp_path, raw, blocked=['v3']))


EDITS = {
    # name: (edit of the bytes or of the detection v5[1], exact error)
    'duplicate_video': (lambda r: r.replace(b'"v7"', b'"v2"'),
                        "duplicate key 'v2'"),
    'duplicate_key': (lambda r: r.replace(b'"score": ', b'"score": 1, '
                                          b'"score": ', 1),
                      "duplicate key 'score'"),
    # one colon more decoded than written, one key lost: counts agree
    'escaped_colon_and_duplicate': (lambda r: r.replace(
        b'"v:colon"', b'"v\\u003acolon"').replace(
        b'"score": ', b'"score": 1, "score": ', 1), "duplicate key 'score'"),
    'duplicate_results': (lambda r: r.replace(
        b'"version"', b'"results": {}, "version"'), "duplicate key "
        "'results'"),
    'nan_score': (lambda r: r.replace(b'"score": 0.5', b'"score": NaN', 1),
                  'video v0, detection 0: bad score nan'),
    'huge_score': (lambda r: r.replace(b'"score": 0.5', b'"score": 1e999',
                                       1), 'video v0, detection 0: bad score'),
    'bool_score': (dict(score=True), 'video v5, detection 1: bad score'),
    'string_score': (dict(score='0.5'), 'video v5, detection 1: bad score'),
    'unknown_class': (dict(label='zz'),
                      "video v5, detection 1: unknown class 'zz'"),
    'list_label': (dict(label=['a']), 'video v5, detection 1: "label" is'),
    'end_before': (dict(segment=[3.0, 2.0]),
                   r'video v5, detection 1: bad segment \[3.0, 2.0\]'),
    'three_numbers': (dict(segment=[1, 2, 3]),
                      'video v5, detection 1: "segment" must be'),
    'missing_key': (dict(label=None), 'video v5, detection 1: needs'),
    'not_a_list': (lambda r: r.replace(b'"v7": [', b'"v7": [[', 1).replace(
        b'], "v8"', b']], "v8"'), 'video v7, detection 0: needs'),
    'unknown_video': (lambda r: r.replace(b'"v7"', b'"v99"'),
                      "video 'v99', which is not in the ground truth"),
    'not_utf8': (lambda r: r.replace(b'v: 1', b'v\xff 1'), 'Malformed JSON'),
    'truncated': (lambda r: r[:-5], 'Malformed JSON'),
    'no_results': (lambda r: r.replace(b'"results"', b'"Results"'),
                   'missing "results" object'),
}


def _edited(name):
    results = _results()
    edit, message = EDITS[name]
    if isinstance(edit, dict):
        det = results['v5'][1]
        det.update(edit)
        for key in [k for k, v in edit.items() if v is None]:
            del det[key]
    raw = _bytes(results)
    return (raw if isinstance(edit, dict) else edit(raw)), message


@pytest.mark.parametrize('name', sorted(EDITS))
def test_hands_back_what_it_cannot_vouch_for(small_batches, name):
    raw, _ = _edited(name)
    known = {f'v{v}' for v in range(12)} | {'v:colon'}
    assert read_results_arrays(raw, CLASSES, known_videos=known) is None


@pytest.mark.parametrize('name', sorted(EDITS))
def test_load_results_file_names_file_video_and_fault(tmp_path,
                                                      small_batches, name):
    raw, message = _edited(name)
    path = tmp_path / 'r.json'
    path.write_bytes(raw)
    known = {f'v{v}' for v in range(12)} | {'v:colon'}
    with pytest.raises(ValueError, match=message) as info:
        annotations.load_results_file(str(path), CLASSES, known)
    assert str(path) in str(info.value)


def test_escapes_and_extra_keys_are_read_by_the_exact_reader(tmp_path):
    # Both are valid: the exact reader takes them, the result is the same.
    results = _results()
    results['v5'][1]['note'] = 'kept out'
    results['v6'][0]['label'] = 'b:c'
    raw = _bytes(results).replace(b'"b:c"', b'"b\\u003ac"', 1)
    assert read_results_arrays(raw, CLASSES) is None
    path = tmp_path / 'r.json'
    path.write_bytes(raw)
    out = annotations.load_results_file(str(path), CLASSES)
    _assert_same(out, _exact(tmp_path, _bytes(results)))


def test_video_names_in_file_order_whatever_the_detections(tmp_path):
    path = tmp_path / 'r.json'
    path.write_bytes(_bytes({'v2': [], 'v:1': [{'any': 'thing'}], 'v0': []}))
    assert results_file.results_video_names(str(path)) == ['v2', 'v:1', 'v0']
    # NaN: only the exact reader takes it
    path.write_bytes(b'{"results": {"b": [{"score": NaN}], "a": []}}')
    assert results_file.results_video_names(str(path)) == ['b', 'a']


def test_escapes_other_than_a_colon_stay_on_the_fast_path(tmp_path):
    # json.dumps writes non-ASCII names as \u escapes (ensure_ascii)
    classes = ['caf\u00e9', 'b:c']
    results = {'v\u00ef': [dict(label='caf\u00e9', segment=[1, 2], score=0.5),
                       dict(label='b:c', segment=[0, 4], score=0.7)],
               'v"q': [dict(label='caf\u00e9', segment=[2, 3], score=0.1)]}
    raw = _bytes(results)
    assert b'\\u00e9' in raw and b'\\"' in raw
    fast = read_results_arrays(raw, classes)
    path = tmp_path / 'r.json'
    path.write_bytes(raw)
    exact = annotations._load_results_exact(str(path), classes, None, ())
    _assert_same(fast, exact)
    assert fast['video_ids'].tolist() == ['v\u00ef', 'v\u00ef', 'v"q']
