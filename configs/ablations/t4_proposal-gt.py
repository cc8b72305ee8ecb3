# Table 4, 'GT Label': oracle proposals from ground-truth segments (upper bound).
_base_ = ['../trpn_thumos.py']
model = dict(proposal_source='gt')
