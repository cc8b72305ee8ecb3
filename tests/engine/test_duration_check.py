"""Feature length x snippet duration against the annotated duration: one
warning naming the worst videos (issue 11: a snippet duration off by 10x
took mAP from 3.87 to 0.60 without a word)."""
import json
import logging

import numpy as np

from mmtrpn.datasets import WSTALFeatureDataset
from mmtrpn.engine.hooks.model_dataset_check_hook import (
    duration_mismatches, warn_duration_mismatches)

# T snippets of 0.64 s against a 6.4 s video; margin max(25 %, 2 snippets)
# = max(1.6 s, 1.28 s) = 1.6 s.
LENGTHS = dict(v_ok=10, v_10x=100, v_half=5, v_edge=12)


def _dataset(tmp_path, snippet_duration=0.64, lengths=LENGTHS):
    database = {v: dict(subset='test', duration=6.4, annotations=[])
                for v in lengths}
    (tmp_path / 'ann.json').write_text(
        json.dumps(dict(classes=['a'], database=database)))
    for modality in ('rgb', 'flow'):
        folder = tmp_path / 'features' / modality
        folder.mkdir(parents=True, exist_ok=True)
        for video, length in lengths.items():
            np.save(folder / f'{video}.npy', np.zeros((length, 2), 'f4'))
    return WSTALFeatureDataset(
        ann_file='ann.json', data_root=str(tmp_path), subset='test',
        snippet_duration=snippet_duration)


def test_mismatches_beyond_the_margin_worst_first(tmp_path):
    bad = duration_mismatches(_dataset(tmp_path))
    # v_10x: 64 s (ratio 10); v_half: 3.2 s (ratio 0.5, 3.2 s > 1.6 s);
    # v_edge: 7.68 s, 1.28 s off, inside the margin.
    assert [b[0] for b in bad] == ['v_10x', 'v_half']
    assert bad[0][1:] == (100, 64.0, 6.4)


def test_snippet_duration_off_by_10x_flags_every_video(tmp_path):
    bad = duration_mismatches(_dataset(tmp_path, snippet_duration=6.4))
    assert sorted(b[0] for b in bad) == sorted(LENGTHS)


def test_one_warning_names_the_worst_videos(tmp_path, caplog):
    logger = logging.getLogger('duration_check_test')
    with caplog.at_level(logging.WARNING, logger=logger.name):
        warn_duration_mismatches(_dataset(tmp_path), 'test', logger)
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert message.startswith('2 of 4 videos of the test dataset')
    assert 'v_10x: T=100 x 0.64 s = 64.0 s vs duration 6.4 s' in message
    assert 'v_half' in message and 'v_edge' not in message
    assert 'snippet_duration' in message


def test_matching_lengths_say_nothing(tmp_path, caplog):
    dataset = _dataset(tmp_path, lengths=dict(v_ok=10, v_edge=12))
    logger = logging.getLogger('duration_check_test')
    with caplog.at_level(logging.WARNING, logger=logger.name):
        warn_duration_mismatches(dataset, 'test', logger)
    assert not caplog.records
