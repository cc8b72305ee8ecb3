"""High-level inference API (used by tools/inference.py)."""
from .inference import (cached_annotations, find_videos, inference_localizer,
                        init_localizer)

__all__ = [
    'cached_annotations', 'find_videos', 'inference_localizer',
    'init_localizer'
]
