# Table 3, row 1: plain top-k MIL baseline (no DMF, no T-RPN, no ACoL, no PLG).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(neck=None, proposal_stage=dict(source='none'))
