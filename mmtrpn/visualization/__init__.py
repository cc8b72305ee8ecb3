"""Figures of detections, proposals and curves (see tools/inference.py)."""
from .det_plot import assign_lanes, plot_detection, select_detections
from .visualization_hook import WSTALVisualizationHook

__all__ = [
    'WSTALVisualizationHook', 'assign_lanes', 'plot_detection',
    'select_detections'
]
