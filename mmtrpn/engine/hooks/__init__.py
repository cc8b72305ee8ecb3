from .checkpoint_check_hook import CheckpointShapeCheckHook
from .random_state_hook import RandomStateHook

__all__ = ['CheckpointShapeCheckHook', 'RandomStateHook']
