# Table 3, row 7: T-RPN + PLG (pseudo labels teach the T-RPN).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(neck=None, proposal_stage=dict(source='trpn_pl'), with_acol=False)
