# Table 3, row 10 with the biased training sampler (option, docs/method.md):
# train_mask_bias=3 proposes a snippet with probability p e^-3 / (p e^-3 +
# 1 - p), so the masks that teach the classifier are the confident cores.
_base_ = ['../dtrp_loc/trpn_thumos_paper.py']
model = dict(proposal_stage=dict(rpn_head=dict(train_mask_bias=3.0)))
