"""benchmarks/runs.py and benchmarks/cells.yml: the runners' cells, data
split and config adaptation, on hand-written annotation files."""
import json
import os.path as osp
from argparse import Namespace

import pytest
from mmengine.config import Config

from benchmarks.runs import (DATASETS, HELDOUT_SUBSET, ROOT, adapt_runtime,
                             carve_heldout, check_heldout_rule,
                             config_path, load_cells, resolve_layout)
from mmtrpn.datasets.splits import heldout_split


def test_every_cell_names_an_existing_config():
    for section in ('ablation', 'table4', 'table4_extra'):
        cells = load_cells(section)
        assert cells, section
        for key, config in cells.items():
            assert osp.isfile(config_path(config)), (section, key, config)
    for config in load_cells('asm_steps'):
        assert osp.isfile(config_path(config))
    with pytest.raises(KeyError, match='no section'):
        load_cells('table5')


def test_table4_has_every_method_and_source():
    cells = load_cells('table4')
    assert {f'{m}_{s}' for m in ('dtrploc', 'co2net', 'asmloc')
            for s in ('none', 'trpn', 'trpn-pl', 'gt', 'trpn-pl_fgnorm',
                      'trpn_sel', 'trpn-pl_sel')
            } | {'topk_mil'} == set(cells)
    # shared settings train the same file
    ablation = load_cells('ablation')
    assert cells['dtrploc_trpn-pl'] == ablation['t3_10']
    assert cells['dtrploc_none'] == ablation['t3_02']
    # the selected T-RPN* of DTRP-Loc is the shipped default
    assert cells['dtrploc_trpn-pl_sel'] == ablation['t3_10ncl']


def _annotations(tmp_path):
    classes = ['A', 'B', 'C']
    database = {}
    for c, count in zip(classes, (4, 3, 1)):
        for i in range(count):
            database[f'v_{c}{i}'] = dict(
                subset='validation', duration=10.0,
                annotations=[dict(label=c, segment=[1.0, 2.0])])
    database['t_0'] = dict(subset='test', duration=10.0, annotations=[
        dict(label='A', segment=[1.0, 2.0])])
    path = tmp_path / 'annotations.json'
    path.write_text(json.dumps(dict(classes=classes, database=database,
                                    info=dict(stats={}))))
    return str(path), database, classes


def test_heldout_carve_is_the_splits_module_rule(tmp_path):
    path, database, classes = _annotations(tmp_path)
    carve_heldout(path, per_class=1)
    data = json.load(open(path))
    expected = heldout_split(database, classes, 'validation', per_class=1)
    # one of A's 4 and one of B's 3; C's only video stays for training
    assert len(expected) == 2
    assert data['info']['heldout'] == expected
    assert sorted(n for n, v in data['database'].items()
                  if v['subset'] == HELDOUT_SUBSET) == expected
    check_heldout_rule(path, data['info'], 1)
    with pytest.raises(ValueError, match='delete its folder'):
        check_heldout_rule(path, data['info'], 2)
    # data carved by the former splitter (no rule recorded) is refused
    with pytest.raises(ValueError, match='annotations.json'):
        check_heldout_rule(path, dict(heldout=['v_A0']), 1)


def test_adapt_runtime_takes_classes_and_widths_from_the_data(tmp_path):
    path, _, _ = _annotations(tmp_path)
    args = Namespace(dim=8, data_root=str(tmp_path), iters=3,
                     heldout_per_class=1)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'co2net',
                                   'co2net_thumos.py'))
    adapt_runtime(cfg, args, seed=3, work_dir=str(tmp_path / 'w'))
    assert cfg.model.num_classes == 3
    assert cfg.model.feature_dims == (8, 8)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.feature_dims == (8, 8)
        assert cfg[key].dataset.data_root == str(tmp_path)
    assert cfg.val_dataloader.dataset.subset == HELDOUT_SUBSET
    assert cfg.train_dataloader.batch_size == 10  # the config's own
    assert cfg.train_cfg.max_iters == 3 and cfg.randomness.seed == 3


def test_adapt_runtime_reads_the_datasets_subsets_and_thresholds(tmp_path):
    path, _, _ = _annotations(tmp_path)
    args = Namespace(dim=8, data_root=str(tmp_path), iters=3,
                     heldout_per_class=1, dataset='anet12')
    cfg = Config.fromfile(config_path('dtrp_loc/trpn_thumos_paper.py'))
    adapt_runtime(cfg, args, seed=0, work_dir=str(tmp_path / 'w'))
    assert cfg.train_dataloader.dataset.subset == 'training'
    assert cfg.test_dataloader.dataset.subset == 'validation'
    # the held-out split is what validation scores
    assert cfg.val_dataloader.dataset.subset == HELDOUT_SUBSET
    tious = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    assert cfg.val_evaluator.tiou_thresholds == tious
    assert cfg.test_evaluator.tiou_thresholds == tious


def test_resolve_layout_per_dataset(tmp_path, monkeypatch):
    args = Namespace(layout=None, dataset='anet12')
    resolve_layout(args)
    assert args.layout == DATASETS['anet12']['layout']
    assert osp.isfile(osp.join(ROOT, args.layout))
    monkeypatch.chdir(tmp_path)
    args = Namespace(layout='mine.json', dataset='thumos14')
    resolve_layout(args)
    assert args.layout == str(tmp_path / 'mine.json')


def test_heldout_carve_of_another_training_subset(tmp_path):
    path, database, classes = _annotations(tmp_path)
    data = json.load(open(path))
    for v in data['database'].values():
        if v['subset'] == 'validation':
            v['subset'] = 'training'
    open(path, 'w').write(json.dumps(data))
    carve_heldout(path, per_class=1, train_subset='training')
    data = json.load(open(path))
    assert len(data['info']['heldout']) == 2
    check_heldout_rule(path, data['info'], 1, 'training')
    with pytest.raises(ValueError, match='delete its folder'):
        check_heldout_rule(path, data['info'], 1)


def test_method_cells_are_config_files_and_the_default_is_not_copied():
    ablation = load_cells('ablation')
    assert ablation['t3_10ncl'] == 'dtrp_loc/trpn_thumos.py'
    for key in ('t3_10d', 't3_10nd', 't3_10r', 't3_10c', 't3_10nc',
                't3_10s', 't3_10e', 't3_10m'):
        assert ablation[key].startswith('ablations/t3_10'), key
    cfg = Config.fromfile(config_path(ablation['t3_10nc']))
    assert cfg.model.proposal_stage.classifier_grad == 'coverage'
    assert cfg.model.proposal_stage.loss_weights.norm == 0.8
    extra = load_cells('table4_extra')
    assert {'co2net_trpn-pl_coverage', 'co2net_gt-train', 'asmloc_gt-train',
            'co2net_trpn-pl_decoupled'} <= set(extra)


def test_run_jobs_reuse_reads_back_finished_cells(tmp_path):
    from benchmarks.runs import run_jobs
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    done = dict(key='cell', seed=3, metrics={'mAP_AVG': 12.5})
    (out_dir / 'cell_s3.json').write_text(json.dumps(done))
    # a module that cannot run: any job actually started would fail
    results = run_jobs('benchmarks.no_such_module', [('cell', 3, None)], [],
                       str(tmp_path / 'work'), str(out_dir), 1, reuse=True)
    assert results == [done]
    assert run_jobs('benchmarks.no_such_module', [('cell', 3, None)], [],
                    str(tmp_path / 'work'), str(out_dir), 1) == []
