# Table 3, row 2: DMF only; top-k MIL on the fused features.
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='none'))
