from .asm_loc import ASMLoc
from .co2net import CO2Net
from .dtrp_loc import DTRPLoc, pad_inputs, segments_to_snippet_mask

__all__ = [
    'DTRPLoc', 'pad_inputs', 'segments_to_snippet_mask', 'CO2Net', 'ASMLoc'
]
