"""High-level inference API (used by tools/inference.py)."""
from .inference import (detections_from_sample, find_videos,
                        inference_localizer, init_localizer, load_annotations,
                        results_payload)

__all__ = [
    'detections_from_sample', 'find_videos', 'inference_localizer',
    'init_localizer', 'load_annotations', 'results_payload'
]
