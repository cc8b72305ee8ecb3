"""The curves file of a test run (.npz, no pickle)."""
import numpy as np
import pytest

from mmtrpn.visualization import load_curves, save_curves


def curves():
    out = []
    for video, t in (('v1', 100), ('v2', 50)):
        rng = np.random.default_rng(t)
        out.append(dict(
            video_name=video, duration=t * 0.64, snippet_duration=0.64,
            fg_curve=rng.random(t).astype(np.float32),
            cas=rng.random((t, 2)).astype(np.float32),
            proposal_mask=(rng.random(t) > 0.5).astype(np.float32),
            video_scores=np.array([0.9, 0.4], np.float32)))
    return out


def test_curves_file_round_trip(tmp_path):
    entries = curves()
    path = str(tmp_path / 'c.npz')
    assert save_curves(path, entries) == ['fg_curve', 'proposal_mask',
                                          'cas', 'video_scores']
    back = load_curves(path)
    assert list(back) == ['v1', 'v2']
    for e in entries:
        got = back[e['video_name']]
        np.testing.assert_array_equal(got['cas'], e['cas'])
        np.testing.assert_array_equal(got['fg_curve'], e['fg_curve'])
        assert got['snippet_duration'] == pytest.approx(0.64)
    # A curve one video lacks is left out; unequal lengths are refused.
    del entries[1]['proposal_mask']
    assert 'proposal_mask' not in save_curves(path, entries)
    entries[0]['fg_curve'] = entries[0]['fg_curve'][:-1]
    with pytest.raises(ValueError, match='video v1: curves of different'):
        save_curves(path, entries)
    (tmp_path / 'bad.npz').write_bytes(b'not a zip')
    with pytest.raises(ValueError, match='bad.npz: not a curves file'):
        load_curves(str(tmp_path / 'bad.npz'))
