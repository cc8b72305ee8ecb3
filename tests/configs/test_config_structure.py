"""How the configs are organised: no two alike, inheritable from outside
the repository, every component overridable on its own."""
import itertools
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from mmtrpn.registry import MODELS
from mmtrpn.utils import register_all_modules

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)

register_all_modules()


def _name(path):
    return path.relative_to(REPO / 'configs').as_posix()


@pytest.fixture(scope='module')
def resolved():
    return {_name(p): Config.fromfile(str(p)) for p in CONFIGS}


def test_no_two_configs_are_identical(resolved):
    # the resolved dicts as canonical text (pretty_text is the same
    # comparison, formatted by yapf, ~100x slower)
    dumps = {name: json.dumps(cfg.to_dict(), sort_keys=True, default=repr)
             for name, cfg in resolved.items()}
    same = [(a, b) for a, b in itertools.combinations(sorted(dumps), 2)
            if dumps[a] == dumps[b]]
    assert not same, f'identical configs (keep one): {same}'


def test_headline_configs_live_in_a_folder_per_method():
    top_level = sorted(p.name for p in (REPO / 'configs').glob('*.py'))
    assert top_level == []
    for method in ('dtrp_loc', 'co2net', 'asm_loc'):
        folder = REPO / 'configs' / method
        assert (folder / 'README.md').is_file()
        assert (folder / 'metafile.yml').is_file()


@pytest.mark.parametrize('base', [
    'dtrp_loc/trpn_thumos.py', 'co2net/co2net_thumos.py',
    'asm_loc/asm_loc_thumos_step0.py'
])
def test_user_config_outside_the_repo_inherits_and_builds(
        base, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    child = tmp_path / 'my_config.py'
    child.write_text(f"_base_ = ['mmtrpn::{base}']\n"
                     "model = dict(num_classes=5)\n")
    cfg = Config.fromfile(str(child))
    assert cfg.model.num_classes == 5
    assert cfg.model.feature_dims == (1024, 1024)
    model = MODELS.build(cfg.model)
    assert model.num_classes == 5


@pytest.mark.parametrize('config', [
    'ablations/t4_co2net_trpn-pl.py', 'ablations/t4_asmloc_trpn-pl.py',
    'ablations/t3_03_trpn.py'
])
def test_one_proposal_stage_setting_overrides_alone(config):
    # the T-RPN settings are written out in the configs, so one key can be
    # changed without restating the head (used to raise KeyError 'type')
    cfg = Config.fromfile(str(REPO / 'configs' / config))
    cfg.merge_from_dict({'model.proposal_stage.rpn_head.hidden': 128})
    model = MODELS.build(cfg.model)
    assert model.proposal_stage.rpn_head.conv1.out_channels == 128


def test_class_count_and_widths_reach_model_and_every_loader(resolved):
    for name, cfg in resolved.items():
        assert cfg.model.num_classes == cfg.num_classes, name
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            assert cfg[key].dataset.feature_dims == cfg.model.feature_dims, \
                (name, key)


def test_asm_loc_refinement_steps_read_the_previous_steps_segments():
    files = {}
    for step, name in enumerate(['asm_loc_thumos_step1.py',
                                 'asm_loc_thumos_step2.py',
                                 'asm_loc_thumos.py'], start=1):
        cfg = Config.fromfile(str(REPO / 'configs' / 'asm_loc' / name))
        assert cfg.model.refine_step == step
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            loads = [t for t in cfg[key].dataset.pipeline
                     if t.type == 'LoadPseudoSegments']
            assert len(loads) == 1
            files.setdefault(step, set()).add(loads[0].segment_file)
    assert files == {
        step: {f'work_dirs/asm_loc_thumos_step{step - 1}/pseudo_segments.json'}
        for step in (1, 2, 3)
    }
