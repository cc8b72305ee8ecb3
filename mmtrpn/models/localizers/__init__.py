from .asm_loc import ASMLoc
from .base_localizer import BaseWSTALLocalizer
from .co2net import CO2Net
from .dtrp_loc import DTRPLoc

__all__ = ['BaseWSTALLocalizer', 'DTRPLoc', 'CO2Net', 'ASMLoc']
