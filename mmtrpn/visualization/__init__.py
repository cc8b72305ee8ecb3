"""Figures of detections, proposals and curves (see tools/inference.py)."""
