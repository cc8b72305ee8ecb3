"""structures.segments: runs, masks, seconds <-> snippets <-> rows
(hand-computed)."""
import numpy as np
import torch

from mmtrpn.structures.segments import (DEFAULT_SNIPPET_DURATION, find_runs,
                                        mask_runs, row_positions,
                                        rows_to_seconds, seconds_to_snippets,
                                        segment_membership, segment_tiou,
                                        segments_array,
                                        segments_to_snippet_mask,
                                        snippets_to_seconds)


def test_default_snippet_duration_is_i3d():
    assert DEFAULT_SNIPPET_DURATION == 16 / 25 == 0.64


def test_find_runs_threshold_major_then_time():
    curve = np.array([0.2, 0.6, 0.6, 0.1, 0.9, 0.3])
    starts, ends = find_runs(curve, np.array([0.15, 0.5]))
    # > 0.15: [0, 3) and [4, 6); > 0.5: [1, 3) and [4, 5)
    assert starts.tolist() == [0, 4, 1, 4]
    assert ends.tolist() == [3, 6, 3, 5]
    assert starts.dtype == np.int64


def test_mask_runs_and_seconds():
    runs = mask_runs([0, 1, 1, 0, 1])
    assert runs.tolist() == [[1, 3], [4, 5]]
    np.testing.assert_allclose(snippets_to_seconds(runs, 0.5),
                               [[0.5, 1.5], [2.0, 2.5]])
    # 1.3 s / 0.5 = 2.6 -> 3 snippets; 0.74 / 0.5 = 1.48 -> 1
    assert seconds_to_snippets(np.array([1.3, 0.74]), 0.5).tolist() == [3, 1]


def test_segments_array_shape_and_dtype():
    assert segments_array([]).shape == (0, 2)
    arr = segments_array([(1, 2), (3, 4.5)])
    assert arr.dtype == np.float32 and arr.tolist() == [[1, 2], [3, 4.5]]


def test_snippet_mask_and_tiou():
    mask = segments_to_snippet_mask(torch.tensor([[0.6, 1.1]]), 0.5, 4)
    assert mask.tolist() == [0., 1., 1., 0.]  # [0.5,1.0) and [1.0,1.5)
    # [0, 2] vs [1, 3]: 1 / 3; vs [5, 6]: 0; an empty union gives 0
    np.testing.assert_allclose(
        segment_tiou([[0, 2], [4, 4]], [[1, 3], [5, 6], [4, 4]]),
        [[1 / 3, 0, 0], [0, 0, 0]])


def test_rows_to_seconds_undoes_the_resampling():
    pos = [0, 1, 1 + 2 / 3, 2 + 1 / 3, 3, 4]
    # rows [2, 4) at 0.5 s per snippet start at 1.667 and end at 3 snippets
    out = rows_to_seconds(np.array([[1.0, 2.0]]), pos, 0.5)
    assert np.allclose(out, [[(1 + 2 / 3) * 0.5, 1.5]])
    # positions as the data preprocessor leaves them: a tensor on the
    # model's device (a CUDA run of the export hook failed on np.asarray)
    on_device = torch.tensor(pos, requires_grad=True)
    assert np.allclose(rows_to_seconds([[1.0, 2.0]], on_device, 0.5), out)


def test_segment_membership_by_hand():
    pos = torch.arange(4.)
    member = segment_membership(pos, torch.tensor([[0.9, 2.1]]), 1.0)
    assert member[:, 0].tolist() == [True, True, True, False]


def test_row_positions_of_each_sampling():
    from mmengine.structures import BaseDataElement
    full = BaseDataElement()
    assert row_positions(full, 3).tolist() == [0.0, 1.0, 2.0]
    uniform = BaseDataElement(snippet_indices=torch.tensor([0, 4, 9]))
    assert row_positions(uniform, 3).tolist() == [0.0, 4.0, 9.0]
    dynamic = BaseDataElement(snippet_positions=torch.tensor([0., 0.5, 2.]),
                              snippet_indices=torch.tensor([0, 1, 2]))
    # fractional positions of dynamic sampling win; cut to the rows given
    assert row_positions(dynamic, 2).tolist() == [0.0, 0.5]
