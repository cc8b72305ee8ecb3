from .co2_head import CO2ClassifierHead
from .masked_cls_head import MaskedClassifierHead, masked_avg_pool, topk_pool
from .trpn_head import TRPNHead

__all__ = [
    'TRPNHead', 'MaskedClassifierHead', 'masked_avg_pool', 'topk_pool',
    'CO2ClassifierHead'
]
