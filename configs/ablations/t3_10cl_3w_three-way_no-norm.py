# t3_10ncl_3w_three-way.py without the foreground-norm term (selection cell
# t3_10cl_3w): the norm term holds down the level the paper's pseudo label
# carries; a three-way pseudo label carries no level, so with both the mask
# fell below the action share on regime A (0.24 against 0.33).
_base_ = ['./t3_10ncl_3w_three-way.py']
model = dict(proposal_stage=dict(loss_weights=dict(norm=0.0)))
