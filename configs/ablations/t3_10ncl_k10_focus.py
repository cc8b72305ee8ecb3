# As t3_10ncl_k20_focus.py with the top 10 % (selection cell t3_10ncl_k10).
_base_ = ['../dtrp_loc/trpn_thumos.py']
model = dict(proposal_stage=dict(classifier_topk_ratio=0.1))
