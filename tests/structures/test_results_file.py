"""The piecewise orjson reader of results files equals the exact reader,
and hands every file it cannot vouch for back to it."""
import json

import numpy as np
import pytest

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
    return out


def _bytes(results, **extra):
    return json.dumps(dict(version='v: 1', results=results,
                           external_data=extra)).encode()


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(results_file, 'PIECE_BYTES', 300)


def _exact(tmp_path, raw, **kwargs):
    path = tmp_path / 'r.json'
    path.write_bytes(raw)
    return annotations._load_results_exact(
        str(path), CLASSES, kwargs.get('known'), kwargs.get('blocked', ()))


@pytest.mark.parametrize('pieces', [False, True])
def test_equals_the_exact_reader_in_file_order(tmp_path, monkeypatch,
                                               pieces):
    if pieces:
        monkeypatch.setattr(results_file, 'PIECE_BYTES', 300)
        raw = _bytes(_results())
        assert len(results_file._pieces(raw, 0)[1]) >= 2
    raw = _bytes(_results())
    fast = read_results_arrays(raw, CLASSES, blocked_videos=['v3'])
    exact = _exact(tmp_path, raw, blocked=['v3'])
    assert fast.keys() == exact.keys()
    for key in fast:
        np.testing.assert_array_equal(fast[key], exact[key])
    assert 'v3' not in set(fast['video_ids'].tolist())


def test_video_index_gives_int_codes(small_pieces):
    raw = _bytes(_results(num_videos=3, per_video=2))
    out = read_results_arrays(raw, CLASSES,
                              video_index={'v0': 7, 'v1': 8, 'v2': 9})
    np.testing.assert_array_equal(out['video_ids'], [7, 7, 8, 8, 9, 9])


@pytest.mark.parametrize('edit', [
    'duplicate_video', 'duplicate_key', 'bool_score', 'string_score',
    'extra_key', 'unknown_class', 'escape', 'unknown_video', 'end_before'
])
def test_hands_back_what_it_cannot_vouch_for(small_pieces, tmp_path, edit):
    results = _results()
    raw = _bytes(results)
    det = results['v5'][1]
    if edit == 'duplicate_video':
        raw = raw.replace(b'"v7"', b'"v2"')  # in another piece than v2
    elif edit == 'duplicate_key':
        raw = raw.replace(b'"score": ', b'"score": 1, "score": ', 1)
    elif edit == 'bool_score':
        det['score'] = True
    elif edit == 'string_score':
        det['score'] = '0.5'
    elif edit == 'extra_key':
        det['note'] = 'x'
    elif edit == 'unknown_class':
        det['label'] = 'zz'
    elif edit == 'escape':
        det['label'] = 'a\u00e9'
    elif edit == 'end_before':
        det['segment'] = [3.0, 2.0]
    if edit not in ('duplicate_video', 'duplicate_key'):
        raw = _bytes(results)
    known = None
    if edit == 'unknown_video':
        known = {f'v{v}' for v in range(11)}
    assert read_results_arrays(raw, CLASSES, known_videos=known) is None


def test_load_results_file_falls_back_with_the_exact_error(tmp_path,
                                                          small_pieces):
    results = _results()
    results['v5'][1]['score'] = True
    path = tmp_path / 'r.json'
    path.write_bytes(_bytes(results))
    with pytest.raises(ValueError, match='video v5, detection 1: bad score'):
        annotations.load_results_file(str(path), CLASSES)
