# Table 4, 'GT Label': ground-truth proposals at training and test (upper bound).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='gt'))
