# Table 4's ASM-Loc T-RPN* (t4_asmloc_trpn-pl.py) with the three-way pseudo
# label (top 1/8 of the smoothed foreground attention -> 1, bottom 1/3 -> 0,
# middle no loss): does a contrast instead of the attention's level lift
# its T-RPN's training mask (0.06 against 0.40 of action)? Issue 17 item 5.
_base_ = ['./t4_asmloc_trpn-pl.py']
model = dict(
    proposal_stage=dict(
        loss_pseudo_label=dict(target_rescale='three_way')))
