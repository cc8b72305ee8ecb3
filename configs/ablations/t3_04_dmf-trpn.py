# Table 3, row 4: DMF + T-RPN.
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='trpn'), with_acol=False)
