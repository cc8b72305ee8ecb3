"""benchmarks/check_identity.py: which config each side of a check runs,
and its data adaptation being the Table 4 runner's."""
import json
from argparse import Namespace

import pytest
from mmengine.config import Config

from benchmarks.check_identity import (CELLS, DEMO_CONFIGS, HERE, adapt,
                                       find_config)
from benchmarks.runs import config_path
from benchmarks.table4 import adapt_cfg


def test_each_side_runs_its_first_existing_config(tmp_path):
    # a checkout from before configs/ had a folder per method
    (tmp_path / 'configs').mkdir()
    (tmp_path / 'configs' / 'trpn_synthetic.py').write_text('')
    assert find_config(str(tmp_path), DEMO_CONFIGS) == \
        'configs/trpn_synthetic.py'
    # this checkout: the paper files, not the defaults with deviations
    assert find_config(HERE, DEMO_CONFIGS) == \
        'configs/dtrp_loc/trpn_synthetic_paper.py'
    assert find_config(HERE, CELLS['dtrploc_trpn-pl']) == \
        'configs/dtrp_loc/trpn_thumos_paper.py'
    with pytest.raises(SystemExit, match='none of the configs'):
        find_config(str(tmp_path), CELLS['co2net_trpn-pl'])


def test_adapt_is_the_table4_runners_but_the_learning_rate(tmp_path):
    (tmp_path / 'annotations.json').write_text(json.dumps(
        dict(classes=['A', 'B'], database={}, info={})))
    config = config_path('ablations/t4_co2net_trpn-pl.py')
    ours = adapt(Config.fromfile(config), Namespace(dim=8, hidden=16, seed=1),
                 str(tmp_path), str(tmp_path / 'w'), iters=5,
                 segment_file=None)
    runner_args = Namespace(dim=8, hidden=16, data_root=str(tmp_path),
                            iters=5, heldout_per_class=0, lr=0.5)
    theirs = adapt_cfg(Config.fromfile(config), runner_args, 1,
                       str(tmp_path / 'w'))
    assert theirs.optim_wrapper.optimizer.lr == 0.5
    theirs.optim_wrapper.optimizer.lr = ours.optim_wrapper.optimizer.lr
    assert ours.to_dict() == theirs.to_dict()
    assert ours.model.num_classes == 2
    assert ours.model.neck.attention_hidden == 16
    assert ours.train_cfg.max_iters == 5 and ours.val_dataloader is None
