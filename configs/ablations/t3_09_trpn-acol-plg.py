# Table 3, row 9: T-RPN + ACoL + PLG.
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(neck=None, proposal_stage=dict(source='trpn_pl'), with_acol=True)
