from .checkpoint_check_hook import CheckpointShapeCheckHook
from .feature_bank_hook import FeatureBankHook
from .finite_loss_hook import FiniteLossHook
from .model_dataset_check_hook import ModelDatasetCheckHook
from .own_files_hook import OwnWorkDirFilesHook
from .pseudo_segment_hook import PseudoSegmentExportHook
from .random_state_hook import RandomStateHook
from .resume_val_hook import ResumeValidationHook

__all__ = [
    'CheckpointShapeCheckHook', 'FeatureBankHook', 'FiniteLossHook',
    'ModelDatasetCheckHook', 'OwnWorkDirFilesHook', 'RandomStateHook',
    'PseudoSegmentExportHook', 'ResumeValidationHook'
]
