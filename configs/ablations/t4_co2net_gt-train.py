# Training-only oracle for CO2-Net (not a Table 4 row): ground-truth
# proposals at training (the masked branch), none at test (CO2-Net's own
# attention is the foreground curve).
_base_ = ['../co2net/co2net_thumos.py']
model = dict(
    proposal_stage=dict(type='TemporalProposalStage', source='gt_train'))
