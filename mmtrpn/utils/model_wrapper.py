"""Data-parallel wrapper that also works on CPU-only machines."""
import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS

from mmtrpn.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class MMTRPNDistributedDataParallel(MMDistributedDataParallel):
    """MMEngine's DDP wrapper, minus ``device_ids`` when CUDA is absent.

    The Runner always passes ``device_ids=[LOCAL_RANK]``; torch's DDP rejects
    it for CPU modules (gloo). On GPU machines nothing changes.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        if not torch.cuda.is_available():
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, **kwargs)


# Runner.wrap_model looks the wrapper type up in MMEngine's root registry
# without switching scope (an unregistered name gives "issubclass() arg 1
# must be a class"); register it there as well.
if ROOT_MODEL_WRAPPERS.get('MMTRPNDistributedDataParallel') is None:
    ROOT_MODEL_WRAPPERS.register_module(module=MMTRPNDistributedDataParallel)
