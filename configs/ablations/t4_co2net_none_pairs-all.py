# CO2-Net's paired batches (3 same-class pairs + 4 random videos) with our
# co-activity loss over every same-class pair of the batch: which half of
# co2net_thumos_pairs.py matters.
_base_ = ['../co2net/co2net_thumos.py']
train_dataloader = dict(
    batch_sampler=dict(type='ClassPairBatchSampler', num_pairs=3))
