"""ClassPairBatchSampler: CO2-Net's batches of same-class pairs."""
import itertools
import json

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmtrpn.datasets import samplers
from mmtrpn.datasets.samplers import ClassPairBatchSampler
from mmtrpn.utils.fileio import atomic_save_npy


class LabelledVideos:
    """The sampler reads ``label`` of each data info, nothing else."""

    def __init__(self, labels):
        self.labels = np.asarray(labels, np.float32)

    def __len__(self):
        return len(self.labels)

    def get_data_info(self, i):
        return dict(label=self.labels[i])


class Source:
    """What the Runner hands over: the loader's sampler."""

    def __init__(self, dataset, seed=0):
        self.dataset, self.seed = dataset, seed


# 6 videos, 4 classes: class 0 = {0, 1}, class 1 = {2, 3, 4} (video 4 also
# class 2), class 2 = {4}, class 3 = {5}; only classes 0 and 1 can pair.
LABELS = [[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0],
          [0, 1, 1, 0], [0, 0, 0, 1]]
CLASS_OF_PAIR = {frozenset({0, 1}): 0}
CLASS_OF_PAIR.update({frozenset(p): 1 for p in
                      itertools.combinations((2, 3, 4), 2)})


def make(labels=LABELS, batch_size=5, num_pairs=2, seed=0, **kw):
    return ClassPairBatchSampler(Source(LabelledVideos(labels), seed),
                                 batch_size, num_pairs=num_pairs, **kw)


def take(sampler, n):
    return list(itertools.islice(iter(sampler), n))


def test_every_batch_starts_with_same_class_pairs():
    for batch in take(make(), 200):
        assert len(batch) == 5
        for i in (0, 2):
            pair = frozenset(batch[i:i + 2])
            assert len(pair) == 2, batch  # two distinct videos
            assert pair in CLASS_OF_PAIR, batch
        assert 0 <= batch[4] < 6


def test_classes_with_one_video_are_never_paired():
    s = make()
    np.testing.assert_array_equal(s.classes, [0, 1])
    np.testing.assert_array_equal(s.class_sizes, [2, 3])
    np.testing.assert_array_equal(s.class_members, [[0, 1, -1], [2, 3, 4]])


def test_class_and_member_draws_are_uniform():
    # classes uniform over the pairable ones (not over videos): 1/2 each;
    # each of class 1's three pairs 1/3 of its draws
    batches = take(make(batch_size=4, num_pairs=2), 3000)
    pairs = [frozenset(b[i:i + 2]) for b in batches for i in (0, 2)]
    classes = np.array([CLASS_OF_PAIR[p] for p in pairs])
    assert abs(np.mean(classes == 0) - 0.5) < 0.02
    class1 = [p for p in pairs if CLASS_OF_PAIR[p] == 1]
    for p in itertools.combinations((2, 3, 4), 2):
        share = sum(q == frozenset(p) for q in class1) / len(class1)
        assert abs(share - 1 / 3) < 0.03
    # the order inside a pair is random too
    firsts = np.array([b[0] for b in batches if set(b[:2]) == {0, 1}])
    assert abs(np.mean(firsts == 0) - 0.5) < 0.04


def test_rest_is_uniform_with_replacement():
    batches = take(make(batch_size=8, num_pairs=1), 2000)
    rest = np.array([b[2:] for b in batches])
    counts = np.bincount(rest.ravel(), minlength=6) / rest.size
    np.testing.assert_allclose(counts, 1 / 6, atol=0.01)
    # 6 draws from 6 videos: a repeat in most batches (1 - 6!/6^6 = 0.985)
    repeats = np.mean([len(set(r)) < 6 for r in rest])
    assert repeats == pytest.approx(0.985, abs=0.01)


