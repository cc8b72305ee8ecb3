# Table 4, CO2-Net, 'T-RPN*' with the foreground-norm term (the deviation
# chosen for DTRP-Loc, docs/method.md section 6), to see if it carries over.
_base_ = ['./t4_co2net_trpn-pl.py']
model = dict(proposal_stage=dict(loss_weights=dict(norm=0.8)))
