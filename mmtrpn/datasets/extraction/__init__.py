"""Snippet features from raw videos: decoding and sampling (``video``),
TV-L1 optical flow (``flow``). The extractor that runs I3D on them is
``mmtrpn.apis.extraction``."""
from .flow import FLOW_BOUND, TVL1Flow, scale_flow, to_gray
from .video import (VIDEO_EXTENSIONS, VideoFrames, VideoReadError, crop_views,
                    num_resampled_frames, num_snippets, pad_to_snippets,
                    snippet_bounds, source_index)

__all__ = [
    'FLOW_BOUND', 'TVL1Flow', 'VIDEO_EXTENSIONS', 'VideoFrames',
    'VideoReadError', 'crop_views', 'num_resampled_frames', 'num_snippets',
    'pad_to_snippets', 'scale_flow', 'snippet_bounds', 'source_index',
    'to_gray'
]
