# t3_10ncl_3w_three-way.py plus a background top-k term on the classifier's
# foreground curve, -log mean of the T // 3 highest 1 - FSS_cls, weight 0.5
# (ASM-Loc's background branch: top T // 3, weight 0.5); issue 17 item 5,
# selection cell t3_10ncl_3wb.
_base_ = ['./t3_10ncl_3w_three-way.py']
model = dict(proposal_stage=dict(loss_weights=dict(bg_topk=0.5)))
