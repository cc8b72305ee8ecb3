"""PseudoSegmentExportHook writes the next step's segment file from any
localizer (it calls ``predict`` with its own post-processor)."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmtrpn.engine.hooks.pseudo_segment_hook import (PseudoSegmentExportHook,
                                                     one_snippet_duration)
from mmtrpn.registry import MODELS
from mmtrpn.structures.annotations import load_pseudo_segments
from mmtrpn.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIM = 8


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    root = tmp_path_factory.mktemp('hook') / 'data'
    generate_synthetic(
        str(root),
        SyntheticConfig(seed=0, num_classes=3, dim=DIM, num_train=4,
                        num_test=2, min_duration=8.0, max_duration=12.0))
    return str(root)


class _Runner:
    """What the hook reads of a Runner after training."""

    def __init__(self, cfg, model, work_dir):
        self.cfg, self.model, self.work_dir = cfg, model, work_dir
        self.logger = MMLogger.get_current_instance()


def _config(config, data_root):
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[key].dataset
        ds.data_root = data_root
        ds.subset = 'validation' if key == 'train_dataloader' else 'test'
        ds.ambiguous_file = None
        ds.exclude_videos = []
        ds.include_videos = None
        ds.feature_dims = (DIM, DIM)
    m = cfg.model
    m.num_classes, m.feature_dims = 3, (DIM, DIM)
    if m.get('neck') is not None and m.neck.type == 'CO2Neck':
        m.neck.attention_hidden = 8
    if m.get('neck') is not None and m.neck.type == 'DMFNeck':
        m.neck.temporal_hidden = 8
    m.proposal_stage = dict(type='TemporalProposalStage', source='trpn_pl',
                            rpn_head=dict(type='TRPNHead', hidden=8))
    return cfg


@pytest.mark.parametrize('config', [
    'dtrp_loc/trpn_thumos.py', 'co2net/co2net_thumos.py',
    'asm_loc/asm_loc_thumos_step0.py', 'topk_mil/topk_mil_thumos.py'
])
def test_hook_writes_segments_of_every_localizer(config, tiny_data,
                                                 tmp_path):
    torch.manual_seed(0)
    cfg = _config(config, tiny_data)
    model = MODELS.build(cfg.model).train()
    PseudoSegmentExportHook().after_train(
        _Runner(cfg, model, str(tmp_path)))
    assert model.training  # the hook gives the model back as it was
    with open(osp.join(tiny_data, 'annotations.json')) as f:
        classes = json.load(f)['classes']
    # read back with the checks of the next step: classes and duration
    data = load_pseudo_segments(str(tmp_path / 'pseudo_segments.json'),
                                classes=classes, snippet_duration=16 / 25)
    assert len(data['results']) == 4 + 2  # training and test videos
    for segments, labels, scores in data['results'].values():
        assert segments.shape[1] == 2 and len(labels) == len(scores)


def test_one_snippet_duration_names_a_mismatch():
    assert one_snippet_duration(dict(a=0.64, b=0.64)) == 0.64
    with pytest.raises(ValueError, match='one snippet duration'):
        one_snippet_duration(dict(a=0.64, b=0.5))
