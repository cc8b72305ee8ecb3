"""Figures of detections, proposals and curves (see tools/inference.py),
the error-diagnosis charts, the curves file and the HTML report page."""
from .curves_file import load_curves, save_curves
from .det_plot import assign_lanes, plot_detection, select_detections
from .report import render_report
from .visualization_hook import WSTALVisualizationHook

__all__ = [
    'WSTALVisualizationHook', 'assign_lanes', 'load_curves',
    'plot_detection', 'render_report', 'save_curves', 'select_detections'
]
