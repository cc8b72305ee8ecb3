"""Decoding, resampling to 25 fps, resizing, cropping and the snippet
alignment that the datasets' ``snippet_duration`` assumes."""
import math

import numpy as np
import pytest
from conftest import texture, write_video

from mmtrpn.datasets import WSTALFeatureDataset
from mmtrpn.datasets.extraction import (VideoFrames, VideoReadError,
                                        crop_views, num_resampled_frames,
                                        num_snippets, pad_to_snippets,
                                        snippet_bounds, source_index)


def _decode(path, fps=25.0, short_side=24, chunk=16):
    frames = VideoFrames(path, fps, short_side, chunk)
    chunks = list(frames)
    return frames, np.concatenate([c for c, _ in chunks]), chunks


def _index_video(tmp_path, num, fps, name='index.avi'):
    """Frame j is a flat grey of level 4 * j: decoding reads j back."""
    frames = np.repeat((np.arange(num) * 4).astype(np.uint8)[:, None, None,
                                                             None],
                       24 * 32 * 3).reshape(num, 24, 32, 3)
    return write_video(tmp_path / name, frames, fps)


def test_resampling_counts_by_hand():
    # 2 s at 30 fps -> 50 frames at 25 fps; 25 fps is kept as is.
    assert num_resampled_frames(60, 30.0, 25.0) == 50
    assert num_resampled_frames(50, 25.0, 25.0) == 50
    # 1 frame of a 30 fps video lasts 1/30 s: one frame at 25 fps.
    assert num_resampled_frames(1, 30.0, 25.0) == 1
    assert num_resampled_frames(0, 30.0, 25.0) == 0
    # Output frame i shows the source frame at its centre (i + 0.5) / 25 s.
    assert source_index(np.arange(6), 30.0, 25.0).tolist() == [
        0, 1, 3, 4, 5, 6]
    assert source_index(np.arange(4), 25.0, 25.0).tolist() == [0, 1, 2, 3]
    assert num_snippets(50, 16) == 4 and num_snippets(48, 16) == 3


@pytest.mark.parametrize('src_fps', [25, 30, 12])
def test_decoded_frames_follow_source_index(tmp_path, src_fps):
    num = 2 * src_fps
    path = _index_video(tmp_path, num, src_fps)
    frames, decoded, _ = _decode(path, chunk=7)
    assert frames.source_fps == pytest.approx(src_fps)
    assert frames.source_frames == num
    assert frames.duration == pytest.approx(2.0)
    assert frames.num_frames == len(decoded) == 50
    got = np.round(decoded[:, 12, 16].mean(1) / 4).astype(int)
    np.testing.assert_array_equal(
        got, source_index(np.arange(50), src_fps, 25.0))


def test_resize_rgb_order_and_chunks(tmp_path):
    frames = np.zeros((10, 48, 64, 3), np.uint8)
    frames[..., 0] = 200   # red
    path = write_video(tmp_path / 'red.avi', frames, 25)
    video, decoded, chunks = _decode(path, short_side=24, chunk=4)
    assert decoded.shape == (10, 24, 32, 3)
    assert decoded[..., 0].mean() > 180 and decoded[..., 2].mean() < 20
    # Chunks of 4 frames, each with the frame after it (None at the end).
    assert [len(c) for c, _ in chunks] == [4, 4, 2]
    np.testing.assert_array_equal(chunks[0][1], chunks[1][0][0])
    assert chunks[-1][1] is None
    # Portrait videos: the width becomes the short side.
    tall = write_video(tmp_path / 'tall.avi', frames.transpose(0, 2, 1, 3),
                       25)
    assert _decode(tall, short_side=24)[1].shape == (10, 32, 24, 3)


