"""mmtrpn: weakly-supervised temporal action localization on OpenMMLab.

Importing the package registers nothing and patches nothing; entry points
call ``mmtrpn.utils.register_all_modules()`` (which applies the
compatibility fixes of ``mmtrpn.utils.compat``).
"""
from .version import __version__

__all__ = ['__version__']
