"""Every registry the Runner builds from has an mmtrpn child."""
import pytest
from mmengine import registry as mmengine_registry
from mmengine.registry import DefaultScope

import mmtrpn.registry  # noqa: F401 (creates the children)

# The Runner builds from these in the config's default scope (mmtrpn); a
# missing child made MMEngine warn at every start.
RUNNER_REGISTRIES = ('LOG_PROCESSORS', 'OPTIM_WRAPPER_CONSTRUCTORS',
                     'OPTIM_WRAPPERS', 'PARAM_SCHEDULERS', 'HOOKS', 'LOOPS',
                     'MODELS', 'MODEL_WRAPPERS', 'DATASETS', 'DATA_SAMPLERS',
                     'METRICS', 'EVALUATOR', 'VISUALIZERS', 'VISBACKENDS')


@pytest.mark.parametrize('name', RUNNER_REGISTRIES)
def test_mmtrpn_scope_resolves_to_a_child(name):
    root = getattr(mmengine_registry, name)
    with DefaultScope.overwrite_default_scope('mmtrpn'):
        with root.switch_scope_and_registry('mmtrpn') as found:
            assert found.scope == 'mmtrpn'
