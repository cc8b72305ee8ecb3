"""Held-out validation splits (mmtrpn.datasets.splits) and the committed
lists and layouts they are made from."""
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from mmtrpn.structures.annotations import read_video_list
from mmtrpn.utils.fileio import load_json
from mmtrpn.datasets.splits import (format_name_list, heldout_split,
                                    primary_labels)

REPO = Path(__file__).resolve().parents[2]
SPLITS = REPO / 'configs' / '_base_' / 'datasets' / 'splits'
LAYOUTS = REPO / 'benchmarks' / 'data'
SHARED = REPO.parent / 'shared' / 'data'


def video(*labels, subset='validation', video_labels=None):
    entry = dict(subset=subset, duration=10.0,
                 annotations=[dict(label=c, segment=[1.0, 2.0])
                              for c in labels])
    if video_labels is not None:
        entry['labels'] = video_labels
    return entry


def test_primary_label_is_the_least_common_segment_label():
    db = {
        'a1': video('A'), 'a2': video('A'), 'a3': video('A'),
        # A is carried by 4 videos, B by 2: B is primary here.
        'ab': video('A', 'B'),
        'b1': video('B'),
        # Tie between C and D (one video each): class order decides.
        'dc': video('D', 'C'),
        # Video-level labels count only without segments.
        'lab': video(video_labels=['E']),
        'seg': video('A', video_labels=['B']),
        'none': video(),
    }
    primary = primary_labels(db, ['A', 'B', 'C', 'D', 'E'])
    assert primary == {'a1': 'A', 'a2': 'A', 'a3': 'A', 'ab': 'B',
                       'b1': 'B', 'dc': 'C', 'lab': 'E', 'seg': 'A'}
    with pytest.raises(ValueError, match="Video a1 has labels \\['A'\\]"):
        primary_labels({'a1': video('A')}, ['B'])


def make_pool():
    db = {f'a{i}': video('A') for i in range(10)}
    db.update({f'b{i}': video('B') for i in range(3)})
    db['c0'] = video('C')  # a class of one video keeps it for training
    db.update({f't{i}': video('A', subset='test') for i in range(5)})
    return db


def test_heldout_split_is_class_balanced_and_keeps_training_videos():
    db = make_pool()
    names = heldout_split(db, ['A', 'B', 'C'], 'validation', per_class=2)
    assert names == sorted(names)
    assert Counter(n[0] for n in names) == {'a': 2, 'b': 2}
    # Never a whole class: of B's 3 videos at most 2 leave training.
    names = heldout_split(db, ['A', 'B', 'C'], 'validation', per_class=5)
    assert Counter(n[0] for n in names) == {'a': 5, 'b': 2}
    # fraction: round(0.3 * 10) = 3 of A, max(1, round(0.9)) = 1 of B.
    names = heldout_split(db, ['A', 'B', 'C'], 'validation', fraction=0.3)
    assert Counter(n[0] for n in names) == {'a': 3, 'b': 1}
    assert not any(n.startswith('t') for n in names)


def test_heldout_split_is_deterministic_and_per_class_independent():
    db = make_pool()
    first = heldout_split(db, ['A', 'B', 'C'], 'validation', per_class=2)
    assert first == heldout_split(db, ['A', 'B', 'C'], 'validation',
                                  per_class=2)
    others = {heldout_split(db, ['A', 'B', 'C'], 'validation', per_class=2,
                            seed=s)[0:2] == first[0:2] for s in range(1, 6)}
    assert False in others  # the seed matters
    # More B videos change nothing about A's draw.
    db.update({f'b{i}': video('B') for i in range(3, 9)})
    again = heldout_split(db, ['A', 'B', 'C'], 'validation', per_class=2)
    assert [n for n in again if n[0] == 'a'] == \
        [n for n in first if n[0] == 'a']


@pytest.mark.parametrize('kwargs, match', [
    (dict(), 'exactly one'),
    (dict(per_class=1, fraction=0.1), 'exactly one'),
    (dict(per_class=0), 'per_class'),
    (dict(fraction=1.0), 'fraction'),
])
def test_heldout_split_rejects_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        heldout_split(make_pool(), ['A', 'B', 'C'], 'validation', **kwargs)


