# Table 4, CO2-Net, 'T-RPN*' with the selected stage (norm term + coverage
# gate) and the masked branch pooling the classifier's output on the
# unmasked features (proposal_stage.mask_features=False): ASM-Loc's remedy
# for a mask pushed by the classifier's guess for a zeroed snippet.
_base_ = ['./t4_co2net_trpn-pl_coverage.py']
model = dict(proposal_stage=dict(mask_features=False))
