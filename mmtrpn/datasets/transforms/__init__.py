from .formatting import PackWSTALInputs
from .loading import LoadSnippetFeatures
from .pseudo_segments import DynamicSegmentSampling, LoadPseudoSegments
from .sampling import SampleSnippets, uniform_bin_indices

__all__ = [
    'LoadSnippetFeatures', 'SampleSnippets', 'PackWSTALInputs',
    'uniform_bin_indices', 'LoadPseudoSegments', 'DynamicSegmentSampling'
]
