"""Error diagnosis of temporal detections, after DETAD (Alwassel et al.,
"Diagnosing Error in Temporal Action Detectors", ECCV 2018).

At one tIoU threshold ``a`` (and a floor ``a_min``, 0.1) every scored
prediction gets one outcome. A prediction that the mAP matching
(:func:`match_detections`) made a true positive is one; for a false
positive the ground truth of its video, of any class, with the highest
tIoU ``t`` decides (none with ``t >= a_min``: background):

====================  ==================  ===========================
                      same class          another class
====================  ==================  ===========================
``t >= a``            double detection    wrong label
``a_min <= t < a``    localization        wrong label + localization
====================  ==================  ===========================

(``t >= a`` on the same class means that ground truth was already taken
by a better-ranked prediction.) Then:

* **false-positive profile**: the outcomes of each class's top ``G``,
  next ``G``, ... predictions (``G`` = the class's ground-truth count),
  pooled over classes, for the bins ``1G`` ... ``KG``;
* **mAP if fixed**: mAP@a after removing every prediction of one error
  type from the ranking (DETAD's "removing error impact"), minus mAP@a;
* **false negatives and sensitivity by characteristic** of the ground
  truth: length (s), coverage (length / video duration) and instances
  (of the same class in the video), each cut into bins. Per bin: the
  share of its ground truth no prediction matched, and the normalized
  mAP (``mAP_N``) when only that bin is the ground truth (predictions
  that matched ground truth outside it are left out; precision is
  ``R N / (R N + FP)`` with ``N`` the mean ground-truth count per class,
  so bins of different sizes compare).

Classes without ground truth are left out as in the mAP.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import numpy as np

from .functional import average_precisions, best_overlaps, match_detections

TRUE_POSITIVE = 'true positive'
ERROR_TYPES = ('double detection', 'wrong label', 'localization',
               'wrong label + localization', 'background')
OUTCOMES = (TRUE_POSITIVE, ) + ERROR_TYPES
_TP, _DOUBLE, _WRONG, _LOC, _WRONG_LOC, _BACKGROUND = range(len(OUTCOMES))

# Bin edges of each characteristic, intervals (lo, hi] (the first one
# closed), DETAD's for each dataset.
BIN_PRESETS = {
    'thumos14': dict(
        length=(0, 3, 6, 12, 18, np.inf),
        coverage=(0, 0.02, 0.04, 0.06, 0.08, 1),
        instances=(0, 1, 40, 80, np.inf)),
    'activitynet': dict(
        length=(0, 30, 60, 120, 180, np.inf),
        coverage=(0, 0.2, 0.4, 0.6, 0.8, 1),
        instances=(0, 1, 4, 8, np.inf)),
}
BIN_NAMES = ('XS', 'S', 'M', 'L', 'XL')


@dataclass
class CharacteristicBins:
    """One ground-truth characteristic cut into bins."""
    name: str
    labels: List[str]
    edges: np.ndarray
    gt_count: np.ndarray  # (B,) ground-truth instances per bin
    fn_rate: np.ndarray  # (B,) unmatched share, NaN for an empty bin
    map_n: np.ndarray  # (B,) normalized mAP with this bin as ground truth


@dataclass
class Diagnosis:
    """What :func:`diagnose_detections` finds; fractions in [0, 1]."""
    classes: List[str]
    tiou: float
    min_tiou: float
    order: np.ndarray  # (N',) input index of each scored prediction, ranked
    outcome: np.ndarray  # (N',) index into OUTCOMES
    matched: np.ndarray  # (N',) ground truth taken, -1 for none
    gt_matched: np.ndarray  # (M,) bool, some prediction took it
    profile_counts: np.ndarray  # (K, 6) outcomes per bin 1G..KG
    mean_ap: float  # mAP@tiou
    mean_ap_fixed: Dict[str, float]  # error type -> mAP without it
    base_map_n: float  # normalized mAP@tiou, all ground truth
    characteristics: List[CharacteristicBins] = field(default_factory=list)

    @property
    def map_gain(self) -> Dict[str, float]:
        return {k: v - self.mean_ap for k, v in self.mean_ap_fixed.items()}

    @property
    def fn_rate(self) -> float:
        return float(1.0 - self.gt_matched.mean()) if self.gt_matched.size \
            else float('nan')

    def as_dict(self) -> dict:
        """JSON-ready summary (fractions; NaN as None)."""
        def num(v):
            return None if v is None or np.isnan(v) else float(v)
        return dict(
            tiou=self.tiou,
            min_tiou=self.min_tiou,
            mAP=num(self.mean_ap),
            mAP_if_fixed={k: num(v) for k, v in self.mean_ap_fixed.items()},
            mAP_gain=({k: num(v) for k, v in self.map_gain.items()}),
            false_positive_profile=dict(
                outcomes=list(OUTCOMES),
                bins=[f'{k + 1}G' for k in range(len(self.profile_counts))],
                counts=self.profile_counts.tolist()),
            false_negative_rate=num(self.fn_rate),
            mAP_N=num(self.base_map_n),
            characteristics={
                c.name: dict(labels=c.labels, edges=[
                    num(e) if np.isfinite(e) else 'inf' for e in c.edges],
                    gt_count=c.gt_count.tolist(),
                    false_negative_rate=[num(v) for v in c.fn_rate],
                    mAP_N=[num(v) for v in c.map_n])
                for c in self.characteristics
            })


def classify_false_positives(matched, pred_labels, best_gt, best_tiou,
                             gt_labels, tiou: float) -> np.ndarray:
    """Outcome code (index into OUTCOMES) per prediction.

    Args:
        matched (np.ndarray): (N,) ground truth taken, -1 for none.
        pred_labels (np.ndarray): (N,) class.
        best_gt, best_tiou (np.ndarray): (N,) ground truth of any class
            with the highest tIoU (>= the floor; -1 for none) and that tIoU.
        gt_labels (np.ndarray): (M,) class of each ground truth.
        tiou (float): the threshold ``a``.
    """
    same = np.zeros(matched.shape, dtype=bool)
    has = best_gt >= 0
    same[has] = gt_labels[best_gt[has]] == pred_labels[has]
    close = best_tiou >= tiou
    code = np.where(close, np.where(same, _DOUBLE, _WRONG),
                    np.where(same, _LOC, _WRONG_LOC))
    code = np.where(has, code, _BACKGROUND)
    return np.where(matched >= 0, _TP, code).astype(np.int64)


def false_positive_profile(outcome, ranked_labels, npos,
                           num_bins: int = 10) -> np.ndarray:
    """(K, 6) outcome counts of each class's predictions ranked in
    ``[k G, (k + 1) G)`` for ``k < K``, ``G = npos[class]``, summed over
    classes. ``ranked_labels`` must be sorted (class-major ranking)."""
    ranked_labels = np.asarray(ranked_labels, np.int64)
    first = np.searchsorted(ranked_labels, np.arange(npos.size))
    rank = np.arange(ranked_labels.size) - first[ranked_labels]
    group = rank // np.maximum(npos[ranked_labels], 1)
    keep = group < num_bins
    counts = np.zeros((num_bins, len(OUTCOMES)), dtype=np.int64)
    np.add.at(counts, (group[keep], outcome[keep]), 1)
    return counts


def bin_index(values, edges) -> np.ndarray:
    """Bin of each value for intervals ``(e_i, e_{i+1}]``, the first one
    closed and values beyond the last edge in the last bin."""
    edges = np.asarray(edges, np.float64)
    idx = np.searchsorted(edges, np.asarray(values, np.float64), 'left') - 1
    return np.clip(idx, 0, edges.size - 2)


def gt_characteristics(gt: dict) -> Dict[str, np.ndarray]:
    """Length (s), coverage (length / duration) and instances (same class,
    same video) of each ground truth of a ``load_ground_truth`` dict."""
    segments = gt['segments']
    length = segments[:, 1] - segments[:, 0]
    duration_of = dict(zip(gt['videos'], gt['durations']))
    duration = np.array([duration_of[v] for v in gt['video_ids']], float)
    _, video_code = np.unique(gt['video_ids'], return_inverse=True)
    key = video_code.reshape(-1) * len(gt['classes']) + gt['labels']
    _, key_code, key_count = np.unique(key, return_inverse=True,
                                       return_counts=True)
    return dict(length=length, coverage=length / duration,
                instances=key_count[key_code.reshape(-1)].astype(float))


def _map_n(tp, ranked_labels, npos, normalize_to) -> float:
    _, mean_ap = average_precisions(tp[None], ranked_labels, npos,
                                    normalize_to=normalize_to)
    return float(mean_ap[0])


def diagnose_detections(pred: dict, gt: dict, tiou: float = 0.5,
                        min_tiou: float = 0.1, profile_bins: int = 10,
                        bins: str = 'thumos14') -> Diagnosis:
    """Diagnose a results file against its ground truth.

    Args:
        pred (dict): ``video_ids``, ``segments``, ``labels``, ``scores``
            (``load_results_file``).
        gt (dict): ``load_ground_truth``'s dict (``classes``, ``videos``,
            ``durations``, ``video_ids``, ``segments``, ``labels``).
        tiou (float): the threshold ``a`` of a true positive.
        min_tiou (float): the floor ``a_min`` below which an overlap is
            background; ``0 < a_min < a``.
        profile_bins (int): ``K`` of the false-positive profile.
        bins (str): a key of :data:`BIN_PRESETS`.
    """
    if not 0 < min_tiou < tiou <= 1:
        raise ValueError(f'need 0 < min_tiou < tiou <= 1, got min_tiou='
                         f'{min_tiou}, tiou={tiou}')
    if bins not in BIN_PRESETS:
        raise ValueError(f'unknown bins {bins!r}; choose from '
                         f'{sorted(BIN_PRESETS)}')
    if gt['labels'].size == 0:
        raise ValueError('diagnose_detections: the ground truth has no '
                         'instances')
    num_classes = len(gt['classes'])
    match = match_detections(pred['video_ids'], pred['segments'],
                             pred['labels'], pred['scores'], gt['video_ids'],
                             gt['segments'], gt['labels'], num_classes,
                             [tiou])
    order, labels, npos = match['order'], match['labels'], match['npos']
    matched = match['matched'][0]
    best_gt, best_tiou = best_overlaps(
        pred['video_ids'][order], pred['segments'][order], gt['video_ids'],
        gt['segments'], min_tiou)
    outcome = classify_false_positives(matched, labels, best_gt, best_tiou,
                                       gt['labels'], tiou)
    tp = outcome == _TP
    mean_ap = _map_n(tp, labels, npos, None)
    fixed = {}
    for code, name in enumerate(OUTCOMES[1:], start=1):
        keep = outcome != code
        fixed[name] = _map_n(tp[keep], labels[keep], npos, None)
    gt_matched = np.zeros(gt['labels'].size, dtype=bool)
    gt_matched[matched[matched >= 0]] = True
    mean_count = gt['labels'].size / max(int((npos > 0).sum()), 1)
    diag = Diagnosis(
        classes=list(gt['classes']), tiou=float(tiou),
        min_tiou=float(min_tiou), order=order, outcome=outcome,
        matched=matched, gt_matched=gt_matched,
        profile_counts=false_positive_profile(outcome, labels, npos,
                                              profile_bins),
        mean_ap=mean_ap, mean_ap_fixed=fixed,
        base_map_n=_map_n(tp, labels, npos, mean_count))
    values = gt_characteristics(gt)
    for name, edges in BIN_PRESETS[bins].items():
        diag.characteristics.append(
            _characteristic(name, edges, values[name], gt, matched, tp,
                            labels, mean_count))
    return diag


def _characteristic(name, edges, values, gt, matched, tp, labels,
                    mean_count) -> CharacteristicBins:
    edges = np.asarray(edges, np.float64)
    num_bins = edges.size - 1
    gt_bin = bin_index(values, edges)
    unmatched = np.ones(gt_bin.size, dtype=bool)
    unmatched[matched[matched >= 0]] = False
    count = np.bincount(gt_bin, minlength=num_bins)
    missed = np.bincount(gt_bin, weights=unmatched, minlength=num_bins)
    with np.errstate(invalid='ignore', divide='ignore'):
        fn_rate = np.where(count > 0, missed / count, np.nan)
    map_n = np.full(num_bins, np.nan)
    for b in np.flatnonzero(count):
        in_bin = gt_bin == b
        # A prediction that took ground truth outside the bin is neither a
        # hit nor a miss of this bin's ground truth.
        keep = (matched < 0) | in_bin[np.maximum(matched, 0)]
        npos = np.bincount(gt['labels'][in_bin],
                           minlength=len(gt['classes']))
        with np.errstate(invalid='ignore'):
            map_n[b] = _map_n(tp[keep], labels[keep], npos, mean_count)
    return CharacteristicBins(
        name=name, labels=list(BIN_NAMES[:num_bins]), edges=edges,
        gt_count=count, fn_rate=fn_rate, map_n=map_n)


def format_diagnosis(diag: Diagnosis) -> str:
    """Readable tables (percent) of the profile, the gains and the
    characteristics."""
    out = [f'Error diagnosis at tIoU {diag.tiou:g} (floor '
           f'{diag.min_tiou:g}); mAP@{diag.tiou:g} = '
           f'{100 * diag.mean_ap:.2f} %']
    counts = diag.profile_counts
    head = ['top'] + [o for o in OUTCOMES] + ['n']
    rows = []
    for k, row in enumerate(counts):
        total = row.sum()
        rows.append([f'{k + 1}G'] + [_pct(v / total if total else np.nan)
                                      for v in row] + [str(total)])
    total = counts.sum(axis=0)
    rows.append([f'all {len(counts)}G'] + [
        _pct(v / total.sum() if total.sum() else np.nan) for v in total
    ] + [str(total.sum())])
    out += ['', 'False-positive profile (% of each bin of top predictions)',
            _table(head, rows)]
    rows = [[name, _pct(diag.mean_ap_fixed[name]),
             _signed(100 * gain)] for name, gain in diag.map_gain.items()]
    out += ['', f'mAP@{diag.tiou:g} if each error type were removed (%)',
            _table(['error type', 'mAP', 'gain'], rows)]
    rows = []
    for c in diag.characteristics:
        for b, lab in enumerate(c.labels):
            lo, hi = c.edges[b], c.edges[b + 1]
            rows.append([c.name, f'{lab} ({lo:g}, {hi:g}]', str(
                c.gt_count[b]), _pct(c.fn_rate[b]), _pct(c.map_n[b])])
    out += ['', f'Ground truth by characteristic (false-negative rate '
            f'{_pct(diag.fn_rate)} %, mAP_N {_pct(diag.base_map_n)} % '
            'over all)',
            _table(['characteristic', 'bin', 'gt', 'FN %', 'mAP_N %'],
                   rows)]
    return '\n'.join(out)


def _pct(v) -> str:
    return 'n/a' if v is None or np.isnan(v) else f'{100 * v:.2f}'


def _signed(v) -> str:
    return f'{v:+.2f}'


def _table(head: Sequence[str], rows: List[List[str]]) -> str:
    widths = [max(len(r[i]) for r in rows + [list(head)])
              for i in range(len(head))]
    line = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

    def fmt(r):
        return '| ' + ' | '.join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths))) + ' |'

    return '\n'.join([line, fmt(head), line] + [fmt(r) for r in rows] +
                     [line])
