"""Install mmtrpn with its configs and tools, as MMAction2 does.

The configs and tools are reachable inside the package as ``mmtrpn/.mim/``
(symbolic links in the source tree), so ``mmtrpn::`` config bases resolve
from any working directory after installation.
"""
import os.path as osp

from setuptools import find_packages, setup


def read_version():
    namespace = {}
    with open(osp.join('mmtrpn', 'version.py'), encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def parse_requirements(path):
    requirements = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line and not line.startswith('-r'):
                requirements.append(line)
    return requirements


if __name__ == '__main__':
    setup(
        name='mmtrpn',
        version=read_version(),
        description='Weakly-supervised temporal action localization '
        '(DTRP-Loc) on the OpenMMLab stack',
        long_description=open('README.md', encoding='utf-8').read(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.9',
        packages=find_packages(exclude=('configs', 'tools', 'tests',
                                        'benchmarks')),
        include_package_data=True,
        package_data={'mmtrpn': ['.mim/configs/**/*', '.mim/tools/**/*']},
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'tests': parse_requirements('requirements/tests.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
        },
        zip_safe=False)
