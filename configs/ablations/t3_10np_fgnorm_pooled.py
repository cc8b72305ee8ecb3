# trpn_thumos_fgnorm.py (the paper plus the norm term) with the masked
# branch pooling the classifier's output on the unmasked features
# (proposal_stage.mask_features=False; selection cell t3_10np).
_base_ = ['../dtrp_loc/trpn_thumos_fgnorm.py']
model = dict(proposal_stage=dict(mask_features=False))
