import datetime
import warnings

from mmengine import DefaultScope
from mmengine.registry import Registry


def register_all_modules(init_default_scope: bool = True) -> None:
    """Apply the compatibility fixes and import every mmtrpn module so its
    classes are registered.

    Args:
        init_default_scope (bool): Set the default scope to ``mmtrpn`` so
            registries build from mmtrpn's node first. Defaults to True.
    """
    from .compat import apply_compat_fixes
    apply_compat_fixes()
    # Each registry of mmtrpn/registry.py names the packages that fill it;
    # importing through them keeps utils free of imports of the packages
    # above it. (Registries without locations would call back here.)
    from mmtrpn import registry
    for value in vars(registry).values():
        if isinstance(value, Registry) and value.scope == 'mmtrpn' and \
                value._locations:
            value.import_from_location()

    if not init_default_scope:
        return
    never_created = DefaultScope.get_current_instance() is None \
        or not DefaultScope.check_instance_created('mmtrpn')
    if never_created:
        DefaultScope.get_instance('mmtrpn', scope_name='mmtrpn')
        return
    current_scope = DefaultScope.get_current_instance()
    if current_scope.scope_name != 'mmtrpn':
        warnings.warn(f'The current default scope "{current_scope.scope_name}"'
                      ' is not "mmtrpn"; register_all_modules sets it to '
                      '"mmtrpn".')
        DefaultScope.get_instance(
            f'mmtrpn-{datetime.datetime.now()}', scope_name='mmtrpn')
