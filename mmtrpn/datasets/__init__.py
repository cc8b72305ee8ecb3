from .transforms import *  # noqa: F401,F403
from .wstal_dataset import WSTALFeatureDataset

__all__ = ['WSTALFeatureDataset']
