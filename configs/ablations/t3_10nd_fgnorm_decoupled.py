# Row 10 with the foreground-norm term (dtrp_loc/trpn_thumos_fgnorm.py) and
# the masked branch decoupled from the classifier (docs/method.md;
# selection cell t3_10nd).
_base_ = ['../dtrp_loc/trpn_thumos_fgnorm.py']
model = dict(proposal_stage=dict(classifier_grad='none'))
