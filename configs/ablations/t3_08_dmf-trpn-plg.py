# Table 3, row 8: DMF + T-RPN + PLG.
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='trpn_pl'), with_acol=False)
