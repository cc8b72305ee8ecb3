# Table 3, row 3: T-RPN trained end to end, no DMF, no ACoL, no PLG.
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(neck=None, proposal_stage=dict(source='trpn'), with_acol=False)
