"""--data-root moves every split; missing data files fail before the Runner."""
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmtrpn.registry import DATASETS
from mmtrpn.utils import register_all_modules
from mmtrpn.utils.data_files import check_data_files, set_data_root

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
THUMOS = osp.join(REPO, 'configs', 'dtrp_loc', 'trpn_thumos.py')
SYNTHETIC = osp.join(REPO, 'configs', 'dtrp_loc', 'trpn_synthetic.py')


def _write_root(root, heldout=('v2', )):
    """Three 'validation' videos and one 'test' video, empty features."""
    database = {
        name: dict(subset=subset, duration=10.0,
                   annotations=[dict(label='A', segment=[1.0, 2.0])])
        for name, subset in (('v1', 'validation'), ('v2', 'validation'),
                             ('v3', 'validation'), ('t1', 'test'))
    }
    os.makedirs(osp.join(root, 'features', 'rgb'))
    os.makedirs(osp.join(root, 'features', 'flow'))
    with open(osp.join(root, 'annotations.json'), 'w') as f:
        json.dump(dict(classes=['A'], database=database), f)
    if heldout is not None:
        with open(osp.join(root, 'heldout.txt'), 'w') as f:
            f.write('\n'.join(heldout) + '\n')
    open(osp.join(root, 'Ambiguous_test.txt'), 'w').close()
    return str(root)


def _videos(cfg, split):
    register_all_modules(init_default_scope=False)
    dataset = cfg[f'{split}_dataloader']['dataset'].to_dict()
    dataset['pipeline'] = []
    built = DATASETS.build(dataset)
    return sorted(built.get_data_info(i)['video_name']
                  for i in range(len(built)))


def test_cfg_options_data_root_moves_nothing(tmp_path):
    # Why --data-root exists: the variable is substituted at parse time.
    cfg = Config.fromfile(THUMOS)
    cfg.merge_from_dict({'data_root': str(tmp_path)})
    assert cfg.train_dataloader.dataset.data_root == 'data/thumos14'


def test_data_root_moves_every_split_and_its_heldout_list(tmp_path):
    root = _write_root(tmp_path / 'other')
    cfg = Config.fromfile(THUMOS)
    lines = set_data_root(cfg, root)
    assert lines == [f'Data root: {root}',
                     f'Held-out list: {osp.join(root, "heldout.txt")}']
    for split in ('train', 'val', 'test'):
        assert cfg[f'{split}_dataloader'].dataset.data_root == root
    check_data_files(cfg)  # nothing missing
    # The config's THUMOS list would name videos this root does not have.
    assert _videos(cfg, 'train') == ['v1', 'v3']
    assert _videos(cfg, 'val') == ['v2']
    assert _videos(cfg, 'test') == ['t1']


def test_data_root_without_heldout_keeps_the_configs_list(tmp_path):
    root = _write_root(tmp_path / 'copy', heldout=None)
    cfg = Config.fromfile(THUMOS)
    config_list = cfg.heldout_file
    lines = set_data_root(cfg, root)
    assert 'does not exist' in lines[1]
    assert cfg.train_dataloader.dataset.exclude_videos == config_list
    assert cfg.val_dataloader.dataset.include_videos == config_list


def test_relative_heldout_list_follows_the_root(tmp_path):
    root = _write_root(tmp_path / 'syn', heldout=('v1', 'v3'))
    cfg = Config.fromfile(SYNTHETIC)
    lines = set_data_root(cfg, root)
    assert lines[1] == f'Held-out list: {osp.join(root, "heldout.txt")}'
    assert _videos(cfg, 'train') == ['v2']
    assert _videos(cfg, 'val') == ['v1', 'v3']


def test_absolute_ann_file_is_moved_too(tmp_path):
    root = _write_root(tmp_path / 'abs')
    cfg = Config.fromfile(SYNTHETIC)
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.ann_file = '/old/annotations.json'
    set_data_root(cfg, root)
    assert cfg.test_dataloader.dataset.ann_file == osp.join(
        root, 'annotations.json')


def test_missing_files_are_named_with_their_splits(tmp_path):
    cfg = Config.fromfile(SYNTHETIC)
    set_data_root(cfg, str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        check_data_files(cfg, ('train', 'val'))
    message = str(info.value)
    expected = [
        f'annotation file {tmp_path}/annotations.json (train, val)',
        f'rgb feature folder {tmp_path}/features/rgb (train, val)',
        f'flow feature folder {tmp_path}/features/flow (train, val)',
        f'video list {tmp_path}/heldout.txt (train, val)',
    ]
    for line in expected:
        assert line in message
    # The test split was not asked for: no third split named.
    assert len(message.splitlines()) == len(expected) + 2
