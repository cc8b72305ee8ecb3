from .asm_losses import ASMLocMILLoss, UncertaintyPseudoInstanceLoss
from .co2_losses import (AttentionGuideLoss, AttentionNormLoss,
                         CoActivitySimilarityLoss, TopkSoftmaxMILLoss)
from .mil_loss import BalancedMILLoss
from .pseudo_label_loss import (ForegroundNormLoss, MutualLearningLoss,
                                PseudoLabelLoss, bernoulli_kl,
                                gaussian_smooth, snippet_uncertainty)

__all__ = [
    'BalancedMILLoss', 'PseudoLabelLoss', 'MutualLearningLoss',
    'ForegroundNormLoss', 'bernoulli_kl', 'gaussian_smooth',
    'snippet_uncertainty', 'TopkSoftmaxMILLoss',
    'CoActivitySimilarityLoss', 'AttentionNormLoss', 'AttentionGuideLoss',
    'ASMLocMILLoss', 'UncertaintyPseudoInstanceLoss'
]
