# Table 4, 'T-RPN*': T-RPN also trained with pseudo labels (full model).
_base_ = ['../trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='trpn_pl'))
