"""The shared vocabulary: annotation files, segments and data samples.

Everything above (datasets, models, evaluation, visualization, apis)
imports these; this package imports only ``mmtrpn.utils`` and third-party
libraries.
"""
from .annotations import (Annotations, VideoAnnotation, load_annotations,
                          load_ground_truth, load_results_file,
                          read_ambiguous_file, read_video_list,
                          write_results_file)
from .segments import (DEFAULT_SNIPPET_DURATION, find_runs, mask_runs,
                       segment_tiou, segments_to_snippet_mask,
                       seconds_to_snippets, snippets_to_seconds)

__all__ = [
    'Annotations', 'DEFAULT_SNIPPET_DURATION', 'VideoAnnotation',
    'find_runs', 'load_annotations', 'load_ground_truth',
    'load_results_file', 'mask_runs', 'read_ambiguous_file',
    'read_video_list', 'seconds_to_snippets', 'segment_tiou',
    'segments_to_snippet_mask', 'snippets_to_seconds', 'write_results_file'
]
