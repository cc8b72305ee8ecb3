"""Config checks before the Runner: each names the bad setting."""
import copy
from pathlib import Path

import pytest
from mmengine.config import Config

import mmtrpn  # noqa: F401
from mmtrpn.utils.config_checks import check_config
from mmtrpn.utils.setup_env import register_all_modules

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'configs' / 'dtrp_loc' / 'trpn_synthetic.py')


@pytest.fixture(scope='module')
def cfg():
    register_all_modules(init_default_scope=False)
    return Config.fromfile(CONFIG)


def test_shipped_config_passes(cfg):
    check_config(cfg)


@pytest.mark.parametrize('key, value', [
    ('train_cfg.val_interval', 0),      # ZeroDivisionError in the loop
    ('train_cfg.val_interval', 2.5),
    ('train_cfg.max_iters', -1),
    ('train_dataloader.batch_size', 0),
    ('val_dataloader.num_workers', -2),
    ('model.num_classes', 0),
    ('model.feature_dims', (16, )),
    ('model.feature_dims', (16, 0)),
    ('default_hooks.logger.interval', 0),
    ('default_hooks.checkpoint.interval', 0),
    ('test_dataloader.dataset.snippet_duration', float('nan')),
    ('train_dataloader.dataset.snippet_duration', 0),
])
def test_bad_numeric_value_names_the_setting(cfg, key, value):
    bad = copy.deepcopy(cfg)
    bad.merge_from_dict({key: value})
    with pytest.raises(ValueError) as info:
        check_config(bad)
    assert f'{key}={value!r}' in str(info.value)


@pytest.mark.parametrize('key, value, hint', [
    ('optim_wrapper.optimizer.type', 'Adamm', "Did you mean ['Adam'"),
    ('train_dataloader.collate_fn', dict(type='pseudo_colate'),
     "Did you mean ['pseudo_collate'"),
])
def test_unknown_looked_up_type_gets_the_hint(cfg, key, value, hint):
    # MMEngine looks these up with Registry.get (None, then "None is not a
    # callable object"), not with build.
    bad = copy.deepcopy(cfg)
    bad.merge_from_dict({key: value})
    with pytest.raises(KeyError) as info:
        check_config(bad)
    assert hint in str(info.value) and key.split('.')[0] in str(info.value)


def test_unknown_scheduler_type_gets_the_hint():
    # Built by the Runner with Registry.build, in the mmtrpn scope.
    from mmengine.registry import PARAM_SCHEDULERS, DefaultScope
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmtrpn'), pytest.raises(
            KeyError, match=r"Did you mean \['MultiStepLR'"):
        PARAM_SCHEDULERS.build(dict(type='MultiStepLRR', optimizer=None,
                                    milestones=[1]))


def _shipped_configs():
    return sorted(str(p.relative_to(REPO))
                  for p in (REPO / 'configs').rglob('*.py')
                  if '_base_' not in p.parts)


@pytest.mark.parametrize('path', _shipped_configs())
def test_every_shipped_config_passes(path):
    register_all_modules(init_default_scope=False)
    check_config(Config.fromfile(str(REPO / path)))


@pytest.mark.parametrize('key, value', [
    # Issue 19 case 7: no foreground threshold, no detection, mAP 0.
    ('model.test_cfg.postprocessor.fg_thresholds', []),
    # Case 16: ZeroDivisionError deep in the model.
    ('model.test_cfg.topk_ratio', 0),
    ('model.cls_head.topk_ratio', -2),
    ('model.test_cfg.postprocessor.class_threshold', 1.5),
    ('model.test_cfg.postprocessor.nms_iou', -0.1),
    ('model.proposal_stage.rpn_head.infer_threshold', float('nan')),
    ('model.proposal_stage.rpn_head.tau', 0),
    ('model.cls_head.dropout', 1.0),
    ('model.loss_weights.mil_full', -1.0),
    ('model.test_cfg.postprocessor.max_per_video', 0),
    ('optim_wrapper.optimizer.lr', 0),
    ('optim_wrapper.optimizer.lr', float('nan')),
    ('train_dataloader.dataset.pipeline.1.num_snippets', 0),
])
def test_bad_model_option_names_the_option(cfg, key, value):
    bad = copy.deepcopy(cfg)
    bad.merge_from_dict({key: value})
    with pytest.raises(ValueError) as info:
        check_config(bad)
    assert f'{key}={value!r}' in str(info.value)


def test_hook_postprocessor_options_are_checked(cfg):
    bad = copy.deepcopy(cfg)
    bad.custom_hooks = list(bad.custom_hooks) + [dict(
        type='PseudoSegmentExportHook',
        postprocessor=dict(type='WSTALPostProcessor', fg_thresholds=()))]
    with pytest.raises(ValueError, match=r'custom_hooks\.3\('
                       r'PseudoSegmentExportHook\)\.postprocessor\.'
                       r'fg_thresholds=\(\) must be a non-empty list'):
        check_config(bad)


def _types(cfg):
    return [h['type'] for h in cfg.custom_hooks]


def test_replaced_custom_hooks_keep_the_checks(cfg):
    # Issue 19 case 6: custom_hooks = [EMAHook] dropped the model/dataset
    # check (a wrong feature_dims trained to mAP 1.29).
    from mmtrpn.utils.config_checks import add_required_hooks
    train = copy.deepcopy(cfg)
    train.custom_hooks = [dict(type='EMAHook')]
    add_required_hooks(train, training=True)
    assert _types(train) == ['EMAHook', 'ModelDatasetCheckHook',
                             'RandomStateHook', 'FiniteLossHook']
    # Case 4: resume=True in a config gets the checks of --resume; case
    # 5: load_from gets the finiteness check.
    train.resume = True
    add_required_hooks(train, training=True)
    assert _types(train)[4:] == ['ResumeValidationHook',
                                 'OwnWorkDirFilesHook',
                                 'CheckpointShapeCheckHook']
    assert train.custom_hooks[-1]['strict']
    start = copy.deepcopy(cfg)
    start.custom_hooks, start.load_from = [], 'x.pth'
    add_required_hooks(start, training=True)
    assert start.custom_hooks[-1] == dict(type='CheckpointShapeCheckHook',
                                          strict=False)
    test = copy.deepcopy(cfg)
    test.custom_hooks, test.load_from = [], 'x.pth'
    add_required_hooks(test, training=False)
    assert test.custom_hooks == [
        dict(type='ModelDatasetCheckHook'),
        dict(type='CheckpointShapeCheckHook', strict=True)]
    add_required_hooks(test, training=False)  # idempotent
    assert len(test.custom_hooks) == 2