def test_heldout_split_names_missing_subset():
    with pytest.raises(ValueError, match="subset 'training'.*'test', "
                       "'validation'"):
        heldout_split(make_pool(), ['A', 'B', 'C'], 'training', per_class=1)


def test_name_list_round_trip(tmp_path):
    path = tmp_path / 'list.txt'
    path.write_text(format_name_list(['v1', 'v2'], ['made by a test']))
    assert path.read_text() == '# made by a test\nv1\nv2\n'
    assert read_video_list(str(path)) == ['v1', 'v2']


@pytest.mark.parametrize('layout, split, subset, size, count', [
    ('thumos14_layout.json', 'thumos14_heldout.txt', 'validation',
     ['--per-class', '2'], 40),
    ('anet12_layout.json', 'anet12_heldout.txt', 'training',
     ['--fraction', '0.1'], 483),
])
def test_committed_split_is_rebuilt_from_committed_layout(
        layout, split, subset, size, count, tmp_path):
    out = tmp_path / split
    subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'data' /
                             'make_heldout_split.py'), str(LAYOUTS / layout),
         '--subset', subset, *size, '--seed', '0', '--out', str(out)],
        check=True, capture_output=True)
    rebuilt = read_video_list(str(out))
    assert len(rebuilt) == count
    assert rebuilt == read_video_list(str(SPLITS / split))
    # Class-balanced over the committed layout.
    ann = load_json(str(LAYOUTS / layout))
    pool = {n: v for n, v in ann['database'].items()
            if v['subset'] == subset}
    per_class = Counter(primary_labels(pool, ann['classes'])[n]
                        for n in rebuilt)
    assert len(per_class) == len(ann['classes'])
    if size[0] == '--per-class':
        assert set(per_class.values()) == {2}


@pytest.mark.skipif(not SHARED.is_dir(), reason='no ../shared data')
@pytest.mark.parametrize('source, layout', [
    ('thumos14/thumos14.json', 'thumos14_layout.json'),
    ('anet12/wtalc_annotations', 'anet12_layout.json'),
])
def test_committed_layout_matches_its_source(source, layout, tmp_path):
    out = tmp_path / layout
    subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'data' / 'make_layout.py'),
         str(SHARED / source), '--out', str(out)],
        check=True, capture_output=True)
    committed = load_json(str(LAYOUTS / layout))
    rebuilt = load_json(str(out))
    assert rebuilt['classes'] == committed['classes']
    assert rebuilt['database'] == committed['database']


@pytest.mark.skipif(not SHARED.is_dir(), reason='no ../shared data')
def test_thumos_split_is_the_same_from_every_release(tmp_path):
    # Segment labels decide the primary label, so the W-TALC release (whose
    # video-level labels differ for some training videos) gives the same list.
    out = tmp_path / 'split.txt'
    subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'data' /
                             'make_heldout_split.py'),
         str(SHARED / 'thumos14' / 'wtalc_annotations'), '--per-class', '2',
         '--out', str(out)], check=True, capture_output=True)
    assert read_video_list(str(out)) == read_video_list(
        str(SPLITS / 'thumos14_heldout.txt'))


def test_make_layout_keeps_only_the_layout(tmp_path):
    # ActivityNet-style input: capitalised subset, extra keys, no classes.
    source = tmp_path / 'src.json'
    source.write_text(json.dumps(dict(database={
        'v2': dict(subset='Test', duration=12.34567, fps=30.0,
                   annotations=[dict(label='B', segment=[1.00049, 2.5],
                                     label_id=1)]),
        'v1': dict(subset='Validation', duration=8.0, annotations=[]),
    })))
    out = tmp_path / 'layout.json'
    subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'data' / 'make_layout.py'),
         str(source), '--out', str(out)], check=True, capture_output=True)
    layout = load_json(str(out))
    assert layout['classes'] == ['B']
    assert layout['database'] == {
        'v1': dict(subset='validation', duration=8.0, annotations=[]),
        'v2': dict(subset='test', duration=12.346,
                   annotations=[dict(label='B', segment=[1.0, 2.5])]),
    }
    # One video per line, sorted, so that diffs of a layout stay readable.
    lines = out.read_text().splitlines()
    assert [line.split('"')[1] for line in lines[-3:-1]] == ['v1', 'v2']
