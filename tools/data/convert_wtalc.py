"""Convert W-TALC / CO2-Net / DELU features to the canonical format.

The release stores PICKLED numpy object arrays; they are read with a
restricted unpickler that allows only numpy arrays, strings and plain
containers (a file whose pickle refers to anything else, e.g. a function
that would run code, is refused). Duplicate video names, NaN/Inf features
(also float64 values too large for float32) and anything the dataset's
loader would refuse stop the conversion, naming the file and the video.
The output is read without pickles.

Example (THUMOS-14)::

    python tools/data/convert_wtalc.py \
        --features Thumos14reduced-I3D-JOINTFeatures.npy \
        --annotations Thumos14reduced-Annotations --out data/thumos14
"""
import argparse

from mmtrpn.datasets.converters import convert_wtalc, describe


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--features', help='*-I3D-JOINTFeatures.npy; omit to '
                   'write annotations.json only')
    p.add_argument('--annotations', required=True,
                   help='folder with videoname.npy, subset.npy, ...')
    p.add_argument('--out', required=True, help='dataset root to write')
    p.add_argument('--split-dim', type=int,
                   help='RGB width (default: half the width)')
    p.add_argument('--subsets', nargs='+', help='keep only these subsets')
    p.add_argument('--skip-existing', action='store_true',
                   help='resume: keep feature files already written')
    args = p.parse_args()
    info = convert_wtalc(
        args.annotations,
        args.out,
        features=args.features,
        split_dim=args.split_dim,
        subsets=args.subsets,
        skip_existing=args.skip_existing)
    print()
    for line in describe(info):
        print(line)


if __name__ == '__main__':
    main()
