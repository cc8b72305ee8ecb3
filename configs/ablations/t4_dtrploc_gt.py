# Table 4, 'GT Label': ground-truth proposals at training and test (upper bound).
_base_ = ['../trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='gt'))
