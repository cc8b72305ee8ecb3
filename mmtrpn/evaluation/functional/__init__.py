from .temporal_map import (ANET_TIOUS, THUMOS_TIOUS,
                           average_precision_per_class, average_precisions,
                           best_overlaps, check_tiou_thresholds,
                           format_map_table, interpolated_ap,
                           match_detections, summarize_map, temporal_map)

__all__ = [
    'ANET_TIOUS', 'THUMOS_TIOUS', 'average_precision_per_class',
    'average_precisions', 'best_overlaps', 'check_tiou_thresholds',
    'format_map_table', 'interpolated_ap', 'match_detections',
    'summarize_map', 'temporal_map'
]
