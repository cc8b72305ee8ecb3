# The default (dtrp_loc/trpn_thumos.py) with a background top-k term on the
# classifier's foreground curve: -log mean of the T // 3 highest 1 - FSS_cls
# of each video, weight 0.5 (ASM-Loc's background branch pools T // 3 at
# weight 0.5; top-k MIL asks for background on T // 8 only). Issue 17 item
# 5, selection cell t3_10ncl_bgk.
_base_ = ['../dtrp_loc/trpn_thumos.py']
model = dict(proposal_stage=dict(loss_weights=dict(bg_topk=0.5)))
