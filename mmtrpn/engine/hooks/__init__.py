from .checkpoint_check_hook import CheckpointShapeCheckHook
from .feature_bank_hook import FeatureBankHook
from .model_dataset_check_hook import ModelDatasetCheckHook
from .pseudo_segment_hook import PseudoSegmentExportHook
from .random_state_hook import RandomStateHook
from .resume_val_hook import ResumeValidationHook

__all__ = [
    'CheckpointShapeCheckHook', 'FeatureBankHook', 'ModelDatasetCheckHook',
    'RandomStateHook', 'PseudoSegmentExportHook', 'ResumeValidationHook'
]
