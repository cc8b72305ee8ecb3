from .asm_loc import ASMLoc
from .base_localizer import BaseWSTALLocalizer
from .co2net import CO2Net
from .dtrp_loc import DTRPLoc
from .topk_mil import TopkMIL

__all__ = ['BaseWSTALLocalizer', 'DTRPLoc', 'CO2Net', 'ASMLoc', 'TopkMIL']
