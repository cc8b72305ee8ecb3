from .checkpoint_check_hook import CheckpointShapeCheckHook
from .pseudo_segment_hook import PseudoSegmentExportHook
from .random_state_hook import RandomStateHook

__all__ = [
    'CheckpointShapeCheckHook', 'RandomStateHook', 'PseudoSegmentExportHook'
]
