# Row 10 (the paper) with a global gate: the masked branch's gradient into
# the classifier times 0.3 in every video (docs/method.md; cell t3_10s).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(
    proposal_stage=dict(classifier_grad='scaled', classifier_grad_scale=0.3))
