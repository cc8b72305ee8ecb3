"""Figures of detections, proposals and curves (see tools/inference.py),
the error-diagnosis charts and the HTML report of a test run."""
from .curves_file import load_curves, save_curves
from .det_plot import assign_lanes, plot_detection, select_detections
from .report import build_report, write_report
from .report_hook import WSTALReportHook, add_report_hook, curves_path
from .visualization_hook import WSTALVisualizationHook

__all__ = [
    'WSTALReportHook', 'WSTALVisualizationHook', 'add_report_hook',
    'assign_lanes', 'build_report', 'curves_path', 'load_curves',
    'plot_detection', 'save_curves', 'select_detections', 'write_report'
]
