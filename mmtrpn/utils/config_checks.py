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


def _number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _in_unit(value):
    return _number(value) and 0 <= value <= 1


def _non_negative(value):
    return _number(value) and value >= 0


def _dropout(value):
    return _number(value) and 0 <= value < 1


def _positive_int(value):
    return _is_int(value) and value >= 1


# Options of the model, its heads and post-processors (and of hooks that
# build post-processors), recognised by name wherever they are nested:
# (name test, value check, rule). The first matching rule applies; a list
# or tuple is checked element by element and must not be empty.
OPTION_RULES = [
    (lambda k: 'threshold' in k or k.endswith('_iou') or k == 'iou',
     _in_unit, 'in [0, 1]'),
    (lambda k: k.endswith('ratio'), _positive_finite,
     'a finite number > 0 (k = T // ratio)'),
    (lambda k: 'dropout' in k, _dropout, 'in [0, 1)'),
    (lambda k: k in ('sigma', 'tau', 'temperature') or k.endswith('_sigma'),
     _positive_finite, 'a finite number > 0'),
    (lambda k: ('margin' in k or 'weight' in k or k.startswith('lamb')
                or k in ('alpha', 'beta', 'background')),
     _non_negative, 'a finite number >= 0'),
    (lambda k: k in ('max_per_video', 'min_length', 'num_heads',
                     'num_classes', 'reduction', 'temporal_kernel',
                     'num_snippets', 'rgb_dim', 'flow_dim')
     or k.endswith('hidden'), _positive_int, 'an integer >= 1'),
    # The optimizer: lr=0 trains nothing, a NaN lr everything to NaN.
    (lambda k: k in ('lr', 'eps', 'max_norm'), _positive_finite,
     'a finite number > 0'),
    (lambda k: k in ('betas', 'momentum'), _dropout, 'in [0, 1)'),
]


def _option_problems(node, path, parent_key=None):
    """``[(dotted path, value, rule)]`` of every broken option under
    ``node``."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            # Entries of loss_weights=dict(kl=..) follow the weight rule.
            name = parent_key if parent_key and parent_key.endswith(
                'weights') else str(key)
            out += _option_problems(value, f'{path}.{key}', name)
        return out
    if isinstance(node, (list, tuple)):
        if not node:
            return [(path, node, 'a non-empty list')]
        for i, value in enumerate(node):
            if isinstance(value, (dict, list, tuple)):
                out += _option_problems(value, f'{path}.{i}', parent_key)
            else:
                out += _leaf_problem(value, path, parent_key)
        return out
    return _leaf_problem(node, path, parent_key)


def _leaf_problem(value, path, key):
    if value is None or isinstance(value, (str, bool)):
        return []
    if _number(value) and not math.isfinite(value):
        return [(path, value, 'a finite number')]
    for matches, check, rule in OPTION_RULES:
        if key is not None and matches(key):
            return [] if check(value) else [(path, value, rule)]
    return []


def check_model_options(cfg):
    """ValueError naming every option of ``model``, the optimizer, the
    dataset pipelines and the ``custom_hooks`` (e.g. a hook's
    ``postprocessor``) that breaks its rule in :data:`OPTION_RULES`: an
    empty list (no foreground threshold gives no detection, mAP 0), a
    ratio of 0 (``T // 0``), a threshold outside [0, 1], a NaN."""
    bad = []
    for section in ('model', 'optim_wrapper.optimizer',
                    'optim_wrapper.clip_grad'):
        node, present = _get(cfg, section)
        if present and node is not None:
            bad += _option_problems(node, section)
    for split in ('train', 'val', 'test'):
        key = f'{split}_dataloader.dataset.pipeline'
        pipeline, present = _get(cfg, key)
        if present and isinstance(pipeline, (list, tuple)):
            bad += [p for i, step in enumerate(pipeline)
                    if isinstance(step, dict)
                    for p in _option_problems(step, f'{key}.{i}')]
    for i, hook in enumerate(cfg.get('custom_hooks', None) or []):
        if isinstance(hook, dict):
            name = f'custom_hooks.{i}({hook.get("type")})'
            bad += _option_problems(
                {k: v for k, v in hook.items() if k != 'type'}, name)
    if bad:
        raise ValueError('Invalid model option(s): ' + '; '.join(
            f'{path}={value!r} must be {rule}'
            for path, value, rule in bad) + '.')


def check_config(cfg):
    """Every check the tools run on a merged config before building."""
    check_config_values(cfg)
    check_model_options(cfg)
    check_config_types(cfg)


def _hook_type(hook):
    kind = hook.get('type') if isinstance(hook, dict) else type(hook)
    return getattr(kind, '__name__', kind)


def add_required_hooks(cfg, training):
    """Add to ``cfg.custom_hooks`` the check hooks it lacks, so a config
    that replaces ``custom_hooks`` (e.g. to add ``EMAHook``) keeps them:
    ``ModelDatasetCheckHook`` always; ``CheckpointShapeCheckHook`` when a
    checkpoint is loaded (strict unless a training starts from
    ``load_from``); for training ``RandomStateHook`` (exact resume),
    ``FiniteLossHook`` and, on resume, ``ResumeValidationHook`` and
    ``OwnWorkDirFilesHook``."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    present = {_hook_type(h) for h in hooks}
    resume = bool(cfg.get('resume', False))
    wanted = [dict(type='ModelDatasetCheckHook')]
    if training:
        wanted += [dict(type='RandomStateHook'), dict(type='FiniteLossHook')]
        if resume:
            wanted += [dict(type='ResumeValidationHook'),
                       dict(type='OwnWorkDirFilesHook')]
    if resume or cfg.get('load_from', None):
        wanted.append(dict(type='CheckpointShapeCheckHook',
                           strict=resume or not training))
    hooks += [h for h in wanted if h['type'] not in present]
    cfg.custom_hooks = hooks
    return cfg
