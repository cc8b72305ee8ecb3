from .compat import apply_all as apply_compat_fixes
from .dist import init_cpu_process_group, shutdown_distributed
from .setup_env import register_all_modules

__all__ = [
    'apply_compat_fixes', 'init_cpu_process_group', 'register_all_modules',
    'shutdown_distributed'
]
