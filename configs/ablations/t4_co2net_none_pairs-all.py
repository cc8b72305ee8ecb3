# CO2-Net's paired batches (3 same-class pairs + 4 random videos, the
# default) with the co-activity loss over every same-class pair of the
# batch instead of the sampler's 3: which half of the public batches matters.
_base_ = ['../co2net/co2net_thumos.py']
model = dict(loss_co_activity=dict(num_pairs=None))
