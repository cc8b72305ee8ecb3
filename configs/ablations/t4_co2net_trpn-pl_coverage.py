# Table 4, CO2-Net, 'T-RPN*' with DTRP-Loc's two selected deviations
# (docs/method.md, "What the masked branch teaches the classifier"): the
# norm term and the coverage-gated classifier gradient of the masked branch.
_base_ = ['./t4_co2net_trpn-pl_fgnorm.py']
model = dict(
    proposal_stage=dict(
        classifier_grad='coverage', classifier_grad_coverage=(0.45, 0.65)))
