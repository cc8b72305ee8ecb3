from .wstal_postprocessor import WSTALPostProcessor

__all__ = ['WSTALPostProcessor']
