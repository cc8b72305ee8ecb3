from .checkpoint_check_hook import CheckpointShapeCheckHook
from .model_dataset_check_hook import ModelDatasetCheckHook
from .random_state_hook import RandomStateHook

__all__ = [
    'CheckpointShapeCheckHook', 'ModelDatasetCheckHook', 'RandomStateHook'
]
