# Row 10 (the paper) with one-way mutual learning: the T-RPN's foreground
# curve still follows the classifier's (alpha 0.9) but the classifier's no
# longer follows the T-RPN's (0.0 instead of 0.1; docs/method.md; cell
# t3_10m, one of the loops the audit named).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(loss_mutual=dict(alpha=(0.9, 0.0))))
