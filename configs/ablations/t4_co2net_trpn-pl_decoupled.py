# Table 4, CO2-Net, 'T-RPN*' with the norm term and the masked branch's
# gradient stopped at the classifier (classifier_grad='none').
_base_ = ['./t4_co2net_trpn-pl_fgnorm.py']
model = dict(proposal_stage=dict(classifier_grad='none'))
