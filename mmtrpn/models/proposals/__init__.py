from .proposal_stage import (PROPOSAL_SOURCES, TemporalProposalStage,
                             gt_snippet_masks)

__all__ = ['TemporalProposalStage', 'PROPOSAL_SOURCES', 'gt_snippet_masks']
