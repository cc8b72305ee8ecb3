# DTRP-Loc on THUMOS-14: the paper (trpn_thumos_paper.py) plus the two
# deviations selected on held-out training videos of both the THUMOS-14 and
# the ActivityNet-1.2 layouts (docs/method.md, "What the masked branch
# teaches the classifier"): the foreground-norm term on FSS_trpn, and the
# masked branch teaches the classifier only in videos whose training mask
# covers most of the video (gate 0 to 1 over coverage 0.45 to 0.65); the
# T-RPN and the features keep its full gradient.
_base_ = ['./trpn_thumos_paper.py']
model = dict(
    proposal_stage=dict(
        loss_weights=dict(norm=0.8),
        classifier_grad='coverage',
        classifier_grad_coverage=(0.45, 0.65)))
