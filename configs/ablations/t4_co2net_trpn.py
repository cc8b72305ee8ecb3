# Table 4, CO2-Net, 'T-RPN': proposals from a T-RPN trained end to end only.
_base_ = ['../co2net/co2net_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='trpn'),
    test_cfg=dict(fg_source='proposal'))
