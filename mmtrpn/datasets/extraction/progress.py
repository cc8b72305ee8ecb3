"""Progress inside one video: frames decoded, flow pairs, snippets embedded,
each with its rate, and the time left.

The extractor calls ``progress(stage, done, total)`` with cumulative counts
(``total`` may be None when the container does not say how many frames it
has); :class:`ProgressPrinter` turns the calls into a status line.
"""
import sys
import threading
import time
from typing import Callable, Dict, Optional, TextIO, Tuple

# stage -> what it counts
STAGE_UNITS = dict(decode='frames', flow='flow pairs', i3d='snippets')
ProgressCallback = Callable[[str, int, Optional[int]], None]


def format_seconds(seconds: float) -> str:
    """73 -> '1m13s', 3725 -> '1h02m', 9.4 -> '9s'."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f'{seconds}s'
    if seconds < 3600:
        return f'{seconds // 60}m{seconds % 60:02d}s'
    return f'{seconds // 3600}h{seconds % 3600 // 60:02d}m'


class ProgressPrinter:
    """Status lines of one video's extraction on ``stream``.

    A line per ``interval`` seconds at most (and one when a stage
    finishes), e.g.::

        clip.mp4: frames 250/250 (31.0/s) | flow pairs 48/250 (0.9/s)
        | snippets 2/16 (0.04/s) | 3m44s left

    The time left is that of the slowest stage still running:
    ``max_s (total_s - done_s) / rate_s``, rates averaged since the
    video started. Usable from several threads.

    Args:
        name (str): Shown at the start of each line.
        stream: Where to write. Defaults to ``sys.stderr``.
        interval (float): Seconds between lines. Defaults to 5.
        clock: Time source (seconds), for tests.
        fps (float, optional): Frame rate of the decoded frames; with it
            the last line says the seconds of wall time per second of
            video.
    """

    def __init__(self, name: str, stream: Optional[TextIO] = None,
                 interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic,
                 fps: Optional[float] = None) -> None:
        self.name = name
        self.fps = fps
        self.stream = stream if stream is not None else sys.stderr
        self.interval = float(interval)
        self.clock = clock
        self.start = clock()
        self.last_print = None
        self.counts: Dict[str, int] = {}
        self.totals: Dict[str, Optional[int]] = {}
        self.lines = 0
        self._lock = threading.Lock()

    def rate(self, stage: str) -> float:
        elapsed = self.clock() - self.start
        return self.counts.get(stage, 0) / elapsed if elapsed > 0 else 0.0

    def seconds_left(self) -> Tuple[Optional[float], bool]:
        """(seconds left, exact): the slowest stage's; ``exact`` is False
        when a running stage has no rate yet (then it is a lower bound),
        and the seconds None when no stage has a rate or a total."""
        left, exact = None, True
        for stage, total in self.totals.items():
            if total is None:
                return None, False
            remaining = total - self.counts.get(stage, 0)
            if remaining <= 0:
                continue
            rate = self.rate(stage)
            if rate <= 0:
                exact = False
                continue
            left = max(left or 0.0, remaining / rate)
        if left is None and exact:
            left = 0.0
        return left, exact

    def line(self) -> str:
        parts = []
        for stage, unit in STAGE_UNITS.items():
            if stage not in self.totals:
                continue
            total = self.totals[stage]
            of = f'/{total}' if total is not None else ''
            parts.append(f'{unit} {self.counts.get(stage, 0)}{of} '
                         f'({self.rate(stage):.3g}/s)')
        left, exact = self.seconds_left()
        if left is None:
            tail = 'time left unknown'
        else:
            tail = ('' if exact else 'at least ') + \
                f'{format_seconds(left)} left'
        elapsed = format_seconds(self.clock() - self.start)
        return f'{self.name}: ' + ' | '.join(parts) + \
            f' | {elapsed} elapsed, {tail}'

    def summary(self) -> str:
        """What the video cost, once every stage is done."""
        elapsed = self.clock() - self.start
        text = f'{self.name}: done, {elapsed:.1f} s'
        frames = self.counts.get('decode', 0)
        if self.fps and frames:
            video = frames / self.fps
            text += (f' for {video:.2f} s of video ('
                     f'{elapsed / video:.1f} s per second of video)')
        return text

    def __call__(self, stage: str, done: int,
                 total: Optional[int] = None) -> None:
        if stage not in STAGE_UNITS:
            raise ValueError(f'unknown stage {stage!r}; expected one of '
                             f'{list(STAGE_UNITS)}')
        with self._lock:
            self.counts[stage] = done
            self.totals[stage] = total
            now = self.clock()
            finished = total is not None and done >= total
            due = self.last_print is None or \
                now - self.last_print >= self.interval
            # Nothing to show before the first frame is decoded.
            if done > 0 and (finished or due):
                self.last_print = now
                self.lines += 1
                print(self.line(), file=self.stream, flush=True)
            if stage == 'i3d' and finished and done > 0:
                print(self.summary(), file=self.stream, flush=True)


class StageCounter:
    """Counts of one video's stages, passed on to a progress callback with
    their totals: frames (estimated from the container until decoding
    ends, then exact), flow pairs (frames - 1) and snippets
    (``ceil(frames / snippet_frames)``). Thread-safe; a no-op without a
    callback.
    """

    def __init__(self, progress: Optional[ProgressCallback],
                 estimated_frames: Optional[int], snippet_frames: int) -> None:
        self.progress = progress
        self.frames = estimated_frames
        self.snippet_frames = snippet_frames
        self.counts = dict.fromkeys(STAGE_UNITS, 0)
        self._lock = threading.Lock()
        for stage in STAGE_UNITS:
            self._report(stage)

    def totals(self) -> Dict[str, Optional[int]]:
        if self.frames is None:
            return dict.fromkeys(STAGE_UNITS)
        return dict(decode=self.frames,
                    flow=max(self.frames - 1, 0),
                    i3d=-(-self.frames // self.snippet_frames))

    def _report(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, self.counts[stage], self.totals()[stage])

    def _add(self, stage: str, num: int) -> None:
        with self._lock:
            self.counts[stage] += num
            self._report(stage)

    def decoded(self, num: int, last: bool = False) -> None:
        with self._lock:
            self.counts['decode'] += num
            if last:   # now exact; containers may miscount
                self.frames = self.counts['decode']
            self._report('decode')

    def paired(self, num: int) -> None:
        self._add('flow', num)

    def embedded(self, num: int) -> None:
        self._add('i3d', num)
