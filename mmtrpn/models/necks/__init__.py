from .asm_attention import InterSegmentAttention, IntraSegmentAttention
from .co2_neck import CO2Neck, CrossModalConsensus
from .dmf_neck import DMFNeck

__all__ = [
    'DMFNeck', 'CO2Neck', 'CrossModalConsensus', 'IntraSegmentAttention',
    'InterSegmentAttention'
]
