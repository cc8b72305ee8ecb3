"""Write a compact annotation layout: classes, and per video its subset,
duration and labelled segments (no features, no other keys).

The benchmarks replay such a layout over generated features, so a fresh
clone reruns them from the committed files in ``benchmarks/data/``.
Times are rounded to milliseconds. The output is canonical annotations
(docs/data_preparation.md), one video per line.

Examples (the committed layouts)::

    python tools/data/make_layout.py thumos14.json \
        --out benchmarks/data/thumos14_layout.json
    python tools/data/make_layout.py ANET_WTALC_ANNOTATION_DIR \
        --out benchmarks/data/anet12_layout.json

The source is a canonical or ActivityNet-style annotation JSON, or a
W-TALC annotation folder (read with pickles, trusted public files only).
"""
import argparse
import json
import os.path as osp

from mmtrpn.datasets.converters import load_annotation_source
from mmtrpn.utils.fileio import atomic_write_text


def compact_layout(ann: dict) -> dict:
    """Only the keys the layout replay and the metric need."""
    database = {}
    for name in sorted(ann['database']):
        video = ann['database'][name]
        entry = dict(
            subset=video['subset'],
            duration=round(float(video['duration']), 3),
            annotations=[
                dict(label=a['label'],
                     segment=[round(float(x), 3) for x in a['segment']])
                for a in video['annotations']
            ])
        if 'labels' in video:
            entry['labels'] = list(video['labels'])
        database[name] = entry
    return dict(classes=list(ann['classes']), database=database)


def dump_one_video_per_line(layout: dict, header: dict) -> str:
    compact = dict(separators=(',', ':'))
    lines = [f'"{key}":{json.dumps(value, **compact)},'
             for key, value in header.items()]
    lines.append(f'"classes":{json.dumps(layout["classes"], **compact)},')
    videos = [f'{json.dumps(name)}:{json.dumps(video, **compact)}'
              for name, video in layout['database'].items()]
    return ('{' + '\n'.join(lines) + '\n"database":{\n' + ',\n'.join(videos)
            + '\n}}\n')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('source', help='annotation JSON or W-TALC folder')
    p.add_argument('--out', required=True)
    args = p.parse_args(argv)
    layout = compact_layout(load_annotation_source(args.source))
    source = osp.basename(osp.normpath(args.source))
    header = dict(info=dict(
        source=source,
        command=f'python tools/data/make_layout.py {source} --out '
        f'{args.out}'))
    text = dump_one_video_per_line(layout, header)
    assert json.loads(text)['database'] == layout['database']
    atomic_write_text(args.out, text)
    subsets = {}
    for video in layout['database'].values():
        subsets[video['subset']] = subsets.get(video['subset'], 0) + 1
    print(f'Wrote {args.out}: {len(layout["classes"])} classes, videos per '
          f'subset {subsets}, {len(text) / 1e6:.2f} MB')


if __name__ == '__main__':
    main()
