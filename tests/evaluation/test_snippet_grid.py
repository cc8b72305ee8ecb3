import numpy as np



def test_snippet_grid_scores_in_whole_snippets():
    # Snippet 0.64 s. GT [0.64, 1.92] = snippets [1, 3]. The prediction
    # [0.70, 1.90] has tIoU 1.2 / 1.28 = 0.9375 < 0.95 in seconds, but
    # rounds to [1, 3] on the grid: tIoU 1 there.
    from mmtrpn.evaluation import TemporalMAPMetric
    sample = dict(
        video_name='v', snippet_duration=0.64,
        pred_segments=np.array([[0.70, 1.90]]), pred_labels=np.array([0]),
        pred_scores=np.array([0.9]), gt_segments=np.array([[0.64, 1.92]]),
        gt_labels=np.array([0]))
    scores = {}
    for grid in (False, True):
        metric = TemporalMAPMetric(tiou_thresholds=[0.95], snippet_grid=grid)
        metric.dataset_meta = dict(classes=('a', ))
        metric.process(None, [dict(sample)])
        scores[grid] = metric.compute_metrics(metric.results)['mAP@0.95']
    assert scores == {False: 0.0, True: 100.0}