def test_batch_of_pairs_only_and_no_pairs():
    assert all(len(b) == 4 for b in take(make(batch_size=4), 10))
    plain = take(make(batch_size=3, num_pairs=0, labels=[[1], [0]]), 20)
    assert all(len(b) == 3 and set(b) <= {0, 1} for b in plain)


def test_determinism_and_seed():
    assert take(make(seed=3), 50) == take(make(seed=3), 50)
    assert take(make(seed=3), 50) != take(make(seed=4), 50)
    # the seed argument overrides the loader sampler's
    assert take(make(seed=9), 5) == take(
        ClassPairBatchSampler(Source(LabelledVideos(LABELS), seed=1), 5,
                              num_pairs=2, seed=9), 5)


def test_ranks_take_interleaved_shards(monkeypatch):
    single = take(make(), 6)
    shards = []
    for rank in (0, 1):
        monkeypatch.setattr(samplers, 'get_dist_info', lambda r=rank: (r, 2))
        shards.append(take(make(), 3))
    assert shards[0] == single[0::2]
    assert shards[1] == single[1::2]
    assert shards[0] != shards[1]


def test_resume_replay_gives_the_next_batch():
    # IterBasedTrainLoop resumes by drawing the skipped batches from a
    # fresh loader; the batch after them is the uninterrupted run's
    uninterrupted = take(make(seed=5), 8)
    it = iter(make(seed=5))
    for _ in range(7):
        next(it)
    assert next(it) == uninterrupted[7]
    assert make(seed=5).batch(7) == uninterrupted[7]


def test_refusals():
    with pytest.raises(ValueError, match='num_pairs=3'):
        make(batch_size=5, num_pairs=3)
    with pytest.raises(ValueError, match='no class .* has 2 videos'):
        make(labels=[[1, 0], [0, 1]])
    with pytest.raises(ValueError, match='holds no videos'):
        make(labels=np.zeros((0, 2)))
    with pytest.raises(TypeError, match='get_data_info'):
        ClassPairBatchSampler(Source([1, 2]), 2, num_pairs=1)


def test_len_is_one_pass():
    assert len(make(batch_size=4)) == 2  # ceil(6 / 4)


@pytest.fixture
def data_root(tmp_path):
    """Five videos of 8 snippets: 'a' = vid0, vid1; 'b' = vid2, vid3, vid4."""
    db = {}
    for v in range(5):
        name = f'vid{v}'
        for mod in ('rgb', 'flow'):
            atomic_save_npy(tmp_path / 'features' / mod / f'{name}.npy',
                            np.full((8, 2), v, np.float32))
        db[name] = dict(subset='validation', duration=8 * 0.64,
                        annotations=[dict(label='a' if v < 2 else 'b',
                                          segment=[0.0, 0.64])])
    with open(tmp_path / 'annotations.json', 'w') as f:
        json.dump(dict(classes=['a', 'b'], database=db), f)
    return str(tmp_path)


def test_runner_builds_it_from_the_loader_config(data_root):
    with DefaultScope.overwrite_default_scope('mmtrpn'):
        loader = build_loader(data_root)
    assert isinstance(loader.batch_sampler, ClassPairBatchSampler)
    assert loader.batch_sampler.seed == 7
    for data, indices in zip(loader, take(loader.batch_sampler, 4)):
        videos = [int(x[0, 0]) for x in data['inputs']]
        assert videos == indices
        pair = set(videos[:2])
        assert len(pair) == 2 and (pair <= {0, 1} or pair <= {2, 3, 4})


def build_loader(data_root):
    return Runner.build_dataloader(
        dict(batch_size=3, num_workers=0,
             sampler=dict(type='InfiniteSampler', shuffle=True),
             batch_sampler=dict(type='ClassPairBatchSampler', num_pairs=1),
             dataset=dict(type='WSTALFeatureDataset',
                          ann_file='annotations.json', data_root=data_root,
                          pipeline=[dict(type='LoadSnippetFeatures'),
                                    dict(type='PackWSTALInputs')])),
        seed=7)
