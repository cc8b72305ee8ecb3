"""Every config in configs/ builds its model, datasets and pipelines."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from mmtrpn.structures.annotations import read_video_list
from mmtrpn.registry import DATASETS, METRICS, MODELS
from mmtrpn.utils import register_all_modules

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)

register_all_modules()


LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _subsets(dataset_cfg):
    subset = dataset_cfg.subset
    return [subset] if isinstance(subset, str) else list(subset)


def _fake_data_root(root, cfg):
    """Annotation file for the config's subsets and video lists.

    Each subset gets three videos of its own; the names of an
    ``include_videos`` list (e.g. the committed held-out split) are added to
    its loader's subset, and a list file given relative to the data root
    (the synthetic data's ``heldout.txt``) is written with two names.
    Feature files are written by ``_write_features`` for the videos loaded.
    """
    num_classes = cfg.model.num_classes
    classes = [f'class_{i:03d}' for i in range(num_classes)]
    members = {}
    for loader_key in LOADERS:
        dataset_cfg = cfg[loader_key].dataset
        subset = _subsets(dataset_cfg)[0]
        members.setdefault(subset, set()).update(
            f'{subset}_{i}' for i in range(3))
        for key in ('include_videos', 'exclude_videos'):
            source = dataset_cfg.get(key)
            if isinstance(source, str) and not Path(source).is_absolute():
                path = root / source
                if not path.exists():
                    path.write_text(f'{subset}_listed_0\n{subset}_listed_1\n')
                source = str(path)
            if key == 'include_videos' and source is not None:
                members[subset].update(read_video_list(source))
    database = {
        name: dict(subset=subset, duration=10.0,
                   annotations=[dict(label=classes[i % len(classes)],
                                     segment=[1.0, 3.0])])
        for subset, names in members.items()
        for i, name in enumerate(sorted(names))
    }
    (root / 'annotations.json').write_text(
        json.dumps(dict(classes=classes, database=database)))
    (root / 'Ambiguous_test.txt').write_text('test_0 5.0 6.0\n')
    # a previous refinement step's output, for ASM-Loc's step configs
    segments = dict(classes=classes, snippet_duration=16 / 25, results={
        name: [dict(segment=[0.5, 2.5], label=i % num_classes, score=0.9)]
        for i, name in enumerate(sorted(database))})
    (root / 'pseudo_segments.json').write_text(json.dumps(segments))
    for loader_key in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
        for t in cfg[loader_key].dataset.pipeline:
            if t.type == 'LoadPseudoSegments':
                t.segment_file = str(root / 'pseudo_segments.json')


def _write_features(root, name, feature_dims):
    for modality, dim in zip(('rgb', 'flow'), feature_dims):
        folder = root / 'features' / modality
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / f'{name}.npy',
                np.random.rand(15, dim).astype(np.float32))


def _build_datasets(cfg, root):
    datasets = {}
    for loader_key in LOADERS:
        dataset_cfg = cfg[loader_key].dataset.copy()
        dataset_cfg.data_root = str(root)
        datasets[loader_key] = DATASETS.build(dataset_cfg)
    return datasets


def _names(dataset):
    return {dataset.get_data_info(i)['video_name']
            for i in range(len(dataset))}


def test_every_config_is_collected():
    names = {p.relative_to(REPO / 'configs').as_posix() for p in CONFIGS}
    assert {'dtrp_loc/trpn_thumos.py', 'dtrp_loc/trpn_anet.py',
            'dtrp_loc/trpn_synthetic.py', 'co2net/co2net_thumos.py',
            'co2net/co2net_anet.py', 'asm_loc/asm_loc_thumos.py',
            'asm_loc/asm_loc_anet.py'} <= names
    # Table 3 rows 1-9 (row 10 is dtrp_loc/trpn_thumos_paper.py itself);
    # _fgnorm and the t3_10* options (biased sampler, classifier_grad, PLG
    # loops) are measured variants
    assert len([n for n in names if n.startswith('ablations/t3_0') and not
                n.endswith('_fgnorm.py')]) == 9
    # Table 4: the cells that differ from a detector's own config
    assert {f'ablations/t4_{m}_{s}.py' for m in ('dtrploc', 'co2net',
                                                 'asmloc')
            for s in ('gt', )} <= names


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.stem)
def test_config_builds(config, tmp_path):
    cfg = Config.fromfile(str(config))
    _fake_data_root(tmp_path, cfg)
    model = MODELS.build(cfg.model)
    model.eval()
    for loader_key, dataset in _build_datasets(cfg, tmp_path).items():
        assert len(dataset) > 0
        assert len(dataset.metainfo['classes']) == cfg.model.num_classes
        info = dataset.get_data_info(0)
        _write_features(tmp_path, info['video_name'], cfg.model.feature_dims)
        sample = Compose(cfg[loader_key].dataset.pipeline)(info)
        assert sample['inputs'].shape[1] == sum(cfg.model.feature_dims)
    with torch.no_grad():
        outputs = model([sample['inputs']], [sample['data_samples']],
                        mode='predict')
    assert len(outputs) == 1
    METRICS.build(cfg.test_evaluator)


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.stem)
def test_config_protocol(config, tmp_path):
    """Validation on held-out training videos, the test split apart;
    ``*_select-on-test`` configs validate on the test split instead."""
    cfg = Config.fromfile(str(config))
    _fake_data_root(tmp_path, cfg)
    datasets = _build_datasets(cfg, tmp_path)
    train, val, test = (_names(datasets[k]) for k in LOADERS)
    train_subsets = _subsets(cfg.train_dataloader.dataset)
    test_subsets = _subsets(cfg.test_dataloader.dataset)
    assert not set(train_subsets) & set(test_subsets)
    assert not train & test
    if config.stem.endswith('_select-on-test'):
        assert val == test
        return
    assert _subsets(cfg.val_dataloader.dataset) == train_subsets
    assert val and not val & train and not val & test
    # Nothing of the training subset is lost: train + held-out = all of it.
    everything = _names(DATASETS.build(dict(
        cfg.train_dataloader.dataset, data_root=str(tmp_path),
        exclude_videos=[])))
    assert train | val == everything


def _small_training_config(config, root):
    """``config`` with 16 + 16 wide features (ASM-Loc's 8 heads divide 32)
    and 24-snippet training clips, its fake data written under ``root``;
    which modules exist and which losses run stay the config's."""
    cfg = Config.fromfile(str(config))
    cfg.model.feature_dims = (16, 16)
    dataset_cfg = cfg.train_dataloader.dataset
    if 'feature_dims' in dataset_cfg:
        dataset_cfg.feature_dims = (16, 16)
    for t in dataset_cfg.pipeline:
        if t.get('num_snippets') is not None:
            t.num_snippets = 24
    _fake_data_root(root, cfg)
    return cfg


def _previous_step_outputs(root):
    """Two pseudo-segment files for ASM-Loc's refinement steps: a segment
    of each video's own class, and no segment at all (a batch whose
    previous step found nothing of its classes)."""
    annotations = json.loads((root / 'annotations.json').read_text())
    base = json.loads((root / 'pseudo_segments.json').read_text())
    classes, database = annotations['classes'], annotations['database']
    own = {name: [dict(segment=[0.5, 2.5], score=0.9, label=classes.index(
        video['annotations'][0]['label']))] for name, video in
        database.items()}
    files = []
    for tag, results in (('own', own), ('none', dict.fromkeys(database, []))):
        path = root / f'pseudo_segments_{tag}.json'
        path.write_text(json.dumps(dict(base, results=results)))
        files.append(str(path))
    return files


def _batch_videos(cfg):
    """Two videos, or as many as CO2-Net's co-activity pairs need."""
    pairs = cfg.model.get('loss_co_activity', {}).get('num_pairs')
    return max(2, 2 * (pairs or 0))


def _parameters_without_grad(model, dataset, num_videos):
    """One training step's forward and backward (``train_step`` without
    the optimizer) on ``num_videos`` videos (repeated if the dataset is
    smaller); names of the parameters that require a gradient and got
    none."""
    batch = pseudo_collate(
        [dataset[i % len(dataset)] for i in range(num_videos)])
    data = model.data_preprocessor(batch, True)
    loss, _ = model.parse_losses(model(**data, mode='loss'))
    model.zero_grad(set_to_none=True)
    loss.backward()
    return {name for name, p in model.named_parameters()
            if p.requires_grad and p.grad is None}


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.stem)
def test_ddp_finds_unused_parameters_only_where_some_exist(config, tmp_path):
    """DDP with ``find_unused_parameters=False`` needs every parameter to
    get a gradient (zero counts, None does not) in every step; True costs
    a graph walk per step and a warning per process. Two steps (ASM-Loc's
    refinement steps: with and without previous segments; others: twice,
    as gates such as 'ramp' change after the first step)."""
    torch.manual_seed(0)
    cfg = _small_training_config(config, tmp_path)
    model = MODELS.build(cfg.model).train()
    dataset_cfg = cfg.train_dataloader.dataset.copy()
    dataset_cfg.data_root = str(tmp_path)
    loaders = [t for t in dataset_cfg.pipeline
               if t.type == 'LoadPseudoSegments']
    segment_files = _previous_step_outputs(tmp_path) if loaders else [
        None, None]
    unused = set()
    for segment_file in segment_files:
        for t in loaders:
            t.segment_file = segment_file
        dataset = DATASETS.build(dataset_cfg)
        for i in range(min(_batch_videos(cfg), len(dataset))):
            _write_features(tmp_path, dataset.get_data_info(i)['video_name'],
                            cfg.model.feature_dims)
        unused |= _parameters_without_grad(model, dataset,
                                           _batch_videos(cfg))
    assert cfg.model_wrapper_cfg.find_unused_parameters == bool(unused), \
        sorted(unused)


def test_heldout_lists_resolve_from_any_directory(tmp_path, monkeypatch):
    # {{fileDirname}} makes the committed lists absolute paths, also when
    # a config outside the repository inherits through `mmtrpn::`.
    monkeypatch.chdir(tmp_path)
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['mmtrpn::ablations/t3_01_base.py']\n")
    cfg = Config.fromfile(str(child))
    heldout = Path(cfg.val_dataloader.dataset.include_videos)
    assert heldout.is_absolute() and heldout.is_file()
    assert cfg.train_dataloader.dataset.exclude_videos == str(heldout)
    assert len(read_video_list(str(heldout))) == 40


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


def test_headline_dtrploc_configs_are_the_paper_plus_the_selected_deviations():
    """The headline configs carry the deviations chosen on held-out videos
    (docs/method.md); the *_paper configs and the Table 3/4 rows do not."""
    for name in ('trpn_thumos', 'trpn_anet'):
        headline = Config.fromfile(
            str(REPO / 'configs' / 'dtrp_loc' / f'{name}.py'))
        paper = Config.fromfile(
            str(REPO / 'configs' / 'dtrp_loc' / f'{name}_paper.py'))
        stage, literal = (c.model.proposal_stage for c in (headline, paper))
        assert stage.classifier_grad == 'coverage'
        assert tuple(stage.classifier_grad_coverage) == (0.45, 0.65)
        assert stage.loss_weights.norm == 0.8
        assert literal.classifier_grad == 'full'
        assert literal.loss_weights.norm == 0.0
    for row in ('ablations/t3_02_dmf.py', 'ablations/t3_06_dmf-trpn-acol.py',
                'ablations/t4_dtrploc_gt.py'):
        cfg = Config.fromfile(str(REPO / 'configs' / row))
        assert cfg.model.proposal_stage.classifier_grad == 'full'
        assert cfg.model.proposal_stage.loss_weights.norm == 0.0
