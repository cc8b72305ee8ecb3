# The default (dtrp_loc/trpn_thumos.py) with the classifier learning from
# the masked branch only on the top 20 % of each video's FSS_trpn ranks
# inside the mask (issue 17 item 4; selection cell t3_10ncl_k20). The T-RPN
# and the features keep the whole mask's gradient.
_base_ = ['../dtrp_loc/trpn_thumos.py']
model = dict(proposal_stage=dict(classifier_topk_ratio=0.2))
