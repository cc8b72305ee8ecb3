from .co2_head import CO2ClassifierHead
from .masked_cls_head import MaskedClassifierHead
from .trpn_head import TRPNHead

__all__ = ['TRPNHead', 'MaskedClassifierHead', 'CO2ClassifierHead']
