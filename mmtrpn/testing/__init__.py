"""Plain-loop references that the tests and benchmarks check the vectorised
code against (as ``mmaction.testing``). Slow on purpose; not used by the
package itself."""
from .reference_attention import reference_masked_attention
from .reference_map import reference_map
from .reference_postprocess import reference_postprocess

__all__ = [
    'reference_map', 'reference_postprocess', 'reference_masked_attention'
]
