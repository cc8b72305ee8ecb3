"""Tiny in-process train + test of a real config (CO2-Net, ASM-Loc)."""
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_CLASSES = 3
DIM = 8  # per modality; 16 in all, divisible by ASM-Loc's 8 heads


@pytest.fixture(autouse=True, scope='module')
def one_torch_thread():
    # tiny tensors: thread hand-offs cost more than they save on 2 cores
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope='session')
def smoke_data(tmp_path_factory):
    from mmtrpn.datasets.synthetic import SyntheticConfig, generate_synthetic
    root = tmp_path_factory.mktemp('smoke') / 'data'
    generate_synthetic(
        str(root),
        SyntheticConfig(seed=0, num_classes=NUM_CLASSES, dim=DIM,
                        num_train=6, num_test=3, min_duration=8.0,
                        max_duration=16.0))
    return str(root)


def shrink(cfg, data_root, work_dir, segment_file=None, iters=2):
    """The config with tiny data, widths and schedule; nothing else
    changes (model type, losses, pipelines' transforms, hooks)."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.batch_size = 4 if key == 'train_dataloader' else 2
        pairs = (loader.get('batch_sampler') or {}).get('num_pairs')
        if pairs:  # CO2-Net's paired batches need room for their pairs
            loader.batch_size = max(loader.batch_size, 2 * pairs)
        ds = loader.dataset
        ds.data_root = data_root
        ds.subset = 'validation' if key == 'train_dataloader' else 'test'
        ds.ambiguous_file = None
        ds.serialize_data = False  # its gc.collect costs ~0.5 s a dataset
        for t in ds.pipeline:
            if t.type == 'LoadSnippetFeatures':
                t.rgb_dim = t.flow_dim = DIM
            if t.type in ('SampleSnippets', 'DynamicSegmentSampling') and \
                    t.get('num_snippets') is not None:
                t.num_snippets = 24
            if t.type == 'LoadPseudoSegments':
                t.segment_file = segment_file
    m = cfg.model
    m.num_classes = NUM_CLASSES
    m.feature_dims = (DIM, DIM)
    if m.get('neck') is not None and m.neck.type == 'CO2Neck':
        m.neck.attention_hidden = 8
    if m.get('proposal_stage') is not None:
        m.proposal_stage.rpn_head = dict(type='TRPNHead', hidden=8)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=10**9)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=10**9,
        save_last=False)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.randomness = dict(seed=0)
    return cfg


def train_and_test(config, data_root, work_dir, segment_file=None,
                   edit=None):
    """Train a real config for two iterations and test it; test metrics.
    ``edit(cfg)`` changes the shrunk config first."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmtrpn.utils import register_all_modules
    register_all_modules()
    cfg = shrink(Config.fromfile(osp.join(REPO, 'configs', config)),
                 data_root, str(work_dir), segment_file)
    if edit is not None:
        edit(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    assert 'wstal/mAP_AVG' in metrics
    return metrics


@pytest.fixture(scope='session')
def smoke():
    return train_and_test
