# CO2-Net as shipped before issue 17 (the record behind
# docs/results/table4/co2net_sampler_selection_*.json): shuffled batches
# (InfiniteSampler) and the co-activity loss over every pair of videos
# that share a class, instead of the public code's paired batches.
_base_ = ['../co2net/co2net_thumos.py']
train_dataloader = dict(batch_sampler=None)
model = dict(loss_co_activity=dict(num_pairs=None))
