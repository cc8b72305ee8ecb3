from .dmf_neck import DMFNeck

__all__ = ['DMFNeck']
