"""The import rules inside mmtrpn/models (docs/architecture.md).

Detectors (localizers/) may import heads, necks, losses, proposals and
utils; nothing imports a detector (a detector file may import only the
base contract of its own package); heads, necks, losses, proposals,
postprocessors and backbones import no other part of models/ but utils;
utils imports nothing from models/. Package ``__init__`` files only gather
names and are not checked.
"""
import ast
import os.path as osp
from pathlib import Path

MODELS = Path(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__))))) / 'mmtrpn' / 'models'
LEAVES = ('heads', 'necks', 'losses', 'proposals', 'postprocessors',
          'backbones')


def models_imports(path: Path, root: Path):
    """The parts of ``mmtrpn.models`` (at ``root``) a file imports, as
    ``(package, module)``, e.g. ``('heads', 'trpn_head')``."""
    package = path.relative_to(root.parent.parent).with_suffix('').parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[:len(package) - node.level])
            else:
                base = []
            target = base + (node.module.split('.') if node.module else [])
            targets = [target] if node.module else [
                target + [a.name] for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name.split('.') for a in node.names]
        else:
            continue
        for t in targets:
            if t[:2] == ['mmtrpn', 'models'] and len(t) > 2:
                found.add((t[2], t[3] if len(t) > 3 else None))
    return found


def violations(root: Path = MODELS):
    bad = []
    for path in sorted(root.rglob('*.py')):
        if path.name == '__init__.py':
            continue
        part = path.relative_to(root).parts[0]
        for package, module in sorted(models_imports(path, root),
                                      key=str):
            if package == part and part != 'localizers':
                continue  # within one package
            if part == 'utils':
                ok = package == 'utils'
            elif part in LEAVES:
                ok = package == 'utils'
            elif part == 'localizers':
                ok = package in LEAVES[:4] + ('utils', ) or (
                    package == 'localizers' and module == 'base_localizer')
            else:
                ok = False
            if not ok:
                bad.append(f'{path.relative_to(root)} imports '
                           f'models.{package}' + (f'.{module}' if module
                                                  else ''))
    return bad


def test_models_import_graph_follows_the_rules():
    assert violations() == []


def test_the_checker_sees_a_violation(tmp_path):
    # the rule reads real imports: a head importing a neck or a detector
    # is caught, its import of utils is not
    fake = tmp_path / 'mmtrpn' / 'models'
    (fake / 'heads').mkdir(parents=True)
    (fake / 'heads' / 'bad.py').write_text(
        'from ..necks.co2_neck import CO2Neck\n'
        'from mmtrpn.models.localizers import DTRPLoc\n'
        'from ..utils import topk_pool\n')
    (fake / 'localizers').mkdir()
    (fake / 'localizers' / 'mine.py').write_text(
        'from .dtrp_loc import DTRPLoc\n'
        'from .base_localizer import BaseWSTALLocalizer\n'
        'from ..heads import TRPNHead\n')
    assert violations(fake) == [
        'heads/bad.py imports models.localizers',
        'heads/bad.py imports models.necks.co2_neck',
        'localizers/mine.py imports models.localizers.dtrp_loc',
    ]
