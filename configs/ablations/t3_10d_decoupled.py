# Table 3 row 10 (the paper, dtrp_loc/trpn_thumos_paper.py) with the masked
# branch decoupled from the classifier: its loss teaches the T-RPN and the
# features only (docs/method.md, "What the masked branch teaches the
# classifier"; selection cell t3_10d).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(classifier_grad='none'))
