"""Bad input through the tools: each a clear error that names the culprit.

Cross-cutting cases only; single-module checks live next to their module's
tests. Subprocess runs fail before or at the first batch, so they are fast.
"""
import json
import os
import os.path as osp
import re
import shutil

import numpy as np
import pytest

import mmtrpn  # noqa: F401  (compat fixes, registry hints)

# Where reading pickled numpy files is allowed: the offline converters of
# third-party feature dumps, which users run on files they trust.
PICKLE_ALLOWED = ('tools/data/', 'mmtrpn/datasets/converters')
# The one place that may unpickle a whole checkpoint: the opt-in path.
WEIGHTS_ONLY_FALSE_ALLOWED = ('mmtrpn/utils/compat.py', )


def _python_sources(repo):
    for top in ('mmtrpn', 'tools', 'benchmarks', 'configs'):
        for folder, _, files in os.walk(osp.join(repo, top)):
            for name in files:
                if name.endswith('.py'):
                    path = osp.join(folder, name)
                    yield osp.relpath(path, repo).replace(os.sep, '/'), path


def test_training_and_evaluation_never_unpickle(tools):
    offenders = []
    for rel, path in _python_sources(tools.REPO):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        if (re.search(r'allow_pickle\s*=\s*True', text)
                and not rel.startswith(PICKLE_ALLOWED)):
            offenders.append(f'{rel}: allow_pickle=True')
        if (re.search(r'weights_only\s*=\s*False', text)
                and rel not in WEIGHTS_ONLY_FALSE_ALLOWED):
            offenders.append(f'{rel}: weights_only=False')
        if (re.search(r'\b(pickle|cPickle|dill|joblib)\.loads?\(', text)
                and not rel.startswith(PICKLE_ALLOWED)):
            offenders.append(f'{rel}: pickle.load')
    assert not offenders, offenders


def _tiny_test(tools, tiny_data, ckpt, work_dir, *extra, opts=None,
               data_root=None):
    opts = tools.tiny_opts(data_root or tiny_data) if opts is None else opts
    return tools.run(['tools/test.py', tools.CONFIG, ckpt, '--work-dir',
                      str(work_dir)] + list(extra) + ['--cfg-options'] +
                     opts)


def test_pickled_feature_file_is_refused(tools, tiny_data, tiny_checkpoint,
                                         test_videos, tmp_path):
    data = tmp_path / 'data'
    shutil.copytree(tiny_data, data)
    video = test_videos[0]
    bad = data / 'features' / 'rgb' / f'{video}.npy'
    np.save(bad, np.array([[dict(a=1)]], dtype=object), allow_pickle=True)
    proc = _tiny_test(tools, tiny_data, tiny_checkpoint, tmp_path / 'w',
                      data_root=str(data))
    assert proc.returncode != 0
    out = tools.output(proc)
    assert f'rgb features of video {video}' in out
    assert str(bad) in out and 'pickled' in out


EVIL = '''
import os, sys, torch
class Evil:
    def __reduce__(self):  # runs os.mkdir(marker) when unpickled
        return (os.mkdir, (sys.argv[3], ))
ckpt = torch.load(sys.argv[1], weights_only=False)
ckpt['meta'] = dict(note=Evil())
torch.save(ckpt, sys.argv[2])
'''


def test_untrusted_checkpoint_needs_the_flag(tools, tiny_data,
                                             tiny_checkpoint, tmp_path):
    evil_ckpt, marker = tmp_path / 'evil.pth', tmp_path / 'code_ran'
    script = tmp_path / 'make_evil.py'
    script.write_text(EVIL)
    tools.check(tools.run([str(script), tiny_checkpoint, str(evil_ckpt),
                           str(marker)]))
    refused = _tiny_test(tools, tiny_data, str(evil_ckpt), tmp_path / 'w1')
    assert refused.returncode != 0
    out = tools.output(refused)
    assert f'Refusing to unpickle {evil_ckpt}' in out
    assert '--trust-checkpoint' in out
    assert not marker.exists()  # nothing in the file was executed
    # The opt-in unpickles everything: the file's code runs, as documented.
    trusted = _tiny_test(tools, tiny_data, str(evil_ckpt), tmp_path / 'w2',
                         '--trust-checkpoint')
    tools.check(trusted)
    assert marker.exists()


