# Table 4, CO2-Net, 'GT Label': ground-truth proposals at training and test
# (upper bound).
_base_ = ['../co2net/co2net_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='gt'),
    test_cfg=dict(fg_source='proposal'))
