# Row 10 (the paper) with the masked branch classifying the unmasked
# features and the mask entering only its pooling
# (proposal_stage.mask_features=False; selection cell t3_10p): a snippet's
# straight-through gradient into the mask comes from its own prediction,
# not from the classifier's guess for a zeroed snippet (docs/method.md).
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(mask_features=False))
