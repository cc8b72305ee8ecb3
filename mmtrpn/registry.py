"""Registries of mmtrpn: children of MMAction2's, with scope ``mmtrpn``.

Components registered here are found by configs whose default scope is
``mmtrpn``; anything not found here is looked up in MMAction2 and then
MMEngine, so their transforms, hooks and optimizers stay usable.
"""
from mmaction.registry import DATA_SAMPLERS as MMACTION_DATA_SAMPLERS
from mmaction.registry import DATASETS as MMACTION_DATASETS
from mmaction.registry import EVALUATOR as MMACTION_EVALUATOR
from mmaction.registry import HOOKS as MMACTION_HOOKS
from mmaction.registry import LOG_PROCESSORS as MMACTION_LOG_PROCESSORS
from mmaction.registry import LOOPS as MMACTION_LOOPS
from mmaction.registry import METRICS as MMACTION_METRICS
from mmaction.registry import MODEL_WRAPPERS as MMACTION_MODEL_WRAPPERS
from mmaction.registry import MODELS as MMACTION_MODELS
from mmaction.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMACTION_OPTIM_WRAPPER_CONSTRUCTORS
from mmaction.registry import OPTIM_WRAPPERS as MMACTION_OPTIM_WRAPPERS
from mmaction.registry import OPTIMIZERS as MMACTION_OPTIMIZERS
from mmaction.registry import PARAM_SCHEDULERS as MMACTION_PARAM_SCHEDULERS
from mmaction.registry import TASK_UTILS as MMACTION_TASK_UTILS
from mmaction.registry import TRANSFORMS as MMACTION_TRANSFORMS
from mmaction.registry import VISBACKENDS as MMACTION_VISBACKENDS
from mmaction.registry import VISUALIZERS as MMACTION_VISUALIZERS
from mmaction.registry import \
    WEIGHT_INITIALIZERS as MMACTION_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

DATASETS = Registry(
    'dataset', parent=MMACTION_DATASETS, locations=['mmtrpn.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMACTION_DATA_SAMPLERS,
    locations=['mmtrpn.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMACTION_TRANSFORMS,
    locations=['mmtrpn.datasets.transforms'])
MODELS = Registry('model', parent=MMACTION_MODELS, locations=['mmtrpn.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMACTION_MODEL_WRAPPERS,
    locations=['mmtrpn.utils.model_wrapper'])
# Post-processors and other non-network helpers built from configs.
TASK_UTILS = Registry(
    'task util', parent=MMACTION_TASK_UTILS, locations=['mmtrpn.models'])
METRICS = Registry(
    'metric',
    parent=MMACTION_METRICS,
    locations=['mmtrpn.evaluation.metrics'])
EVALUATORS = Registry(
    'evaluator',
    parent=MMACTION_EVALUATOR,
    locations=['mmtrpn.evaluation.metrics'])
HOOKS = Registry(
    'hook',
    parent=MMACTION_HOOKS,
    locations=['mmtrpn.engine', 'mmtrpn.visualization',
               'mmtrpn.apis.report_hook'])
LOOPS = Registry('loop', parent=MMACTION_LOOPS, locations=['mmtrpn.engine'])
OPTIMIZERS = Registry('optimizer', parent=MMACTION_OPTIMIZERS)
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMACTION_OPTIM_WRAPPERS,
    locations=['mmtrpn.engine'])
# The Runner builds these two in scope mmtrpn at every start; without a
# child here MMEngine warns that the scope has no such registry.
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMACTION_OPTIM_WRAPPER_CONSTRUCTORS)
LOG_PROCESSORS = Registry('log_processor', parent=MMACTION_LOG_PROCESSORS)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMACTION_PARAM_SCHEDULERS)
VISUALIZERS = Registry(
    'visualizer', parent=MMACTION_VISUALIZERS, locations=['mmtrpn.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMACTION_VISBACKENDS)
# Weight initialisers (init_cfg) resolve from the mmtrpn scope too.
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMACTION_WEIGHT_INITIALIZERS)
