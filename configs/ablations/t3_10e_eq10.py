# Row 10 (the paper) with the pseudo-label loss as printed (Eq. 10, its
# sign as written) instead of the Bernoulli reading (docs/method.md;
# cell t3_10e, one of the loops the audit named).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(loss_pseudo_label=dict(form='eq10')))
