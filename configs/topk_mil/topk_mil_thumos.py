# The plain top-k MIL baseline on THUMOS-14 as a detector of its own
# (docs/add_detector.md): one snippet classifier, top-k MIL (k = T // 8),
# no neck, no proposals; the data and schedule of DTRP-Loc's config.
_base_ = [
    '../_base_/datasets/thumos14_i3d.py', '../_base_/schedules/adam_5k.py',
    '../_base_/default_runtime.py'
]
# Stated once: the class count and feature widths reach the model and the
# datasets from here.
num_classes = 20
feature_dims = (1024, 1024)  # (D_rgb, D_flow)
model = dict(
    type='TopkMIL',
    num_classes=num_classes,
    feature_dims=feature_dims,
    cls_head=dict(type='MaskedClassifierHead', hidden=None, dropout=0.7,
                  topk_ratio=8),
    loss_mil=dict(type='BalancedMILLoss'),
    # Table 4's switch, as for every detector: 'none' | 'trpn' | 'trpn_pl'
    # | 'gt' | 'gt_train'
    proposal_stage=dict(type='TemporalProposalStage', source='none'),
    # the post-processor's defaults are DTRP-Loc's settings (CO2-Net/DELU
    # procedure, soft-NMS)
    test_cfg=dict(
        fg_source='detector',
        topk_ratio=8,
        postprocessor=dict(type='WSTALPostProcessor')),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
train_dataloader = dict(dataset=dict(feature_dims=feature_dims))
val_dataloader = dict(dataset=dict(feature_dims=feature_dims))
test_dataloader = val_dataloader
