"""High-level APIs: inference (used by tools/inference.py) and the HTML
report of a test run (tools/test.py --report, tools/analysis/)."""
from .inference import (cached_annotations, find_videos, inference_localizer,
                        init_localizer)
from .report import build_report, write_report
from .report_hook import WSTALReportHook, add_report_hook, curves_path

__all__ = [
    'WSTALReportHook', 'add_report_hook', 'build_report',
    'cached_annotations', 'curves_path', 'find_videos', 'inference_localizer',
    'init_localizer', 'write_report'
]
