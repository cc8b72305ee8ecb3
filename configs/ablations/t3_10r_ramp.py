# Row 10 (the paper) with the masked branch's gradient into the classifier
# ramped in over training (docs/method.md; selection cell t3_10r).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(classifier_grad='ramp'))
