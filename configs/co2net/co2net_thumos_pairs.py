# CO2-Net with the public code's batches: each batch of 10 starts with 3
# pairs of videos sharing a class (classes uniform over those with 2+
# videos) and ends with 4 videos drawn uniformly with replacement; the
# co-activity loss compares those 3 pairs only. README: the measurement.
_base_ = ['./co2net_thumos.py']
train_dataloader = dict(
    batch_sampler=dict(type='ClassPairBatchSampler', num_pairs=3))
model = dict(loss_co_activity=dict(num_pairs=3))
