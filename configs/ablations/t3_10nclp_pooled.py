# The default (dtrp_loc/trpn_thumos.py: norm term + coverage gate) with the
# masked branch pooling the classifier's output on the unmasked features
# (proposal_stage.mask_features=False; selection cell t3_10nclp).
_base_ = ['../dtrp_loc/trpn_thumos.py']
model = dict(proposal_stage=dict(mask_features=False))
