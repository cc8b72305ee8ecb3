"""Video decoding for feature extraction: frames at a fixed rate, resized,
cut into whole snippets, cropped.

Time alignment (what ``snippet_duration`` assumes in the datasets): output
frame ``i`` shows time ``[i / fps, (i + 1) / fps)`` and is the source frame
on screen at its centre, ``floor((i + 0.5) * src_fps / fps)``. A video of
``N`` source frames gives ``n = ceil(N * fps / src_fps - 0.5)`` frames
(its duration times ``fps``, rounded), and snippet ``t`` is frames
``[t * L, (t + 1) * L)``, i.e. seconds ``[t * L / fps, (t + 1) * L / fps)``.
The last, partial snippet is completed by repeating the last frame, so
``T = ceil(n / L)`` snippets cover the whole video.
"""
import math
import os
from typing import Iterator, Optional, Tuple

import cv2
import numpy as np

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.mpg', '.mpeg',
                    '.m4v', '.flv', '.wmv', '.3gp', '.ogv')


class VideoReadError(ValueError):
    """A video that cannot be decoded; the message names the file."""


def num_resampled_frames(num_source: int, source_fps: float,
                         fps: float) -> int:
    """Frames at ``fps`` of a video of ``num_source`` frames."""
    if num_source <= 0:
        return 0
    return max(1, math.ceil(num_source * fps / source_fps - 0.5))


def source_index(i, source_fps: float, fps: float):
    """Source frame shown at the centre of output frame(s) ``i``."""
    return np.floor((np.asarray(i) + 0.5) * (source_fps / fps)).astype(
        np.int64)


def num_snippets(num_frames: int, snippet_frames: int) -> int:
    return -(-num_frames // snippet_frames)


def snippet_bounds(num: int, snippet_frames: int, fps: float) -> np.ndarray:
    """(num, 2) seconds covered by each snippet: ``[t * s, (t + 1) * s)``
    with ``s = snippet_frames / fps``, the datasets' ``snippet_duration``."""
    t = np.arange(num, dtype=np.float64)[:, None]
    return (t + np.array([0.0, 1.0])) * (snippet_frames / fps)


def resize_short_side(frame: np.ndarray, short_side: int) -> np.ndarray:
    h, w = frame.shape[:2]
    if min(h, w) == short_side:
        return frame
    scale = short_side / min(h, w)
    if h <= w:
        size = (max(short_side, int(round(w * scale))), short_side)
    else:
        size = (short_side, max(short_side, int(round(h * scale))))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(frame, size, interpolation=interp)


def open_video(path: str) -> Tuple[cv2.VideoCapture, float]:
    """An opened capture and its frame rate; errors name the file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'video not found: {path}')
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise VideoReadError(f'{path}: cannot be opened as a video (unknown '
                             'format or corrupt file)')
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not math.isfinite(fps) or fps <= 0 or fps > 1000:
        cap.release()
        raise VideoReadError(f'{path}: no usable frame rate in the file '
                             f'(reads {fps})')
    return cap, fps


class VideoFrames:
    """Decode ``path`` at ``fps``, RGB uint8, shorter side ``short_side``.

    Iterating yields chunks ``(frames, next_frame)``: ``frames`` is
    ``(chunk_frames, H, W, 3)`` (the last chunk may be shorter) and
    ``next_frame`` the frame after the chunk, None at the end (optical flow
    of a chunk's last frame needs it). After iteration, ``num_frames``,
    ``source_frames`` and ``duration`` (seconds, source frames / source
    fps) are set.
    """

    def __init__(self, path: str, fps: float = 25.0, short_side: int = 256,
                 chunk_frames: int = 64) -> None:
        if fps <= 0 or short_side <= 0 or chunk_frames <= 0:
            raise ValueError('fps, short_side and chunk_frames must be > 0')
        self.path = os.fspath(path)
        self.fps = float(fps)
        self.short_side = int(short_side)
        self.chunk_frames = int(chunk_frames)
        self.source_fps: Optional[float] = None
        self.source_frames = 0
        self.num_frames = 0

    @property
    def duration(self) -> float:
        return self.source_frames / self.source_fps

    def estimated_frames(self) -> Optional[int]:
        """Frames at ``fps`` by the container's frame count (before
        decoding; may be off), None when it does not say or cannot be
        opened (decoding then reports why)."""
        try:
            cap, source_fps = open_video(self.path)
        except (OSError, VideoReadError):
            return None
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        cap.release()
        if not count or count <= 0 or not math.isfinite(count):
            return None
        return num_resampled_frames(int(count), source_fps, self.fps)

    def _resampled(self) -> Iterator[np.ndarray]:
        cap, self.source_fps = open_video(self.path)
        ratio = self.source_fps / self.fps
        out_index, src = 0, 0
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                src += 1
                rgb = None
                # Output frames whose centre falls on this source frame.
                while math.floor((out_index + 0.5) * ratio) <= src - 1:
                    if rgb is None:
                        rgb = resize_short_side(
                            cv2.cvtColor(frame, cv2.COLOR_BGR2RGB),
                            self.short_side)
                    yield rgb
                    out_index += 1
        finally:
            cap.release()
            self.source_frames = src
            self.num_frames = out_index
        if src == 0:
            raise VideoReadError(f'{self.path}: no frame could be decoded '
                                 '(empty, zero-length or unreadable video)')

    def __iter__(self) -> Iterator[Tuple[np.ndarray, Optional[np.ndarray]]]:
        buffer = []
        for frame in self._resampled():
            buffer.append(frame)
            if len(buffer) == self.chunk_frames + 1:
                yield np.stack(buffer[:-1]), buffer[-1]
                buffer = buffer[-1:]
        if buffer:
            yield np.stack(buffer), None


def pad_to_snippets(frames: np.ndarray, snippet_frames: int) -> np.ndarray:
    """Repeat the last frame up to a whole number of snippets."""
    extra = -len(frames) % snippet_frames
    if not extra:
        return frames
    return np.concatenate([frames, np.repeat(frames[-1:], extra, 0)])


def crop_views(frames: np.ndarray, size: int, ten_crop: bool = False,
               flow: bool = False) -> np.ndarray:
    """``(N, H, W, C)`` -> ``(V, N, size, size, C)``: the centre crop
    (V = 1), or the ten crops (4 corners + centre, then their mirror
    images). Mirroring a flow field negates its x component."""
    n, h, w = frames.shape[:3]
    if size > min(h, w):
        raise ValueError(f'crop size {size} exceeds the frame size {h}x{w}')
    top, left = (h - size) // 2, (w - size) // 2
    if not ten_crop:
        return frames[None, :, top:top + size, left:left + size]
    origins = [(0, 0), (0, w - size), (h - size, 0), (h - size, w - size),
               (top, left)]
    views = np.stack([frames[:, y:y + size, x:x + size] for y, x in origins])
    mirrored = views[:, :, :, ::-1]
    if flow:
        mirrored = mirrored * np.array([-1, 1], dtype=views.dtype)
    return np.concatenate([views, mirrored])
