"""Build the offline digits detection dataset in COCO format."""
import argparse

from rlkd_mmdet.datasets import build_digits_coco


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Write handwritten-digit canvases with COCO annotations')
    parser.add_argument(
        '--out-dir', default='data/digits_coco', help='output folder')
    parser.add_argument(
        '--num-train', type=int, default=800, help='train images')
    parser.add_argument('--num-val', type=int, default=300, help='val images')
    parser.add_argument(
        '--image-size', type=int, default=96, help='canvas side in pixels')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    args = parser.parse_args()
    try:
        paths = build_digits_coco(args.out_dir, args.num_train,
                                  args.num_val, args.image_size,
                                  seed=args.seed)
    except FileExistsError as error:
        raise SystemExit(f'invalid --out-dir: {error}') from None
    for split, path in paths.items():
        print(f'{split}: {path}')


if __name__ == '__main__':
    main()
