"""Every config in configs/ builds its model, datasets and pipelines."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose

from mmtrpn.registry import DATASETS, METRICS, MODELS
from mmtrpn.utils import register_all_modules

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)

register_all_modules()


def _fake_data_root(root, cfg):
    """Annotation file and two short videos for the config's subsets."""
    num_classes = cfg.model.num_classes
    rgb_dim, flow_dim = cfg.model.feature_dims
    classes = [f'class_{i:03d}' for i in range(num_classes)]
    subsets = {cfg.train_dataloader.dataset.subset,
               cfg.test_dataloader.dataset.subset}
    database = {}
    for subset in subsets:
        for i in range(2):
            name = f'{subset}_{i}'
            database[name] = dict(
                subset=subset, duration=10.0,
                annotations=[dict(label=classes[i], segment=[1.0, 3.0])])
            for modality, dim in (('rgb', rgb_dim), ('flow', flow_dim)):
                folder = root / 'features' / modality
                folder.mkdir(parents=True, exist_ok=True)
                np.save(folder / f'{name}.npy',
                        np.random.rand(15, dim).astype(np.float32))
    (root / 'annotations.json').write_text(
        json.dumps(dict(classes=classes, database=database)))
    (root / 'Ambiguous_test.txt').write_text('test_0 5.0 6.0\n')
    # a previous refinement step's output, for ASM-Loc's step configs
    segments = dict(classes=classes, results={
        name: [dict(segment=[0.5, 2.5], label=i % num_classes, score=0.9)]
        for i, name in enumerate(sorted(database))})
    (root / 'pseudo_segments.json').write_text(json.dumps(segments))
    for loader_key in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
        for t in cfg[loader_key].dataset.pipeline:
            if t.type == 'LoadPseudoSegments':
                t.segment_file = str(root / 'pseudo_segments.json')


def test_every_config_is_collected():
    names = {p.name for p in CONFIGS}
    assert {'trpn_thumos.py', 'trpn_anet.py', 'trpn_synthetic.py'} <= names
    assert len([n for n in names if n.startswith('t3_')
                and not n.endswith('_fgnorm.py')]) == 10
    # Table 4: every (method, source) cell
    assert {f't4_{m}_{s}.py' for m in ('dtrploc', 'co2net', 'asmloc')
            for s in ('none', 'trpn', 'trpn-pl', 'gt')} <= names
    assert {'co2net_thumos.py', 'co2net_anet.py', 'asm_loc_thumos.py',
            'asm_loc_anet.py'} <= names


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.stem)
def test_config_builds(config, tmp_path):
    cfg = Config.fromfile(str(config))
    _fake_data_root(tmp_path, cfg)
    model = MODELS.build(cfg.model)
    model.eval()
    for loader_key in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
        dataset_cfg = cfg[loader_key].dataset.copy()
        dataset_cfg.data_root = str(tmp_path)
        dataset = DATASETS.build(dataset_cfg)
        assert len(dataset) == 2
        assert len(dataset.metainfo['classes']) == cfg.model.num_classes
        sample = Compose(dataset_cfg.pipeline)(dataset.get_data_info(0))
        assert sample['inputs'].shape[1] == sum(cfg.model.feature_dims)
    with torch.no_grad():
        outputs = model([sample['inputs']], [sample['data_samples']],
                        mode='predict')
    assert len(outputs) == 1
    METRICS.build(cfg.test_evaluator)


def test_model_zoo_metafiles_point_at_real_configs():
    import yaml
    index = yaml.safe_load((REPO / 'model-index.yml').read_text())
    models = []
    for metafile in index['Import']:
        models += yaml.safe_load((REPO / metafile).read_text())['Models']
    assert {m['Name'] for m in models} >= {'trpn_thumos', 'trpn_anet'}
    for model in models:
        assert (REPO / model['Config']).is_file(), model['Config']


def test_external_config_inherits_through_package_scope(tmp_path):
    child = tmp_path / 'my_ablation.py'
    child.write_text("_base_ = ['mmtrpn::ablations/t3_03_trpn.py']\n"
                     "model = dict(proposal_stage=dict(rpn_head=dict("
                     "tau=0.5)))\n")
    cfg = Config.fromfile(str(child))
    assert cfg.model.neck is None
    assert cfg.model.proposal_stage.source == 'trpn'
    assert cfg.model.proposal_stage.rpn_head.tau == 0.5
    assert cfg.train_dataloader.dataset.data_root == 'data/thumos14'