def test_checkpoint_of_another_num_classes_fails_clearly(
        tools, tiny_data, tiny_checkpoint, tmp_path):
    opts = tools.tiny_opts(tiny_data) + ['model.num_classes=7']
    proc = _tiny_test(tools, tiny_data, tiny_checkpoint, tmp_path, opts=opts)
    assert proc.returncode != 0
    out = tools.output(proc)
    assert f'Checkpoint {tiny_checkpoint} does not match the model' in out
    assert re.search(r'cls_head\.\S+: checkpoint \[7', out), out[-3000:]
    assert 'num_classes' in out


def test_feature_width_other_than_config_names_the_file(
        tools, tiny_data, tiny_checkpoint, tmp_path):
    # Config pipeline expects the synthetic default 64-d; the data is 16-d.
    opts = tools.tiny_opts(tiny_data, pipeline_dims=False)
    proc = _tiny_test(tools, tiny_data, tiny_checkpoint, tmp_path, opts=opts)
    assert proc.returncode != 0
    out = tools.output(proc)
    assert re.search(
        r'rgb features of video \S+ in \S+\.npy have width 16, expected '
        r'rgb_dim=64', out), out[-3000:]


def test_unknown_component_lists_registered_names(tools, tiny_data,
                                                  tmp_path):
    # With data present: missing data files are reported first.
    proc = tools.run(['tools/train.py', tools.CONFIG, '--work-dir',
                      str(tmp_path), '--data-root', tiny_data,
                      '--cfg-options', 'model.neck.type=DMFNek'])
    assert proc.returncode != 0
    out = tools.output(proc)
    assert 'DMFNek is not in the mmtrpn::model registry' in out
    assert "Did you mean ['DMFNeck']" in out
    assert re.search(r'mmtrpn: [^;]*DTRPLoc[^;]*TRPNHead', out)


def test_unknown_dataset_type_lists_registered_names():
    from mmtrpn.registry import DATASETS
    with pytest.raises(KeyError) as info:
        DATASETS.build(dict(type='WSTALFeatureDatset', ann_file='x.json'))
    message = str(info.value)
    # closest first (WSTALFeatureBankDataset may follow)
    assert "Did you mean ['WSTALFeatureDataset'" in message
    assert 'WSTALFeatureDataset' in message.split('mmtrpn: ')[1]


def test_thumos_config_without_data_points_to_the_docs(tools, tmp_path):
    config = osp.join(tools.REPO, 'configs', 'dtrp_loc', 'trpn_thumos.py')
    proc = tools.run(['tools/train.py', config, '--work-dir',
                      str(tmp_path / 'w')], cwd=str(tmp_path))
    assert proc.returncode != 0
    out = tools.output(proc)
    assert 'data/thumos14/annotations.json' in out
    assert 'docs/data_preparation.md' in out


def _annotations(tmp_path, database, classes=('a', 'b')):
    root = tmp_path / 'root'
    root.mkdir(exist_ok=True)
    (root / 'annotations.json').write_text(
        json.dumps(dict(classes=list(classes), database=database)))
    return root


def _build_dataset(root, **kwargs):
    from mmtrpn.registry import DATASETS
    from mmtrpn.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = dict(type='WSTALFeatureDataset', ann_file='annotations.json',
               data_root=str(root), subset='test', pipeline=[])
    cfg.update(kwargs)
    return DATASETS.build(cfg)


@pytest.mark.parametrize('name', ['../../x', '/etc/passwd', 'a/../../b'])
def test_video_names_cannot_escape_data_root(tmp_path, name):
    root = _annotations(tmp_path, {
        name: dict(subset='test', duration=10.0, annotations=[])})
    with pytest.raises(ValueError, match='Unsafe video name') as info:
        _build_dataset(root)
    assert name in str(info.value)
    assert 'annotations.json' in str(info.value)


def test_empty_subset_names_the_file_and_the_subsets(tmp_path):
    root = _annotations(tmp_path, {
        'v1': dict(subset='validation', duration=10.0, annotations=[])})
    with pytest.raises(ValueError) as info:
        _build_dataset(root, subset='tset')
    message = str(info.value)
    assert "No videos of subset ['tset']" in message
    assert 'annotations.json' in message and "'validation'" in message


def test_malformed_json_names_the_file(tmp_path):
    root = tmp_path / 'root'
    root.mkdir()
    (root / 'annotations.json').write_text('{"classes": ["a"], "database": ')
    with pytest.raises(ValueError) as info:
        _build_dataset(root)
    assert str(root / 'annotations.json') in str(info.value)
