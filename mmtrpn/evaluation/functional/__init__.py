from .temporal_map import (ANET_TIOUS, THUMOS_TIOUS,
                           average_precision_per_class,
                           check_tiou_thresholds, format_map_table,
                           interpolated_ap, load_ambiguous, load_ground_truth,
                           load_predictions, load_video_list, segment_tiou,
                           summarize_map, temporal_map)

__all__ = [
    'ANET_TIOUS', 'THUMOS_TIOUS', 'average_precision_per_class',
    'check_tiou_thresholds',
    'format_map_table', 'interpolated_ap', 'load_ambiguous',
    'load_ground_truth', 'load_predictions', 'load_video_list',
    'segment_tiou', 'summarize_map', 'temporal_map'
]