def test_snippet_alignment_matches_dataset(tmp_path):
    """A cut at 1.28 s = 2 snippets of 16 frames at 25 fps falls exactly on
    the start of snippet 2, whatever the source frame rate; the number of
    snippets is what the dataset's snippet_duration gives for the
    duration."""
    sd = 16 / 25
    for src_fps in (25, 30):
        num = 2 * src_fps
        times = np.arange(num) / src_fps
        levels = np.where(times + 0.5 / src_fps < 2 * sd, 20, 220)
        frames = np.repeat(levels.astype(np.uint8)[:, None, None, None],
                           24 * 32 * 3).reshape(num, 24, 32, 3)
        path = write_video(tmp_path / f'cut{src_fps}.avi', frames, src_fps)
        video, decoded, _ = _decode(path)
        padded = pad_to_snippets(decoded, 16)
        snippet_means = padded.reshape(-1, 16, 24 * 32 * 3).mean(
            (1, 2))
        assert len(snippet_means) == math.ceil(video.duration / sd) == 4
        bright = snippet_means > 120
        assert bright.tolist() == [False, False, True, True]
        bounds = snippet_bounds(4, 16, 25.0)
        np.testing.assert_allclose(bounds[2], [2 * sd, 3 * sd])
        # Inside a snippet, frames do not mix the two sides of the cut.
        assert np.ptp(padded[:32].mean((1, 2, 3))) < 10
        assert np.ptp(padded[32:].mean((1, 2, 3))) < 10


def test_dataset_default_snippet_duration_is_16_frames_at_25fps():
    import inspect
    default = inspect.signature(
        WSTALFeatureDataset.__init__).parameters['snippet_duration'].default
    assert default == 16 / 25
    np.testing.assert_allclose(snippet_bounds(3, 16, 25.0),
                               np.arange(3)[:, None] * default
                               + [0.0, default])


def test_pad_and_crops():
    frames = np.arange(5 * 4 * 6 * 2, dtype=np.float32).reshape(5, 4, 6, 2)
    padded = pad_to_snippets(frames, 4)
    assert padded.shape == (8, 4, 6, 2)
    np.testing.assert_array_equal(padded[5:], np.repeat(frames[-1:], 3, 0))
    centre = crop_views(frames, 2)
    assert centre.shape == (1, 5, 2, 2, 2)
    np.testing.assert_array_equal(centre[0], frames[:, 1:3, 2:4])
    ten = crop_views(frames, 2, ten_crop=True, flow=True)
    assert ten.shape == (10, 5, 2, 2, 2)
    np.testing.assert_array_equal(ten[0], frames[:, 0:2, 0:2])   # top left
    np.testing.assert_array_equal(ten[3], frames[:, 2:4, 4:6])   # b. right
    # Mirror of the centre crop: columns reversed, flow x negated.
    np.testing.assert_array_equal(ten[9][..., 0],
                                  -frames[:, 1:3, 2:4][:, :, ::-1, 0])
    np.testing.assert_array_equal(ten[9][..., 1],
                                  frames[:, 1:3, 2:4][:, :, ::-1, 1])
    rgb_ten = crop_views(frames, 2, ten_crop=True)
    np.testing.assert_array_equal(rgb_ten[5], frames[:, 0:2, 0:2][:, :,
                                                                  ::-1])
    with pytest.raises(ValueError, match='crop size 5'):
        crop_views(frames, 5)


def test_bad_videos_named(tmp_path):
    missing = tmp_path / 'missing.mp4'
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        list(VideoFrames(str(missing)))
    garbage = tmp_path / 'garbage.mp4'
    garbage.write_bytes(b'this is not a video' * 50)
    with pytest.raises(VideoReadError, match='garbage.mp4'):
        list(VideoFrames(str(garbage)))
    empty = write_video(tmp_path / 'empty.avi', np.zeros((0, 24, 32, 3)),
                        25)
    with pytest.raises((VideoReadError, FileNotFoundError),
                       match='empty.avi'):
        list(VideoFrames(empty))
    zero = tmp_path / 'zero.avi'
    zero.write_bytes(b'')
    with pytest.raises(VideoReadError, match='zero.avi'):
        list(VideoFrames(str(zero)))


def test_texture_video_decodes_close_to_source(tmp_path):
    src = np.stack([texture(24, 32, seed=s) for s in range(3)])
    path = write_video(tmp_path / 'tex.avi', src, 25)
    _, decoded, _ = _decode(path)
    # MJPG is lossy: close, not equal.
    assert np.abs(decoded.astype(int) - src).mean() < 6
