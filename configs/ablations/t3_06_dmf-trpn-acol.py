# Table 3, row 6: DMF + T-RPN + ACoL.
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='trpn'), with_acol=True)
