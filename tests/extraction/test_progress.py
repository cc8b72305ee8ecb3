"""Progress inside a video: the status line's rates and time left by hand,
and the counts the extractor reports for a generated clip."""
import io

import pytest
from conftest import moving_frames, random_checkpoint, write_video

from mmtrpn.apis.extraction import FeatureExtractor
from mmtrpn.datasets.extraction import (ProgressPrinter, StageCounter,
                                        format_seconds)


class FakeClock:

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_format_seconds():
    assert format_seconds(9.4) == '9s'
    assert format_seconds(73) == '1m13s'
    assert format_seconds(3725) == '1h02m'


def test_printer_rates_and_time_left():
    clock, stream = FakeClock(), io.StringIO()
    printer = ProgressPrinter('clip.mp4', stream, interval=10, clock=clock)
    printer('decode', 0, 250)
    printer('flow', 0, 249)
    printer('i3d', 0, 16)
    assert stream.getvalue() == ''   # nothing done yet: nothing printed
    clock.now += 20
    printer('decode', 100, 250)      # 5 frames/s
    printer('flow', 10, 249)         # 0.5 pairs/s
    line = stream.getvalue().strip()
    # Only the first call of the 10 s interval printed, so the flow is
    # still at 0 in it: 150 frames at 5/s is a lower bound of the time left.
    assert line == ('clip.mp4: frames 100/250 (5/s) | flow pairs 0/249 '
                    '(0/s) | snippets 0/16 (0/s) | 20s elapsed, at least 30s '
                    'left')
    clock.now += 20                  # 40 s in
    printer('i3d', 1, 16)            # 1/40 snippet/s
    # Left: frames 150 / 2.5 = 60 s, pairs 239 / 0.25 = 956 s,
    # snippets 15 / 0.025 = 600 s -> the slowest, 956 s.
    left, exact = printer.seconds_left()
    assert left == pytest.approx(956) and exact
    last = stream.getvalue().strip().splitlines()[-1]
    assert last.endswith('40s elapsed, 15m56s left')
    assert printer.lines == 2
    printer('decode', 250, 250)      # a stage done: printed at once
    assert printer.lines == 3


def test_counter_totals_follow_decoding():
    calls = []
    counter = StageCounter(lambda *a: calls.append(a), 30, 16)
    assert calls == [('decode', 0, 30), ('flow', 0, 29), ('i3d', 0, 2)]
    counter.decoded(20)
    counter.paired(5)
    # The container over-counted: 33 frames in the end.
    counter.decoded(13, last=True)
    counter.embedded(2)
    assert calls[3:] == [('decode', 20, 30), ('flow', 5, 29),
                         ('decode', 33, 33), ('i3d', 2, 3)]
    StageCounter(None, None, 16).decoded(3)   # no callback: no-op


def test_time_left_unknown_without_totals():
    printer = ProgressPrinter('x', io.StringIO(), clock=FakeClock())
    printer('decode', 3, None)
    assert printer.seconds_left() == (None, False)
    assert printer.line().endswith('time left unknown')


def test_extractor_reports_every_stage(tmp_path):
    """36 frames at 30 fps -> 30 frames at 25 fps -> 29 flow pairs and 2
    snippets; chunks of one snippet (16 frames)."""
    clip = write_video(tmp_path / 'pan.avi', moving_frames(36), 30)
    random_checkpoint(tmp_path / 'rgb.pt', 3, seed=1)
    random_checkpoint(tmp_path / 'flow.pt', 2, seed=2)
    extractor = FeatureExtractor(str(tmp_path / 'rgb.pt'),
                                 str(tmp_path / 'flow.pt'), short_side=24,
                                 crop_size=16, chunk_snippets=1)
    calls = []
    feats = extractor.extract(clip, progress=lambda *a: calls.append(a))
    assert feats['num_frames'] == 30
    final = {stage: (done, total) for stage, done, total in calls}
    assert final == dict(decode=(30, 30), flow=(29, 29), i3d=(2, 2))
    flow_counts = [done for stage, done, _ in calls if stage == 'flow']
    assert flow_counts == list(range(30))   # one call per OpenCV pair
    stream = io.StringIO()
    extractor.extract(clip, progress=ProgressPrinter('pan.avi', stream,
                                                     fps=25))
    lines = stream.getvalue().splitlines()
    assert 'snippets 2/2' in lines[-2]
    # 30 frames at 25 fps: 1.2 s of video.
    assert lines[-1].startswith('pan.avi: done, ')
    assert 'for 1.20 s of video' in lines[-1]
