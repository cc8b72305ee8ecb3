# Table 4, 'T-RPN': proposals from a T-RPN trained end to end only.
_base_ = ['../trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='trpn'))
