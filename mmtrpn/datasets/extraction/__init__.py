"""Snippet features from raw videos: decoding and sampling (``video``),
TV-L1 optical flow (``flow``: OpenCV's, or the torch port in
``tvl1_torch``), progress inside a video (``progress``). The extractor
that runs I3D on them is ``mmtrpn.apis.extraction``."""
from .flow import FLOW_BACKENDS, FLOW_BOUND, TVL1Flow, scale_flow, to_gray
from .progress import (STAGE_UNITS, ProgressCallback, ProgressPrinter,
                       StageCounter, format_seconds)
from .tvl1_torch import TVL1_DEFAULTS, TorchTVL1
from .video import (VIDEO_EXTENSIONS, VideoFrames, VideoReadError, crop_views,
                    num_resampled_frames, num_snippets, pad_to_snippets,
                    snippet_bounds, source_index)

__all__ = [
    'FLOW_BACKENDS', 'FLOW_BOUND', 'ProgressCallback', 'ProgressPrinter',
    'STAGE_UNITS', 'StageCounter', 'TVL1Flow', 'TVL1_DEFAULTS', 'TorchTVL1',
    'VIDEO_EXTENSIONS', 'VideoFrames', 'VideoReadError', 'crop_views',
    'format_seconds', 'num_resampled_frames', 'num_snippets',
    'pad_to_snippets', 'scale_flow', 'snippet_bounds', 'source_index',
    'to_gray'
]
