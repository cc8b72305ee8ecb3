"""benchmarks/check_config_equivalence.py on hand-written resolved
configs."""
from benchmarks.check_config_equivalence import (compare, differences,
                                                 with_defaults)
from mmtrpn.utils import register_all_modules

register_all_modules()


def _stage(**kwargs):
    return dict(type='TemporalProposalStage', source='none', **kwargs)


def test_code_defaults_written_out_are_no_difference():
    old = with_defaults(_stage())
    new = with_defaults(_stage(
        rpn_head=dict(type='TRPNHead', hidden=512, tau=0.1),
        loss_weights=dict(kl=0.8, ml=1.0, norm=0.0), empty_mask='skip'))
    assert differences(old, new) == []
    changed = with_defaults(_stage(rpn_head=dict(type='TRPNHead',
                                                 hidden=128)))
    assert differences(old, changed) == ['rpn_head.hidden: 512 -> 128']


def test_differences_name_the_path():
    old = dict(a=[dict(x=1), dict(y=(1, 2))], b=1)
    new = dict(a=[dict(x=1), dict(y=[1, 2])], c=1)
    assert differences(old, new) == [
        'a[1].y: (1, 2) -> [1, 2]', 'b: only in old', 'c: only in new']


def test_compare_follows_renamed_and_deleted_configs():
    model = dict(model=dict(type='TemporalProposalStage', source='none'))
    old = {'trpn_thumos.py': model, 'ablations/t4_dtrploc_trpn-pl.py': model,
           'gone.py': model}
    # the old default is the paper read literally: its successor is the
    # paper config (dtrp_loc/trpn_thumos.py now adds the chosen deviations)
    new = {'dtrp_loc/trpn_thumos_paper.py': model}
    report = compare(old, new)
    assert report['trpn_thumos.py'] == []
    assert report['ablations/t4_dtrploc_trpn-pl.py'] == []
    assert report['gone.py'] == ['no successor (gone.py missing)']
    new_changed = {'dtrp_loc/trpn_thumos_paper.py': dict(
        model=dict(type='TemporalProposalStage', source='gt'))}
    assert compare({'trpn_thumos.py': model}, new_changed)[
        'trpn_thumos.py'] == ["model.source: 'none' -> 'gt'"]


def test_an_option_added_later_at_its_old_behaviour_is_no_difference():
    old = dict(model=dict(proposal_stage=dict(source='trpn_pl')))
    same = dict(model=dict(proposal_stage=dict(source='trpn_pl',
                                               classifier_grad='full')))
    other = dict(model=dict(proposal_stage=dict(source='trpn_pl',
                                                classifier_grad='none')))
    assert differences(old, same) == []
    assert differences(old, other) == [
        'model.proposal_stage.classifier_grad: only in new']
