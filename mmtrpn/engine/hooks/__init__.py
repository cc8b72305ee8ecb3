from .checkpoint_check_hook import CheckpointShapeCheckHook
from .feature_dims_check_hook import FeatureDimsCheckHook
from .random_state_hook import RandomStateHook
from .resume_val_hook import ResumeValidationHook

__all__ = [
    'CheckpointShapeCheckHook', 'FeatureDimsCheckHook', 'RandomStateHook',
    'ResumeValidationHook'
]
