"""Build a small COCO-format detection dataset from real handwritten digits.

The digits are the UCI handwritten digits (1,797 grey 8x8 images) that
scikit-learn ships, so the dataset is built offline. Each canvas contains 0-4
digits of several sizes on a noisy background with clutter (strokes, blobs
and fragments of other digits that are not labelled). Train and val canvases
use disjoint halves of the source digits.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np

CLASSES = tuple(str(d) for d in range(10))


def _split_sources(seed: int) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    labels = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    train_idx, val_idx = [], []
    for cls in range(10):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        half = len(idx) // 2
        train_idx.extend(idx[:half])
        val_idx.extend(idx[half:])
    return dict(
        train=(images[train_idx], labels[train_idx]),
        val=(images[val_idx], labels[val_idx]))


def _overlaps(box: List[int], boxes: List[List[int]], margin: int) -> bool:
    x0, y0, x1, y1 = box
    for bx0, by0, bx1, by1 in boxes:
        if x0 < bx1 + margin and bx0 < x1 + margin and \
                y0 < by1 + margin and by0 < y1 + margin:
            return True
    return False


def _draw_clutter(canvas: np.ndarray, rng: np.random.Generator,
                  sources: np.ndarray) -> None:
    size = canvas.shape[0]
    for _ in range(rng.integers(2, 6)):
        p0 = tuple(int(v) for v in rng.integers(0, size, 2))
        p1 = tuple(int(v) for v in rng.integers(0, size, 2))
        shade = float(rng.uniform(0.15, 0.45))
        cv2.line(canvas, p0, p1, (shade, ) * 3, int(rng.integers(1, 3)))
    for _ in range(rng.integers(0, 3)):
        # Unlabelled fragment of a digit: a hard negative.
        digit = sources[rng.integers(len(sources))]
        half = digit[:4] if rng.random() < 0.5 else digit[:, :4]
        side = int(rng.integers(8, 20))
        patch = cv2.resize(half, (side, side), interpolation=cv2.INTER_LINEAR)
        x, y = (int(v) for v in rng.integers(0, size - side, 2))
        region = canvas[y:y + side, x:x + side]
        np.maximum(region, patch[..., None] * 0.5, out=region)


def _make_canvas(rng: np.random.Generator, images: np.ndarray,
                 labels: np.ndarray, size: int, empty_ratio: float,
                 max_objects: int) -> Tuple[np.ndarray, List[dict]]:
    canvas = rng.normal(0.1, 0.04, (size, size, 1)).clip(0, 1)
    canvas = np.repeat(canvas, 3, axis=2).astype(np.float32)
    _draw_clutter(canvas, rng, images)

    objects: List[dict] = []
    boxes: List[List[int]] = []
    count = 0 if rng.random() < empty_ratio else int(
        rng.integers(1, max_objects + 1))
    for _ in range(count):
        side = int(rng.integers(size // 8, size * 3 // 8 + 1))
        for _attempt in range(20):
            x, y = (int(v) for v in rng.integers(0, size - side + 1, 2))
            box = [x, y, x + side, y + side]
            if not _overlaps(box, boxes, 2):
                break
        else:
            continue
        pick = int(rng.integers(len(images)))
        digit = cv2.resize(images[pick], (side, side),
                           interpolation=cv2.INTER_LINEAR)
        color = rng.uniform(0.6, 1.0, 3).astype(np.float32)
        region = canvas[y:y + side, x:x + side]
        np.maximum(region, digit[..., None] * color, out=region)
        # The box is tight around the ink, as annotators would draw it.
        ys, xs = np.nonzero(digit > 0.2)
        if len(xs) == 0:
            continue
        bx0, by0 = x + int(xs.min()), y + int(ys.min())
        bx1, by1 = x + int(xs.max()) + 1, y + int(ys.max()) + 1
        boxes.append(box)
        objects.append(
            dict(bbox=[bx0, by0, bx1 - bx0, by1 - by0],
                 label=int(labels[pick])))
    return (canvas * 255).clip(0, 255).astype(np.uint8), objects


def check_output_folder(out_dir: str) -> None:
    """Raise if ``out_dir`` contains files this builder does not write.

    The builder overwrites its own files, so an interrupted build can be
    rerun, but it never writes into a folder with other content, such as a
    real COCO or ImageNet folder passed by mistake.
    """
    if not osp.isdir(out_dir):
        return
    others = sorted(
        set(os.listdir(out_dir)) - {'annotations', 'train', 'val'})
    own_files = dict(
        annotations=lambda name: name in ('instances_train.json',
                                          'instances_val.json'),
        train=_is_image_name,
        val=_is_image_name)
    for folder, is_own in own_files.items():
        path = osp.join(out_dir, folder)
        if not osp.isdir(path):
            continue
        others += sorted(
            osp.join(folder, name) for name in os.listdir(path)
            if not (is_own(name) and osp.isfile(osp.join(path, name))))
    if others:
        listed = ', '.join(others[:5]) + (', ...' if len(others) > 5 else '')
        raise FileExistsError(
            f'{out_dir} is not empty and not a digits dataset (it has '
            f'{listed}); pass a new or empty folder for the digits data')


def _is_image_name(name: str) -> bool:
    """Tell whether ``name`` is an image name this builder writes."""
    stem, ext = osp.splitext(name)
    return ext == '.png' and len(stem) == 6 and stem.isdigit()


def build_digits_coco(out_dir: str,
                      num_train: int = 800,
                      num_val: int = 300,
                      image_size: int = 96,
                      empty_ratio: float = 0.08,
                      max_objects: int = 4,
                      seed: int = 0) -> Dict[str, str]:
    """Write the dataset: images and COCO JSON files for train and val.

    Args:
        out_dir (str): Output folder; gets ``train/``, ``val/`` and
            ``annotations/instances_{train,val}.json``.
        num_train (int): Train images. Defaults to 800.
        num_val (int): Val images. Defaults to 300.
        image_size (int): Side of the square canvases. Defaults to 96.
        empty_ratio (float): Share of images with no digit. Defaults to
            0.08.
        max_objects (int): Max digits per image. Defaults to 4.
        seed (int): Random seed. Defaults to 0.

    Returns:
        dict[str, str]: Paths of the two annotation files.
    """
    if image_size < 32:
        raise ValueError(f'image_size must be >= 32, got {image_size}')
    check_output_folder(out_dir)
    sources = _split_sources(seed)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    categories = [
        dict(id=i + 1, name=name, supercategory='digit')
        for i, name in enumerate(CLASSES)
    ]
    paths = {}
    for split, count, split_seed in (('train', num_train, seed + 1),
                                     ('val', num_val, seed + 2)):
        rng = np.random.default_rng(split_seed)
        images, labels = sources[split]
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        coco_images, annotations = [], []
        for image_id in range(1, count + 1):
            canvas, objects = _make_canvas(rng, images, labels, image_size,
                                           empty_ratio, max_objects)
            file_name = f'{image_id:06d}.png'
            cv2.imwrite(osp.join(out_dir, split, file_name), canvas)
            coco_images.append(
                dict(id=image_id, file_name=file_name, width=image_size,
                     height=image_size))
            for obj in objects:
                w, h = obj['bbox'][2:]
                annotations.append(
                    dict(id=len(annotations) + 1, image_id=image_id,
                         category_id=obj['label'] + 1, bbox=obj['bbox'],
                         area=float(w * h), iscrowd=0))
        path = osp.join(out_dir, 'annotations', f'instances_{split}.json')
        with open(path, 'w') as f:
            json.dump(
                dict(images=coco_images, annotations=annotations,
                     categories=categories), f)
        paths[split] = path
    return paths
