from .asm_loc import ASMLoc
from .co2net import CO2Net
from .dtrp_loc import DTRPLoc, pad_inputs

__all__ = ['DTRPLoc', 'pad_inputs', 'CO2Net', 'ASMLoc']
