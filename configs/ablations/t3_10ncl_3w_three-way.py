# The default (dtrp_loc/trpn_thumos.py) with a three-way pseudo label
# (issue 17 item 5; selection cell t3_10ncl_3w): by rank per video, the top
# 1/8 of the smoothed classifier foreground is target 1, the bottom 1/3
# target 0, the middle has no loss. A contrast, not the classifier's level.
_base_ = ['../dtrp_loc/trpn_thumos.py']
model = dict(
    proposal_stage=dict(
        loss_pseudo_label=dict(target_rescale='three_way')))
