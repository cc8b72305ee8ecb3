"""Check a config before the Runner is built, naming the bad setting.

Values that divide or index (``val_interval`` is a modulus, ``batch_size``
and ``num_classes`` size arrays, ``snippet_duration`` divides seconds) fail
deep inside MMEngine or torch with ``ZeroDivisionError`` or a shape error,
or not at all; here they fail at once with the setting named.
"""
import math
import numbers

from .registry_hints import check_config_types


_MISSING = object()


def _get(cfg, dotted):
    node = cfg
    for part in dotted.split('.'):
        getter = getattr(node, 'get', None)
        if getter is None or getter(part, _MISSING) is _MISSING:
            return None, False
        node = getter(part)
    return node, True


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int_at_least(low, also=()):
    def check(value):
        return _is_int(value) and (value >= low or value in also)
    rule = f'an integer >= {low}' + ''.join(f' or {a}' for a in also)
    return check, rule


def _positive_finite(value):
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def _dims(value):
    return (isinstance(value, (list, tuple)) and len(value) == 2
            and all(_is_int(v) and v >= 1 for v in value))


_AT_LEAST_1 = _int_at_least(1)
_AT_LEAST_0 = _int_at_least(0)
# (setting, check, rule, why)
RULES = [
    ('train_cfg.max_iters', *_AT_LEAST_1, 'the run length'),
    ('train_cfg.max_epochs', *_AT_LEAST_1, 'the run length'),
    ('train_cfg.val_interval', *_AT_LEAST_1,
     'the step count is taken modulo it'),
    ('train_cfg.val_begin', *_AT_LEAST_0, 'compared with the step count'),
    ('model.num_classes', *_AT_LEAST_1, 'it sizes the class scores'),
    ('model.feature_dims', _dims, 'two integers >= 1 (D_rgb, D_flow)',
     'they split the input columns'),
    ('default_hooks.logger.interval', *_AT_LEAST_1,
     'the step count is taken modulo it'),
    ('default_hooks.checkpoint.interval', *_int_at_least(1, (-1, )),
     'the step count is taken modulo it (-1: never)'),
    ('default_hooks.checkpoint.max_keep_ckpts', *_int_at_least(1, (-1, )),
     'the number of checkpoints kept (-1: all)'),
]
for _split in ('train', 'val', 'test'):
    RULES += [
        (f'{_split}_dataloader.batch_size', *_AT_LEAST_1, 'it sizes batches'),
        (f'{_split}_dataloader.num_workers', *_AT_LEAST_0,
         'the number of loader processes'),
        (f'{_split}_dataloader.dataset.snippet_duration', _positive_finite,
         'a finite number > 0', 'segments are divided by it'),
    ]


def check_config_values(cfg):
    """Raise ValueError naming every setting that breaks a rule."""
    bad = []
    for key, check, rule, why in RULES:
        value, present = _get(cfg, key)
        if present and value is not None and not check(value):
            bad.append(f'{key}={value!r} must be {rule} ({why})')
    if bad:
        raise ValueError('Invalid config value(s): ' + '; '.join(bad) + '.')


def check_config(cfg):
    """Every check the tools run on a merged config before building."""
    check_config_values(cfg)
    check_config_types(cfg)
