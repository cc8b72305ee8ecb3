# Table 4, 'w/o Proposal': DTRP-Loc without proposals (DMF, top-k MIL).
_base_ = ['../trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='none'))
