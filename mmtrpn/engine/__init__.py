from .hooks import *  # noqa: F401,F403
from .optim_wrappers import CPUAutocastOptimWrapper  # noqa: F401
