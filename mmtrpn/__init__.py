"""mmtrpn: weakly-supervised temporal action localization on OpenMMLab."""
from .utils.compat import apply_all as _apply_compat_fixes

_apply_compat_fixes()

from .version import __version__  # noqa: E402

__all__ = ['__version__']
