# Row 10 with the foreground-norm term and the coverage gate at its default
# window 0.6 to 0.8 (docs/method.md; selection cell t3_10nc). The window
# 0.45 to 0.65 chosen after it is the default, dtrp_loc/trpn_thumos.py.
_base_ = ['../dtrp_loc/trpn_thumos_fgnorm.py']
model = dict(proposal_stage=dict(classifier_grad='coverage'))
