# Table 4, CO2-Net, 'T-RPN*': T-RPN also trained with pseudo labels from the
# detector's foreground attention.
_base_ = ['../co2net/co2net_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='trpn_pl'),
    test_cfg=dict(fg_source='proposal'))
