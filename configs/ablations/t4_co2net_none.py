# Table 4, CO2-Net, 'w/o Proposal': the detector as published.
_base_ = ['../co2net/co2net_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='none'),
    test_cfg=dict(fg_source='detector'))
