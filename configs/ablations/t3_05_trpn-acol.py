# Table 3, row 5: T-RPN + ACoL.
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(neck=None, proposal_stage=dict(source='trpn'), with_acol=True)
