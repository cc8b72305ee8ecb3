from .compat import apply_compat_fixes
from .dist import init_cpu_process_group, shutdown_distributed
from .fileio import atomic_write_bytes, atomic_write_json, atomic_write_text
from .setup_env import register_all_modules

__all__ = [
    'apply_compat_fixes', 'atomic_write_bytes', 'atomic_write_json',
    'atomic_write_text', 'init_cpu_process_group', 'register_all_modules',
    'shutdown_distributed'
]
