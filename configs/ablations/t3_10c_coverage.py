# Row 10 (the paper) with the per-video coverage gate: the masked branch
# teaches the classifier only in videos whose training mask covers most of
# the video (default window 0.6 to 0.8; docs/method.md; selection cell t3_10c).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(classifier_grad='coverage'))
