from .temporal_map_metric import TemporalMAPMetric

__all__ = ['TemporalMAPMetric']
