# Table 3, row 10: full DTRP-Loc (DMF + T-RPN + ACoL + PLG).
_base_ = ['../trpn_thumos_paper.py']
model = dict(proposal_stage=dict(source='trpn_pl'), with_acol=True)
