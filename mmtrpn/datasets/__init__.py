from .transforms import *  # noqa: F401,F403
from .feature_bank import WSTALFeatureBankDataset, enable_feature_bank
from .feature_bank_preprocessor import FeatureBankPreprocessor
from .samplers import ClassPairBatchSampler
from .wstal_dataset import WSTALFeatureDataset

__all__ = [
    'WSTALFeatureDataset', 'WSTALFeatureBankDataset',
    'FeatureBankPreprocessor', 'enable_feature_bank', 'ClassPairBatchSampler'
]
