# DTRP-Loc with one deviation from the paper, chosen on held-out training
# videos (docs/method.md): a foreground-norm term on FSS_trpn (0.8 x its
# mean), the counter-weight CO2-Net pairs with its pull towards 1 - bg.
# Without it the paper-faithful T-RPN mask grows far past the actions.
_base_ = ['./trpn_anet_paper.py']
model = dict(proposal_stage=dict(loss_weights=dict(norm=0.8)))
