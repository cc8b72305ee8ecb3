"""Unknown component names in configs: say which names are registered.

MMEngine's ``KeyError`` ("X is not in the mmtrpn::model registry") does not
list the valid names; a typo in a config then needs a debugger or the
source to fix. ``Registry.build`` is wrapped to append close matches and
the registered names of the registry (and its parents) to that error.
"""
import difflib
import re

_PATTERN = re.compile(r'(\S+) is not in the (\S*)::(.+?) registry')
_MARK = 'Registered names'


def registered_names(registry):
    """``{scope: sorted names}`` of ``registry`` and its parents."""
    out = {}
    while registry is not None:
        registry.import_from_location()
        out[registry.scope] = sorted(registry.module_dict)
        registry = registry.parent
    return out


def _find_registry(start, scope, name):
    root = start._get_root_registry()
    if root.name != name:
        return None
    if root.scope == scope:
        return root
    return root._search_child(scope)


def explain_unknown_type(error, registry):
    """A clearer KeyError for ``error``, or None if it is not a lookup miss."""
    message = error.args[0] if error.args else ''
    if not isinstance(message, str) or _MARK in message:
        return None
    match = _PATTERN.search(message)
    if match is None:
        return None
    obj_type, scope, name = match.groups()
    if scope != 'mmtrpn':
        return None  # other packages' errors are left as they are
    found = _find_registry(registry, scope, name)
    if found is None:
        return None
    return _hinted_error(obj_type, scope, name, found)


def _hinted_error(obj_type, scope, name, found):
    names = registered_names(found)
    flat = [n for scoped in names.values() for n in scoped]
    close = difflib.get_close_matches(obj_type, flat, n=3, cutoff=0.6)
    hint = f' Did you mean {close}?' if close else ''
    listing = '; '.join(f'{s}: {", ".join(n)}' for s, n in names.items())
    # Keeps MMEngine's wording, which users and tests may search for.
    return KeyError(f'{obj_type} is not in the {scope}::{name} registry.'
                    f'{hint} {_MARK} of the {name} registry by scope: '
                    f'{listing}.')


def unknown_type_error(registry, name):
    """The hinted KeyError for ``name`` missing from ``registry``."""
    found = _find_registry(registry, 'mmtrpn', registry.name)
    if found is None:  # no mmtrpn node: the root's names
        found = registry._get_root_registry()
    return _hinted_error(name, found.scope, registry.name, found)


def _lookup(registry, name):
    from mmengine.registry import DefaultScope
    scope = DefaultScope.get_current_instance()
    with registry.switch_scope_and_registry(
            scope.scope_name if scope else None) as found:
        return found.get(name)


def check_config_types(cfg):
    """Refuse unknown type names that MMEngine looks up with ``get``.

    ``Registry.build`` failures carry the hint already; the optimizer type
    and a data loader's ``collate_fn`` are looked up with ``get``, which
    returns None, and fail later with "None is not a callable object" /
    "the first argument must be callable". Called by the tools before the
    Runner is built.
    """
    from mmengine.registry import FUNCTIONS, OPTIMIZERS
    checks = []
    optim = cfg.get('optim_wrapper') or {}
    optimizer = optim.get('optimizer') if isinstance(optim, dict) else None
    if isinstance(optimizer, dict):
        checks.append((OPTIMIZERS, optimizer.get('type'),
                       'optim_wrapper.optimizer.type'))
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader') or {}
        collate = loader.get('collate_fn') if isinstance(loader, dict) \
            else None
        if isinstance(collate, dict):
            checks.append((FUNCTIONS, collate.get('type'),
                           f'{split}_dataloader.collate_fn.type'))
    for registry, name, where in checks:
        if isinstance(name, str) and _lookup(registry, name) is None:
            error = unknown_type_error(registry, name)
            raise KeyError(f'{where}: {error.args[0]}')


def accepts_argument(cls, name: str) -> bool:
    """Whether ``cls.__init__`` names the argument ``name``, itself or
    through the ``**kwargs`` it passes to a base class's ``__init__``."""
    import inspect
    for klass in getattr(cls, '__mro__', ()):
        init = vars(klass).get('__init__')
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            return False
        if name in params:
            return True
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            return False
    return False


def explain_unsupported_proposal_stage(error, registry, cfg):
    """A clearer TypeError when a model that has no proposal stage is given
    ``proposal_stage`` in its config, or None."""
    message = str(error.args[0]) if error.args else ''
    if "unexpected keyword argument 'proposal_stage'" not in message:
        return None
    able = sorted(
        name for name, cls in registry.module_dict.items()
        if isinstance(cls, type) and accepts_argument(cls, 'proposal_stage'))
    obj_type = cfg.get('type') if hasattr(cfg, 'get') else '?'
    obj_type = getattr(obj_type, '__name__', obj_type)
    return TypeError(
        f'model.proposal_stage: {obj_type} cannot take a proposal stage. '
        f'Remove model.proposal_stage, or use a localizer that takes one: '
        f'{", ".join(able)}.')


def patch_registry_build_errors():
    from mmengine.registry import Registry
    if getattr(Registry.build, '_mmtrpn_hints', False):
        return
    original = Registry.build

    def build(self, cfg, *args, **kwargs):
        try:
            return original(self, cfg, *args, **kwargs)
        except KeyError as error:
            clearer = explain_unknown_type(error, self)
            if clearer is None:
                raise
            raise clearer from error
        except TypeError as error:
            clearer = explain_unsupported_proposal_stage(error, self, cfg)
            if clearer is None:
                raise
            raise clearer from error

    build._mmtrpn_hints = True
    Registry.build = build
